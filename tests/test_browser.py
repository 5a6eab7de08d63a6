"""The published book, opened in a real browser with the network off.

The book is built (strictly, once per session, see book_build.py), served from
``_build/html`` on 127.0.0.1, and every page is opened in headless Chromium
(Debian's ``chromium``, driven by Playwright). Every request that does not go
to 127.0.0.1 is aborted, so the pages must work offline: MathJax and the
widget manager are served by the book itself (js/package-lock.json).

For every page: no console errors and no failed requests; every equation
typeset; every image loads and has alt text; every figure has a caption;
every internal link and fragment resolves; widget views and static explorers
render; title, left navigation and in-page table of contents are present.
A screenshot of each page is saved to ``_build/screenshots/`` (a chapter whole,
a reference page its first 20 000 px).

Accessibility and layout: axe-core (pinned in js/package-lock.json, injected
from js/node_modules, never shipped with the book) finds no serious or
critical violation on any page; every widget control and animation control is
reachable from the keyboard, and every static explorer (an animation) is
operated with Tab, the arrow keys, End, Home and Enter, its focus ring drawn;
at a phone's width (375 px) no page scrolls sideways and every figure fits; in
the dark colour mode figures keep a light background (their dark ink stays
legible).

Set ``LRTUTOR_BOOK_HTML=/path/to/html`` to test an existing build instead.
"""

import functools
import http.server
import json
import os
import pathlib
import re
import shutil
import tempfile
import threading
import urllib.parse

import playwright.sync_api as playwright_api     # requirements.txt; never `playwright install`
import pytest
from book_build import ROOT, build_book, toc_pages

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# Requests that may fail without harming the page. Keep this short and say why.
ALLOWED_FAILURES = [
    # (none yet: every request of the offline build goes to 127.0.0.1)
]
# Console messages that are third-party noise, not a broken page.
ALLOWED_CONSOLE = [
    # (none yet; add a compiled regex and say why it is harmless)
]
# Raw TeX that must not survive typesetting (outside code blocks).
RAW_TEX = re.compile(r"\$\$|\\frac|\\begin\{|\\end\{|\\\(|\\\[")

pytestmark = pytest.mark.book

# axe-core, installed by scripts/setup.sh (npm ci in js/) and injected into each page.
AXE = ROOT / "js" / "node_modules" / "axe-core" / "axe.min.js"
# axe findings at these levels fail a page ("moderate" and "minor" are reported by
# bench tools, not here).
AXE_FAILING = ("serious", "critical")
# axe rules switched off, each with its reason. Keep this short.
AXE_DISABLED = {
    # (none yet)
}


# The book checked: this repository, or another copy's <book>/_build/html.
BOOK_ROOT = (pathlib.Path(os.environ["LRTUTOR_BOOK_HTML"]).parents[1]
             if os.environ.get("LRTUTOR_BOOK_HTML") else ROOT)
PAGES = toc_pages(BOOK_ROOT)
# The chapters' notebooks (a page built from a notebook must carry an explorer).
BOOK_SOURCES = BOOK_ROOT / "book"
# Chapters are the notebooks, numbered 1, 2, ... in _toc.yml order (numbered
# parts, continuous across parts): chapter n has equations (n.1), ... and
# figures Fig. n.1, ...


def _is_chapter(entry):
    return (BOOK_SOURCES / f"{pathlib.PurePath(entry).name}.ipynb").exists()


CHAPTERS = [e for e in PAGES if _is_chapter(e)]
CHAPTER_NUMBER = {entry: n for n, entry in enumerate(CHAPTERS, 1)}


@pytest.fixture(scope="module")
def html_dir():
    given = os.environ.get("LRTUTOR_BOOK_HTML")
    if given:
        return pathlib.Path(given)
    proc, html, _ = build_book()
    assert proc.returncode == 0, "the book did not build; see test_book.py"
    return html


