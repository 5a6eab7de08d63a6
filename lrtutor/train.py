"""One training loop for the whole book, and batched learning-rate sweeps.

:func:`run` applies an optimizer to a problem for a number of steps and returns
a :class:`Trace`: every iterate, every loss, the rate used at every update and
the gradient norms. Divergence is a result, not a crash: the trace records the
step at which the loss stopped being finite or exploded, freezes the parameters
there and carries on quietly (no ``RuntimeWarning`` reaches the reader).

:func:`sweep` runs many learning rates at once. The rows of a batched parameter
array are independent runs, so a thousand rates cost one vectorised loop, not a
thousand Python loops.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from lrtutor._validate import check_array, check_int, check_real

__all__ = ["Trace", "run", "sweep", "rate_at"]


def rate_at(lr, t):
    r"""The learning rate :math:`\eta_t` of update ``t`` for a float, schedule or array.

    .. math:: \eta_t = \begin{cases} \eta & \text{a float} \\ s(t) & \text{a schedule } s \end{cases}

    where ``t`` is the number of updates already applied (0 for the first).
    An array of rates (one per row of a sweep) is returned as an array.

    Examples
    --------
    >>> rate_at(0.1, 5)
    0.1
    >>> rate_at(lambda t: 0.1 * 0.5 ** t, 2)
    0.025
    """
    t = check_int("t", t, low=0)
    if callable(lr):
        return lr(t)
    if np.ndim(lr) == 0:
        return check_real("lr", lr, low=0, low_op=">")
    return check_array("lr", lr, ndim=1, low=0, low_op=">")


@dataclass(frozen=True, repr=False)
class Trace:
    r"""What a training run did, step by step.

    The batch shape ``B`` is ``()`` for a single run and ``(k,)`` for a sweep
    of ``k`` runs; ``T`` is the number of steps and ``d`` the dimension.

    Attributes
    ----------
    params : ndarray, shape (T + 1, *B, d)
        Iterates :math:`\theta_0, \dots, \theta_T`. After a run diverges its
        parameters stay at the last finite iterate.
    losses : ndarray, shape (T + 1, *B)
        Full-data loss :math:`f(\theta_t)`; NaN from the step where a run diverged.
    lrs : ndarray, shape (T, *B)
        The rate :math:`\eta_t` of update ``t`` (the schedule's value; adaptive
        optimizers scale it further per coordinate).
    grad_norms : ndarray, shape (T, *B)
        :math:`\lVert g_t \rVert`, the norm of the gradient used by update ``t``
        (a mini-batch gradient for stochastic runs); NaN after divergence.
    diverged_at : ndarray of int, shape B
        For each run, the first step ``t`` whose loss was non-finite or above
        the explosion threshold, or ``-1`` if it never diverged.
    threshold : float
        The explosion threshold used, ``blowup * max(f(theta_0), 1)``, with the
        largest starting loss over all runs (one threshold shared by every run).
    state : NamedTuple
        The optimizer's state after the last step; pass it to :func:`run` as
        ``state=`` to continue the run (momentum buffers, moment estimates and
        the step count carry over).
    """

    params: np.ndarray
    losses: np.ndarray
    lrs: np.ndarray
    grad_norms: np.ndarray
    diverged_at: np.ndarray
    threshold: float
    state: tuple = None

    def __post_init__(self):
        # A Trace is made by run(); these checks keep a hand-made one honest.
        params = check_array("params", self.params, finite=False)
        if params.ndim < 2:
            raise ValueError("params must have shape (T + 1, *B, d), "
                             f"got shape {params.shape}")
        steps, batch = params.shape[0] - 1, params.shape[1:-1]
        shapes = {"losses": (steps + 1,) + batch, "lrs": (steps,) + batch,
                  "grad_norms": (steps,) + batch}
        for name, shape in shapes.items():
            value = check_array(name, getattr(self, name), finite=False)
            if value.shape != shape:
                raise ValueError(f"{name} must have shape {shape} to match params, "
                                 f"got {value.shape}")
        diverged = np.asarray(self.diverged_at)
        if diverged.shape != batch or not np.issubdtype(diverged.dtype, np.integer):
            raise ValueError(f"diverged_at must be integers of shape {batch}, "
                             f"got {diverged.dtype} of shape {diverged.shape}")
        check_real("threshold", self.threshold, low=0, low_op=">", allow_inf=True)

    @property
    def steps(self):
        """Number of updates the run was asked to make."""
        return self.lrs.shape[0]

    @property
    def diverged(self):
        """True (per run) when the run diverged."""
        return self.diverged_at >= 0

    @property
    def final_loss(self):
        """Loss after the last step (NaN for a diverged run)."""
        return self.losses[-1]

    @property
    def final_params(self):
        """Parameters after the last step (the last finite iterate if diverged)."""
        return self.params[-1]

    def finite_length(self, index=()):
        """Number of leading iterates worth drawing: all ``T + 1``, or up to the divergence.

        ``index`` selects a run of a sweep (``()`` for a single run). The
        iterates ``params[:finite_length(index)]`` are the run's finite path.
        """
        at = int(self.diverged_at[index])
        return self.params.shape[0] if at < 0 else at

    def message(self, index=None):
        """A one-line account of a run, e.g. ``"diverged at step 12"``.

        ``index`` selects a run of a sweep (an int for a 1-D sweep).
        """
        if index is None:
            if self.diverged_at.ndim != 0:
                raise ValueError("index must select one run of this sweep "
                                 f"(batch shape {self.diverged_at.shape})")
            index = ()
        at = int(self.diverged_at[index])
        if at >= 0:
            return f"diverged at step {at}"
        loss = float(self.losses[(-1,) + np.index_exp[index]])
        return f"ran {self.steps} steps, final loss {loss:.3e}"

    def __repr__(self):
        batch = self.diverged_at.shape
        n_div = int(np.count_nonzero(self.diverged))
        return (f"Trace(steps={self.steps}, batch_shape={batch}, "
                f"dim={self.params.shape[-1]}, diverged_runs={n_div})")


def _check_problem_optimizer(problem, optimizer):
    """``problem`` has loss/grad; ``optimizer`` is an lrtutor.optim dataclass."""
    if not (callable(getattr(problem, "loss", None)) and callable(getattr(problem, "grad", None))):
        raise TypeError("problem must have loss(x) and grad(x) methods (see "
                        f"lrtutor.problems), got {type(problem).__name__}")
    if not (dataclasses.is_dataclass(optimizer) and not isinstance(optimizer, type)
            and all(callable(getattr(optimizer, m, None)) for m in ("init", "update"))
            and hasattr(optimizer, "lr")):
        raise TypeError("optimizer must be an optimizer of lrtutor.optim (with lr, init "
                        f"and update), got {type(optimizer).__name__}")


def run(problem, optimizer, x0, steps, *, rng=None, batch_size=None, blowup=1e8,
        state=None):
    r"""Train ``x0`` on ``problem`` with ``optimizer`` for ``steps`` updates.

    Update ``t`` (``t = 0, ..., steps - 1``) is

    .. math:: g_t = \nabla f_{B_t}(\theta_t), \qquad
              \theta_{t+1} = \mathrm{update}(\theta_t, g_t;\ \eta_t),

    where :math:`f_{B_t}` is the full objective (``batch_size=None``) or a
    mini-batch of ``batch_size`` rows drawn with ``rng``, and :math:`\eta_t` is
    the optimizer's rate at step ``t``.

    A run diverges at the first step ``t`` where :math:`f(\theta_t)` is not
    finite or exceeds ``blowup * max(f(theta_0), 1)`` (for several runs, the
    largest starting loss of them all: one threshold for every run). From then on its
    parameters are frozen at :math:`\theta_{t-1}` and its losses are NaN; the
    step is reported in :attr:`Trace.diverged_at`. No warning is emitted.

    Parameters
    ----------
    problem : object with ``loss(x)`` and ``grad(x)``
        See :mod:`lrtutor.problems`. Stochastic runs also need
        ``stochastic_grad(x, rng, batch_size)``.
    optimizer : an optimizer of :mod:`lrtutor.optim`
    x0 : array_like, shape (*B, d)
        Starting point; a leading batch axis runs several runs at once (its
        length must match an array ``lr`` of the optimizer).
    steps : int >= 0
    rng : numpy.random.Generator, optional
        Required when ``batch_size`` is given.
    batch_size : int, 1 <= batch_size <= problem.n, optional
        Mini-batch size; ``None`` means full-batch gradient descent.
    blowup : float > 1
        Loss growth factor that counts as divergence.
    state : optimizer state, optional
        Continue from this state (``trace.state`` of an earlier run from
        ``x0``) instead of ``optimizer.init(x0)``; the rate of update ``t`` is
        then the schedule's value at ``state.count + t``. Step numbers in the
        new trace, including ``diverged_at``, count from the new start.

    Returns
    -------
    Trace

    Examples
    --------
    >>> from lrtutor.problems import Quadratic
    >>> from lrtutor.optim import SGD
    >>> q = Quadratic.one_d(1.0)
    >>> trace = run(q, SGD(lr=0.5), [1.0], steps=3)
    >>> trace.params[:, 0].round(4).tolist()
    [1.0, 0.5, 0.25, 0.125]
    >>> run(q, SGD(lr=2.5), [1.0], steps=100).message()
    'diverged at step 24'
    """
    _check_problem_optimizer(problem, optimizer)
    steps = check_int("steps", steps, low=0)
    blowup = check_real("blowup", blowup, low=1, low_op=">")
    x = check_array("x0", x0, ndim=(1, 2))
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, low=1)
        if not hasattr(problem, "stochastic_grad"):
            raise TypeError("batch_size needs a problem with stochastic_grad "
                            f"(a data set), got {type(problem).__name__}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy.random.Generator when batch_size "
                            f"is given, got {type(rng).__name__}")
    batch_shape = x.shape[:-1]

    with np.errstate(all="ignore"):
        loss0 = np.asarray(problem.loss(x), dtype=np.float64)
        threshold = blowup * max(float(np.max(loss0, initial=0.0)), 1.0)
        params = np.empty((steps + 1,) + x.shape)
        losses = np.full((steps + 1,) + batch_shape, np.nan)
        lrs = np.empty((steps,) + batch_shape)
        grad_norms = np.full((steps,) + batch_shape, np.nan)
        diverged_at = np.full(batch_shape, -1, dtype=np.int64)
        params[0], losses[0] = x, loss0
        if state is None:
            state = optimizer.init(x)
        elif not (isinstance(state, tuple) and "count" in getattr(state, "_fields", ())):
            # a NamedTuple with a count field; a plain tuple also has a .count (a method)
            raise TypeError("state must be an optimizer state, a NamedTuple with a count "
                            f"field (e.g. trace.state), got {type(state).__name__}")
        start = check_int("state.count", state.count, low=0)
        for t in range(steps):
            lrs[t] = rate_at(optimizer.lr, start + t)
        for t in range(steps):
            alive = diverged_at < 0
            if batch_size is None:
                g = problem.grad(x)
            else:
                g = problem.stochastic_grad(x, rng, batch_size)
            grad_norms[t] = np.where(alive, np.linalg.norm(g, axis=-1), np.nan)
            new_x, state = optimizer.update(g, state, x)
            loss = np.asarray(problem.loss(new_x), dtype=np.float64)
            bad = alive & ~(np.all(np.isfinite(new_x), axis=-1)
                            & np.isfinite(loss) & (loss <= threshold))
            diverged_at = np.where(bad, t + 1, diverged_at)
            alive = diverged_at < 0
            x = np.where(alive[..., None], new_x, x)
            params[t + 1] = x
            losses[t + 1] = np.where(alive, loss, np.nan)
            if not np.any(alive):       # every run has diverged: nothing left to do
                params[t + 2:] = x
                break
    return Trace(params=params, losses=losses, lrs=lrs, grad_norms=grad_norms,
                 diverged_at=diverged_at, threshold=threshold, state=state)


def sweep(problem, optimizer, lrs, x0, steps, *, rng=None, batch_size=None,
          blowup=1e8):
    r"""Run ``optimizer`` once per learning rate in ``lrs``, all in one batch.

    .. math:: \theta^{(i)}_{t+1} = \mathrm{update}\bigl(\theta^{(i)}_t, g^{(i)}_t;\ \eta^{(i)}\bigr),
              \qquad \theta^{(i)}_0 = \theta_0, \quad i = 1, \dots, k,

    computed as one array operation per step over the stacked parameters.
    Row ``i`` of the result is the run :func:`run` would give with
    ``optimizer`` at rate ``lrs[i]`` (same start ``x0``; for stochastic runs
    every row sees the same mini-batches, which makes rates comparable), up
    to the last bit: a batched matrix product may round differently from
    a single one (measured: at most a few parts in 1e16).

    Parameters
    ----------
    problem, steps, rng, batch_size, blowup
        As in :func:`run`.
    optimizer : an optimizer of :mod:`lrtutor.optim`
        Its own ``lr`` is replaced by the array ``lrs``.
    lrs : array_like, shape (k,)
        Positive learning rates.
    x0 : array_like, shape (d,)
        Common starting point.

    Returns
    -------
    Trace
        With batch shape ``(k,)``.

    Examples
    --------
    >>> from lrtutor.problems import Quadratic
    >>> from lrtutor.optim import SGD
    >>> trace = sweep(Quadratic.one_d(1.0), SGD(lr=0.1), [0.5, 1.5, 2.5], [1.0], 50)
    >>> trace.diverged_at.tolist()
    [-1, -1, 24]
    """
    _check_problem_optimizer(problem, optimizer)
    rates = check_array("lrs", lrs, ndim=1, low=0, low_op=">")
    if rates.size == 0:
        raise ValueError("lrs must contain at least one learning rate")
    start = check_array("x0", x0, ndim=1)
    batched = dataclasses.replace(optimizer, lr=rates)
    xs = np.broadcast_to(start, (rates.size, start.size)).copy()
    return run(problem, batched, xs, steps, rng=rng, batch_size=batch_size,
               blowup=blowup)
