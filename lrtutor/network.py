r"""A small multilayer perceptron as an lrtutor problem, with exact gradients and Hessian-vector
products.

:class:`MLP` is a fully connected network on a classification data set (the
digits of :mod:`lrtutor.data`, say), with the interface of the data-set
problems of :mod:`lrtutor.problems`: ``loss(x)``, ``grad(x)``, mini-batch
versions, ``stochastic_grad(x, rng, batch_size)`` and the exact
Hessian-vector product ``hvp(x, v)``. The parameters are one flat float64
vector :math:`\theta` (``x``), so every optimizer of :mod:`lrtutor.optim` and
the loop of :mod:`lrtutor.train` apply unchanged.

The forward pass, the backward pass (the chain rule, layer by layer) and the
Hessian-vector product (Pearlmutter's R-operator) are written out in numpy
as the book derives them. Every method is vectorised over leading axes of
``x``: ``x`` of shape ``(K, d)`` holds ``K`` independent networks (one per
learning rate of a sweep, or one per seed), and they are evaluated together
with stacked matrix products, one numpy call per layer rather than ``K``.

Divergent parameters are part of the lesson: huge or infinite weights give
``inf`` or ``nan`` losses without emitting warnings, and one network's
overflow never changes another network's numbers.
"""

from __future__ import annotations

import numbers
import threading

import numpy as np

from lrtutor._validate import check_array, check_choice, check_int, check_real
from lrtutor.problems import _check_rng, _check_v, _check_x, _quiet, _readonly

__all__ = ["MLP"]

_ACTIVATIONS = ("relu", "tanh")
_LOSSES = ("cross_entropy", "squared_error")
_SCHEMES = ("he", "glorot")

#: Most floats in one activation array of a full-data pass (networks x rows x
#: width). Above it the rows are processed in blocks and the results combined,
#: so that a sweep of many networks over a large data set needs at most a few
#: arrays of 32 MB; mini-batches (``idx``) are always done in one block.
BLOCK_ELEMENTS = 1 << 22


def _check_labels(name, y, m, n_classes=None):
    """Class labels as an int64 array of shape ``(m,)``, and the number of classes.

    Integer dtypes and floats with integral values (``0.0, 1.0, ...``) are
    accepted. ``n_classes=None`` infers :math:`C` as ``max(y) + 1``.
    """
    arr = check_array(name, y)
    if arr.shape != (m,):
        raise ValueError(f"{name} must be 1-D of shape ({m},) to match the {m} rows "
                         f"of X, got shape {arr.shape}")
    frac = arr != np.floor(arr)
    if np.any(frac):
        raise ValueError(f"{name} must hold integer class labels, got "
                         f"{float(arr[frac][0])!r}")
    if arr.min() < 0:
        raise ValueError(f"{name} must have every label >= 0, got {arr.min():g}")
    if n_classes is None:
        n_classes = int(arr.max()) + 1
        if n_classes < 2:
            raise ValueError("n_classes must be an integer >= 2, got 1 from "
                             f"{name}.max() + 1 (one class); pass n_classes")
    if arr.max() >= n_classes:
        raise ValueError(f"{name} must have every label < n_classes = {n_classes}, "
                         f"got {arr.max():g}")
    return arr.astype(np.int64), n_classes


def _one_hot(labels, n_classes):
    """Rows :math:`e_{y_i}`, shape ``(m, n_classes)``."""
    out = np.zeros((labels.size, n_classes))
    out[np.arange(labels.size), labels] = 1.0
    return out


def _row_max(z):
    r""":math:`\max_c z_{\dots c}` over the last axis (NaN if a row has a NaN).

    For a few classes it is taken class by class: numpy reduces a short last
    axis element by element, several times slower than ``C`` vector maxima.
    """
    if z.shape[-1] > 16:
        return np.max(z, axis=-1)
    m = z[..., 0].copy()
    for c in range(1, z.shape[-1]):
        np.maximum(m, z[..., c], out=m)
    return m


def _overflowed_to_inf(loss, P):
    """A network with finite weights whose forward pass overflowed (inf - inf in
    the logits) has loss ``+inf``, not NaN: it has diverged, and that is what a
    training loop must see. NaN stays NaN only for non-finite weights."""
    if np.isnan(loss).any():
        loss = np.where(np.isnan(loss) & np.all(np.isfinite(P), axis=-1), np.inf, loss)
    return loss


def _check_hidden(hidden):
    """``hidden`` as a tuple of Python ints >= 1 (possibly empty)."""
    if isinstance(hidden, (str, bytes, numbers.Number)) or not isinstance(
            hidden, (tuple, list, np.ndarray)):
        raise TypeError("hidden must be a tuple of layer widths such as (64, 64), "
                        f"or () for no hidden layer, got {type(hidden).__name__}")
    if isinstance(hidden, np.ndarray) and hidden.ndim != 1:
        raise ValueError(f"hidden must be a 1-D sequence of widths, got shape "
                         f"{hidden.shape}")
    return tuple(check_int(f"hidden[{i}]", w, low=1) for i, w in enumerate(hidden))


