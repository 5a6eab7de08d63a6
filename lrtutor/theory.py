r"""Closed forms the chapters derive: stability limits, rates and iterates.

All results are for a quadratic with Hessian eigenvalues
:math:`0 < \mu = \lambda_1 \le \dots \le \lambda_d = L` (see
:class:`lrtutor.problems.Quadratic`), where gradient descent decouples into
one scalar recursion per eigendirection,

.. math:: \theta_{t,i} - \theta^\star_i = (1 - \eta\lambda_i)^t\,(\theta_{0,i} - \theta^\star_i)

(coordinates in the eigenbasis). The *contraction factor* :math:`\rho` is the
factor by which the worst error component shrinks per step, and
:func:`iterations_to_tolerance` turns it into a number of steps.

Functions meant for plots over a grid of learning rates
(:func:`contraction_factor`, :func:`momentum_rate`, :func:`momentum_stable`)
accept arrays and allow :math:`\eta = 0` (the left end of an axis; nothing
moves, :math:`\rho = 1`), and so do :func:`nesterov_rate` and
:func:`momentum_roots`. The others take scalars.
"""

from __future__ import annotations

import math

import numpy as np

from lrtutor._validate import check_array, check_int, check_real

__all__ = [
    "critical_rate",
    "optimal_rate",
    "contraction_factor",
    "optimal_contraction",
    "gd_iterate",
    "momentum_rate",
    "momentum_stable",
    "heavy_ball_optimal",
    "heavy_ball_optimal_rate",
    "iterations_to_tolerance",
    "adam_first_step_ratio",
]


def _check_L_mu(L, mu):
    L = check_real("L", L, low=0, low_op=">")
    mu = check_real("mu", mu, low=0, high=L, low_op=">", high_name="L")
    return L, mu


def _check_eigenvalues(eigenvalues):
    lam = check_array("eigenvalues", eigenvalues, ndim=1, low=0, low_op=">")
    if lam.size == 0:
        raise ValueError("eigenvalues must have at least one entry, got shape (0,)")
    return lam


def _check_beta_array(beta):
    b = check_array("beta", beta, low=0)
    if np.any(b >= 1):
        raise ValueError("beta must have every entry >= 0 and < 1")
    return b


def _check_eta_beta(eta, beta):
    """Check learning rates (>= 0) and momenta ([0, 1)) and broadcast them together."""
    eta = check_array("eta", eta, low=0)
    beta = _check_beta_array(beta)
    try:
        return np.broadcast_arrays(eta, beta)
    except ValueError:
        raise ValueError(f"eta and beta must broadcast together, got shapes "
                         f"{eta.shape} and {beta.shape}") from None


def _scalar_or_array(arr):
    """A 0-d result becomes a Python float or bool; arrays are returned as they are."""
    return arr.item() if arr.ndim == 0 else arr


def critical_rate(L):
    r"""The largest stable learning rate of gradient descent: :math:`2/L`.

    .. math:: \eta_{\mathrm{crit}} = \frac{2}{L},

    where :math:`L` is ``L``, the largest Hessian eigenvalue. On a quadratic,
    gradient descent converges from every start iff :math:`0 < \eta < 2/L`:
    the component along the top eigenvector is multiplied by
    :math:`1 - \eta L`, and :math:`|1 - \eta L| < 1` iff :math:`\eta < 2/L`.

    Parameters
    ----------
    L : float > 0

    Returns
    -------
    float

    Notes
    -----
    With PyTorch's ``nn.MSELoss`` (no ½) the Hessian is doubled, so the limit
    is :math:`1/L` in terms of our :math:`L`. Chapter "Too large, too small".

    Examples
    --------
    >>> critical_rate(4.0)
    0.5
    """
    L = check_real("L", L, low=0, low_op=">")
    return 2.0 / L


def optimal_rate(L, mu):
    r"""The constant learning rate that minimises the contraction factor.

    .. math:: \eta^\star = \frac{2}{L + \mu},

    where :math:`L` is ``L`` and :math:`\mu` is ``mu``. It balances the two
    ends of the spectrum, :math:`1 - \eta\mu = -(1 - \eta L)`.

    Parameters
    ----------
    L : float > 0
    mu : float, 0 < mu <= L

    Examples
    --------
    >>> round(optimal_rate(1.0, 0.01), 6)
    1.980198
    """
    L, mu = _check_L_mu(L, mu)
    return 2.0 / (L + mu)


def contraction_factor(eta, eigenvalues):
    r"""Per-step contraction factor of gradient descent on a quadratic.

    .. math:: \rho(\eta) = \max_i \lvert 1 - \eta\lambda_i \rvert,

    where :math:`\eta` is ``eta`` and :math:`\lambda_i` are ``eigenvalues``.
    The error satisfies :math:`\|\theta_t - \theta^\star\| \le \rho^t
    \|\theta_0 - \theta^\star\|`, with equality along the eigenvector that
    attains the maximum; :math:`\rho < 1` iff :math:`0 < \eta < 2/L`.

    Parameters
    ----------
    eta : float or array_like
        Learning rate(s), every entry >= 0.
    eigenvalues : array_like, shape (d,)
        Hessian eigenvalues, all > 0.

    Returns
    -------
    float or ndarray
        Same shape as ``eta``.

    Examples
    --------
    >>> contraction_factor(0.5, [1.0, 3.0])
    0.5
    >>> contraction_factor([0.1, 1.0], [1.0, 3.0]).round(6).tolist()
    [0.9, 2.0]
    """
    eta = check_array("eta", eta, low=0)
    lam = _check_eigenvalues(eigenvalues)
    rho = np.max(np.abs(1.0 - eta[..., None] * lam), axis=-1)
    return _scalar_or_array(rho)


