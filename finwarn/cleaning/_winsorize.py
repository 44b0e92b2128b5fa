"""Outlier handling: clip each indicator at quantiles fitted on training data."""

from __future__ import annotations

import warnings
from numbers import Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from finwarn._validation import is_valid_float_array

__all__ = ["Winsorizer"]


class Winsorizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clip every column at its training quantiles.

    Financial ratios have extreme values from near-zero denominators (the
    Polish data reach 3e7 where the median is 95); clipping them keeps a few
    firms from dominating scaling and training. Missing values are ignored
    when the quantiles are fitted and stay missing.

    Parameters
    ----------
    lower : float, default=0.01
        Quantile (in ``[0, 1)``) of the lower clipping bound.
    upper : float, default=0.99
        Quantile (in ``(0, 1]``) of the upper clipping bound; must exceed ``lower``.

    Attributes
    ----------
    lower_bounds_ : ndarray of shape (n_features_in_,)
        Lower bound per column (``-inf`` for a column with no training value).
    upper_bounds_ : ndarray of shape (n_features_in_,)
        Upper bound per column (``+inf`` for a column with no training value).
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in ``fit``, when ``X`` was a DataFrame with string names.

    Examples
    --------
    >>> import numpy as np
    >>> from finwarn.cleaning import Winsorizer
    >>> X = np.arange(11.0).reshape(-1, 1)
    >>> Winsorizer(lower=0.1, upper=0.9).fit(X).transform(np.array([[-50.0], [5.0], [50.0]]))
    array([[1.],
           [5.],
           [9.]])
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "lower": [Interval(Real, 0, 1, closed="both")],
        "upper": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, *, lower: float = 0.01, upper: float = 0.99) -> None:
        self.lower = lower
        self.upper = upper

    def fit(self, X, y=None) -> Winsorizer:
        """Fit the clipping bounds on ``X``, ignoring missing values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training indicators; NaN marks a missing value.
        y : None
            Ignored.

        Returns
        -------
        self : Winsorizer
            The fitted transformer.

        Raises
        ------
        ValueError
            If ``lower`` is not smaller than ``upper``.
        """
        self._validate_params()
        if self.lower >= self.upper:
            raise ValueError(
                f"Winsorizer needs lower < upper, got lower={self.lower} and "
                f"upper={self.upper}; for example lower=0.01, upper=0.99."
            )
        X = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        with warnings.catch_warnings():
            # all-NaN columns warn "All-NaN slice encountered"; they get infinite bounds
            warnings.simplefilter("ignore", RuntimeWarning)
            bounds = np.nanquantile(X, [self.lower, self.upper], axis=0)
        self.lower_bounds_ = np.where(np.isnan(bounds[0]), -np.inf, bounds[0])
        self.upper_bounds_ = np.where(np.isnan(bounds[1]), np.inf, bounds[1])
        return self

    def transform(self, X):
        """Clip ``X`` at the training bounds; missing values stay missing.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Indicators to clip.

        Returns
        -------
        X_clipped : ndarray of shape (n_samples, n_features_in_)
            The clipped indicators.
        """
        check_is_fitted(self)
        if not is_valid_float_array(self, X, allow_nan=True):
            X = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False)
        return np.clip(X, self.lower_bounds_, self.upper_bounds_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
