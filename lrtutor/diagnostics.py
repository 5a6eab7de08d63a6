r"""Diagnostics: what a practitioner watches while training.

Four numbers tell whether a learning rate is about to cause trouble:

- :func:`sharpness`: the largest eigenvalue :math:`\lambda_{\max}` of the
  Hessian of the training loss. Gradient descent with rate :math:`\eta` is
  stable on a quadratic exactly when :math:`\lambda_{\max} < 2/\eta`; on a
  network, :math:`\lambda_{\max}` often rises during full-batch training
  until it reaches about :math:`2/\eta`, and then hovers there
  (progressive sharpening and the *edge of stability*, Cohen et al., 2021).
- :func:`global_norm`: the Euclidean norm of the whole gradient of each run,
  the number logged before clipping;
- :func:`clip_grad_norm`: rescaling of the gradient to a maximal norm, with
  the numbers of PyTorch's ``torch.nn.utils.clip_grad_norm_``;
- :func:`update_ratio`: the size of an update relative to the weights it
  changes, layer by layer (the rule of thumb: about :math:`10^{-3}`).

Like :mod:`lrtutor.problems`, every function is vectorised over leading axes:
an ``x`` of shape ``(..., d)`` holds independent runs (one per learning rate of
a sweep, say), and the result has one entry per run. A diverged run (inf or
NaN in its parameters) gives NaN or inf for that run only, and no
``RuntimeWarning`` is ever emitted. All numbers are float64.

This module sits at the level of :mod:`lrtutor.problems`: it needs only a
problem's ``hvp`` (and ``unflatten`` for layers) and imports nothing else from
lrtutor but the argument checks.
"""

from __future__ import annotations

import inspect

import numpy as np

from lrtutor._validate import (check_array, check_bool, check_callable, check_choice,
                               check_int, check_real)

__all__ = ["sharpness", "global_norm", "clip_grad_norm", "update_ratio", "DEFAULT_SEED"]

#: Seed of the start vector of :func:`sharpness` when no ``rng`` is given.
DEFAULT_SEED = 0

# Lanczos stops for a run when the new residual is this small relative to the
# running estimate of ||T|| (|alpha_j| + beta_{j-1} + beta_j): its Krylov space
# is then invariant to rounding, and its Ritz values are eigenvalues of H.
_BREAKDOWN = 1e-12


