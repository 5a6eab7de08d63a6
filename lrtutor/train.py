"""One training loop for the whole book, and batched learning-rate sweeps.

:func:`run` applies an optimizer to a problem for a number of steps and returns
a :class:`Trace`: every iterate, every loss, the rate used at every update and
the gradient norms. Divergence is a result, not a crash: the trace records the
step at which the loss stopped being finite or exploded, freezes the parameters
there and carries on quietly (no ``RuntimeWarning`` reaches the reader). A run
can be interrupted and resumed exactly: its trace carries a checkpoint
(:attr:`Trace.checkpoint`), ``run(..., resume=trace)`` continues it as if it
had never stopped, and :mod:`lrtutor.checkpoint` saves it as plain data.

:func:`sweep` runs many learning rates at once. The rows of a batched parameter
array are independent runs, so a thousand rates cost one vectorised loop, not a
thousand Python loops.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
from dataclasses import dataclass

import numpy as np

from lrtutor._validate import (INT_MAX, check_array, check_bool, check_callable,
                               check_choice, check_int, check_optimizer, check_problem,
                               check_real)
from lrtutor.diagnostics import clip_grad_norm, update_ratio

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
    params : ndarray, shape (R, *B, d)
        Iterates :math:`\theta_t` at the recorded steps ``recorded`` (all
        ``T + 1`` of them by default). After a run diverges its parameters stay
        at the last finite iterate.
    losses : ndarray, shape (R, *B)
        Full-data loss :math:`f(\theta_t)` at the recorded steps; NaN from the
        step where a run diverged.
    lrs : ndarray, shape (T, *B)
        The rate :math:`\eta_t` of update ``t`` (the schedule's value; adaptive
        optimizers scale it further per coordinate).
    grad_norms : ndarray, shape (T, *B)
        :math:`\lVert g_t \rVert`, the norm of the gradient used by update ``t``
        (a mini-batch gradient for stochastic runs; before clipping); NaN after
        divergence.
    diverged_at : ndarray of int, shape B
        For each run, the first step ``t`` whose loss was non-finite or above
        the explosion threshold, or ``-1`` if it never diverged.
    threshold : float
        The explosion threshold used, ``blowup * max(f(theta_0), 1)``, with the
        largest starting loss over all runs (one threshold shared by every run).
    state : NamedTuple
        The optimizer's state after the last step; pass it to :func:`run` as
        ``state=`` to continue the run (momentum buffers, moment estimates and
        the step count carry over); ``resume=trace`` continues it exactly,
        batches, records and divergence checks included.
    recorded : ndarray of int, shape (R,)
        The steps stored in ``params`` and ``losses``: increasing, from 0 to
        ``T``. Default: every step.
    batch_losses : ndarray, shape (T, *B)
        :math:`f_{B_t}(\theta_t)`, the loss of the mini-batch that update ``t``
        used, at the parameters it was computed at (what a training loop
        logs; the full loss for full-batch runs); NaN after divergence.
    eval_steps : ndarray of int, shape (E,)
        The steps at which ``evals`` were measured.
    evals : dict of str -> ndarray of shape (E, *B)
        Validation loss and accuracy and other monitored quantities at
        ``eval_steps`` (see :func:`run`); NaN after divergence.
    update_ratios : ndarray, shape (T, *B, L), or None
        With ``track_update_ratio``: :math:`\lVert \Delta W_l \rVert /
        \lVert W_l \rVert` of update ``t`` for each of the ``L`` layers
        (:func:`lrtutor.diagnostics.update_ratio`); NaN after divergence.
    checkpoint : dict or None
        What :func:`run` needs, beside the arrays above and ``state``, to
        continue the run exactly (``run(..., resume=trace)``): the loop's
        variables after the last step (``x``, ``x_prev``, ``loss``, ``grad``,
        ``diverged_at``), the generators' states and the epoch's permutation
        and position (``rng``, ``shared_rng``, ``perms``, ``pos``), how many
        records and evaluations a longer run shares with this one
        (``records``, ``evaluations``, ``evals``), ``step``, ``start`` and the
        run's ``options``. Plain values and arrays only;
        :func:`lrtutor.checkpoint.to_plain` saves the trace with it. A
        stochastic run judges its last step by the full loss, because it
        records it; a longer run judges that step by its batch loss, so a run
        that fails only that last test has ``diverged_at`` equal to ``T`` but
        is not yet diverged in ``checkpoint['diverged_at']``. ``None`` for a
        trace that :func:`run` did not return as is (a reshaped sweep).
    """

    params: np.ndarray
    losses: np.ndarray
    lrs: np.ndarray
    grad_norms: np.ndarray
    diverged_at: np.ndarray
    threshold: float
    state: tuple = None
    recorded: np.ndarray = None
    batch_losses: np.ndarray = None
    eval_steps: np.ndarray = None
    evals: dict = None
    update_ratios: np.ndarray = None
    checkpoint: dict = None

    def __post_init__(self):
        # A Trace is made by run(); these checks keep a hand-made one honest.
        params = check_array("params", self.params, finite=False)
        if params.ndim < 2:
            raise ValueError("params must have shape (R, *B, d), "
                             f"got shape {params.shape}")
        lrs = check_array("lrs", self.lrs, finite=False)
        if lrs.ndim < 1:
            raise ValueError(f"lrs must have shape (T, *B), got shape {lrs.shape}")
        steps, batch = lrs.shape[0], params.shape[1:-1]
        recorded = (np.arange(steps + 1) if self.recorded is None
                    else np.asarray(self.recorded))
        if (recorded.ndim != 1 or recorded.size < 1
                or not np.issubdtype(recorded.dtype, np.integer)
                or recorded[0] != 0 or recorded[-1] != steps
                or np.any(np.diff(recorded) <= 0)):
            raise ValueError("recorded must be increasing integer steps from 0 to "
                             f"{steps} (the number of updates), got {recorded!r}")
        if params.shape[0] != recorded.size:
            raise ValueError(f"params must have one row per recorded step "
                             f"({recorded.size}), got shape {params.shape}")
        object.__setattr__(self, "recorded", recorded)
        eval_steps = (np.empty(0, dtype=np.int64) if self.eval_steps is None
                      else np.asarray(self.eval_steps))
        if (eval_steps.ndim != 1 or (eval_steps.size and (
                not np.issubdtype(eval_steps.dtype, np.integer)
                or eval_steps[0] < 0 or eval_steps[-1] > steps
                or np.any(np.diff(eval_steps) <= 0)))):
            raise ValueError("eval_steps must be increasing integer steps in "
                             f"[0, {steps}], got {eval_steps!r}")
        object.__setattr__(self, "eval_steps", eval_steps)
        if self.batch_losses is None:
            object.__setattr__(self, "batch_losses", np.full((steps,) + batch, np.nan))
        evals = {} if self.evals is None else self.evals
        if not isinstance(evals, dict):
            raise TypeError(f"evals must be a dict of arrays, got {type(evals).__name__}")
        object.__setattr__(self, "evals", evals)
        shapes = {"losses": (recorded.size,) + batch, "lrs": (steps,) + batch,
                  "grad_norms": (steps,) + batch, "batch_losses": (steps,) + batch}
        shapes.update({f"evals[{k!r}]": (eval_steps.size,) + batch for k in evals})
        for name, shape in shapes.items():
            value = (evals[name[7:-2]] if name.startswith("evals[")
                     else getattr(self, name))
            value = check_array(name, value, finite=False)
            if value.shape != shape:
                raise ValueError(f"{name} must have shape {shape} to match params, "
                                 f"got {value.shape}")
        if self.update_ratios is not None:
            ratios = check_array("update_ratios", self.update_ratios, finite=False)
            if ratios.shape[:-1] != (steps,) + batch or ratios.ndim < 2:
                raise ValueError(f"update_ratios must have shape {(steps,) + batch + ('L',)} "
                                 f"to match params, got {ratios.shape}")
        diverged = np.asarray(self.diverged_at)
        if diverged.shape != batch or not np.issubdtype(diverged.dtype, np.integer):
            raise ValueError(f"diverged_at must be integers of shape {batch}, "
                             f"got {diverged.dtype} of shape {diverged.shape}")
        check_real("threshold", self.threshold, low=0, low_op=">", allow_inf=True)
        if self.checkpoint is not None:
            _check_checkpoint(self)

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

    def _run_index(self, index):
        """``index`` checked as one run of this trace: a tuple of ints, one per batch axis.

        ``()`` (or ``None``) selects the only run of a single run; an int selects
        a run of a 1-D sweep. Negative indices count from the end, as in numpy.
        """
        shape = self.diverged_at.shape
        if index is None:
            index = ()
        parts = index if isinstance(index, tuple) else (index,)
        if len(parts) != len(shape):
            raise ValueError(f"index must select one run of this trace (batch shape {shape}: "
                             f"{len(shape)} integer(s)), got {index!r}")
        out = []
        for axis, (i, n) in enumerate(zip(parts, shape)):
            if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
                raise TypeError(f"index must hold integers, got {type(i).__name__} "
                                f"on axis {axis}")
            if not -n <= int(i) < n:
                raise ValueError(f"index must lie in [-{n}, {n}) on axis {axis}, got {int(i)}")
            out.append(int(i))
        return tuple(out)

    def finite_length(self, index=()):
        """Number of leading recorded iterates worth drawing: all, or up to the divergence.

        ``index`` selects a run of a sweep (``()`` for a single run). The
        iterates ``params[:finite_length(index)]`` are the run's finite path.
        """
        index = self._run_index(index)
        at = int(self.diverged_at[index])
        return self.params.shape[0] if at < 0 else int(np.searchsorted(self.recorded, at))

    def message(self, index=None):
        """A one-line account of a run, e.g. ``"diverged at step 12"``.

        ``index`` selects a run of a sweep (an int for a 1-D sweep).
        """
        index = self._run_index(index)
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
    check_problem("problem", problem)
    check_optimizer("optimizer", optimizer)


