"""The contract of lrtutor's public API, read from the package itself.

One source for two readers: the book's page *The package's contract*
(``book/contract.md``, through the ``lrtutor-contract`` directive of
``scripts/book_ext.py``) and ``tests/test_contract.py``, which checks that
every parameter of every public callable is on that page and that each domain
the page states as a bound is the one the code enforces (a value just outside
raises a ``ValueError`` naming the parameter, a value just inside passes).

Nothing here is hand-written per function:

- the public callables are the ``__all__`` of every public module found on
  disk (a new module, a module turned into a package or a new name is picked
  up without an edit), with the public class methods that build instances
  (``Quadratic.two_d``);
- each parameter's type and description come from the ``Parameters`` section
  of its docstring (``Attributes`` for result records), the NumPy style the
  API page renders;
- a *bound* is read from the parameter's type line (``float > 0``,
  ``int in [1, 10000]``, ``{'min', 'max'}``, ``bool``) or from its
  description when the description states it for the parameter itself (a
  first sentence ending in ``, >= 0.``, or ``:math:`\\beta \\in [0, 1)```).

Run ``python scripts/api_contract.py`` to print the table as text.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re

#: Modules left out: the drawing and widget layers take axes, figures and
#: sliders, and are checked by their own tests.
PRESENTATION = ("plotting", "widgets")


def public_modules():
    """The public modules of :mod:`lrtutor`, imported, in name order."""
    import lrtutor

    names = sorted(m.name for m in pkgutil.iter_modules(lrtutor.__path__)
                   if not m.name.startswith(("_",) + PRESENTATION))
    return [importlib.import_module(f"lrtutor.{n}") for n in names]


def _is_state(obj):
    return inspect.isclass(obj) and issubclass(obj, tuple)     # NamedTuple states


def public_callables():
    """``[(qualname, obj)]``: every callable of every public ``__all__`` (NamedTuple
    states excluded: they are made by ``init``, never by hand), then each public
    class method of those classes (alternative constructors)."""
    out = []
    for mod in public_modules():
        short = mod.__name__.split(".", 1)[1]
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if not callable(obj) or _is_state(obj):
                continue
            out.append((f"{short}.{name}", obj))
            if inspect.isclass(obj):
                for attr, raw in vars(obj).items():
                    if not attr.startswith("_") and isinstance(raw, classmethod):
                        out.append((f"{short}.{name}.{attr}", getattr(obj, attr)))
    return out


def parameters(obj):
    """The parameters a caller passes (no ``self``, no ``*args``/``**kwargs``)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    return [p for p in sig.parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


# ----------------------------------------------------------------- docstrings --

_SECTIONS = ("Parameters", "Other Parameters", "Attributes")
_ENTRY = re.compile(r"^\*{0,2}([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*(?::\s*(.*))?$")


def documented(obj):
    """``{name: (type, description)}`` from the docstring's Parameters sections
    (and its Attributes section, which documents a record's fields)."""
    doc = inspect.cleandoc(getattr(obj, "__doc__", None) or "")
    lines = doc.splitlines()
    out, current, inside = {}, [], False
    groups = {}
    for i, line in enumerate(lines):
        stripped = line.strip()
        if (stripped and i + 1 < len(lines) and lines[i + 1].strip()
                and set(lines[i + 1].strip()) == {"-"}):
            inside, current = stripped in _SECTIONS, []
            continue
        if not inside or set(stripped) == {"-"}:
            continue
        if line and not line[0].isspace():
            match = _ENTRY.match(line)
            if match:
                current = [n.strip() for n in match.group(1).split(",")]
                for name in current:
                    out.setdefault(name, [(match.group(2) or "").strip(), ""])
            continue
        if current and stripped:
            for name in current:
                out[name][1] = (out[name][1] + " " + stripped).strip()
            groups[tuple(current)] = True
    for group in groups:
        if len(group) > 1:
            for name in group:
                out[name][1] = _own_clauses(out[name][1], name, group)
    return {k: tuple(v) for k, v in out.items()}


def _own_clauses(description, name, group):
    """The part of a description shared by several parameters that is about
    ``name``: clauses (split at semicolons) that open with another member of
    the group in inline code are dropped. For the entry
    ``problem, steps`` described as "As in run; ``steps >= 1``.", the row of
    ``problem`` then reads "As in run." and only the row of ``steps`` states
    the bound."""
    clauses = re.split(r";\s+", description.rstrip("."))
    others = [n for n in group if n != name]
    kept = [c for c in clauses
            if not any(c.startswith(f"``{o}") and not c.startswith(f"``{o}_") for o in others)]
    text = "; ".join(kept)
    return text + "." if text and description.endswith(".") else text


_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "cf.", "vs.")


