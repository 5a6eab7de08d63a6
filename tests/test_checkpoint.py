"""Tests of lrtutor.checkpoint: plain data in and out, and runs resumed exactly.

The promise is bit for bit: a state saved to plain data (and through JSON
text) and loaded again continues exactly as the object it came from, and a
run interrupted after ``a`` updates and resumed to ``n`` is the run of ``n``
updates made in one go. These tests therefore compare with exact equality
(the bytes of every array, the bits of every float): both sides run on the
same machine, with the same operations on the same numbers in the same order,
so there is no rounding difference to tolerate, and any difference at all is
a resume bug (a counter restored one off, a batch drawn twice, a buffer
rebuilt instead of restored). This is not a comparison across BLAS builds.
"""

import dataclasses
import json
import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtutor import checkpoint as C
from lrtutor import optim, problems, schedules, train
from lrtutor.network import MLP


# --- exact comparison ---------------------------------------------------------

def assert_identical(a, b, where="value"):
    """``a`` and ``b`` are the same, down to the type and the bits of every float."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray) or isinstance(a, np.generic):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape}"
        assert a.tobytes() == b.tobytes(), f"{where}: arrays differ\n{a!r}\n{b!r}"
    elif isinstance(a, float):
        assert struct.pack("<d", a) == struct.pack("<d", b), f"{where}: {a!r} != {b!r}"
    elif isinstance(a, tuple):
        assert len(a) == len(b), where
        names = getattr(a, "_fields", range(len(a)))
        for name, u, v in zip(names, a, b):
            assert_identical(u, v, f"{where}.{name}")
    elif isinstance(a, list):
        assert len(a) == len(b), f"{where}: lengths {len(a)} != {len(b)}"
        for i, (u, v) in enumerate(zip(a, b)):
            assert_identical(u, v, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            assert_identical(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, train.Trace):
        for f in dataclasses.fields(train.Trace):
            assert_identical(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def round_trip(obj, via_json=True):
    data = C.to_plain(obj)
    if via_json:
        data = json.loads(json.dumps(data, allow_nan=False))     # strict JSON
    return C.from_plain(data)


# --- optimizer states ----------------------------------------------------------

def optimizer_classes():
    """Every optimizer of lrtutor.optim (new ones are covered automatically)."""
    out = []
    for name in optim.__all__:
        obj = getattr(optim, name)
        if isinstance(obj, type) and callable(getattr(obj, "init", None)) \
                and callable(getattr(obj, "update", None)):
            out.append(obj)
    return out


# configurations that change a state's layout or its numbers (used where the
# class has those fields; a class not listed runs with its defaults)
EXTRAS = {
    "SGD": [dict(momentum=0.9), dict(momentum=0.9, nesterov=True), dict(weight_decay=0.1)],
    "HeavyBall": [dict(beta=0.9, nesterov=True)],
    "EMAMomentum": [dict(beta=0.5)],
    "AdaGrad": [dict(lr_decay=0.1, initial_accumulator_value=0.1)],
    "RMSprop": [dict(centered=True), dict(momentum=0.5), dict(centered=True, momentum=0.5)],
    "Adam": [dict(amsgrad=True), dict(weight_decay=0.1)],
    "AdamW": [dict(amsgrad=True)],
    "ScheduleFreeSGD": [dict(warmup_steps=3)],
    "ScheduleFreeAdamW": [dict(warmup_steps=3, weight_decay=0.1)],
    "Adadelta": [dict(rho=0.5, weight_decay=0.1)],
    "NAdam": [dict(momentum_decay=0.01, decoupled_weight_decay=True, weight_decay=0.1)],
    "RAdam": [dict(decoupled_weight_decay=True, weight_decay=0.1)],
    "Adamax": [dict(weight_decay=0.1)],
    "Yogi": [dict(initial_accumulator_value=0.1)],
    "Lion": [dict(weight_decay=0.1)],
}


def configurations():
    out = []
    for cls in optimizer_classes():
        fields = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) \
            else set()
        for extra in [{}] + EXTRAS.get(cls.__name__, []):
            if set(extra) <= fields:
                out.append(pytest.param(cls, extra, id=f"{cls.__name__}{extra or ''}"))
    return out


def test_every_optimizer_is_configured():
    names = {p.values[0].__name__ for p in configurations()}
    assert names == {c.__name__ for c in optimizer_classes()} and len(names) >= 9


def _rates(kind):
    return {"float": 0.05, "schedule": schedules.CosineDecay(0.05, 30),
            "array": np.array([0.01, 0.05, 0.2])}[kind]


@pytest.mark.parametrize("cls, extra", configurations())
@settings(max_examples=12)
@given(n=st.integers(0, 30), data=st.data(), seed=st.integers(0, 2**16),
       lr=st.sampled_from(["float", "schedule", "array"]), via_json=st.booleans())
def test_optimizer_state_resumes_exactly(cls, extra, n, data, seed, lr, via_json):
    """Interrupted after k updates, saved, loaded and continued: the same iterates
    and the same state as n updates in one go, bit for bit (see the module's
    docstring for why exact equality is the right test)."""
    k = data.draw(st.integers(0, n), label="k")
    rng = np.random.default_rng(seed)
    problem = problems.Quadratic.random(4, 50.0, 0.5, rng)
    opt = cls(lr=_rates(lr), **extra)
    x0 = rng.normal(size=(3, 4) if lr == "array" else 4)

    def steps(x, state, count):
        for _ in range(count):
            x, state = opt.update(problem.grad(x) + 0.1, state, x)
        return x, state

    x_ref, s_ref = steps(x0, opt.init(x0), n)
    x, s = steps(x0, opt.init(x0), k)
    x, s = steps(x, round_trip(s, via_json), n - k)
    assert_identical(x, x_ref, "params")
    assert_identical(s, s_ref, "state")


@given(bits=st.lists(st.integers(0, 2**64 - 1), max_size=12),
       bits32=st.lists(st.integers(0, 2**32 - 1), max_size=6),
       scalar=st.integers(0, 2**64 - 1), count=st.integers(0, 2**62))
def test_every_float_comes_back_with_its_bits(bits, bits32, scalar, count):
    """Any float64 or float32 (NaN payloads, signed zeros, subnormals, inf) and
    Python floats outside arrays, through strict JSON."""
    buf = np.array(bits, dtype=np.uint64).view(np.float64)
    state = optim.ScheduleFreeState(
        count=count, z=buf, x=np.array(bits32, dtype=np.uint32).view(np.float32),
        v=None, weight_sum=struct.unpack("<d", struct.pack("<Q", scalar))[0],
        lr_max=np.float64(-0.0))
    back = round_trip(state)
    assert_identical(back, state)


def test_special_values_are_readable_in_the_plain_data():
    x = np.array([1.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 5e-324])
    data = C.to_plain(optim.SGDState(3, x))
    assert data == {"kind": "optimizer_state", "version": C.VERSION, "class": "SGDState",
                    "fields": {"count": 3, "buf": {
                        "__ndarray__": "float64", "shape": [7],
                        "data": [1.0, -0.0, "inf", "-inf", "nan", "nan:fff8000000000000",
                                 5e-324]}}}
    json.dumps(data, allow_nan=False)


# --- ReduceLROnPlateau ---------------------------------------------------------

METRICS = st.lists(st.sampled_from([1.0, 0.999, 0.99, 0.9, 0.5, 1.5, 2.0, math.inf,
                                    math.nan]), max_size=30)


@settings(max_examples=60)
@given(metrics=METRICS, mode=st.sampled_from(["min", "max"]),
       threshold_mode=st.sampled_from(["rel", "abs"]), patience=st.integers(0, 3),
       cooldown=st.integers(0, 3), keras=st.booleans(), via_json=st.booleans())
def test_plateau_resumes_exactly(metrics, mode, threshold_mode, patience, cooldown, keras,
                                 via_json):
    """Interrupted after any epoch (mid-patience, mid-cooldown...), saved and
    loaded: the same rates and the same state as one uninterrupted object."""
    def make():
        if keras:
            return schedules.ReduceLROnPlateau.keras(0.1, mode, 0.5, patience,
                                                     min_delta=0.005, cooldown=cooldown,
                                                     min_lr=0.01)
        return schedules.ReduceLROnPlateau(0.1, mode, 0.5, patience, 0.005, threshold_mode,
                                           cooldown, 0.01)

    ref = make()
    ref_rates = [ref.step(m) for m in metrics]
    for k in range(len(metrics) + 1):
        first = make()
        rates = [first.step(m) for m in metrics[:k]]
        resumed = round_trip(first, via_json)
        assert_identical(resumed.history, first.history)
        rates += [resumed.step(m) for m in metrics[k:]]
        assert_identical(rates, ref_rates)
        for f in dataclasses.fields(ref):
            assert_identical(getattr(resumed, f.name), getattr(ref, f.name), f.name)


def test_plateau_interrupted_mid_patience_and_mid_cooldown():
    metrics = [1.0, 0.9] + [0.95] * 12 + [0.5, 0.6, 0.6]    # cuts after 3 bad epochs

    def make():
        return schedules.ReduceLROnPlateau(0.1, factor=0.5, patience=2, cooldown=2)

    ref = make()
    expected = [ref.step(m) for m in metrics]
    seen, naive_wrong = set(), set()
    for k in range(len(metrics) + 1):
        first = make()
        for m in metrics[:k]:
            first.step(m)
        where = {name for name, counter in (("patience", first.num_bad_epochs),
                                            ("cooldown", first.cooldown_counter)) if counter}
        seen |= where
        resumed = round_trip(first)
        assert [resumed.step(m) for m in metrics[k:]] == expected[k:]
        # restoring only the rate and the best metric, as a naive resume might,
        # loses the counters: the next cut comes at another epoch
        naive = make()
        naive.lr, naive.best = first.lr, first.best
        if [naive.step(m) for m in metrics[k:]] != expected[k:]:
            naive_wrong |= where
    assert seen == naive_wrong == {"patience", "cooldown"}


# --- generators ----------------------------------------------------------------

@pytest.mark.parametrize("bits", ["PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"])
def test_generator_draws_what_it_would_have_drawn(bits):
    g = np.random.Generator(getattr(np.random, bits)(7))
    g.normal(size=5)
    g.integers(0, 2**32, dtype=np.uint32, size=3)     # leaves half a 64-bit word buffered
    copy = round_trip(g)
    assert type(copy.bit_generator).__name__ == bits
    assert_identical(copy.bit_generator.state, g.bit_generator.state)
    assert_identical(copy.integers(0, 2**32, dtype=np.uint32, size=5),
                     g.integers(0, 2**32, dtype=np.uint32, size=5))
    assert_identical(copy.permutation(20), g.permutation(20))
    copy.random(3)                                   # independent of the original
    assert not np.array_equal(copy.random(3), g.random(3))


# --- training runs -------------------------------------------------------------

X_LIN, Y_LIN = problems.make_linear_data(n=23, rng=np.random.default_rng(3))
LIN = problems.LinearRegression(X_LIN, Y_LIN)
MONITORS = {"norm": lambda x: np.linalg.norm(x, axis=-1)}


def _interrupted_and_whole(problem, opt, x0, n, a, make_rng, via_json, pass_rng, **options):
    """The run of n updates, and the same run interrupted after a and resumed."""
    rng_whole, rng_first = make_rng(), make_rng()
    whole = train.run(problem, opt, x0, n, rng=rng_whole, **options)
    first = train.run(problem, opt, x0, a, rng=rng_first, **options)
    saved = round_trip(first, via_json)
    rest = train.run(problem, opt, x0, n, rng=rng_first if pass_rng else None, resume=saved,
                     **options)
    if pass_rng and rng_whole is not None:
        assert_identical([r.bit_generator.state for r in np.atleast_1d(rng_first)],
                         [r.bit_generator.state for r in np.atleast_1d(rng_whole)])
    return first, rest, whole


@settings(max_examples=80)
@given(data=st.data(), n=st.integers(0, 25), opt_i=st.integers(0, 10**6),
       lr=st.sampled_from(["float", "schedule", "array"]),
       batch_size=st.sampled_from([None, 1, 4, 7, 23]),
       sampling=st.sampled_from(["iid", "epoch"]), record_every=st.integers(1, 5),
       eval_every=st.sampled_from([None, 1, 2, 3]), clip=st.sampled_from([None, 1.0]),
       blowup=st.sampled_from([1e8, 50.0, 3.0]), via_json=st.booleans(),
       pass_rng=st.booleans(), seed=st.integers(0, 100))
def test_run_interrupted_anywhere_resumes_exactly(data, n, opt_i, lr, batch_size, sampling,
                                                  record_every, eval_every, clip, blowup,
                                                  via_json, pass_rng, seed):
    """run(a) saved to plain data, loaded and resumed to n == run(n): params,
    losses, rates, gradient norms, batch losses, evaluations, divergence steps,
    optimizer state, checkpoint and the generator's final state, bit for bit.
    Rates up to 3 diverge on this problem, at various steps (blowup 3: early)."""
    a = data.draw(st.integers(0, n), label="a")
    configs = [p.values for p in configurations()]
    cls, extra = configs[opt_i % len(configs)]
    rates = {"float": 0.05, "schedule": schedules.CosineDecay(0.4, 20),
             "array": np.array([0.01, 0.3, 1.2, 3.0])}[lr]
    opt = cls(lr=rates, **extra)
    x0 = np.zeros((4, LIN.dim)) if lr == "array" else np.zeros(LIN.dim)
    options = dict(batch_size=batch_size, sampling=sampling, record_every=record_every,
                   eval_every=eval_every, monitors=MONITORS if eval_every else None,
                   clip_norm=clip, blowup=blowup)

    def make_rng():
        return None if batch_size is None else np.random.default_rng(seed)

    first, rest, whole = _interrupted_and_whole(LIN, opt, x0, n, a, make_rng, via_json,
                                                pass_rng, **options)
    assert_identical(rest, whole, "trace")
    assert rest.message(None if lr != "array" else 3) == \
        whole.message(None if lr != "array" else 3)


def test_resuming_with_nothing_left_gives_the_interrupted_run():
    for batch_size in (None, 5):
        opts = dict(batch_size=batch_size, record_every=4, eval_every=3, monitors=MONITORS)
        first = train.run(LIN, optim.Adam(0.1), np.zeros(LIN.dim), 7,
                          rng=np.random.default_rng(0), **opts)
        again = train.run(LIN, optim.Adam(0.1), np.zeros(LIN.dim), 7, resume=round_trip(first),
                          **opts)
        assert_identical(again, first, "trace")


def test_chained_resumes_equal_one_run():
    opt = optim.ScheduleFreeAdamW(lr=np.array([0.01, 0.1, 2.0]), warmup_steps=4)
    opts = dict(batch_size=3, sampling="epoch", record_every=3, eval_every=2, monitors=MONITORS)
    x0 = np.zeros((3, LIN.dim))
    whole = train.run(LIN, opt, x0, 40, rng=np.random.default_rng(1), **opts)
    trace = train.run(LIN, opt, x0, 5, rng=np.random.default_rng(1), **opts)
    for n in (6, 13, 13, 29, 40):
        trace = train.run(LIN, opt, x0, n, resume=round_trip(trace), **opts)
    assert_identical(trace, whole, "trace")


def test_a_divergence_found_only_by_the_last_full_loss_is_rechecked_on_resume():
    """A stochastic run records its last step and judges it by the full loss; a
    longer run judges that step by its batch loss. The checkpoint keeps the
    longer run's view, so resuming neither loses nor invents a divergence."""
    opt = optim.SGD(lr=np.array([0.01, 0.1, 0.5, 0.9, 1.5, 3.0]))
    opts = dict(batch_size=4, record_every=2, blowup=2.0)
    x0 = np.zeros((6, LIN.dim))
    first = train.run(LIN, opt, x0, 1, rng=np.random.default_rng(1), **opts)
    assert first.diverged_at[5] == 1 and first.checkpoint["diverged_at"][5] == -1
    whole = train.run(LIN, opt, x0, 12, rng=np.random.default_rng(1), **opts)
    rest = train.run(LIN, opt, x0, 12, resume=round_trip(first), **opts)
    assert_identical(rest, whole, "trace")
    assert rest.message(5) == whole.message(5)