def _recorded_steps(every, steps, name):
    """Steps ``0, every, 2 every, ...`` and always ``steps`` itself (the end)."""
    every = check_int(name, every, low=1)
    return np.unique(np.r_[np.arange(0, steps + 1, every), steps])


class _Batches:
    """The row indices of each mini-batch, from one generator or one per run.

    ``"iid"``: every step draws ``batch_size`` distinct rows afresh
    (``rng.choice(n, batch_size, replace=False)``), so a row may come back in the
    next batch. ``"epoch"``: each epoch is a fresh permutation of the ``n`` rows
    walked through in consecutive batches, the last one shorter when
    ``batch_size`` does not divide ``n`` (PyTorch's ``DataLoader(shuffle=True)``
    with ``drop_last=False``). With one generator per run the result stacks
    each run's rows on a leading axis.
    """

    def __init__(self, n, batch_size, rngs, sampling, shared):
        self.n, self.batch_size, self.rngs = n, batch_size, rngs
        self.sampling, self.shared = sampling, shared
        self.perms, self.pos = None, n

    def next(self):
        if self.sampling == "iid":
            rows = [r.choice(self.n, size=self.batch_size, replace=False) for r in self.rngs]
        else:
            if self.pos >= self.n:
                self.perms = [r.permutation(self.n) for r in self.rngs]
                self.pos = 0
            stop = min(self.pos + self.batch_size, self.n)
            rows = [p[self.pos:stop] for p in self.perms]
            self.pos = stop
        return rows[0] if self.shared else np.stack(rows)


def _loss_and_grad(problem, x, idx):
    """The loss and gradient on the rows ``idx`` (all rows for ``None``), in one
    pass when the problem offers it (a network), else in two."""
    if hasattr(problem, "loss_and_grad"):
        return problem.loss_and_grad(x, idx)
    if idx is None:
        return problem.loss(x), problem.grad(x)
    return problem.batch_loss(x, idx), problem.batch_grad(x, idx)


def _check_rngs(rng, batch_shape, problem):
    """One generator shared by every run, or a sequence of one per run."""
    if isinstance(rng, np.random.Generator):
        return [rng], True
    if isinstance(rng, (list, tuple)) and rng and all(
            isinstance(r, np.random.Generator) for r in rng):
        if batch_shape != (len(rng),):
            raise ValueError(f"rng holds {len(rng)} generators, one per run, so x0 must "
                             f"have shape ({len(rng)}, d), got batch shape {batch_shape}")
        if not hasattr(problem, "loss_and_grad"):
            raise TypeError("one generator per run needs a problem whose loss_and_grad "
                            "takes per-run rows (lrtutor.network.MLP), got "
                            f"{type(problem).__name__}")
        return list(rng), False
    raise TypeError("rng must be a numpy.random.Generator, or a list of one per run, "
                    f"when batch_size is given, got {type(rng).__name__}")


def _check_monitors(problem, validation, monitors):
    """The quantities to evaluate every ``eval_every`` steps: name -> f(x)."""
    checks = {}
    if validation is not None:
        if not callable(getattr(problem, "evaluate", None)):
            raise TypeError("validation needs a problem with evaluate(x, X, y) "
                            f"(lrtutor.network.MLP), got {type(problem).__name__}")
        if not (isinstance(validation, tuple) and len(validation) == 2):
            raise TypeError("validation must be a pair (X, y) of held-out data, got "
                            f"{type(validation).__name__}")
        X_val, y_val = validation
        problem.evaluate(np.zeros(problem.dim), X_val, y_val)   # checks X and y once
        checks["val_loss"] = lambda x: problem.evaluate(x, X_val, y_val)[0]
        checks["val_accuracy"] = lambda x: problem.evaluate(x, X_val, y_val)[1]
    if monitors is not None:
        if not isinstance(monitors, dict):
            raise TypeError("monitors must be a dict of name -> f(x), got "
                            f"{type(monitors).__name__}")
        for name, f in monitors.items():
            if not isinstance(name, str) or name in checks:
                raise ValueError(f"monitors must have string names other than {list(checks)}, "
                                 f"got {name!r}")
            checks[name] = check_callable(f"monitors[{name!r}]", f)
    return checks


# --- Resuming a run: the checkpoint a trace carries -------------------------

_CHECKPOINT_KEYS = ("step", "start", "x", "x_prev", "loss", "grad", "diverged_at", "records",
                    "evaluations", "evals", "rng", "shared_rng", "perms", "pos", "options")