@pytest.fixture(scope="module")
def server(html_dir):
    """Serve the built HTML on 127.0.0.1 (a free port) for the whole module."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(html_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser_context(server):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} missing: scripts/setup.sh installs Debian's chromium")
    profile = tempfile.mkdtemp(prefix="lrtutor-chromium-")
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900}, service_workers="block")
        context.set_default_timeout(20_000)
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


class PageLog:
    """Everything that went wrong while a page loaded."""

    def __init__(self, page, origin):
        self.errors, self.failed, self.external = [], [], []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)
        self.origin = origin

        def route(r):
            if r.request.url.startswith(origin) or r.request.url.startswith("data:"):
                r.continue_()
            else:                              # the network is off
                self.external.append(r.request.url)
                r.abort("internetdisconnected")
        page.route("**/*", route)

    def _console(self, msg):
        if msg.type == "error" and not any(rx.search(msg.text) for rx in ALLOWED_CONSOLE):
            self.errors.append(f"console: {msg.text} ({msg.location.get('url')})")

    def _request_failed(self, request):
        if request.url.startswith(self.origin) and not _allowed(request.url):
            self.failed.append(f"{request.url}: {request.failure}")

    def _response(self, response):
        if response.status >= 400 and not _allowed(response.url):
            self.failed.append(f"{response.url}: HTTP {response.status}")


def _allowed(url):
    return any(pattern in url for pattern in ALLOWED_FAILURES)


# Loading a page may take longer than the 20 s every other step is given: the
# API reference (some 80 000 elements, hundreds of formulas) loads in 10-17 s
# on two busy cores.
LOAD_TIMEOUT = 60_000
PlaywrightTimeout = playwright_api.TimeoutError


def open_page(context, server, path):
    page = context.new_page()
    log = PageLog(page, server)
    page.goto(f"{server}/{path}", wait_until="load", timeout=LOAD_TIMEOUT)
    try:
        page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT)
    except PlaywrightTimeout:
        # On two busy cores a 1.5 MB chapter can keep requesting local MathJax
        # components and widget scripts for over a minute (seen once for the
        # adaptive-methods page while the other test group ran). Go on: every
        # later check waits for what it needs (MathJax's startup promise below,
        # the widget views), and a failed or outside request is still reported.
        pass
    # Wait for MathJax (served locally) to finish typesetting.
    page.evaluate("""async () => {
        if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
            await MathJax.startup.promise;
        }
    }""")
    return page, log


@pytest.fixture(scope="module", params=PAGES, ids=PAGES)
def opened(request, browser_context, server):
    """One page of the book, loaded once at 1280 px for every check of that page.

    Loading is the expensive part (a chapter typesets hundreds of formulas;
    the API reference has 95 000 elements), so the per-page tests share one
    load: pytest groups the tests by this module-scoped fixture's parameter
    and runs them in the order they are defined (the keyboard, the page's
    content, then the phone's width). The page is closed after its last check.
    """
    entry = request.param
    page, log = open_page(browser_context, server, f"{entry}.html")
    try:
        # Render the live widget views before any check looks at the page.
        views = page.evaluate(WIDGETS)["views"]
        if views:
            page.wait_for_function(
                "n => document.querySelectorAll('.jupyter-widgets').length >= n",
                arg=views, timeout=20_000)
        yield entry, page, log
    finally:
        page.close()


# Text of the page outside code, scripts and typeset math.
PROSE_TEXT = """() => {
    const main = document.querySelector('main') || document.body;
    const clone = main.cloneNode(true);
    clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea')
         .forEach(e => e.remove());
    return clone.innerText;
}"""

# Widget views the page embeds, and what the widget manager rendered.
WIDGETS = """() => ({
    views: document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length,
    rendered: document.querySelectorAll('.jupyter-widgets.widget-container, .jupyter-widgets:not(.widget-container) ').length,
    errors: Array.from(document.querySelectorAll('.jupyter-widgets')).filter(
        e => /Error displaying widget/.test(e.innerText)).length,
})"""

# matplotlib's JavaScript animations (the static explorers): frames and controls.
ANIMATIONS = """() => Array.from(document.querySelectorAll('div.animation')).map(a => {
    const img = a.querySelector('img');
    return {
        loaded: !!img && img.complete && img.naturalWidth > 0,
        slider: !!a.querySelector('input[type=range]'),
    };
})"""


def test_widgets_work_from_the_keyboard(opened):
    """Every control of the explorers and their animations is reached with Tab and moved with keys.

    Runs before the other checks of the page, while every animation still
    shows its first frame.
    """
    entry, page, _ = opened
    if not _is_chapter(entry):
        pytest.skip("a reference page: no explorer")
    controls = page.evaluate("""() => Array.from(document.querySelectorAll(
            '.jupyter-widgets [role=slider], .jupyter-widgets select, .jupyter-widgets button,'
            + ' .jupyter-widgets input, div.animation input, div.animation button'))
        .map(e => ({tag: e.tagName, tab: e.tabIndex, disabled: !!e.disabled,
                    name: (e.getAttribute('aria-label') || e.title || e.textContent
                           || (e.labels && e.labels[0] && e.labels[0].textContent) || '').trim()}))""")
    assert controls, f"{entry}: no controls found"
    unreachable = [c for c in controls if c["tab"] < 0 and not c["disabled"]]
    nameless = [c for c in controls if not c["name"]]
    assert not unreachable, f"{entry}: controls not reachable with Tab: {unreachable[:3]}"
    assert not nameless, f"{entry}: controls without a name: {nameless[:3]}"
    # (The live widgets have no kernel behind them in the built book, so
    # moving one changes no figure here: tests/test_jupyterlab.py moves one
    # with the keyboard in JupyterLab and checks that the figure changes.)
    # The static explorers (lrtutor.widgets.static_twin) are the reader's
    # way to explore without a kernel: every one works from the keyboard.
    animations = page.locator("div.animation").all()
    assert animations, f"{entry}: no static explorer (animation) on the chapter"
    for number, anim in enumerate(animations, 1):
        operate_animation_by_keyboard(page, anim, f"{entry}, animation {number}")


def test_page_in_browser(opened, server, html_dir):
    entry, page, log = opened
    path = f"{entry}.html"
    problems = []
    widgets = page.evaluate(WIDGETS)
    assert widgets["errors"] == 0, f"{path}: a widget failed to render"

    shots = html_dir.parent / "screenshots"      # _build/screenshots
    shots.mkdir(parents=True, exist_ok=True)
    screenshot(page, shots / f"{entry.replace('/', '__')}.png", whole=_is_chapter(entry))

    # 1. Console errors, failed requests, requests that needed the network.
    problems += log.errors
    problems += [f"failed request: {f}" for f in log.failed]
    problems += [f"needed the network: {u}" for u in log.external]

    # 2. Equations: typeset, no raw TeX left, no MathJax error boxes.
    math = page.evaluate("""() => ({
        blocks: document.querySelectorAll('main .math').length,
        untypeset: Array.from(document.querySelectorAll('main .math'))
                        .filter(e => !e.querySelector('mjx-container')).length,
        merror: document.querySelectorAll('mjx-merror').length,
    })""")
    if math["untypeset"]:
        problems.append(f"{math['untypeset']} of {math['blocks']} math elements not typeset")
    if math["merror"]:
        problems.append(f"{math['merror']} MathJax errors")
    prose = page.evaluate(PROSE_TEXT)
    for match in RAW_TEX.finditer(prose):
        problems.append(f"raw TeX in the text: ...{prose[max(0, match.start() - 40):match.end() + 40]!r}...")
        break

    # 3. Images load and carry alt text; figures carry captions.
    # The picture inside a live widget view (an ipywidgets Image, which has no
    # alt attribute) is described by the widget's own text line; it must load.
    images = page.evaluate("""() => Array.from(document.images).map(i => ({
        src: i.id.startsWith('_anim_img') ? 'matplotlib animation frame (' + i.id + ')' : (i.currentSrc || i.src),
        alt: (i.getAttribute('alt') || '').trim(),
        widget: !!i.closest('.jupyter-widgets'),
        ok: i.complete && i.naturalWidth > 0}))""")
    for img in images:
        if not img["ok"]:
            problems.append(f"image did not load: {img['src'][:120]}")
        if not img["alt"] and not img["widget"]:
            problems.append(f"image without alt text: {img['src'][:120]}")
    captions = page.evaluate("""() => Array.from(document.querySelectorAll('main figure')).map(
        f => { const c = f.querySelector('figcaption'); return c ? c.innerText.trim() : ''; })""")
    problems += [f"figure {i + 1} has no caption" for i, c in enumerate(captions) if not c]

    # 4. Cross-references resolved (Sphinx leaves these markers when they are not).
    for marker in ("undefined label", "??", "[UNRESOLVED]"):
        if marker in prose:
            problems.append(f"unresolved cross-reference: {marker!r} in the text")

    # 5. Widget views and static explorers render.
    if widgets["views"] and widgets["rendered"] < widgets["views"]:
        problems.append(f"{widgets['rendered']} of {widgets['views']} widget views rendered")
    animations = page.evaluate(ANIMATIONS)
    for i, anim in enumerate(animations):
        if not (anim["loaded"] and anim["slider"]):
            problems.append(f"animation {i + 1} did not render ({anim})")
    # Scrubbing works: moving each animation's slider to its last frame shows
    # another picture (the reader's way to explore without a kernel).
    scrubbed = page.evaluate("""() => Array.from(document.querySelectorAll('div.animation')).map(a => {
        const img = a.querySelector('img'), slider = a.querySelector('input[type=range]');
        if (!img || !slider) return false;
        const before = img.src;
        slider.value = slider.max;
        slider.dispatchEvent(new Event('input', {bubbles: true}));
        slider.dispatchEvent(new Event('change', {bubbles: true}));
        return img.src !== before;
    })""")
    problems += [f"animation {i + 1} does not change frame when scrubbed"
                 for i, ok in enumerate(scrubbed) if not ok]
    # Every chapter (a notebook) has a live explorer and its static twin.
    if _is_chapter(entry):
        if not widgets["views"]:
            problems.append("chapter without an explorer (no widget view)")
        if not animations:
            problems.append("chapter without a static explorer (no animation)")

    # 6. Title, left navigation, in-page table of contents.
    h1 = page.locator("article.bd-article h1").all_inner_texts()
    number = CHAPTER_NUMBER.get(entry)
    prefix = f"{number}. " if number else ""
    title = h1[0].strip().rstrip("#").strip() if len(h1) == 1 else ""
    if not title:
        problems.append(f"expected one H1 title, found {h1}")
    elif not title.startswith(prefix):
        problems.append(f"H1 {title!r} does not start with its chapter number {prefix!r}")
    elif title[len(prefix):] not in page.title():
        problems.append(f"<title> {page.title()!r} does not name the H1 {h1[0]!r}")
    if number:
        labels = (page.locator("span.eqno").all_inner_texts()
                  + page.locator("span.caption-number").all_inner_texts())
        wrong = [x for x in labels if not re.match(rf"(\(|\w+\.? ){number}\.\d+", x.strip())]
        if wrong or not labels:
            problems.append(f"equation and figure numbers not of chapter {number}: "
                            f"{wrong[:5] or 'none found'}")
    if page.locator("#pst-primary-sidebar nav.bd-docs-nav a").count() < len(PAGES) - 1:
        problems.append("left navigation missing or incomplete")
    sections = page.locator("main section section > h2").count()
    if sections >= 2 and page.locator("nav.page-toc a, #pst-page-toc-nav a").count() < sections:
        problems.append(f"in-page table of contents missing ({sections} sections)")

    # 7. Every internal link and fragment resolves.
    problems += check_links(page, server, html_dir, path)

    # 8. Accessibility: no serious or critical axe-core violation.
    problems += [f"axe: {v}" for v in axe_violations(page)]

    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


# A screenshot of a page for a person to look at (_build/screenshots/). A
# chapter is photographed whole (its figures are what a reviewer checks for
# clipped or covered text); a reference page (the API reference is some
# 200 000 px long) only down to this depth, which is most of what a reader
# scrolls through and a fraction of the time.
SCREENSHOT_DEPTH = 20_000


def screenshot(page, path, whole):
    height = page.evaluate("document.documentElement.scrollHeight")
    clip = None if whole or height <= SCREENSHOT_DEPTH else {
        "x": 0, "y": 0, "width": page.viewport_size["width"], "height": SCREENSHOT_DEPTH}
    page.screenshot(path=str(path), full_page=True, clip=clip, timeout=120_000,
                    animations="disabled", scale="css")


def axe_violations(page):
    """Serious and critical axe-core violations of the page, one line each."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} missing: scripts/setup.sh installs it (npm ci in js/)")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async (disabled) => {
        const rules = Object.fromEntries(disabled.map(r => [r, {enabled: false}]));
        const result = await axe.run(document, {resultTypes: ['violations'], rules});
        return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
            count: v.nodes.length}));
    }""", list(AXE_DISABLED))
    return [f"{v['impact']} {v['id']} ({v['help']}) on {v['count']} element(s), e.g. {v['nodes']}"
            for v in found if v["impact"] in AXE_FAILING]


@functools.lru_cache(maxsize=None)
def _ids(html_file):
    text = pathlib.Path(html_file).read_text(errors="replace")
    return frozenset(re.findall(r'\sid="([^"]+)"', text))


def check_links(page, server, html_dir, path):
    problems = []
    hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    for href in sorted(set(hrefs)):
        if not href.startswith(server):
            continue                            # external: not checked (no network)
        url = urllib.parse.urlsplit(href)
        target = html_dir / urllib.parse.unquote(url.path.lstrip("/"))
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"broken link: {href} (404)")
            continue
        fragment = urllib.parse.unquote(url.fragment)
        if fragment and target.suffix == ".html" and fragment not in _ids(target):
            problems.append(f"broken anchor: {href}")
    return problems


# ---------------------------------------------------------------------------
# Book features a reader expects


def test_full_text_search(browser_context, server):
    page, log = open_page(browser_context, server, "search.html?q=learning+rate")
    try:
        page.wait_for_selector("#search-results ul.search li", timeout=20_000)
        hits = page.locator("#search-results ul.search li").count()
        assert hits >= 2, f"search for 'learning rate' found {hits} pages"
        assert not log.errors and not log.failed and not log.external, (log.errors, log.failed, log.external)
    finally:
        page.close()


def test_dark_mode(browser_context, server, html_dir):
    page, log = open_page(browser_context, server, "book/index.html")
    try:
        assert page.evaluate("document.documentElement.dataset.theme") in ("light", "auto", "")
        page.evaluate("() => document.documentElement.dataset.mode = 'light'")
        modes = ["light"]
        changed = "m => document.documentElement.dataset.mode !== m"
        for _ in range(2):                  # light -> dark, or via auto in two clicks
            page.locator("button.theme-switch-button").first.click()
            page.wait_for_function(changed, arg=modes[-1], timeout=5_000)
            modes.append(page.evaluate("document.documentElement.dataset.mode"))
            if modes[-1] == "dark":
                break
        assert "dark" in modes, modes
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        shots = html_dir.parent / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "dark_mode__book__index.png"), full_page=False)
        assert not log.errors, log.errors
    finally:
        page.close()


def test_solutions_hidden_until_asked(browser_context, server, html_dir):
    """Exercises' solutions are closed dropdowns; clicking one shows the worked solution."""
    pages = [e for e in PAGES if "sd-dropdown" in (html_dir / f"{e}.html").read_text()]
    if not pages:
        pytest.skip("no page has a Solution dropdown yet")
    page, _ = open_page(browser_context, server, f"{pages[0]}.html")
    try:
        dropdown = page.locator("details.sd-dropdown").first
        assert dropdown.get_attribute("open") is None, "a solution is open before it is asked for"
        body = dropdown.locator(".sd-summary-content")
        assert not body.is_visible()
        dropdown.locator("summary").click()
        body.wait_for(state="visible")
        assert body.inner_text().strip()
    finally:
        page.close()


