r"""A real data set shipped with the package, and feature standardisation.

The synthetic regression data of the source articles is
:func:`lrtutor.problems.make_linear_data`. For the feature-scaling and
conditioning section of the case study the book needs a real design matrix
whose columns have very different scales: the diabetes data of Efron, Hastie,
Johnstone & Tibshirani (2004), copied from scikit-learn (BSD-3) into
``lrtutor/datasets/`` (see the README there). Nothing is downloaded at run time.
"""

from __future__ import annotations

import pathlib

import numpy as np

from lrtutor._validate import check_array, check_bool

__all__ = ["DIABETES_FEATURES", "load_diabetes", "standardize"]

_HERE = pathlib.Path(__file__).resolve().parent / "datasets"

#: Column names of the diabetes features, in file order.
DIABETES_FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")


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
