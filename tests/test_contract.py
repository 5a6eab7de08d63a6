"""The contract page (``book/contract.md``) against the code.

The page's per-parameter tables are generated (``scripts/api_contract.py``,
through the ``lrtutor-contract`` directive of ``scripts/book_ext.py``) from the
public ``__all__`` of every module and the Parameters sections of the
docstrings. These tests fail when

1. a parameter of a public callable is missing from the page (a new name or
   parameter without a docstring entry), or the page does not use the
   directive;
2. the page states a bound the code does not enforce: for every stated bound,
   a value just outside it must raise a ``ValueError`` or ``TypeError`` whose
   message names the parameter, and the boundary (when included) or a value
   a hair inside it (``1e-9`` relative; 1 for integers) must be accepted.
   ``"0.1"`` is refused where a number is stated, ``2.5`` where an integer is;
   a choice refuses a string outside it, a bool refuses ``1.5``.

The other arguments of each probe come from the package's own doctests: every
valid call the Examples sections make is recorded
(:func:`api_contract.recorded_calls`), and each probe changes one argument of
such a call. Warnings are errors.
"""

import inspect
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import api_contract as C  # noqa: E402

ROWS = C.rows()
CALLABLES = dict(C.public_callables())

#: Parameters without a docstring entry, in files this test's author does not
#: own (reported to their owners). The test fails on any *other* missing entry,
#: and on an entry of this list that has been documented (remove it then).
KNOWN_UNDOCUMENTED = {
    ("schedules.ExponentialDecay.from_factor", "init_value"),
    ("schedules.ExponentialDecay.from_factor", "gamma"),
    ("schedules.ExponentialDecay.from_rate", "init_value"),
    ("schedules.ExponentialDecay.from_rate", "beta"),
    ("schedules.ExponentialDecay.from_time_constant", "init_value"),
    ("schedules.ExponentialDecay.from_time_constant", "tau"),
    ("schedules.InverseSqrtDecay.vaswani", "d_model"),
    ("schedules.InverseSqrtDecay.vaswani", "warmup_steps"),
    ("schedules.ReduceLROnPlateau.keras", "init_value"),
    ("schedules.ReduceLROnPlateau.keras", "mode"),
    ("schedules.ReduceLROnPlateau.keras", "factor"),
    ("schedules.ReduceLROnPlateau.keras", "patience"),
    ("schedules.ReduceLROnPlateau.keras", "min_delta"),
    ("schedules.ReduceLROnPlateau.keras", "cooldown"),
    ("schedules.ReduceLROnPlateau.keras", "min_lr"),
    ("train.rate_at", "lr"),
    ("train.rate_at", "t"),
}


def test_the_page_is_generated_and_listed():
    page = (ROOT / "book" / "contract.md").read_text()
    assert ".. lrtutor-contract::" in page          # the tables come from the code
    toc = (ROOT / "_toc.yml").read_text()
    assert "book/contract" in toc and toc.index("book/contract") > toc.index("book/api")


def test_every_parameter_of_every_public_callable_is_on_the_page():
    rst = C.render_rst()
    for qual, obj in CALLABLES.items():
        if not C.parameters(obj):
            assert f"``{qual}()``" in rst
            continue
        sig = "(" + ", ".join(p.name for p in C.parameters(obj)) + ")"
        assert f"``{qual}{sig}``" in rst, qual
    for row in ROWS:                                 # one table row per parameter
        assert f"* - ``{row.name}``" in rst
    missing = set(C.undocumented())
    assert missing <= KNOWN_UNDOCUMENTED, sorted(missing - KNOWN_UNDOCUMENTED)
    assert not KNOWN_UNDOCUMENTED - missing, (
        "documented now, remove from KNOWN_UNDOCUMENTED:",
        sorted(KNOWN_UNDOCUMENTED - missing))