def optimal_contraction(L, mu):
    r"""Contraction factor at the optimal rate :math:`2/(L+\mu)`.

    .. math:: \rho^\star = \frac{L - \mu}{L + \mu} = \frac{\kappa - 1}{\kappa + 1},
              \qquad \kappa = L/\mu,

    where :math:`L` is ``L`` and :math:`\mu` is ``mu``. For large
    :math:`\kappa` this is about :math:`1 - 2/\kappa`: the number of steps
    grows linearly with the condition number.

    Parameters
    ----------
    L : float > 0
        The largest Hessian eigenvalue.
    mu : float
        The smallest, :math:`0 < \mu \le L`.

    Examples
    --------
    >>> round(optimal_contraction(1.0, 0.01), 6)
    0.980198
    """
    L, mu = _check_L_mu(L, mu)
    return (L - mu) / (L + mu)


def gd_iterate(hessian, x0, eta, t, minimizer=None):
    r"""The iterate of gradient descent after ``t`` steps, in closed form.

    .. math::

        \theta_t = \theta^\star + (I - \eta H)^t\,(\theta_0 - \theta^\star)
                 = \theta^\star + \sum_i (1 - \eta\lambda_i)^t\, q_i q_i^\top
                   (\theta_0 - \theta^\star),

    where :math:`H` is ``hessian`` (eigenpairs :math:`\lambda_i, q_i`),
    :math:`\theta_0` is ``x0``, :math:`\eta` is ``eta`` and
    :math:`\theta^\star` is ``minimizer``. This is what
    :math:`\theta \leftarrow \theta - \eta H(\theta - \theta^\star)` gives
    after ``t`` repetitions, computed through the eigendecomposition.

    Parameters
    ----------
    hessian : float or array_like, shape (d, d)
        Symmetric matrix; a scalar means the 1-D problem :math:`d = 1`.
    x0 : float or array_like, shape (d,)
        Start; may be a scalar when ``hessian`` is.
    eta : float > 0
    t : int >= 0 or integer array_like
    minimizer : array_like, shape (d,), optional
        Default the origin.

    Returns
    -------
    ndarray
        Shape ``t.shape + (d,)``; ``t.shape`` alone when ``hessian`` and
        ``x0`` are both scalars.

    Notes
    -----
    For :math:`\eta > 2/L` the iterates grow like :math:`|1-\eta L|^t` and
    overflow to ``inf`` without a warning.

    Examples
    --------
    >>> gd_iterate(1.0, 1.0, 0.5, [0, 1, 2, 3]).tolist()
    [1.0, 0.5, 0.25, 0.125]
    >>> gd_iterate([[1.0, 0.0], [0.0, 3.0]], [1.0, 1.0], 0.5, 2).tolist()
    [0.25, 0.25]
    """
    scalar_problem = np.ndim(hessian) == 0
    h = check_array("hessian", hessian, ndim=(0, 2))
    if scalar_problem:
        h = h.reshape(1, 1)
    if h.shape[0] != h.shape[1] or h.shape[0] == 0:
        raise ValueError(f"hessian must be a square matrix, got shape {h.shape}")
    if not np.allclose(h, h.T, rtol=1e-12, atol=0):
        raise ValueError("hessian must be symmetric")
    d = h.shape[0]
    scalar_x0 = scalar_problem and np.ndim(x0) == 0
    x0 = check_array("x0", x0, ndim=(0, 1) if scalar_problem else 1)
    x0 = x0.reshape(-1)
    if x0.shape != (d,):
        raise ValueError(f"x0 must have shape ({d},) to match hessian, got {x0.shape}")
    xstar = np.zeros(d) if minimizer is None else check_array(
        "minimizer", minimizer, ndim=(0, 1) if scalar_problem else 1).reshape(-1)
    if xstar.shape != (d,):
        raise ValueError(f"minimizer must have shape ({d},), got {xstar.shape}")
    eta = check_real("eta", eta, low=0, low_op=">")
    if isinstance(t, np.ndarray) or isinstance(t, (list, tuple)):
        steps = np.asarray(t)
        if steps.size and not np.issubdtype(steps.dtype, np.integer):
            raise TypeError(f"t must be an integer or an array of integers, got "
                            f"dtype {steps.dtype}")
        if np.any(steps < 0):
            raise ValueError("t must have every entry >= 0")
    else:
        steps = np.asarray(check_int("t", t, low=0))

    lam, q = np.linalg.eigh(h)
    e0 = q.T @ (x0 - xstar)                          # error in the eigenbasis
    with np.errstate(over="ignore", invalid="ignore"):
        factors = (1.0 - eta * lam) ** steps[..., None]   # (1 - eta lambda_i)^t
        xt = xstar + (factors * e0) @ q.T
    return xt[..., 0] if scalar_x0 else xt


def momentum_rate(eta, beta, eigenvalues):
    r"""Asymptotic contraction factor of heavy-ball momentum on a quadratic.

    Momentum in PyTorch's form, :math:`b_{t+1} = \beta b_t + \nabla f(\theta_t)`,
    :math:`\theta_{t+1} = \theta_t - \eta b_{t+1}`, equals Polyak's heavy ball
    for a constant :math:`\eta`. Along an eigenvector with eigenvalue
    :math:`\lambda` the error obeys
    :math:`e_{t+1} = (1 + \beta - \eta\lambda) e_t - \beta e_{t-1}`, whose
    characteristic roots solve :math:`\sigma^2 - (1+\beta-\eta\lambda)\sigma + \beta = 0`:

    .. math::

        \sigma_{1,2} = \tfrac12\Big(a \pm \sqrt{a^2 - 4\beta}\Big), \quad
        a = 1 + \beta - \eta\lambda, \qquad
        \rho(\eta, \beta) = \max_i \max(|\sigma_1|, |\sigma_2|),

    where :math:`\eta` is ``eta``, :math:`\beta` is ``beta`` and
    :math:`\lambda_i` are ``eigenvalues``. Complex roots
    (:math:`a^2 < 4\beta`) have modulus :math:`\sqrt\beta`; real ones give
    :math:`(|a| + \sqrt{a^2 - 4\beta})/2`. At :math:`\beta = 0` this is
    :func:`contraction_factor`.

    Parameters
    ----------
    eta : float or array_like
        Learning rate(s), every entry >= 0.
    beta : float or array_like
        Momentum coefficient(s), every entry in ``[0, 1)``; broadcast with
        ``eta`` (pass a meshgrid for the book's :math:`(\eta, \beta)` plot).
    eigenvalues : array_like, shape (d,)
        All > 0.

    Returns
    -------
    float or ndarray
        Shape ``np.broadcast(eta, beta).shape``.

    Notes
    -----
    Where the two roots coincide (critical damping) the error decays like
    :math:`t\rho^t`, still at rate :math:`\rho`. Near such points
    :math:`\rho` depends on the square root of :math:`a^2 - 4\beta`, so a
    rounding error of :math:`10^{-16}` there moves :math:`\rho` by about
    :math:`10^{-8}`. Chapter "Momentum".

    Examples
    --------
    >>> round(momentum_rate(0.5, 0.0, [1.0, 3.0]), 6)   # = |1 - 0.5 * 3|
    0.5
    >>> round(momentum_rate(1.0, 0.25, [1.0]), 6)       # complex roots: sqrt(beta)
    0.5
    """
    eta, beta = _check_eta_beta(eta, beta)
    lam = _check_eigenvalues(eigenvalues)
    b = 1.0 + beta[..., None] - eta[..., None] * lam
    disc = b * b - 4.0 * beta[..., None]
    real_roots = (np.abs(b) + np.sqrt(np.maximum(disc, 0.0))) / 2.0
    radius = np.where(disc >= 0, real_roots, np.sqrt(beta)[..., None])
    return _scalar_or_array(np.max(radius, axis=-1))


