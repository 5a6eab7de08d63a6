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


# --- Handwritten digits (Alpaydin & Kaynak 1998) -------------------------------
#
# Independent facts: the UCI page of the data set (doi:10.24432/C50P49) lists the
# class counts of its test file, which scikit-learn's digits.rst says this copy
# is: 178, 182, 177, 183, 181, 182, 181, 179, 174, 180 for digits 0..9 (n = 1797,
# 64 pixel counts 0..16 per image). Pixel values below are read from the raw
# text with gzip + str.split in plain Python, not with numpy.

UCI_TEST_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def _raw_digit_rows():
    with gzip.open(DATASETS / "digits.csv.gz", "rt") as fh:
        return [[int(v) for v in line.split(",")] for line in fh]


def test_digits_file_is_the_documented_one():
    readme = (DATASETS / "README.md").read_text()
    digest = hashlib.sha256((DATASETS / "digits.csv.gz").read_bytes()).hexdigest()
    assert f"| `digits.csv.gz` | `{digest}` |" in readme
    assert "10.24432/C50P49" in readme and "CC BY 4.0" in readme


def test_digits_shape_counts_and_known_values():
    X, y = data.load_digits()
    rows = _raw_digit_rows()
    assert X.shape == (1797, 64) and y.shape == (1797,) and len(rows) == 1797
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert all(len(r) == 65 for r in rows)
    assert np.bincount(y).tolist() == UCI_TEST_COUNTS
    assert [sum(r[64] == d for r in rows) for d in range(10)] == UCI_TEST_COUNTS
    # the file opens with the images of a 0, a 1 and a 2; it ends with an 8
    assert y[:3].tolist() == [0, 1, 2] and y[-1] == 8
    # first image, first two pixel rows, as printed in the file:
    # "0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,..."
    assert X[0, :16].tolist() == [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0]
    assert X[0].reshape(8, 8)[1, 3] == 15 == X[0, 8 * 1 + 3]
    assert X[-1, 2] == 10.0                 # last line starts "0,0,10,14,..."
    assert (X.min(), X.max()) == (0.0, 16.0)
    assert np.all(X == np.round(X))
    assert X.sum() == sum(sum(r[:64]) for r in rows)
    assert_allclose(X.sum(axis=0), [sum(r[j] for r in rows) for j in range(64)],
                    rtol=0)
    never_on = [j for j in range(64) if all(r[j] == 0 for r in rows)]
    assert never_on == [0, 32, 39]
    # standardize() keeps refusing constant columns (unchanged behaviour)
    with pytest.raises(ValueError, match=r"constant columns \[0, 32, 39\]"):
        data.standardize(X)


def _check_partition(parts, n):
    allidx = np.concatenate(parts)
    assert sum(p.size for p in parts) == n
    assert np.array_equal(np.sort(allidx), np.arange(n))       # disjoint, cover
    for p in parts:
        assert p.dtype == np.int64 and np.all(np.diff(p) > 0)  # sorted ascending


def test_stratified_split_hand_example():
    # 7 of class 0 (quotas 4.2, 1.4, 1.4: floors 4, 1, 1, the one left over to
    # the first remainder 0.4) and 10 of class 1 (quotas 6, 2, 2 exactly)
    y = np.repeat([0, 1], [7, 10])
    parts = data.stratified_split(y, (0.6, 0.2, 0.2), rng=np.random.default_rng(3))
    _check_partition(parts, 17)
    assert [np.bincount(y[p], minlength=2).tolist() for p in parts] == \
        [[4, 6], [2, 2], [1, 2]]
    # labels need not be 0..k-1; two parts; quotas 2.5, 2.5 -> tie to the first
    y = np.array([7, -3, 7, 7, -3, 7, 7, -3])            # 5 sevens, 3 minus-threes
    a, b = data.stratified_split(y, [0.5, 0.5], rng=np.random.default_rng(0))
    _check_partition((a, b), 8)
    assert (np.sum(y[a] == 7), np.sum(y[b] == 7)) == (3, 2)    # 2.5, 2.5
    assert (np.sum(y[a] == -3), np.sum(y[b] == -3)) == (2, 1)  # 1.5, 1.5


def test_stratified_split_of_the_digits():
    _, y = data.load_digits()
    fractions = (0.6, 0.2, 0.2)
    parts = data.stratified_split(y, fractions, rng=np.random.default_rng(0))
    _check_partition(parts, 1797)
    counts = np.array([np.bincount(y[p], minlength=10) for p in parts])   # (3, 10)
    assert counts.sum(axis=0).tolist() == UCI_TEST_COUNTS
    target = np.outer(fractions, UCI_TEST_COUNTS)
    assert np.all(np.abs(counts - target) < 1)        # within one example per class
    # by hand: digit 0 (178): 106.8, 35.6, 35.6 -> 106, 35, 35 + 2 left -> parts 0, 1
    #          digit 8 (174): 104.4, 34.8, 34.8 -> 104, 34, 34 + 2 left -> parts 1, 2
    #          digit 3 (183): 109.8, 36.6, 36.6 -> 109, 36, 36 + 2 left -> parts 0, 1
    assert counts[:, 0].tolist() == [107, 36, 35]
    assert counts[:, 8].tolist() == [104, 35, 35]
    assert counts[:, 3].tolist() == [110, 37, 36]
    # an uneven split too
    parts = data.stratified_split(y, (0.5, 0.3, 0.15, 0.05),
                                  rng=np.random.default_rng(1))
    _check_partition(parts, 1797)
    counts = np.array([np.bincount(y[p], minlength=10) for p in parts])
    assert np.all(np.abs(counts - np.outer((0.5, 0.3, 0.15, 0.05), UCI_TEST_COUNTS)) < 1)