def test_the_generator_finds_every_public_module_and_name():
    import importlib
    import pkgutil

    import lrtutor
    on_disk = {m.name for m in pkgutil.iter_modules(lrtutor.__path__)
               if not m.name.startswith(("_",) + C.PRESENTATION)}
    assert {m.__name__.split(".")[1] for m in C.public_modules()} == on_disk
    for name in on_disk:
        mod = importlib.import_module(f"lrtutor.{name}")
        for public in mod.__all__:
            obj = getattr(mod, public)
            if callable(obj) and not C._is_state(obj):
                assert f"{name}.{public}" in CALLABLES


def test_the_bound_parser():
    B = C.Bound
    assert C.bound("float > 0") == B("float", 0.0, ">")
    assert C.bound("int in [1, 10000]") == B("int", 1.0, ">=", 10000.0, "<=")
    assert C.bound("float in [0, 1)") == B("float", 0.0, ">=", 1.0, "<")
    assert C.bound("float", "Rate of the first update, >= 0.") == B("float", 0.0, ">=")
    assert C.bound("float, default 0.9", r"Momentum :math:`\beta \in [0, 1)`.") == \
        B("float", 0.0, ">=", 1.0, "<")
    assert C.bound("float, default 0.0", r"L2 coefficient :math:`\lambda \ge 0`.") == \
        B("float", 0.0, ">=")
    assert C.bound("{'min', 'max'}") == B("choice", choices=("min", "max"))
    assert C.bound("bool, default False") == B("bool")
    # a bound on another quantity, or on an expression, is not this parameter's
    assert C.bound("bool", "Needs ``momentum > 0``.") == B("bool")
    assert C.bound("float", r"Must be stable, :math:`\eta\lambda < 2`.") == B("float")
    assert C.bound("float > low") == B("float")
    assert C.bound("array_like, shape (d,)", "all > 0") is None


BOUNDED = [r for r in ROWS if r.bound is not None and (
    r.bound.kind in ("bool", "choice") or r.bound.low is not None
    or r.bound.high is not None)]


@pytest.fixture(scope="module")
def calls():
    return C.recorded_calls()


def _call(obj, arguments):
    sig = inspect.signature(obj)
    bound = inspect.BoundArguments(sig, dict(arguments))
    return obj(*bound.args, **bound.kwargs)


def _base(calls, obj, name):
    """The recorded valid calls of ``obj`` that pass ``name`` explicitly or by
    default (any of them; the first that is still valid is used)."""
    return calls.get(getattr(obj, "__func__", obj), []) or calls.get(obj, [])


def test_every_stated_bound_has_a_recorded_valid_call(calls):
    without = sorted({r.callable for r in BOUNDED
                      if not _base(calls, CALLABLES[r.callable], r.name)})
    assert not without, ("no doctest calls these; add an Examples section:", without)


@pytest.mark.parametrize("row", BOUNDED, ids=[f"{r.callable}-{r.name}" for r in BOUNDED])
def test_each_stated_bound_is_the_one_enforced(row, calls):
    obj = CALLABLES[row.callable]
    bases = _base(calls, obj, row.name)
    if not bases:
        pytest.skip("no recorded call (see the test above)")
    outside, inside = C.probes(row.bound)
    if row.default is None:                 # optional: None means "not given"
        outside = [v for v in outside if v is not None]
    others = [p.name for p in C.parameters(obj) if p.name != row.name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        base = bases[0]
        for value in outside:
            with pytest.raises((ValueError, TypeError)) as info:
                _call(obj, dict(base, **{row.name: value}))
            assert _names(str(info.value), row.name), (row.name, value, str(info.value))
        for value in inside:
            try:
                _call(obj, dict(base, **{row.name: value}))
            except ValueError as exc:
                # a joint constraint with another argument of the recorded call
                # ("mu must be ... <= 1e-09 (L)"): the message names both
                msg = str(exc)
                assert _names(msg, row.name) and any(_names(msg, o) for o in others), (
                    f"{row.callable}: the page says {row.name} = {value!r} is valid "
                    f"(domain {row.domain!r}), the code says: {msg}")


def _names(message, name):
    import re
    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", message) is not None