def test_notebook_download_is_a_notebook(html_dir):
    """The download button's .ipynb is the chapter notebook with its outputs."""
    notebooks = [e for e in PAGES if (ROOT / f"{e}.ipynb").is_file()]
    assert notebooks
    for entry in notebooks:
        page = (html_dir / f"{entry}.html").read_text()
        name = pathlib.Path(entry).name
        assert f'_sources/{entry}.ipynb"' in page, f"{entry}: no .ipynb download link"
        nb = json.loads((html_dir / "_sources" / f"{entry}.ipynb").read_text())
        assert nb["nbformat"] == 4 and nb["cells"], name


def test_chapter_works_from_disk(browser_context, html_dir):
    """A reader may open _build/html from disk (file://): math and widgets still render."""
    chapters = [e for e in PAGES if (ROOT / f"{e}.ipynb").is_file()]
    assert chapters
    page = browser_context.new_page()
    log = PageLog(page, (html_dir / "x").as_uri()[:-1])      # file:///.../html/ is "local"
    try:
        page.goto((html_dir / f"{chapters[0]}.html").as_uri(), wait_until="load")
        page.wait_for_load_state("networkidle")
        page.evaluate("async () => { if (window.MathJax) await MathJax.startup.promise; }")
        untypeset = page.evaluate("""() => Array.from(document.querySelectorAll('main .math'))
            .filter(e => !e.querySelector('mjx-container')).length""")
        assert untypeset == 0
        views = page.evaluate(WIDGETS)["views"]
        if views:
            page.wait_for_function(
                "n => document.querySelectorAll('.jupyter-widgets').length >= n", arg=views)
        assert not log.errors and not log.failed and not log.external, (log.errors, log.failed, log.external)
    finally:
        page.close()


