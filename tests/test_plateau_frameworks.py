"""What the Hugging Face Trainer and PyTorch Lightning do with ReduceLROnPlateau.

The chapter "Adapting the rate to performance" (book/plateau.ipynb, section
"Who calls step, and when") states, from the sources of transformers 5.25.0
(``trainer.py``: ``Trainer._evaluate`` and the training loop;
``training_args.py``: ``__post_init__``) and pytorch-lightning 2.6.6
(``core/optimizer.py``: ``_configure_schedulers_automatic_opt``;
``loops/training_epoch_loop.py``: ``_update_learning_rates``), when each
framework calls ``scheduler.step`` and with which value. These tests run the
frameworks and compare the rate of every optimizer step with
``lrtutor.schedules.ReduceLROnPlateau`` (PyTorch's rule) fed the sequence of
metrics the chapter says the framework feeds it. They skip where the
framework is not installed (the book's own environment has none of them);
to run them::

    pip install torch transformers accelerate pytorch-lightning pytest
    PYTHONPATH=. python -m pytest tests/test_plateau_frameworks.py

Each test names the version it was written against; a test that fails on a
newer version means the chapter's statement needs checking against it.
Rates are compared with ``rtol=1e-12``: the frameworks hold the rate as a
Python float and multiply it by ``factor``, exactly as lrtutor does.
"""

import warnings

import numpy as np
import pytest

from lrtutor.schedules import ReduceLROnPlateau

CHECKED = {"transformers": "5.25.0", "pytorch_lightning": "2.6.6"}
LR0, FACTOR, PATIENCE = 0.1, 0.5, 1


def _note_version(name, version):
    """Say so when the installed version is not the one the chapter names."""
    if version != CHECKED[name]:
        warnings.warn(f"{name} {version} installed; the chapter's statements were "
                      f"checked against {CHECKED[name]}", stacklevel=2)


def _rates_after(metrics, **kw):
    """lrtutor's rate after each report of ``metrics`` (PyTorch's rule)."""
    ctrl = ReduceLROnPlateau(LR0, factor=FACTOR, patience=PATIENCE, **kw)
    return [ctrl.step(m) for m in metrics]


# ---------------------------------------------------------------------------
# Hugging Face Trainer
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hf():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")         # the Trainer needs it
    _note_version("transformers", transformers.__version__)
    return torch, transformers


def _hf_trainer(hf, tmp_path, scores, **args):
    """A Trainer on a one-weight model whose evaluation reports the next
    value of ``scores`` as ``eval_score``; it records the rate each
    optimizer step uses."""
    torch, transformers = hf

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(1, 1)

        def forward(self, x, labels=None):
            out = self.lin(x).squeeze(-1)
            return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}

    data = [{"x": torch.tensor([float(i)]), "labels": torch.tensor(float(i))}
            for i in range(8)]
    it = iter(scores)

    def compute_metrics(_):
        return {"score": next(it)}

    used = []

    class Record(transformers.TrainerCallback):
        def on_step_begin(self, args, state, control, optimizer=None, **kw):
            used.append(optimizer.param_groups[0]["lr"])

    defaults = dict(output_dir=str(tmp_path), per_device_train_batch_size=2,
                    per_device_eval_batch_size=8, learning_rate=LR0, use_cpu=True,
                    report_to="none", save_strategy="no", disable_tqdm=True,
                    optim="sgd", weight_decay=0.0, warmup_steps=0, seed=0)
    defaults.update(args)
    targs = transformers.TrainingArguments(**defaults)
    trainer = transformers.Trainer(model=Tiny(), args=targs, train_dataset=data,
                                   eval_dataset=data, compute_metrics=compute_metrics,
                                   callbacks=[Record()])
    return trainer, used