class MLP:
    r"""A multilayer perceptron classifier with the mean loss of a data set.

    With :math:`D` layers (``len(hidden) + 1``), the network maps the rows
    :math:`X_B` of a batch to logits :math:`z_D`:

    .. math::

        a_0 = X_B, \qquad
        z_l = a_{l-1} W_l + \mathbf 1 b_l^\top, \qquad
        a_l = \sigma(z_l) \quad (l < D), \qquad
        \text{logits } z_D = a_{D-1} W_D + \mathbf 1 b_D^\top,

    and the training loss is the mean per-example loss plus an L2 penalty
    on the weight matrices:

    .. math::

        f_B(\theta) = \frac{1}{|B|} \sum_{i \in B} \ell(z_{D,i}, y_i)
            + \frac{\lambda}{2} \sum_{l=1}^{D} \lVert W_l \rVert_F^2,

        \ell_{\mathrm{CE}}(z, y) = \log \sum_{c=0}^{C-1} e^{z_c} - z_y,
        \qquad
        \ell_{\mathrm{SE}}(z, y) = \frac12 \sum_{c=0}^{C-1} (z_c - e_{y,c})^2,

    where :math:`X_B` are the rows of ``X`` in the batch :math:`B` (all
    :math:`n` rows for :meth:`loss` and :meth:`grad`), :math:`y_i` the
    labels ``y``, :math:`W_l` (shape ``(sizes[l-1], sizes[l])``) and
    :math:`b_l` (shape ``(sizes[l],)``) the weights and biases of layer
    :math:`l` taken from :math:`\theta` (``x``), :math:`\sigma` the
    ``activation`` applied elementwise (:math:`\max(0, u)` or
    :math:`\tanh u`), :math:`C` is ``n_classes``, :math:`e_y` the one-hot
    vector of class :math:`y`, :math:`\lambda` is ``l2`` and
    :math:`\mathbf 1` a column of ones. :math:`\ell_{\mathrm{CE}}` is softmax
    cross-entropy (``loss="cross_entropy"``) and :math:`\ell_{\mathrm{SE}}`
    the squared error to one-hot targets (``loss="squared_error"``).

    **Parameter layout.** :math:`\theta = (W_1, b_1, W_2, b_2, \dots, W_D,
    b_D)` flattened, each :math:`W_l` row-major (entry ``[i, j]`` at offset
    ``i * sizes[l] + j`` of its block), so
    :math:`d = \sum_l (\texttt{sizes[l-1]} + 1)\,\texttt{sizes[l]}`.
    :meth:`unflatten` returns the blocks as views; ``layout`` holds their
    slices.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Features, finite, at least one row and one column.
    y : array_like, shape (n,)
        Class labels, integers in ``[0, n_classes)`` (integral floats such as
        ``1.0`` are accepted).
    hidden : tuple of int, default (64, 64)
        Widths of the hidden layers, each >= 1. ``()`` gives no hidden layer:
        multinomial logistic regression (cross-entropy) or linear least
        squares on one-hot targets (squared error).
    activation : {"relu", "tanh"}, default "relu"
        :math:`\sigma`.
    loss : {"cross_entropy", "squared_error"}, default "cross_entropy"
        :math:`\ell`.
    l2 : float, default 0.0
        :math:`\lambda \ge 0`, on weight matrices only (see Notes).
    n_classes : int, optional
        :math:`C \ge 2`; default ``y.max() + 1``.

    Attributes
    ----------
    X : ndarray, shape (n, p)
        Read-only copy.
    y : ndarray of int64, shape (n,)
        Read-only copy.
    n, p, n_classes : int
    hidden : tuple of int
    sizes : tuple of int
        ``(p, *hidden, n_classes)``: layer :math:`l` maps ``sizes[l-1]``
        features to ``sizes[l]``.
    dim : int
        :math:`d`, the length of :math:`\theta`.
    activation, loss_name : str
    l2 : float
    layout : tuple of (slice, slice)
        ``layout[l-1] = (slice of W_l, slice of b_l)`` in :math:`\theta`.

    Raises
    ------
    TypeError, ValueError
        For an argument of the wrong kind or out of range (the message names
        it and the allowed range).

    Notes
    -----
    **Conventions.** The loss is the *mean* over rows, so gradient, Hessian
    and usable learning rate do not grow with the batch size. Cross-entropy
    is ``torch.nn.functional.cross_entropy`` (mean reduction) exactly. The
    squared error follows the edge-of-stability papers (Cohen et al., 2021):
    :math:`\frac12` times the squared distance per example, summed over
    classes. ``torch.nn.MSELoss()`` instead averages over all :math:`|B| C`
    entries without the :math:`\frac12`, so it equals :math:`\frac{2}{C}`
    times ours, and so do its gradient and Hessian (its sharpness is
    :math:`2/C` of ours: 1/5 for ten classes).

    **The penalty is not torch's** ``weight_decay``. ``torch.optim``'s
    ``weight_decay=lambda`` (and ``weight_decay`` of :mod:`lrtutor.optim`)
    adds :math:`\lambda\theta` to the gradient of *every* parameter, biases
    included; ``l2`` penalises the weight matrices only, the usual
    textbook regulariser. For torch's behaviour use ``l2=0`` and the
    optimizer's ``weight_decay``.

    **Layout against** ``torch.nn.Linear``, which stores ``weight`` of shape
    ``(out, in)`` and computes :math:`a W^\top + b`: :math:`W_l` here is
    ``linear.weight.T``. ReLU's derivative at 0 is taken as 0, as torch does.

    **Divergence.** Finite parameters so large that the forward pass
    overflows give the loss ``+inf`` (the network has diverged; this is what
    :func:`lrtutor.train.run` reports), with ``nan`` in its gradient and
    Hessian-vector products where ``inf - inf`` arose; non-finite parameters
    give ``nan``. All of it silently, and each network's numbers depend on
    its own parameters only.

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> net = MLP(X, [0, 1, 2, 0], hidden=(4,))
    >>> net.sizes, net.dim
    ((2, 4, 3), 27)
    >>> round(float(net.loss(np.zeros(net.dim))), 6)      # log 3: uniform guess
    1.098612
    >>> x0 = net.init(np.random.default_rng(0))
    >>> round(float(net.loss(x0)), 4)
    1.1301
    >>> net.grad(x0).shape, net.init(np.random.default_rng(0), k=5).shape
    ((27,), (5, 27))
    """

    def __init__(self, X, y, hidden=(64, 64), activation="relu", loss="cross_entropy",
                 l2=0.0, n_classes=None):
        X = check_array("X", X, ndim=2)
        n, p = X.shape
        if n == 0 or p == 0:
            raise ValueError("X must have at least one row and one column, got shape "
                             f"{X.shape}")
        if n_classes is not None:
            n_classes = check_int("n_classes", n_classes, low=2)
        labels, n_classes = _check_labels("y", y, n, n_classes)
        self.hidden = _check_hidden(hidden)
        self.activation = check_choice("activation", activation, _ACTIVATIONS)
        self.loss_name = check_choice("loss", loss, _LOSSES)
        self.l2 = check_real("l2", l2, low=0)
        self.X = _readonly(X.copy())
        self.y = _readonly(labels)
        self.n, self.p, self.n_classes = n, p, n_classes
        self.sizes = (p,) + self.hidden + (n_classes,)
        layout, start = [], 0
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            w_end = start + fan_in * fan_out
            layout.append((slice(start, w_end), slice(w_end, w_end + fan_out)))
            start = w_end + fan_out
        self.layout = tuple(layout)
        self.dim = start
        self._onehot = _readonly(_one_hot(labels, n_classes))
        self._local = threading.local()         # work arrays, see _scratch

    # ------------------------------------------------------------------
    # The parameter vector
    # ------------------------------------------------------------------

    def unflatten(self, x):
        r"""The weights and biases of every layer, as views of ``x``.

        Returns a list with one pair ``(W, b)`` per layer :math:`l = 1, \dots,
        D`: ``W`` of shape ``(..., sizes[l-1], sizes[l])`` and ``b`` of shape
        ``(..., sizes[l])``, where ``...`` are the leading axes of ``x``
        (shape ``(..., d)``). Writing into them writes into ``x`` when ``x``
        is a float64 array.

        >>> net = MLP([[0.0, 1.0]], [1], hidden=(3,))
        >>> [(W.shape, b.shape) for W, b in net.unflatten(np.arange(net.dim, dtype=float))]
        [((2, 3), (3,)), ((3, 2), (2,))]
        """
        x = _check_x(x, self.dim)
        return self._layers(x)

    def _layers(self, x):
        lead = x.shape[:-1]
        return [(x[..., sw].reshape(lead + (fan_in, fan_out)), x[..., sb])
                for (sw, sb), fan_in, fan_out
                in zip(self.layout, self.sizes[:-1], self.sizes[1:])]

    def init(self, rng, k=None, scheme=None, scale=1.0):
        r"""Random starting parameters: scaled He or Glorot weights, zero biases.

        .. math::

            \text{he:}\quad W_l \sim \mathcal N\Big(0, \frac{2}{n_{\mathrm{in}}}\Big),
            \qquad
            \text{glorot:}\quad W_l \sim U[-a, a],\ a = \sqrt{\frac{6}{n_{\mathrm{in}}
            + n_{\mathrm{out}}}},
            \qquad b_l = 0,

        each weight then multiplied by ``scale``, where :math:`n_{\mathrm{in}}`
        and :math:`n_{\mathrm{out}}` are ``sizes[l-1]`` and ``sizes[l]`` (fan-in
        and fan-out of layer :math:`l`, every layer including the last).

        Parameters
        ----------
        rng : numpy.random.Generator
        k : int >= 1, optional
            Number of independent copies; ``None`` returns one vector.
        scheme : {"he", "glorot"}, optional
            Default ``"he"`` for ReLU (He et al., 2015; PyTorch's
            ``kaiming_normal_(w, mode="fan_in", nonlinearity="relu")``) and
            ``"glorot"`` for tanh (Glorot & Bengio, 2010; PyTorch's
            ``xavier_uniform_`` with gain 1).
        scale : float >= 0, default 1.0
            Multiplies every weight: above 1 a sharper start, below 1 a
            flatter one, 0 the (symmetric, untrainable) all-zero network.

        Returns
        -------
        ndarray, shape (d,) or (k, d)
            Copy ``j`` is what the ``j``-th of ``k`` successive calls with
            ``k=None`` would draw from the same generator (layers in order).

        Notes
        -----
        PyTorch's default for ``nn.Linear`` is neither: uniform weights and
        biases in :math:`\pm 1/\sqrt{n_{\mathrm{in}}}`.

        >>> net = MLP([[0.0, 1.0]], [1], hidden=(3,))
        >>> x = net.init(np.random.default_rng(0))
        >>> [b.tolist() for _, b in net.unflatten(x)]
        [[0.0, 0.0, 0.0], [0.0, 0.0]]
        """
        _check_rng(rng)
        if k is not None:
            k = check_int("k", k, low=1)
        if scheme is None:
            scheme = "he" if self.activation == "relu" else "glorot"
        scheme = check_choice("scheme", scheme, _SCHEMES)
        scale = check_real("scale", scale, low=0)
        out = np.zeros((1 if k is None else k, self.dim))
        for row in out:                 # copy by copy, layer by layer
            for (sw, _), fan_in, fan_out in zip(self.layout, self.sizes[:-1],
                                                self.sizes[1:]):
                if scheme == "he":
                    w = rng.standard_normal(fan_in * fan_out) * np.sqrt(2.0 / fan_in)
                else:
                    a = np.sqrt(6.0 / (fan_in + fan_out))
                    w = rng.uniform(-a, a, fan_in * fan_out)
                row[sw] = scale * w
        return out[0] if k is None else out

    # ------------------------------------------------------------------
    # Rows: a mini-batch, or the whole data set in blocks
    # ------------------------------------------------------------------

    def _rows(self, idx, lead):
        """Check ``idx``: 1-D rows shared by every network, or ``(*lead, B)``.

        Returns ``(idx, shared)`` with ``idx`` of shape ``(B,)`` or ``(K, B)``.
        """
        idx = np.asarray(idx)
        if idx.size == 0:
            raise ValueError(f"idx must be non-empty, got shape {idx.shape}")
        if not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(f"idx must be an array of integers, got dtype {idx.dtype}")
        shared = idx.ndim == 1
        if idx.ndim == 0 or (not shared and idx.shape[:-1] != lead):
            want = "(" + ", ".join(map(str, lead + ("B",))) + ")"
            raise ValueError(f"idx must be 1-D (rows shared by every network) or of "
                             f"shape {want} (rows per network, for x of shape "
                             f"{lead + (self.dim,)}), got shape {idx.shape}")
        if idx.min() < 0 or idx.max() >= self.n:
            raise ValueError(f"idx must have every entry >= 0 and < {self.n} "
                             "(the number of rows)")
        return (idx if shared else idx.reshape(-1, idx.shape[-1])), shared

    def _blocks(self, K, idx, lead):
        """The rows of a computation, as ``[(weight, X_B, y_B, Y_B), ...]``.

        ``idx=None`` means all ``n`` rows, in blocks small enough for
        :data:`BLOCK_ELEMENTS` (``weight`` = block size / ``n``, so the
        weighted sum of the blocks' means is the mean over all rows);
        otherwise one block, shared rows ``(B, p)`` or per network ``(K, B, p)``.
        """
        if idx is None:
            step = max(1, BLOCK_ELEMENTS // (max(K, 1) * max(self.sizes)))
            if step >= self.n:
                return [(1.0, self.X, self.y, self._onehot)]
            return [((min(s + step, self.n) - s) / self.n, self.X[s:s + step],
                     self.y[s:s + step], self._onehot[s:s + step])
                    for s in range(0, self.n, step)]
        idx, _ = self._rows(idx, lead)
        return [(1.0, self.X[idx], self.y[idx], self._onehot[idx])]

    # ------------------------------------------------------------------
    # The lesson: forward pass, loss, backward pass
    # ------------------------------------------------------------------

    def _scratch(self, name, shape, dtype=np.float64):
        """A work array for ``name`` of this shape, kept from call to call.

        Not part of the lesson: allocating and freeing arrays of a few hundred
        kB at every step costs page faults (glibc returns such blocks to the
        system): without them a step of a 64-64-64-10 network on 32 rows,
        for 32 networks at once, measured 2.5 times slower. Results handed to the caller are never work arrays.
        One set per thread, so a network may be used from several threads.
        """
        store = self._local.__dict__.setdefault("arrays", {})
        key = (name, shape, dtype)
        arr = store.get(key)
        if arr is None:
            if len(store) > 64:                 # many batch shapes: start afresh
                store.clear()
            arr = store[key] = np.empty(shape, dtype=dtype)
        return arr

    def _activate(self, z):
        r""":math:`a = \sigma(z)`, computed in place over ``z``."""
        if self.activation == "relu":
            return np.maximum(z, 0.0, out=z)
        return np.tanh(z, out=z)

    def _slope(self, a, out=None):
        r""":math:`\sigma'(z)` from :math:`a = \sigma(z)`: ``[a > 0]`` (ReLU), :math:`1 - a^2` (tanh)."""
        if self.activation == "relu":
            return np.greater(a, 0.0, out=out)
        out = np.multiply(a, a, out=out)
        return np.subtract(1.0, out, out=out)

    def _forward(self, layers, a0):
        """Forward pass: the layer inputs ``a[0..D-1]`` and the logits.

        ``layers`` holds ``(W, b)`` of shapes ``(K, in, out)``, ``(K, out)``;
        ``a0`` is ``(B, p)`` (rows shared by the ``K`` networks) or ``(K, B, p)``.
        The activations and logits are work arrays (see :meth:`_scratch`).
        """
        D = len(layers)
        K, B = layers[0][0].shape[0], a0.shape[-2]
        a = [a0]                                    # a[0] = X_B
        for l, (W, b) in enumerate(layers, start=1):
            # z_l = a_{l-1} W_l + b_l, shape (K, B, out): K products in one call
            z = np.matmul(a[l - 1], W, out=self._scratch(("z", l), (K, B, W.shape[-1])))
            z += b[:, None, :]
            if l == D:
                return a, z                         # z_D: the logits
            a.append(self._activate(z))             # a_l = sigma(z_l), in place

    def _head(self, z, y, Y, delta=True):
        r"""Mean loss over the rows, shape ``(K,)``, and :math:`\delta_D = \partial f_B/\partial z_D`.

        ``z`` (logits, ``(K, B, C)``) is overwritten. ``y`` holds the labels,
        ``Y`` their one-hot rows, shared ``(B,)``/``(B, C)`` or per network
        ``(K, B)``/``(K, B, C)``.
        """
        K, B, C = z.shape
        if self.loss_name == "cross_entropy":
            # log-softmax, stably: s = z - max_c z_c, log p_c = s_c - log sum_c' e^{s_c'}
            z -= _row_max(z)[..., None]
            e = np.exp(z)
            total = np.matmul(e, np.ones(C))                  # sum over the classes
            s_y = z[np.arange(K)[:, None], np.arange(B), y]     # s at the true class
            loss = np.mean(np.log(total) - s_y, axis=-1)        # mean of -log p_y
            if not delta:
                return loss, None
            e /= total[..., None]                               # softmax p
            e -= Y                                              # dl/dz = p - e_y
            e *= 1.0 / B                                        # mean over the rows
            return loss, e
        z -= Y                                                  # residual r = z - e_y
        loss = 0.5 * np.mean(np.matmul(z * z, np.ones(C)), axis=-1)
        if not delta:
            return loss, None
        z *= 1.0 / B                                            # dl/dz = r, mean over rows
        return loss, z

    def _backward(self, layers, a, delta, grads):
        r"""Backward pass: the chain rule from the logits down to layer 1.

        ``delta`` is :math:`\delta_D = \partial f_B / \partial z_D`; writes
        :math:`\partial f_B/\partial W_l` and :math:`\partial f_B/\partial
        b_l` into the views ``grads[l-1] = (gW, gb)``.
        """
        K, B = delta.shape[0], delta.shape[1]
        ones = self._scratch("ones", (B,))
        ones.fill(1.0)
        for l in range(len(layers), 0, -1):
            W, _ = layers[l - 1]
            gW, gb = grads[l - 1]
            # dL/dW_l = a_{l-1}^T delta_l and dL/db_l = 1^T delta_l (sum over the rows)
            np.matmul(a[l - 1].swapaxes(-1, -2), delta, out=gW)
            np.matmul(ones, delta, out=gb)
            if l > 1:
                # back through the product: dL/da_{l-1} = delta_l W_l^T, then through
                # the activation: delta_{l-1} = dL/da_{l-1} * sigma'(z_{l-1})
                shape = (K, B, W.shape[-2])
                delta = np.matmul(delta, W.swapaxes(-1, -2), out=self._scratch(("e", l), shape))
                delta *= self._slope(a[l - 1], out=self._scratch(
                    "slope", shape, bool if self.activation == "relu" else np.float64))

    def _penalty(self, layers, loss, grads=None):
        r"""The penalty: add :math:`\frac{\lambda}{2}\sum_l \lVert W_l\rVert_F^2` to ``loss``
        and :math:`\lambda W_l` to each ``gW`` of ``grads``."""
        if not self.l2:
            return
        for l, (W, _) in enumerate(layers):
            loss += 0.5 * self.l2 * np.einsum("kij,kij->k", W, W)
            if grads is not None:
                grads[l][0][...] += self.l2 * W

    def _loss_grad(self, x, idx, want_grad):
        """Loss (and gradient) for ``x`` of shape ``(..., d)`` on rows ``idx``."""
        x = _check_x(x, self.dim)
        lead = x.shape[:-1]
        P = x.reshape(-1, self.dim)
        K = P.shape[0]
        blocks = self._blocks(K, idx, lead)
        with _quiet():
            layers = self._layers(P)
            loss = np.zeros(K)
            G = np.empty((K, self.dim)) if want_grad else None
            part = np.empty((K, self.dim)) if want_grad and len(blocks) > 1 else G
            grads = self._layers(part) if want_grad else None
            for j, (weight, a0, y, Y) in enumerate(blocks):
                a, z = self._forward(layers, a0)
                block_loss, delta = self._head(z, y, Y, delta=want_grad)
                if want_grad:
                    self._backward(layers, a, delta, grads)
                if len(blocks) == 1:
                    loss = block_loss
                else:
                    loss += weight * block_loss
                    if want_grad:
                        if j == 0:
                            np.multiply(part, weight, out=G)
                        else:
                            G += weight * part
            self._penalty(layers, loss, self._layers(G) if want_grad else None)
        loss = _overflowed_to_inf(loss, P).reshape(lead)[()]
        return (loss, G.reshape(lead + (self.dim,))) if want_grad else loss

    # ------------------------------------------------------------------
    # Public interface
    # ------------------------------------------------------------------

    def forward(self, x, X):
        r"""The logits :math:`z_D` of the network(s) ``x`` on the rows of ``X``.

        ``x`` has shape ``(..., d)`` and ``X`` shape ``(m, p)`` (finite);
        returns shape ``(..., m, n_classes)``. Softmax of the logits gives the
        class probabilities (for cross-entropy).

        >>> net = MLP([[0.0, 1.0], [1.0, 0.0]], [0, 1], hidden=())
        >>> net.forward([1.0, 2.0, 3.0, 4.0, 0.5, -0.5], [[1.0, 1.0]]).tolist()
        [[4.5, 5.5]]
        """
        x = _check_x(x, self.dim)
        X = check_array("X", X, shape=(None, self.p))
        lead = x.shape[:-1]
        P = x.reshape(-1, self.dim)
        K, m = P.shape[0], X.shape[0]
        step = max(1, BLOCK_ELEMENTS // (max(K, 1) * max(self.sizes)))
        out = np.empty((K, m, self.n_classes))
        with _quiet():
            layers = self._layers(P)
            for s in range(0, m, step):
                out[:, s:s + step] = self._forward(layers, X[s:s + step])[1]
        return out.reshape(lead + (m, self.n_classes))

    def loss(self, x):
        r"""Training loss :math:`f(\theta)` on all ``n`` rows, penalty included, shape ``(...)``."""
        return self._loss_grad(x, None, False)

    def grad(self, x):
        r"""Gradient :math:`\nabla f(\theta)` on all ``n`` rows, penalty included, ``(..., d)``."""
        return self._loss_grad(x, None, True)[1]

    def batch_loss(self, x, idx):
        r"""Mini-batch loss :math:`f_B(\theta)`, shape ``(...)``.

        .. math:: f_B(\theta) = \frac{1}{|B|} \sum_{i \in B} \ell(z_{D,i}, y_i)
                  + \frac{\lambda}{2} \sum_l \lVert W_l \rVert_F^2,

        where :math:`B` is ``idx``: a 1-D array of row indices in ``[0, n)``
        shared by every network of ``x`` (shape ``(..., d)``), or an array of
        shape ``(..., B)`` giving each network its own rows (a repeated index
        counts twice).
        """
        return self._loss_grad(x, idx, False)

    def batch_grad(self, x, idx):
        r"""Mini-batch gradient :math:`\nabla f_B(\theta)`, shape ``(..., d)``.

        ``idx`` as in :meth:`batch_loss`.
        """
        return self._loss_grad(x, idx, True)[1]

    def loss_and_grad(self, x, idx=None):
        r"""``(loss, grad)`` of the rows ``idx`` from one forward and one backward pass.

        ``idx`` as in :meth:`batch_loss`; ``None`` means all ``n`` rows (then
        ``(loss(x), grad(x))``). This is the call of a training loop: the
        loss of the mini-batch comes free with its gradient.

        >>> net = MLP([[0.0, 1.0], [1.0, 0.0]], [0, 1], hidden=())
        >>> f, g = net.loss_and_grad(np.zeros(net.dim), idx=[0])
        >>> round(float(f), 6), g.tolist()          # log 2; (p - e_y) = (-1/2, 1/2)
        (0.693147, [0.0, 0.0, -0.5, 0.5, -0.5, 0.5])
        """
        return self._loss_grad(x, idx, True)

    def stochastic_grad(self, x, rng, batch_size):
        r"""Mini-batch gradient on ``batch_size`` distinct rows drawn uniformly.

        The rows are ``rng.choice(n, batch_size, replace=False)``, shared by
        every network of ``x``, so the result is an unbiased estimate of
        :meth:`grad` (equal to it when ``batch_size == n``).
        """
        _check_rng(rng)
        batch_size = check_int("batch_size", batch_size, low=1, high=self.n,
                               high_name="the number of rows n")
        idx = rng.choice(self.n, size=batch_size, replace=False)
        return self.batch_grad(x, idx)

    def hvp(self, x, v, idx=None):
        r"""Exact Hessian-vector product :math:`\nabla^2 f_B(\theta)\,v`, shape ``(..., d)``.

        Pearlmutter's (1994) R-operator: :math:`R\{q\} = \frac{\partial}{\partial r}
        q(\theta + r v)\big|_{r=0}`, the directional derivative of every
        quantity of the forward and backward passes. With :math:`v = (V_1, c_1,
        \dots, V_D, c_D)` laid out like :math:`\theta` (:math:`V_l` like
        :math:`W_l`, :math:`c_l` like :math:`b_l`), the forward pass becomes

        .. math::

            R\{a_0\} = 0, \qquad
            R\{z_l\} = R\{a_{l-1}\} W_l + a_{l-1} V_l + \mathbf 1 c_l^\top, \qquad
            R\{a_l\} = \sigma'(z_l) \odot R\{z_l\},

        the output error :math:`\delta_D = \partial f_B/\partial z_D` gives

        .. math::

            R\{\delta_D\} = \frac{1}{|B|}\begin{cases}
                p \odot R\{z_D\} - p \,\big(p^\top R\{z_D\}\big)
                    & \text{cross-entropy, } p = \mathrm{softmax}(z_D) \text{ per row} \\
                R\{z_D\} & \text{squared error,} \end{cases}

        and the backward pass, for :math:`l = D, \dots, 1`,

        .. math::

            R\{\nabla_{W_l} f\} &= R\{a_{l-1}\}^\top \delta_l + a_{l-1}^\top R\{\delta_l\}
                + \lambda V_l, \qquad
            R\{\nabla_{b_l} f\} = \mathbf 1^\top R\{\delta_l\}, \\
            R\{\delta_{l-1}\} &= \sigma'(z_{l-1}) \odot \big(R\{\delta_l\} W_l^\top
                + \delta_l V_l^\top\big)
                + \sigma''(z_{l-1}) \odot R\{z_{l-1}\} \odot \big(\delta_l W_l^\top\big),

        where :math:`\delta_{l-1} = \sigma'(z_{l-1}) \odot (\delta_l
        W_l^\top)` is the gradient pass of :meth:`grad`, :math:`\odot` the
        elementwise product, :math:`\sigma'' = 0` for ReLU and
        :math:`\sigma''(z) = -2\tanh z\,(1 - \tanh^2 z)` for tanh. The
        :math:`R\{\nabla f\}` blocks, in the layout of :math:`\theta`, are
        :math:`\nabla^2 f_B(\theta)\,v`: exact, with no finite-difference
        step to choose, for :math:`8D - 5` matrix products against the
        gradient's :math:`3D - 1` (about 2.5 gradients for two hidden layers).

        Parameters
        ----------
        x : array_like, shape (..., d)
        v : array_like, shape (..., d)
            Leading axes broadcast against those of ``x``.
        idx : array of int, optional
            Rows of the mini-batch as in :meth:`batch_loss` (per-network rows
            follow the broadcast leading shape); ``None`` means all ``n``
            rows. The penalty's :math:`\lambda V_l` is always included.

        Examples
        --------
        Without hidden layers and with squared error, the Hessian is
        :math:`X_1^\top X_1 / n` per class, :math:`X_1 = [X, \mathbf 1]`:

        >>> net = MLP([[1.0], [3.0]], [0, 1], hidden=(), loss="squared_error")
        >>> net.hvp(np.zeros(4), [1.0, 0.0, 0.0, 0.0]).tolist()   # (W, W, b, b)
        [5.0, 0.0, 2.0, 0.0]
        """
        x = _check_x(x, self.dim)
        v, shape = _check_v(v, x)
        lead = shape[:-1]
        P = np.broadcast_to(x, shape).reshape(-1, self.dim)
        V = np.broadcast_to(v, shape).reshape(-1, self.dim)
        K = P.shape[0]
        blocks = self._blocks(K, idx, lead)
        with _quiet():
            layers, directions = self._layers(P), self._layers(V)
            Hv = np.empty((K, self.dim))
            part = np.empty((K, self.dim)) if len(blocks) > 1 else Hv
            for j, (weight, a0, _, Y) in enumerate(blocks):
                self._hvp_rows(layers, directions, a0, Y, part)
                if len(blocks) > 1:
                    if j == 0:
                        np.multiply(part, weight, out=Hv)
                    else:
                        Hv += weight * part
            if self.l2:
                for (HW, _), (VW, _) in zip(self._layers(Hv), directions):
                    HW += self.l2 * VW
        return Hv.reshape(shape)

    def _hvp_rows(self, layers, directions, a0, Y, Hv):
        """The R-operator passes of :meth:`hvp` on one block of rows, into ``Hv`` (no penalty)."""
        D = len(layers)
        K, B = Hv.shape[0], a0.shape[-2]

        def work(name, l, shape, dtype=np.float64):     # see _scratch
            return self._scratch(("hvp", name, l), shape, dtype)

        slope_dtype = bool if self.activation == "relu" else np.float64
        # forward pass and its directional derivative R{.}
        a, Ra, Rz_, slope = [a0], [None], [None], [None]    # R{a_0} = 0: fixed data
        for l, ((W, b), (V, c)) in enumerate(zip(layers, directions), start=1):
            shape = (K, B, W.shape[-1])
            z = np.matmul(a[l - 1], W, out=work("z", l, shape))        # z_l
            z += b[:, None, :]
            Rz = np.matmul(a[l - 1], V, out=work("Rz", l, shape))      # R{z_l} = a_{l-1} V_l
            Rz += c[:, None, :]                                         #   + c_l
            if l > 1:
                Rz += np.matmul(Ra[l - 1], W, out=work("t", l, shape))  #   + R{a_{l-1}} W_l
            if l == D:
                break
            a.append(self._activate(z))                                 # a_l = sigma(z_l)
            slope.append(self._slope(a[l], out=work("s", l, shape, slope_dtype)))
            Ra.append(np.multiply(slope[l], Rz, out=work("Ra", l, shape)))   # R{a_l}
            Rz_.append(Rz)
        # output error delta_D = df/dz_D and its R{.}
        ones = np.ones(z.shape[-1])
        if self.loss_name == "cross_entropy":
            z -= _row_max(z)[..., None]
            prob = np.exp(z, out=z)
            prob /= np.matmul(prob, ones)[..., None]                    # softmax p
            delta = (prob - Y) / B
            Rdelta = prob * (Rz - np.matmul(prob * Rz, ones)[..., None]) / B
        else:
            delta = (z - Y) / B
            Rdelta = Rz / B
        # backward pass and its R{.}
        ones = np.ones(B)
        for l in range(D, 0, -1):
            (W, _), (V, _), (HW, Hb) = layers[l - 1], directions[l - 1], \
                self._layers(Hv)[l - 1]
            np.matmul(a[l - 1].swapaxes(-1, -2), Rdelta, out=HW)       # a_{l-1}^T R{delta_l}
            if l > 1:                                                   # + R{a_{l-1}}^T delta_l
                HW += np.matmul(Ra[l - 1].swapaxes(-1, -2), delta, out=work("HW", l, HW.shape))
            np.matmul(ones, Rdelta, out=Hb)                             # 1^T R{delta_l}
            if l == 1:
                break
            shape = (K, B, W.shape[-2])
            e = np.matmul(delta, W.swapaxes(-1, -2), out=work("e", l, shape))  # e = delta_l W_l^T
            # R{e} = R{delta_l} W_l^T + delta_l V_l^T
            Re = np.matmul(Rdelta, W.swapaxes(-1, -2), out=work("Re", l, shape))
            Re += np.matmul(delta, V.swapaxes(-1, -2), out=work("t", l, shape))
            # R{delta_{l-1}} = sigma'(z) R{e} + sigma''(z) R{z} e, at z = z_{l-1}
            Rdelta = np.multiply(Re, slope[l - 1], out=Re)
            if self.activation == "tanh":                # sigma'' = -2 a sigma'; ReLU: 0
                curv = np.multiply(a[l - 1], slope[l - 1], out=work("c", l, shape))
                curv *= Rz_[l - 1]
                curv *= e
                curv *= -2.0
                Rdelta += curv
            delta = np.multiply(e, slope[l - 1], out=e)             # delta_{l-1} = sigma' e
        return Hv

    def evaluate(self, x, X, y):
        r"""Mean loss (without the penalty) and accuracy on other data.

        .. math:: \frac1m \sum_{i=1}^m \ell(z_{D,i}, y_i), \qquad
                  \frac1m \#\{i : \arg\max_c z_{D,ic} = y_i\},

        where :math:`z_D` are the logits of ``X`` (shape ``(m, p)``) and
        :math:`y` the labels ``y`` (shape ``(m,)``, in ``[0, n_classes)``).
        Returns two arrays of shape ``(...)`` (the leading axes of ``x``);
        the accuracy is in ``[0, 1]``, ties go to the lowest class (numpy's
        ``argmax``) and a row whose logits contain NaN counts as wrong.

        >>> net = MLP([[0.0], [1.0]], [0, 1], hidden=())
        >>> x = [0.0, 1.0, 0.0, -0.5]           # z = (0, t - 0.5): class 1 iff t > 0.5
        >>> loss, acc = net.evaluate(x, [[0.0], [1.0], [2.0], [0.4]], [0, 1, 0, 0])
        >>> float(acc)
        0.75
        """
        x = _check_x(x, self.dim)
        X = check_array("X", X, shape=(None, self.p))
        m = X.shape[0]
        if m == 0:
            raise ValueError("X must have at least one row, got shape (0, "
                             f"{self.p})")
        labels, _ = _check_labels("y", y, m, self.n_classes)
        onehot = _one_hot(labels, self.n_classes)
        lead = x.shape[:-1]
        P = x.reshape(-1, self.dim)
        K = P.shape[0]
        step = max(1, BLOCK_ELEMENTS // (max(K, 1) * max(self.sizes)))
        loss, correct = np.zeros(K), np.zeros(K)
        with _quiet():
            layers = self._layers(P)
            for s in range(0, m, step):
                rows = slice(s, s + step)
                z = self._forward(layers, X[rows])[1]
                pred = np.where(np.isnan(z).any(axis=-1), -1, np.argmax(z, axis=-1))
                correct += np.sum(pred == labels[rows], axis=-1)
                block_loss, _ = self._head(z, labels[rows], onehot[rows], delta=False)
                loss += block_loss * (z.shape[-2] / m)
        loss = _overflowed_to_inf(loss, P)
        return loss.reshape(lead)[()], (correct / m).reshape(lead)[()]

    def __getstate__(self):                     # work arrays are not state
        state = self.__dict__.copy()
        del state["_local"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local = threading.local()

    def __repr__(self):
        return (f"MLP(sizes={self.sizes}, activation={self.activation!r}, "
                f"loss={self.loss_name!r}, l2={self.l2:g}, n={self.n}, dim={self.dim})")
