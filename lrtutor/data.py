r"""Real data sets shipped with the package, splits and feature standardisation.

The synthetic regression data of the source articles is
:func:`lrtutor.problems.make_linear_data`. For the feature-scaling and
conditioning section of the case study the book needs a real design matrix
whose columns have very different scales: the diabetes data of Efron, Hastie,
Johnstone & Tibshirani (2004), :func:`load_diabetes`. For a classification
example it ships the optical-recognition handwritten digits of Alpaydin &
Kaynak (1998), :func:`load_digits`: 1,797 images of 8x8 pixel counts, ten
classes. Both are copied from scikit-learn (BSD-3) into ``lrtutor/datasets/``
(see the README there). Nothing is downloaded at run time.

For model selection the digits are cut into training, validation and test
parts by :func:`stratified_split` (seeded, every class in the same
proportions) and standardised with statistics of the training part only
(:func:`fit_standardizer`, :func:`apply_standardizer`);
:func:`load_digits_split` does all three.
"""

from __future__ import annotations

import pathlib
from typing import NamedTuple

import numpy as np

from lrtutor._validate import check_array, check_bool, check_int

__all__ = [
    "DIABETES_FEATURES",
    "load_diabetes",
    "standardize",
    "load_digits",
    "stratified_split",
    "fit_standardizer",
    "apply_standardizer",
    "DigitsSplit",
    "load_digits_split",
]

_HERE = pathlib.Path(__file__).resolve().parent / "datasets"

#: Column names of the diabetes features, in file order.
DIABETES_FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")

# tolerance on sum(fractions) == 1 in stratified_split
_FRACTION_SUM_TOL = 1e-9


def standardize(X):
    r"""Centre each column and divide it by its standard deviation.

    .. math:: z_{ij} = \frac{x_{ij} - \bar x_j}{s_j}, \qquad
              \bar x_j = \frac1n \sum_i x_{ij}, \qquad
              s_j = \sqrt{\frac1n \sum_i (x_{ij} - \bar x_j)^2},

    where :math:`x_{ij}` is ``X[i, j]`` and :math:`n` the number of rows (the
    population standard deviation, ``ddof=0``).

    Parameters
    ----------
    X : array_like, shape (n, p)
        Finite; every column must vary (a constant column cannot be scaled).

    Returns
    -------
    Z : ndarray, shape (n, p)
        Columns with mean 0 and standard deviation 1.
    mean, scale : ndarray, shape (p,)
        :math:`\bar x_j` and :math:`s_j`, to apply the same map to new data.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D, has non-finite entries or a constant column.

    Examples
    --------
    >>> Z, mean, scale = standardize([[1.0, 10.0], [3.0, 30.0]])
    >>> Z.tolist(), mean.tolist(), scale.tolist()
    ([[-1.0, -1.0], [1.0, 1.0]], [2.0, 20.0], [1.0, 10.0])
    """
    X = check_array("X", X, ndim=2)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    if np.any(scale == 0):
        cols = np.flatnonzero(scale == 0).tolist()
        raise ValueError(f"X must have no constant column, got constant columns {cols}")
    return (X - mean) / scale, mean, scale


