"""The cleaning pipeline of paper 001 as one scikit-learn Pipeline."""

from __future__ import annotations

from sklearn.pipeline import Pipeline

from finwarn._text import did_you_mean
from finwarn.cleaning._impute import Imputer
from finwarn.cleaning._scale import IndicatorScaler
from finwarn.cleaning._sparse import DropSparseColumns
from finwarn.cleaning._winsorize import Winsorizer

__all__ = ["make_cleaner"]

_IMPUTERS = ("median", "mean_noise")
_SCALERS = ("minmax", "standard", "quantile")


def make_cleaner(
    *,
    max_feature_missing: float = 0.3,
    imputer: str | None = "median",
    missing_indicator: bool = False,
    winsorize: tuple[float, float] | None = (0.01, 0.99),
    scaler: str | None = "minmax",
    random_state=None,
) -> Pipeline:
    """Compose the cleaning steps, each fitted on training data only.

    The steps run in this order: drop sparse indicators, winsorize, impute,
    scale. Winsorizing comes before imputing so that a mean fill is not pulled
    by extreme ratios.

    Parameters
    ----------
    max_feature_missing : float, default=0.3
        ``max_missing`` of :class:`DropSparseColumns` (paper 001: 30%).
    imputer : {"median", "mean_noise"} or None, default="median"
        Strategy of :class:`Imputer`; None keeps missing values (for models that
        handle them, such as LightGBM).
    missing_indicator : bool, default=False
        Append a 0/1 flag per column that had missing training values
        (``add_indicator`` of :class:`Imputer`); needs an imputer.
    winsorize : tuple of (float, float) or None, default=(0.01, 0.99)
        Lower and upper quantiles of :class:`Winsorizer`; None skips the step.
    scaler : {"minmax", "standard", "quantile"} or None, default="minmax"
        ``method`` of :class:`IndicatorScaler`; None skips the step.
    random_state : int, RandomState instance or None, default=None
        Seeds the stochastic steps (``mean_noise`` imputation, quantile subsampling).

    Returns
    -------
    cleaner : sklearn.pipeline.Pipeline
        Steps named ``drop_sparse``, ``winsorize``, ``impute`` and ``scale``
        (skipped steps are left out).

    Raises
    ------
    ValueError
        If ``imputer`` or ``scaler`` is unknown, or ``missing_indicator`` is set
        without an imputer.

    Examples
    --------
    >>> import numpy as np
    >>> from finwarn.cleaning import make_cleaner
    >>> X = np.array([[1.0, np.nan], [2.0, 5.0], [3.0, 7.0], [4.0, 6.0]])
    >>> make_cleaner(winsorize=None).fit_transform(X)
    array([[0.        , 0.5       ],
           [0.33333333, 0.        ],
           [0.66666667, 1.        ],
           [1.        , 0.5       ]])
    """
    if imputer is not None and imputer not in _IMPUTERS:
        raise ValueError(
            f"Unknown imputer {imputer!r}; use one of {', '.join(_IMPUTERS)} or None."
            + did_you_mean(str(imputer), _IMPUTERS)
        )
    if scaler is not None and scaler not in _SCALERS:
        raise ValueError(
            f"Unknown scaler {scaler!r}; use one of {', '.join(_SCALERS)} or None."
            + did_you_mean(str(scaler), _SCALERS)
        )
    if missing_indicator and imputer is None:
        raise ValueError(
            "missing_indicator=True needs an imputer; set imputer='median' or "
            "missing_indicator=False."
        )
    steps: list[tuple[str, object]] = [
        ("drop_sparse", DropSparseColumns(max_missing=max_feature_missing))
    ]
    if winsorize is not None:
        lower, upper = winsorize
        steps.append(("winsorize", Winsorizer(lower=lower, upper=upper)))
    if imputer is not None:
        steps.append(
            (
                "impute",
                Imputer(
                    strategy=imputer, add_indicator=missing_indicator, random_state=random_state
                ),
            )
        )
    if scaler is not None:
        steps.append(("scale", IndicatorScaler(method=scaler, random_state=random_state)))
    return Pipeline(steps)
