"""The in-place fast path ``update_`` of every optimizer equals ``update`` bit for bit.

``update_`` overwrites ``params`` and the state buffers block by block (no
temporaries the size of ``params``); it exists for the bandwidth benchmark in
``bench/run.py`` and for large sweeps. The reference is the pure
:meth:`update`, itself checked against torch.optim in test_optim.py,
test_golden.py and test_conformance.py.
"""

import dataclasses
import re

import numpy as np
import pytest

from lrtutor import optim as O
from lrtutor.schedules import StepDecay

OPTIMIZERS = [
    O.SGD(0.1), O.SGD(0.1, momentum=0.9),
    O.SGD(0.1, momentum=0.9, dampening=0.3, weight_decay=0.1),
    O.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    O.HeavyBall(0.1, 0.9), O.HeavyBall(0.1, 0.9, True), O.EMAMomentum(0.5, 0.9),
    O.AdaGrad(0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1),
    O.RMSprop(0.01), O.RMSprop(0.01, momentum=0.9, centered=True, weight_decay=0.1),
    O.Adam(0.01), O.Adam(0.01, weight_decay=0.1, amsgrad=True),
    O.Adam(0.01, bias_correction=False), O.AdamW(0.01), O.AdamW(0.01, amsgrad=True),
    O.SGD(StepDecay(0.1, 3), momentum=0.5),
    O.ScheduleFreeSGD(0.1, weight_decay=0.01, warmup_steps=2),   # written back, not blocked
    O.ScheduleFreeAdamW(0.01, weight_decay=0.1, warmup_steps=2, r=1.0),
    # the issue-15 families (one pure _step, run block by block) and cycle momentum
    O.NAdam(0.01, weight_decay=0.1), O.NAdam(0.01, weight_decay=0.1, decoupled_weight_decay=True),
    O.RAdam(0.01, betas=(0.9, 0.9), weight_decay=0.1),           # rectified from t = 3
    O.RAdam(0.01, weight_decay=0.1, decoupled_weight_decay=True),
    O.Adamax(0.01, weight_decay=0.1), O.Adadelta(0.5, weight_decay=0.1),
    O.Yogi(0.01), O.Lion(0.01, weight_decay=0.1),
    O.SGD(0.1, momentum=lambda t: (0.9, 0.0, 0.5)[t % 3], weight_decay=0.01),
    O.Adam(0.01, betas=(lambda t: 0.95 - 0.05 * t, 0.999), amsgrad=True),
    O.AdamW(StepDecay(0.01, 2), betas=(lambda t: 0.85 + 0.01 * t, 0.99)),
    O.RMSprop(0.01, momentum=lambda t: (0.9, 0.0, 0.5)[t % 3], centered=True),
]
SHAPES = [((50_000,), None), ((7, 3000), None), ((5, 4), [0.1, 0.2, 0.01, 0.05, 0.3]),
          ((3, 40_000), [0.1, 0.2, 0.3]), ((), None)]


def _opt_id(opt):
    """A test id without memory addresses (a lambda's repr changes from run to
    run, and the test command's two workers must collect the same ids)."""
    return re.sub(r"<function <lambda> at 0x[0-9a-f]+>", "<lambda>", repr(opt))[:60]


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=_opt_id)
@pytest.mark.parametrize("shape, rates", SHAPES, ids=str)
@pytest.mark.parametrize("chunk, workers", [(777, 1), (777, 3), (O.CHUNK, None)])
def test_update_inplace_equals_update_bit_for_bit(opt, shape, rates, chunk, workers):
    if rates is not None:
        opt = dataclasses.replace(opt, lr=np.array(rates))
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    y = x.copy()
    s1, s2 = opt.init(x), opt.init(y)
    for _ in range(6):
        x, s1 = opt.update(np.sin(x) + 0.1 * x, s1, x)
        y_before = y
        s2 = opt.update_(np.sin(y) + 0.1 * y, s2, y, chunk=chunk, workers=workers)
        assert s2 is not None and y is y_before            # same object, mutated
    np.testing.assert_array_equal(y, x)
    assert s2.count == s1.count == 6
    for a, b in zip(s1[1:], s2[1:]):
        if a is None:
            assert b is None
        else:
            np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("workers", [1, 2])
def test_update_inplace_makes_no_parameter_sized_temporaries(workers):
    import tracemalloc
    opt = O.Adam(1e-3, amsgrad=True)
    x = np.ones(40 * O.CHUNK)
    g = np.full_like(x, 0.5)
    state = opt.init(x)
    opt.update_(g, state, x, workers=workers)
    tracemalloc.start()
    opt.update_(g, state, x, workers=workers)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # three block-sized scratch arrays per worker (3/40 or 6/40 of x) and small
    # change; one temporary the size of x would be 40 blocks
    assert peak < x.nbytes / 4


@pytest.mark.parametrize("params, error, match", [
    ([1.0, 2.0], TypeError, "params"),
    (np.array([1, 2]), TypeError, "params"),
    (np.ones(4)[::2], ValueError, "params"),
    (np.ones(3), ValueError, "state"),
])
def test_update_inplace_rejects_what_it_cannot_overwrite(params, error, match):
    opt = O.SGD(0.1, momentum=0.9)
    state = opt.init(np.ones(2))
    with pytest.raises(error, match=match):
        opt.update_(np.ones(np.shape(params)), state, params)


def test_update_inplace_rejects_a_read_only_array():
    x = np.ones(3)
    x.flags.writeable = False
    opt = O.Adam()
    with pytest.raises(ValueError, match="params"):
        opt.update_(np.ones(3), opt.init(np.ones(3)), x)


@pytest.mark.parametrize("kwargs, error", [
    ({"chunk": 0}, ValueError), ({"chunk": 2.5}, TypeError),
    ({"workers": 0}, ValueError), ({"workers": "2"}, TypeError),
    ({"workers": -1}, ValueError),
])
def test_update_inplace_rejects_bad_chunk_or_workers_before_writing(kwargs, error):
    opt = O.Adam(0.1)
    x = np.ones(5)
    state = opt.init(x)
    with pytest.raises(error, match=next(iter(kwargs))):
        opt.update_(np.ones(5), state, x, **kwargs)
    assert np.all(x == 1) and np.all(state.m == 0)       # nothing was written


def test_update_inplace_is_the_same_for_any_number_of_workers():
    # more workers than blocks, one block each, and the default all give one answer
    rng = np.random.default_rng(1)
    start = rng.normal(size=10_000)
    results = []
    for workers in (1, 2, 7, 64, None):
        x, opt = start.copy(), O.Adam(0.01, amsgrad=True)
        state = opt.init(x)
        for _ in range(3):
            state = opt.update_(np.cos(x), state, x, chunk=1500, workers=workers)
        results.append(x)
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