def load_diabetes(scaled=False):
    r"""The diabetes data of Efron et al. (2004): 442 patients, 10 features.

    Parameters
    ----------
    scaled : bool, default False
        ``False`` returns the raw measurements (ages in years, blood pressure
        in mm Hg, ...); ``True`` returns them standardised with
        :func:`standardize` (each column mean 0, standard deviation 1).

    Returns
    -------
    X : ndarray, shape (442, 10)
    y : ndarray, shape (442,)
        Disease progression one year after baseline.
    feature_names : tuple of str
        :data:`DIABETES_FEATURES`.

    Notes
    -----
    scikit-learn's own ``load_diabetes()`` scales each column to unit sum of
    squares by default; ``scaled=True`` here gives unit *standard deviation*,
    i.e. those columns times :math:`\sqrt{n}`. The files and their licence
    are described in ``lrtutor/datasets/README.md``.

    References
    ----------
    B. Efron, T. Hastie, I. Johnstone and R. Tibshirani (2004). Least angle
    regression. *The Annals of Statistics* 32(2), 407-499.

    Examples
    --------
    >>> X, y, names = load_diabetes()
    >>> X.shape, y.shape, names[:3]
    ((442, 10), (442,), ('age', 'sex', 'bmi'))
    >>> X[0, :4].tolist(), float(y[0])
    ([59.0, 2.0, 32.1, 101.0], 151.0)
    """
    scaled = check_bool("scaled", scaled)
    X = np.loadtxt(_HERE / "diabetes_data_raw.csv.gz", dtype=np.float64)
    y = np.loadtxt(_HERE / "diabetes_target.csv.gz", dtype=np.float64)
    if scaled:
        X = standardize(X)[0]
    return X, y, DIABETES_FEATURES


def load_digits():
    r"""The handwritten digits of Alpaydin & Kaynak (1998): 1,797 images, 10 classes.

    Each row of ``X`` is one 8x8 image read row by row: pixel :math:`(r, c)`
    (row :math:`r`, column :math:`c`, both 0..7) is ``X[i, 8 * r + c]``, so
    ``X[i].reshape(8, 8)`` is the image. A pixel counts the "on" pixels of a
    4x4 block of the original 32x32 black-and-white bitmap, an integer from
    0 to 16. Loaded from ``lrtutor/datasets/digits.csv.gz``; nothing is
    downloaded.

    Returns
    -------
    X : ndarray of float64, shape (1797, 64)
        Pixel counts 0..16.
    y : ndarray of int64, shape (1797,)
        The digit each image shows, 0..9.

    Notes
    -----
    These are the 1,797 images of the UCI *test* file (``optdigits.tes``),
    written by 13 people; scikit-learn's ``load_digits()`` returns the same
    numbers. Class sizes run from 174 (digit 8) to 183 (digit 3). Three pixel
    columns (0, 32 and 39) are 0 in every image, so :func:`standardize` refuses
    this ``X``; use :func:`fit_standardizer`. The file, its source and its
    licence are described in ``lrtutor/datasets/README.md``.

    References
    ----------
    E. Alpaydin and C. Kaynak (1998). Optical Recognition of Handwritten
    Digits [data set]. UCI Machine Learning Repository. doi:10.24432/C50P49.

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, y.shape, str(X.dtype), str(y.dtype)
    ((1797, 64), (1797,), 'float64', 'int64')
    >>> np.bincount(y).tolist()
    [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    >>> int(y[0]), X[0, :8].tolist()            # a 0; its top row of pixels
    (0, [0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0])
    """
    raw = np.loadtxt(_HERE / "digits.csv.gz", delimiter=",", dtype=np.float64)
    X = np.ascontiguousarray(raw[:, :64])
    y = raw[:, 64].astype(np.int64)
    return X, y