def first_sentence(text):
    """The first sentence of a description: up to the first full stop that is
    followed by white space and is neither part of an abbreviation (``e.g.``)
    nor inside parentheses or inline code."""
    text = text.strip()
    depth, code = 0, False
    for i, ch in enumerate(text):
        if ch == "`":
            code = not code
        elif code:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif (ch == "." and depth == 0 and i + 1 < len(text) and text[i + 1].isspace()
              and not text[:i + 1].endswith(_ABBREVIATIONS)):
            return text[:i + 1]
    return text


# -------------------------------------------------------------------- bounds --

@dataclasses.dataclass(frozen=True)
class Bound:
    """A machine-checkable domain: a scalar range, a set of strings or a bool."""

    kind: str                       # "float", "int", "choice", "bool"
    low: float | None = None
    low_op: str | None = None       # ">" or ">="
    high: float | None = None
    high_op: str | None = None      # "<" or "<="
    choices: tuple = ()

    def text(self):
        if self.kind == "bool":
            return "True or False"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        what = "an integer" if self.kind == "int" else "a finite number"
        if self.low is not None and self.high is not None:
            left = "[" if self.low_op == ">=" else "("
            right = "]" if self.high_op == "<=" else ")"
            return f"{what} in {left}{_num(self.low)}, {_num(self.high)}{right}"
        if self.low is not None:
            return f"{what} {self.low_op} {_num(self.low)}"
        if self.high is not None:
            return f"{what} {self.high_op} {_num(self.high)}"
        return what


def _num(v):
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(v)


_NUMBER = r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)"
_OP = r"(>=|<=|>|<|\\ge|\\le|\\geq|\\leq|≥|≤)"
_INTERVAL = r"in\s*([\[(])\s*" + _NUMBER + r"\s*,\s*" + _NUMBER + r"\s*([\])])"
_OPS = {"\\ge": ">=", "\\geq": ">=", "≥": ">=", "\\le": "<=", "\\leq": "<=", "≤": "<="}


def _scalar_kind(type_line):
    head = re.split(r"[,;(]| or ", type_line.strip(), maxsplit=1)[0].strip()
    words = head.split()
    if not words or " or " in type_line.split(",")[0]:
        return None
    return {"float": "float", "int": "int"}.get(words[0])


def _bound_from(kind, text):
    """A Bound from a phrase such as '> 0', 'in [0, 1)', '\\ge 0' (None if absent)."""
    m = re.search(r"\\?" + _INTERVAL, text)
    if m:
        left, low, high, right = m.groups()
        return Bound(kind, float(low), ">=" if left == "[" else ">",
                     float(high), "<=" if right == "]" else "<")
    ops = re.findall(_OP + r"\s*" + _NUMBER + r"(?![\w.*/^])", text)
    if not ops or len(ops) > 2:
        return None
    b = dict(kind=kind)
    for op, num in ops:
        op = _OPS.get(op, op)
        if op.startswith(">"):
            b.update(low=float(num), low_op=op)
        else:
            b.update(high=float(num), high_op=op)
    return Bound(**b)


def bound(type_line, description=""):
    """The Bound a docstring states for one parameter, or None.

    Read from the type line (``float > 0``, ``int in [1, 10000]``,
    ``{'a', 'b'}``, ``bool``), else from the description when its first
    sentence states the range of this parameter alone: it ends in
    ``, >= 0.`` (``"Rate of the first update, >= 0."``), or it is a
    ``:math:`` role holding one symbol and a range
    (``":math:`\\beta \\in [0, 1)`"``, ``":math:`\\epsilon \\ge 0`"``).
    Only a scalar ``float`` or ``int`` type gets a numeric bound.
    """
    t = type_line.strip()
    t_main = re.split(r",\s*default\b|,\s*optional\b", t)[0].strip()
    if re.fullmatch(r"bool", t_main):
        return Bound("bool")
    m = re.fullmatch(r"\{([^}]*)\}", t_main)
    if m:
        items = [s.strip().strip("'\"") for s in m.group(1).split(",")]
        if all(re.fullmatch(r"[\w\-. ]+", s) for s in items):
            return Bound("choice", choices=tuple(items))
        return None
    kind = _scalar_kind(t_main)
    if kind is None:
        return None
    rest = t_main.split(None, 1)[1] if len(t_main.split(None, 1)) > 1 else ""
    if rest:
        return _bound_from(kind, rest) or Bound(kind)
    first = first_sentence(description)
    m = re.search(r",\s*" + _OP + r"\s*" + _NUMBER + r"\.$", first)
    if m:
        return _bound_from(kind, f"{m.group(1)} {m.group(2)}")
    for role in re.findall(r":math:`([^`]*)`", first):
        m = re.fullmatch(r"\s*(\\?[A-Za-z]+(?:_\{?\w+\}?)?)\s*(" + _OP[1:-1] + r"|\\in)\s*(.*)",
                         role)
        if m:
            b = _bound_from(kind, f"{m.group(2)} {m.group(3)}".replace("\\in", "in"))
            if b is not None:
                return b
    return Bound(kind)


