"""What the book says a framework does or documents, checked against the framework.

Every sentence of the book that states what PyTorch, Keras or optax does,
defaults to or prints in its documentation is listed here with the page that
makes it and the version it was checked against (``CHECKED``). Each test runs
the installed library, or reads its installed docstring, and skips where the
library is absent (the book's own environment has none of them; see
``tests/test_conformance.py`` for how to install them). The statements about
the Hugging Face Trainer and PyTorch Lightning are in
``tests/test_plateau_frameworks.py``; fastai's are not checked here (fastai is
not installed anywhere the tests run).

A documentation slip can be fixed upstream, so a claim about a docstring is
only true *for a version*. Those tests know which versions they hold for:
the ``ChainedScheduler`` example that torch 2.13.0 prints ten times too large
is corrected in torch 2.14.1 (source of the 2.14.1 wheel, git 5c48869); the
``LinearLR`` and ``PolynomialLR`` examples are still one step ahead there.
A failure on another version means the page's sentence needs a look.

Tolerances: rates and iterates from float64 arithmetic (PyTorch's
schedulers, Python floats) are compared with ``rtol=1e-12``; values Keras or
optax compute in float32, and numbers the book prints to six digits, with
``rtol=1e-5``.
"""

import inspect
import os
import re
import warnings

import numpy as np
import pytest

CHECKED = {"torch": "2.13.0", "torch_docs_also_read": "2.14.1", "keras": "3.15.1",
           "optax": "0.2.8"}


def _version(module):
    return tuple(int(p) for p in re.match(r"(\d+)\.(\d+)\.(\d+)", module.__version__).groups())


def _doc(obj):
    return re.sub(r"[ \t]+", " ", inspect.getdoc(obj) or "")


# ---------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    return torch