_OPTION_KEYS = ("problem", "optimizer", "record_every", "eval_every", "sampling", "batch_size",
                "blowup", "clip_norm", "track_update_ratio", "monitors")


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_checkpoint(trace):
    """``trace.checkpoint`` must fit ``trace``: keys, kinds, shapes and ranges
    (a checkpoint rebuilt from plain data is checked here, once)."""
    ck = trace.checkpoint
    if not isinstance(ck, dict):
        raise TypeError(f"checkpoint must be a dict or None, got {type(ck).__name__}")
    if set(ck) != set(_CHECKPOINT_KEYS):
        raise ValueError(f"checkpoint must have exactly the keys {list(_CHECKPOINT_KEYS)}, "
                         f"got {sorted(ck)}")
    steps, shape = trace.steps, trace.params.shape[1:]
    batch = shape[:-1]

    def integer(key, low, high):
        value = ck[key]
        if not _is_int(value):
            raise TypeError(f"checkpoint[{key!r}] must be an integer, got {value!r}")
        if not low <= value <= high:
            raise ValueError(f"checkpoint[{key!r}] must be an integer in [{low}, {high}], "
                             f"got {value!r}")
        return int(value)

    def array(key, value, want, dtype=np.float64, optional=False):
        if value is None and optional:
            return
        if not isinstance(value, np.ndarray) or value.dtype != dtype:
            raise TypeError(f"{key} must be a numpy array of {np.dtype(dtype).name}"
                            f"{' or None' if optional else ''}, got {type(value).__name__}"
                            + (f" of {value.dtype}" if isinstance(value, np.ndarray) else ""))
        if value.shape != want:
            raise ValueError(f"{key} must have shape {want} to match the trace, "
                             f"got {value.shape}")

    integer("step", steps, steps)
    integer("start", 0, INT_MAX)
    array("checkpoint['x']", ck["x"], shape)
    array("checkpoint['x_prev']", ck["x_prev"], shape)
    array("checkpoint['loss']", ck["loss"], batch, optional=True)
    array("checkpoint['grad']", ck["grad"], shape, optional=True)
    array("checkpoint['diverged_at']", ck["diverged_at"], batch, dtype=np.int64)
    if np.any(ck["diverged_at"] < -1) or np.any(ck["diverged_at"] > steps):
        raise ValueError(f"checkpoint['diverged_at'] must hold steps in [-1, {steps}], "
                         f"got {ck['diverged_at']!r}")
    evals = ck["evals"]
    if not isinstance(evals, dict) or sorted(evals) != sorted(trace.evals):
        raise ValueError(f"checkpoint['evals'] must be a dict with the keys of evals "
                         f"{sorted(trace.evals)}, got {evals!r}")
    opts = ck["options"]
    if not isinstance(opts, dict) or set(opts) != set(_OPTION_KEYS):
        raise ValueError(f"checkpoint['options'] must be a dict with the keys "
                         f"{list(_OPTION_KEYS)}, got {opts!r}")
    kinds = dict(problem=(str,), optimizer=(str,), sampling=(str,), monitors=(list,),
                 record_every=(int,), eval_every=(int, type(None)),
                 batch_size=(int, type(None)), blowup=(float,),
                 clip_norm=(float, type(None)), track_update_ratio=(bool,))
    for key, types in kinds.items():
        value = opts[key]
        if not isinstance(value, types) or (int in types and isinstance(value, bool)):
            raise TypeError(f"checkpoint['options'][{key!r}] must be of type "
                            f"{' or '.join(t.__name__ for t in types)}, got {value!r}")
    for key, ok in (("record_every", opts["record_every"] >= 1),
                    ("eval_every", opts["eval_every"] is None or opts["eval_every"] >= 1),
                    ("batch_size", opts["batch_size"] is None or opts["batch_size"] >= 1),
                    ("sampling", opts["sampling"] in ("iid", "epoch")),
                    ("blowup", opts["blowup"] > 1),
                    ("clip_norm", opts["clip_norm"] is None or opts["clip_norm"] > 0)):
        if not ok:
            raise ValueError(f"checkpoint['options'][{key!r}] is out of the range run "
                             f"accepts for {key}, got {opts[key]!r}")
    # the records and evaluations a longer run shares: every record_every
    # (eval_every) steps up to this one, fewer if every run diverged earlier
    integer("records", 1, steps // opts["record_every"] + 1)
    evaluations = integer("evaluations", 0, 0 if opts["eval_every"] is None
                          else steps // opts["eval_every"] + 1)
    for name, values in evals.items():
        array(f"checkpoint['evals'][{name!r}]", values, (evaluations,) + batch)
    if sorted(opts["monitors"]) != sorted(trace.evals):
        raise ValueError(f"checkpoint['options']['monitors'] must name the evals "
                         f"{sorted(trace.evals)}, got {opts['monitors']!r}")
    if opts["track_update_ratio"] != (trace.update_ratios is not None):
        raise ValueError("checkpoint['options']['track_update_ratio'] must say whether the "
                         "trace has update_ratios")
    if (opts["batch_size"] is None) != (ck["loss"] is not None):
        raise ValueError("checkpoint['loss'] must be an array for a full-batch run "
                         "(batch_size None) and None for a stochastic one")
    stochastic = opts["batch_size"] is not None
    rngs = ck["rng"]
    if not stochastic:
        for key in ("rng", "shared_rng", "perms", "pos"):
            if ck[key] is not None:
                raise ValueError(f"checkpoint[{key!r}] must be None for a full-batch run, "
                                 f"got {ck[key]!r}")
        return
    if ck["grad"] is not None:
        raise ValueError("checkpoint['grad'] must be None for a stochastic run")
    if not (isinstance(rngs, list) and rngs and all(
            isinstance(s, dict) and isinstance(s.get("bit_generator"), str) for s in rngs)):
        raise TypeError("checkpoint['rng'] must be a non-empty list of bit generator states "
                        f"(dicts with a 'bit_generator' name), got {rngs!r}")
    if not isinstance(ck["shared_rng"], bool):
        raise TypeError(f"checkpoint['shared_rng'] must be a bool, got {ck['shared_rng']!r}")
    if (len(rngs) != 1) if ck["shared_rng"] else (batch != (len(rngs),)):
        raise ValueError(f"checkpoint['rng'] must hold one generator, or one per run "
                         f"(batch shape {batch}), got {len(rngs)}")
    integer("pos", 0, INT_MAX)
    perms = ck["perms"]
    if perms is not None:
        if not (isinstance(perms, list) and len(perms) == len(rngs)):
            raise ValueError(f"checkpoint['perms'] must be None or a list of {len(rngs)} "
                             f"permutations, one per generator, got {perms!r}")
        n = perms[0].shape[0] if isinstance(perms[0], np.ndarray) else -1
        for j, p in enumerate(perms):
            array(f"checkpoint['perms'][{j}]", p, (n,), dtype=np.int64)
            if not np.array_equal(np.sort(p), np.arange(n)):
                raise ValueError(f"checkpoint['perms'][{j}] must be a permutation of "
                                 f"0 .. {n - 1}")
        integer("pos", 0, n)


def _restore_generator(state, name):
    """A new ``numpy.random.Generator`` whose bit generator has the saved ``state``."""
    kind = state.get("bit_generator") if isinstance(state, dict) else None
    cls = getattr(np.random, kind, None) if isinstance(kind, str) else None
    if not (isinstance(cls, type) and issubclass(cls, np.random.BitGenerator)):
        raise ValueError(f"{name} must be the state of a numpy bit generator (PCG64, "
                         f"MT19937, ...), got bit_generator {kind!r}")
    bits = cls()
    try:
        bits.state = state
    except Exception as exc:     # numpy's setter: IndexError, OverflowError...
        raise ValueError(f"{name} is not a valid {kind} state: {exc}") from None
    return np.random.Generator(bits)


def _restore_batches(batches, ckpt, given):
    """Put the saved generator states, permutations and position into ``batches``;
    ``given``: the caller passed generators (their state is overwritten)."""
    saved = ckpt["rng"]
    if given:
        if batches.shared != ckpt["shared_rng"] or len(batches.rngs) != len(saved):
            raise ValueError("rng must be what the run being resumed used: "
                             + ("one generator" if ckpt["shared_rng"]
                                else f"a list of {len(saved)} generators, one per run"))
        for j, (r, s) in enumerate(zip(batches.rngs, saved)):
            if type(r.bit_generator).__name__ != s["bit_generator"]:
                raise ValueError(f"rng must use the bit generator of the run being resumed "
                                 f"({s['bit_generator']}), got "
                                 f"{type(r.bit_generator).__name__}")
            try:
                r.bit_generator.state = s
            except Exception as exc:     # numpy's setter: IndexError, OverflowError...
                raise ValueError(f"resume.checkpoint['rng'][{j}] is not a valid "
                                 f"{s['bit_generator']} state: {exc}") from None
    perms = ckpt["perms"]
    if perms is not None and perms[0].shape[0] != batches.n:
        raise ValueError(f"resume.checkpoint['perms'] must permute the problem's "
                         f"{batches.n} rows, got {perms[0].shape[0]}")
    if ckpt["pos"] > batches.n:
        raise ValueError(f"resume.checkpoint['pos'] must be <= {batches.n}, the rows of "
                         f"the problem, got {ckpt['pos']}")
    batches.perms = None if perms is None else [p.copy() for p in perms]
    batches.pos = ckpt["pos"]


def _check_resume(resume, state, optimizer, x, steps, options):
    """The checkpoint of ``resume``, checked against this call of :func:`run`."""
    if resume is None:
        return None
    if not isinstance(resume, Trace):
        raise TypeError("resume must be a Trace returned by run (or rebuilt by "
                        f"lrtutor.checkpoint.from_plain), got {type(resume).__name__}")
    ckpt = resume.checkpoint
    if ckpt is None:
        raise ValueError("resume must be a trace that carries a checkpoint (one returned "
                         "by run as is); this one has none")
    if state is not None:
        raise ValueError("state must be None when resume is given: the optimizer state "
                         "comes from resume.state")
    if steps < ckpt["step"]:
        raise ValueError(f"steps must be >= {ckpt['step']}, the updates resume has "
                         f"already made, got {steps}")
    saved = ckpt["options"]
    for name, value in options.items():
        if saved[name] != value:
            raise ValueError(f"{name} must be {saved[name]!r} as in the run being resumed, "
                             f"got {value!r}")
    if x.shape != resume.params.shape[1:] or not np.array_equal(x, resume.params[0]):
        raise ValueError("x0 must be the starting point of the run being resumed "
                         "(resume.params[0])")
    want, got = optimizer.init(x), resume.state
    if type(got) is not type(want) or any(     # buffers like x0; per-run numbers may differ
            (a is None) != (b is None) or (np.shape(b) == x.shape and np.shape(a) != x.shape)
            for a, b in zip(got[1:], want[1:])):
        raise ValueError(f"resume.state must be a {type(want).__name__} like this "
                         f"optimizer's init(x0), got {type(got).__name__}")
    return ckpt


def run(problem, optimizer, x0, steps, *, rng=None, batch_size=None, blowup=1e8,
        state=None, sampling="iid", record_every=1, eval_every=None, validation=None,
        monitors=None, clip_norm=None, track_update_ratio=False, resume=None):
    r"""Train ``x0`` on ``problem`` with ``optimizer`` for ``steps`` updates.

    Update ``t`` (``t = 0, ..., steps - 1``) is

    .. math:: g_t = \mathrm{clip}\bigl(\nabla f_{B_t}(\theta_t)\bigr), \qquad
              \theta_{t+1} = \mathrm{update}(\theta_t, g_t;\ \eta_t),

    where :math:`f_{B_t}` is the full objective (``batch_size=None``) or the
    mean loss over a mini-batch :math:`B_t` of ``batch_size`` rows drawn with
    ``rng``, :math:`\eta_t` is the optimizer's rate at step ``t``, and
    :math:`\mathrm{clip}` rescales the gradient to norm at most ``clip_norm``
    (:func:`lrtutor.diagnostics.clip_grad_norm`; the identity by default).

    A run diverges at the first step ``t`` where :math:`\theta_t` is not
    finite, or a loss measured at :math:`\theta_t` (the full loss
    :math:`f(\theta_t)` at a recorded step, the batch loss
    :math:`f_{B_t}(\theta_t)` at any other) is not finite or exceeds
    ``blowup * max(f(theta_0), 1)`` (for several runs, the largest starting
    loss of them all: one threshold for every run). From then on its
    parameters are frozen at :math:`\theta_{t-1}` and its losses are NaN; the
    step is reported in :attr:`Trace.diverged_at`. The other runs of a batch
    carry on unaffected. No warning is emitted.

    Parameters
    ----------
    problem : object with ``loss(x)`` and ``grad(x)``
        See :mod:`lrtutor.problems` and :mod:`lrtutor.network`. Stochastic
        runs also need ``batch_loss(x, idx)`` and ``batch_grad(x, idx)``, or
        ``loss_and_grad(x, idx)``.
    optimizer : an optimizer of :mod:`lrtutor.optim`
    x0 : array_like, shape (*B, d)
        Starting point; a leading batch axis runs several runs at once (its
        length must match an array ``lr`` of the optimizer, or the values of
        a schedule that returns one rate per run).
    steps : int >= 0
    rng : numpy.random.Generator or list of them, optional
        Required when ``batch_size`` is given. One generator: every run sees
        the same mini-batches (a fair comparison of rates). A list of one per
        run (``x0`` of shape ``(k, d)``): each run draws its own batch order
        (seed bands); needs a problem with ``loss_and_grad`` (a network).
    batch_size : int, 1 <= batch_size <= problem.n, optional
        Mini-batch size; ``None`` means full-batch gradient descent.
    blowup : float > 1
        Loss growth factor that counts as divergence.
    state : optimizer state, optional
        Continue from this state (``trace.state`` of an earlier run from
        ``x0``) instead of ``optimizer.init(x0)``; the rate of update ``t`` is
        then the schedule's value at ``state.count + t``. Step numbers in the
        new trace, including ``diverged_at``, count from the new start.
    sampling : {"iid", "epoch"}
        How mini-batches are drawn. ``"iid"``: each step draws ``batch_size``
        distinct rows afresh, so a row can appear in consecutive batches
        (sampling with replacement across steps). ``"epoch"``: each epoch is a
        fresh random permutation of the rows walked through in consecutive
        batches (without replacement; the last batch of an epoch is shorter
        when ``batch_size`` does not divide ``n``, as in PyTorch's
        ``DataLoader(shuffle=True)``); ``ceil(n / batch_size)`` steps make one
        epoch.
    record_every : int >= 1
        Store the parameters and the full loss :math:`f(\theta_t)` every this
        many steps (and always at steps 0 and ``steps``). ``1`` keeps the
        whole path; a network run records sparsely, because each record costs
        a pass over the whole data set and a copy of every parameter.
    eval_every : int >= 1, optional
        Evaluate ``validation`` and ``monitors`` at :math:`\theta_t` every this
        many steps (and at steps 0 and ``steps``). Required with either. An
        optimizer with ``eval_params(state)`` (the schedule-free ones, whose
        gradients are taken at one sequence and whose model is the average
        of another) is evaluated there instead.
    validation : (X, y), optional
        Held-out data for a problem with ``evaluate(x, X, y)`` (a network):
        records ``"val_loss"`` and ``"val_accuracy"``.
    monitors : dict of str -> callable, optional
        Further quantities ``f(x)`` returning one number per run (shape
        ``*B``), e.g. ``{"sharpness": lambda x: sharpness(problem, x)}``.
    clip_norm : float > 0, optional
        Clip each run's gradient to this global norm before the update, with
        the semantics of PyTorch's ``clip_grad_norm_``
        (:func:`lrtutor.diagnostics.clip_grad_norm`). ``grad_norms`` records
        the norm before clipping.
    track_update_ratio : bool
        Record, at every step, the size of each layer's update relative to
        its weights (:func:`lrtutor.diagnostics.update_ratio`) in
        :attr:`Trace.update_ratios`.
    resume : Trace, optional
        Continue an interrupted run: ``resume`` is the trace of a run of
        ``a <= steps`` updates (returned by this function, or rebuilt from
        plain data by :func:`lrtutor.checkpoint.from_plain`), and the result is
        the trace of all ``steps`` updates, equal bit for bit to the trace of
        one uninterrupted run of ``steps`` updates: parameters, losses,
        rates, gradient norms, batch losses, evaluations, ``diverged_at``,
        the optimizer state and the checkpoint. Pass the same ``problem``,
        ``optimizer``, ``x0`` and options as the interrupted run (the plain
        options, the optimizer's and problem's class names and ``x0`` are
        checked). With ``batch_size``, ``rng`` may be ``None`` (fresh
        generators in the saved states) or the generator(s) of the
        interrupted run, whose state is then set to the saved one, so that
        they end where the uninterrupted run leaves them. ``state`` must be
        ``None``. Monitors must be functions of ``x`` alone.

    Returns
    -------
    Trace
        Its :attr:`Trace.checkpoint` is what ``resume`` needs to continue it.

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

    Interrupted after 2 updates and resumed to 3, the run is the same:

    >>> first = run(q, SGD(lr=0.5), [1.0], steps=2)
    >>> run(q, SGD(lr=0.5), [1.0], steps=3, resume=first).params[:, 0].round(4).tolist()
    [1.0, 0.5, 0.25, 0.125]
    """
    _check_problem_optimizer(problem, optimizer)
    steps = check_int("steps", steps, low=0)
    blowup = check_real("blowup", blowup, low=1, low_op=">")
    x = check_array("x0", x0, ndim=(1, 2))
    batch_shape = x.shape[:-1]
    sampling = check_choice("sampling", sampling, ("iid", "epoch"))
    recorded = _recorded_steps(record_every, steps, "record_every")
    checks = _check_monitors(problem, validation, monitors)
    if eval_every is None:
        if checks:
            raise ValueError("eval_every must be an integer >= 1 when validation or "
                             "monitors are given, got None")
        eval_steps = np.empty(0, dtype=np.int64)
    else:
        eval_steps = _recorded_steps(eval_every, steps, "eval_every")
    if clip_norm is not None:
        clip_norm = check_real("clip_norm", clip_norm, low=0, low_op=">")
    track_update_ratio = check_bool("track_update_ratio", track_update_ratio)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, low=1)
        if not (hasattr(problem, "loss_and_grad") or hasattr(problem, "batch_grad")):
            raise TypeError("batch_size needs a problem with mini-batches (batch_grad or "
                            f"loss_and_grad; a data set), got {type(problem).__name__}")
        batch_size = check_int("batch_size", batch_size, low=1, high=problem.n)
    # what a checkpoint must agree on to be resumed by this call
    options = dict(problem=type(problem).__name__, optimizer=type(optimizer).__name__,
                   record_every=check_int("record_every", record_every, low=1),
                   eval_every=None if eval_every is None else
                   check_int("eval_every", eval_every, low=1),
                   sampling=sampling, batch_size=batch_size, blowup=blowup,
                   clip_norm=clip_norm, track_update_ratio=track_update_ratio,
                   monitors=list(checks))
    ckpt = _check_resume(resume, state, optimizer, x, steps, options)
    batches = None
    if batch_size is not None:
        if ckpt is not None and rng is None:
            rngs = [_restore_generator(s, "resume.checkpoint['rng']") for s in ckpt["rng"]]
            shared = ckpt["shared_rng"]
        else:
            rngs, shared = _check_rngs(rng, batch_shape, problem)
        batches = _Batches(problem.n, batch_size, rngs, sampling, shared)
        if ckpt is not None:
            _restore_batches(batches, ckpt, rng is not None)
    is_recorded = np.zeros(steps + 1, dtype=bool)
    is_recorded[recorded] = True
    is_evaluated = np.zeros(steps + 1, dtype=bool)
    is_evaluated[eval_steps] = True
    # The loop records and evaluates only every record_every / eval_every
    # steps, where a longer run would too; the last step, recorded and
    # evaluated because the run ends there, is handled after the loop. So the
    # loop of a run of a steps makes exactly the decisions of a run of a + b
    # steps, and its checkpoint (taken after the loop) resumes into one.
    on_grid = np.arange(steps + 1) % options["record_every"] == 0
    eval_grid = (np.zeros(steps + 1, dtype=bool) if eval_every is None
                 else np.arange(steps + 1) % options["eval_every"] == 0)

    with np.errstate(all="ignore"):
        full = batches is None
        params = np.empty((recorded.size,) + x.shape)
        losses = np.full((recorded.size,) + batch_shape, np.nan)
        batch_losses = np.full((steps,) + batch_shape, np.nan)
        lrs = np.empty((steps,) + batch_shape)
        grad_norms = np.full((steps,) + batch_shape, np.nan)
        evals = {name: np.full((eval_steps.size,) + batch_shape, np.nan) for name in checks}
        ratios = None
        if track_update_ratio:
            layers = update_ratio(problem, x, x).shape[-1]
            ratios = np.full((steps,) + batch_shape + (layers,), np.nan)
        if ckpt is None:
            if full and hasattr(problem, "loss_and_grad"):
                loss, g_next = problem.loss_and_grad(x, None)
            else:
                loss, g_next = problem.loss(x), None
            loss = np.asarray(loss, dtype=np.float64)
            threshold = blowup * max(float(np.max(loss, initial=0.0)), 1.0)
            diverged_at = np.full(batch_shape, -1, dtype=np.int64)
            params[0], losses[0] = x, loss
            if state is None:
                state = optimizer.init(x)
            elif not (isinstance(state, tuple) and "count" in getattr(state, "_fields", ())):
                # a NamedTuple with a count field; a plain tuple also has a .count (a method)
                raise TypeError("state must be an optimizer state, a NamedTuple with a count "
                                f"field (e.g. trace.state), got {type(state).__name__}")
            start = check_int("state.count", state.count, low=0)
            done, x_prev, n_rec, n_eval = 0, x, 1, 0
        else:               # carry on from the checkpoint: the arrays so far, then the loop
            done, start, threshold = ckpt["step"], ckpt["start"], resume.threshold
            n_rec, n_eval = ckpt["records"], ckpt["evaluations"]
            params[:n_rec], losses[:n_rec] = resume.params[:n_rec], resume.losses[:n_rec]
            lrs[:done], grad_norms[:done] = resume.lrs, resume.grad_norms
            batch_losses[:done] = resume.batch_losses
            if ratios is not None:
                ratios[:done] = resume.update_ratios
            for name, values in evals.items():
                values[:n_eval] = ckpt["evals"][name]
            x, x_prev = ckpt["x"].copy(), ckpt["x_prev"].copy()
            loss, g_next = ckpt["loss"], ckpt["grad"]
            diverged_at = ckpt["diverged_at"].copy()
            state = resume.state
        for t in range(done, steps):
            lrs[t] = rate_at(optimizer.lr, start + t)

        eval_params = getattr(optimizer, "eval_params", None)

        def evaluate(row, alive):
            # where the model is evaluated: the parameters themselves, or the
            # average a schedule-free optimizer keeps beside them
            point = x if eval_params is None else eval_params(state)
            for name, f in checks.items():
                value = np.asarray(f(point), dtype=np.float64)
                evals[name][row] = np.where(alive, value, np.nan)

        alive = diverged_at < 0
        if ckpt is None and eval_steps.size:
            evaluate(0, alive)
            n_eval = 1
        # a resumed run whose every run has diverged has nothing left to do
        for t in range(done, steps if np.any(alive) else done):
            if full:
                batch_loss = loss
                g = g_next if g_next is not None else problem.grad(x)
            else:
                batch_loss, g = _loss_and_grad(problem, x, batches.next())
                batch_loss = np.asarray(batch_loss, dtype=np.float64)
                if not on_grid[t]:  # f(theta_t) unknown: judge theta_t by its batch loss
                    bad = alive & ~(np.isfinite(batch_loss) & (batch_loss <= threshold))
                    if np.any(bad):
                        diverged_at = np.where(bad, t, diverged_at)
                        alive = diverged_at < 0
                        x = np.where(alive[..., None], x, x_prev)
            batch_losses[t] = np.where(alive, batch_loss, np.nan)
            if clip_norm is None:
                norm = np.linalg.norm(g, axis=-1)
            else:
                g, norm = clip_grad_norm(g, clip_norm)
            grad_norms[t] = np.where(alive, norm, np.nan)
            new_x, state = optimizer.update(g, state, x)
            if track_update_ratio:
                ratios[t] = np.where(alive[..., None], update_ratio(problem, x, new_x), np.nan)
            ok = np.all(np.isfinite(new_x), axis=-1)
            need_loss = full or on_grid[t + 1]
            if need_loss:
                if full and g_next is not None:
                    loss, g_next = problem.loss_and_grad(new_x, None)
                else:
                    loss = problem.loss(new_x)
                loss = np.asarray(loss, dtype=np.float64)
                ok &= np.isfinite(loss) & (loss <= threshold)
            x_prev = x
            if np.all(alive) and np.all(ok):
                x = new_x                   # the usual step: every run alive and well
            else:
                diverged_at = np.where(alive & ~ok, t + 1, diverged_at)
                alive = diverged_at < 0
                x = np.where(alive[..., None], new_x, x)
                if need_loss:
                    loss = np.where(alive, loss, np.nan)
            if on_grid[t + 1]:
                params[n_rec], losses[n_rec] = x, loss
                n_rec += 1
            if eval_grid[t + 1]:
                evaluate(n_eval, alive)
                n_eval += 1
            if not np.any(alive):       # every run has diverged: nothing left to do
                break
        checkpoint = dict(
            step=steps, start=start, x=np.array(x, dtype=np.float64),
            x_prev=np.array(x_prev, dtype=np.float64),
            loss=np.array(loss, dtype=np.float64) if full else None,
            grad=None if g_next is None else np.array(g_next, dtype=np.float64),
            diverged_at=diverged_at.copy(), records=n_rec, evaluations=n_eval,
            evals={name: values[:n_eval].copy() for name, values in evals.items()},
            rng=None if full else [r.bit_generator.state for r in batches.rngs],
            shared_rng=None if full else batches.shared,
            perms=None if full or batches.perms is None else list(batches.perms),
            pos=None if full else batches.pos, options=options)
        if np.any(alive):
            if not on_grid[steps]:      # the last step, recorded because the run ends here
                if not full:            # judged by its full loss, as every recorded step
                    loss = np.asarray(problem.loss(x), dtype=np.float64)
                    bad = alive & ~(np.isfinite(loss) & (loss <= threshold))
                    if np.any(bad):
                        diverged_at = np.where(bad, steps, diverged_at)
                        alive = diverged_at < 0
                        x = np.where(alive[..., None], x, x_prev)
                    if not np.all(alive):
                        loss = np.where(alive, loss, np.nan)
                params[n_rec], losses[n_rec] = x, loss
                n_rec += 1
            if eval_steps.size and eval_grid[steps]:
                for values in evals.values():       # a run that failed that last test
                    values[n_eval - 1] = np.where(alive, values[n_eval - 1], np.nan)
            elif eval_steps.size:
                evaluate(n_eval, alive)
        params[n_rec:] = x              # after every run diverged: the frozen iterates
    return Trace(params=params, losses=losses, lrs=lrs, grad_norms=grad_norms,
                 diverged_at=diverged_at, threshold=threshold, state=state,
                 recorded=recorded, batch_losses=batch_losses, eval_steps=eval_steps,
                 evals=evals, update_ratios=ratios, checkpoint=checkpoint)


def sweep(problem, optimizer, lrs, x0, steps, *, rng=None, batch_size=None,
          blowup=1e8, **options):
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
    **options
        ``sampling``, ``record_every``, ``eval_every``, ``validation``,
        ``monitors``, ``clip_norm``, ``track_update_ratio``: as in :func:`run`.
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
    allowed = set(_RUN_OPTIONS)
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"sweep() got unexpected keyword arguments {unknown}; "
                        f"it passes on only {sorted(allowed)}")
    return run(problem, batched, xs, steps, rng=rng, batch_size=batch_size,
               blowup=blowup, **options)