def test_a_diverged_run_resumed_stays_diverged():
    q = problems.Quadratic.one_d(1.0)
    opt = optim.SGD(lr=np.array([0.5, 2.5, 3.0]))
    x0 = np.ones((3, 1))
    whole = train.run(q, opt, x0, 60)
    assert whole.diverged_at.tolist()[0] == -1 and min(whole.diverged_at[1:]) > 0
    for a in (0, 20, int(whole.diverged_at[2]), 59, 60):
        rest = train.run(q, opt, x0, 60, resume=round_trip(train.run(q, opt, x0, a)))
        assert_identical(rest, whole, "trace")
        assert [rest.message(i) for i in range(3)] == [whole.message(i) for i in range(3)]
    # every run diverged before the interruption: nothing is left to do
    alone = optim.SGD(lr=3.0)
    done = train.run(q, alone, [1.0], 30)
    assert done.diverged
    rest = train.run(q, alone, [1.0], 100, resume=round_trip(done))
    assert_identical(rest, train.run(q, alone, [1.0], 100), "trace")
    assert rest.message() == done.message() == f"diverged at step {int(done.diverged_at)}"


@pytest.mark.parametrize("sampling", ["iid", "epoch"])
def test_network_run_with_seeds_validation_and_update_ratios_resumes_exactly(sampling):
    net = MLP(np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 3, hidden=(5,))
    x0 = net.init(np.random.default_rng(0), k=3)
    opt = optim.Adam(lr=np.array([0.01, 0.3, 30.0]))
    opts = dict(batch_size=6, sampling=sampling, record_every=4, eval_every=5,
                validation=(net.X[:10], net.y[:10]), track_update_ratio=True, clip_norm=5.0)

    def make_rng():
        return [np.random.default_rng(s) for s in (5, 6, 7)]

    for a in (0, 6, 7, 13, 14, 30):             # 7 steps an epoch: inside and at the edges
        first, rest, whole = _interrupted_and_whole(net, opt, x0, 30, a, make_rng,
                                                    a % 2 == 0, a % 3 == 0, **opts)
        assert_identical(rest, whole, "trace")
    assert whole.update_ratios.shape == (30, 3, 2) and whole.evals["val_loss"].shape == (7, 3)