def _scheduler_rates(torch, make, steps, lr=0.05):
    """The rate of each of ``steps`` optimizer updates, stepping the scheduler
    after each update (the documented order)."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = make(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


def test_torch_linearlr_doc_example_is_one_update_ahead(torch):
    # frameworks.ipynb ("The example in the docstring of LinearLR for these numbers
    # (torch 2.13.0, unchanged in 2.14.1) says the first epoch uses 0.003687. That is
    # the value of the second update: the first is 0.0025").
    LinearLR = torch.optim.lr_scheduler.LinearLR
    assert "lr = 0.003687 if epoch == 0" in _doc(LinearLR)
    rates = _scheduler_rates(torch, lambda o: LinearLR(o, start_factor=0.05, total_iters=40), 3)
    np.testing.assert_allclose(rates, [0.0025, 0.0036875, 0.004875], rtol=1e-12)


def test_torch_polynomiallr_doc_example_is_one_update_ahead(torch):
    # frameworks.ipynb and schedules.ipynb ("The docstring itself (torch 2.13.0,
    # unchanged in 2.14.1) gives 0.0490 for epoch 0: the value of t = 1, 0.049099,
    # truncated to four digits, listed as the value of t = 0").
    PolynomialLR = torch.optim.lr_scheduler.PolynomialLR
    assert "lr = 0.0490 if epoch == 0" in _doc(PolynomialLR)
    rates = _scheduler_rates(torch, lambda o: PolynomialLR(o, total_iters=50, power=0.9), 2)
    np.testing.assert_allclose(rates, [0.05, 0.05 * (1 - 1 / 50) ** 0.9], rtol=1e-12)
    assert 0.0490 <= rates[1] < 0.0491          # the docstring's "epoch 0", truncated
    assert f"{rates[1]:.6f}" == "0.049099" and f"{rates[1]:.4f}" == "0.0491"  # not rounded


def test_torch_chainedscheduler_doc_example_by_version(torch):
    # frameworks.ipynb: "For ChainedScheduler the docstring example of torch 2.13.0
    # lists 0.05, 0.0450, 0.0405, ..., 0.06078 at epoch 20: every value 10 times too
    # large (corrected in torch 2.14.1)". torch 2.14.1 prints the right values
    # (0.005, 0.00450, ...): the sentence must keep naming 2.13.0.
    lrs = torch.optim.lr_scheduler
    rates = _scheduler_rates(torch, lambda o: lrs.ChainedScheduler(
        [lrs.ConstantLR(o, factor=0.1, total_iters=20), lrs.ExponentialLR(o, gamma=0.9)],
        optimizer=o), 22)
    np.testing.assert_allclose(rates[[0, 1, 2, 19, 20, 21]],
                               [0.005, 0.0045, 0.00405, 0.05 * 0.9 ** 19 * 0.1,
                                0.05 * 0.9 ** 20, 0.05 * 0.9 ** 21], rtol=1e-12)
    doc = _doc(lrs.ChainedScheduler)
    if _version(torch) < (2, 14, 0):
        assert "lr = 0.05 if epoch == 0" in doc and "lr = 0.0450 if epoch == 1" in doc
        assert "lr = 0.06078 if epoch == 20" in doc
    else:
        assert "lr = 0.005 if epoch == 0" in doc and "lr = 0.00450 if epoch == 1" in doc


def test_torch_scheduler_before_optimizer_warns_and_skips_a_value(torch):
    # frameworks.ipynb, table of mistakes: "scheduler.step() before optimizer.step():
    # first value skipped, PyTorch warning". torch 2.13.0.
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 ** t)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    assert opt.param_groups[0]["lr"] == 0.5              # the value 1.0 was never used


def test_torch_cosine_annealing_rises_after_t_max(torch):
    # schedules.ipynb and frameworks.ipynb: "PyTorch's version climbs again if
    # training continues past T" (period 2 T_max). torch 2.13.0.
    rates = _scheduler_rates(
        torch, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10), 21, lr=0.1)
    np.testing.assert_allclose(rates[[5, 15, 20]], [0.05, 0.05, 0.1], rtol=1e-12)
    assert rates[10] < 1e-15


def test_torch_onecycle_raises_past_total_steps(torch):
    # frameworks.ipynb: OneCycleLR with total_steps too small fails with
    # "Tried to step ... times". torch 2.13.0.
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=5)
    with pytest.raises(ValueError, match="Tried to step"):
        for _ in range(6):
            opt.step()
            sched.step()


def test_torch_sequentiallr_last_epoch_does_not_resume(torch):
    # frameworks.ipynb, "Resuming": "With torch 2.13.0 and 2.14.1, the SequentialLR
    # above built with last_epoch=25 (its children too) starts at the base rate 0.05,
    # where update 25 should use 0.02952" (pytorch/pytorch issue 162591). A fix
    # upstream makes this fail: then the page's sentence needs the new version.
    lrs = torch.optim.lr_scheduler
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.05)
    for group in opt.param_groups:
        group["initial_lr"] = 0.05               # required to pass last_epoch != -1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lrs.SequentialLR(opt, [lrs.ConstantLR(opt, factor=0.1, total_iters=20, last_epoch=25),
                               lrs.ExponentialLR(opt, gamma=0.9, last_epoch=25)],
                         milestones=[20], last_epoch=25)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05, rel=1e-12)
    # stepping a fresh one 25 times does reach the rate of update 25
    rates = _scheduler_rates(torch, lambda o: lrs.SequentialLR(
        o, [lrs.ConstantLR(o, factor=0.1, total_iters=20), lrs.ExponentialLR(o, gamma=0.9)],
        milestones=[20]), 26)
    np.testing.assert_allclose(rates[25], 0.05 * 0.9 ** 5, rtol=1e-12)


def test_torch_dataloader_keeps_the_last_batch_by_default(torch):
    # frameworks.ipynb: "A DataLoader keeps its last, incomplete batch unless
    # drop_last=True (the default is False in torch 2.13.0)", so an epoch of 1000
    # examples in batches of 32 has 32 updates.
    data = torch.utils.data.TensorDataset(torch.zeros(1000, 1))
    assert len(torch.utils.data.DataLoader(data, batch_size=32)) == 32
    assert len(torch.utils.data.DataLoader(data, batch_size=32, drop_last=True)) == 31


def test_torch_onecycle_with_gradient_accumulation_does_not_raise(torch):
    # frameworks.ipynb, exercise 1: with total_steps = 20 * 391 = 7820 but only 1960
    # updates (4 batches accumulated), "nothing fails" and the rate of the last update
    # is still rising (0.0937 of max_lr 0.1; the peak is at update 2345). torch 2.13.0.
    rates = _scheduler_rates(
        torch, lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=7820),
        1960, lr=0.1)
    assert np.all(np.diff(rates) > 0)
    assert round(rates[-1], 4) == 0.0937


def test_torch_mseloss_has_no_half(torch):
    # gradient_descent.ipynb, notation.md, case_study_regression.ipynb: "Without the
    # half (PyTorch's nn.MSELoss) H would be twice as large". torch 2.13.0.
    import lrtutor as lrt
    X, y = lrt.problems.make_linear_data(n=50, rng=np.random.default_rng(0))
    ls = lrt.problems.LinearRegression(X, y)
    theta = np.array([0.3, -0.7])
    t = torch.tensor(theta, requires_grad=True)
    loss = torch.nn.MSELoss()(torch.tensor(ls.design) @ t, torch.tensor(ls.y))
    loss.backward()
    np.testing.assert_allclose(loss.item(), 2 * ls.loss(theta), rtol=1e-12)
    np.testing.assert_allclose(t.grad.numpy(), 2 * ls.grad(theta), rtol=1e-12)


def test_torch_optimizer_defaults(torch):
    # frameworks.ipynb, the comparison table; faq.md (Adam's epsilon). torch 2.13.0.
    d = {name: {k: v.default for k, v in inspect.signature(getattr(torch.optim, name)).
                parameters.items()} for name in ("Adam", "AdamW", "RMSprop", "Adagrad")}
    assert d["Adam"]["eps"] == 1e-8
    assert d["AdamW"]["weight_decay"] == 1e-2
    assert (d["RMSprop"]["alpha"], d["RMSprop"]["lr"]) == (0.99, 1e-2)
    assert (d["Adagrad"]["initial_accumulator_value"], d["Adagrad"]["eps"],
            d["Adagrad"]["lr"]) == (0, 1e-10, 1e-2)


def test_torch_momentum_iterates(torch):
    # momentum.ipynb: "PyTorch's published iterates 0.9, 0.72, 0.486" on theta^2/2 from
    # 1 with eta = 0.1, beta = 0.9; with rates 0.1, 0.1, 0.1, 0.01, 0.01 "steps 4 and 5
    # land at 0.46008, 0.432151 in PyTorch". torch 2.13.0.
    p = torch.nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    out = []
    for eta in (0.1, 0.1, 0.1, 0.01, 0.01):
        opt.param_groups[0]["lr"] = eta
        opt.zero_grad()
        (0.5 * p ** 2).sum().backward()
        opt.step()
        out.append(p.item())
    np.testing.assert_allclose(out[:3], [0.9, 0.72, 0.486], rtol=1e-12)
    np.testing.assert_allclose(out[3:], [0.46008, 0.432151], rtol=1e-5)


def test_torch_plateau_reference_sequence(torch):
    # plateau.ipynb: losses [1.0] + [0.9] * 11, factor 0.5, patience 2, cooldown 1,
    # min_lr 0.01 give .1, .1, .1, .1, .05, .05, .05, .05, .025 ("cut when the count
    # exceeds patience"; default relative threshold 1e-4). torch 2.13.0.
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2,
                                                       cooldown=1, min_lr=0.01)
    assert (sched.threshold, sched.threshold_mode, sched.mode) == (1e-4, "rel", "min")
    out = []
    for a in [1.0] + [0.9] * 8:
        sched.step(a)
        out.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(out, [.1, .1, .1, .1, .05, .05, .05, .05, .025], rtol=1e-12)
    # frameworks.ipynb, exercise 3: a loss from 2e-3 falling 0.5 % per epoch counts as
    # improving under the relative threshold, so the rate stays at 0.1 (patience 2).
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2)
    for a in [2e-3 * 0.995 ** e for e in range(12)]:
        sched.step(a)
    assert opt.param_groups[0]["lr"] == 0.1


def test_torch_clip_grad_norm_coefficient(torch):
    # glossary.md, gradient clipping: g <- min(1, c / (||g|| + 1e-6)) g. torch 2.13.0.
    p = torch.nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([3.0, 4.0])
    total = torch.nn.utils.clip_grad_norm_([p], max_norm=1.0)
    assert total.item() == 5.0
    np.testing.assert_allclose(p.grad.numpy(), np.array([3.0, 4.0]) / (5.0 + 1e-6),
                               rtol=1e-12)


def test_torch_mseloss_averages_over_all_entries(torch):
    # edge_of_stability.ipynb: "PyTorch's nn.MSELoss() averages the squared error over
    # all |B| * C entries without the factor 1/2 (torch 2.13.0)".
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    loss = torch.nn.MSELoss()(torch.tensor(a), torch.tensor(b)).item()
    np.testing.assert_allclose(loss, np.sum((a - b) ** 2) / 12, rtol=1e-12)


def test_torch_step_decay_changes_at_the_milestone_and_polynomial_ends_at_zero(torch):
    # schedules.ipynb: "PyTorch's StepLR and MultiStepLR use left-closed intervals"
    # (base 0.05, step 30: 0.05 before step 30, 0.005 from 30, 0.0005 from 60), and
    # "PyTorch's PolynomialLR goes to 0 (torch 2.13.0)".
    lrs = torch.optim.lr_scheduler
    rates = _scheduler_rates(torch, lambda o: lrs.StepLR(o, step_size=30, gamma=0.1), 62)
    np.testing.assert_allclose(rates[[29, 30, 59, 60]], [0.05, 0.005, 0.005, 0.0005],
                               rtol=1e-12)
    rates = _scheduler_rates(torch, lambda o: lrs.MultiStepLR(o, milestones=[30],
                                                              gamma=0.1), 32, lr=0.1)
    np.testing.assert_allclose(rates[[29, 30, 31]], [0.1, 0.01, 0.01], rtol=1e-12)
    rates = _scheduler_rates(torch, lambda o: lrs.PolynomialLR(o, total_iters=50,
                                                               power=0.9), 60)
    assert rates[49] > 1e-3 and rates[50] == 0.0 and rates[59] == 0.0


def test_torch_dampening_is_skipped_on_the_first_step(torch):
    # momentum.ipynb: "PyTorch's dampening argument is not the damped form above
    # (PyTorch skips it on the first step; torch 2.13.0)". With a constant gradient
    # 1, the buffer is 1 after the first step (not 1 - tau) and 0.9 + 0.5 after the
    # second.
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    out = []
    for _ in range(2):
        opt.zero_grad()
        p.sum().backward()
        opt.step()
        out.append(p.item())
    np.testing.assert_allclose(out, [-0.1, -0.1 - 0.1 * 1.4], rtol=1e-12)


def test_torch_nesterov_iterates(torch):
    # momentum.ipynb: Nesterov on theta^2/2 from 1, eta = 0.1, beta = 0.9 gives
    # "0.81, 0.5751, 0.327321, the values that PyTorch, optax and Keras all print
    # (torch 2.13.0, optax 0.2.8, Keras 3.15.1)".
    p = torch.nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    out = []
    for _ in range(3):
        opt.zero_grad()
        (0.5 * p ** 2).sum().backward()
        opt.step()
        out.append(p.item())
    np.testing.assert_allclose(out, [0.81, 0.5751, 0.327321], rtol=1e-12)


# ---------------------------------------------------------------------------
# Keras
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keras():
    if "KERAS_BACKEND" not in os.environ:
        try:
            import jax  # noqa: F401
            os.environ["KERAS_BACKEND"] = "jax"
        except ImportError:
            os.environ["KERAS_BACKEND"] = "torch"
    return pytest.importorskip("keras")


def test_keras_decay_argument_is_ignored(keras):
    # faq.md, schedules.ipynb, common_mistakes.ipynb (E002-1): "Keras 3 ignores the
    # argument with a warning, so the example trains at a constant 0.01". Keras 3.15.1.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt = keras.optimizers.SGD(learning_rate=0.01, decay=0.001)
    assert any("decay" in str(w.message) and "ignored" in str(w.message) for w in caught)
    np.testing.assert_allclose(float(np.asarray(opt.learning_rate)), 0.01, rtol=1e-6)


def test_keras_rejects_a_list_of_rates(keras):
    # schedules.ipynb and common_mistakes.ipynb (E002-2): "Keras 3 raises a
    # ValueError" for SGD(learning_rate=[0.01, 0.001, 0.0001]). Keras 3.15.1.
    with pytest.raises(ValueError, match="learning_rate"):
        keras.optimizers.SGD(learning_rate=[0.01, 0.001, 0.0001])


def test_keras_adam_epsilon_size_and_place(keras):
    # faq.md, common_mistakes.ipynb, frameworks.ipynb: Keras's Adam uses 1e-7 and adds
    # it to the root of the *uncorrected* v. One step with a tiny gradient tells the
    # placements apart. Keras 3.15.1.
    assert keras.optimizers.Adam().epsilon == 1e-7
    g, lr, b1, b2, eps = 1e-6, 1e-3, 0.9, 0.999, 1e-7
    var = keras.Variable(np.array([1.0], dtype="float32"))
    opt = keras.optimizers.Adam(learning_rate=lr)
    opt.apply_gradients([(keras.ops.convert_to_tensor(np.array([g], dtype="float32")), var)])
    m, v = (1 - b1) * g, (1 - b2) * g * g
    keras_form = 1.0 - lr * np.sqrt(1 - b2) / (1 - b1) * m / (np.sqrt(v) + eps)
    torch_form = 1.0 - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
    got = float(np.asarray(var.value)[0])
    assert abs(got - keras_form) < 1e-6 < abs(got - torch_form)


def test_keras_cosine_decay_warmup_snippet_omits_the_start(keras):
    # frameworks.ipynb: "the warmup snippet in the docstring of Keras's CosineDecay
    # omits the + initial_learning_rate term of the linear ramp". Keras 3.15.1.
    doc = _doc(keras.optimizers.schedules.CosineDecay)
    assert "return completed_fraction * total_delta" in doc
    s = keras.optimizers.schedules.CosineDecay(0.01, decay_steps=100, warmup_target=0.1,
                                               warmup_steps=10)
    np.testing.assert_allclose(float(np.asarray(s(5))), 0.01 + 0.5 * 0.09, rtol=1e-5)


def test_keras_plateau_infers_the_mode(keras):
    # plateau.ipynb: with its default mode="auto", Keras's callback minimises a monitor
    # named loss or val_loss, takes the direction a compiled metric declares (up for
    # accuracy), and raises ValueError for any other name. Keras 3.15.1
    # (keras/src/callbacks/monitor_callback.py, _set_monitor_op).
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.default_rng(0).random((8, 2)).astype("float32")
    y = np.arange(8) % 3
    for monitor, greater in (("val_accuracy", True), ("val_loss", False)):
        cb = keras.callbacks.ReduceLROnPlateau(monitor=monitor)
        assert cb.mode == "auto"
        model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0, callbacks=[cb])
        assert bool(cb.monitor_op(2.0, 1.0)) is greater, monitor
    with pytest.raises(ValueError, match="mode='max'"):
        model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0,
                  callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="val_score")])


def test_keras_defaults(keras):
    # frameworks.ipynb, the comparison table. Keras 3.15.1.
    def defaults(cls):
        return {k: v.default for k, v in inspect.signature(cls).parameters.items()}
    K = keras.optimizers
    assert defaults(K.schedules.PolynomialDecay)["end_learning_rate"] == 1e-4
    assert (defaults(K.RMSprop)["rho"], defaults(K.RMSprop)["learning_rate"]) == (0.9, 1e-3)
    ada = defaults(K.Adagrad)
    assert (ada["initial_accumulator_value"], ada["epsilon"], ada["learning_rate"]) == \
        (0.1, 1e-7, 1e-3)
    assert defaults(K.AdamW)["weight_decay"] == 0.004


def test_keras_callback_clocks_and_the_complete_run(keras):
    # frameworks.ipynb, "Keras's second clock": LearningRateScheduler "calls
    # schedule(epoch, lr) at the start of each epoch" (0.05, 0.05, 0.025, 0.025,
    # 0.0125, 0.0125 for 0.05 * 0.5 ** (epoch // 2)); "A complete Keras run": the
    # snippet runs, a schedule passed as learning_rate counts optimizer steps (100
    # epochs of 1000 examples in batches of 32 are 3200 steps) and input_shape= warns.
    # Keras 3.15.1; rates in float32: rtol 1e-6.
    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(1000, 10))
    y_train = X_train @ rng.normal(size=10) + 0.1 * rng.normal(size=1000)

    def make_model():
        return keras.Sequential([keras.Input(shape=(10,)),
                                 keras.layers.Dense(10, activation="relu"),
                                 keras.layers.Dense(1)])

    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(float(np.asarray(self.model.optimizer.learning_rate)))

    halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.05 * 0.5 ** (epoch // 2))
    model = make_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(X_train, y_train, epochs=6, batch_size=32, callbacks=[halve, Record()],
              verbose=0)
    np.testing.assert_allclose(seen, [0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125], rtol=1e-6)

    steps = keras.optimizers.schedules.PiecewiseConstantDecay(
        boundaries=[1000, 2000], values=[0.01, 0.001, 0.0001])
    model = make_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=steps), loss="mse")
    history = model.fit(X_train, y_train, epochs=100, batch_size=32, verbose=0)
    assert int(model.optimizer.iterations) == 3200
    assert np.all(np.isfinite(history.history["loss"]))
    with pytest.warns(UserWarning, match="input_shape"):
        keras.Sequential([keras.layers.Dense(10, input_shape=(10,))])


def _keras_plateau_replay(keras, losses, **kw):
    """Keras's ReduceLROnPlateau (factor 0.5) fed ``losses`` as val_loss, one per
    epoch, on an SGD model at rate 0.1: (the rate after each epoch, the callback)."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    cb = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, verbose=0, **kw)
    cb.set_model(model)
    cb.on_train_begin()
    out = []
    for k, a in enumerate(losses):
        cb.on_epoch_end(k, logs={"val_loss": a})
        out.append(float(np.asarray(model.optimizer.learning_rate)))
    return np.array(out), cb


