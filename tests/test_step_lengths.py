"""Step lengths of the adaptive methods under a constant gradient, in closed form.

The adaptive-methods chapter plots these lengths; here they are held to the
formulas it states. With a constant gradient g and eps = 0, AdaGrad's sum is
s_t = t g^2, RMSprop's average v_t = (1 - alpha^t) g^2, and Adam's corrected
moments are exactly g and g^2, so the steps are eta / sqrt(t),
eta / sqrt(1 - alpha^t) and eta, whatever g is. rtol 1e-12 leaves room for the
rounding of t additions and one square root (about t * 1e-16 relative for
t <= 2000), and is far below any difference a wrong formula would make.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lrtutor.optim import AdaGrad, Adam, RMSprop


def lengths(opt, steps, g):
    x, state, out = np.zeros(1), opt.init(np.zeros(1)), []
    for _ in range(steps):
        new, state = opt.update(np.full(1, g), state, x)
        out.append(abs(new[0] - x[0]))
        x = new
    return np.array(out)


@pytest.mark.parametrize("g", [1e-3, 1.0, 250.0])
def test_step_lengths_under_a_constant_gradient(g):
    eta, T = 0.01, 2000
    t = np.arange(1, T + 1)
    assert_allclose(lengths(AdaGrad(lr=eta, eps=0.0), T, g), eta / np.sqrt(t), rtol=1e-12)
    assert_allclose(lengths(RMSprop(lr=eta, eps=0.0), T, g),
                    eta / np.sqrt(1 - 0.99 ** t), rtol=1e-12)
    assert_allclose(lengths(Adam(lr=eta, eps=0.0), T, g), eta, rtol=1e-12)
    # without the corrections, Adam's step is (1 - beta1^t) / sqrt(1 - beta2^t) eta
    assert_allclose(lengths(Adam(lr=eta, eps=0.0, bias_correction=False), T, g),
                    eta * (1 - 0.9 ** t) / np.sqrt(1 - 0.999 ** t), rtol=1e-12)