# ---------------------------------------------------------------------------
# Phones, keyboards and the dark colour mode

PHONE = {"width": 375, "height": 800}

# What makes a page wider than its window: the outermost elements that stick
# out to the right and are not inside a box that scrolls or clips them (a table
# or a display formula scrolls in its own box; that is allowed). Off-screen
# drawers (the theme's hidden sidebars, moved out with a transform) are skipped.
STICKING_OUT = """() => {
    const width = document.documentElement.clientWidth;
    const contained = el => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            if (getComputedStyle(a).overflowX !== 'visible') return true;
        }
        return false;
    };
    const drawer = el => !!el.closest('.bd-sidebar-primary, .bd-sidebar-secondary');
    return Array.from(document.querySelectorAll('body *')).filter(el => {
        if (!el.getClientRects().length || drawer(el) || contained(el)) return false;
        const parent = el.parentElement;
        return el.getBoundingClientRect().right > width + 1
            && parent.getBoundingClientRect().right <= width + 1;
    }).slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + String(el.className).split(' ')[0]
        + ': ' + (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60));
}"""


def test_page_fits_a_phone(opened):
    """At 375 px no page scrolls sideways, and every figure fits the screen.

    No page is exempt. Long inline code, API signatures and headings wrap
    (book/static/lrtutor.css); display formulas and tables scroll inside
    their own box, which does not make the page wider. The page loaded at
    1280 px is narrowed to the phone's width: the layout follows the window
    (CSS media queries), as it does when a phone loads the page.
    """
    entry, page, _ = opened
    page.set_viewport_size(PHONE)
    layout = page.evaluate("""() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
        wide: Array.from(document.querySelectorAll('main img')).filter(
            i => i.offsetParent && i.getBoundingClientRect().right > innerWidth + 1)
            .map(i => (i.alt || i.src).slice(0, 60)),
    })""")
    assert layout["client"] <= PHONE["width"], layout
    assert layout["scroll"] <= layout["client"], (
        f"{entry}: the page scrolls sideways at 375 px ({layout['scroll']} > "
        f"{layout['client']} px); sticking out: {page.evaluate(STICKING_OUT)}")
    assert layout["wide"] == [], f"{entry}: figures wider than the screen: {layout['wide'][:3]}"