def test_keras_frameworks_exercises(keras):
    # frameworks.ipynb, exercises 2-4 (Keras 3.15.1, float32: rtol 1e-5):
    # CosineDecay(0.1, decay_steps=10) is 0.05 at step 5 and 0 from step 10 on;
    # the callback with patience=3, cooldown=2 cuts where PyTorch's patience=2,
    # cooldown=1 does; with min_delta=1e-4 it halves a loss that falls 1e-5 per epoch
    # at epochs 3, 6 and 9; Adam's first step for a gradient 1e-6 is 0.243 times
    # PyTorch's (epsilon-hat 1e-7 on the uncorrected root).
    cos = keras.optimizers.schedules.CosineDecay(0.1, decay_steps=10)
    vals = [float(np.asarray(cos(t))) for t in (5, 9, 10, 32, 319)]
    np.testing.assert_allclose(vals[:2], [0.05, 0.00244717], rtol=1e-5)
    assert max(abs(v) for v in vals[2:]) < 1e-9

    def replay(losses, **kw):
        return _keras_plateau_replay(keras, losses, **kw)[0]

    np.testing.assert_allclose(
        replay([1.0] + [0.9] * 11, patience=3, cooldown=2, min_lr=0.01),
        [.1, .1, .1, .1, .05, .05, .05, .05, .025, .025, .025, .025], rtol=1e-6)
    small = [2e-3 * 0.995 ** e for e in range(12)]
    np.testing.assert_allclose(replay(small, patience=3),
                               [.1] * 3 + [.05] * 3 + [.025] * 3 + [.0125] * 3, rtol=1e-6)
    np.testing.assert_allclose(replay(small, patience=3, min_delta=1e-7), [.1] * 12,
                               rtol=1e-6)

    var = keras.Variable(np.array([0.0], dtype="float32"))
    keras.optimizers.Adam(learning_rate=1e-3).apply_gradients(
        [(keras.ops.convert_to_tensor(np.array([1e-6], dtype="float32")), var)])
    torch_first = 1e-3 * 1e-6 / (1e-6 + 1e-8)
    np.testing.assert_allclose(-float(np.asarray(var.value)[0]) / torch_first, 0.24265,
                               rtol=1e-4)