def _check_labels(name, y):
    """Return ``y`` as a non-empty 1-D int64 array of class labels."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be an array with ndim 1, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must have at least 1 label, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an array of integer class labels, got "
                        f"dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _check_fractions(fractions, n_parts=None):
    """Return ``fractions`` as a float64 array divided by its sum, after checks."""
    f = check_array("fractions", fractions, ndim=1)
    if n_parts is not None and f.size != n_parts:
        raise ValueError(f"fractions must have {n_parts} entries (train, validation, "
                         f"test), got {f.size}")
    if f.size < 2:
        raise ValueError(f"fractions must have at least 2 entries, got {f.size}")
    f = check_array("fractions", f, ndim=1, low=0, low_op=">")
    if np.any(f > 1):           # a share above 1 cannot sum to 1 (and 1e308s overflow)
        raise ValueError(f"fractions must have every entry in (0, 1], got {f!r}")
    total = float(f.sum())
    if abs(total - 1.0) > _FRACTION_SUM_TOL:
        raise ValueError(f"fractions must sum to 1 (within {_FRACTION_SUM_TOL:g}), "
                         f"got sum {total!r}")
    return f / total


def _check_generator(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator "
                        f"(e.g. np.random.default_rng(0)), got {type(rng).__name__}")
    return rng


def _largest_remainder(count, fractions):
    """Integer sizes summing to ``count``, each within 1 of ``count * fractions``."""
    quota = count * fractions
    sizes = np.floor(quota).astype(np.int64)
    short = count - int(sizes.sum())
    # stable sort: among equal remainders the earlier part comes first
    order = np.argsort(-(quota - sizes), kind="stable")
    sizes[order[:short]] += 1
    return sizes


def stratified_split(y, fractions=(0.6, 0.2, 0.2), *, rng):
    r"""Split the examples at random into parts, each class in given proportions.

    Class :math:`c` has :math:`n_c` examples; part :math:`k` receives
    :math:`m_{ck}` of them, its quota :math:`q_{ck} = n_c f_k` rounded by the
    largest-remainder rule:

    .. math:: m_{ck} = \lfloor q_{ck} \rfloor + [\,k \in R_c\,], \qquad
              |R_c| = n_c - \sum_k \lfloor q_{ck} \rfloor,

    where :math:`f_k` is ``fractions[k]`` divided by the sum of ``fractions``,
    :math:`[\cdot]` is 1 if the condition holds and 0 otherwise, and
    :math:`R_c` holds the parts with the largest remainders
    :math:`q_{ck} - \lfloor q_{ck} \rfloor` (compared in float64; equal
    remainders go to the earlier part). So :math:`\sum_k m_{ck} = n_c`
    exactly and :math:`|m_{ck} - n_c f_k| < 1`: every class is split in the
    given proportions to within one example, the part sizes sum to
    :math:`n`, and they depend on the class counts and ``fractions`` only,
    never on ``rng``.

    Which examples go where is random. For each class, in increasing order
    of label, ``rng`` draws one permutation of that class's indices (listed
    in ascending order); the first :math:`m_{c0}` of it go to part 0, the
    next :math:`m_{c1}` to part 1, and so on. The same ``rng`` state gives
    the same split.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Class labels, any integers (a NumPy integer dtype; floats are
        rejected, even whole ones); :math:`n \ge 1`.
    fractions : sequence of float, default (0.6, 0.2, 0.2)
        At least 2 entries, each finite and > 0, summing to 1 within 1e-9.
    rng : numpy.random.Generator
        Required (keyword only): the source of the random assignment.

    Returns
    -------
    parts : tuple of ndarray of int64
        One array of indices into ``y`` per entry of ``fractions``, in that
        order, each sorted ascending. The parts are disjoint and together
        hold every index ``0..n-1`` once.

    Raises
    ------
    TypeError
        If ``y`` is not of an integer dtype, ``fractions`` is not numeric or
        ``rng`` is not a :class:`numpy.random.Generator`.
    ValueError
        If ``y`` is not 1-D or empty, ``fractions`` is out of range, or the
        rounding above leaves a part with no example at all.

    Examples
    --------
    Seven examples of class 0 and ten of class 1: class 0 has quotas
    4.2, 1.4, 1.4, so floors 4, 1, 1 and the one example left goes to the
    first of the two parts with remainder 0.4.

    >>> y = np.repeat([0, 1], [7, 10])
    >>> parts = stratified_split(y, (0.6, 0.2, 0.2), rng=np.random.default_rng(0))
    >>> [np.bincount(y[p], minlength=2).tolist() for p in parts]
    [[4, 6], [2, 2], [1, 2]]
    >>> sorted(np.concatenate(parts).tolist()) == list(range(17))
    True
    """
    y = _check_labels("y", y)
    f = _check_fractions(fractions)
    rng = _check_generator(rng)
    chunks = [[] for _ in f]
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        sizes = _largest_remainder(members.size, f)
        shuffled = rng.permutation(members)
        for k, piece in enumerate(np.split(shuffled, np.cumsum(sizes)[:-1])):
            chunks[k].append(piece)
    parts = tuple(np.sort(np.concatenate(c)).astype(np.int64, copy=False)
                  for c in chunks)
    empty = [k for k, p in enumerate(parts) if p.size == 0]
    if empty:
        raise ValueError(f"fractions must give every part at least 1 example; with "
                         f"{y.size} labels, parts {empty} would be empty")
    return parts


def fit_standardizer(X):
    r"""Column means and scales of ``X``, for :func:`apply_standardizer`.

    .. math:: \bar x_j = \frac1n \sum_i x_{ij}, \qquad
              s_j = \begin{cases}
                  \sqrt{\frac1n \sum_i (x_{ij} - \bar x_j)^2}
                      & \text{if column } j \text{ varies,} \\
                  1 & \text{if column } j \text{ is constant,}
              \end{cases}

    where :math:`x_{ij}` is ``X[i, j]`` and :math:`n` the number of rows (the
    population standard deviation, ``ddof=0``, as in :func:`standardize`).

    Unlike :func:`standardize`, a constant column (largest entry equal to
    smallest) is not an error: its scale is 1, as in scikit-learn's
    ``StandardScaler``, and its mean is set to its value exactly, so
    :func:`apply_standardizer` maps it to exactly 0 on ``X`` (and to
    "value minus the training value" on new data). Fit on the training part
    only and apply the same map to the validation and test parts, so that no
    statistic of those parts leaks into training.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Finite, :math:`n \ge 1`.

    Returns
    -------
    mean : ndarray, shape (p,)
        :math:`\bar x_j`.
    scale : ndarray, shape (p,)
        :math:`s_j`, every entry > 0.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D, has no row or has non-finite entries.

    Examples
    --------
    >>> mean, scale = fit_standardizer([[1.0, 5.0], [3.0, 5.0]])
    >>> mean.tolist(), scale.tolist()          # column 1 is constant
    ([2.0, 5.0], [1.0, 1.0])
    >>> apply_standardizer([[2.0, 7.0]], mean, scale).tolist()
    [[0.0, 2.0]]
    """
    X = check_array("X", X, ndim=2)
    if X.shape[0] == 0:
        raise ValueError(f"X must have at least 1 row, got shape {X.shape}")
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    constant = X.max(axis=0) == X.min(axis=0)
    mean[constant] = X[0, constant]
    scale[constant] = 1.0
    return mean, scale


def apply_standardizer(X, mean, scale):
    r"""Apply the map fitted by :func:`fit_standardizer` to the rows of ``X``.

    .. math:: z_{ij} = \frac{x_{ij} - \bar x_j}{s_j},

    where :math:`x_{ij}` is ``X[i, j]``, :math:`\bar x_j` is ``mean[j]`` and
    :math:`s_j` is ``scale[j]``.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Finite; any number of rows (often data the statistics were *not*
        fitted on).
    mean : array_like, shape (p,)
        :math:`\bar x_j`, finite.
    scale : array_like, shape (p,)
        :math:`s_j`, finite and > 0.

    Returns
    -------
    Z : ndarray, shape (n, p)

    Raises
    ------
    ValueError
        If the shapes do not match, an entry is not finite or a scale is <= 0.

    Examples
    --------
    >>> apply_standardizer([[1.0, 10.0], [3.0, 30.0]], [2.0, 20.0], [1.0, 10.0]).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    X = check_array("X", X, ndim=2)
    p = X.shape[1]
    mean = check_array("mean", mean, shape=(p,))
    scale = check_array("scale", scale, shape=(p,), low=0, low_op=">")
    return (X - mean) / scale