# The focused element, and whether its focus is drawn: :focus-visible matches
# and the style draws a ring (the theme's rule is a 3 px solid outline).
FOCUS = """() => {
    const el = document.activeElement, style = getComputedStyle(el);
    return {label: el.getAttribute('aria-label') || el.tagName,
            visible: el.matches(':focus-visible'),
            ring: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
                  || style.boxShadow !== 'none'};
}"""


def operate_animation_by_keyboard(page, anim, where):
    """Tab reaches the frame slider; the arrow, End and Home keys and the
    "Next frame" button (Enter) change the frame; every control on the way
    shows a visible focus ring."""
    img, slider = anim.locator("img"), anim.locator("input[type=range]")
    controls = anim.locator(".anim-controls")
    frames = slider.evaluate("e => Number(e.max) + 1")
    assert frames >= 2, f"{where}: {frames} frame(s)"
    # The reader clicks the picture (it takes no focus) and presses Tab: the
    # next stop is the slider, and its focus ring is drawn (the pixels change).
    img.click()
    unfocused = controls.screenshot(animations="disabled")
    page.keyboard.press("Tab")
    assert slider.evaluate("e => e === document.activeElement"), (
        f"{where}: Tab from the picture does not reach the frame slider "
        f"(focus on {page.evaluate(FOCUS)['label']})")
    focus = page.evaluate(FOCUS)
    assert focus["visible"] and focus["ring"], f"{where}: the slider's focus is not visible"
    assert controls.screenshot(animations="disabled") != unfocused, (
        f"{where}: no focus ring is drawn around the slider")

    def frame():
        return slider.evaluate("e => Number(e.value)"), img.get_attribute("src")

    first = frame()
    assert first[0] == 0, f"{where}: the animation does not start at frame 0 ({first[0]})"
    page.keyboard.press("ArrowRight")
    second = frame()
    assert second[0] == 1 and second[1] != first[1], (
        f"{where}: ArrowRight did not show frame 1 (slider at {second[0]}, "
        f"picture changed: {second[1] != first[1]})")
    page.keyboard.press("End")
    last = frame()
    assert last[0] == frames - 1, f"{where}: End did not go to the last frame ({last[0]})"
    assert frames == 2 or last[1] not in (first[1], second[1]), (
        f"{where}: End did not change the picture")
    page.keyboard.press("Home")
    assert frame() == first, f"{where}: Home did not go back to the first picture"
    # On along the buttons to "Next frame": each shows its focus; Enter steps.
    for _ in range(12):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        assert focus["visible"] and focus["ring"], (
            f"{where}: the focus on {focus['label']!r} is not visible")
        if focus["label"] == "Next frame":
            break
    else:
        raise AssertionError(f"{where}: Tab from the slider does not reach 'Next frame'")
    page.keyboard.press("Enter")
    assert frame() == second, f"{where}: Enter on 'Next frame' did not show frame 1"