#: The keyword options that :func:`sweep` passes on to :func:`run` unchanged.
_RUN_OPTIONS = tuple(name for name, p in inspect.signature(run).parameters.items()
                     if p.kind is p.KEYWORD_ONLY
                     and name not in ("rng", "batch_size", "blowup", "state", "resume"))


# --- network_rates ---
# Rates x seeds in one batched run (chapter "A fixed rate on a network").

def _grid_trace(flat, shape):
    """A flat trace of ``prod(shape)`` runs (from one batched :func:`run`) with its
    run axis split into ``shape``, e.g. ``(rates, seeds)``; the result carries
    no checkpoint (a reshaped sweep is not resumed)."""
    def grid(a):
        return None if a is None else a.reshape(a.shape[:1] + shape + a.shape[2:])

    return Trace(params=grid(flat.params), losses=grid(flat.losses), lrs=grid(flat.lrs),
                 grad_norms=grid(flat.grad_norms),
                 diverged_at=flat.diverged_at.reshape(shape), threshold=flat.threshold,
                 state=flat.state, recorded=flat.recorded,
                 batch_losses=grid(flat.batch_losses), eval_steps=flat.eval_steps,
                 evals={k: grid(v) for k, v in flat.evals.items()},
                 update_ratios=grid(flat.update_ratios))


