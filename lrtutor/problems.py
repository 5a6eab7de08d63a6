r"""Objectives with known answers and exact gradients.

Every problem has ``loss(x)`` and ``grad(x)``, vectorised over leading axes:
``x`` of shape ``(..., d)`` gives losses of shape ``(...)`` and gradients of
shape ``(..., d)``, all float64. A batch of parameter vectors (one per learning
rate of a sweep, say) is therefore evaluated in one call. Every problem also
has the exact Hessian-vector product ``hvp(x, v)`` (shape ``(..., d)``), which
is all :func:`lrtutor.diagnostics.sharpness` needs.

- :class:`Quadratic`: :math:`f(\theta) = \tfrac12 (\theta-\theta^\star)^\top H
  (\theta-\theta^\star)`, the model problem of every convergence theorem;
- :class:`Rosenbrock`: the curved valley :math:`(a-x)^2 + b(y-x^2)^2`;
- :class:`LinearRegression`: least squares on a data set, with the closed-form
  solution as ground truth and mini-batch gradients;
- :class:`LogisticRegression`: mean log-loss on a data set;
- :func:`make_linear_data`, :func:`make_logistic_data`: the data sets.

Divergent iterates are part of the lesson, so huge or infinite ``x`` give
``inf`` or ``nan`` losses without emitting warnings; :func:`lrtutor.train.run`
reports the divergence.
"""

from __future__ import annotations

import numpy as np

from lrtutor._validate import check_array, check_bool, check_int, check_real

__all__ = [
    "Quadratic",
    "Rosenbrock",
    "LinearRegression",
    "LogisticRegression",
    "make_linear_data",
    "make_logistic_data",
]

# Overflow and inf - inf are expected once a run diverges: the caller sees inf
# or nan in the result and reports it, so numpy must not warn.
def _quiet():
    return np.errstate(over="ignore", invalid="ignore")


def _linear_in_v(apply, v):
    """``apply(v)`` for a map linear in ``v`` (a Hessian-vector product), never
    NaN for a finite ``v``: where a huge ``v`` (``1e308``) overflows a sum to
    ``inf - inf``, that row is ``s * apply(v / s)`` with ``s = max|v|``, finite
    or an honest ``+-inf``. Other rows are the plain product, bit for bit."""
    with _quiet():
        out = apply(v)
        bad = np.isnan(out) & np.all(np.isfinite(v), axis=-1, keepdims=True)
        if np.any(bad):
            s = np.max(np.abs(v), axis=-1, keepdims=True)
            out = np.where(bad, s * apply(v / np.where(s > 0, s, 1.0)), out)
    return out


def _check_x(x, dim):
    """Return ``x`` as a float64 array of shape ``(..., dim)`` (non-finite allowed)."""
    arr = check_array("x", x, finite=False)
    if arr.ndim == 0 or arr.shape[-1] != dim:
        raise ValueError(f"x must be an array of shape (..., {dim}), got shape "
                         f"{arr.shape}")
    return arr


def _check_v(v, x):
    """Return ``v`` as float64 of shape ``(..., d)`` and the shape of ``hvp(x, v)``.

    ``x`` is already checked; the leading axes of ``x`` and ``v`` broadcast.
    """
    d = x.shape[-1]
    arr = check_array("v", v, finite=False)
    if arr.ndim == 0 or arr.shape[-1] != d:
        raise ValueError(f"v must be an array of shape (..., {d}) like x, got shape "
                         f"{arr.shape}")
    try:
        shape = np.broadcast_shapes(x.shape, arr.shape)
    except ValueError:
        raise ValueError(f"v must have leading axes that broadcast against those of x, "
                         f"got x of shape {x.shape} and v of shape {arr.shape}") from None
    return arr, shape


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator "
                        f"(e.g. np.random.default_rng(0)), got {type(rng).__name__}")
    return rng


def _readonly(arr):
    arr.setflags(write=False)
    return arr


class _Spectrum:
    """``L``, ``mu`` and ``condition_number`` from an ascending ``eigenvalues`` array."""

    @property
    def L(self):
        """Largest eigenvalue of the Hessian (the smoothness constant)."""
        return float(self.eigenvalues[-1])

    @property
    def mu(self):
        """Smallest eigenvalue of the Hessian (the strong-convexity constant)."""
        return float(self.eigenvalues[0])

    @property
    def condition_number(self):
        r""":math:`\kappa = L/\mu` (``inf`` if :math:`\mu = 0`)."""
        return self.L / self.mu if self.mu > 0 else np.inf


# --------------------------------------------------------------------------
# Quadratic
# --------------------------------------------------------------------------