def test_keras_momentum_keeps_old_rates_in_the_velocity(keras):
    # momentum.ipynb: with rates 0.1, 0.1, 0.1, 0.01, 0.01 and beta = 0.9 on theta^2/2,
    # "steps 4 and 5 land ... at 0.27054, 0.073921 in Keras". Keras 3.15.1.
    var = keras.Variable(np.array([1.0], dtype="float32"))
    opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    out = []
    for eta in (0.1, 0.1, 0.1, 0.01, 0.01):
        opt.learning_rate = eta
        opt.apply_gradients([(keras.ops.convert_to_tensor(np.asarray(var.value)), var)])
        out.append(float(np.asarray(var.value)[0]))
    np.testing.assert_allclose(out[3:], [0.27054, 0.073921], rtol=1e-5)


def test_keras_schedule_forms(keras):
    # schedules.ipynb: ExponentialDecay is eta_0 r^(t/T) (checked with Keras 3.15.1);
    # PiecewiseConstantDecay takes absolute values on right-closed intervals ("the
    # boundary step t = b_0 still uses the old value"); CosineDecay stays at
    # alpha * eta_0 after T, and its decay_steps excludes the warmup ("training lasts
    # W + T steps"; exercise 4: CosineDecay(0.0, decay_steps=900, warmup_target=0.1,
    # warmup_steps=100) reaches 0 at step 1000). Values computed in float32: rtol 1e-5.
    S = keras.optimizers.schedules

    def at(s, steps):
        return np.array([float(np.asarray(s(t))) for t in steps])

    np.testing.assert_allclose(at(S.ExponentialDecay(0.1, 10, 0.5), [5, 10, 20]),
                               [0.1 * 0.5 ** 0.5, 0.05, 0.025], rtol=1e-5)
    np.testing.assert_allclose(at(S.PiecewiseConstantDecay([30], [0.1, 0.01]),
                                  [29, 30, 31]), [0.1, 0.1, 0.01], rtol=1e-5)
    np.testing.assert_allclose(at(S.CosineDecay(0.1, 100, alpha=0.1), [50, 100, 150]),
                               [0.055, 0.01, 0.01], rtol=1e-5)
    warm = at(S.CosineDecay(0.0, decay_steps=900, warmup_target=0.1, warmup_steps=100),
              [50, 100, 550, 1000])
    np.testing.assert_allclose(warm[:3], [0.05, 0.1, 0.05], rtol=1e-5)
    assert abs(warm[3]) < 1e-8