# ---------------------------------------------------------------- the table --

@dataclasses.dataclass
class Row:
    callable: str
    name: str
    type: str
    description: str
    bound: Bound | None
    default: object

    @property
    def checked(self):
        """True when the domain is a bound the contract test probes."""
        b = self.bound
        return b is not None and (b.kind in ("bool", "choice")
                                  or b.low is not None or b.high is not None)

    @property
    def domain(self):
        """The domain in words: the bound if one is stated, else the type line
        (without its default) and the first sentence of the description."""
        if self.checked:
            return self.bound.text()
        kind = re.split(r",\s*default\b|,\s*optional\b", self.type)[0].strip()
        first = first_sentence(self.description)
        if first.count("``") % 2 or first.count("`") % 2:       # markup cut in two
            first = ""
        return self._join(kind, first)

    @property
    def domain_rst(self):
        """:attr:`domain` as reST: stars of the type line escaped (``(R, *B, d)``),
        the description's markup kept, cross-references shown as code."""
        if self.checked:
            return self.bound.text()
        if not (self.type or self.description):
            return f"see the summary of :py:obj:`lrtutor.{self.callable}` in the API reference"
        kind = re.split(r",\s*default\b|,\s*optional\b", self.type)[0].strip()
        first = first_sentence(self.description)
        if first.count("``") % 2 or first.count("`") % 2:
            first = ""
        return self._join(_rst_text(kind), _refs_as_code(first))

    def _join(self, kind, first):
        # the type line, then the description's first sentence: as a sentence
        # of its own when it starts as one ("float. Rate of the first update,
        # >= 0."), after a semicolon when it starts with a symbol; a type line
        # that the docstring wraps onto the next line leaves a description that
        # opens with its parenthesis, joined with a space
        sep = " " if first.startswith("(") else ". " if first[:1].isupper() else "; "
        text = f"{kind}{sep}{first}" if kind and first else kind or first
        # a parameter without an entry of its own (an alternative constructor
        # whose one-line summary says what its arguments are)
        return text or f"see the summary of {self.callable} in the API reference"


def rows():
    """Every parameter of every public callable, in module and ``__all__`` order."""
    out = []
    for qual, obj in public_callables():
        docs = documented(obj)
        for p in parameters(obj):
            type_line, desc = docs.get(p.name, ("", ""))
            default = p.default if p.default is not p.empty else inspect.Parameter.empty
            out.append(Row(qual, p.name, type_line, desc,
                           bound(type_line, desc) if p.name in docs else None, default))
    return out


def undocumented():
    """``[(qualname, parameter)]`` missing from their docstring (so from the page)."""
    out = []
    for qual, obj in public_callables():
        docs = documented(obj)
        out += [(qual, p.name) for p in parameters(obj) if p.name not in docs]
    return out


# ------------------------------------------------------ valid calls, recorded --

def recorded_calls():
    """``{callable: [arguments, ...]}``: the valid calls of every public callable
    made by the package's own doctests (each docstring's Examples), recorded as
    bound arguments. A call that raised is not recorded. The doctests are run,
    not checked (``tests`` and ``pytest --doctest-modules`` do that)."""
    import contextlib
    import copy
    import doctest
    import io
    import warnings

    import lrtutor

    calls = {}
    targets = [obj for _, obj in public_callables()]
    undo = []

    def record(key, sig, args, kwargs):
        try:
            bound_args = sig.bind(*args, **kwargs)
        except TypeError:
            return
        try:
            arguments = copy.deepcopy(dict(bound_args.arguments))
        except Exception:           # an argument that cannot be copied: keep it as is
            arguments = dict(bound_args.arguments)
        calls.setdefault(key, []).append(arguments)

    # found before any patching: the finder only takes a module's own functions
    finder = doctest.DocTestFinder()
    tests = [t for mod in _all_modules(lrtutor) for t in finder.find(mod)]
    swap = {}           # id(function) -> its recording wrapper, for the tests' globals
    for obj in targets:
        if inspect.isclass(obj) and "__init__" in vars(obj):
            cls, init = obj, vars(obj)["__init__"]
            sig = inspect.signature(cls)

            def wrapped(self, *args, __init=init, __cls=cls, __sig=sig, **kwargs):
                __init(self, *args, **kwargs)
                if type(self) is __cls:
                    record(__cls, __sig, args, kwargs)

            cls.__init__ = wrapped
            undo.append((cls, "__init__", init))
        elif inspect.ismethod(obj) and inspect.isclass(obj.__self__):    # a classmethod
            cls, fn = obj.__self__, obj.__func__
            name = fn.__name__
            sig = inspect.signature(obj)

            def wrapped_cm(klass, *args, __fn=fn, __sig=sig, **kwargs):
                out = __fn(klass, *args, **kwargs)
                record(__fn, __sig, args, kwargs)
                return out

            original = vars(cls)[name]
            setattr(cls, name, classmethod(wrapped_cm))
            undo.append((cls, name, original))
        elif inspect.isfunction(obj):
            sig = inspect.signature(obj)

            def wrapper(*args, __fn=obj, __sig=sig, **kwargs):
                out = __fn(*args, **kwargs)
                record(__fn, __sig, args, kwargs)
                return out

            swap[id(obj)] = wrapper
            for mod in _all_modules(lrtutor):
                for name, value in list(vars(mod).items()):
                    if value is obj:
                        setattr(mod, name, wrapper)
                        undo.append((mod, name, obj))
    try:
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        for test in tests:
            for name, value in list(test.globs.items()):
                if id(value) in swap:
                    test.globs[name] = swap[id(value)]
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                runner.run(test, out=lambda s: None, clear_globs=True)
    finally:
        for owner, name, value in reversed(undo):
            setattr(owner, name, value)
    return calls