class Quadratic(_Spectrum):
    r"""A strictly convex quadratic with a chosen spectrum.

    The model problem of the book: gradient descent on it can be solved in
    closed form, eigendirection by eigendirection.

    .. math::

        f(\theta) = \tfrac12 (\theta - \theta^\star)^\top H (\theta - \theta^\star),
        \qquad H = Q \,\mathrm{diag}(\lambda_1, \dots, \lambda_d)\, Q^\top,
        \qquad \nabla f(\theta) = H (\theta - \theta^\star),

    where :math:`\lambda_i` are ``eigenvalues``, the columns of :math:`Q` are
    ``basis`` (the eigenvectors) and :math:`\theta^\star` is ``minimizer``.

    Parameters
    ----------
    eigenvalues : array_like, shape (d,)
        Eigenvalues of :math:`H`, all > 0 (strictly convex, so that
        :math:`L`, :math:`\mu` and :math:`\kappa` are well defined).
    basis : array_like, shape (d, d), optional
        Orthogonal matrix whose column ``i`` is the eigenvector of
        ``eigenvalues[i]``; checked to :math:`\|Q^\top Q - I\|_\max \le 10^{-10}`.
        Default: the identity (axis-aligned).
    minimizer : array_like, shape (d,), optional
        :math:`\theta^\star`; default the origin.

    Attributes
    ----------
    eigenvalues : ndarray, shape (d,)
        Sorted ascending (``basis`` columns reordered to match).
    basis : ndarray, shape (d, d)
    hessian : ndarray, shape (d, d)
        :math:`H`, symmetric.
    minimizer : ndarray, shape (d,)
    dim : int
    L, mu, condition_number : float
        :math:`L = \lambda_{\max}`, :math:`\mu = \lambda_{\min}`,
        :math:`\kappa = L/\mu`.

    Raises
    ------
    ValueError
        If an eigenvalue is <= 0, ``basis`` is not orthogonal, or shapes disagree.

    Notes
    -----
    Chapter "Gradient descent on a quadratic" derives
    :math:`\theta_t - \theta^\star = (I - \eta H)^t (\theta_0 - \theta^\star)`;
    see :func:`lrtutor.theory.gd_iterate`.

    Examples
    --------
    >>> q = Quadratic.two_d(1.0, 10.0)
    >>> q.L, q.mu, q.condition_number
    (10.0, 1.0, 10.0)
    >>> float(q.loss([1.0, 1.0]))
    5.5
    >>> q.grad([1.0, 1.0]).tolist()
    [1.0, 10.0]
    """

    def __init__(self, eigenvalues, basis=None, minimizer=None):
        lam = check_array("eigenvalues", eigenvalues, ndim=1, low=0, low_op=">")
        if lam.size == 0:
            raise ValueError("eigenvalues must have at least one entry, got shape (0,)")
        d = lam.size
        if basis is None:
            q = np.eye(d)
        else:
            q = check_array("basis", basis, shape=(d, d))
            if np.max(np.abs(q.T @ q - np.eye(d))) > 1e-10:
                raise ValueError("basis must be an orthogonal matrix "
                                 "(Q.T @ Q == I to within 1e-10)")
        if minimizer is None:
            xstar = np.zeros(d)
        else:
            xstar = check_array("minimizer", minimizer, shape=(d,)).copy()
        order = np.argsort(lam, kind="stable")
        self.eigenvalues = _readonly(lam[order].copy())
        self.basis = _readonly(q[:, order].copy())
        h = (self.basis * self.eigenvalues) @ self.basis.T
        self.hessian = _readonly((h + h.T) / 2)     # exactly symmetric
        self.minimizer = _readonly(xstar)
        self.dim = d

    @classmethod
    def one_d(cls, lam, minimizer=0.0):
        r"""The 1-D quadratic :math:`f(x) = \tfrac{\lambda}{2}(x - x^\star)^2`.

        Parameters
        ----------
        lam : float > 0
            The curvature :math:`\lambda` (so :math:`L = \mu = \lambda`).
        minimizer : float, default 0.0
            :math:`x^\star`, finite.

        Examples
        --------
        >>> q = Quadratic.one_d(2.0, minimizer=1.0)
        >>> float(q.loss([3.0])), q.grad([3.0]).tolist()
        (4.0, [4.0])
        """
        lam = check_real("lam", lam, low=0, low_op=">")
        minimizer = check_real("minimizer", minimizer)
        return cls([lam], minimizer=[minimizer])

    @classmethod
    def two_d(cls, lam1, lam2, angle=0.0, minimizer=(0.0, 0.0)):
        r"""A 2-D quadratic whose eigenvectors are rotated by ``angle`` radians.

        .. math::

            Q = \begin{pmatrix} \cos\phi & -\sin\phi \\ \sin\phi & \cos\phi
                \end{pmatrix}, \qquad H = Q\,\mathrm{diag}(\lambda_1, \lambda_2)\,Q^\top,

        where :math:`\phi` is ``angle``: :math:`\lambda_1` (``lam1``) belongs to
        the direction :math:`(\cos\phi, \sin\phi)` and :math:`\lambda_2`
        (``lam2``) to :math:`(-\sin\phi, \cos\phi)`. An ill-conditioned,
        rotated valley is the book's standard picture of zig-zagging.

        Parameters
        ----------
        lam1, lam2 : float > 0
            The two eigenvalues :math:`\lambda_1, \lambda_2`.
        angle : float, default 0.0
            :math:`\phi` in radians, finite.
        minimizer : array_like, shape (2,), default (0.0, 0.0)
            :math:`\theta^\star`, finite.

        Examples
        --------
        >>> q = Quadratic.two_d(1.0, 3.0, angle=np.pi / 4)
        >>> q.hessian.round(6).tolist()
        [[2.0, -1.0], [-1.0, 2.0]]
        """
        lam1 = check_real("lam1", lam1, low=0, low_op=">")
        lam2 = check_real("lam2", lam2, low=0, low_op=">")
        angle = check_real("angle", angle)
        c, s = np.cos(angle), np.sin(angle)
        rot = np.array([[c, -s], [s, c]])
        xstar = check_array("minimizer", minimizer, shape=(2,))
        return cls([lam1, lam2], basis=rot, minimizer=xstar)

    @classmethod
    def random(cls, dim, L, mu, rng):
        r"""A random ``dim``-dimensional quadratic with spectrum in :math:`[\mu, L]`.

        The eigenvalues are log-spaced from :math:`\mu` (``mu``) to :math:`L`
        (``L``), both ends included, so :math:`\kappa = L/\mu` exactly. The
        basis is the Q factor of the QR decomposition of a standard Gaussian
        matrix drawn with ``rng`` (signs fixed so that it is uniformly
        distributed). The minimizer is the origin. ``dim = 1`` needs
        ``mu == L``.

        Parameters
        ----------
        dim : int >= 1
            The dimension :math:`d`.
        L : float > 0
            The largest eigenvalue.
        mu : float
            The smallest eigenvalue, :math:`0 < \mu \le L`.
        rng : numpy.random.Generator
            Draws the basis.

        Examples
        --------
        >>> q = Quadratic.random(3, L=100.0, mu=1.0, rng=np.random.default_rng(0))
        >>> q.eigenvalues.round(6).tolist(), q.condition_number
        ([1.0, 10.0, 100.0], 100.0)
        """
        dim = check_int("dim", dim, low=1)
        L = check_real("L", L, low=0, low_op=">")
        mu = check_real("mu", mu, low=0, high=L, low_op=">", high_name="L")
        _check_rng(rng)
        if dim == 1 and mu != L:
            raise ValueError(f"mu must equal L when dim is 1 (one eigenvalue), "
                             f"got mu={mu!r}, L={L!r}")
        lam = np.geomspace(mu, L, dim)
        lam[0], lam[-1] = mu, L
        q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
        return cls(lam, basis=q)

    def loss(self, x):
        r""":math:`\tfrac12 \sum_i \lambda_i \big(q_i^\top(\theta - \theta^\star)\big)^2`, shape ``(...)``."""
        x = _check_x(x, self.dim)
        with _quiet():
            z = (x - self.minimizer) @ self.basis     # coordinates in the eigenbasis
            return 0.5 * np.sum(self.eigenvalues * z * z, axis=-1)

    def grad(self, x):
        r""":math:`H(\theta - \theta^\star)`, shape ``(..., d)``."""
        x = _check_x(x, self.dim)
        with _quiet():
            return (x - self.minimizer) @ self.hessian

    def hvp(self, x, v):
        r"""Exact Hessian-vector product :math:`H v`, shape ``(..., d)``.

        .. math:: \nabla^2 f(\theta)\, v = H v,

        where :math:`\theta` is ``x`` and :math:`v` is ``v``, both of shape
        ``(..., d)`` with broadcasting leading axes. The Hessian of a quadratic
        is the same at every :math:`\theta`, so ``x`` only sets the shape
        (even a non-finite ``x`` gives :math:`H v`).

        >>> Quadratic.two_d(1.0, 10.0).hvp([0.0, 0.0], [1.0, 1.0]).tolist()
        [1.0, 10.0]
        """
        x = _check_x(x, self.dim)
        v, shape = _check_v(v, x)
        return np.broadcast_to(_linear_in_v(lambda w: w @ self.hessian, v), shape).copy()

    def __repr__(self):
        return (f"Quadratic(dim={self.dim}, L={self.L:g}, mu={self.mu:g}, "
                f"condition_number={self.condition_number:g})")


