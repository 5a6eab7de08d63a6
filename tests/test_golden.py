"""lrtutor against values recorded from PyTorch, optax and Keras.

``tests/golden/golden.json`` holds rates and iterates printed by the
frameworks (versions in its ``versions`` field; Hugging Face ``transformers``
and Fairseq's own scheduler source for the modern schedules), written by
``tests/golden/record.py``. This module needs none of the frameworks: it
rebuilds each configuration from the recorded seed with the same draw
functions (``tests/golden/frameworks.py``), checks that the parameters are the
recorded ones, and compares every step, so CI without PyTorch still checks
every schedule across all its boundaries (warmup ends, milestones, restarts,
cycle turns, the end of a decay). ``tests/test_conformance.py`` does the same
live, over many more random configurations, where the frameworks are
installed. Tolerances as there: ``1e-12`` relative (plus ``1e-14`` of the
peak for rates), Keras at float32 precision; optimizer trajectories against
their own one-ulp sensitivity, with and without the machine's BLAS (see
``test_optimizer_matches_recorded_torch``).
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(HERE))
import frameworks as F  # noqa: E402
import record as R  # noqa: E402

from lrtutor import schedules as S  # noqa: E402

GOLDEN = json.loads((HERE / "golden.json").read_text())
CASES = R.schedule_cases()


def _close(actual, expected, rtol=1e-12, peak=1e-14):
    expected = np.asarray(expected, dtype=np.float64)
    tol = rtol * np.abs(expected) + peak * np.max(np.abs(expected), initial=0.0)
    return np.abs(np.asarray(actual) - expected) <= tol


def test_recorded_versions():
    assert GOLDEN["versions"]["torch"].startswith("2.13")
    assert GOLDEN["versions"]["keras"].startswith("3.")
    assert "transformers" in GOLDEN["versions"] and "fairseq" in GOLDEN["versions"]
    assert GOLDEN["seeds"]["schedules"] == [R.SEED, R.PER_KIND, R.N]


def test_every_schedule_kind_is_recorded():
    kinds = {e["kind"] for e in GOLDEN["schedules"]}
    # a plateau controller and a per-run stack of schedules have no single curve;
    # the compositions of issue 15 are recorded in schedules_extra.json
    # (tests/test_schedules_extra_golden.py)
    extra = {"LambdaSchedule", "Multiplicative", "Chained"}
    assert extra <= {e["kind"] for e in json.loads(
        (HERE / "schedules_extra.json").read_text())["cases"]}
    assert kinds | extra == set(S.__all__) - {"ReduceLROnPlateau", "PerRun"}
    for kind in kinds:        # every kind has at least one framework's numbers
        entries = [e for e in GOLDEN["schedules"] if e["kind"] == kind]
        assert any(k in e for e in entries
                   for k in ("torch", "optax", "keras", "transformers", "fairseq")), kind


@pytest.mark.parametrize("index", range(len(CASES)),
                         ids=[f"{c.kind}-{i}" for i, c in enumerate(CASES)])
def test_schedule_matches_recorded_frameworks(index):
    case, entry = CASES[index], GOLDEN["schedules"][index]
    assert entry["kind"] == case.kind
    assert entry["params"] == json.loads(json.dumps(R._clean(case.params))), \
        "the draw changed: re-run tests/golden/record.py"
    for source in ("torch", "optax", "keras", "transformers", "fairseq"):
        if source not in entry:
            continue
        ref = np.array(entry[source])
        ours = case.sched(np.arange(len(ref)))
        if source == "keras":
            ok = _close(ours, ref, rtol=1e-6, peak=1e-7)
        elif source == "optax" and case.kind == "PolynomialDecay":
            T = case.params["decay_steps"]      # optax/XLA artefact at t >= T
            ok = _close(ours[:T], ref[:T])      # (see test_conformance)
        else:
            ok = _close(ours, ref)
        assert ok.all(), (source, np.flatnonzero(~ok)[:5])


MOMENTUM = [i for i, c in enumerate(CASES) if c.kind in ("Cyclic", "OneCycle")]


@pytest.mark.parametrize("index", MOMENTUM, ids=[f"{CASES[i].kind}-{i}" for i in MOMENTUM])
def test_cycle_momentum_matches_recorded_torch(index):
    case, entry = CASES[index], GOLDEN["schedules"][index]
    ref = np.array(entry["torch_momentum"])       # cycle_momentum, base 0.8, max 0.9
    assert _close(case.sched.momentum(np.arange(len(ref)), 0.8, 0.9), ref).all()


@pytest.mark.parametrize("index", range(len(GOLDEN["plateau"])))
def test_plateau_matches_recorded_torch_and_keras(index):
    entry = GOLDEN["plateau"][index]
    init, kw, metrics = R.plateau_cases()[index]
    assert entry["kwargs"] == R._clean(kw) and entry["init_value"] == init
    plateau = S.ReduceLROnPlateau(init, **kw)
    got = [plateau.step(m) for m in entry["metrics"]]
    assert _close(got, entry["torch"]).all()
    keras = F.lrtutor_keras_plateau(S, init, kw)
    got = [keras.step(m) for m in entry["metrics"]]
    assert _close(got, entry["keras"]).all()


OPT_CASES = R.optimizer_cases()

# Whole recorded trajectories (50 steps, the gradient A x - b computed by the
# BLAS of whichever machine runs the test), compared step by step with
#
#     gap_t <= FLOOR + DRIFT_FACTOR * drift_t,
#
# both relative to the largest |x| of the recorded run. ``drift_t`` is the
# iteration's own sensitivity: the largest distance by step t between runs
# from x0 and from x0 moved one ulp up or down (lrtutor's runs: the map is the
# one torch iterates, and torch is not installed here). The libraries, and two
# BLAS builds, differ by a few ulps in every step, not once: for the
# contracting configurations that adds up to at most about 4 ulps x 50 steps
# = 4.4e-14, which FLOOR = 1e-12 covers 20 times over; where the dynamics
# amplify rounding (centered RMSprop dividing by a cancelling sqrt(v - g^2)),
# the gap grows like the one-ulp drift, and DRIFT_FACTOR = 10 times it is
# allowed (tests/test_conformance.py measures ratios up to 3.9 against torch).
# The check is repeated with the gradient rounded exactly once (math.fsum):
# another BLAS sums in another order, and must pass the same bound.
FLOOR, DRIFT_FACTOR = 1e-12, 10


def _trajectory(opt, A, b, x0, steps, matvec):
    x = np.array(x0, dtype=np.float64)
    state = opt.init(x)
    out = [x]
    for _ in range(steps):
        x, state = opt.update(matvec(A, x) - b, state, x)
        out.append(x)
    return np.array(out)


def _blas(A, x):
    return A @ x


def _exact(A, x):
    """A x with each entry rounded once, as no BLAS orders its sums."""
    import math
    return np.array([math.fsum(row * x) for row in A])


def _gaps(ours, ref):
    scale = np.max(np.abs(ref))
    return np.max(np.abs(np.asarray(ours) - ref), axis=1) / scale


@pytest.mark.parametrize("index", range(len(OPT_CASES)),
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(OPT_CASES)])
def test_optimizer_matches_recorded_torch(index):
    kind, A, b, x0, opt, name, kw = OPT_CASES[index]
    entry = GOLDEN["optimizers"][index]
    assert entry["kind"] == kind and entry["kwargs"] == R._clean(kw)
    ref = np.array(entry["torch"])
    steps = len(ref) - 1
    own = _trajectory(opt, A, b, x0, steps, _blas)
    drift = np.zeros(len(ref))
    for direction in (np.inf, -np.inf):
        nudged = _trajectory(opt, A, b, np.nextafter(x0, direction), steps, _blas)
        drift = np.maximum(drift, _gaps(nudged, own))
    allowed = FLOOR + DRIFT_FACTOR * np.maximum.accumulate(drift)
    for matvec in (_blas, _exact):
        gap = _gaps(_trajectory(opt, A, b, x0, steps, matvec), ref)
        assert np.all(gap <= allowed), (matvec.__name__, int(np.argmax(gap > allowed)),
                                        float(gap.max()), float(allowed.max()))


def test_golden_optimizer_bound_can_fail():
    """The bound is tight enough to see a real difference: SGD with its rate
    1e-9 off, or Adam with its epsilon 1% off, fails it."""
    from lrtutor import optim as O
    for index, (kind, A, b, x0, opt, name, kw) in enumerate(OPT_CASES):
        if kind == "SGD":
            wrong = O.SGD(**dict(kw, lr=kw["lr"] * (1 + 1e-9)))
        elif kind == "Adam" and kw["eps"] >= 1e-6:
            wrong = O.Adam(**dict(kw, eps=kw["eps"] * 1.01))
        else:
            continue
        ref = np.array(GOLDEN["optimizers"][index]["torch"])
        gap = _gaps(_trajectory(wrong, A, b, x0, len(ref) - 1, _blas), ref)
        assert gap.max() > FLOOR + DRIFT_FACTOR * 1e-15, (kind, index, gap.max())


def test_golden_boundaries_are_covered():
    """The recorded curves cross the boundaries they are meant to check."""
    by_kind = {}
    for case in CASES:
        by_kind.setdefault(case.kind, []).append(case)
    assert any(c.params["step_size"] < R.N for c in by_kind["StepDecay"])
    assert any(c.params["warmup_steps"] < R.N for c in by_kind["Warmup"])
    assert {"T" in c.params for c in by_kind["Warmup"]} == {True, False}   # both inner schedules
    assert any(c.params["T_0"] < R.N // 2 for c in by_kind["CosineWarmRestarts"])
    assert any(c.params["total_steps"] == c.n for c in by_kind["OneCycle"])
    assert any(c.params["decay_steps"] < R.N for c in by_kind["PolynomialDecay"])
    wsd = by_kind["WarmupStableDecay"]      # past the horizon, and every cooldown shape
    assert any(c.params["total_steps"] < R.N for c in wsd)
    assert {c.params["decay_shape"] for c in wsd} == {"linear", "cosine", "1-sqrt"}
    recorded = [e for e in GOLDEN["schedules"] if e["kind"] == "InverseSqrtDecay"]
    assert any("fairseq" in e for e in recorded) and any("transformers" in e for e in recorded)
    assert any("fairseq" in e and e["params"]["init_value"] == 0.0 for e in recorded)