def test_figures_stay_legible_in_dark_mode(browser_context, server):
    """In the dark colour mode every figure keeps a light ground under its dark ink."""
    chapters = CHAPTERS
    assert chapters
    page, _ = open_page(browser_context, server, f"{chapters[0]}.html")
    try:
        page.evaluate("() => { document.documentElement.dataset.theme = 'dark';"
                      " document.documentElement.dataset.mode = 'dark'; }")
        grounds = page.evaluate("""() => Array.from(document.querySelectorAll(
                'main figure img, main .cell_output img, main div.animation img'))
            .filter(i => i.complete && i.naturalWidth > 0).map(i => {
                const c = document.createElement('canvas');
                c.width = i.naturalWidth; c.height = i.naturalHeight;
                const ctx = c.getContext('2d');
                ctx.drawImage(i, 0, 0);
                const [r, g, b, a] = ctx.getImageData(1, 1, 1, 1).data;   // the corner: ground
                const bg = getComputedStyle(i).backgroundColor;
                return {alt: (i.alt || '').slice(0, 50), r, g, b, a, bg};
            })""")
        assert grounds
        page_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        dark = [g for g in grounds
                if not ((g["a"] == 255 and min(g["r"], g["g"], g["b"]) > 200)
                        or g["bg"] in ("rgb(255, 255, 255)", "rgba(255, 255, 255, 1)"))]
        assert dark == [], f"figures on the dark page ({page_bg}) without a light ground: {dark[:3]}"
    finally:
        page.close()