# --------------------------------------------------------------------------
# Rosenbrock
# --------------------------------------------------------------------------

class Rosenbrock:
    r"""Rosenbrock's banana valley, a non-convex 2-D test function.

    .. math::

        f(x, y) = (a - x)^2 + b\,(y - x^2)^2, \qquad
        \nabla f = \begin{pmatrix} -2(a - x) - 4 b x (y - x^2) \\
                                   2 b (y - x^2) \end{pmatrix},

    where :math:`a` is ``a`` and :math:`b` is ``b``. The unique minimizer is
    :math:`(a, a^2)` with :math:`f = 0`; the valley floor :math:`y = x^2` is
    flat while its walls are steep (Hessian at the minimizer
    :math:`\begin{pmatrix} 2 + 8ba^2 & -4ba \\ -4ba & 2b \end{pmatrix}`), so a
    single learning rate is too large across the valley and too small along it.

    Parameters
    ----------
    a : float
    b : float > 0

    Examples
    --------
    >>> r = Rosenbrock()
    >>> r.minimizer.tolist(), float(r.loss([1.0, 1.0]))
    ([1.0, 1.0], 0.0)
    >>> r.grad([0.0, 0.0]).tolist()
    [-2.0, 0.0]
    """

    dim = 2

    def __init__(self, a=1.0, b=100.0):
        self.a = check_real("a", a)
        self.b = check_real("b", b, low=0, low_op=">")
        self.minimizer = _readonly(np.array([self.a, self.a ** 2]))

    def loss(self, x):
        """Loss, shape ``(...)``."""
        x = _check_x(x, 2)
        with _quiet():
            u, v = x[..., 0], x[..., 1]
            return (self.a - u) ** 2 + self.b * (v - u * u) ** 2

    def grad(self, x):
        """Exact gradient, shape ``(..., 2)``."""
        x = _check_x(x, 2)
        with _quiet():
            u, v = x[..., 0], x[..., 1]
            wall = v - u * u
            return np.stack([-2 * (self.a - u) - 4 * self.b * u * wall,
                             2 * self.b * wall], axis=-1)

    def hessian_at(self, x):
        r"""Hessian at ``x``, shape ``(..., 2, 2)``.

        .. math::

            \nabla^2 f = \begin{pmatrix} 2 - 4b(y - x^2) + 8bx^2 & -4bx \\
                                         -4bx & 2b \end{pmatrix}.

        >>> Rosenbrock().hessian_at([1.0, 1.0]).tolist()
        [[802.0, -400.0], [-400.0, 200.0]]
        """
        x = _check_x(x, 2)
        with _quiet():
            u, v = x[..., 0], x[..., 1]
            b = self.b
            h11 = 2 - 4 * b * (v - u * u) + 8 * b * u * u
            h12 = -4 * b * u
            h22 = np.full_like(u, 2 * b)
            return np.stack([np.stack([h11, h12], axis=-1),
                             np.stack([h12, h22], axis=-1)], axis=-2)

    def hvp(self, x, v):
        r"""Exact Hessian-vector product at ``x``, shape ``(..., 2)``.

        .. math::

            \nabla^2 f\, v = \begin{pmatrix}
                \big(2 - 4b(y - x^2) + 8bx^2\big)\, v_1 - 4bx\, v_2 \\
                -4bx\, v_1 + 2b\, v_2 \end{pmatrix},

        where :math:`(x, y)` is ``x``, :math:`(v_1, v_2)` is ``v`` (leading
        axes broadcast) and :math:`b` is ``b``: :meth:`hessian_at` times
        :math:`v`. The Hessian is indefinite where :math:`y > x^2 + 1/(2b)`,
        so :math:`v^\top \nabla^2 f\, v` can be negative.

        >>> Rosenbrock().hvp([1.0, 1.0], [1.0, 0.0]).tolist()
        [802.0, -400.0]
        """
        x = _check_x(x, 2)
        v, shape = _check_v(v, x)
        with _quiet():
            u, w = x[..., 0], x[..., 1]
            b = self.b
            h11 = 2 - 4 * b * (w - u * u) + 8 * b * u * u
            h12 = -4 * b * u
        out = _linear_in_v(lambda v: np.stack([h11 * v[..., 0] + h12 * v[..., 1],
                                               h12 * v[..., 0] + 2 * b * v[..., 1]],
                                              axis=-1), v)
        return np.broadcast_to(out, shape).copy()

    def __repr__(self):
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"