def test_stratified_split_draws_as_documented():
    # one rng.permutation per class, in increasing label order, cut in order.
    # Sizes by hand: class 0 (4): quotas 2, 1, 1; class 1 (3): 1.5, .75, .75 ->
    # floors 1, 0, 0, two left to the remainders .75 -> 1, 1, 1; class 2 (5):
    # 2.5, 1.25, 1.25 -> 2, 1, 1, one left to the remainder .5 -> 3, 1, 1.
    y = np.array([2, 0, 1, 2, 2, 0, 1, 1, 2, 0, 0, 2])
    parts = data.stratified_split(y, (0.5, 0.25, 0.25), rng=np.random.default_rng(7))
    rng = np.random.default_rng(7)
    expected = [[], [], []]
    for label, sizes in ((0, (2, 1, 1)), (1, (1, 1, 1)), (2, (3, 1, 1))):
        perm = rng.permutation(np.flatnonzero(y == label)).tolist()
        expected[0] += perm[:sizes[0]]
        expected[1] += perm[sizes[0]:sizes[0] + sizes[1]]
        expected[2] += perm[sizes[0] + sizes[1]:]
    assert [p.tolist() for p in parts] == [sorted(e) for e in expected]


def test_split_is_reproducible_and_seeded():
    _, y = data.load_digits()
    def split(seed):
        return data.stratified_split(y, rng=np.random.default_rng(seed))
    for p, q in zip(split(5), split(5)):
        assert np.array_equal(p, q)
    a, b = split(5), split(6)
    assert not np.array_equal(a[0], b[0])
    assert [p.size for p in a] == [q.size for q in b] == [1078, 362, 357]
    s, t = data.load_digits_split(seed=5), data.load_digits_split(seed=5)
    for u, v in zip(s, t):
        assert np.array_equal(u, v)
    assert not np.array_equal(s.X_train, data.load_digits_split(seed=6).X_train)


def test_digits_split_parts_and_read_only():
    X, y = data.load_digits()
    seed = 3
    train, val, test = data.stratified_split(y, (0.6, 0.2, 0.2),
                                             rng=np.random.default_rng(seed))
    raw = data.load_digits_split(seed=seed, scaled=False)
    for Xp, yp, idx in ((raw.X_train, raw.y_train, train), (raw.X_val, raw.y_val, val),
                        (raw.X_test, raw.y_test, test)):
        assert np.array_equal(Xp, X[idx]) and np.array_equal(yp, y[idx])
    assert np.array_equal(raw.mean, np.zeros(64)) and np.array_equal(raw.scale, np.ones(64))
    s = data.load_digits_split(seed=seed)
    assert [f for f in s._fields] == ["X_train", "y_train", "X_val", "y_val",
                                      "X_test", "y_test", "mean", "scale"]
    for arr in s:
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0] = 1
    # a second call is not affected by anything done to the first
    assert np.array_equal(data.load_digits_split(seed=seed).y_train, s.y_train)


def test_digits_standardised_with_training_statistics_only():
    seed = 0
    raw = data.load_digits_split(seed=seed, scaled=False)
    s = data.load_digits_split(seed=seed)
    constant = np.ptp(raw.X_train, axis=0) == 0
    assert np.flatnonzero(constant).tolist() == [0, 32, 39]
    # Training columns: mean 0 and sd 1. With pixel counts 0..16 and n = 1078,
    # numpy's pairwise sums err by about log2(n) * 2.2e-16 * max|z| ~ 1e-13 at
    # worst (|z| <= sqrt(n) ~ 33), so 1e-12 is tight but safe; measured ~1e-15
    # for the means and ~4e-14 for the sds.
    assert_allclose(s.X_train.mean(axis=0), 0.0, rtol=0, atol=1e-12)
    assert_allclose(s.X_train.std(axis=0)[~constant], 1.0, rtol=1e-12)
    # constant (all-zero) columns map to exactly 0 in every part, scale 1
    for part in (s.X_train, s.X_val, s.X_test):
        assert np.all(part[:, constant] == 0.0)
    assert np.all(s.scale[constant] == 1.0)
    # validation and test use the training statistics, by hand for two pixels
    for j in (10, 43):
        col = [float(v) for v in raw.X_train[:, j]]
        m = sum(col) / len(col)
        sd = (sum((v - m) ** 2 for v in col) / len(col)) ** 0.5
        assert_allclose((s.mean[j], s.scale[j]), (m, sd), rtol=1e-12)
        assert_allclose(s.X_val[:, j], [(float(v) - m) / sd for v in raw.X_val[:, j]],
                        rtol=1e-12, atol=1e-14)
        assert_allclose(s.X_test[:, j], [(float(v) - m) / sd for v in raw.X_test[:, j]],
                        rtol=1e-12, atol=1e-14)
    # ... so the validation part is not itself centred: its own statistics differ
    assert np.abs(s.X_val.mean(axis=0)).max() > 0.05