def test_keras_nesterov_iterates(keras):
    # momentum.ipynb: Keras's classical-form Nesterov prints 0.81, 0.5751, 0.327321 on
    # theta^2/2 from 1, eta = 0.1, beta = 0.9, as PyTorch does. Keras 3.15.1, float32.
    var = keras.Variable(np.array([1.0], dtype="float32"))
    opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    out = []
    for _ in range(3):
        opt.apply_gradients([(keras.ops.convert_to_tensor(np.asarray(var.value)), var)])
        out.append(float(np.asarray(var.value)[0]))
    np.testing.assert_allclose(out, [0.81, 0.5751, 0.327321], rtol=1e-5)


def test_keras_plateau_reference_sequence(keras):
    # plateau.ipynb: on losses [1.0] + [0.9] * 11 with factor 0.5, patience 2,
    # cooldown 1 and min_lr 0.01, "Keras cuts after epoch 3, when its count reaches
    # 2", then every two epochs "exactly as it would without a cooldown", and
    # "reaches the floor 0.01 after epoch 9"; its min_delta (default 1e-4) is
    # absolute, so losses that fall by 5e-5 per epoch from 1e-3 count as bad epochs
    # (PyTorch's default relative threshold would count them as improvements).
    # Keras 3.15.1.
    def replay(losses, **kw):
        return _keras_plateau_replay(keras, losses, patience=2, **kw)

    losses = [1.0] + [0.9] * 11
    with_cooldown, cb = replay(losses, cooldown=1, min_lr=0.01)
    assert abs(cb.min_delta) == 1e-4           # stored negated in mode "min"
    np.testing.assert_allclose(
        with_cooldown, [.1, .1, .1, .05, .05, .025, .025, .0125, .0125, .01, .01, .01],
        rtol=1e-6)
    np.testing.assert_allclose(replay(losses, cooldown=0, min_lr=0.01)[0], with_cooldown,
                               rtol=1e-6)
    small_steps, _ = replay([1e-3 - 5e-5 * k for k in range(4)])
    np.testing.assert_allclose(small_steps, [.1, .1, .05, .05], rtol=1e-6)