class DigitsSplit(NamedTuple):
    """The digits cut into training, validation and test parts.

    Returned by :func:`load_digits_split`. Every array is read-only. ``X_*``
    have 64 columns (float64) and ``y_*`` hold the digits 0..9 (int64).
    ``mean`` and ``scale`` (shape ``(64,)``) are the statistics of the raw
    training pixels that map raw pixels ``x`` to the ``X_*`` given here,
    ``(x - mean) / scale`` (zeros and ones when ``scaled=False``).
    """
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray
    scale: np.ndarray


def load_digits_split(seed=0, fractions=(0.6, 0.2, 0.2), scaled=True):
    r"""The digits in seeded, stratified training, validation and test parts.

    :func:`load_digits`, cut by :func:`stratified_split` with
    ``rng=np.random.default_rng(seed)``, then (if ``scaled``) every part is
    mapped by :func:`apply_standardizer` with the statistics
    :func:`fit_standardizer` computes on the *training* part only:

    .. math:: z_{ij} = \frac{x_{ij} - \bar x_j}{s_j},

    where :math:`\bar x_j` and :math:`s_j` are the mean and population
    standard deviation of pixel :math:`j` over the training images (with
    :math:`s_j = 1` for a pixel constant there). Training columns then have
    mean 0 and standard deviation 1 (constant ones are all 0); validation and
    test columns only approximately so.

    Parameters
    ----------
    seed : int, default 0
        Seed of the split, an integer >= 0.
    fractions : sequence of 3 floats, default (0.6, 0.2, 0.2)
        Shares of the training, validation and test parts: each > 0, summing
        to 1 within 1e-9, rounded per class as in :func:`stratified_split`.
    scaled : bool, default True
        ``False`` leaves the raw pixel counts 0..16 (and returns ``mean`` of
        zeros and ``scale`` of ones).

    Returns
    -------
    DigitsSplit
        ``(X_train, y_train, X_val, y_val, X_test, y_test, mean, scale)``,
        every array read-only. Rows of each part are in file order.

    Raises
    ------
    TypeError
        If ``seed`` is not an integer or ``scaled`` not a bool.
    ValueError
        If ``seed`` < 0 or ``fractions`` is out of range or not of length 3.

    Notes
    -----
    Pixels 0, 32 and 39 are 0 in every image, so they are constant in every
    training part and map to 0 everywhere. For some seeds a pixel that is
    almost never used (pixel 56 is non-zero in a single image) is also
    constant, all 0, in the training part; it then keeps scale 1, so its
    validation or test entries stay raw counts. With the default fractions
    the parts hold 1078, 362 and 357 images for every seed (the rounding
    does not depend on it); equal remainders favour the validation part.

    Examples
    --------
    >>> s = load_digits_split(seed=0)
    >>> s.X_train.shape, s.X_val.shape, s.X_test.shape
    ((1078, 64), (362, 64), (357, 64))
    >>> np.bincount(s.y_train).tolist()
    [107, 109, 106, 110, 109, 109, 109, 107, 104, 108]
    >>> round(float(np.abs(s.X_train.mean(axis=0)).max()), 12), float(s.scale[0])
    (0.0, 1.0)
    >>> s.X_train.flags.writeable
    False
    """
    seed = check_int("seed", seed, low=0)
    f = _check_fractions(fractions, n_parts=3)
    scaled = check_bool("scaled", scaled)
    X, y = load_digits()
    train, val, test = stratified_split(y, f, rng=np.random.default_rng(seed))
    if scaled:
        mean, scale = fit_standardizer(X[train])
    else:
        mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
    arrays = []
    for idx in (train, val, test):
        arrays += [apply_standardizer(X[idx], mean, scale), y[idx]]
    out = DigitsSplit(*arrays, mean, scale)
    for arr in out:
        arr.setflags(write=False)
    return out