def test_fit_and_apply_standardizer_by_hand():
    mean, scale = data.fit_standardizer([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    assert_allclose(mean, [3.0, 5.0], rtol=1e-12)
    assert_allclose(scale, [np.sqrt(8 / 3), 1.0], rtol=1e-12)
    Z = data.apply_standardizer([[4.0, 6.0]], mean, scale)
    assert_allclose(Z, [[1 / np.sqrt(8 / 3), 1.0]], rtol=1e-12)
    # a constant column of 0.1: numpy's mean is 0.10000000000000002 and its sd
    # 1.4e-17, not 0, yet it must be treated as constant and map to exactly 0
    Xc = [[0.1, 1.0], [0.1, 2.0], [0.1, 4.0]]
    mean, scale = data.fit_standardizer(Xc)
    assert mean[0] == 0.1 and scale[0] == 1.0
    assert np.all(data.apply_standardizer(Xc, mean, scale)[:, 0] == 0.0)
    # on data without a constant column it agrees with standardize()
    rng = np.random.default_rng(0)
    A = rng.normal(size=(20, 3)) * [1.0, 10.0, 100.0]
    Z, m, sd = data.standardize(A)
    mean, scale = data.fit_standardizer(A)
    assert_allclose(mean, m, rtol=1e-12)
    assert_allclose(scale, sd, rtol=1e-12)
    assert_allclose(data.apply_standardizer(A, mean, scale), Z, rtol=1e-12)


def test_digits_validation():
    y = np.array([0, 0, 1, 1, 2, 2, 0, 1, 2, 0])
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"fractions must sum to 1 \(within 1e-09\)"):
        data.stratified_split(y, (0.5, 0.2, 0.2), rng=rng)
    with pytest.raises(ValueError, match="fractions must have every entry > 0"):
        data.stratified_split(y, (1.2, -0.2), rng=rng)
    with pytest.raises(ValueError, match="fractions must have every entry > 0"):
        data.stratified_split(y, (1.0, 0.0), rng=rng)
    with pytest.raises(ValueError, match="fractions must have at least 2 entries"):
        data.stratified_split(y, (1.0,), rng=rng)
    with pytest.raises(ValueError, match="fractions must contain only finite"):
        data.stratified_split(y, (np.nan, 0.5), rng=rng)
    with pytest.raises(TypeError, match="fractions must be an array of real numbers"):
        data.stratified_split(y, ("a", "b"), rng=rng)
    with pytest.raises(ValueError, match="fractions must give every part"):
        data.stratified_split([0, 1], (0.6, 0.2, 0.2), rng=rng)
    with pytest.raises(TypeError, match="y must be an array of integer class labels"):
        data.stratified_split([0.0, 1.0, 1.0], (0.5, 0.5), rng=rng)
    with pytest.raises(TypeError, match="y must be an array of integer class labels"):
        data.stratified_split([True, False], (0.5, 0.5), rng=rng)
    with pytest.raises(ValueError, match="y must have at least 1 label"):
        data.stratified_split([], (0.5, 0.5), rng=rng)
    with pytest.raises(ValueError, match="y must be an array with ndim 1"):
        data.stratified_split([[0, 1], [1, 0]], (0.5, 0.5), rng=rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        data.stratified_split(y, (0.5, 0.5), rng=0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        data.stratified_split(y, (0.5, 0.5), rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match="rng"):
        data.stratified_split(y, (0.5, 0.5))                  # rng is required
    with pytest.raises(ValueError, match="seed must be an integer >= 0, got -1"):
        data.load_digits_split(seed=-1)
    with pytest.raises(TypeError, match="seed must be an integer"):
        data.load_digits_split(seed=1.5)
    with pytest.raises(TypeError, match="seed must be an integer"):
        data.load_digits_split(seed=True)
    with pytest.raises(ValueError, match="fractions must have 3 entries"):
        data.load_digits_split(fractions=(0.5, 0.5))
    with pytest.raises(ValueError, match="fractions must sum to 1"):
        data.load_digits_split(fractions=(0.6, 0.3, 0.2))
    with pytest.raises(TypeError, match="scaled must be True or False"):
        data.load_digits_split(scaled=1)
    with pytest.raises(ValueError, match="X must be an array with ndim 2"):
        data.fit_standardizer([1.0, 2.0])
    with pytest.raises(ValueError, match="X must have at least 1 row"):
        data.fit_standardizer(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"mean must have shape \(2\)"):
        data.apply_standardizer([[1.0, 2.0]], [0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="scale must have every entry > 0"):
        data.apply_standardizer([[1.0, 2.0]], [0.0, 0.0], [1.0, 0.0])