# ---------------------------------------------------------------------------
# optax
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def optax():
    pytest.importorskip("jax")
    return pytest.importorskip("optax")


def test_optax_linear_onecycle_doc_bullet(optax):
    # frameworks.ipynb: "a bullet in the docstring of optax's linear_onecycle_schedule
    # gives the final value as peak_value / final_div_factor whereas the code ends at
    # peak_value / (div_factor * final_div_factor)". optax 0.2.8.
    doc = _doc(optax.linear_onecycle_schedule)
    assert "``peak_value / final_div_factor``" in doc
    s = optax.linear_onecycle_schedule(100, 1.0, div_factor=25.0, final_div_factor=1e4)
    np.testing.assert_allclose(float(s(100)), 1.0 / (25.0 * 1e4), rtol=1e-5)


def test_optax_defaults(optax):
    # frameworks.ipynb, the comparison table. optax 0.2.8.
    def defaults(f):
        return {k: v.default for k, v in inspect.signature(f).parameters.items()}
    assert defaults(optax.adamw)["weight_decay"] == 1e-4
    rms = defaults(optax.rmsprop)
    assert (rms["decay"], rms["eps_in_sqrt"]) == (0.9, True)
    ada = defaults(optax.adagrad)
    assert (ada["initial_accumulator_value"], ada["eps"]) == (0.1, 1e-7)
    adam = defaults(optax.adam)
    assert (adam["eps"], adam["eps_root"]) == (1e-8, 0.0)