# --- what from_plain refuses ---------------------------------------------------

def _plain_trace():
    return C.to_plain(train.run(LIN, optim.Adam(0.1), np.zeros(LIN.dim), 5,
                                rng=np.random.default_rng(0), batch_size=4))


def _edit(data, path, value):
    data = json.loads(json.dumps(data))
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


STATE = C.to_plain(optim.Adam(0.1).init(np.zeros(2)))
PLATEAU = C.to_plain(schedules.ReduceLROnPlateau(0.1, patience=2, cooldown=1))
GENERATOR = C.to_plain(np.random.default_rng(0))


@pytest.mark.parametrize("data, path, value, error, match", [
    (STATE, ["kind"], "state", ValueError, r"data\['kind'\] must be one of"),
    (STATE, ["version"], 2, ValueError, r"data\['version'\] must be 1"),
    (STATE, ["version"], True, ValueError, r"data\['version'\]"),
    (STATE, ["extra"], 1, ValueError, r"data must have exactly the keys"),
    (STATE, ["class"], "FooState", ValueError, r"data\['class'\] must name an optimizer"),
    (STATE, ["fields", "v_max"], KeyError, ValueError, r"data\['fields'\] must have exactly"),
    (STATE, ["fields", "count"], -1, ValueError, r"data\['fields'\]\['count'\]"),
    (STATE, ["fields", "m", "shape"], [3], ValueError,
     r"data\['fields'\]\['m'\]\['data'\] must be a list of 3"),
    (STATE, ["fields", "m", "shape"], [-2, -1], ValueError, r"\['m'\]\['shape'\]"),
    (STATE, ["fields", "m", "__ndarray__"], "object", ValueError, r"\['m'\]\['__ndarray__'\]"),
    (STATE, ["fields", "m", "data"], ["nan:zz", 0.0], ValueError, r"\['m'\]\['data'\]\[0\]"),
    (STATE, ["fields", "m", "data"], ["1.0", 0.0], ValueError, r"\['m'\]\['data'\]\[0\]"),
    (STATE, ["fields", "m", "data"], [True, 0.0], ValueError, r"\['m'\]\['data'\]\[0\]"),
    (STATE, ["fields", "m", "data"], [10**400, 0.0], ValueError, r"\['m'\]\['data'\]\[0\]"),
    (STATE, ["fields", "m"], "abc", TypeError, r"data\['fields'\]\['m'\] must be an array"),
    (STATE, ["fields", "m"], {"__weird__": 1}, ValueError, r"data\['fields'\]\['m'\]"),
    (PLATEAU, ["config", "factor"], 2.0, ValueError, r"data\['config'\].*factor"),
    (PLATEAU, ["state", "cooldown_counter"], 5, ValueError,
     r"data\['state'\]\['cooldown_counter'\]"),
    (PLATEAU, ["state", "history"], [0.1, -1.0], ValueError, r"\['history'\]\[1\]"),
    (PLATEAU, ["state", "best"], {"__float__": "nan"}, ValueError, r"\['best'\]"),
    (GENERATOR, ["state", "bit_generator"], "Nope", ValueError, r"data\['state'\]"),
    (GENERATOR, ["state", "state"], {"state": "x"}, ValueError, r"data\['state'\]"),
    (_plain_trace(), ["fields", "losses"], {"__ndarray__": "float64", "shape": [2],
                                            "data": [1.0, 2.0]}, ValueError,
     r"data\['fields'\] is not a consistent trace: .*losses"),
    (_plain_trace(), ["fields", "checkpoint", "step"], 4, ValueError, r"checkpoint\['step'\]"),
    (_plain_trace(), ["fields", "checkpoint", "pos"], -1, ValueError, r"checkpoint\['pos'\]"),
    (_plain_trace(), ["fields", "checkpoint", "rng"], [], TypeError, r"checkpoint\['rng'\]"),
    (_plain_trace(), ["fields", "state", "fields", "count"], "1", TypeError,
     r"data\['fields'\]\['state'\]\['fields'\]\['count'\]"),
])
def test_bad_plain_data_is_named(data, path, value, error, match):
    with pytest.raises(error, match=match):
        C.from_plain(_edit(data, path, value))


