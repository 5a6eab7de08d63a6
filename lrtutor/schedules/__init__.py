r"""Learning-rate schedules as pure maps from step to rate, :math:`t \mapsto \eta_t`.

A schedule ``s`` is a frozen dataclass; ``s(t)`` is the rate of update number
``t``, where **t is the number of updates already applied**: ``s(0)`` is the
rate of the first update. ``t`` is a Python int (the result is a float) or an
integer numpy array of any shape (the result is a float64 array of that shape),
so ``s(np.arange(T))`` gives the whole curve at once.

How ``t`` maps onto each framework:

- **optax**: ``t`` is the ``count`` the schedule is called with (0 on the first
  update).
- **Keras**: ``t`` is ``optimizer.iterations`` (0 on the first update).
- **PyTorch**: ``s(t)`` is the lr after ``t`` calls of ``scheduler.step()``
  (``scheduler.last_epoch == t``; the constructor's initial step gives ``t = 0``).

Each class names the framework whose numbers it reproduces and the mapping of
arguments. The one stateful object, :class:`ReduceLROnPlateau`, is a controller
that reacts to a metric, not a schedule.

The families live in submodules, all re-exported here: ``decay`` (constant,
step, exponential, polynomial, cosine), ``warmup`` (warmup, WSD, inverse
square root), ``cyclic`` (warm restarts, cyclical, 1cycle), ``compose``
(joins, products, rates from any callable, one schedule per run) and
``plateau``.

**Past the horizon.** Every schedule is defined for every ``t >= 0`` unless
its docstring says otherwise, and each docstring states what it returns after
its own horizon (``decay_steps``, ``T_max``, ``total_steps`` ...). A rate that
would overflow float64 (a growing exponential at a huge ``t``) is a
``ValueError`` naming ``t``, never ``inf`` or a warning.
"""

from lrtutor.schedules._core import (_as_steps, _check_choice, _check_increasing,  # noqa: F401
                                     _check_momenta, _check_schedules, _momenta, _Schedule,
                                     _set)
from lrtutor.schedules.decay import (Constant, CosineAnnealing, CosineDecay, ExponentialDecay,
                                     InverseTimeDecay, LinearSchedule, MultiStepDecay,
                                     PiecewiseConstant, PolynomialDecay, StepDecay)
from lrtutor.schedules.warmup import InverseSqrtDecay, Warmup, WarmupStableDecay
from lrtutor.schedules.compose import (MULTIPLICATIVE_MAX_T, Chained, Join,  # noqa: F401
                                       LambdaSchedule, Multiplicative, PerRun)
from lrtutor.schedules.cyclic import CosineWarmRestarts, Cyclic, OneCycle
from lrtutor.schedules.plateau import ReduceLROnPlateau

__all__ = [
    "Constant",
    "StepDecay",
    "MultiStepDecay",
    "PiecewiseConstant",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LinearSchedule",
    "PolynomialDecay",
    "CosineDecay",
    "CosineAnnealing",
    "Warmup",
    "Join",
    "PerRun",
    "CosineWarmRestarts",
    "Cyclic",
    "OneCycle",
    "WarmupStableDecay",
    "InverseSqrtDecay",
    "LambdaSchedule",
    "Multiplicative",
    "Chained",
    "ReduceLROnPlateau",
]