def momentum_stable(eta, beta, lam):
    r"""Whether heavy-ball momentum converges along an eigenvalue ``lam``.

    .. math:: 0 < \eta\lambda < 2 + 2\beta \qquad (0 \le \beta < 1),

    where :math:`\eta` is ``eta``, :math:`\beta` is ``beta`` and
    :math:`\lambda` is ``lam``. Momentum lets the rate go up to
    :math:`2(1+\beta)/L`, almost twice the plain limit :math:`2/L`. This is
    the Jury test for :math:`\sigma^2 - (1+\beta-\eta\lambda)\sigma + \beta`,
    i.e. :func:`momentum_rate` < 1. For a whole spectrum pass ``lam = L``.

    Parameters
    ----------
    eta : float or array_like, every entry >= 0
    beta : float or array_like, every entry in [0, 1)
    lam : float > 0

    Returns
    -------
    bool or ndarray of bool
        Shape ``np.broadcast(eta, beta).shape``.

    Examples
    --------
    >>> momentum_stable(3.0, 0.0, 1.0), momentum_stable(3.0, 0.9, 1.0)
    (False, True)
    """
    eta, beta = _check_eta_beta(eta, beta)
    lam = check_real("lam", lam, low=0, low_op=">")
    x = eta * lam
    return _scalar_or_array((x > 0) & (x < 2.0 + 2.0 * beta))


def heavy_ball_optimal(L, mu):
    r"""Polyak's optimal learning rate and momentum for a quadratic.

    .. math::

        \eta^\star = \Big(\frac{2}{\sqrt L + \sqrt\mu}\Big)^2, \qquad
        \beta^\star = \Big(\frac{\sqrt L - \sqrt\mu}{\sqrt L + \sqrt\mu}\Big)^2,

    where :math:`L` is ``L`` and :math:`\mu` is ``mu``. Both ends of the
    spectrum are then critically damped, and every eigendirection contracts by
    :func:`heavy_ball_optimal_rate` :math:`= \sqrt{\beta^\star}`.

    Parameters
    ----------
    L : float > 0
        The largest Hessian eigenvalue.
    mu : float
        The smallest, :math:`0 < \mu \le L`.

    Returns
    -------
    (float, float)
        ``(eta_star, beta_star)``; the rate is a separate function so that
        this returns exactly the two hyperparameters.

    Examples
    --------
    >>> eta, beta = heavy_ball_optimal(1.0, 0.01)
    >>> round(eta, 6), round(beta, 6)
    (3.305785, 0.669421)
    """
    L, mu = _check_L_mu(L, mu)
    sl, sm = math.sqrt(L), math.sqrt(mu)
    return (2.0 / (sl + sm)) ** 2, ((sl - sm) / (sl + sm)) ** 2


def heavy_ball_optimal_rate(L, mu):
    r"""Contraction factor of heavy ball at :func:`heavy_ball_optimal`.

    .. math:: \rho^\star = \frac{\sqrt L - \sqrt\mu}{\sqrt L + \sqrt\mu}
                         = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1},

    where :math:`L` is ``L``, :math:`\mu` is ``mu`` and :math:`\kappa = L/\mu`.
    Compared with :func:`optimal_contraction` the condition number enters
    through its square root: about :math:`1 - 2/\sqrt\kappa` per step.

    Parameters
    ----------
    L : float > 0
        The largest Hessian eigenvalue.
    mu : float
        The smallest, :math:`0 < \mu \le L`.

    Examples
    --------
    >>> round(heavy_ball_optimal_rate(1.0, 0.01), 6)
    0.818182
    """
    L, mu = _check_L_mu(L, mu)
    sl, sm = math.sqrt(L), math.sqrt(mu)
    return (sl - sm) / (sl + sm)


def iterations_to_tolerance(rate, tol):
    r"""Steps needed to shrink the error by a factor ``tol`` at a given rate.

    .. math:: T = \min\{t \ge 0 : \rho^t \le \delta\}
                = \Big\lceil \frac{\log \delta}{\log \rho} \Big\rceil,

    where :math:`\rho` is ``rate`` and :math:`\delta` is ``tol``.

    Parameters
    ----------
    rate : float >= 0
        A contraction factor. ``rate = 0`` (e.g. :math:`\eta\lambda = 1` in
        1-D) removes the error in one step, so the result is 1. For
        ``rate >= 1`` the error never shrinks and the result is ``math.inf``
        ("never").
    tol : float, 0 < tol < 1

    Returns
    -------
    int or math.inf

    Notes
    -----
    A ratio :math:`\log\epsilon / \log\rho` within a relative :math:`10^{-12}`
    of an integer counts as that integer, so that exact powers are not pushed
    up by rounding (``rate=0.1, tol=1e-3`` gives 3, not 4). Chapter
    "Condition number" uses this to turn rates into step counts.

    Examples
    --------
    >>> iterations_to_tolerance(0.5, 1e-3)    # 2**-10 < 1e-3 < 2**-9
    10
    >>> iterations_to_tolerance(0.0, 1e-3)    # exact in one step
    1
    >>> iterations_to_tolerance(1.0, 1e-3)
    inf
    """
    rate = check_real("rate", rate, low=0)
    tol = check_real("tol", tol, low=0, high=1, low_op=">", high_op="<")
    if rate >= 1:
        return math.inf
    if rate == 0:
        return 1
    ratio = math.log(tol) / math.log(rate)
    # a ratio that is an integer up to rounding (rate 0.1, tol 1e-3 gives
    # 3.0000000000000004) counts as that integer
    return max(math.ceil(ratio * (1 - 1e-12)), 0)


