"""Scaling fitted on training data: min-max (paper 001), standard or quantile."""

from __future__ import annotations

from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.preprocessing import MinMaxScaler, QuantileTransformer, StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["IndicatorScaler"]


class IndicatorScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Scale every column with statistics of the training data.

    A thin, NaN-tolerant front for scikit-learn's scalers, so that a cleaning
    pipeline names its scaling by one parameter.

    Parameters
    ----------
    method : {"minmax", "standard", "quantile"}, default="minmax"
        ``"minmax"`` maps the training range to [0, 1] as in paper 001 (new
        values outside the range are clipped). ``"standard"`` removes the mean
        and divides by the standard deviation. ``"quantile"`` maps each column
        through its training quantiles to ``output_distribution``, which is
        robust to the heavy tails of financial ratios.
    output_distribution : {"normal", "uniform"}, default="normal"
        Target distribution of ``"quantile"``.
    n_quantiles : int, default=1000
        Number of quantiles of ``"quantile"``; capped at the number of training rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the subsampling of ``"quantile"`` on more than 10,000 rows.

    Attributes
    ----------
    scaler_ : MinMaxScaler, StandardScaler or QuantileTransformer
        The fitted scikit-learn scaler.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in ``fit``, when ``X`` was a DataFrame with string names.

    Examples
    --------
    >>> import numpy as np
    >>> from finwarn.cleaning import IndicatorScaler
    >>> X = np.array([[0.0], [5.0], [10.0]])
    >>> IndicatorScaler().fit(X).transform(np.array([[2.5], [20.0]]))
    array([[0.25],
           [1.  ]])
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "method": [StrOptions({"minmax", "standard", "quantile"})],
        "output_distribution": [StrOptions({"normal", "uniform"})],
        "n_quantiles": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        method: str = "minmax",
        output_distribution: str = "normal",
        n_quantiles: int = 1000,
        random_state=None,
    ) -> None:
        self.method = method
        self.output_distribution = output_distribution
        self.n_quantiles = n_quantiles
        self.random_state = random_state

    def fit(self, X, y=None) -> IndicatorScaler:
        """Fit the scaler on ``X``, ignoring missing values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training indicators; NaN marks a missing value.
        y : None
            Ignored.

        Returns
        -------
        self : IndicatorScaler
            The fitted transformer.
        """
        self._validate_params()
        X = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        if self.method == "minmax":
            scaler = MinMaxScaler(clip=True)
        elif self.method == "standard":
            scaler = StandardScaler()
        else:
            scaler = QuantileTransformer(
                n_quantiles=min(self.n_quantiles, X.shape[0]),
                output_distribution=self.output_distribution,
                random_state=self.random_state,
            )
        self.scaler_ = scaler.fit(X)
        return self

    def transform(self, X):
        """Scale ``X`` with the training statistics; missing values stay missing.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Indicators to scale.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features_in_)
            The scaled indicators.
        """
        check_is_fitted(self)
        X = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False)
        return self.scaler_.transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
