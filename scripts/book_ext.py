"""A Sphinx extension the book loads (``sphinx.local_extensions`` in _config.yml).

Small repairs, each found by tests/test_browser.py or the strict build:

1. In a NumPy docstring the type after ``name :`` is prose, e.g.
``params : ndarray, shape (T + 1, *B, d)``. Napoleon copies it into reST,
where ``*B`` would start an emphasis and break the strict build. Escape
``*`` in those type lines only; descriptions and formulas are left alone.

2. sphinx-thebe 0.3.1 adds its inline configuration script (``const
THEBE_JS_URL = ...``) twice to every page, and the second copy throws
"Identifier 'THEBE_JS_URL' has already been declared" in the browser.
Drop repeated inline scripts from each page.

3. The theme's colour mode defaults to "" when the reader has never chosen
one, which its own JavaScript reports as a console error ("Got invalid theme
mode"). Default to "auto" (follow the system setting).

4. The API page documents members without docstrings too (``undoc-members``:
an optimizer's ``init``/``update`` protocol methods), except attributes known
only from a class annotation and dataclass fields: their docstring's Attributes
section already documents them, and a second entry would be a duplicate.

5. matplotlib's JavaScript animations (``to_jshtml``) link Font Awesome 4.4
from a CDN for their play/step buttons; with no network the buttons are
blank. Point the link at the pinned copy in _static/font-awesome/.

6. One setting drives every outward link: ``repository.url`` in _config.yml.
While it is unset ("") the repository, issue and edit buttons and the Binder
and Colab launch buttons are left out (a link to a repository that does not
exist is dead); once set, all of them are on. A placeholder or a non-GitHub URL is a
configuration error (scripts/set_repository.py checks it), not a silent
fallback.

7. Accessibility repairs of the theme's and docutils' markup, found by axe-core
(tests/test_browser.py), applied to every written page: the search button's
keyboard hint (Ctrl+K) and the colour-mode icons (and their titles) are hidden
from assistive technology, and the search button is named by its own text, so
that each button's visible text is within its accessible name;
myst-nb's "Show code cell source" toggles lose the aria-label that hid their
visible text; docutils' bibliography entries get the ``listitem`` role their
``list`` parent requires (``doc-biblioentry`` is deprecated); the scrub
slider of matplotlib's animations gets a name. The live widgets' own repairs
(slider names, the explorer picture's alt text) are in js/widgets-offline.js.

8. The ``lrtutor-contract`` directive writes the per-parameter tables of
book/contract.md from the package itself (scripts/api_contract.py: every
public ``__all__``, each docstring's Parameters section), so the contract page
cannot fall behind the code; tests/test_contract.py checks each bound it
states against the code.

9. On a phone, long inline code and API signatures wrap (book/static/lrtutor.css);
a ``<wbr>`` after each dot or opening parenthesis inside code lets them break
there rather than inside a word.
"""

import pathlib
import sys

import re

_TYPE_LINE = re.compile(r"^(\s*\*{0,2}[A-Za-z_][\w, *]*\s:\s)(.*)$")


def _escape_stars(app, what, name, obj, options, lines):
    section = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"} and stripped:
            section = stripped
            continue
        if section in {"Parameters", "Attributes", "Returns", "Yields", "Other Parameters"}:
            match = _TYPE_LINE.match(line)
            if match and not line.startswith("    "):
                lines[i] = match.group(1) + re.sub(r"(?<!\\)\*", r"\\*", match.group(2))


def _dedupe_inline_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        body = getattr(script, "attributes", {}).get("body") if not isinstance(script, str) else None
        if body:
            if body in seen:
                continue
            seen.add(body)
        kept.append(script)
    context["script_files"] = kept


FONT_AWESOME_CDN = "https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/font-awesome.min.css"


def _local_font_awesome(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and FONT_AWESOME_CDN in body:
        local = context["pathto"]("_static/font-awesome/css/font-awesome.min.css", 1)
        context["body"] = body.replace(FONT_AWESOME_CDN, local)


def _skip_annotation_only(app, what, name, obj, skip, options):
    import dataclasses
    import importlib

    from sphinx.ext.autodoc import INSTANCEATTR, UNINITIALIZED_ATTR

    if what != "class":
        return None
    if obj is INSTANCEATTR or obj is UNINITIALIZED_ATTR:
        return True
    # A dataclass field with a default is a class attribute too: still a field.
    module = app.env.temp_data.get("autodoc:module")
    cls_name = app.env.temp_data.get("autodoc:class")
    if module and cls_name:
        try:
            cls = importlib.import_module(module)
            for part in cls_name.split("."):
                cls = getattr(cls, part)
        except (ImportError, AttributeError):
            return None
        if dataclasses.is_dataclass(cls) and name in {f.name for f in dataclasses.fields(cls)}:
            return True
    return None


def _default_mode(app, config):
    # pydata-sphinx-theme reads the template variable ``default_mode``.
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "auto")
    config.html_context = context


def _repository_buttons(app, config):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    try:
        from set_repository import check_url
    finally:
        sys.path.pop(0)
    options = dict(config.html_theme_options or {})
    url = check_url(options.get("repository_url") or "")   # ValueError on a placeholder
    buttons = ("use_repository_button", "use_issues_button", "use_edit_page_button")
    if url:
        options["repository_url"] = url
        # (jupyter-book's defaults say false for both; the setting decides)
        options["use_repository_button"] = options["use_issues_button"] = True
    else:
        options.pop("repository_url", None)
        options.update({button: False for button in buttons})
        options["launch_buttons"] = {}          # no Binder, no Colab
    config.html_theme_options = options


