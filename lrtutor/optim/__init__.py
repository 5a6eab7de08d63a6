r"""Optimizers: gradient descent, momentum, the adaptive methods, Lion and schedule-free.

Every optimizer is a frozen dataclass of hyperparameters with two pure methods,
in the shape optax made popular::

    state = opt.init(params)
    params, state = opt.update(grads, state, params)

``state`` is a :class:`~typing.NamedTuple` whose ``count`` is the number of
updates already applied (0 before the first) and whose other fields are
buffers shaped like ``params`` (``None`` for a buffer the hyperparameters do
not use). ``update`` modifies nothing; ``update_`` is the same update done
in place (for large arrays, bit for bit equal). Invalid arguments raise
:class:`TypeError` or :class:`ValueError` naming the argument.

**Step counting.** In the formulas, :math:`t = 1, 2, \dots` numbers the update
being made, so :math:`t = \texttt{state.count} + 1` during an update; it is the
exponent in Adam's bias corrections. The rate :math:`\eta` of that update is
``lr`` itself when it is a float, and ``lr(state.count)`` when it is a schedule,
so ``lr(0)`` is the rate of the first update (the :mod:`lrtutor.schedules` and
optax convention).

**The learning rate** ``lr`` is a float :math:`> 0`; or a schedule, any
callable ``t -> rate`` such as those of :mod:`lrtutor.schedules` (values finite
and :math:`\ge 0`); or, for a sweep, a 1-D array of ``k`` positive rates with
``params`` of shape ``(k, ...)``: row ``i`` then gets exactly the iterates of a
separate run with the float ``lr[i]``.

**Cycle momentum.** The ``momentum`` of :class:`SGD` and :class:`RMSprop`
and the :math:`\beta_1` (``betas[0]``) of :class:`Adam`, :class:`AdamW`,
:class:`NAdam`, :class:`RAdam` and :class:`Adamax` may also be a schedule
``t -> value``,
evaluated at ``state.count`` like ``lr`` and checked to lie in :math:`[0, 1)`
at each update: this is what PyTorch's ``CyclicLR`` and ``OneCycleLR`` do with
``cycle_momentum=True``, and the methods ``momentum`` of
:class:`lrtutor.schedules.Cyclic` and :class:`lrtutor.schedules.OneCycle`
give the values (pass them with ``functools.partial``)::

    sched = OneCycle(max_lr=0.1, total_steps=300)
    opt = SGD(sched, momentum=partial(sched.momentum, base_momentum=0.85,
                                      max_momentum=0.95))

**Numbers** are those of ``torch.optim`` (torch 2.13) for the same
hyperparameters; each class's Notes say where optax and Keras differ.
:class:`HeavyBall` and :class:`EMAMomentum` are the two other ways of writing
momentum, and their Notes give the exact conversions. :class:`Yogi` and
:class:`Lion` have no ``torch.optim`` twin and match ``optax``. The
schedule-free optimizers (:class:`ScheduleFreeSGD`, :class:`ScheduleFreeAdamW`)
match the authors' ``schedulefree`` package, and their ``update`` returns the
point where the next gradient is taken, while ``eval_params(state)`` returns
the average to evaluate.

The modules of this package hold the families: ``sgd`` (gradient descent and
momentum), ``adaptive`` (AdaGrad, RMSprop, Adadelta), ``adam`` (Adam, AdamW,
NAdam, RAdam, Adamax, Yogi), ``sign`` (Lion) and ``schedule_free``; import
every name from :mod:`lrtutor.optim` itself.
"""

# the private names are re-exported for the tests and bench/ (imports unchanged by the split)
from lrtutor.optim._core import (CHUNK, LearningRate, _available_cores,  # noqa: F401
                                 _blocked_update, _check_betas, _check_inplace, _check_lr,
                                 _check_pair, _check_state, _coef, _div, _inplace, _l2, _nonneg,
                                 _quiet, _rate, _set, _Stepped, _unit, _unit_or_schedule, _zeros)
from lrtutor.optim.sgd import SGD, EMAMomentum, HeavyBall, SGDState, VelocityState
from lrtutor.optim.adaptive import (AdaGrad, AdaGradState, Adadelta, AdadeltaState, RMSprop,
                                    RMSpropState)
from lrtutor.optim.adam import (Adam, Adamax, AdamaxState, AdamState, AdamW,  # noqa: F401
                                NAdam, NAdamState, RAdam, Yogi, _bias_corrections)
from lrtutor.optim.sign import Lion, LionState
from lrtutor.optim.schedule_free import ScheduleFreeAdamW, ScheduleFreeSGD, ScheduleFreeState

__all__ = ["SGD", "HeavyBall", "EMAMomentum", "AdaGrad", "RMSprop", "Adadelta",
           "Adam", "AdamW", "NAdam", "RAdam", "Adamax", "Yogi", "Lion",
           "ScheduleFreeSGD", "ScheduleFreeAdamW",
           "SGDState", "VelocityState", "AdaGradState", "RMSpropState", "AdadeltaState",
           "AdamState", "NAdamState", "AdamaxState", "LionState", "ScheduleFreeState"]