def adam_first_step_ratio(beta1, beta2):
    r"""How much larger Adam's first step is without bias correction.

    After one step from :math:`m_0 = v_0 = 0`, :math:`m_1 = (1-\beta_1)g`
    and :math:`v_1 = (1-\beta_2)g^2`. The corrected step uses
    :math:`\hat m_1/\sqrt{\hat v_1} = \operatorname{sign}(g)`, the uncorrected
    one :math:`m_1/\sqrt{v_1}` (ignoring :math:`\epsilon`), so their ratio is

    .. math:: r = \frac{1 - \beta_1}{\sqrt{1 - \beta_2}},

    where :math:`\beta_1` is ``beta1`` and :math:`\beta_2` is ``beta2``.

    Parameters
    ----------
    beta1, beta2 : float in [0, 1)

    Examples
    --------
    >>> round(adam_first_step_ratio(0.9, 0.999), 4)
    3.1623
    """
    beta1 = check_real("beta1", beta1, low=0, high=1, high_op="<")
    beta2 = check_real("beta2", beta2, low=0, high=1, high_op="<")
    return (1.0 - beta1) / math.sqrt(1.0 - beta2)


# --- w4 ---
# Helpers of the translation and errata chapters (frameworks, common_mistakes).

__all__ += ["steps_per_epoch", "scheduler_rates_used", "ema_to_classical_lr"]