def _seed_grid(x0, rng, copies, caller, options):
    """The checks shared by the grid sweeps: ``x0`` of shape ``(S, d)`` (one row
    per seed), ``rng`` ``None`` or a list of ``S`` generators, each copied
    ``copies`` times so that every configuration sees the same batch orders
    (the caller's generators are not advanced), and ``options`` that
    :func:`run` takes. Returns ``(starts, rngs)``."""
    starts = check_array("x0", x0, ndim=2)
    if starts.shape[0] == 0:
        raise ValueError("x0 must hold at least one starting point (shape (S, d)), "
                         f"got shape {starts.shape}")
    S = starts.shape[0]
    rngs = None
    if rng is not None:
        if isinstance(rng, np.random.Generator) or not (
                isinstance(rng, (list, tuple)) and len(rng) == S
                and all(isinstance(r, np.random.Generator) for r in rng)):
            raise TypeError(f"rng must be a list of {S} numpy.random.Generator, one per "
                            f"row of x0, got {type(rng).__name__}"
                            + (f" of length {len(rng)}" if isinstance(rng, (list, tuple))
                               else ""))
        rngs = [copy.deepcopy(r) for _ in range(copies) for r in rng]
    unknown = sorted(set(options) - set(_RUN_OPTIONS))
    if unknown:
        raise TypeError(f"{caller}() got unexpected keyword arguments {unknown}; "
                        f"it passes on only {sorted(_RUN_OPTIONS)}")
    return starts, rngs


