"""Tests of lrtutor.data: the shipped diabetes data and standardisation.

Known values are read from the files independently of numpy (gzip + str.split
in plain Python); the published description (Efron et al. 2004; scikit-learn's
diabetes.rst) gives n = 442 patients, 10 features, target range 25..346.
"""

import gzip
import hashlib
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lrtutor import data
from lrtutor.problems import LinearRegression

DATASETS = pathlib.Path(data.__file__).resolve().parent / "datasets"


def _raw_rows():
    with gzip.open(DATASETS / "diabetes_data_raw.csv.gz", "rt") as fh:
        return [[float(v) for v in line.split()] for line in fh]


def _raw_target():
    with gzip.open(DATASETS / "diabetes_target.csv.gz", "rt") as fh:
        return [float(line) for line in fh]


def test_files_are_the_documented_ones():
    readme = (DATASETS / "README.md").read_text()
    for name in ("diabetes_data_raw.csv.gz", "diabetes_target.csv.gz"):
        digest = hashlib.sha256((DATASETS / name).read_bytes()).hexdigest()
        assert digest in readme, name
    assert "BSD 3-Clause" in (DATASETS / "LICENSE-scikit-learn.txt").read_text()


def test_shape_and_names():
    X, y, names = data.load_diabetes()
    assert X.shape == (442, 10) and y.shape == (442,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert names == ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")


def test_known_values():
    X, y, _ = data.load_diabetes()
    # first and last patients, as printed in the file
    assert X[0].tolist() == [59, 2, 32.1, 101, 157, 93.2, 38, 4, 4.8598, 87]
    assert X[-1].tolist() == [36, 1, 19.6, 71, 250, 133.2, 97, 3, 4.5951, 92]
    assert (y[0], y[1], y[-1]) == (151.0, 75.0, 57.0)
    assert (y.min(), y.max()) == (25.0, 346.0)
    assert set(np.unique(X[:, 1])) == {1.0, 2.0}         # sex coded 1/2


def test_sums_match_an_independent_read():
    rows, target = _raw_rows(), _raw_target()
    X, y, _ = data.load_diabetes()
    col_sums = [sum(r[j] for r in rows) for j in range(10)]
    assert_allclose(X.sum(axis=0), col_sums, rtol=1e-12)
    assert sum(target) == 67243.0 and y.sum() == 67243.0
    assert sum(r[0] for r in rows) == 21445.0               # ages


def test_standardize_hand_example():
    Z, mean, scale = data.standardize([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    # column 0: mean 3, population sd sqrt(8/3); column 1: mean 20, sd sqrt(200/3)
    assert_allclose(mean, [3.0, 20.0], rtol=1e-12)
    assert_allclose(scale, [np.sqrt(8 / 3), np.sqrt(200 / 3)], rtol=1e-12)
    assert_allclose(Z[:, 0], np.array([-2.0, 0.0, 2.0]) / np.sqrt(8 / 3), rtol=1e-12)


def test_scaled_columns_have_mean_0_sd_1():
    Z, _, _ = data.load_diabetes(scaled=True)
    X, _, _ = data.load_diabetes()
    assert_allclose(Z.mean(axis=0), 0.0, atol=1e-13)
    assert_allclose(Z.std(axis=0), 1.0, rtol=1e-12)
    # an affine map per column: correlations are unchanged
    assert_allclose(np.corrcoef(Z.T), np.corrcoef(X.T), rtol=1e-10, atol=1e-12)


def _kappa(design):
    lam = np.linalg.eigvalsh(design.T @ design / design.shape[0])
    return lam[-1] / lam[0]


def test_standardising_reduces_the_condition_number():
    X, y, _ = data.load_diabetes()
    Z, _, _ = data.load_diabetes(scaled=True)
    ones = np.ones((442, 1))
    k_raw, k_std = _kappa(np.hstack([ones, X])), _kappa(np.hstack([ones, Z]))
    # measured: about 5.24e7 before, 470.08 after (with the intercept column)
    assert 5.2e7 < k_raw < 5.3e7
    assert 470.0 < k_std < 470.2
    assert k_raw / k_std > 1e5
    # without an intercept the raw Gram matrix is also far worse conditioned
    assert _kappa(X) > 1e6 > 1e3 > _kappa(Z)
    # and LinearRegression sees the same numbers
    assert_allclose(LinearRegression(X, y).condition_number, k_raw, rtol=1e-6)
    assert_allclose(LinearRegression(Z, y).condition_number, k_std, rtol=1e-9)


def test_fitted_values_do_not_depend_on_scaling():
    X, y, _ = data.load_diabetes()
    Z, _, _ = data.load_diabetes(scaled=True)
    raw, std = LinearRegression(X, y), LinearRegression(Z, y)
    assert_allclose(raw.design @ raw.minimizer, std.design @ std.minimizer,
                    rtol=1e-8)


def test_validation():
    with pytest.raises(TypeError, match="scaled must be True or False"):
        data.load_diabetes(scaled=1)
    with pytest.raises(ValueError, match=r"no constant column, got constant columns \[1\]"):
        data.standardize([[1.0, 2.0], [3.0, 2.0]])
    with pytest.raises(ValueError, match="X must be an array with ndim 2"):
        data.standardize([1.0, 2.0])