def test_from_plain_checks_its_arguments():
    with pytest.raises(TypeError, match="data must be a dict"):
        C.from_plain([1, 2])
    with pytest.raises(ValueError, match=r"data\['kind'\] must be 'Trace'"):
        C.from_plain(STATE, kind="Trace")
    with pytest.raises(ValueError, match="kind must be None or one of"):
        C.from_plain(STATE, kind="trace")
    assert type(C.from_plain(STATE, kind="optimizer_state")).__name__ == "AdamState"


def test_to_plain_refuses_what_it_cannot_save():
    for obj in (optim.SGD(0.1), object(), (0.9, 0.999), {"a": 1}, 3.0,
                schedules.CosineDecay(0.1, 10)):
        with pytest.raises(TypeError, match="obj must be"):
            C.to_plain(obj)
    with pytest.raises(TypeError, match=r"obj\.buf"):
        C.to_plain(optim.SGDState(0, np.array(["a"])))
    with pytest.raises(TypeError, match=r"obj\.buf\[1\] must be plain data .* got object"):
        C.to_plain(optim.SGDState(0, [1.0, object()]))


def _leaves(data, path=()):
    """Every path into a plain-data tree."""
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data[:3]):
            yield from _leaves(v, path + (i,))


_NET = MLP(np.random.default_rng(0).normal(size=(12, 2)), np.arange(12) % 3, hidden=(2,))
_RESUMABLE = [  # (problem, optimizer, x0, options) of the runs fuzzed below
    (_NET, optim.ScheduleFreeAdamW(np.array([0.1, 1.0])), _NET.init(np.random.default_rng(0), k=2),
     dict(batch_size=4, sampling="epoch", record_every=2, eval_every=2,
          validation=(_NET.X, _NET.y), track_update_ratio=True)),
    (LIN, optim.Adam(0.1), np.zeros(LIN.dim), dict()),
]
FUZZ_TARGETS = [
    C.to_plain(train.run(*_RESUMABLE[0][:3], 5, rng=[np.random.default_rng(s) for s in (0, 1)],
                         **_RESUMABLE[0][3])),
    C.to_plain(train.run(*_RESUMABLE[1][:3], 3, **_RESUMABLE[1][3])),
    PLATEAU, GENERATOR, C.to_plain(np.random.Generator(np.random.MT19937(0))),
]
FUZZ_VALUES = [None, -1, 0, 3, 2**70, 1.5, -0.0, "x", "nan", [], [1], {}, True,
               {"__ndarray__": "float64", "shape": [1], "data": [1.0]},
               {"__ndarray__": "int64", "shape": [], "data": [2]},
               {"__float__": "nan"}, {"__tuple__": [1]}, {"__scalar__": "int64", "data": 1}]


@settings(max_examples=300)
@given(target=st.integers(0, len(FUZZ_TARGETS) - 1), data=st.data(),
       value=st.sampled_from(FUZZ_VALUES))
def test_tampered_plain_data_is_refused_by_name_or_loaded(target, data, value):
    """Any one entry of a valid checkpoint replaced by garbage: from_plain either
    loads it or raises TypeError/ValueError naming the entry's parameter,
    ``data`` (never another exception, never a warning); a trace it loads is
    resumed or refused by run with a TypeError/ValueError."""
    import warnings
    plain = FUZZ_TARGETS[target]
    paths = [p for p in _leaves(plain) if p]
    path = data.draw(st.sampled_from(paths), label="path")
    tampered = _edit(plain, list(path), value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            loaded = C.from_plain(tampered)
        except (TypeError, ValueError) as exc:
            assert "data" in str(exc), str(exc)
            return
        if target < len(_RESUMABLE):
            problem, opt, x0, options = _RESUMABLE[target]
            try:
                train.run(problem, opt, x0, 7, resume=loaded, **options)
            except (TypeError, ValueError) as exc:
                assert any(n in str(exc) for n in ("resume", "x0", "optimizer", "problem",
                                                   "rng")) or "must be" in str(exc), str(exc)