__all__ += ["sweep_seeds"]


def sweep_seeds(problem, optimizer, lrs, x0, steps, *, rng=None, batch_size=None,
                blowup=1e8, **options):
    r"""Every learning rate of ``lrs`` from every starting point of ``x0``, in one batched run.

    .. math:: \theta^{(i, s)}_{t+1} = \mathrm{update}\bigl(\theta^{(i, s)}_t,
              g^{(i, s)}_t;\ \eta^{(i)}\bigr), \qquad
              \theta^{(i, s)}_0 = \theta^{(s)}_0,

    for the rates :math:`\eta^{(i)}` (``lrs[i]``, :math:`i = 1, \dots, R`) and
    the seeds :math:`s = 1, \dots, S` (rows of ``x0``: e.g. ``net.init(rng,
    k=S)``). The :math:`R S` runs are one call of :func:`run`: one batched
    array operation per step, where a loop over rates and seeds would make
    :math:`R S` calls. Seed ``s`` draws its mini-batches from its own
    generator ``rng[s]``, and every rate of that seed sees the same batch
    order (a copy of ``rng[s]`` per rate), so that within a seed the rates
    differ in the rate alone, and across seeds in weights and batch order.

    Parameters
    ----------
    problem, steps, batch_size, blowup
        As in :func:`run`. Mini-batches need a problem with
        ``loss_and_grad`` taking per-run rows (:class:`lrtutor.network.MLP`).
    optimizer : an optimizer of :mod:`lrtutor.optim`
        Its own ``lr`` is replaced by the rates of ``lrs``.
    lrs : array_like, shape (R,)
        Positive learning rates.
    x0 : array_like, shape (S, d)
        One starting point per seed.
    rng : sequence of S numpy.random.Generator, optional
        Required with ``batch_size``: the batch order of each seed. The
        generators are copied, not advanced, so the same list gives the same
        runs again.
    **options
        ``sampling``, ``record_every``, ``eval_every``, ``validation``,
        ``monitors``, ``clip_norm``, ``track_update_ratio``: as in :func:`run`.

    Returns
    -------
    Trace
        With batch shape ``(R, S)``: ``trace.losses[t, i, s]`` is the loss of
        rate ``i`` and seed ``s`` at the ``t``-th recorded step. ``state`` is
        the optimizer state of the flat run, rows ordered rate by rate
        (row ``i * S + s``).

    Raises
    ------
    TypeError, ValueError
        For a bad ``lrs``, ``x0`` or ``rng`` (the message names which), and
        as :func:`run` does.

    Examples
    --------
    >>> from lrtutor.problems import Quadratic
    >>> from lrtutor.optim import SGD
    >>> trace = sweep_seeds(Quadratic.one_d(1.0), SGD(lr=0.1), [0.5, 2.5],
    ...                     [[1.0], [-2.0]], 50)
    >>> trace.diverged_at.tolist()      # threshold 1e8 * f(-2) = 2e8 for all
    [[-1, -1], [25, 23]]
    """
    _check_problem_optimizer(problem, optimizer)
    rates = check_array("lrs", lrs, ndim=1, low=0, low_op=">")
    if rates.size == 0:
        raise ValueError("lrs must contain at least one learning rate")
    R = rates.size
    starts, rngs = _seed_grid(x0, rng, R, "sweep_seeds", options)
    S = starts.shape[0]
    batched = dataclasses.replace(optimizer, lr=np.repeat(rates, S))
    flat = run(problem, batched, np.tile(starts, (R, 1)), steps, rng=rngs,
               batch_size=batch_size, blowup=blowup, **options)
    return _grid_trace(flat, (R, S))


__all__ += ["epoch_losses"]


def epoch_losses(trace, steps_per_epoch):
    r"""The mean mini-batch loss of each epoch: the training loss a training loop logs.

    .. math:: \bar f_e = \frac{1}{m} \sum_{t = e m}^{(e+1) m - 1} f_{B_t}(\theta_t),
              \qquad e = 0, \dots, E - 1,

    where :math:`f_{B_t}(\theta_t)` are ``trace.batch_losses`` (the loss of
    each update's mini-batch before the update), :math:`m` is
    ``steps_per_epoch`` and :math:`E` = ``trace.steps // m``. It costs
    nothing (no pass over the data) and lags the full loss
    :math:`f(\theta_t)`, since it averages over parameters of a whole epoch.
    An epoch in which a run diverged is NaN.

    Parameters
    ----------
    trace : Trace
        Of a run of at least one epoch.
    steps_per_epoch : int >= 1
        E.g. ``ceil(n / batch_size)`` with ``sampling="epoch"``.

    Returns
    -------
    ndarray, shape (E, *B)

    Examples
    --------
    >>> from lrtutor.problems import Quadratic
    >>> from lrtutor.optim import SGD
    >>> trace = run(Quadratic.one_d(1.0), SGD(lr=0.5), [2.0], steps=4)
    >>> trace.batch_losses.tolist()             # full batch: f(theta_t)
    [2.0, 0.5, 0.125, 0.03125]
    >>> epoch_losses(trace, 2).tolist()
    [1.25, 0.078125]
    """
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a Trace, got {type(trace).__name__}")
    m = check_int("steps_per_epoch", steps_per_epoch, low=1, high=max(trace.steps, 1))
    epochs = trace.steps // m
    if epochs == 0:
        raise ValueError(f"steps_per_epoch must be at most the {trace.steps} steps of the "
                         f"trace, got {m}")
    losses = trace.batch_losses[:epochs * m]
    return losses.reshape((epochs, m) + losses.shape[1:]).mean(axis=1)


# --- batch_size ---
# One rate grid at several batch sizes for the same number of epochs, and what to
# read off it (chapter "Batch size and the learning rate").

__all__ += ["sweep_batch_sizes", "best_rate", "steps_to_target", "critical_batch_fit"]


