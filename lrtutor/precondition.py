r"""Preconditioning: the learning rate as a matrix, and rates chosen by a line search.

Gradient descent multiplies the gradient by one number, :math:`\eta`. A
*preconditioner* multiplies it by a matrix instead,

.. math:: \theta_{t+1} = \theta_t - \eta\, P^{-1} g_t ,

and on a quadratic with Hessian :math:`H` the speed of that iteration is set by
the condition number of :math:`P^{-1/2} H P^{-1/2}` instead of that of
:math:`H`. Newton's method is the extreme case :math:`P = H`; a diagonal
(Jacobi) :math:`P` is the cheap one, and adaptive optimizers estimate a
diagonal :math:`P` from the gradients. A line search, finally, lets the problem
choose :math:`\eta_t` at every step.

- :func:`preconditioned_hessian`, :func:`preconditioned_condition_number`:
  :math:`P^{-1/2} H P^{-1/2}` and its :math:`\kappa`;
- :func:`jacobi_preconditioner`: :math:`P = \operatorname{diag}(H)`;
- :func:`hessian_from_hvp`: the Hessian of any problem from :math:`d`
  Hessian-vector products;
- :func:`newton_step`: :math:`-H^{-1} g`;
- :class:`PreconditionedGD`: the update above as an optimizer for
  :func:`lrtutor.train.run`;
- :func:`exact_line_search_rate`, :func:`armijo_condition`,
  :func:`backtracking_line_search`: rates chosen along a direction;
- :func:`line_search_descent`: gradient descent or Newton's method with a
  fixed, backtracking or exact rate, recording the rates and their cost.

The book's chapter "Preconditioning" derives every formula here.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from lrtutor._validate import (check_array, check_choice, check_int, check_problem,
                               check_real)

__all__ = [
    "preconditioned_hessian",
    "preconditioned_condition_number",
    "jacobi_preconditioner",
    "hessian_from_hvp",
    "newton_step",
    "PreconditionedGDState",
    "PreconditionedGD",
    "exact_line_search_rate",
    "armijo_condition",
    "LineSearchResult",
    "backtracking_line_search",
    "LineSearchTrace",
    "line_search_descent",
]

#: Relative asymmetry tolerated in a matrix called symmetric: rounding in
#: ``Q diag(lambda) Q^T`` leaves about 1e-16 relative; 1e-10 only catches real
#: asymmetry.
_SYMMETRY_RTOL = 1e-10


def _check_square(name, value):
    arr = check_array(name, value, ndim=2)
    if arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a square matrix of shape (d, d) with d >= 1, "
                         f"got shape {arr.shape}")
    return arr


def _check_spd(name, value):
    """A symmetric positive definite matrix, and its eigen-decomposition."""
    arr = _check_square(name, value)
    scale = max(float(np.max(np.abs(arr))), np.finfo(float).tiny)
    if np.max(np.abs(arr - arr.T)) > _SYMMETRY_RTOL * scale:
        raise ValueError(f"{name} must be symmetric (|{name} - {name}.T| <= 1e-10 "
                         f"max|{name}|)")
    sym = (arr + arr.T) / 2
    lam, vec = np.linalg.eigh(sym)
    if not lam[0] > 0:
        raise ValueError(f"{name} must be positive definite (every eigenvalue > 0), "
                         f"got smallest eigenvalue {lam[0]:.3g}")
    return sym, lam, vec


def _check_vector(name, value, d):
    arr = check_array(name, value, ndim=1)
    if arr.shape != (d,):
        raise ValueError(f"{name} must have shape ({d},) to match the matrix, "
                         f"got shape {arr.shape}")
    return arr


# --------------------------------------------------------------------------
# Condition numbers before and after
# --------------------------------------------------------------------------

def preconditioned_hessian(H, P):
    r"""The Hessian seen by preconditioned gradient descent: :math:`P^{-1/2} H P^{-1/2}`.

    .. math:: \tilde H = P^{-1/2}\, H\, P^{-1/2},

    where :math:`H` is ``H`` and :math:`P` is ``P``, both symmetric positive
    definite. In the variables :math:`\phi = P^{1/2}\theta` the update
    :math:`\theta \leftarrow \theta - \eta P^{-1} g` is plain gradient descent
    on a quadratic with Hessian :math:`\tilde H`, so everything the book proves
    about gradient descent holds with :math:`\tilde H` in place of :math:`H`.
    :math:`\tilde H` is symmetric and has the same eigenvalues as
    :math:`P^{-1} H` (the two are similar).

    Parameters
    ----------
    H, P : array_like, shape (d, d)
        Symmetric positive definite.

    Returns
    -------
    ndarray, shape (d, d)
        Symmetric.

    Raises
    ------
    ValueError
        If ``H`` or ``P`` is not square, symmetric and positive definite, or
        their shapes differ.

    Examples
    --------
    >>> preconditioned_hessian([[4.0, 0.0], [0.0, 1.0]], [[4.0, 0.0], [0.0, 2.0]]).tolist()
    [[1.0, 0.0], [0.0, 0.5]]
    """
    H, _, _ = _check_spd("H", H)
    P, p, v = _check_spd("P", P)
    if P.shape != H.shape:
        raise ValueError(f"P must have the shape of H {H.shape}, got {P.shape}")
    root_inv = (v / np.sqrt(p)) @ v.T               # P^{-1/2}
    out = root_inv @ H @ root_inv
    return (out + out.T) / 2


def preconditioned_condition_number(H, P=None):
    r"""Condition number of :math:`P^{-1/2} H P^{-1/2}`, which sets the speed of preconditioned GD.

    .. math:: \tilde\kappa = \frac{\lambda_{\max}(P^{-1/2} H P^{-1/2})}
                                  {\lambda_{\min}(P^{-1/2} H P^{-1/2})},

    where :math:`H` is ``H`` and :math:`P` is ``P`` (the identity when
    ``None``, which gives :math:`\kappa = L/\mu` of :math:`H` itself). With the
    best constant rate :math:`\eta = 2/(\tilde L + \tilde\mu)` the error
    shrinks by :math:`(\tilde\kappa - 1)/(\tilde\kappa + 1)` per step.
    :math:`\tilde\kappa = 1` exactly when :math:`P` is a multiple of :math:`H`
    (Newton's method).

    Parameters
    ----------
    H : array_like, shape (d, d)
        Symmetric positive definite.
    P : array_like, shape (d, d), optional
        Symmetric positive definite.

    Returns
    -------
    float

    Examples
    --------
    >>> H = [[2.0, 1.0], [1.0, 2.0]]              # eigenvalues 1 and 3
    >>> round(preconditioned_condition_number(H), 12)
    3.0
    >>> round(preconditioned_condition_number(H, jacobi_preconditioner(H)), 12)
    3.0
    >>> round(preconditioned_condition_number(H, H), 12)
    1.0
    """
    if P is None:
        _, lam, _ = _check_spd("H", H)
    else:
        lam = np.linalg.eigvalsh(preconditioned_hessian(H, P))
    return float(lam[-1] / lam[0])


def jacobi_preconditioner(H):
    r"""The diagonal (Jacobi) preconditioner: the diagonal of :math:`H`.

    .. math:: P = \operatorname{diag}(H_{11}, \dots, H_{dd}),

    where :math:`H` is ``H``. It rescales each coordinate by its own
    curvature, so it removes ill-conditioning that lies along the axes and
    none that lies across them: for a :math:`2\times 2` Hessian
    :math:`\begin{pmatrix} a & b \\ b & c\end{pmatrix}` the preconditioned
    matrix has condition number :math:`(1 + |r|)/(1 - |r|)` with
    :math:`r = b/\sqrt{ac}`.

    Parameters
    ----------
    H : array_like, shape (d, d)
        Symmetric positive definite (so every diagonal entry is > 0).

    Returns
    -------
    ndarray, shape (d, d)
        Diagonal.

    Examples
    --------
    >>> jacobi_preconditioner([[4.0, 1.0], [1.0, 2.0]]).tolist()
    [[4.0, 0.0], [0.0, 2.0]]
    """
    H, _, _ = _check_spd("H", H)
    return np.diag(np.diag(H))


def hessian_from_hvp(problem, x):
    r"""The Hessian of ``problem`` at ``x``, column by column from Hessian-vector products.

    .. math:: \nabla^2 f(\theta) = \big[\, \nabla^2 f(\theta)\, e_1, \;\dots,\;
              \nabla^2 f(\theta)\, e_d \,\big],

    where :math:`\theta` is ``x`` and :math:`e_i` the unit vectors: :math:`d`
    calls of ``problem.hvp`` (made in one vectorised call), symmetrised as
    :math:`(M + M^\top)/2` to remove rounding. This is what one Newton step
    costs on a problem that only offers Hessian-vector products.

    Parameters
    ----------
    problem : object with ``hvp(x, v)``
        Every problem of :mod:`lrtutor.problems`.
    x : array_like, shape (d,)

    Returns
    -------
    ndarray, shape (d, d)

    Examples
    --------
    >>> from lrtutor.problems import Rosenbrock
    >>> hessian_from_hvp(Rosenbrock(), [1.0, 1.0]).tolist()
    [[802.0, -400.0], [-400.0, 200.0]]
    """
    hvp = getattr(problem, "hvp", None)
    if not callable(hvp):
        raise TypeError("problem must have an hvp(x, v) method (see lrtutor.problems), "
                        f"got {type(problem).__name__}")
    x = check_array("x", x, ndim=1)
    d = x.shape[0]
    cols = np.asarray(hvp(x, np.eye(d)), dtype=np.float64)   # row i is H e_i
    if cols.shape != (d, d):
        raise ValueError(f"problem.hvp must return shape ({d}, {d}) for {d} vectors, "
                         f"got {cols.shape}")
    return (cols + cols.T) / 2


# --------------------------------------------------------------------------
# Newton's step and preconditioned gradient descent
# --------------------------------------------------------------------------

def newton_step(H, g):
    r"""Newton's step: the gradient step with the rate matrix :math:`H^{-1}`.

    .. math:: \Delta\theta = -H^{-1} g,

    where :math:`H` is ``H`` (symmetric positive definite) and :math:`g` is
    ``g``. It minimises the quadratic model
    :math:`f(\theta) + g^\top\Delta + \tfrac12 \Delta^\top H \Delta`, so on a
    quadratic loss :math:`\theta + \Delta\theta` is the minimiser, whatever
    the condition number. Solved with :func:`numpy.linalg.solve`, not by
    inverting :math:`H`.

    Parameters
    ----------
    H : array_like, shape (d, d)
        Symmetric positive definite.
    g : array_like, shape (d,)

    Returns
    -------
    ndarray, shape (d,)

    Examples
    --------
    >>> newton_step([[1.0, 0.0], [0.0, 20.0]], [1.0, 20.0]).tolist()
    [-1.0, -1.0]
    """
    H, _, _ = _check_spd("H", H)
    g = _check_vector("g", g, H.shape[0])
    return -np.linalg.solve(H, g)


class PreconditionedGDState(NamedTuple):
    """State of :class:`PreconditionedGD`: ``count`` updates applied."""

    count: int


@dataclass(frozen=True, eq=False)
class PreconditionedGD:
    r"""Preconditioned gradient descent, usable with :func:`lrtutor.train.run`.

    .. math:: \theta_{t+1} = \theta_t - \eta\, P^{-1} g_t,

    where :math:`\eta` is ``lr`` and :math:`P` is ``P``. With
    :math:`P = I` this is :class:`lrtutor.optim.SGD`; with :math:`P = H` and
    :math:`\eta = 1`, Newton's method on a quadratic. On a quadratic the
    iteration converges iff :math:`\eta < 2/\tilde L`, where :math:`\tilde L`
    is the largest eigenvalue of :func:`preconditioned_hessian`.

    Parameters
    ----------
    lr : float > 0
        :math:`\eta`.
    P : array_like, shape (d, d)
        Symmetric positive definite; the parameters must have ``d`` entries in
        their last axis (leading axes run several runs at once).

    Examples
    --------
    >>> import numpy as np
    >>> opt = PreconditionedGD(lr=1.0, P=[[1.0, 0.0], [0.0, 20.0]])
    >>> x = np.array([1.0, 1.0])
    >>> x, state = opt.update(np.array([1.0, 20.0]), opt.init(x), x)   # H = P
    >>> x.tolist(), state.count
    ([0.0, 0.0], 1)
    """

    lr: float
    P: np.ndarray
    _P_inv: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "lr", check_real("lr", self.lr, low=0, low_op=">"))
        P, p, v = _check_spd("P", self.P)
        P.setflags(write=False)
        object.__setattr__(self, "P", P)
        inv = (v / p) @ v.T
        inv = (inv + inv.T) / 2
        inv.setflags(write=False)
        object.__setattr__(self, "_P_inv", inv)

    def init(self, params):
        """Initial state; ``params`` is not used (no buffers)."""
        return PreconditionedGDState(count=0)

    def update(self, grads, state, params):
        """One update; returns ``(new_params, new_state)``."""
        if not isinstance(state, PreconditionedGDState):
            raise TypeError("state must be a PreconditionedGDState (from init), got "
                            f"{type(state).__name__}")
        count = check_int("state.count", state.count, low=0)
        params = check_array("params", params, finite=False)
        grads = check_array("grads", grads, finite=False)
        d = self.P.shape[0]
        if params.shape != grads.shape or params.ndim == 0 or params.shape[-1] != d:
            raise ValueError(f"grads and params must have the same shape (..., {d}), "
                             f"got {grads.shape} and {params.shape}")
        with np.errstate(over="ignore", invalid="ignore"):
            new = params - self.lr * (grads @ self._P_inv)     # P^{-1} symmetric
        return new, PreconditionedGDState(count + 1)

    def __repr__(self):
        return f"PreconditionedGD(lr={self.lr:g}, P={self.P.tolist()})"


# --------------------------------------------------------------------------
# Line searches
# --------------------------------------------------------------------------

def exact_line_search_rate(H, g, d=None):
    r"""The rate that minimises a quadratic along a direction: exact line search.

    .. math:: \eta^{\text{exact}} = \arg\min_{\eta} f(\theta + \eta d)
              = -\frac{g^\top d}{d^\top H d}
              \;\overset{d = -g}{=}\; \frac{g^\top g}{g^\top H g},

    where :math:`H` is ``H``, :math:`g = \nabla f(\theta)` is ``g`` and
    :math:`d` is ``d`` (default :math:`-g`, steepest descent). For
    :math:`d = -g` the rate is the inverse of the curvature along the gradient,
    the Rayleigh quotient :math:`g^\top H g / g^\top g`, so it always lies in
    :math:`[1/L, 1/\mu]`.

    Parameters
    ----------
    H : array_like, shape (k, k)
        Symmetric positive definite.
    g : array_like, shape (k,)
        Gradient; must not be zero.
    d : array_like, shape (k,), optional
        A descent direction: :math:`g^\top d < 0`.

    Returns
    -------
    float > 0

    Examples
    --------
    >>> exact_line_search_rate([[1.0, 0.0], [0.0, 20.0]], [1.0, 0.0])
    1.0
    >>> exact_line_search_rate([[1.0, 0.0], [0.0, 20.0]], [1.0, 1.0])   # 2 / 21
    0.09523809523809523
    """
    H, _, _ = _check_spd("H", H)
    g = _check_vector("g", g, H.shape[0])
    if not np.any(g):
        raise ValueError("g must not be zero (at a stationary point every rate is exact)")
    d = -g if d is None else _check_vector("d", d, H.shape[0])
    slope = float(g @ d)
    if not slope < 0:
        raise ValueError(f"d must be a descent direction (g . d < 0), got g . d = {slope:.3g}")
    return -slope / float(d @ H @ d)


def armijo_condition(f0, f_eta, eta, slope, c=1e-4):
    r"""Whether a trial rate gives sufficient decrease (the Armijo condition).

    .. math:: f(\theta + \eta d) \le f(\theta) + c\, \eta\, \nabla f(\theta)^\top d,

    where :math:`f(\theta)` is ``f0``, :math:`f(\theta + \eta d)` is ``f_eta``,
    :math:`\eta` is ``eta``, the directional derivative
    :math:`\nabla f(\theta)^\top d < 0` is ``slope`` and :math:`c` is ``c``.
    A non-finite ``f_eta`` (the trial overflowed) fails the condition.

    Parameters
    ----------
    f0 : float, finite
    f_eta : float
    eta : float > 0
    slope : float < 0
    c : float in (0, 1)

    Returns
    -------
    bool

    Examples
    --------
    >>> armijo_condition(1.0, 0.5, eta=1.0, slope=-1.0)
    True
    >>> armijo_condition(1.0, 1.0, eta=1.0, slope=-1.0)      # no decrease at all
    False
    """
    f0 = check_real("f0", f0)
    if isinstance(f_eta, (bool, np.bool_)) or not isinstance(f_eta, numbers.Real):
        raise TypeError(f"f_eta must be a real number, got {type(f_eta).__name__}")
    f_eta = float(f_eta)                  # NaN or inf allowed: they fail the test
    eta = check_real("eta", eta, low=0, low_op=">")
    slope = check_real("slope", slope, high=0, high_op="<")
    c = check_real("c", c, low=0, high=1, low_op=">", high_op="<")
    return bool(np.isfinite(f_eta) and f_eta <= f0 + c * eta * slope)


class LineSearchResult(NamedTuple):
    r"""What :func:`backtracking_line_search` tried and what it accepted.

    ``rate`` is the accepted :math:`\eta` (the last one tried if ``success``
    is false); ``evaluations`` the number of loss evaluations, one per trial;
    ``trials`` the rates tried, :math:`\eta_0, \gamma\eta_0,
    \gamma^2\eta_0, \dots`; ``losses`` the values :math:`f(\theta + \eta d)`
    at those trials; ``success`` whether the last trial satisfied the Armijo
    condition.
    """

    rate: float
    evaluations: int
    trials: np.ndarray
    losses: np.ndarray
    success: bool


def _check_search(eta0, c, gamma, max_iter):
    return (check_real("eta0", eta0, low=0, low_op=">"),
            check_real("c", c, low=0, high=1, low_op=">", high_op="<"),
            check_real("gamma", gamma, low=0, high=1, low_op=">", high_op="<"),
            check_int("max_iter", max_iter, low=1, high=10_000))


def _backtrack(problem, x, d, f0, slope, eta0, c, gamma, max_iter):
    trials, losses = [], []
    eta = eta0
    for _ in range(max_iter):
        with np.errstate(over="ignore", invalid="ignore"):
            f_eta = float(problem.loss(x + eta * d))
        trials.append(eta)
        losses.append(f_eta)
        if np.isfinite(f_eta) and f_eta <= f0 + c * eta * slope:
            return LineSearchResult(eta, len(trials), np.array(trials), np.array(losses), True)
        eta *= gamma
    return LineSearchResult(trials[-1], len(trials), np.array(trials), np.array(losses), False)


def backtracking_line_search(problem, x, d, eta0=1.0, c=1e-4, gamma=0.5, max_iter=60):
    r"""Backtracking (Armijo) line search: shrink the rate until the loss drops enough.

    Tries :math:`\eta = \eta_0, \gamma\eta_0, \gamma^2\eta_0, \dots` and
    accepts the first that satisfies the Armijo condition

    .. math:: f(\theta + \eta d) \le f(\theta) + c\, \eta\, \nabla f(\theta)^\top d,

    where :math:`\theta` is ``x``, :math:`d` is ``d``, :math:`\eta_0` is
    ``eta0``, :math:`\gamma` is ``gamma`` (Nocedal and Wright write
    :math:`\rho`; here :math:`\rho` is the book's contraction factor) and
    :math:`c` is ``c``. Because :math:`d` is a descent direction, the condition
    holds for every small enough :math:`\eta`, so the search ends; the rates
    are tried from the largest down, so the one returned is the largest
    acceptable rate of the form :math:`\gamma^k\eta_0`.

    Parameters
    ----------
    problem : object with ``loss(x)`` and ``grad(x)``
    x : array_like, shape (k,)
        Where the search starts; :math:`f(\theta)` must be finite.
    d : array_like, shape (k,)
        A descent direction: :math:`\nabla f(\theta)^\top d < 0`.
    eta0 : float > 0
        First trial rate (1 is natural for Newton's direction).
    c : float in (0, 1)
        Sufficient-decrease constant; ``1e-4`` is Nocedal and Wright's
        suggestion.
    gamma : float in (0, 1)
        Shrink factor.
    max_iter : int in [1, 10000]
        Trials before giving up; a failure is reported (``success`` false),
        not raised.

    Returns
    -------
    LineSearchResult

    Raises
    ------
    ValueError
        If ``d`` is not a descent direction or :math:`f(\theta)` is not finite.

    Examples
    --------
    >>> from lrtutor.problems import Quadratic
    >>> q = Quadratic.one_d(1.0)                   # f = x^2 / 2 from x = 1, d = -1
    >>> res = backtracking_line_search(q, [1.0], [-1.0], eta0=4.0)
    >>> res.trials.tolist(), res.rate, res.evaluations
    ([4.0, 2.0, 1.0], 1.0, 3)
    """
    check_problem("problem", problem)
    x = check_array("x", x, ndim=1)
    d = _check_vector("d", d, x.shape[0])
    eta0, c, gamma, max_iter = _check_search(eta0, c, gamma, max_iter)
    f0 = float(problem.loss(x))
    if not np.isfinite(f0):
        raise ValueError(f"the loss at x must be finite, got {f0}")
    slope = float(np.asarray(problem.grad(x)) @ d)
    if not slope < 0:
        raise ValueError("d must be a descent direction (grad f(x) . d < 0), got "
                         f"grad f(x) . d = {slope:.3g}")
    return _backtrack(problem, x, d, f0, slope, eta0, c, gamma, max_iter)


@dataclass(frozen=True, eq=False)
class LineSearchTrace:
    r"""A run of :func:`line_search_descent`, with the rate it used at every step.

    Attributes
    ----------
    params : ndarray, shape (n + 1, k)
        :math:`\theta_0, \dots, \theta_n`, where :math:`n \le` ``steps`` is the
        number of steps taken (fewer when the run stopped early).
    losses : ndarray, shape (n + 1,)
    grad_norms : ndarray, shape (n + 1,)
        :math:`\lVert\nabla f(\theta_t)\rVert`.
    rates : ndarray, shape (n,)
        The rate :math:`\eta_t` of each step.
    evaluations : ndarray of int, shape (n,)
        Loss evaluations each step's rate cost (the trials of a backtracking
        search; 0 for a fixed or exact rate).
    status : str
        Why the run ended: ``"ran N steps"``, ``"converged at step t: ..."``,
        ``"line search failed at step t: ..."`` or ``"diverged at step t: ..."``.
    """

    params: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    rates: np.ndarray
    evaluations: np.ndarray
    status: str

    @property
    def steps(self):
        """Number of steps taken."""
        return self.rates.shape[0]

    def __repr__(self):
        return (f"LineSearchTrace(steps={self.steps}, final_loss={self.losses[-1]:.3e}, "
                f"status={self.status!r})")


def line_search_descent(problem, x0, steps, *, direction="gradient", rule="backtracking",
                        eta0=1.0, c=1e-4, gamma=0.5, max_iter=60, tol=0.0, blowup=1e8):
    r"""Gradient descent or Newton's method with a fixed, backtracking or exact rate.

    Step :math:`t` is

    .. math:: \theta_{t+1} = \theta_t + \eta_t d_t, \qquad
              d_t = -g_t \ \text{(gradient)} \quad\text{or}\quad
              d_t = -\nabla^2 f(\theta_t)^{-1} g_t \ \text{(Newton)},

    where :math:`\eta_t` is ``eta0`` (``rule="fixed"``), the first rate
    :math:`\eta_0\gamma^k` that satisfies the Armijo condition
    (``"backtracking"``, :func:`backtracking_line_search`), or the exact
    minimiser along :math:`d_t` of a quadratic (``"exact"``,
    :func:`exact_line_search_rate`; needs ``problem.hessian``). Newton's
    Hessian is ``problem.hessian`` when the problem has one, else
    :func:`hessian_from_hvp`. With ``direction="newton"`` and
    ``rule="backtracking"`` this is damped Newton; with ``rule="fixed"`` and
    ``eta0=1``, pure Newton.

    The run stops early, and says so in :attr:`LineSearchTrace.status`, when
    :math:`\lVert g_t\rVert \le` ``tol`` (converged), when no trial rate passes
    the Armijo test (line search failed), when Newton's Hessian is not
    positive definite, or when the loss is not finite or exceeds
    ``blowup * max(f(theta_0), 1)`` (diverged; the offending iterate is not
    kept). None of these raises.

    Parameters
    ----------
    problem : object with ``loss(x)`` and ``grad(x)``
        Also ``hessian`` for ``rule="exact"``, ``hessian`` or ``hvp`` for Newton.
    x0 : array_like, shape (k,)
    steps : int >= 0
    direction : {"gradient", "newton"}
    rule : {"fixed", "backtracking", "exact"}
    eta0 : float > 0
        The fixed rate, or the first trial of each backtracking search.
    c, gamma, max_iter
        As in :func:`backtracking_line_search`.
    tol : float >= 0
        Stop once the gradient norm is at most this.
    blowup : float > 1

    Returns
    -------
    LineSearchTrace

    Examples
    --------
    >>> from lrtutor.problems import Quadratic
    >>> q = Quadratic.two_d(1.0, 20.0)
    >>> tr = line_search_descent(q, [1.0, 1.0], 3, direction="newton", rule="fixed")
    >>> tr.losses.round(12).tolist(), tr.status
    ([10.5, 0.0], 'converged at step 1: gradient norm 0.00e+00 <= tol')
    >>> tr = line_search_descent(q, [1.0, 1.0], 2, rule="exact")
    >>> tr.rates.round(4).tolist()                 # the problem picks the rate
    [0.0501, 0.9548]
    """
    check_problem("problem", problem)
    x = check_array("x0", x0, ndim=1).copy()
    steps = check_int("steps", steps, low=0)
    direction = check_choice("direction", direction, ("gradient", "newton"))
    rule = check_choice("rule", rule, ("fixed", "backtracking", "exact"))
    eta0, c, gamma, max_iter = _check_search(eta0, c, gamma, max_iter)
    tol = check_real("tol", tol, low=0)
    blowup = check_real("blowup", blowup, low=1, low_op=">")
    fixed_H = getattr(problem, "hessian", None)
    if rule == "exact" and fixed_H is None:
        raise ValueError("rule='exact' needs a quadratic problem with a hessian attribute, "
                         f"got {type(problem).__name__}")
    if direction == "newton" and fixed_H is None and not callable(getattr(problem, "hvp", None)):
        raise TypeError("direction='newton' needs a problem with hessian or hvp(x, v), "
                        f"got {type(problem).__name__}")

    f = float(problem.loss(x))
    if not np.isfinite(f):
        raise ValueError(f"the loss at x0 must be finite, got {f}")
    threshold = blowup * max(f, 1.0)
    params, losses, norms, rates, evals = [x.copy()], [f], [], [], []
    status = None
    for t in range(steps):
        g = np.asarray(problem.grad(x), dtype=np.float64)
        norms.append(float(np.linalg.norm(g)))
        if norms[-1] <= tol:
            status = f"converged at step {t}: gradient norm {norms[-1]:.2e} <= tol"
            break
        if direction == "gradient":
            d = -g
            H = fixed_H
        else:
            H = np.asarray(fixed_H if fixed_H is not None else hessian_from_hvp(problem, x))
            try:
                d = newton_step(H, g)
            except ValueError:
                status = f"stopped at step {t}: the Hessian is not positive definite"
                break
        if rule == "fixed":
            eta, used = eta0, 0
        elif rule == "exact":
            eta, used = exact_line_search_rate(H, g, d), 0
        else:
            res = _backtrack(problem, x, d, f, float(g @ d), eta0, c, gamma, max_iter)
            if not res.success:
                status = (f"line search failed at step {t}: no rate down to "
                          f"{res.rate:.2e} met the Armijo condition")
                break
            eta, used = res.rate, res.evaluations
        with np.errstate(over="ignore", invalid="ignore"):
            new = x + eta * d
            f_new = float(problem.loss(new))
        if not (np.all(np.isfinite(new)) and np.isfinite(f_new) and f_new <= threshold):
            status = f"diverged at step {t + 1}: loss {f_new:.3g}"
            break
        x, f = new, f_new
        params.append(x.copy())
        losses.append(f)
        rates.append(eta)
        evals.append(used)
    n = len(rates)
    if len(norms) == n:                               # the gradient at the last iterate
        norms.append(float(np.linalg.norm(problem.grad(x))))
    return LineSearchTrace(params=np.array(params), losses=np.array(losses),
                           grad_norms=np.array(norms[:n + 1]), rates=np.array(rates),
                           evaluations=np.array(evals, dtype=np.int64),
                           status=status or f"ran {n} steps")