def test_optax_reduce_on_plateau_signature(optax):
    # frameworks.ipynb: "optax.contrib.reduce_on_plateau(factor, patience, rtol, atol,
    # cooldown, accumulation_size, min_scale) (optax 0.2.8)".
    params = list(inspect.signature(optax.contrib.reduce_on_plateau).parameters)
    assert params == ["factor", "patience", "rtol", "atol", "cooldown",
                      "accumulation_size", "min_scale"]


def test_optax_warmup_counts_inside_decay_steps(optax):
    # frameworks.ipynb: "optax: decay_steps includes the warmup". optax 0.2.8.
    s = optax.warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=10, decay_steps=100,
                                           end_value=0.0)
    np.testing.assert_allclose([float(s(10)), float(s(55))], [1.0, 0.5], rtol=1e-5)
    assert abs(float(s(100))) < 1e-7 and abs(float(s(150))) < 1e-7  # stays at the floor


def test_optax_onecycle_peaks_one_step_after_torch(optax):
    # schedules.ipynb, frameworks.ipynb: "PyTorch's one-cycle peaks at pN - 1 = 29,
    # optax's at floor(pN) = 30". optax 0.2.8.
    s = optax.cosine_onecycle_schedule(100, 1.0)
    vals = np.array([float(s(t)) for t in range(100)])
    assert int(np.argmax(vals)) == 30
    # frameworks.ipynb, the comparison table: "same end" as PyTorch, max_lr / 2.5e5
    # (reached at t = 100, one step after PyTorch's N - 1 = 99). float32: rtol 1e-5.
    np.testing.assert_allclose(float(s(100)), 1.0 / 2.5e5, rtol=1e-5)