def sweep_batch_sizes(problem, optimizer, lrs, x0, batch_sizes, epochs, *, rng,
                      sampling="epoch", **options):
    r"""A rate grid from every seed at each batch size, for the same number of epochs.

    For each batch size :math:`B` (``batch_sizes[j]``) this is one call of
    :func:`sweep_seeds` with

    .. math:: T_B = E \left\lceil n / B \right\rceil \text{ steps},

    where :math:`E` is ``epochs`` and :math:`n` is ``problem.n``: every run
    sees :math:`E` passes over the data (the "equal epochs" budget of the
    scaling rules), so a larger batch takes proportionally fewer steps. The
    rates of one batch size share a call (one batched run of
    ``len(lrs) * len(x0)`` networks); the batch sizes are separate calls.

    Parameters
    ----------
    problem : a data-set problem with ``n`` rows and ``loss_and_grad``
        (:class:`lrtutor.network.MLP`).
    optimizer, lrs, x0
        As in :func:`sweep_seeds`.
    batch_sizes : sequence of int
        Each in ``[1, problem.n]``, at least one.
    epochs : int >= 1
        :math:`E`.
    rng : sequence of numpy.random.Generator
        One per row of ``x0``; copied for each batch size, so seed ``s`` walks
        through the same permutations of the data at every batch size (only
        their cutting into batches differs).
    sampling : {"epoch", "iid"}
        As in :func:`run`; default ``"epoch"`` (each epoch a permutation).
    **options
        Further options of :func:`run` (``record_every``, ``eval_every``,
        ``validation``, ``monitors``...). ``record_every`` defaults to
        :math:`T_B`: the full loss at the start and the end only.

    Returns
    -------
    list of Trace
        One per batch size, with batch shape ``(len(lrs), len(x0))``.

    Examples
    --------
    >>> from lrtutor.network import MLP
    >>> from lrtutor.optim import SGD
    >>> X = np.arange(12.0).reshape(6, 2) / 10
    >>> net = MLP(X, [0, 1, 0, 1, 0, 1], hidden=(3,))
    >>> x0 = net.init(np.random.default_rng(0), k=2)
    >>> traces = sweep_batch_sizes(net, SGD(lr=0.1), [0.1, 1.0], x0, [2, 4], 3,
    ...                            rng=[np.random.default_rng(s) for s in (0, 1)])
    >>> [(t.steps, t.final_loss.shape) for t in traces]      # 3 * ceil(6 / B) steps
    [(9, (2, 2)), (6, (2, 2))]
    """
    if not hasattr(problem, "n"):
        raise TypeError("problem must be a data set with n rows (lrtutor.network.MLP), "
                        f"got {type(problem).__name__}")
    if isinstance(batch_sizes, (str, bytes)) or np.ndim(batch_sizes) != 1 \
            or len(batch_sizes) == 0:
        raise ValueError("batch_sizes must be a non-empty 1-D sequence of integers, "
                         f"got {batch_sizes!r}")
    sizes = [check_int(f"batch_sizes[{j}]", b, low=1, high=problem.n)
             for j, b in enumerate(batch_sizes)]
    epochs = check_int("epochs", epochs, low=1)
    if not (isinstance(rng, (list, tuple)) and rng
            and all(isinstance(r, np.random.Generator) for r in rng)):
        raise TypeError("rng must be a list of numpy.random.Generator, one per row of x0, "
                        f"got {type(rng).__name__}")
    traces = []
    for b in sizes:
        steps = epochs * -(-problem.n // b)
        opts = dict(options)
        opts.setdefault("record_every", steps)
        traces.append(sweep_seeds(problem, optimizer, lrs, x0, steps,
                                  rng=[copy.deepcopy(r) for r in rng], batch_size=b,
                                  sampling=sampling, **opts))
    return traces


def best_rate(lrs, losses):
    r"""The rate of a grid with the lowest loss, refined by a parabola in log-log.

    With :math:`u_i = \log \eta_i` and :math:`y_i = \log f_i` for the grid
    rates ``lrs`` and their losses, and :math:`i` the grid minimum, the
    parabola through :math:`(u_{i-1}, y_{i-1}), (u_i, y_i), (u_{i+1}, y_{i+1})`
    has its vertex at

    .. math:: u^\star = \frac{u_{i-1} + u_i}{2} - \frac{d_1}{2a}, \qquad
              d_1 = \frac{y_i - y_{i-1}}{u_i - u_{i-1}}, \quad
              a = \frac{d_2 - d_1}{u_{i+1} - u_{i-1}}, \quad
              d_2 = \frac{y_{i+1} - y_i}{u_{i+1} - u_i},

    and the best rate is :math:`e^{u^\star}`, which lies between
    :math:`\eta_{i-1}` and :math:`\eta_{i+1}`. This removes the staircase a
    plain ``argmin`` puts into a fit of the best rate against the batch size.

    Parameters
    ----------
    lrs : array_like, shape (R,)
        Increasing positive rates, at least 3.
    losses : array_like, shape (..., R)
        One loss per rate (e.g. the median over seeds); NaN or inf marks a
        run that diverged, and counts as worse than any finite loss.

    Returns
    -------
    float or ndarray of shape (...)
        The refined best rate. Without refinement, the grid rate itself, when
        the minimum is at either end of the grid or next to a diverged rate
        (then the best rate is only known to lie beyond the grid point) or
        when a loss is not positive; NaN when every run diverged.

    Examples
    --------
    >>> lrs = [0.01, 0.1, 1.0]
    >>> round(float(best_rate(lrs, [2.0, 1.0, 2.0])), 6)    # symmetric: the middle
    0.1
    >>> round(float(best_rate(lrs, [4.0, 1.0, 2.0])), 4)    # towards 1.0: 0.1 * 10**(1/6)
    0.1468
    >>> best_rate(lrs, [[3.0, 2.0, 1.0], [np.nan, np.nan, np.nan]]).tolist()
    [1.0, nan]
    """
    rates = check_array("lrs", lrs, ndim=1, low=0, low_op=">")
    if rates.size < 3 or np.any(np.diff(rates) <= 0):
        raise ValueError(f"lrs must hold at least 3 increasing rates, got {rates!r}")
    f = check_array("losses", losses, finite=False)
    if f.ndim < 1 or f.shape[-1] != rates.size:
        raise ValueError(f"losses must have shape (..., {rates.size}) to match lrs, "
                         f"got {f.shape}")
    u = np.log(rates)
    rows = f.reshape(-1, rates.size)
    out = np.full(rows.shape[0], np.nan)
    with np.errstate(all="ignore"):
        for k, row in enumerate(rows):
            ok = np.isfinite(row)
            if not ok.any():
                continue
            i = int(np.argmin(np.where(ok, row, np.inf)))
            out[k] = rates[i]
            if 0 < i < rates.size - 1 and ok[i - 1] and ok[i + 1] \
                    and np.all(row[i - 1:i + 2] > 0):
                x, y = u[i - 1:i + 2], np.log(row[i - 1:i + 2])
                d1 = (y[1] - y[0]) / (x[1] - x[0])
                d2 = (y[2] - y[1]) / (x[2] - x[1])
                a = (d2 - d1) / (x[2] - x[0])
                if a > 0:
                    out[k] = np.exp((x[0] + x[1]) / 2 - d1 / (2 * a))
    return out.reshape(f.shape[:-1])[()]


def steps_to_target(batch_losses, target, window=1):
    r"""Updates needed until the logged loss, averaged over a window, reaches a target.

    With the mini-batch losses :math:`\ell_t = f_{B_t}(\theta_t)` of a run
    (``Trace.batch_losses``) and their running mean over the last :math:`w`
    steps, :math:`\bar\ell_t = \frac1w \sum_{s=t-w+1}^{t} \ell_s`, the result is

    .. math:: S = t^\star + 1 - \frac{w - 1}{2}, \qquad
              t^\star = \min\{t \ge w - 1 : \bar\ell_t \le \text{target}\},

    the number of updates applied when the window, centred, reached the
    target: the :math:`- (w-1)/2` removes the lag of the running mean (with
    :math:`w = 1` it is :math:`t^\star + 1`). A mini-batch loss is a noisy
    estimate of :math:`f(\theta_t)`; the window averages the noise away, so
    choose :math:`w` to cover about the same number of examples at every
    batch size.

    Parameters
    ----------
    batch_losses : array_like, shape (T, ...)
        Losses per step; NaN after a divergence (never reaches the target
        from there).
    target : float
        The loss to reach.
    window : int, 1 <= window <= T
        :math:`w`.

    Returns
    -------
    float or ndarray of shape (...)
        :math:`S`, or NaN where the target is never reached.

    Examples
    --------
    >>> steps_to_target([1.0, 0.8, 0.5, 0.3, 0.2], 0.5).tolist()
    3.0
    >>> steps_to_target([[1.0, 1.0], [0.8, 0.9], [0.5, 0.9], [0.3, 0.9]], 0.65,
    ...                 window=2).tolist()      # mean of (0.8, 0.5) at t = 2
    [2.5, nan]
    """
    f = check_array("batch_losses", batch_losses, finite=False)
    if f.ndim < 1 or f.shape[0] == 0:
        raise ValueError(f"batch_losses must have shape (T, ...) with T >= 1, got {f.shape}")
    target = check_real("target", target)
    window = check_int("window", window, low=1, high=f.shape[0])
    with np.errstate(all="ignore"):
        c = np.cumsum(np.where(np.isnan(f), np.inf, f), axis=0)
        c = np.concatenate([np.zeros((1,) + f.shape[1:]), c])
        mean = (c[window:] - c[:-window]) / window      # row j: steps j .. j + w - 1
        # inf - inf after a divergence is NaN: never a hit
        hit = mean <= target
    first = np.argmax(hit, axis=0)
    t_star = first + window - 1
    return np.where(hit.any(axis=0), t_star + 1 - (window - 1) / 2, np.nan)[()]


def critical_batch_fit(batch_sizes, steps):
    r"""Fit the steps-examples trade-off of McCandlish et al. (2018) by least squares.

    Their model of the steps :math:`S` and examples :math:`E = BS` needed to
    reach a fixed loss with batch size :math:`B` is

    .. math:: S(B) = S_{\min}\Bigl(1 + \frac{B_{\mathrm{crit}}}{B}\Bigr)
              = S_{\min} + \frac{E_{\min}}{B}, \qquad
              B_{\mathrm{crit}} = \frac{E_{\min}}{S_{\min}},

    linear in :math:`1/B`: :math:`S_{\min}` (the steps with an infinite
    batch) and :math:`E_{\min}` (the examples with a batch of one) come from
    an ordinary least-squares fit of :math:`S` on :math:`1/B`. Below
    :math:`B_{\mathrm{crit}}` doubling the batch nearly halves the steps
    (perfect scaling); above it, it barely changes them.

    Parameters
    ----------
    batch_sizes : array_like, shape (m,)
        At least two distinct positive sizes.
    steps : array_like, shape (m, ...)
        Steps to the target at each size; NaN entries (never reached) are
        left out of their column's fit.

    Returns
    -------
    (S_min, E_min, B_crit) : floats or arrays of shape (...)
        NaN for a column with fewer than two usable points, and
        :math:`B_{\mathrm{crit}} = \infty` when :math:`S_{\min} \le 0`
        (no plateau within the data).

    Examples
    --------
    >>> B = np.array([1.0, 2.0, 4.0, 8.0])
    >>> [round(float(v), 6) for v in critical_batch_fit(B, 10 * (1 + 4 / B))]
    [10.0, 40.0, 4.0]
    """
    sizes = check_array("batch_sizes", batch_sizes, ndim=1, low=0, low_op=">")
    if np.unique(sizes).size < 2:
        raise ValueError(f"batch_sizes must hold at least two distinct sizes, got {sizes!r}")
    s = check_array("steps", steps, finite=False)
    if s.ndim < 1 or s.shape[0] != sizes.size:
        raise ValueError(f"steps must have shape ({sizes.size}, ...) to match batch_sizes, "
                         f"got {s.shape}")
    cols = s.reshape(sizes.size, -1)
    out = np.full((3, cols.shape[1]), np.nan)
    for k in range(cols.shape[1]):
        ok = np.isfinite(cols[:, k])
        if np.unique(sizes[ok]).size < 2:
            continue
        A = np.stack([np.ones(ok.sum()), 1.0 / sizes[ok]], axis=1)
        (s_min, e_min), *_ = np.linalg.lstsq(A, cols[ok, k], rcond=None)
        out[:, k] = s_min, e_min, (e_min / s_min if s_min > 0 else np.inf)
    return tuple(o.reshape(s.shape[1:])[()] for o in out)


# --- network_schedules ---
# Several schedules x seeds in one batched run (chapter "Warmup and decay on a network").

__all__ += ["sweep_schedules"]


@dataclass(frozen=True)
class _TabulatedRates:
    """The rates of ``J`` schedules tabulated once, each repeated for ``S`` seeds.

    ``table[t, j]`` is schedule ``j`` at step ``t``; ``self(t)`` is row ``t``
    with every entry repeated ``seeds`` times (rows ordered schedule by
    schedule), the ``lr`` of the flat run of :func:`sweep_schedules`.
    """

    table: np.ndarray
    seeds: int

    def __call__(self, t):
        t = check_int("t", t, low=0, high=self.table.shape[0] - 1)
        return np.repeat(self.table[t], self.seeds)

    def __repr__(self):
        return (f"_TabulatedRates({self.table.shape[1]} schedules x {self.seeds} seeds, "
                f"{self.table.shape[0]} steps)")


def sweep_schedules(problem, optimizer, schedules, x0, steps, *, rng=None, batch_size=None,
                    blowup=1e8, **options):
    r"""Every schedule of ``schedules`` from every starting point of ``x0``, in one batched run.

    .. math:: \theta^{(j, s)}_{t+1} = \mathrm{update}\bigl(\theta^{(j, s)}_t,
              g^{(j, s)}_t;\ \eta^{(j)}_t\bigr), \qquad \eta^{(j)}_t = s_j(t),
              \qquad \theta^{(j, s)}_0 = \theta^{(s)}_0,

    for the schedules :math:`s_j` (``schedules[j]``, :math:`j = 1, \dots, J`)
    and the seeds :math:`s = 1, \dots, S` (rows of ``x0``). It is
    :func:`sweep_seeds` with a schedule in place of each rate: the :math:`JS`
    runs are one call of :func:`run`, and every schedule of seed ``s`` sees
    the same batch order (a copy of ``rng[s]``). The rates are tabulated once
    (:class:`lrtutor.schedules.PerRun` evaluated on ``0 .. steps - 1``), not
    recomputed per run and step, which is what makes a few hundred runs of
    composed schedules cheap; the values are exactly those of the schedules.

    Parameters
    ----------
    problem, steps, batch_size, blowup
        As in :func:`run`; ``steps >= 1``.
    optimizer : an optimizer of :mod:`lrtutor.optim`
        Its own ``lr`` is replaced by the schedules (for the schedule-free
        optimizers, a constant schedule is the usual choice).
    schedules : sequence of schedules or floats, length J >= 1
        As in :class:`lrtutor.schedules.PerRun` (a float is a constant rate).
    x0 : array_like, shape (S, d)
        One starting point per seed.
    rng : sequence of S numpy.random.Generator, optional
        Required with ``batch_size``: the batch order of each seed (copied,
        not advanced).
    **options
        ``sampling``, ``record_every``, ``eval_every``, ``validation``,
        ``monitors``, ``clip_norm``, ``track_update_ratio``: as in :func:`run`.

    Returns
    -------
    Trace
        With batch shape ``(J, S)``: ``trace.evals["val_loss"][e, j, s]`` is
        schedule ``j``, seed ``s`` at the ``e``-th evaluation; ``trace.lrs[t, j, s]``
        is :math:`s_j(t)`.

    Raises
    ------
    TypeError, ValueError
        For bad ``schedules``, ``x0`` or ``rng`` (the message names which), and
        as :func:`run` does.

    Examples
    --------
    >>> from lrtutor.problems import Quadratic
    >>> from lrtutor.optim import SGD
    >>> from lrtutor.schedules import Warmup, Constant
    >>> trace = sweep_schedules(Quadratic.one_d(1.0), SGD(lr=1.0),
    ...                         [2.5, Warmup(Constant(2.5), 40)], [[1.0], [-2.0]], 30)
    >>> trace.diverged_at.tolist()      # the warmup keeps eta below 2 for 32 steps
    [[25, 23], [-1, -1]]
    """
    from lrtutor.schedules import PerRun

    _check_problem_optimizer(problem, optimizer)
    per_run = PerRun(schedules)
    steps = check_int("steps", steps, low=1)
    J = len(per_run.schedules)
    starts, rngs = _seed_grid(x0, rng, J, "sweep_schedules", options)
    S = starts.shape[0]
    table = per_run(np.arange(steps))                       # (steps, J)
    table.flags.writeable = False
    batched = dataclasses.replace(optimizer, lr=_TabulatedRates(table, S))
    flat = run(problem, batched, np.tile(starts, (J, 1)), steps, rng=rngs,
               batch_size=batch_size, blowup=blowup, **options)
    return _grid_trace(flat, (J, S))
