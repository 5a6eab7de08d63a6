"""The plateau chapter's exercises, recomputed.

Each solution in book/plateau.ipynb quotes numbers; these tests recompute them
with lrtutor, so a change to the library or to a solution that makes the two
disagree fails here. Expected values are the hand derivations of the solutions
(rates after each epoch, epochs of the cuts) or, for the simulated bold driver,
the numbers the solution prints, at the digits it prints them.
"""

import numpy as np

import lrtutor as lrt
from lrtutor.schedules import ReduceLROnPlateau


class EarlyStopping:
    # the chapter's five lines: stop after `patience` epochs without a new best
    def __init__(self, patience):
        self.patience, self.best, self.wait = patience, np.inf, 0

    def step(self, loss):
        if loss < self.best:
            self.best, self.wait = loss, 0
        else:
            self.wait += 1
        return self.wait >= self.patience


def _stops_after(losses, patience):
    stopper = EarlyStopping(patience)
    return next(k for k, a in enumerate(losses) if stopper.step(a))


def _cuts(rates):
    return [k for k in range(1, len(rates)) if rates[k] < rates[k - 1]]


def test_exercise_1_rates_after_each_epoch():
    losses = [1.0, 0.8, 0.7, 0.71, 0.72, 0.73, 0.69, 0.70, 0.71, 0.72]
    torch_rule = ReduceLROnPlateau(0.1, factor=0.5, patience=2)
    keras_rule = ReduceLROnPlateau.keras(0.1, factor=0.5, patience=2)
    assert [torch_rule.step(a) for a in losses] == [0.1] * 5 + [0.05] * 4 + [0.025]
    assert [keras_rule.step(a) for a in losses] == [0.1] * 4 + [0.05] * 4 + [0.025] * 2


def test_exercise_2_absolute_threshold_at_a_small_loss():
    # a loss of 1e-5 falling by 1 % per epoch: Keras's min_delta 1e-4 sees no
    # progress and cuts every `patience` epochs (the first epoch sets the best,
    # epochs 1 and 2 are bad); PyTorch's relative 1e-4 does not cut
    losses = 1e-5 * 0.99 ** np.arange(12)
    torch_rule = ReduceLROnPlateau(0.1, factor=0.5, patience=2)
    keras_rule = ReduceLROnPlateau.keras(0.1, factor=0.5, patience=2)
    assert set(torch_rule.step(a) for a in losses) == {0.1}
    assert _cuts([keras_rule.step(a) for a in losses]) == [2, 4, 6, 8, 10]


def test_exercise_3_bold_driver():
    X1, y1 = lrt.problems.make_linear_data(n=100, rng=np.random.default_rng(0))
    noisy = lrt.problems.LinearRegression(X1, y1)
    f_star = noisy.loss(noisy.minimizer)
    limit = 2 / noisy.L
    theta, eta, undone = np.zeros(2), 0.1, 0
    loss, rates = noisy.loss(theta), []
    for _ in range(100):
        rates.append(eta)
        trial = theta - eta * noisy.grad(theta)
        if noisy.loss(trial) > loss:
            eta, undone = eta / 2, undone + 1
        else:
            theta, loss = trial, noisy.loss(trial)
            eta = min(1.1 * eta, 10.0)
    rates = np.array(rates)
    assert int(np.argmax(rates > limit)) == 29
    assert (round(float(rates.max()), 2), int(rates.argmax())) == (6.63, 44)
    assert round(float(rates.max() / limit), 1) == 4.4
    assert undone == 9
    assert f"{loss - f_star:.1e}" == "4.1e-11"
    # gradient descent at the best constant rate, for comparison
    eta_star = 2 / (noisy.L + noisy.mu)
    gd = lrt.train.run(noisy, lrt.optim.SGD(lr=eta_star), np.zeros(2), 100)
    assert (f"{gd.final_loss - f_star:.1e}", round(eta_star, 2)) == ("1.6e-09", 1.44)


def test_exercise_4_early_stopping_against_a_cut_with_cooldown():
    # PyTorch: cuts after epochs 5 and 11; E = 5 stops at the second cut, E = 6 uses it
    losses = [1.0] + [0.9] * 5 + [0.8] * 10
    rule = ReduceLROnPlateau(0.1, factor=0.5, patience=3, cooldown=2)
    assert _cuts([rule.step(a) for a in losses]) == [5, 11]
    assert (_stops_after(losses, 5), _stops_after(losses, 6)) == (11, 12)
    # Keras: cuts after epochs 4 and 8; E = 3 stops at the first cut, E = 4 uses
    # the second
    losses = [1.0] + [0.9] * 4 + [0.8] * 10
    rule = ReduceLROnPlateau.keras(0.1, factor=0.5, patience=3, cooldown=2)
    assert _cuts([rule.step(a) for a in losses])[:2] == [4, 8]
    assert (_stops_after(losses, 3), _stops_after(losses, 4)) == (4, 9)