def test_optax_momentum_keeps_the_rate_outside_the_buffer(optax):
    # momentum.ipynb: with rates 0.1, 0.1, 0.1, 0.01, 0.01 and beta = 0.9 on
    # theta^2/2 from 1, "steps 4 and 5 land at 0.46008, 0.432151 in PyTorch and
    # optax"; Nesterov gives 0.81, 0.5751, 0.327321 (optax 0.2.8). optax computes in
    # float32 here: rtol 1e-5.
    import jax.numpy as jnp

    def run(opt, n):
        theta = jnp.ones(1)
        state = opt.init(theta)
        out = []
        for _ in range(n):
            updates, state = opt.update(theta, state, theta)    # gradient of theta^2/2
            theta = optax.apply_updates(theta, updates)
            out.append(float(theta[0]))
        return np.array(out)

    rates = lambda count: jnp.where(count < 3, 0.1, 0.01)
    np.testing.assert_allclose(run(optax.sgd(rates, momentum=0.9), 5)[3:],
                               [0.46008, 0.432151], rtol=1e-5)
    np.testing.assert_allclose(run(optax.sgd(0.1, momentum=0.9, nesterov=True), 3),
                               [0.81, 0.5751, 0.327321], rtol=1e-5)


def test_optax_schedule_forms(optax):
    # schedules.ipynb: optax's piecewise constant uses cumulative scales and changes
    # at b; its polynomial_schedule needs end_value explicitly; its cosine stays at
    # alpha * eta_0 after T (optax 0.2.8). float32: rtol 1e-5.
    pc = optax.piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.1})
    np.testing.assert_allclose([float(pc(t)) for t in (99, 100, 199, 200)],
                               [1.0, 0.1, 0.1, 0.01], rtol=1e-5)
    end = inspect.signature(optax.polynomial_schedule).parameters["end_value"]
    assert end.default is inspect.Parameter.empty
    cos = optax.cosine_decay_schedule(1.0, 100, alpha=0.1)
    np.testing.assert_allclose([float(cos(t)) for t in (50, 100, 150)], [0.55, 0.1, 0.1],
                               rtol=1e-5)