A11Y_REPAIRS = [        # (pattern, replacement), applied with re.sub; idempotent
    # The search field button: its name comes from its text ("Search"), its
    # keyboard hint is not part of it.
    (r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"', r"\1"),
    (r'<span class="search-button__kbd-shortcut">',
     r'<span class="search-button__kbd-shortcut" aria-hidden="true">'),
    # The colour-mode button is named "Color mode"; its icons' titles were read
    # as its visible text.
    (r'<i (?:aria-hidden="true" )?class="theme-switch ([^"]*)" data-mode="(\w+)"\s*title="[^"]*"></i>',
     r'<i class="theme-switch \1" data-mode="\2" aria-hidden="true"></i>'),
    (r'<summary aria-label="Toggle hidden content">', r"<summary>"),
    (r'role="doc-biblioentry"', r'role="listitem"'),
    # matplotlib's JavaScript animations (the explorers' static twins): the
    # scrub slider has no label.
    (r'<input id="(_anim_slider\w*)" type="range"',
     r'<input aria-label="Frame of the animation" id="\1" type="range"'),
]


def _accessibility_repairs(text):
    for pattern, replacement in A11Y_REPAIRS:
        text = re.sub(pattern, replacement, text)
    return text


# Where a narrow screen may break code: after a dot or an opening parenthesis
# inside a name ("torch.utils.tensorboard.<wbr>SummaryWriter",
# "Quadratic(<wbr>eigenvalues"), rather than in the middle of a word.
# book/static/lrtutor.css lets such code wrap on narrow screens only; on a
# wide one Sphinx's span.pre {white-space: nowrap} ignores these points.
_PRE_SPAN = re.compile(r'(<span class="pre">)([^<]*)(</span>)')
_BREAK_AFTER = re.compile(r"(\.(?=[A-Za-z_])|\((?=[^)]))")
_SIG_PAREN = '<span class="sig-paren">(</span>'


def _code_break_points(text):
    text = _PRE_SPAN.sub(lambda m: m[1] + _BREAK_AFTER.sub(r"\1<wbr>", m[2]) + m[3], text)
    return re.sub(re.escape(_SIG_PAREN) + r"(?!<wbr>)", _SIG_PAREN + "<wbr>", text)


# A chapter's figures are notebook outputs, scaled down to the width of the
# page: on a phone a five-panel figure keeps a third of its size and its text
# becomes unreadable. Each figure is therefore a link to its own image, so a
# tap (or a click) opens it at full size, where the browser can zoom.
_OUTPUT_FIGURE = re.compile(r'<img alt="[^"]*" src="((?:\.\./)*_images/[^"]+)" />')
FULL_SIZE_TITLE = "Open the figure at full size"


def _full_size_figures(text):
    return _OUTPUT_FIGURE.sub(lambda m: (f'<a class="lrtutor-full-figure" href="{m[1]}" '
                                         f'title="{FULL_SIZE_TITLE}">{m[0]}</a>'), text)


#: Text repairs of every built HTML page, in order, in one read and write.
HTML_REPAIRS = (_accessibility_repairs, _code_break_points, _full_size_figures)


def _repair_html(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in pathlib.Path(app.outdir).rglob("*.html"):
        text = original = page.read_text(encoding="utf-8")
        for repair in HTML_REPAIRS:
            text = repair(text)
        if text != original:
            page.write_text(text, encoding="utf-8")


#: Extensions jupyter-book always loads that do not declare whether Sphinx may
#: read documents in parallel (Sphinx then reads serially and warns, an error
#: under ``-W``), with the reason each is safe for this book's HTML build.
_PARALLEL_SAFE = {
    # replaces TocTreeCollector.assign_section_numbers, which runs once in the
    # main process after every document has been read and merged
    "sphinx_multitoc_numbering",
    # per-document transforms that touch only their own doctree; its
    # environment settings are made for a LaTeX builder only
    "sphinx_jupyterbook_latex",
}


def _parallel_read(app):
    """Let Sphinx read (and so execute) the chapters in parallel: see
    :data:`_PARALLEL_SAFE` and ``scripts/jb_build.py``."""
    for name in _PARALLEL_SAFE:
        ext = app.extensions.get(name)
        if ext is not None and ext.parallel_read_safe is None:
            ext.parallel_read_safe = True


def _contract_directive():
    """``.. lrtutor-contract::``: the per-parameter tables of book/contract.md,
    generated from the package (scripts/api_contract.py), so the page cannot
    fall behind the code; tests/test_contract.py checks the page against it."""
    from docutils import nodes
    from docutils.parsers.rst import Directive
    from docutils.statemachine import StringList

    class ContractDirective(Directive):
        has_content = False

        def run(self):
            here = str(pathlib.Path(__file__).resolve().parent)
            sys.path.insert(0, here)
            try:
                import api_contract
            finally:
                sys.path.remove(here)
            env = self.state.document.settings.env
            for module in api_contract.public_modules():    # rebuild when the code changes
                env.note_dependency(module.__file__)
            env.note_dependency(api_contract.__file__)
            box = nodes.container(classes=["lrtutor-contract"])
            text = api_contract.render_rst()
            self.state.nested_parse(StringList(text.splitlines(), source="lrtutor-contract"),
                                    self.content_offset, box)
            return [box]

    return ContractDirective


def setup(app):
    app.add_directive("lrtutor-contract", _contract_directive())
    app.connect("builder-inited", _parallel_read)
    app.connect("autodoc-process-docstring", _escape_stars, priority=400)
    app.connect("html-page-context", _dedupe_inline_scripts)
    app.connect("html-page-context", _local_font_awesome)
    app.connect("config-inited", _default_mode)
    app.connect("config-inited", _repository_buttons)
    app.connect("build-finished", _repair_html)
    app.connect("autodoc-skip-member", _skip_annotation_only)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