def _all_modules(package):
    out = [package]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.split(".")[1].startswith(PRESENTATION):
            continue
        out.append(importlib.import_module(info.name))
    return out


# ------------------------------------------------------------------ probing --

def probes(b):
    """``(outside, inside)`` values for a Bound: each outside value must raise a
    ``ValueError``/``TypeError`` naming the parameter, each inside value must
    be accepted. ``inside`` holds the boundary itself when it is included and a
    value a hair inside it (``1e-9`` relative, or 1 for integers) otherwise."""
    if b.kind == "bool":
        return [1.5, "yes", None], []
    if b.kind == "choice":
        return ["no such choice", 3, None], []
    outside, inside = ["0.1" if b.kind == "float" else "3", None],  []
    if b.kind == "int":
        outside.append(2.5)
    for value, op in ((b.low, b.low_op), (b.high, b.high_op)):
        if value is None:
            continue
        sign = 1 if op.startswith(">") else -1
        step = 1 if b.kind == "int" else 1e-9 * max(1.0, abs(value))
        edge = int(value) if b.kind == "int" else float(value)
        if op in (">=", "<="):
            inside.append(edge)
            outside.append(edge - sign * step)
        else:
            outside.append(edge)
            inside.append(edge + sign * step)
    if b.kind == "float":
        outside += [float("nan")]
    return outside, inside


# ---------------------------------------------------------------- rendering --

def render_rst():
    """The per-callable tables of the contract page, as reStructuredText."""
    lines = []
    current_module = None
    table = {}
    for row in rows():
        table.setdefault(row.callable, []).append(row)
    for qual, obj in public_callables():
        module = qual.split(".")[0]
        if module != current_module:
            current_module = module
            lines += [f".. rubric:: lrtutor.{module}", "   :heading-level: 2", ""]
        params = table.get(qual, [])
        sig = "(" + ", ".join(r.name for r in params) + ")"
        if not params:
            lines += [f"``{qual}()``: no parameters.", ""]
            continue
        lines += [f".. list-table:: ``{qual}{sig}``", "   :header-rows: 1",
                  "   :widths: 20 60 20", "   :class: contract-table", "",
                  "   * - parameter", "     - domain", "     - default"]
        for r in params:
            if r.default is inspect.Parameter.empty:
                default = "required"
            elif " at 0x" in repr(r.default):      # an object: no address on the page
                default = f"a ``{type(r.default).__name__}``"
            else:
                default = f"``{r.default!r}``"
            domain = r.domain_rst
            lines += [f"   * - ``{r.name}``", f"     - {domain}",
                      f"     - {default}"]
        lines.append("")
    return "\n".join(lines)


def _refs_as_code(text):
    """Docstring text as reST for the page: a cross-reference is relative to its
    module (``:func:`run```), so it is shown as code instead of linked."""
    text = " ".join(str(text).split())
    return re.sub(r":(?:func|class|mod|meth|obj|attr|data):`~?([^`]+)`", r"``\1``", text)


def _rst_text(text):
    """A docstring type line as reST: references as code, stars escaped."""
    return re.sub(r"(?<!\\)(?<!`)\*(?!`)", r"\\*", _refs_as_code(text))


if __name__ == "__main__":
    for row in rows():
        print(f"{row.callable}({row.name}): {row.domain}")
    missing = undocumented()
    if missing:
        print("\nnot documented:", ", ".join(f"{q}({n})" for q, n in missing))
