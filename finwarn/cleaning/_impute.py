"""Missing-value imputation fitted on training data (paper 001)."""

from __future__ import annotations

import logging
import warnings
import zlib
from numbers import Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from finwarn._text import preview
from finwarn._validation import is_valid_float_array

__all__ = ["Imputer"]

logger = logging.getLogger(__name__)

_SEED_BOUND = 2**32


class Imputer(TransformerMixin, BaseEstimator):
    """Fill missing indicators with statistics of the training data.

    Parameters
    ----------
    strategy : {"median", "mean_noise"}, default="median"
        ``"median"`` fills a missing value with the column's training median.
        ``"mean_noise"`` is paper 001's fill from the indicator's distribution:
        the column's training mean plus uniform noise within
        ``± noise * standard deviation``.
    noise : float, default=0.1
        Half-width of the uniform noise in training standard deviations; only
        used by ``"mean_noise"``.
    add_indicator : bool, default=False
        Append one 0/1 column ``<name>_missing`` for each column that had missing
        values in training. Missingness itself can carry information (a firm
        that cannot report a ratio is often a firm in trouble).
    random_state : int, RandomState instance or None, default=None
        Seeds the noise of ``"mean_noise"``. The noise of a row depends only on
        the fitted seed and the row itself, so a company gets the same fill
        whichever other rows are transformed with it.

    Attributes
    ----------
    statistics_ : ndarray of shape (n_features_in_,)
        Fill value per column (median or mean). A column with no value in the
        training data gets 0.0.
    scale_ : ndarray of shape (n_features_in_,)
        Training standard deviation per column (0.0 for empty columns).
    empty_features_ : list of str
        Columns that were entirely missing in training.
    indicator_features_ : ndarray of int
        Columns with missing training values, for which ``add_indicator`` adds a flag.
    noise_seed_ : int
        Seed drawn from ``random_state`` at fit time.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in ``fit``, when ``X`` was a DataFrame with string names.

    Examples
    --------
    >>> import numpy as np
    >>> from finwarn.cleaning import Imputer
    >>> X_train = np.array([[1.0], [2.0], [10.0]])
    >>> Imputer().fit(X_train).transform(np.array([[np.nan], [5.0]]))
    array([[2.],
           [5.]])
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "strategy": [StrOptions({"median", "mean_noise"})],
        "noise": [Interval(Real, 0, None, closed="left")],
        "add_indicator": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        strategy: str = "median",
        noise: float = 0.1,
        add_indicator: bool = False,
        random_state=None,
    ) -> None:
        self.strategy = strategy
        self.noise = noise
        self.add_indicator = add_indicator
        self.random_state = random_state

    def fit(self, X, y=None) -> Imputer:
        """Learn the fill value (and spread) of every column from ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training indicators; NaN marks a missing value.
        y : None
            Ignored.

        Returns
        -------
        self : Imputer
            The fitted transformer.
        """
        self._validate_params()
        X = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        missing = np.isnan(X)
        empty = missing.all(axis=0)
        with warnings.catch_warnings():
            # all-NaN columns warn "Mean of empty slice"; they are handled below
            warnings.simplefilter("ignore", RuntimeWarning)
            if self.strategy == "median":
                statistics = np.nanmedian(X, axis=0)
            else:
                statistics = np.nanmean(X, axis=0)
            scale = np.nanstd(X, axis=0)
        self.statistics_ = np.where(empty, 0.0, statistics)
        self.scale_ = np.where(empty, 0.0, scale)
        names = _check_feature_names_in(self)
        self.empty_features_ = [str(n) for n in names[empty]]
        if self.empty_features_:
            logger.warning(
                "%d column(s) have no value in the training data and are filled with 0: %s",
                len(self.empty_features_),
                preview(self.empty_features_),
            )
        self.indicator_features_ = np.flatnonzero(missing.any(axis=0))
        self.noise_seed_ = int(check_random_state(self.random_state).randint(_SEED_BOUND))
        return self

    def transform(self, X):
        """Fill the missing values of ``X`` with the training statistics.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Indicators with NaN for missing values.

        Returns
        -------
        X_filled : ndarray of shape (n_samples, n_features_out)
            ``X`` without missing values, followed by the missing-value flags
            when ``add_indicator`` is true.
        """
        check_is_fitted(self)
        if is_valid_float_array(self, X, allow_nan=True):
            X = X.copy(order="K")
        else:
            X = validate_data(
                self, X, ensure_all_finite="allow-nan", dtype=np.float64, copy=True, reset=False
            )
        missing = np.isnan(X)
        rows, cols = np.nonzero(missing)
        fill = self.statistics_[cols]
        if self.strategy == "mean_noise" and self.noise > 0 and rows.size:
            fill = fill + self._noise(X, rows) * self.noise * self.scale_[cols]
        X[rows, cols] = fill
        if self.add_indicator:
            flags = missing[:, self.indicator_features_].astype(np.float64)
            X = np.hstack([X, flags])
        return X

    def _noise(self, X: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Uniform noise in [-1, 1] per missing cell, seeded by the fit seed and the row."""
        noise = np.empty(rows.size)
        # rows from np.nonzero are sorted, so each row's cells form one block
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        ends = np.r_[starts[1:], rows.size]
        for start, end in zip(starts, ends, strict=True):
            row_key = zlib.crc32(np.ascontiguousarray(X[rows[start]]).tobytes())
            rng = np.random.default_rng([self.noise_seed_, row_key])
            noise[start:end] = rng.uniform(-1.0, 1.0, size=end - start)
        return noise

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Output column names: the input names, then ``<name>_missing`` flags.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; defaults to ``feature_names_in_`` or ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str
            Names of the transformed columns.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        if not self.add_indicator:
            return names
        flags = np.array([f"{n}_missing" for n in names[self.indicator_features_]], dtype=object)
        return np.concatenate([names, flags])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