def _quiet():
    """Silence numpy for the overflow and inf - inf of diverged runs."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")


def _check_params(name, value, dim):
    """``value`` as float64 of shape ``(..., d)`` with d >= 1 (non-finite allowed)."""
    arr = check_array(name, value, finite=False)
    if arr.ndim == 0 or arr.shape[-1] == 0 or (dim is not None and arr.shape[-1] != dim):
        want = "d >= 1" if dim is None else str(dim)
        raise ValueError(f"{name} must be an array of shape (..., {want}), got shape "
                         f"{arr.shape}")
    return arr


def _problem_dim(problem):
    dim = getattr(problem, "dim", None)
    return dim if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool) else None


# --------------------------------------------------------------------------
# Sharpness
# --------------------------------------------------------------------------

def _hvp_operator(problem, idx, x):
    """The map ``q -> H q``, ``q`` of shape (B, d) for the B runs of ``x`` (..., d).

    ``problem.hvp`` sees ``x`` and ``q`` in the leading shape of ``x``, so that
    an ``idx`` with rows per run (shape ``(..., batch)``) lines up.
    """
    hvp = getattr(problem, "hvp", None)
    if not callable(hvp):
        raise TypeError("problem must have a method hvp(x, v) giving exact "
                        "Hessian-vector products (as lrtutor.problems and "
                        f"lrtutor.network.MLP have), got {type(problem).__name__}")
    if idx is not None:
        try:
            params = inspect.signature(hvp).parameters.values()
        except (TypeError, ValueError):       # a builtin: let the call decide
            params = None
        if params is not None and not any(
                p.name == "idx" or p.kind is p.VAR_KEYWORD for p in params):
            raise TypeError(f"idx must be None for {type(problem).__name__}, whose "
                            "hvp(x, v) takes no mini-batch (only data-set problems do)")
    kwargs = {} if idx is None else {"idx": idx}

    def op(q):
        w = np.array(hvp(x, q.reshape(x.shape), **kwargs), dtype=np.float64)  # own copy
        if w.shape != x.shape:
            raise ValueError(f"problem.hvp must return an array of shape {x.shape} "
                             f"for x and v of that shape, got shape {w.shape}")
        return w.reshape(q.shape)

    return op


def _orthogonalise(w, basis):
    """``w`` minus its projection on the orthonormal rows of ``basis`` (per run)."""
    return w - np.einsum("bkd,bk->bd", basis, np.einsum("bkd,bd->bk", basis, w))


def _lanczos(op, v0, iters, want_vector):
    """Batched Lanczos with full reorthogonalisation.

    Returns the largest Ritz value of each run (NaN where an hvp was not
    finite), and its Ritz vector if ``want_vector``.
    """
    b, d = v0.shape
    m = min(iters, d)                      # a Krylov space has at most d dimensions
    basis = np.zeros((b, m, d))
    alpha, beta = np.zeros((b, m)), np.zeros((b, m))
    size = np.zeros(b, dtype=int)          # Krylov dimension reached by each run
    alive = np.ones(b, dtype=bool)
    failed = np.zeros(b, dtype=bool)
    scale = np.zeros(b)
    q = v0.copy()
    for j in range(m):
        basis[:, j] = q                    # zero rows for runs that stopped
        w = op(q)
        finite = np.all(np.isfinite(w), axis=-1)
        failed |= alive & ~finite
        alive &= finite
        w[~alive] = 0.0
        a = np.einsum("bd,bd->b", q, w)
        failed |= alive & ~np.isfinite(a)  # finite w whose products overflow
        alive &= np.isfinite(a)
        a[~alive] = 0.0
        alpha[:, j] = a
        size[alive] = j + 1
        if j == m - 1 or not alive.any():
            break
        # Full reorthogonalisation against every Lanczos vector so far
        # (classical Gram-Schmidt twice), which also subtracts alpha_j q_j and
        # beta_{j-1} q_{j-1}, the three-term recurrence.
        w = _orthogonalise(_orthogonalise(w, basis[:, :j + 1]), basis[:, :j + 1])
        r = np.sqrt(np.einsum("bd,bd->b", w, w))
        failed |= alive & ~np.isfinite(r)
        alive &= np.isfinite(r)
        r[~alive] = 0.0
        scale = np.maximum(scale, np.abs(a) + r + (beta[:, j - 1] if j else 0.0))
        alive &= r > _BREAKDOWN * scale
        beta[:, j] = np.where(alive, r, 0.0)
        q = np.where(alive[:, None], w / np.where(alive, r, 1.0)[:, None], 0.0)
        # one more pass after normalising keeps q orthogonal to machine
        # precision even when r is small (near breakdown)
        q = _orthogonalise(q, basis[:, :j + 1])
        q /= np.where(alive, np.sqrt(np.einsum("bd,bd->b", q, q)), 1.0)[:, None]
        if not alive.any():
            break

    values = np.full(b, np.nan)
    vectors = np.full((b, d), np.nan) if want_vector else None
    for k in np.unique(size[~failed]):     # one stacked eigenproblem per size
        rows = np.flatnonzero((size == k) & ~failed)
        t = np.zeros((rows.size, k, k))
        i = np.arange(k)
        t[:, i, i] = alpha[rows, :k]
        t[:, i[:-1], i[1:]] = t[:, i[1:], i[:-1]] = beta[rows, :k - 1]
        values[rows] = np.linalg.eigvalsh(t)[:, -1]
        if want_vector:                    # eigh only for the vector: same values either way
            s = np.linalg.eigh(t)[1][:, :, -1]
            vectors[rows] = np.einsum("bkd,bk->bd", basis[rows, :k], s)
    return values, vectors


def _power(op, v0, iters):
    """Batched power iteration: the Rayleigh quotient of the last iterate."""
    q = v0.copy()
    values = np.zeros(v0.shape[0])
    alive = np.ones(v0.shape[0], dtype=bool)
    failed = np.zeros(v0.shape[0], dtype=bool)
    for _ in range(iters):
        w = op(q)
        finite = np.all(np.isfinite(w), axis=-1)
        failed |= alive & ~finite
        alive &= finite
        w[~alive] = 0.0
        a = np.einsum("bd,bd->b", q, w)
        r = np.sqrt(np.einsum("bd,bd->b", w, w))
        finite = np.isfinite(a) & np.isfinite(r)   # products of finite w can overflow
        failed |= alive & ~finite
        alive &= finite
        values = np.where(alive, a, values)
        alive &= r > 0                     # H q = 0: q is an eigenvector of 0
        if not alive.any():
            break
        q = np.where(alive[:, None], w / np.where(alive, r, 1.0)[:, None], q)
    values[failed] = np.nan
    q[failed] = np.nan
    return values, q


def sharpness(problem, x, *, iters=20, rng=None, idx=None, return_vector=False,
              method="lanczos"):
    r"""Largest eigenvalue of the Hessian of the training loss at ``x``.

    .. math::

        \lambda_{\max}\big(\nabla^2 f(\theta)\big)
        = \max_{\lVert u \rVert = 1} u^\top \nabla^2 f(\theta)\, u
        \;\approx\; \max \operatorname{eig}(T_k), \qquad
        T_k = Q_k^\top \nabla^2 f(\theta)\, Q_k,

    where :math:`\theta` is ``x``, :math:`f` the loss of ``problem`` (the
    mini-batch loss :math:`f_B` when ``idx`` gives the rows :math:`B`), and
    :math:`Q_k` an orthonormal basis of the Krylov space
    :math:`\mathrm{span}\{v_0, H v_0, \dots, H^{k-1} v_0\}` built by the
    Lanczos method, with :math:`H = \nabla^2 f(\theta)`, :math:`k` = ``iters``
    and :math:`v_0` a random unit start vector. :math:`T_k` is tridiagonal. The
    Hessian is never formed: each step costs one Hessian-vector product.

    Parameters
    ----------
    problem : object with ``hvp(x, v)``
        Any problem of :mod:`lrtutor.problems` or :class:`lrtutor.network.MLP`.
        ``problem.hvp(x, v)`` must accept ``x`` and ``v`` of the shape of ``x``.
    x : array_like, shape (d,) or (..., d)
        Parameters. Leading axes are independent runs; each gets its own
        Krylov space, and all advance together with one batched ``hvp`` call
        per step. A run with a non-finite entry gives NaN (so does a run whose
        Hessian-vector products are not finite, or whose norm overflows
        beyond about :math:`10^{154}`), without warnings and without
        affecting the other runs.
    iters : int >= 1, default 20
        Number of Krylov steps :math:`k`, i.e. of ``hvp`` calls. Lanczos stops
        early for a run at breakdown (an invariant Krylov space; always by
        :math:`k = d`), where its answer is exact to rounding.
    rng : numpy.random.Generator, optional
        Draws the start vector :math:`v_0` (``rng.standard_normal(d)``,
        normalised), one vector shared by all runs, so that a run's result
        does not depend on the other runs in the batch. Default
        ``np.random.default_rng(DEFAULT_SEED)`` (seed 0), a fresh generator on
        each call, so results are reproducible.
    idx : array of int, optional
        Rows of a mini-batch: then ``problem.hvp(x, v, idx=idx)`` is used, the
        sharpness of the mini-batch loss. Only for problems whose ``hvp``
        takes ``idx`` (data-set problems and networks); ``x`` and ``v`` are
        passed in the leading shape of ``x``, so rows per run (an ``idx`` of
        shape ``(..., batch)``, which :class:`lrtutor.network.MLP` accepts)
        line up with the runs.
    return_vector : bool, default False
        Also return the unit eigenvector estimate (the Ritz vector), of shape
        ``(..., d)`` (NaN for failed runs). Its sign is arbitrary.
    method : {"lanczos", "power"}, default "lanczos"
        ``"power"`` is plain power iteration :math:`q \leftarrow Hq/\lVert
        Hq\rVert` for ``iters`` steps, reporting the Rayleigh quotient
        :math:`q^\top H q` of the last iterate; see Notes for what it finds.

    Returns
    -------
    float or ndarray
        A float for ``x`` of shape ``(d,)``; an array of shape ``x.shape[:-1]``
        otherwise. With ``return_vector``, a pair ``(value, vector)``.

    Raises
    ------
    TypeError
        If ``problem`` has no ``hvp``, ``rng`` is not a Generator, or ``idx``
        is given for a problem whose ``hvp`` takes no ``idx``.
    ValueError
        If ``x`` is not of shape ``(..., d)`` or ``iters < 1``.

    Notes
    -----
    **Accuracy.** The Ritz value never exceeds :math:`\lambda_{\max}` (to
    rounding) and approaches it from below. By the Kaniel-Paige-Saad bound,

    .. math::

        0 \le \frac{\lambda_1 - \theta_1^{(k)}}{\lambda_1 - \lambda_d}
        \le \left(\frac{\tan \angle(v_0, u_1)}{T_{k-1}(1 + 2\gamma)}\right)^2,
        \qquad \gamma = \frac{\lambda_1 - \lambda_2}{\lambda_2 - \lambda_d},

    where :math:`\lambda_1 \ge \lambda_2 \ge \dots \ge \lambda_d` are the
    eigenvalues, :math:`u_1` the top eigenvector, :math:`\theta_1^{(k)}` the
    estimate after :math:`k` steps and :math:`T_{k-1}` the Chebyshev
    polynomial, which grows like :math:`e^{2(k-1)\sqrt{\gamma}}`. Power
    iteration's error shrinks only like :math:`(\lambda_2/\lambda_1)^{2k}`.
    Measured at ``iters=20`` (the default) with the default start vector,
    as relative errors (``tests/test_diagnostics.py`` checks all but the
    digits network, which was measured once):

    - exact to rounding (below :math:`10^{-15}`) whenever :math:`d \le 20`,
      e.g. 2-D quadratics, Rosenbrock, small regressions;
    - :math:`9 \times 10^{-16}` on a 50-dimensional quadratic with
      log-spaced spectrum from 1 to 100 (``Quadratic.random``,
      :math:`\lambda_2/\lambda_1 = 0.91`), where 20 steps of power
      iteration are off by :math:`4 \times 10^{-2}`;
    - :math:`2.5 \times 10^{-12}` on a logistic regression with 31
      parameters (power iteration: :math:`3 \times 10^{-2}`);
    - between :math:`4 \times 10^{-16}` and :math:`2 \times 10^{-5}` on
      20 quadratics of dimension 25 to 50 with eigenvalues uniform in
      :math:`[0.1, 10]`, whose top two eigenvalues are as little as 0.07 %
      apart (power iteration: :math:`4 \times 10^{-3}` to
      :math:`8 \times 10^{-2}`);
    - below :math:`2 \times 10^{-15}` on three small networks (31
      parameters, against their dense Hessians), where 20 steps of power
      iteration are off by :math:`10^{-7}` to 0.14 (the worst when the most
      negative eigenvalue is almost as large in magnitude as the largest);
    - below :math:`10^{-15}` on the 64-64-10 network of the digits
      (:math:`d = 8970`), at initialisation and after 600 steps of gradient
      descent, against 200 Lanczos steps (power iteration:
      :math:`5 \times 10^{-7}` and :math:`10^{-4}`).

    **Lanczos or power iteration.** The Lanczos value is the largest
    (algebraic) eigenvalue: on an indefinite Hessian (a saddle, or a network
    away from a minimum) it is the largest *positive* curvature, the number
    that limits the learning rate. Power iteration converges to the
    eigenvalue of largest *magnitude*: where a negative eigenvalue
    :math:`\lambda_d` has :math:`|\lambda_d| > \lambda_1` it reports
    :math:`\lambda_d < 0`, and if :math:`|\lambda_d| = \lambda_1` it does not
    converge at all. The two agree on convex problems, where all
    eigenvalues are :math:`\ge 0`. For the same number of ``hvp`` calls,
    Lanczos is always at least as accurate, as its Krylov space contains
    the power iterate.

    Examples
    --------
    >>> from lrtutor.problems import Quadratic, Rosenbrock
    >>> q = Quadratic.random(50, L=100.0, mu=1.0, rng=np.random.default_rng(0))
    >>> round(sharpness(q, np.zeros(50)), 6)
    100.0
    >>> round(float(sharpness(q, np.zeros(50), method="power")), 1)
    95.8
    >>> sharpness(Rosenbrock(), [[1.0, 1.0], [np.nan, 0.0]]).round(4).tolist()
    [1001.6006, nan]
    """
    x = _check_params("x", x, _problem_dim(problem))
    iters = check_int("iters", iters, low=1)
    if rng is None:
        rng = np.random.default_rng(DEFAULT_SEED)
    elif not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator "
                        f"(e.g. np.random.default_rng(0)), got {type(rng).__name__}")
    return_vector = check_bool("return_vector", return_vector)
    method = check_choice("method", method, ("lanczos", "power"))
    lead, d = x.shape[:-1], x.shape[-1]
    xs = x.reshape(-1, d)
    ok = np.all(np.isfinite(xs), axis=-1)
    xs = np.where(ok[:, None], xs, 0.0)    # diverged runs: harmless stand-in, NaN later
    op = _hvp_operator(problem, idx, xs.reshape(x.shape))
    v0 = rng.standard_normal(d)
    v0 = np.broadcast_to(v0 / np.sqrt(v0 @ v0), xs.shape).copy()
    with _quiet():
        if xs.shape[0] == 0:
            values, vectors = np.zeros(0), np.zeros((0, d))
        elif method == "lanczos":
            values, vectors = _lanczos(op, v0, iters, return_vector)
        else:
            values, vectors = _power(op, v0, iters)
    values[~ok] = np.nan
    values = float(values[0]) if not lead else values.reshape(lead)
    if not return_vector:
        return values
    vectors[~ok] = np.nan
    return values, vectors.reshape(x.shape)


# --------------------------------------------------------------------------
# Gradient norms and clipping
# --------------------------------------------------------------------------

def global_norm(grads):
    r"""Euclidean norm of the whole gradient of each run, shape ``(...)``.

    .. math:: \lVert g \rVert_2 = \Big(\sum_{i=1}^d g_i^2\Big)^{1/2},

    where :math:`g` is ``grads[..., :]``, the gradient of all parameters of
    one run (every layer together, as PyTorch's ``clip_grad_norm_`` and
    optax's ``global_norm`` compute it).

    Parameters
    ----------
    grads : array_like, shape (..., d)

    Returns
    -------
    numpy.float64 or ndarray, shape ``grads.shape[:-1]``
        ``inf`` when an entry is infinite or the squares overflow (a norm
        above about :math:`1.3 \times 10^{154}`: no rescaling is done, as in
        PyTorch), NaN when an entry is NaN; without warnings.

    Examples
    --------
    >>> float(global_norm([3.0, 4.0]))
    5.0
    >>> global_norm([[3.0, 4.0], [1e200, 0.0], [np.nan, 0.0]]).tolist()
    [5.0, inf, nan]
    """
    g = check_array("grads", grads, finite=False)
    if g.ndim == 0:
        raise ValueError("grads must be an array of shape (..., d), got shape ()")
    with _quiet():
        return np.sqrt(np.sum(g * g, axis=-1))


def _clip_coefficient(total_norm, max_norm):
    """PyTorch's clamp(max_norm / (total_norm + 1e-6), max=1), operation for operation.

    ``float / tensor`` in PyTorch is ``tensor.reciprocal() * float``, which
    can differ from a true division in the last bit.
    """
    with _quiet():
        return np.minimum(max_norm * (1.0 / (total_norm + 1e-6)), 1.0)


def clip_grad_norm(grads, max_norm):
    r"""Rescale each run's gradient to norm at most ``max_norm``, as PyTorch does.

    .. math::

        c = \min\!\Big(\frac{m}{\lVert g \rVert_2 + 10^{-6}},\; 1\Big), \qquad
        g \leftarrow c\, g,

    where :math:`g` is ``grads[..., :]`` (one run), :math:`m` is
    ``max_norm`` and :math:`\lVert g \rVert_2` is :func:`global_norm`. These
    are the semantics of ``torch.nn.utils.clip_grad_norm_(params, m)`` (with
    its defaults ``norm_type=2``, ``error_if_nonfinite=False``), applied to
    each run separately.

    Parameters
    ----------
    grads : array_like, shape (..., d)
        Gradients, one run per leading index.
    max_norm : float > 0
        The largest norm :math:`m` let through (finite).

    Returns
    -------
    clipped : ndarray, shape (..., d)
        :math:`c\,g`, a new array. Below the threshold :math:`c` is exactly
        1.0, so ``clipped`` equals ``grads`` bit for bit; the
        :math:`10^{-6}` means that a norm just above :math:`m` is scaled by
        slightly less than :math:`m/\lVert g\rVert`.
    total_norm : numpy.float64 or ndarray, shape (...)
        :math:`\lVert g \rVert_2` *before* clipping (what PyTorch returns and
        what is logged).

    Raises
    ------
    TypeError
        If ``max_norm`` is not a real number.
    ValueError
        If ``max_norm`` is not finite and > 0, or ``grads`` has no last axis.

    Notes
    -----
    **Non-finite gradients**, as in PyTorch and without warnings: an
    infinite entry (or squares that overflow) makes the norm ``inf``, so
    :math:`c = 0`; the run's finite entries become 0 (``-0.0`` for negative
    ones) and its infinite entries NaN (:math:`\infty \cdot 0`). A NaN entry
    makes the norm and :math:`c` NaN, so the whole run becomes NaN. Other
    runs are unaffected.

    **Agreement with PyTorch.** For a given total norm the clipped gradients
    are PyTorch's bit for bit: PyTorch evaluates ``max_norm / (total + 1e-6)``
    as ``max_norm * (1 / (total + 1e-6))``, and so does this function. The
    total norm itself agrees to a few units in the last place only: PyTorch
    sums the squares in an order that depends on the CPU's vector width, and
    with several parameter tensors takes the norm of their norms.
    ``tests/golden/diagnostics.json`` holds PyTorch 2.13's numbers.

    Examples
    --------
    >>> clipped, norm = clip_grad_norm([[3.0, 4.0], [0.3, 0.4]], max_norm=1.0)
    >>> clipped.round(6).tolist(), norm.tolist()
    ([[0.6, 0.8], [0.3, 0.4]], [5.0, 0.5])
    >>> clip_grad_norm([1.0, np.inf, -2.0], max_norm=1.0)[0].tolist()
    [0.0, nan, -0.0]
    """
    g = check_array("grads", grads, finite=False)
    if g.ndim == 0:
        raise ValueError("grads must be an array of shape (..., d), got shape ()")
    max_norm = check_real("max_norm", max_norm, low=0, low_op=">")
    total = global_norm(g)
    coef = _clip_coefficient(total, max_norm)
    with _quiet():
        return g * np.asarray(coef)[..., None], total


# --------------------------------------------------------------------------
# Update-to-weight ratio
# --------------------------------------------------------------------------

def update_ratio(problem, x_before, x_after):
    r"""Size of an update relative to the weights, layer by layer.

    .. math::

        r_l = \frac{\lVert W_l^{\text{after}} - W_l^{\text{before}} \rVert_F}
                   {\lVert W_l^{\text{before}} \rVert_F}, \qquad l = 1, \dots, L,

    where :math:`W_l` is the weight matrix of layer :math:`l` in
    ``problem.unflatten(x)`` (biases are left out, see Notes), and
    :math:`\lVert\cdot\rVert_F` the Frobenius norm. For a problem without
    ``unflatten`` (the problems of :mod:`lrtutor.problems`) the whole vector
    is one "layer": :math:`r = \lVert \theta^{\text{after}} -
    \theta^{\text{before}} \rVert / \lVert \theta^{\text{before}} \rVert`.

    Parameters
    ----------
    problem : object
        With ``unflatten(x)`` returning a list of ``(W, b)`` per layer, ``W``
        of shape ``(..., in, out)`` (as :class:`lrtutor.network.MLP`), or
        without it.
    x_before, x_after : array_like, shape (..., d)
        Parameters before and after one update (same shape). Non-finite
        entries are allowed (diverged runs) and give inf or NaN.

    Returns
    -------
    ndarray, shape (..., L)
        One ratio per layer; ``L = 1`` without ``unflatten``.

    Raises
    ------
    ValueError
        If the arrays are not of shape ``(..., d)`` or their shapes differ.

    Notes
    -----
    **Weights only.** The practitioner's rule of thumb (Karpathy, CS231n:
    "the ratio of the update magnitudes to the value magnitudes ... should be
    somewhere around 1e-3"; much lower, the rate is probably too small, much
    higher, too large) is about weights. Biases are usually initialised to 0,
    so their ratio is infinite at the first step and meaningless for a while;
    added to the weights they would change little, as a layer has ``in``
    times more weights than biases.

    **Zero weights.** A layer whose weights are all zero before the update
    has ratio ``inf`` if the update moved them (an infinite relative change)
    and 0 if it did not: a layer that did not move has ratio 0, whatever its
    weights. No warning is emitted.

    Examples
    --------
    >>> from lrtutor.problems import Quadratic
    >>> q = Quadratic.one_d(1.0)
    >>> update_ratio(q, [[2.0], [0.0], [0.0]], [[1.998], [0.5], [0.0]]).round(6).tolist()
    [[0.001], [inf], [0.0]]
    """
    dim = _problem_dim(problem)
    before = _check_params("x_before", x_before, dim)
    after = _check_params("x_after", x_after, dim)
    if after.shape != before.shape:
        raise ValueError(f"x_after must have the shape of x_before {before.shape}, "
                         f"got {after.shape}")
    unflatten = getattr(problem, "unflatten", None)
    with _quiet():
        delta = after - before
        if unflatten is None:
            num = np.sqrt(np.sum(delta * delta, axis=-1))[..., None]
            den = np.sqrt(np.sum(before * before, axis=-1))[..., None]
        else:
            check_callable("problem.unflatten", unflatten)

            def weight_norms(theta):
                return np.stack([np.sqrt(np.sum(np.square(w), axis=(-2, -1)))
                                 for w, _ in unflatten(theta)], axis=-1)

            num, den = weight_norms(delta), weight_norms(before)
        return np.where(num == 0, 0.0, num / den)


# --------------------------------------------------------------------------
# network_rates: how forgiving a learning rate is (chapter "A fixed rate on a network")
# --------------------------------------------------------------------------

__all__ += ["rate_window"]


def rate_window(lrs, values, factor=1.5):
    r"""The grid rates whose final loss is within a factor of the best: a U-curve's width.

    .. math::

        i^\ast = \arg\min_i f_i, \qquad
        [\eta_{\mathrm{lo}}, \eta_{\mathrm{hi}}] = \text{the longest run of
        consecutive grid rates } \eta_i \ni \eta_{i^\ast} \text{ with }
        f_i \le c\, f_{i^\ast},

    where :math:`\eta_i` are ``lrs`` (increasing), :math:`f_i` the values
    measured at them (a final loss, or an error rate ``1 - accuracy``) and
    :math:`c` is ``factor``. The width of the window in decades,
    :math:`\log_{10}(\eta_{\mathrm{hi}}/\eta_{\mathrm{lo}})`, says how far the
    rate may miss the best one before the result gets worse by more than the
    factor (Wortsman et al., 2023, summarise the same curve differently, by
    the mean excess loss over a range of rates). The window is taken on the
    grid, without interpolation, and
    it is contiguous: a rate beyond a bad one does not count, so a run that
    diverged (a NaN or infinite value) ends the window.

    Parameters
    ----------
    lrs : array_like, shape (R,)
        Strictly increasing positive rates.
    values : array_like, shape (R, ...)
        Values at each rate, the rate axis first; further axes (seeds, say)
        give one window each. Non-finite entries count as diverged.
    factor : float >= 1, default 1.5
        :math:`c`.

    Returns
    -------
    (low, high) : floats, or arrays of shape ``values.shape[1:]``
        The ends of each window, NaN where no value is finite (every rate
        diverged). ``low == high`` when no neighbour is within the factor.

    Raises
    ------
    ValueError
        If ``lrs`` is not strictly increasing and positive, ``values`` does
        not have ``R`` rows, a finite value is negative, or ``factor < 1``.

    Examples
    --------
    >>> lrs = [0.01, 0.1, 1.0, 10.0]
    >>> [float(v) for v in rate_window(lrs, [2.0, 1.0, 1.4, np.nan])]
    [0.1, 1.0]
    >>> [float(v) for v in rate_window(lrs, [1.2, 1.0, 9.0, 1.1], factor=1.5)]
    [0.01, 0.1]
    """
    rates = check_array("lrs", lrs, ndim=1, low=0, low_op=">")
    if rates.size == 0 or np.any(np.diff(rates) <= 0):
        raise ValueError("lrs must be a non-empty, strictly increasing array of rates, "
                         f"got {rates!r}")
    vals = check_array("values", values, finite=False)
    if vals.ndim == 0 or vals.shape[0] != rates.size:
        raise ValueError(f"values must have shape ({rates.size}, ...), one row per rate, "
                         f"got shape {vals.shape}")
    factor = check_real("factor", factor, low=1)
    if np.any(np.isfinite(vals) & (vals < 0)):
        raise ValueError("values must be >= 0 where finite (losses or error rates)")
    flat = vals.reshape(rates.size, -1)
    low = np.full(flat.shape[1], np.nan)
    high = low.copy()
    for j in range(flat.shape[1]):
        col = np.where(np.isfinite(flat[:, j]), flat[:, j], np.inf)
        if not np.isfinite(col).any():
            continue
        best = int(np.argmin(col))
        inside = col <= factor * col[best]
        lo = hi = best
        while lo > 0 and inside[lo - 1]:
            lo -= 1
        while hi < rates.size - 1 and inside[hi + 1]:
            hi += 1
        low[j], high[j] = rates[lo], rates[hi]
    shape = vals.shape[1:]
    if not shape:
        return float(low[0]), float(high[0])
    return low.reshape(shape), high.reshape(shape)
