r"""The one stateful controller: cut the rate when a metric stops improving."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from lrtutor._validate import check_int, check_real
from lrtutor.schedules._core import _check_choice

@dataclass(eq=False)
class ReduceLROnPlateau:
    r"""Cut the rate by ``factor`` when a monitored metric stops improving.

    Not a schedule: the rate depends on the metric, so this object keeps state
    (``lr``, ``best``, ``num_bad_epochs``, ``cooldown_counter``, ``history``)
    and changes it only through :meth:`step`. A step is *better* if

    .. math:: a < a^\ast(1-\vartheta) \ \text{(min, rel)},\quad a < a^\ast - \vartheta
              \ \text{(min, abs)},\quad a > a^\ast(1+\vartheta) \ \text{(max, rel)},
              \quad a > a^\ast + \vartheta \ \text{(max, abs)}

    where :math:`a` is the new metric, :math:`a^\ast` is ``best`` and
    :math:`\vartheta` is ``threshold``. After more than ``patience`` bad steps in a
    row: :math:`\eta \leftarrow \max(\gamma\eta,\ \eta_{\min})`, with :math:`\gamma` =
    ``factor`` and :math:`\eta_{\min}` = ``min_lr``, then ``cooldown`` steps
    in which bad steps are not counted.

    Parameters
    ----------
    init_value : float
        Starting rate, >= 0.
    mode : {'min', 'max'}
        Whether smaller or larger metrics are better.
    factor : float
        Cut factor, in [0, 1) (0 drops the rate to ``min_lr`` at the first
        cut, as PyTorch allows).
    patience : int
        Bad steps tolerated before a cut, >= 0.
    threshold : float
        Minimal significant improvement, >= 0.
    threshold_mode : {'rel', 'abs'}
        Relative or absolute threshold.
    cooldown : int
        Steps after a cut during which bad steps are ignored, >= 0.
    min_lr : float
        Lower bound of the rate, >= 0.
    eps : float
        Cuts smaller than ``eps`` are skipped, >= 0.
    convention : {'torch', 'keras'}
        Which library's rule :meth:`step` follows; use :meth:`keras` for Keras.

    Notes
    -----
    Equals ``torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode, factor,
    patience, threshold, threshold_mode, cooldown, min_lr, eps)`` with base lr
    ``init_value``: ``step(metric)`` returns the lr after torch's
    ``scheduler.step(metric)``. A NaN or infinite metric is never better
    (torch would store ``-inf`` as the best loss and then never improve).
    Keras's callback differs: it cuts when ``wait >= patience`` (one step
    earlier), its ``min_delta`` is absolute, and cooldown is handled before the
    improvement test (so ``cooldown=c`` ignores only ``c - 1`` bad epochs, and
    ``cooldown=1`` none); :meth:`keras` reproduces it (in float64; Keras stores the
    rate in float32).

    Examples
    --------
    >>> plateau = ReduceLROnPlateau(0.1, factor=0.5, patience=2)
    >>> [plateau.step(m) for m in (1, .8, .7, .71, .72, .73)]
    [0.1, 0.1, 0.1, 0.1, 0.1, 0.05]
    """

    init_value: float
    mode: str = "min"
    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: float = 0.0
    eps: float = 1e-8
    convention: str = "torch"
    lr: float = field(init=False)
    best: float = field(init=False)
    num_bad_epochs: int = field(init=False, default=0)
    cooldown_counter: int = field(init=False, default=0)
    history: list = field(init=False, default_factory=list, repr=False)

    def __post_init__(self):
        self.init_value = check_real("init_value", self.init_value, low=0)
        self.mode = _check_choice("mode", self.mode, ("min", "max"))
        self.factor = check_real("factor", self.factor, low=0, high=1, high_op="<")
        self.patience = check_int("patience", self.patience, low=0)
        self.threshold = check_real("threshold", self.threshold, low=0)
        self.threshold_mode = _check_choice("threshold_mode", self.threshold_mode, ("rel", "abs"))
        self.cooldown = check_int("cooldown", self.cooldown, low=0)
        self.min_lr = check_real("min_lr", self.min_lr, low=0)
        self.eps = check_real("eps", self.eps, low=0)
        self.convention = _check_choice("convention", self.convention, ("torch", "keras"))
        self.lr = self.init_value
        self.best = math.inf if self.mode == "min" else -math.inf

    @classmethod
    def keras(cls, init_value, mode="min", factor=0.1, patience=10, min_delta=1e-4,
              cooldown=0, min_lr=0.0):
        """Keras's ``callbacks.ReduceLROnPlateau(monitor, factor, patience, mode,
        min_delta, cooldown, min_lr)``, one :meth:`step` per epoch."""
        return cls(init_value, mode, factor, patience, threshold=min_delta,
                   threshold_mode="abs", cooldown=cooldown, min_lr=min_lr, eps=0.0,
                   convention="keras")

    def _is_better(self, a):
        if not math.isfinite(a):
            return False
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < self.best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < self.best - self.threshold
        if self.threshold_mode == "rel":
            return a > self.best * (self.threshold + 1.0)
        return a > self.best + self.threshold

    def step(self, metric):
        """Record one metric value (one epoch) and return the rate to use next."""
        if isinstance(metric, (bool, np.bool_)) or not isinstance(metric, numbers.Real):
            raise TypeError(f"metric must be a real number, got {type(metric).__name__}")
        try:
            a = float(metric)
        except OverflowError:           # a Python int beyond float64 (10**400)
            raise ValueError(f"metric must be a real number within float64's range, got an "
                             f"integer of {len(str(abs(int(metric))))} digits") from None
        if self.convention == "torch":
            self._step_torch(a)
        else:
            self._step_keras(a)
        self.history.append(self.lr)
        return self.lr

    def _step_torch(self, a):  # torch ReduceLROnPlateau.step, line for line
        if self._is_better(a):
            self.best, self.num_bad_epochs = a, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0

    def _step_keras(self, a):  # keras ReduceLROnPlateau.on_epoch_end ("wait" = num_bad)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self._is_better(a):
            self.best, self.num_bad_epochs = a, 0
        elif self.cooldown_counter == 0:
            self.num_bad_epochs += 1
            if self.num_bad_epochs >= self.patience and self.lr > self.min_lr:
                self.lr = max(self.lr * self.factor, self.min_lr)
                self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