def steps_per_epoch(n, batch_size, drop_last=False):
    r"""Number of optimizer updates in one pass over ``n`` examples.

    .. math:: S = \lceil n / B \rceil \quad\text{or}\quad
              S = \lfloor n / B \rfloor \ \text{(drop\_last)}

    where :math:`n` is ``n`` and :math:`B` is ``batch_size``.

    Parameters
    ----------
    n : int
        Number of training examples, >= 1.
    batch_size : int
        Mini-batch size :math:`B`, >= 1.
    drop_last : bool, default False
        Drop the last, incomplete batch.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``drop_last`` leaves no batch at all (``n < batch_size``).

    Notes
    -----
    This is ``len(torch.utils.data.DataLoader(ds, batch_size, drop_last=...))``
    and the number of steps Keras's ``fit`` runs per epoch. A per-batch
    schedule (``OneCycleLR``, ``CyclicLR``, or a ``CosineAnnealingLR`` stepped
    every batch) needs ``total_steps = epochs * S``; using ``epochs`` alone, or
    ``n // B`` when the last partial batch is kept, makes PyTorch's
    ``OneCycleLR`` raise "Tried to step ... times" partway through training
    (after about one epoch with ``epochs`` alone, near the end with ``n // B``).
    Derived in the chapter "From lrtutor to the frameworks".

    Examples
    --------
    >>> steps_per_epoch(1000, 32), steps_per_epoch(1000, 32, drop_last=True)
    (32, 31)
    """
    n = check_int("n", n, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    if not isinstance(drop_last, (bool, np.bool_)):
        raise TypeError(f"drop_last must be a bool, got {type(drop_last).__name__}")
    if drop_last:
        if n < batch_size:
            raise ValueError(f"drop_last=True needs n >= batch_size, got n={n} and "
                             f"batch_size={batch_size} (no complete batch)")
        return n // batch_size
    return -(-n // batch_size)


def scheduler_rates_used(schedule, steps, scheduler_first=False):
    r"""The rates the updates really use, with the right or the wrong call order.

    .. math:: \eta^{\mathrm{used}}_t = \begin{cases} s(t) & \text{optimizer
              step, then scheduler step} \\ s(t + 1) & \text{scheduler step
              first} \end{cases} \qquad t = 0, \dots, \texttt{steps} - 1

    where :math:`s` is ``schedule``, evaluated at the number of
    ``scheduler.step()`` calls made before update :math:`t`.

    Parameters
    ----------
    schedule : callable
        A schedule ``t -> rate`` (e.g. from :mod:`lrtutor.schedules`) accepting
        an integer array.
    steps : int
        Number of updates, >= 0.
    scheduler_first : bool, default False
        Model a loop that calls ``scheduler.step()`` *before*
        ``optimizer.step()``.

    Returns
    -------
    ndarray, shape (steps,)

    Notes
    -----
    PyTorch's scheduler constructor already sets the rate to :math:`s(0)`, so
    calling ``scheduler.step()`` before the first ``optimizer.step()`` skips
    that value: every update uses the next one, and the last update uses
    :math:`s(\texttt{steps})`, one past the horizon. PyTorch warns about this
    order. Derived in the chapter "From lrtutor to the frameworks".

    Examples
    --------
    >>> from lrtutor.schedules import LinearSchedule
    >>> warm = LinearSchedule(0.0, 1.0, 4)
    >>> scheduler_rates_used(warm, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> scheduler_rates_used(warm, 5, scheduler_first=True).tolist()
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """
    if not callable(schedule):
        raise TypeError(f"schedule must be callable, got {type(schedule).__name__}")
    steps = check_int("steps", steps, low=0)
    if not isinstance(scheduler_first, (bool, np.bool_)):
        raise TypeError(f"scheduler_first must be a bool, got "
                        f"{type(scheduler_first).__name__}")
    t = np.arange(steps) + (1 if scheduler_first else 0)
    return np.asarray(schedule(t), dtype=np.float64).reshape(steps)


def ema_to_classical_lr(eta, beta):
    r"""The classical-momentum rate that reproduces EMA momentum at rate ``eta``.

    EMA ("damped") momentum :math:`v_t = \beta v_{t-1} + (1-\beta) g_t`,
    :math:`\theta_t = \theta_{t-1} - \eta v_t` takes the same steps as
    classical momentum (PyTorch, Keras, optax) at the rate

    .. math:: \eta_{\mathrm{classical}} = (1 - \beta)\,\eta_{\mathrm{EMA}},

    where :math:`\eta_{\mathrm{EMA}}` is ``eta`` and :math:`\beta` is ``beta``.

    Parameters
    ----------
    eta : float
        Rate of the EMA form, > 0.
    beta : float
        Momentum coefficient, in [0, 1).

    Returns
    -------
    float

    Notes
    -----
    Unroll both: the EMA velocity is :math:`(1-\beta)` times PyTorch's buffer
    :math:`b_t = \beta b_{t-1} + g_t`. At :math:`\beta = 0.9` the same number
    ``lr`` gives steps 10 times smaller in the EMA form, a trap when rates are
    copied from a tutorial into a framework. Exact for a constant rate (see
    :class:`lrtutor.optim.EMAMomentum`). Derived in the chapter "Common
    mistakes in popular tutorials".

    Examples
    --------
    >>> round(ema_to_classical_lr(0.1, 0.9), 12)
    0.01
    """
    eta = check_real("eta", eta, low=0, low_op=">")
    beta = check_real("beta", beta, low=0, high=1, high_op="<")
    return (1.0 - beta) * eta


# --- stochastic gradients (chapter: gradient_descent) ---
# Added by w1: the noise floor of SGD, mini-batch gradient variance, and the
# momentum helpers of the chapter "Momentum" (roots, critical damping).

__all__ += ["sgd_stationary_variance", "sgd_variance", "minibatch_gradient_variance",
            "gradient_variance", "momentum_roots", "momentum_critical_beta"]


def _check_eta_lam(eta, lam):
    eta = check_real("eta", eta, low=0, low_op=">")
    lam = check_real("lam", lam, low=0, low_op=">")
    if not eta * lam < 2:
        raise ValueError(f"eta * lam must be < 2 (a stable rate, eta < 2/lam = "
                         f"{2 / lam!r}), got eta={eta!r}, lam={lam!r}")
    return eta, lam


def sgd_stationary_variance(eta, lam, sigma2):
    r"""Stationary variance of SGD with a constant rate on a 1-D quadratic.

    With additive gradient noise, :math:`g_t = \lambda(\theta_t - \theta^\star)
    + \xi_t` with independent :math:`\xi_t` of mean 0 and variance
    :math:`\sigma^2`, the error obeys :math:`e_{t+1} = (1-\eta\lambda)e_t -
    \eta\xi_t`. Its variance settles where
    :math:`v = (1-\eta\lambda)^2 v + \eta^2\sigma^2`:

    .. math::

        \operatorname{Var}(\theta_\infty) = \frac{\eta\,\sigma^2}{\lambda\,(2 - \eta\lambda)},

    where :math:`\eta` is ``eta``, :math:`\lambda` is ``lam`` and
    :math:`\sigma^2` is ``sigma2``.

    Parameters
    ----------
    eta : float > 0
        Constant learning rate; must be stable, :math:`\eta\lambda < 2`.
    lam : float > 0
        Curvature :math:`\lambda`.
    sigma2 : float >= 0
        Variance :math:`\sigma^2` of the gradient noise.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``eta * lam >= 2`` (no stationary distribution) or an argument is
        out of range.

    Notes
    -----
    For small :math:`\eta\lambda` this is about :math:`\eta\sigma^2/(2\lambda)`:
    the noise floor is proportional to the rate, which is why a constant-rate
    SGD never converges and a decaying rate (Robbins and Monro 1951) is
    needed. The expected excess loss at stationarity is
    :math:`\tfrac{\lambda}{2}\operatorname{Var}(\theta_\infty)`. Chapter
    "Gradient descent, SGD and mini-batches".

    Examples
    --------
    >>> round(sgd_stationary_variance(0.1, 1.0, 1.0), 6)    # 0.1 / 1.9
    0.052632
    """
    eta, lam = _check_eta_lam(eta, lam)
    sigma2 = check_real("sigma2", sigma2, low=0)
    return eta * sigma2 / (lam * (2.0 - eta * lam))


def sgd_variance(etas, lam, sigma2, v0=0.0):
    r"""Variance of SGD's iterate, step by step, for any sequence of rates.

    On the 1-D quadratic with additive gradient noise of
    :func:`sgd_stationary_variance`, the variance of :math:`\theta_t` obeys

    .. math:: V_{t+1} = (1 - \eta_t\lambda)^2\, V_t + \eta_t^2\,\sigma^2,

    where :math:`\eta_t` is ``etas[t]``, :math:`\lambda` is ``lam``,
    :math:`\sigma^2` is ``sigma2`` and :math:`V_0` is ``v0``. The mean error
    follows plain gradient descent, so
    :math:`\mathbb E(\theta_t - \theta^\star)^2 = (\text{mean error})^2 + V_t`.

    Parameters
    ----------
    etas : array_like, shape (T,)
        The rates :math:`\eta_0, \dots, \eta_{T-1}`, every entry >= 0 (from a
        schedule: ``schedule(np.arange(T))``).
    lam : float > 0
    sigma2 : float >= 0
    v0 : float >= 0, default 0
        Variance of the start (0 for a fixed :math:`\theta_0`).

    Returns
    -------
    ndarray, shape (T + 1,)
        :math:`V_0, V_1, \dots, V_T`.

    Notes
    -----
    For a constant rate :math:`\eta` the recursion sums to
    :math:`V_t = a^t V_0 + \eta^2\sigma^2 (1 - a^t)/(1 - a)` with
    :math:`a = (1-\eta\lambda)^2`, which tends to
    :func:`sgd_stationary_variance`. With :math:`\eta_t \to 0` and
    :math:`\sum_t \eta_t = \infty`, :math:`V_t \to 0` (the Robbins--Monro
    conditions, which also ask :math:`\sum_t \eta_t^2 < \infty`, are
    sufficient but stronger than this recursion needs).
    Unstable rates (:math:`\eta_t\lambda > 2` for ever) make it overflow to
    ``inf`` without a warning.

    Examples
    --------
    >>> sgd_variance([0.5, 0.5, 0.5], 1.0, 1.0).round(6).tolist()
    [0.0, 0.25, 0.3125, 0.328125]
    """
    etas = check_array("etas", etas, ndim=1, low=0)
    lam = check_real("lam", lam, low=0, low_op=">")
    sigma2 = check_real("sigma2", sigma2, low=0)
    v0 = check_real("v0", v0, low=0)
    v = np.empty(etas.size + 1)
    v[0] = v0
    with np.errstate(over="ignore", invalid="ignore"):
        for t, eta in enumerate(etas):
            v[t + 1] = (1.0 - eta * lam) ** 2 * v[t] + eta * eta * sigma2
    return v


def minibatch_gradient_variance(sigma2, batch_size, n):
    r"""Expected squared error of a mini-batch gradient drawn without replacement.

    The mini-batch gradient :math:`g_B = \frac{1}{|B|}\sum_{i\in B}\nabla f_i`
    over :math:`|B|` distinct rows drawn uniformly from :math:`n` is an
    unbiased estimate of :math:`\nabla f`, with

    .. math::

        \mathbb E\,\lVert g_B - \nabla f\rVert^2
          = \frac{\sigma^2}{|B|}\,\frac{n - |B|}{n - 1},
        \qquad \sigma^2 = \frac1n \sum_{i=1}^n \lVert \nabla f_i - \nabla f\rVert^2,

    where :math:`\sigma^2` is ``sigma2`` (see :func:`gradient_variance`),
    :math:`|B|` is ``batch_size`` and :math:`n` is ``n``.

    Parameters
    ----------
    sigma2 : float >= 0
        Per-example gradient variance :math:`\sigma^2`.
    batch_size : int, 1 <= batch_size <= n
    n : int >= 1

    Returns
    -------
    float

    Notes
    -----
    The factor :math:`(n-|B|)/(n-1)` is the finite-population correction of
    sampling without replacement (what
    :meth:`lrtutor.problems.LinearRegression.stochastic_grad` does): it is 1
    for a single example and 0 for the full batch, which *is* the gradient.
    For :math:`|B| \ll n` the variance falls like :math:`1/|B|`. Chapter
    "Gradient descent, SGD and mini-batches".

    Examples
    --------
    >>> minibatch_gradient_variance(2.0, 1, 5), minibatch_gradient_variance(2.0, 5, 5)
    (2.0, 0.0)
    """
    sigma2 = check_real("sigma2", sigma2, low=0)
    n = check_int("n", n, low=1)
    batch_size = check_int("batch_size", batch_size, low=1, high=n, high_name="n")
    if n == 1:
        return 0.0
    return sigma2 / batch_size * (n - batch_size) / (n - 1)


def gradient_variance(problem, x):
    r"""Per-example gradient variance of a data-set problem at ``x``.

    .. math:: \sigma^2(\theta) = \frac1n \sum_{i=1}^n
              \lVert \nabla f_i(\theta) - \nabla f(\theta) \rVert^2,

    where :math:`\nabla f_i` is the gradient on row :math:`i` alone,
    :math:`\nabla f` the full gradient (their mean) and :math:`\theta` is
    ``x``. This is the :math:`\sigma^2` of
    :func:`minibatch_gradient_variance`.

    Parameters
    ----------
    problem : a data-set problem of :mod:`lrtutor.problems`
        Needs ``n``, ``dim``, ``grad`` and ``batch_grad``.
    x : array_like, shape (d,)

    Returns
    -------
    float

    Examples
    --------
    >>> from lrtutor.problems import LinearRegression
    >>> p = LinearRegression([[0.0], [1.0]], [0.0, 0.0])
    >>> float(gradient_variance(p, [1.0, 0.0]))   # row gradients (1, 0), (1, 1)
    0.25
    """
    if not hasattr(problem, "batch_grad"):
        raise TypeError("problem must be a data-set problem with batch_grad, got "
                        f"{type(problem).__name__}")
    x = check_array("x", x, shape=(problem.dim,))
    rows = np.stack([problem.batch_grad(x, np.array([i])) for i in range(problem.n)])
    diff = rows - problem.grad(x)
    return float(np.mean(np.sum(diff * diff, axis=-1)))


# --- momentum helpers (chapter: momentum) ---

def momentum_roots(eta, beta, lam):
    r"""The two characteristic roots of heavy-ball momentum along one eigenvalue.

    Along an eigenvector with eigenvalue :math:`\lambda` the error of
    momentum obeys :math:`e_{t+1} = (1+\beta-\eta\lambda)e_t - \beta e_{t-1}`,
    so :math:`e_t = c_1\sigma_1^t + c_2\sigma_2^t` with

    .. math::

        \sigma_{1,2} = \tfrac12\Big(1 + \beta - \eta\lambda
                       \pm \sqrt{(1+\beta-\eta\lambda)^2 - 4\beta}\Big),

    where :math:`\eta` is ``eta``, :math:`\beta` is ``beta`` and
    :math:`\lambda` is ``lam``. They are the eigenvalues of the iteration
    matrix :math:`\begin{pmatrix} 1+\beta-\eta\lambda & -\beta \\ 1 & 0\end{pmatrix}`;
    :math:`\sigma_1\sigma_2 = \beta` and :math:`\sigma_1 + \sigma_2 = 1+\beta-\eta\lambda`.

    Parameters
    ----------
    eta : float or array_like, every entry >= 0
    beta : float or array_like, every entry in [0, 1)
    lam : float > 0

    Returns
    -------
    (complex ndarray, complex ndarray)
        :math:`\sigma_1, \sigma_2`, each of shape ``np.broadcast(eta, beta).shape``;
        :math:`\sigma_1` takes the ``+`` sign (the principal square root).
        The larger modulus is :func:`momentum_rate` with ``eigenvalues=[lam]``.

    Examples
    --------
    >>> s1, s2 = momentum_roots(1.0, 0.25, 1.0)       # complex pair, |s| = sqrt(beta)
    >>> complex(s1).real, round(abs(complex(s1)), 6)
    (0.125, 0.5)
    """
    eta, beta = _check_eta_beta(eta, beta)
    lam = check_real("lam", lam, low=0, low_op=">")
    b = (1.0 + beta - eta * lam).astype(np.complex128)
    root = np.sqrt(b * b - 4.0 * beta)
    return b / 2 + root / 2, b / 2 - root / 2


def momentum_critical_beta(eta, lam):
    r"""The momentum that critically damps one eigendirection.

    The roots of :func:`momentum_roots` coincide when
    :math:`(1+\beta-\eta\lambda)^2 = 4\beta`, i.e. :math:`\sqrt{\eta\lambda}
    = |1 \pm \sqrt\beta|`:

    .. math:: \beta_{\mathrm{crit}} = \big(1 - \sqrt{\eta\lambda}\big)^2,

    where :math:`\eta` is ``eta`` and :math:`\lambda` is ``lam``. A smaller
    :math:`\beta` leaves two real roots (over-damped, the slow one dominates),
    a larger one a complex pair of modulus :math:`\sqrt\beta` (under-damped,
    oscillating). At :math:`\beta_{\mathrm{crit}}` the contraction factor is
    :math:`\sqrt{\beta_{\mathrm{crit}}} = |1 - \sqrt{\eta\lambda}|`, the
    smallest any :math:`\beta` achieves for this :math:`\eta\lambda`.

    Parameters
    ----------
    eta : float > 0
    lam : float > 0
        With :math:`0 < \eta\lambda < 4` (so that :math:`\beta < 1`).

    Returns
    -------
    float

    Examples
    --------
    >>> momentum_critical_beta(0.25, 1.0)     # (1 - 0.5)**2
    0.25
    """
    eta = check_real("eta", eta, low=0, low_op=">")
    lam = check_real("lam", lam, low=0, low_op=">")
    if not eta * lam < 4:
        raise ValueError(f"eta * lam must be < 4 (so that beta < 1), got "
                         f"eta={eta!r}, lam={lam!r}")
    return (1.0 - math.sqrt(eta * lam)) ** 2


def nesterov_rate(eta, beta, eigenvalues):
    r"""Asymptotic contraction factor of Nesterov momentum on a quadratic.

    Nesterov momentum in PyTorch's form, :math:`b_{t+1} = \beta b_t + g_t`,
    :math:`\theta_{t+1} = \theta_t - \eta(g_t + \beta b_{t+1})`, gives along
    an eigenvector with eigenvalue :math:`\lambda` the error recursion
    :math:`e_{t+1} = (1+\beta)(1-\eta\lambda)e_t - \beta(1-\eta\lambda)e_{t-1}`,
    with characteristic roots

    .. math::

        \sigma_{1,2} = \tfrac12\Big(a \pm \sqrt{a^2 - 4c}\Big), \quad
        a = (1+\beta)(1-\eta\lambda), \quad c = \beta(1-\eta\lambda), \qquad
        \rho = \max_i \max(|\sigma_1|, |\sigma_2|),

    where :math:`\eta` is ``eta``, :math:`\beta` is ``beta`` and
    :math:`\lambda_i` are ``eigenvalues``. Compared with
    :func:`momentum_rate` the momentum term is itself multiplied by
    :math:`1-\eta\lambda`, the effect of evaluating the gradient after the
    momentum step. It converges iff
    :math:`0 < \eta\lambda < (2+2\beta)/(1+2\beta)` for every eigenvalue: a
    *smaller* range of rates than heavy ball's :math:`2+2\beta`.

    Parameters
    ----------
    eta : float or array_like, every entry >= 0
    beta : float or array_like, every entry in [0, 1)
    eigenvalues : array_like, shape (d,), all > 0

    Returns
    -------
    float or ndarray
        Shape ``np.broadcast(eta, beta).shape``.

    Notes
    -----
    With :math:`\eta = 1/L` and :math:`\beta = (\sqrt\kappa-1)/(\sqrt\kappa+1)`
    (Nesterov's constants for strongly convex functions) the rate on a
    quadratic is :math:`1 - 1/\sqrt\kappa`. Chapter "Momentum".

    Examples
    --------
    >>> round(nesterov_rate(0.5, 0.0, [1.0, 3.0]), 6)   # beta = 0: |1 - 0.5 * 3|
    0.5
    >>> round(nesterov_rate(1.0, 0.9, [1.0]), 6)        # eta lam = 1: one step
    0.0
    """
    eta, beta = _check_eta_beta(eta, beta)
    lam = _check_eigenvalues(eigenvalues)
    q = 1.0 - eta[..., None] * lam
    b = (1.0 + beta[..., None]) * q
    c = beta[..., None] * q
    disc = b * b - 4.0 * c
    real_roots = (np.abs(b) + np.sqrt(np.maximum(disc, 0.0))) / 2.0
    radius = np.where(disc >= 0, real_roots, np.sqrt(np.abs(c)))
    return _scalar_or_array(np.max(radius, axis=-1))


__all__ += ["nesterov_rate"]


# --- more adaptive methods ---
# Closed forms of the chapter "Adaptive methods" (book/adaptive_methods), part
# "More adaptive methods": RAdam's rectification and NAdam's momentum schedule.

__all__ += ["radam_rectification", "nadam_momentum"]


def _check_updates(t):
    """Update numbers t = 1, 2, ...: a Python/numpy int or an integer array."""
    if isinstance(t, (bool, np.bool_)):
        raise TypeError(f"t must be an integer or an integer array, got {type(t).__name__}")
    arr = np.asarray(t)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"t must be an integer or an integer array, got dtype {arr.dtype}")
    if arr.size and arr.min() < 1:
        raise ValueError(f"t must have every entry >= 1 (updates are numbered from 1), "
                         f"got {arr.min()}")
    return arr.astype(np.float64)


def radam_rectification(beta2, t):
    r"""RAdam's average length :math:`\rho_t` and its rectification :math:`r_t`.

    Liu et al. (2020) approximate Adam's exponential average of squared
    gradients after :math:`t` updates by a simple average of :math:`\rho_t`
    terms, and scale the adaptive step by the factor :math:`r_t` that makes
    the variance of :math:`1/\sqrt{\hat v_t}` equal to its limit:

    .. math::

        \rho_\infty = \frac{2}{1-\beta_2} - 1, \qquad
        \rho_t = \rho_\infty - \frac{2t\,\beta_2^t}{1-\beta_2^t}, \qquad
        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}
                         {(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}},

    where :math:`\beta_2` is ``beta2`` and :math:`t` is the update number
    ``t`` (:math:`t = 1` for the first update). :math:`r_t` is used, and
    defined here, only where :math:`\rho_t > 5`; before that RAdam takes
    momentum steps without the adaptive denominator.

    Parameters
    ----------
    beta2 : float in (0, 1)
    t : int or integer array, every entry >= 1

    Returns
    -------
    (rho, r) : floats or float64 arrays of the shape of ``t``
        ``rho`` is :math:`\rho_t`; ``r`` is :math:`r_t` where
        :math:`\rho_t > 5` and NaN where RAdam takes no adaptive step (by
        design, so that a plot leaves those updates blank).

    Raises
    ------
    TypeError
        If ``t`` is not an integer or integer array.
    ValueError
        If ``beta2`` is not in (0, 1) or an entry of ``t`` is below 1.

    Notes
    -----
    :math:`\rho_1 = 1` for every :math:`\beta_2` and :math:`\rho_t` rises
    towards :math:`\rho_\infty` (1999 for :math:`\beta_2 = 0.999`), so
    :math:`r_t \to 1`. ``torch.optim.RAdam`` and :class:`lrtutor.optim.RAdam`
    compute the same two numbers at every update. Chapter "Adaptive methods",
    section on RAdam.

    References
    ----------
    Liu, Jiang, He, Chen, Liu, Gao, Han (2020), On the Variance of the Adaptive
    Learning Rate and Beyond, ICLR, arXiv:1908.03265, Algorithm 2.

    Examples
    --------
    >>> rho, r = radam_rectification(0.999, np.array([1, 5, 6, 100]))
    >>> np.round(rho, 4).tolist()
    [1.0, 4.996, 5.9942, 98.3329]
    >>> np.round(r, 4).tolist()
    [nan, nan, 0.0258, 0.2153]
    """
    beta2 = check_real("beta2", beta2, low=0, high=1, low_op=">", high_op="<")
    t = _check_updates(t)
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    b = beta2 ** t
    rho = rho_inf - 2.0 * t * b / (1.0 - b)
    ok = rho > 5.0                      # implies rho_inf > rho > 5: every factor > 0
    r = np.full(rho.shape, np.nan)
    if np.any(ok):
        q = rho[ok]
        r[ok] = np.sqrt((q - 4.0) * (q - 2.0) * rho_inf
                        / ((rho_inf - 4.0) * (rho_inf - 2.0) * q))
    return _scalar_or_array(rho), _scalar_or_array(r)


#: The largest update number :func:`nadam_momentum` accumulates (80 MB of float64).
_NADAM_MAX_T = 10_000_000


def nadam_momentum(beta1, psi, t):
    r"""NAdam's momentum coefficient :math:`\mu_t` and the running product :math:`\Pi_t`.

    PyTorch's NAdam (after Dozat, 2016) warms its momentum coefficient up
    from :math:`\beta_1/2` towards :math:`\beta_1`:

    .. math::

        \mu_t = \beta_1\bigl(1 - \tfrac12\,0.96^{t\psi}\bigr), \qquad
        \Pi_t = \prod_{i=1}^{t} \mu_i,

    where :math:`\beta_1` is ``beta1``, :math:`\psi` is ``psi`` (PyTorch's
    ``momentum_decay``, default 0.004) and :math:`t \ge 1` the update number.

    Parameters
    ----------
    beta1 : float in [0, 1)
    psi : float >= 0
    t : int or integer array, every entry >= 1 and <= 10,000,000

    Returns
    -------
    (mu, product) : floats or float64 arrays of the shape of ``t``

    Raises
    ------
    TypeError, ValueError
        For a ``t`` that is not integer, or out-of-range arguments (an entry
        of ``t`` above 10,000,000: the product is accumulated update by
        update).

    Notes
    -----
    :math:`\Pi_t` is a sum of logarithms, :math:`\exp\sum_i \log\mu_i`, which
    equals the product to rounding for the :math:`t` of a plot; for
    :math:`\beta_1 = 0` every :math:`\mu_i` and the product are 0. optax's
    ``nadam`` keeps :math:`\mu_t = \beta_1`, the limit :math:`\psi \to \infty`.
    :class:`lrtutor.optim.NAdam` keeps :math:`\Pi_t` in its state
    (``mu_product``). Chapter "Adaptive methods", section on NAdam.

    Examples
    --------
    >>> mu, prod = nadam_momentum(0.9, 0.004, np.array([1, 2, 3]))
    >>> np.round(mu, 6).tolist(), np.round(prod, 6).tolist()
    ([0.450073, 0.450147, 0.45022], [0.450073, 0.202599, 0.091214])
    """
    beta1 = check_real("beta1", beta1, low=0, high=1, high_op="<")
    psi = check_real("psi", psi, low=0)
    t = _check_updates(t)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
    if beta1 == 0.0:
        return _scalar_or_array(mu), _scalar_or_array(np.zeros_like(mu))
    # log mu_i summed over i = 1..t, for every entry of t at once
    top = int(t.max()) if t.size else 0
    if top > _NADAM_MAX_T:
        raise ValueError(f"t must have every entry <= {_NADAM_MAX_T} (the product is "
                         f"accumulated update by update), got {top}")
    i = np.arange(1, top + 1, dtype=np.float64)
    cum = np.concatenate([[0.0], np.cumsum(np.log(beta1 * (1.0 - 0.5 * 0.96 ** (i * psi))))])
    prod = np.exp(cum[t.astype(np.int64)])
    return _scalar_or_array(mu), _scalar_or_array(prod)
