"""Adam and its family: a first moment divided by the root of a second."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from lrtutor._validate import check_array, check_bool, check_real
from lrtutor.optim._core import (CHUNK, LearningRate, _check_betas, _check_lr, _check_pair,
                                 _coef, _div, _inplace, _l2, _nonneg, _quiet, _rate, _set,
                                 _Stepped, _zeros)


def _adam_fields(opt, schedule_beta1=True):
    """The checked ``lr``, ``betas``, ``eps`` and ``weight_decay`` that the
    optimizers of the Adam family share (``betas[0]`` may be a schedule)."""
    return dict(lr=_check_lr(opt.lr), betas=_check_betas(opt.betas, schedule_beta1),
                eps=_nonneg("eps", opt.eps),
                weight_decay=_nonneg("weight_decay", opt.weight_decay))


def _decay(g, p, eta, weight_decay, decoupled):
    """PyTorch's two weight decays: ``(g + λθ, θ)`` (L2, the default) or
    ``(g, (1 - ηλ)θ)`` (``decoupled_weight_decay=True``, as AdamW)."""
    if not weight_decay:
        return g, p
    if decoupled:
        return g, p * (1 - eta * weight_decay)
    return g + weight_decay * p, p


class AdamState(NamedTuple):
    """State of :class:`Adam`, :class:`AdamW`, :class:`RAdam` and :class:`Yogi`:
    ``count``, ``m``, ``v``, ``v_max`` (``None`` unless ``amsgrad``)."""
    count: int
    m: Any          # array like params
    v: Any          # array like params
    v_max: Any      # array like params; None unless amsgrad


@dataclass(frozen=True)
class Adam:
    r"""Adam: momentum divided by the root of a moving average of squared gradients.

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t, \qquad m_0 = 0 \\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2, \qquad v_0 = 0 \\
        \hat m_t &= \frac{m_t}{1-\beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1-\beta_2^t} \\
        \theta_t &= \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    where :math:`\eta` is ``lr``, :math:`(\beta_1, \beta_2)` is ``betas``,
    :math:`\epsilon` is ``eps``, :math:`\lambda` is ``weight_decay``,
    :math:`g_t` the gradient passed to update :math:`t` and :math:`\theta` the
    parameters; :math:`t = \texttt{state.count} + 1` (so :math:`t = 1` on the
    first update). With ``amsgrad``, :math:`v_t` in :math:`\hat v_t` is replaced
    by the running maximum :math:`\max(v_1, \dots, v_t)`; with
    ``bias_correction=False``, :math:`\hat m_t = m_t` and :math:`\hat v_t = v_t`.
    A schedule as ``betas[0]`` gives :math:`\beta_{1,t} =` ``betas[0](state.count)``
    in place of :math:`\beta_1` in :math:`m_t` and in :math:`1-\beta_1^t`.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 1e-3
        Learning rate :math:`\eta` (see the module docstring).
    betas : (float or schedule, float), default (0.9, 0.999)
        :math:`\beta_1, \beta_2 \in [0, 1)`; :math:`\beta_1` may be a schedule
        ``t -> beta1``, checked at each update (cycle momentum, see Notes).
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`, added after the root of the corrected
        :math:`\hat v_t`.
    weight_decay : float, default 0.0
        L2 coefficient :math:`\lambda \ge 0`, added to the gradient (coupled);
        see :class:`AdamW` for decoupled decay.
    amsgrad : bool, default False
        Use the running maximum of :math:`v_t` (Reddi et al., 2018).
    bias_correction : bool, default True
        A teaching switch: ``False`` shows what the corrections are for. The
        first step is then :math:`(1-\beta_1)/\sqrt{1-\beta_2} \approx 3.16`
        times the corrected one for the default betas.

    Notes
    -----
    Matches ``torch.optim.Adam``, which is Algorithm 1 of Kingma & Ba (2015)
    with :math:`\epsilon` added to :math:`\sqrt{\hat v_t}`. It is evaluated as
    :math:`\theta_{t-1} - \frac{m_t}{\sqrt{v_t} + \epsilon\sqrt{c_2}}
    \cdot \frac{\eta\sqrt{c_2}}{c_1}` with :math:`c_1 = 1-\beta_1^t`,
    :math:`c_2 = 1-\beta_2^t`: the same number, folded so that the in-place
    update makes one pass fewer over the arrays; it agrees with PyTorch's
    :math:`\eta/c_1` and :math:`\sqrt{v_t}/\sqrt{c_2} + \epsilon` to a few
    units in the last place.
    ``optax.adam`` is the same formula (its ``eps_root``, 0 by default, adds a
    second constant inside the root); JAX computes in float32 unless its x64
    mode is on, so optax's printed values agree to about 1e-6 by default and
    to 1e-12 in x64 mode. Keras's ``Adam`` adds its
    :math:`\hat\epsilon` (1e-7) to the root of the *uncorrected* :math:`v_t`
    (the paper's "efficient" form), which no fixed ``eps`` here reproduces
    exactly. Coupled L2 decay passes through the adaptive denominator, so a
    coordinate with large gradients gets little of it: on :math:`f = x^2/2`,
    whose minimum is at 0, ``weight_decay=0.1`` only multiplies every gradient
    by 1.1, and the iterates equal those without decay (up to :math:`\epsilon`).
    That is why AdamW exists.

    **Cycle momentum.** PyTorch's ``CyclicLR`` and ``OneCycleLR`` with
    ``cycle_momentum=True`` drive Adam's :math:`\beta_1` (``betas[0]``) as
    they drive SGD's momentum; ``betas=(partial(sched.momentum,
    base_momentum=0.85, max_momentum=0.95), 0.999)`` gives the same iterates.
    As in PyTorch, the bias correction uses the current value,
    :math:`1-\beta_{1,t}^t`, not the product of the past ones, so
    :math:`\hat m_t` is no longer an unbiased average while
    :math:`\beta_1` moves.

    Examples
    --------
    >>> opt, x = Adam(lr=0.1), np.array([1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = x**2/2, grads = x
    ...     print(round(float(x[0]), 6))
    0.9
    0.800412
    0.701586
    """
    lr: LearningRate = 1e-3
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    amsgrad: bool = False
    bias_correction: bool = True

    def __post_init__(self):
        _set(self, **_adam_fields(self), amsgrad=check_bool("amsgrad", self.amsgrad),
             bias_correction=check_bool("bias_correction", self.bias_correction))

    def init(self, params):
        return AdamState(count=0, m=_zeros(params), v=_zeros(params),
                         v_max=_zeros(params) if self.amsgrad else None)

    @_quiet
    def update(self, grads, state, params):
        grads, params = _check_pair(grads, params)
        eta = _rate(self.lr, state.count, params)
        beta1, beta2 = _coef("betas[0]", self.betas[0], state.count), self.betas[1]
        t = state.count + 1
        g = _l2(grads, params, self.weight_decay)
        m = beta1 * state.m + (1 - beta1) * g
        v = beta2 * state.v + (1 - beta2) * g * g
        v_max = np.maximum(state.v_max, v) if self.amsgrad else None
        v_used = v_max if self.amsgrad else v
        c1, c2 = _bias_corrections(beta1, beta2, t, self.bias_correction)
        # eta * m_hat / (sqrt(v_hat) + eps), with 1 / sqrt(c2) folded into the
        # step size and eps (one pass fewer for update_; see Notes)
        sqrt_c2 = math.sqrt(c2)
        denom = np.sqrt(v_used) + self.eps * sqrt_c2
        new_params = params - _div(m, denom, self.eps) * (eta * sqrt_c2 / c1)
        return new_params, AdamState(t, m, v, v_max)

    @_quiet
    def update_(self, grads, state, params, *, chunk=CHUNK, workers=None):
        """:meth:`update` in place (``params``, ``state.m``, ``state.v``,
        ``state.v_max``), bit for bit; see :meth:`SGD.update_`."""
        eta = _rate(self.lr, state.count, check_array("params", params, finite=False))
        self._adam_inplace(grads, state, params, eta, chunk, workers, self.weight_decay)
        return AdamState(state.count + 1, state.m, state.v, state.v_max)

    def _adam_inplace(self, grads, state, params, eta, chunk, workers, wd,
                      decoupled=0.0):
        beta1, beta2 = _coef("betas[0]", self.betas[0], state.count), self.betas[1]
        t = state.count + 1
        eps = self.eps
        c1, c2 = _bias_corrections(beta1, beta2, t, self.bias_correction)
        sqrt_c2 = math.sqrt(c2)

        def kernel(eta, p, g, m, v, v_max, w1, w2, w3):
            if decoupled:                           # AdamW: p * (1 - eta * lambda)
                np.multiply(p, 1 - eta * decoupled, out=p)
            if wd:
                np.multiply(p, wd, out=w1)
                g = np.add(g, w1, out=w1)
            np.add(np.multiply(m, beta1, out=m), np.multiply(g, 1 - beta1, out=w2), out=m)
            np.multiply(np.multiply(g, 1 - beta2, out=w2), g, out=w2)
            np.add(np.multiply(v, beta2, out=v), w2, out=v)
            used = v
            if v_max is not None:
                used = np.maximum(v_max, v, out=v_max)
            np.add(np.sqrt(used, out=w2), eps * sqrt_c2, out=w2)
            np.multiply(_div(m, w2, eps, out=w3), eta * sqrt_c2 / c1, out=w3)
            np.subtract(p, w3, out=p)

        _inplace(grads, state, params,
                 (("state.m", state.m), ("state.v", state.v), ("state.v_max", state.v_max)),
                 eta, chunk, workers, kernel, 3)


def _bias_corrections(beta1, beta2, t, on):
    """Adam's :math:`(1-\\beta_1^t, 1-\\beta_2^t)`, or ``(1.0, 1.0)`` when switched off."""
    return (1 - beta1 ** t, 1 - beta2 ** t) if on else (1.0, 1.0)


@dataclass(frozen=True)
class AdamW:
    r"""AdamW: shrink the weights by :math:`(1 - \eta\lambda)`, then take an Adam step.

    .. math::

        \theta' &= (1 - \eta\lambda)\,\theta_{t-1} \\
        \theta_t &= \theta' - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    with :math:`\hat m_t, \hat v_t` computed from the raw gradient :math:`g_t`
    as in :class:`Adam` (no L2 term), where :math:`\eta` is ``lr``,
    :math:`\lambda` is ``weight_decay``, :math:`(\beta_1, \beta_2)` is
    ``betas``, :math:`\epsilon` is ``eps`` and :math:`t = \texttt{state.count} + 1`.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 1e-3
        Learning rate :math:`\eta` (see the module docstring).
    betas : (float or schedule, float), default (0.9, 0.999)
        :math:`\beta_1, \beta_2 \in [0, 1)`; :math:`\beta_1` may be a
        schedule, as in :class:`Adam`.
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`.
    weight_decay : float, default 1e-2
        Decoupled decay :math:`\lambda \ge 0`, multiplied by the rate.
    amsgrad : bool, default False
        As in :class:`Adam`.

    Notes
    -----
    Matches ``torch.optim.AdamW`` (Loshchilov & Hutter, 2019). The decay is
    multiplied by the current rate, so a schedule decays it too. The paper
    writes the decay as :math:`\eta_t\lambda'\theta` with only the schedule
    multiplier :math:`\eta_t`, not the base rate; its :math:`\lambda'` is
    ``weight_decay * lr`` here. ``optax.adamw`` applies the same update
    :math:`-\eta(\dots + \lambda\theta)` with default ``weight_decay=1e-4``
    (in float32 unless JAX's x64 mode is on, see :class:`Adam`);
    Keras's ``AdamW`` defaults to 0.004 and uses its own :math:`\epsilon`
    convention (see :class:`Adam`). The state is an :class:`AdamState`.

    Examples
    --------
    >>> opt, x = AdamW(lr=0.1, weight_decay=0.1), np.array([1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = x**2/2, grads = x
    ...     print(round(float(x[0]), 6))
    0.89
    0.781572
    0.675101
    """
    lr: LearningRate = 1e-3
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 1e-2
    amsgrad: bool = False

    def __post_init__(self):
        _set(self, **_adam_fields(self), amsgrad=check_bool("amsgrad", self.amsgrad))

    def _adam(self):
        """The Adam step that follows the decay: same hyperparameters, no L2."""
        return Adam(lr=self.lr, betas=self.betas, eps=self.eps, amsgrad=self.amsgrad)

    def init(self, params):
        return self._adam().init(params)

    @_quiet
    def update(self, grads, state, params):
        grads, params = _check_pair(grads, params)
        eta = _rate(self.lr, state.count, params)
        decayed = params * (1 - eta * self.weight_decay)
        return self._adam().update(grads, state, decayed)

    @_quiet
    def update_(self, grads, state, params, *, chunk=CHUNK, workers=None):
        """:meth:`update` in place (``params``, ``state.m``, ``state.v``,
        ``state.v_max``), bit for bit; see :meth:`SGD.update_`."""
        eta = _rate(self.lr, state.count, check_array("params", params, finite=False))
        self._adam()._adam_inplace(grads, state, params, eta, chunk, workers, 0.0,
                                   decoupled=self.weight_decay)
        return AdamState(state.count + 1, state.m, state.v, state.v_max)


# --- The rest of the family: NAdam, RAdam, Adamax (PyTorch), Yogi (optax) ----

class NAdamState(NamedTuple):
    """State of :class:`NAdam`: ``count``, ``m``, ``v`` and ``mu_product``, the
    product :math:`\\Pi_t` of the momentum coefficients so far (a float)."""
    count: int
    m: Any              # array like params
    v: Any              # array like params
    mu_product: Any     # float
    _per_run = ("mu_product",)      # not shaped like params (see _check_state)


@dataclass(frozen=True)
class NAdam(_Stepped):
    r"""NAdam: Adam with Nesterov's look-ahead, and PyTorch's momentum decay.

    Dozat's Nesterov form of Adam mixes the current gradient and the first
    moment with coefficients of the momentum this step and the next, and
    PyTorch's version lets the momentum coefficient :math:`\mu_t` warm up
    towards :math:`\beta_1`:

    .. math::

        \mu_t &= \beta_1\bigl(1 - \tfrac12\,0.96^{t\psi}\bigr), \qquad
        \Pi_t = \prod_{i=1}^{t} \mu_i \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t, \qquad m_0 = 0 \\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2, \qquad v_0 = 0 \\
        D_t &= \sqrt{v_t/(1-\beta_2^t)} + \epsilon \\
        \theta_t &= \theta_{t-1} - \eta\,\frac{1-\mu_t}{1-\Pi_t}\,\frac{g_t}{D_t}
                    - \eta\,\frac{\mu_{t+1}}{1-\Pi_t\,\mu_{t+1}}\,\frac{m_t}{D_t}

    where :math:`\eta` is ``lr``, :math:`(\beta_1, \beta_2)` is ``betas``,
    :math:`\psi` is ``momentum_decay``, :math:`\epsilon` is ``eps``,
    :math:`g_t` the gradient (plus :math:`\lambda\theta_{t-1}` when
    ``weight_decay`` :math:`\lambda` is coupled; with
    ``decoupled_weight_decay`` the parameters are first shrunk to
    :math:`(1-\eta\lambda)\theta_{t-1}`, as in :class:`AdamW`) and
    :math:`t = \texttt{state.count} + 1`.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 2e-3
        Learning rate :math:`\eta` (see the module docstring).
    betas : (float or schedule, float), default (0.9, 0.999)
        :math:`\beta_1, \beta_2 \in [0, 1)`; :math:`\beta_1` may be a schedule,
        as in :class:`Adam`.
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`, added after the root of the corrected :math:`v_t`.
    weight_decay : float, default 0.0
        :math:`\lambda \ge 0`.
    momentum_decay : float, default 4e-3
        :math:`\psi \ge 0`: how fast :math:`\mu_t` rises from
        :math:`\beta_1/2` towards :math:`\beta_1` (at :math:`\psi = 0.004`,
        :math:`\mu_t` is within 1 % of :math:`\beta_1` after about 3,800 updates).
    decoupled_weight_decay : bool, default False
        Decay the weights as AdamW does (PyTorch's NAdamW) instead of adding
        :math:`\lambda\theta` to the gradient.

    Notes
    -----
    Matches ``torch.optim.NAdam``: Dozat's (2016) algorithm with his warming
    momentum schedule :math:`\mu_t`, whose :math:`t/250` exponent PyTorch
    writes :math:`t\psi` with ``momentum_decay`` :math:`\psi = 0.004`. PyTorch keeps
    :math:`\Pi_t` in a tensor of the *default* dtype, float32 unless
    ``torch.set_default_dtype(torch.float64)``, so its float64 runs are
    rounded to float32 in the coefficients (relative errors near 1e-7);
    here :math:`\Pi_t` is a float64 (the state's ``mu_product``), and the
    recorded comparison sets PyTorch's default dtype to float64. optax's
    ``nadam`` keeps :math:`\mu_t = \beta_1` constant (``nesterov=True`` in
    ``scale_by_adam``): that is this class with ``momentum_decay=1e5``, where
    :math:`0.96^{t\psi}` is 0 in float64 (the same iterates to 1e-15).

    References
    ----------
    Dozat (2016), Incorporating Nesterov Momentum into Adam, ICLR workshop.

    Examples
    --------
    The first step is already larger than Adam's 0.1 (the look-ahead term adds
    :math:`\mu_2 m_1`), and ``state.mu_product`` holds :math:`\Pi_t`:

    >>> opt, x = NAdam(lr=0.1), np.array([1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = x**2/2, grads = x
    ...     print(round(float(x[0]), 6), round(state.mu_product, 6))
    0.894355 0.450073
    0.819973 0.202599
    0.752729 0.091214
    """
    lr: LearningRate = 2e-3
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    momentum_decay: float = 4e-3
    decoupled_weight_decay: bool = False
    _buffers = ("m", "v")
    _carried = ("mu_product",)

    def __post_init__(self):
        _set(self, **_adam_fields(self),
             momentum_decay=_nonneg("momentum_decay", self.momentum_decay),
             decoupled_weight_decay=check_bool("decoupled_weight_decay",
                                               self.decoupled_weight_decay))

    def init(self, params):
        return NAdamState(count=0, m=_zeros(params), v=_zeros(params), mu_product=1.0)

    def _coefs(self, state):
        beta1 = _coef("betas[0]", self.betas[0], state.count)
        t, psi = state.count + 1, self.momentum_decay
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        return dict(beta1=beta1, c2=1 - self.betas[1] ** t, mu=mu, mu_next=mu_next,
                    mu_product=check_real("state.mu_product", state.mu_product, low=0,
                                          high=1) * mu)

    def _step(self, eta, p, g, m, v, *, beta1, c2, mu, mu_next, mu_product):
        beta2, eps = self.betas[1], self.eps
        g, p = _decay(g, p, eta, self.weight_decay, self.decoupled_weight_decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        denom = np.sqrt(v / c2) + eps
        p = p - _div(g, denom, eps) * (eta * (1.0 - mu) / (1.0 - mu_product))
        p = p - _div(m, denom, eps) * (eta * mu_next / (1.0 - mu_product * mu_next))
        return p, m, v


@dataclass(frozen=True)
class RAdam(_Stepped):
    r"""RAdam: Adam whose adaptive step is switched on only once it is reliable.

    Early in training :math:`v_t` averages few squared gradients, so the
    adaptive rate :math:`1/\sqrt{\hat v_t}` has a large variance. RAdam
    takes momentum SGD steps while the approximate length :math:`\rho_t` of
    that average is 5 or less, then Adam steps multiplied by a rectification
    :math:`r_t < 1` that corrects the variance and tends to 1:

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2 \\
        \rho_\infty &= \frac{2}{1-\beta_2} - 1, \qquad
        \rho_t = \rho_\infty - \frac{2t\,\beta_2^t}{1-\beta_2^t} \\
        \theta_t &= \begin{cases}
            \theta_{t-1} - \eta\,\hat m_t\,r_t\,
                \dfrac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \epsilon},
                \quad r_t = \sqrt{\dfrac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}
                                        {(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}
                & \rho_t > 5 \\
            \theta_{t-1} - \eta\,\hat m_t & \text{otherwise}
        \end{cases}

    with :math:`\hat m_t = m_t/(1-\beta_1^t)`, where :math:`\eta` is ``lr``,
    :math:`(\beta_1, \beta_2)` is ``betas``, :math:`\epsilon` is ``eps``,
    :math:`g_t` the gradient (weight decay as in :class:`NAdam`) and
    :math:`t = \texttt{state.count} + 1`. With the default
    :math:`\beta_2 = 0.999` the first five updates are momentum SGD.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 1e-3
        Learning rate :math:`\eta` (see the module docstring).
    betas : (float or schedule, float), default (0.9, 0.999)
        :math:`\beta_1, \beta_2 \in [0, 1)`; :math:`\beta_1` may be a schedule,
        as in :class:`Adam`. For :math:`\beta_2 \le 0.6`,
        :math:`\rho_\infty \le 4` and the rectified branch is never taken.
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`, added to :math:`\sqrt{v_t}` (uncorrected).
    weight_decay : float, default 0.0
        :math:`\lambda \ge 0`.
    decoupled_weight_decay : bool, default False
        Decay the weights as AdamW does instead of adding :math:`\lambda\theta`
        to the gradient.

    Notes
    -----
    Matches ``torch.optim.RAdam``, including where :math:`\epsilon` sits: it
    is added to :math:`\sqrt{v_t}` *before* the bias correction
    :math:`\sqrt{1-\beta_2^t}` multiplies, unlike :class:`Adam` (the paper's
    Algorithm 2 writes :math:`\sqrt{\hat v_t}` and no :math:`\epsilon`). The
    switch at :math:`\rho_t > 5` is PyTorch's and the paper's; optax's
    ``radam`` switches at ``threshold=5.0`` too but adds :math:`\epsilon`
    to :math:`\sqrt{\hat v_t}`, and Keras has no RAdam. The state is an
    :class:`AdamState` (without ``v_max``).

    References
    ----------
    Liu, Jiang, He, Chen, Liu, Gao, Han (2020), On the Variance of the
    Adaptive Learning Rate and Beyond, ICLR, arXiv:1908.03265.

    Examples
    --------
    Five momentum steps, then the rectified adaptive step, much smaller at
    first:

    >>> opt, x = RAdam(lr=0.1), np.array([1.0])
    >>> state = opt.init(x)
    >>> for _ in range(7):
    ...     new, state = opt.update(x, state, x)    # f = x**2/2, grads = x
    ...     print(state.count, round(float(x[0] - new[0]), 6))
    ...     x = new
    1 0.1
    2 0.094737
    3 0.089493
    4 0.084283
    5 0.079122
    6 0.002443
    7 0.003058
    """
    lr: LearningRate = 1e-3
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    decoupled_weight_decay: bool = False
    _buffers = ("m", "v")

    def __post_init__(self):
        _set(self, **_adam_fields(self),
             decoupled_weight_decay=check_bool("decoupled_weight_decay",
                                               self.decoupled_weight_decay))

    def init(self, params):
        return AdamState(count=0, m=_zeros(params), v=_zeros(params), v_max=None)

    def _coefs(self, state):
        beta1, beta2 = _coef("betas[0]", self.betas[0], state.count), self.betas[1]
        t = state.count + 1
        c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** t) / c2
        rect = None
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        return dict(beta1=beta1, c1=c1, c2=c2, rect=rect)

    def _step(self, eta, p, g, m, v, *, beta1, c1, c2, rect):
        beta2, eps = self.betas[1], self.eps
        g, p = _decay(g, p, eta, self.weight_decay, self.decoupled_weight_decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / c1
        if rect is None:
            return p - m_hat * eta, m, v
        denom = np.sqrt(v) + eps
        step = m_hat * eta * (c2 ** 0.5 / denom) * rect       # PyTorch's order
        if eps == 0:                            # 0 * (1/0): no information, no step
            step = np.where((m_hat == 0) & (denom == 0), 0.0, step)
        return p - step, m, v


class AdamaxState(NamedTuple):
    """State of :class:`Adamax`: ``count``, ``m`` and ``u``, the decayed maximum of :math:`|g|`."""
    count: int
    m: Any          # array like params
    u: Any          # array like params


@dataclass(frozen=True)
class Adamax(_Stepped):
    r"""Adamax: Adam with the root mean square replaced by a decayed maximum.

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t, \qquad m_0 = 0 \\
        u_t &= \max\bigl(\beta_2\,u_{t-1},\ |g_t| + \epsilon\bigr), \qquad u_0 = 0 \\
        \theta_t &= \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,\frac{m_t}{u_t}

    where :math:`\eta` is ``lr``, :math:`(\beta_1, \beta_2)` is ``betas``,
    :math:`\epsilon` is ``eps``, :math:`g_t` the gradient plus
    :math:`\lambda\theta_{t-1}` (``weight_decay``, coupled) and
    :math:`t = \texttt{state.count} + 1`. :math:`u_t` needs no bias
    correction: a maximum is not pulled towards its zero start.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 2e-3
        Learning rate :math:`\eta` (see the module docstring).
    betas : (float or schedule, float), default (0.9, 0.999)
        :math:`\beta_1, \beta_2 \in [0, 1)`; :math:`\beta_1` may be a schedule,
        as in :class:`Adam`.
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`, added to :math:`|g_t|` *inside* the maximum.
    weight_decay : float, default 0.0
        L2 coefficient :math:`\lambda \ge 0`.

    Notes
    -----
    Matches ``torch.optim.Adamax`` (Kingma & Ba, 2015, section 7.1), whose
    :math:`\epsilon` sits inside the maximum, so :math:`u_t \ge \epsilon`
    always; ``optax.adamax`` puts it in the same place. The paper has no
    :math:`\epsilon`. Keras's ``Adamax`` adds it to :math:`u_t` after the
    maximum instead, :math:`m_t/(u_t + \epsilon)`.

    References
    ----------
    Kingma, Ba (2015), Adam: A Method for Stochastic Optimization, ICLR,
    arXiv:1412.6980, Algorithm 2.

    Examples
    --------
    :math:`u` remembers the largest recent :math:`|g|` of each coordinate,
    so the small coordinate's steps shrink once its gradient falls:

    >>> opt, x = Adamax(lr=0.1), np.array([1.0, -0.01])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)      # f = |x|**2/2, grads = x
    ...     print(np.round(x, 6), np.round(state.u, 6))
    [0.9  0.09] [1.   0.01]
    [0.805168 0.042631] [0.999 0.09 ]
    [ 0.715499 -0.004784] [0.998001 0.08991 ]
    """
    lr: LearningRate = 2e-3
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    _buffers = ("m", "u")

    def __post_init__(self):
        _set(self, **_adam_fields(self))

    def init(self, params):
        return AdamaxState(count=0, m=_zeros(params), u=_zeros(params))

    def _coefs(self, state):
        beta1 = _coef("betas[0]", self.betas[0], state.count)
        return dict(beta1=beta1, c1=1 - beta1 ** (state.count + 1))

    def _step(self, eta, p, g, m, u, *, beta1, c1):
        g = _l2(g, p, self.weight_decay)
        m = beta1 * m + (1 - beta1) * g
        u = np.maximum(self.betas[1] * u, np.abs(g) + self.eps)
        return p - (eta / c1) * _div(m, u, self.eps), m, u


@dataclass(frozen=True)
class Yogi(_Stepped):
    r"""Yogi: Adam whose second moment moves by a fixed fraction of :math:`g^2`.

    Adam's :math:`v_t` forgets a large past gradient geometrically, so the
    adaptive rate can jump up when the gradients shrink. Yogi changes
    :math:`v` additively, by :math:`(1-\beta_2)\,g_t^2` towards
    :math:`g_t^2`, so the rate grows slowly:

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t \\
        v_t &= v_{t-1} - (1-\beta_2)\,\mathrm{sign}\bigl(v_{t-1} - g_t^2\bigr)\,g_t^2 \\
        \theta_t &= \theta_{t-1} - \eta\,
            \frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}

    with :math:`m_0 = v_0 = s_0`, where :math:`\eta` is ``lr``,
    :math:`(\beta_1, \beta_2)` is ``betas``, :math:`\epsilon` is ``eps``,
    :math:`s_0` is ``initial_accumulator_value`` and
    :math:`t = \texttt{state.count} + 1`. Unlike Adam's, :math:`v_t` never
    overshoots past :math:`g_t^2` by more than it moves, and stays
    :math:`> 0` when :math:`s_0 > 0`.

    Parameters
    ----------
    lr : float, schedule or array of shape (k,), default 1e-2
        Learning rate :math:`\eta` (see the module docstring); the paper's
        recommended value.
    betas : (float, float), default (0.9, 0.999)
        :math:`\beta_1, \beta_2 \in [0, 1)`.
    eps : float, default 1e-3
        :math:`\epsilon \ge 0`, added after the root of the corrected
        :math:`v_t`; the paper's and optax's default, far larger than Adam's.
    initial_accumulator_value : float, default 1e-6
        :math:`s_0 \ge 0`, the start of *both* :math:`m` and :math:`v`.

    Notes
    -----
    Matches ``optax.yogi(lr, b1, b2, eps)`` (optax 0.2.8, in JAX's x64 mode),
    which is ``scale_by_yogi`` with ``initial_accumulator_value=1e-6``: optax
    starts :math:`m_0` as well as :math:`v_0` at :math:`s_0` and still divides
    by :math:`1-\beta_1^t` and :math:`1-\beta_2^t`, as this class does. The
    paper (Algorithm 2) starts :math:`m_0 = 0` and :math:`v_0 = 10^{-6}` and
    has no bias correction. PyTorch has no Yogi; ``torch_optimizer.Yogi``
    (a third-party package) starts both at 1e-6 without bias correction.

    References
    ----------
    Zaheer, Reddi, Sachan, Kale, Kumar (2018), Adaptive Methods for Nonconvex
    Optimization, NeurIPS.

    Examples
    --------
    When the gradient drops from 1 to 0.01, :math:`v` falls by only
    :math:`(1-\beta_2)\,g^2 = 10^{-7}` per step, where Adam's would lose
    :math:`(1-\beta_2)(v - g^2) \approx 2 \cdot 10^{-6}`: the per-coordinate
    rate :math:`\eta/\sqrt{\hat v}` rises more slowly after large gradients:

    >>> opt, x = Yogi(lr=0.1), np.array([1.0])
    >>> state = opt.init(x)
    >>> for g in (1.0, 1.0, 0.01, 0.01):
    ...     x, state = opt.update(np.array([g]), state, x)
    ...     print(round(float(x[0]), 6), round(float(state.v[0]), 7))
    0.900149 0.001001
    0.800298 0.002001
    0.722716 0.0020009
    0.658798 0.0020008
    """
    lr: LearningRate = 1e-2
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-3
    initial_accumulator_value: float = 1e-6
    _buffers = ("m", "v")

    def __post_init__(self):
        _set(self, lr=_check_lr(self.lr), betas=_check_betas(self.betas),
             eps=_nonneg("eps", self.eps),
             initial_accumulator_value=_nonneg("initial_accumulator_value",
                                               self.initial_accumulator_value))

    def init(self, params):
        m = _zeros(params)
        m[...] = self.initial_accumulator_value
        return AdamState(count=0, m=m, v=m.copy(), v_max=None)

    def _coefs(self, state):
        t = state.count + 1
        return dict(c1=1 - self.betas[0] ** t, c2=1 - self.betas[1] ** t)

    def _step(self, eta, p, g, m, v, *, c1, c2):
        (beta1, beta2), eps = self.betas, self.eps
        g2 = g * g
        m = (1 - beta1) * g + beta1 * m                 # optax's order
        v = v - (1 - beta2) * np.sign(v - g2) * g2
        return p - eta * _div(m / c1, np.sqrt(v / c2) + eps, eps), m, v