def test_hf_plateau_steps_once_per_evaluation(hf, tmp_path):
    # transformers 5.25.0: the training loop skips ReduceLROnPlateau; Trainer._evaluate
    # calls self.lr_scheduler.step(metrics["eval_" + metric_for_best_model]) after each
    # evaluation. So the patience counts evaluations (here every 2 optimizer steps).
    eval_steps, steps = 2, 24
    scores = [1.0] * (steps // eval_steps)          # never improves
    trainer, used = _hf_trainer(
        hf, tmp_path, scores, max_steps=steps, eval_strategy="steps",
        eval_steps=eval_steps, lr_scheduler_type="reduce_lr_on_plateau",
        lr_scheduler_kwargs={"factor": FACTOR, "patience": PATIENCE},
        metric_for_best_model="score", greater_is_better=False)
    trainer.train()
    after = _rates_after(scores)
    # step t runs after t // eval_steps evaluations
    expected = [LR0 if t < eval_steps else after[t // eval_steps - 1] for t in range(steps)]
    np.testing.assert_allclose(used, expected, rtol=1e-12)
    assert min(used) < LR0                       # the rule did cut
    # cuts land only on steps right after an evaluation
    changes = np.flatnonzero(np.diff(used)) + 1
    assert changes.size and np.all(changes % eval_steps == 0)


def test_hf_plateau_needs_an_eval_strategy(hf, tmp_path):
    # transformers 5.25.0, TrainingArguments.__post_init__
    _, transformers = hf
    with pytest.raises(ValueError, match="requires an eval strategy"):
        transformers.TrainingArguments(output_dir=str(tmp_path), eval_strategy="no",
                                       lr_scheduler_type="reduce_lr_on_plateau",
                                       use_cpu=True, report_to="none")


def test_hf_plateau_mode_is_not_taken_from_greater_is_better(hf, tmp_path):
    # transformers 5.25.0: metric_for_best_model="accuracy" sets greater_is_better=True,
    # but create_scheduler builds ReduceLROnPlateau from lr_scheduler_kwargs alone.
    kw = dict(max_steps=4, eval_strategy="steps", eval_steps=2,
              lr_scheduler_type="reduce_lr_on_plateau", metric_for_best_model="accuracy")
    trainer, _ = _hf_trainer(hf, tmp_path, [], **kw)
    assert trainer.args.greater_is_better is True
    trainer.create_optimizer()
    assert trainer.create_scheduler(4).mode == "min"
    trainer2, _ = _hf_trainer(hf, tmp_path, [], lr_scheduler_kwargs={"mode": "max"}, **kw)
    trainer2.create_optimizer()
    assert trainer2.create_scheduler(4).mode == "max"


def test_hf_other_schedules_step_per_optimizer_step(hf, tmp_path):
    # transformers 5.25.0: any other scheduler is stepped after every optimizer step,
    # and num_training_steps counts optimizer steps (batches / accumulation).
    steps = 4
    trainer, used = _hf_trainer(hf, tmp_path, [], max_steps=steps,
                                gradient_accumulation_steps=2, eval_strategy="no",
                                lr_scheduler_type="linear")
    trainer.train()
    np.testing.assert_allclose(used, [LR0 * (1 - t / steps) for t in range(steps)],
                               rtol=1e-12)


# ---------------------------------------------------------------------------
# PyTorch Lightning
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lightning():
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("pytorch_lightning")
    _note_version("pytorch_lightning", pl.__version__)
    return torch, pl


BATCHES = 4          # training batches per epoch


def _lightning_fit(lightning, val_values, epochs, sched_config, monitor="val_metric"):
    """Fit a one-weight model for ``epochs`` epochs of BATCHES batches; the
    validation at the end of epoch e logs ``val_values[e]``. Returns the
    rate used by every training batch, shape (epochs, BATCHES)."""
    torch, pl = lightning

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(1, 1)
            self.used = []

        def training_step(self, batch, batch_idx):
            self.used.append(self.trainer.optimizers[0].param_groups[0]["lr"])
            x, y = batch
            return torch.nn.functional.mse_loss(self.lin(x), y)

        def validation_step(self, batch, batch_idx):
            self.log(monitor, float(val_values[self.current_epoch]))

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=LR0)
            plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
                opt, factor=FACTOR, patience=PATIENCE)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": plateau, **sched_config}}

    x = torch.linspace(0, 1, 2 * BATCHES).unsqueeze(-1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, 2 * x),
                                         batch_size=2)
    model = Module()
    trainer = pl.Trainer(max_epochs=epochs, accelerator="cpu", logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0,
                         limit_val_batches=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # num_workers hints, strict=False notes
        trainer.fit(model, loader, loader)
    return np.array(model.used).reshape(epochs, BATCHES)


def test_lightning_interval_epoch_steps_after_validation(lightning):
    # pytorch-lightning 2.6.6: "interval": "epoch" (the default) steps the plateau
    # scheduler once per epoch, after validation, with the logged monitor.
    epochs = 8
    vals = [1.0] * epochs
    used = _lightning_fit(lightning, vals, epochs, {"monitor": "val_metric"})
    after = _rates_after(vals)
    expected = [LR0] + after[:epochs - 1]          # epoch e uses the rate after e reports
    np.testing.assert_allclose(used, np.repeat(np.array(expected)[:, None], BATCHES, 1),
                               rtol=1e-12)
    assert used.min() < LR0


def test_lightning_frequency_counts_in_units_of_epochs(lightning):
    # pytorch-lightning 2.6.6: with "frequency": 2 the scheduler is stepped when
    # (current_epoch + 1) % 2 == 0, i.e. after epochs 1, 3, 5, ...
    epochs = 10
    vals = [1.0] * epochs
    used = _lightning_fit(lightning, vals, epochs,
                          {"monitor": "val_metric", "frequency": 2})
    reported = vals[1::2]
    after = _rates_after(reported)
    expected = [LR0 if e < 2 else after[(e - 2) // 2] for e in range(epochs)]
    np.testing.assert_allclose(used[:, 0], expected, rtol=1e-12)
    # with a flat metric the first report sets the best and the cut follows report
    # PATIENCE + 2: in use from epoch 2 (PATIENCE + 2) here, PATIENCE + 2 with frequency 1
    first_cut_epoch = int(np.argmax(used[:, 0] < LR0))
    assert first_cut_epoch == 2 * (PATIENCE + 2)


def test_lightning_interval_step_sees_a_stale_validation_value(lightning):
    # pytorch-lightning 2.6.6: "interval": "step" steps the plateau scheduler after
    # every training batch with the last logged value of the monitor. The validation
    # metric below improves every epoch, so a per-epoch rule would never cut; stepped
    # per batch it sees the same value BATCHES times and cuts anyway.
    torch, pl = lightning
    epochs = 4
    vals = [1.0 / (e + 1) for e in range(epochs)]
    # strict=True (default): the monitor does not exist before the first validation
    with pytest.raises(pl.utilities.exceptions.MisconfigurationException,
                       match="not available"):
        _lightning_fit(lightning, vals, epochs, {"monitor": "val_metric", "interval": "step"})
    used = _lightning_fit(lightning, vals, epochs,
                          {"monitor": "val_metric", "interval": "step", "strict": False})
    # the values the scheduler receives: none in epoch 0 before validation, then, in
    # epoch e, vals[e - 1] for the first BATCHES - 1 batches and vals[e] after the
    # validation at the end of the epoch's last batch
    seen = [vals[0]]
    for e in range(1, epochs):
        seen += [vals[e - 1]] * (BATCHES - 1) + [vals[e]]
    after = _rates_after(seen)
    # batch b of epoch e >= 1 runs after 1 + (e - 1) * BATCHES + b reports
    expected = [LR0] * BATCHES + [after[(e - 1) * BATCHES + b]
                                  for e in range(1, epochs) for b in range(BATCHES)]
    np.testing.assert_allclose(used.ravel(), expected, rtol=1e-12)
    assert used.min() < LR0                              # cut despite steady progress
    assert _rates_after(vals)[-1] == LR0                 # per epoch: never


def test_lightning_plateau_requires_a_monitor(lightning):
    # pytorch-lightning 2.6.6, _configure_schedulers_automatic_opt
    torch, pl = lightning
    with pytest.raises(pl.utilities.exceptions.MisconfigurationException,
                       match="must include a monitor"):
        _lightning_fit(lightning, [1.0, 1.0], 2, {})