# --------------------------------------------------------------------------
# Data-set problems
# --------------------------------------------------------------------------

def _products(x, design):
    """``x @ design.T``, never NaN for a finite ``x``.

    Huge finite parameters (``1e308``) can overflow the sum of products to
    ``inf - inf = nan``. Those rows are recomputed from ``x`` divided by its
    largest entry (at most 1 in size, so no sum overflows) and multiplied back:
    each product is then a finite number or an honest ``+-inf``. Other rows are
    the plain product, bit for bit.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        z = x @ design.T
    bad = np.isnan(z) & np.all(np.isfinite(x), axis=-1, keepdims=True)
    if np.any(bad):
        s = np.max(np.abs(x), axis=-1, keepdims=True)
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = s * ((x / np.where(s > 0, s, 1.0)) @ design.T)
        z = np.where(bad, scaled, z)
    return z


class _DataProblem:
    """Shared plumbing of the data-set problems: design matrix, shapes, batches.

    A subclass defines ``_loss_rows(x, design, y)`` and
    ``_grad_rows(x, design, y)``: the mean loss and its gradient over the given
    rows. Everything else (full loss, batch and stochastic gradients) is here.
    """

    def __init__(self, X, y, fit_intercept):
        fit_intercept = check_bool("fit_intercept", fit_intercept)
        X = check_array("X", X, ndim=2)
        n = X.shape[0]
        if n == 0:
            raise ValueError("X must have at least one row, got shape "
                             f"{X.shape}")
        y = check_array("y", y)
        if y.ndim == 2 and y.shape[1] == 1:
            # E000-3: a column y broadcasts against (n,) predictions to (n, n).
            raise ValueError(f"y must be 1-D of shape ({n},), got shape {y.shape}; "
                             "pass y.ravel()")
        if y.shape != (n,):
            raise ValueError(f"y must be 1-D of shape ({n},) to match the {n} rows "
                             f"of X, got shape {y.shape}")
        design = np.column_stack([np.ones(n), X]) if fit_intercept else X.copy()
        self.fit_intercept = fit_intercept
        self.design = _readonly(design)
        self.y = _readonly(y.copy())
        self.n, self.dim = design.shape

    def loss(self, x):
        """Mean loss over all ``n`` rows, shape ``(...)``."""
        x = _check_x(x, self.dim)
        with _quiet():
            return self._loss_rows(x, self.design, self.y)

    def grad(self, x):
        """Gradient of the mean loss over all ``n`` rows, shape ``(..., d)``."""
        x = _check_x(x, self.dim)
        with _quiet():
            return self._grad_rows(x, self.design, self.y)

    def _rows(self, idx):
        """Validate a 1-D array of row indices in ``[0, n)``."""
        idx = np.asarray(idx)
        if idx.ndim != 1 or idx.size == 0:
            raise ValueError(f"idx must be a non-empty 1-D array, got shape {idx.shape}")
        if not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(f"idx must be an array of integers, got dtype {idx.dtype}")
        if idx.min() < 0 or idx.max() >= self.n:
            raise ValueError(f"idx must have every entry >= 0 and < {self.n} "
                             "(the number of rows)")
        return idx

    def batch_loss(self, x, idx):
        r"""Mean loss over the rows ``idx`` only.

        .. math:: f_B(\theta) = \frac{1}{|B|} \sum_{i \in B} f_i(\theta),

        where :math:`B` is ``idx`` (a 1-D array of row indices in ``[0, n)``;
        a repeated index counts twice).
        """
        x, idx = _check_x(x, self.dim), self._rows(idx)
        with _quiet():
            return self._loss_rows(x, self.design[idx], self.y[idx])

    def batch_grad(self, x, idx):
        r"""Gradient of the mean loss over the rows ``idx`` only.

        .. math:: g_B(\theta) = \frac{1}{|B|} \sum_{i \in B} \nabla f_i(\theta),

        where :math:`B` is ``idx`` (a 1-D array of row indices in ``[0, n)``;
        a repeated index counts twice).
        """
        x, idx = _check_x(x, self.dim), self._rows(idx)
        with _quiet():
            return self._grad_rows(x, self.design[idx], self.y[idx])

    def hvp(self, x, v, idx=None):
        r"""Exact Hessian-vector product of the mean loss, shape ``(..., d)``.

        .. math:: \nabla^2 f_B(\theta)\, v = \frac{1}{|B|} \sum_{i \in B}
                  \nabla^2 f_i(\theta)\, v,

        where :math:`\theta` is ``x`` and :math:`v` is ``v`` (both of shape
        ``(..., d)``, leading axes broadcast) and :math:`B` is ``idx``, the rows
        of a mini-batch as in :meth:`batch_grad` (all ``n`` rows when ``idx``
        is None). The class docstring gives :math:`\nabla^2 f_i`.

        >>> lin = LinearRegression([[0.0], [1.0]], [0.0, 1.0])  # H = [[1, .5], [.5, .5]]
        >>> lin.hvp([0.0, 0.0], [1.0, 0.0]).tolist()
        [1.0, 0.5]
        >>> lin.hvp([0.0, 0.0], [1.0, 0.0], idx=[1]).tolist()    # row (1, 1) only
        [1.0, 1.0]
        >>> logi = LogisticRegression([[0.0], [1.0]], [0.0, 1.0])
        >>> logi.hvp([0.0, 0.0], [1.0, 0.0]).tolist()            # p(1 - p) = 1/4
        [0.25, 0.125]
        """
        x = _check_x(x, self.dim)
        v, shape = _check_v(v, x)
        if idx is None:
            design = self.design
        else:
            design = self.design[self._rows(idx)]
        out = _linear_in_v(lambda w: self._hvp_rows(x, w, design), v)
        return np.broadcast_to(out, shape).copy()

    def stochastic_grad(self, x, rng, batch_size):
        r"""Mini-batch gradient on ``batch_size`` distinct rows drawn uniformly.

        The rows are ``rng.choice(n, batch_size, replace=False)``, so the
        result is an unbiased estimate of :meth:`grad`, and equals it when
        ``batch_size == n``. The same rows are used for every leading index of
        ``x`` (all runs of a sweep see the same mini-batch).
        """
        _check_rng(rng)
        batch_size = check_int("batch_size", batch_size, low=1, high=self.n,
                               high_name="the number of rows n")
        idx = rng.choice(self.n, size=batch_size, replace=False)
        return self.batch_grad(x, idx)

    def _gram_eigenvalues(self):
        """Eigenvalues of :math:`X_b^\\top X_b / n`, ascending, clipped at 0."""
        gram = self.design.T @ self.design / self.n
        return np.maximum(np.linalg.eigvalsh(gram), 0.0)


class LinearRegression(_DataProblem, _Spectrum):
    r"""Least squares with the one-half convention.

    .. math::

        f(\theta) = \frac{1}{2n} \lVert X_b \theta - y \rVert^2, \qquad
        \nabla f(\theta) = \frac1n X_b^\top (X_b \theta - y), \qquad
        H = \frac1n X_b^\top X_b, \qquad
        \nabla^2 f(\theta)\, v = \frac1n X_b^\top (X_b v),

    where :math:`X_b = [\mathbf 1, X]` is ``design`` (``X`` itself when
    ``fit_intercept`` is false), :math:`y` is ``y``,
    :math:`\theta = (\text{intercept}, \text{weights}\dots)` and :math:`v`
    the vector of :meth:`hvp` (which does not depend on :math:`\theta`; with
    ``idx`` it uses those rows only, :math:`n` then being their number).

    Parameters
    ----------
    X : array_like, shape (n, p)
        Features; must be 2-D (one feature is ``X.reshape(-1, 1)``).
    y : array_like, shape (n,)
        Targets; must be 1-D. A column ``(n, 1)`` is rejected (see Notes).
    fit_intercept : bool
        Prepend a column of ones, so that ``d = p + 1``.

    Attributes
    ----------
    design : ndarray, shape (n, d)
    y : ndarray, shape (n,)
    n, dim : int
    hessian : ndarray, shape (d, d)
    eigenvalues : ndarray, shape (d,)
        Of ``hessian``, ascending.
    L, mu, condition_number : float
        :math:`\lambda_{\max}(H)`, :math:`\lambda_{\min}(H)` and their ratio
        (``inf`` when the computed ``mu`` is exactly 0; collinear features or
        ``n < d`` usually leave ``mu`` at about 1e-16 from rounding, so
        ``condition_number`` is about 1e16 rather than ``inf``).
    minimizer : ndarray, shape (d,)
        The least-squares solution from :func:`numpy.linalg.lstsq` (the
        minimum-norm one if the minimizer is not unique): the closed-form
        ground truth that gradient descent should reach.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D or ``y`` is not 1-D with ``n`` entries.

    Notes
    -----
    **Shapes are strict** because of erratum E000-3: a target column of shape
    ``(n, 1)`` minus predictions of shape ``(n,)`` silently broadcasts to an
    ``(n, n)`` matrix.

    **The factor one half.** PyTorch's ``nn.MSELoss`` is the mean of squared
    residuals *without* the ½, so its gradient and Hessian are twice ours and
    its stability limit is half of ours: gradient descent converges for
    :math:`\eta < 2/L` here, but for :math:`\eta < 1/L` (with our :math:`L`)
    on ``MSELoss``. This module keeps the ½ so that :math:`H = X_b^\top X_b/n`.
    Averaging over rows (instead of summing, erratum E000-4) keeps :math:`L`,
    and so the usable learning rate, independent of ``n``.

    Examples
    --------
    >>> X, y = make_linear_data(rng=np.random.default_rng(0))
    >>> problem = LinearRegression(X, y)
    >>> problem.dim, problem.n
    (2, 100)
    >>> np.abs(problem.grad(problem.minimizer)).max() < 1e-12
    np.True_
    """

    def __init__(self, X, y, fit_intercept=True):
        super().__init__(X, y, fit_intercept)
        self.hessian = _readonly(self.design.T @ self.design / self.n)
        self.eigenvalues = _readonly(self._gram_eigenvalues())
        self.minimizer = _readonly(np.linalg.lstsq(self.design, self.y, rcond=None)[0])

    @staticmethod
    def _loss_rows(x, design, y):
        r = _products(x, design) - y
        with np.errstate(over="ignore"):          # overflow: an infinite loss
            return 0.5 * np.mean(r * r, axis=-1)

    @staticmethod
    def _grad_rows(x, design, y):
        r = x @ design.T - y
        return r @ design / design.shape[0]

    @staticmethod
    def _hvp_rows(x, v, design):
        return (v @ design.T) @ design / design.shape[0]

    def __repr__(self):
        return (f"LinearRegression(n={self.n}, dim={self.dim}, L={self.L:g}, "
                f"condition_number={self.condition_number:g})")


class LogisticRegression(_DataProblem):
    r"""Logistic regression: mean log-loss for labels in {0, 1}.

    .. math::

        f(\theta) = \frac1n \sum_{i=1}^n \Big(\log\big(1 + e^{z_i}\big) - y_i z_i\Big),
        \qquad z = X_b\theta, \qquad
        \nabla f(\theta) = \frac1n X_b^\top \big(\sigma(X_b\theta) - y\big),

    .. math::

        \nabla^2 f(\theta)\, v = \frac1n X_b^\top \mathrm{diag}\big(p_i(1 - p_i)\big)
        X_b v, \qquad p = \sigma(X_b\theta),

    where :math:`\sigma(z) = 1/(1+e^{-z})`, :math:`X_b` is ``design``,
    :math:`y` is ``y`` and :math:`v` the vector of :meth:`hvp` (with ``idx``,
    the sums run over those rows only). The loss is computed with
    :func:`numpy.logaddexp`, so it is finite and accurate for any finite
    :math:`z`; so is the weight :math:`p(1-p) = \sigma(z)\sigma(-z)`, which
    underflows to 0 rather than overflowing for large :math:`|z|`.

    Parameters
    ----------
    X : array_like, shape (n, p)
    y : array_like, shape (n,)
        Labels, every entry 0 or 1.
    fit_intercept : bool

    Attributes
    ----------
    design, y, n, dim
        As in :class:`LinearRegression`.
    L : float
        :math:`\lambda_{\max}(X_b^\top X_b / n)/4`. The Hessian is
        :math:`X_b^\top \mathrm{diag}(\sigma_i(1-\sigma_i)) X_b / n` and
        :math:`\sigma(1-\sigma) \le 1/4`, so this is an **upper bound** on the
        Hessian's largest eigenvalue at every :math:`\theta` (gradient descent
        with :math:`\eta < 2/L` is therefore safe).

    Notes
    -----
    There is no closed-form minimizer, and none exists at all when the
    classes are linearly separable (the loss then decreases forever as
    :math:`\|\theta\| \to \infty`); :func:`make_logistic_data` draws labels
    that are not separable.

    Examples
    --------
    >>> problem = LogisticRegression([[0.0], [1.0]], [0.0, 1.0])
    >>> round(float(problem.loss([0.0, 0.0])), 6)   # log 2
    0.693147
    >>> problem.grad([0.0, 0.0]).tolist()
    [0.0, -0.25]
    """

    def __init__(self, X, y, fit_intercept=True):
        super().__init__(X, y, fit_intercept)
        if not np.all((self.y == 0) | (self.y == 1)):
            raise ValueError("y must have every entry equal to 0 or 1")
        self.L = float(self._gram_eigenvalues()[-1]) / 4

    @staticmethod
    def _loss_rows(x, design, y):
        z = _products(x, design)
        if np.all(np.isfinite(z)):
            return np.mean(np.logaddexp(0.0, z) - y * z, axis=-1)
        # an overflowed logit (+-inf): softplus(z) - y z = softplus(-z) for y = 1,
        # softplus(z) for y = 0, so the loss is +inf or 0 there, never inf - inf
        return np.mean(np.logaddexp(0.0, np.where(y == 1, -z, z)), axis=-1)

    @staticmethod
    def _grad_rows(x, design, y):
        z = _products(x, design)
        p = np.exp(-np.logaddexp(0.0, -z))         # sigma(z) without overflow
        return (p - y) @ design / design.shape[0]

    @staticmethod
    def _hvp_rows(x, v, design):
        z = _products(x, design)
        w = np.exp(-np.logaddexp(0.0, z) - np.logaddexp(0.0, -z))   # sigma(z) sigma(-z)
        u = _products(v, design)
        with np.errstate(over="ignore", invalid="ignore"):
            wu = np.where(w == 0, 0.0, w * u)      # a saturated row adds 0, not 0 * inf
            return wu @ design / design.shape[0]

    def __repr__(self):
        return f"LogisticRegression(n={self.n}, dim={self.dim}, L={self.L:g})"


# --------------------------------------------------------------------------
# Data sets
# --------------------------------------------------------------------------

def make_linear_data(n=100, slope=2.0, intercept=1.0, noise_std=1.0, rng=None):
    r"""A noisy line: the toy regression data of popular learning-rate tutorials.

    (The Chinese tutorials this book follows fit it with ``w = 2``, ``b = 1``;
    so do the chapters.)

    .. math:: x_i \sim U[0, 1), \qquad y_i = w x_i + b + \varepsilon_i,
              \qquad \varepsilon_i \sim \mathcal N(0, s^2),

    where :math:`w` is ``slope``, :math:`b` is ``intercept`` and :math:`s` is
    ``noise_std``. The :math:`x_i` are drawn first, then the noise.

    Parameters
    ----------
    n : int >= 1
    slope, intercept : float
    noise_std : float >= 0
    rng : numpy.random.Generator, optional
        Default ``np.random.default_rng(0)`` (a fresh generator on each call,
        so the default data set is always the same). The global numpy seed is
        never used.

    Returns
    -------
    X : ndarray, shape (n, 1)
    y : ndarray, shape (n,)

    Notes
    -----
    With noise the least-squares fit is not the true line: report
    :attr:`LinearRegression.minimizer`, not "about (1, 2)" (erratum E000-2).

    Examples
    --------
    >>> X, y = make_linear_data(n=3, noise_std=0.0)
    >>> X.shape, y.shape, bool(np.allclose(y, 2 * X[:, 0] + 1))
    ((3, 1), (3,), True)
    """
    n = check_int("n", n, low=1)
    slope = check_real("slope", slope)
    intercept = check_real("intercept", intercept)
    noise_std = check_real("noise_std", noise_std, low=0)
    rng = np.random.default_rng(0) if rng is None else _check_rng(rng)
    X = rng.random((n, 1))
    y = slope * X[:, 0] + intercept + noise_std * rng.standard_normal(n)
    return X, y


def make_logistic_data(n=200, weights=(2.0, -1.0), intercept=0.5, rng=None):
    r"""Labels drawn from a logistic model, so the classes overlap.

    .. math:: x_i \sim \mathcal N(0, I_p), \qquad
              y_i \sim \mathrm{Bernoulli}\big(\sigma(b + w^\top x_i)\big),

    where :math:`w` is ``weights`` (length :math:`p`) and :math:`b` is
    ``intercept``. Because labels are random rather than thresholded, the
    data are, once ``n`` is a few dozen, not linearly separable with
    overwhelming probability, so the log-loss has a finite minimizer. Very
    small samples can be separable (with the default generator, ``n = 5`` and
    ``n = 10`` are): then the loss has no minimizer and the weights grow
    without bound.

    Parameters
    ----------
    n : int >= 1
    weights : array_like, shape (p,)
    intercept : float
    rng : numpy.random.Generator, optional
        Default ``np.random.default_rng(0)``.

    Returns
    -------
    X : ndarray, shape (n, p)
    y : ndarray, shape (n,)
        Float 0.0 / 1.0 labels.

    Examples
    --------
    >>> X, y = make_logistic_data(n=5)
    >>> X.shape, y.shape, set(y.tolist()) <= {0.0, 1.0}
    ((5, 2), (5,), True)
    """
    n = check_int("n", n, low=1)
    w = check_array("weights", weights, ndim=1)
    if w.size == 0:
        raise ValueError("weights must have at least one entry, got shape (0,)")
    intercept = check_real("intercept", intercept)
    rng = np.random.default_rng(0) if rng is None else _check_rng(rng)
    X = rng.standard_normal((n, w.size))
    p = 1.0 / (1.0 + np.exp(-(intercept + X @ w)))
    y = (rng.random(n) < p).astype(np.float64)
    return X, y
