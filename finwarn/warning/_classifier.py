"""A calibrated warning model: any classifier, calibrated out of fold, with warning levels."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from finwarn.warning._config import WarningConfig, load_warning_config

__all__ = ["WarningClassifier", "level_cutoffs"]

logger = logging.getLogger(__name__)

# Scores are clipped away from 0 and 1 before the logit of Platt scaling.
_EPS = 1e-6


def level_cutoffs(config: WarningConfig, base_rate: float) -> np.ndarray:
    """Probability cut-offs between warning levels for a training base rate.

    Parameters
    ----------
    config : WarningConfig
        The cut-off mode and values.
    base_rate : float
        Share of distressed rows in the training data.

    Returns
    -------
    numpy.ndarray
        One increasing probability per level above the lowest.

    Examples
    --------
    >>> cfg = load_warning_config()
    >>> level_cutoffs(cfg, 0.05).round(3).tolist()
    [0.05, 0.136, 0.345]
    """
    values = np.asarray(config.cutoffs.values, dtype=float)
    if config.cutoffs.mode == "probability":
        return values
    if not 0.0 < base_rate < 1.0:
        raise ValueError(f"base rate must lie strictly between 0 and 1, got {base_rate}")
    odds = values * base_rate / (1.0 - base_rate)
    return odds / (1.0 + odds)


class WarningClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Turn any binary classifier into calibrated probabilities and warning levels.

    ``fit`` gets out-of-fold scores of ``estimator`` on the training data (stratified
    folds), fits an isotonic or Platt calibrator on them, refits ``estimator`` on all
    the training data and sets the level cut-offs from the training base rate. The
    out-of-fold probabilities are kept (``oof_proba_``) for honest training metrics.

    Parameters
    ----------
    estimator : classifier, default=None
        A scikit-learn classifier with ``predict_proba`` (usually a finwarn pipeline
        from :func:`finwarn.models.make_model`). ``None`` uses ``make_model("logit")``.
    config : WarningConfig, default=None
        Levels, cut-offs, alert level and calibration; ``None`` uses the packaged
        defaults (``finwarn/warning/defaults.yaml``).
    random_state : int or None, default=None
        Seeds the calibration folds.

    Attributes
    ----------
    estimator_ : classifier
        ``estimator`` refitted on all the training data.
    calibrator_ : IsotonicRegression or LogisticRegression
        Maps the estimator's score to a probability of distress.
    classes_ : ndarray of shape (2,)
        The two labels; ``classes_[1]`` is distress.
    base_rate_ : float
        Share of ``classes_[1]`` in the training data.
    cutoffs_ : ndarray
        Probability cut-offs between levels.
    oof_score_, oof_proba_ : ndarray
        Out-of-fold raw scores and calibrated probabilities of the training rows.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=400, weights=[0.9], random_state=0)
    >>> model = WarningClassifier(random_state=0).fit(X, y)
    >>> model.predict_level(X[:3]).tolist()
    ['none', 'none', 'light']
    """

    _parameter_constraints: dict[str, list[Any]] = {  # noqa: RUF012 - sklearn convention
        "estimator": [None, HasMethods(["fit", "predict_proba"])],
        "config": [None, WarningConfig],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, *, config=None, random_state=None):
        self.estimator = estimator
        self.config = config
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        return tags

    def _config(self) -> WarningConfig:
        return self.config if self.config is not None else load_warning_config()

    def _base_estimator(self):
        if self.estimator is not None:
            return self.estimator
        from finwarn.models import make_model

        return make_model("logit", random_state=self.random_state)

    def fit(self, X, y):
        """Fit the estimator, the calibrator and the level cut-offs.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Features; NaN is passed on to the estimator.
        y : array-like of shape (n_samples,)
            Two classes; the larger label (e.g. 1) is distress.
        """
        self._validate_params()
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, skip_check_array=True)
        else:
            X = validate_data(self, X, ensure_all_finite="allow-nan")
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes = np.unique(y)
        if type_of_target(y) != "binary" or len(classes) != 2:
            raise ValueError(
                "Only binary classification is supported: WarningClassifier needs exactly two "
                f"classes (distressed and healthy); got {len(classes)} class(es): "
                f"{classes[:5].tolist()}."
            )
        self.classes_ = np.unique(y)
        positive = y == self.classes_[1]
        config = self._config()
        n_minority = int(min(positive.sum(), (~positive).sum()))
        folds = min(config.calibration.folds, n_minority)
        if folds < 2:
            raise ValueError(
                f"each class needs at least 2 rows to calibrate out of fold; the smaller "
                f"class has {n_minority}."
            )
        if folds < config.calibration.folds:
            logger.warning(
                "only %d rows in the smaller class: calibrating on %d folds instead of %d",
                n_minority,
                folds,
                config.calibration.folds,
            )
        base = self._base_estimator()
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        logger.info("calibration: %d out-of-fold fits of %s", folds, type(base).__name__)
        oof = cross_val_predict(clone(base), X, y, cv=cv, method="predict_proba")[:, 1]
        self.calibrator_ = self._fit_calibrator(oof, positive, config.calibration.method)
        logger.info("fitting %s on all %d training rows", type(base).__name__, len(y))
        self.estimator_ = clone(base).fit(X, y)
        self.oof_score_ = oof
        self.oof_proba_ = self._calibrate(oof)
        self.base_rate_ = float(positive.mean())
        self.cutoffs_ = level_cutoffs(config, self.base_rate_)
        self.levels_ = np.asarray(config.levels, dtype=object)
        self.alert_index_ = int(config.levels.index(config.alert_level))
        return self

    @staticmethod
    def _fit_calibrator(score: np.ndarray, positive: np.ndarray, method: str):
        if method == "isotonic":
            return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
                score, positive.astype(float)
            )
        logit = np.log(np.clip(score, _EPS, 1 - _EPS) / (1 - np.clip(score, _EPS, 1 - _EPS)))
        return LogisticRegression(C=1e6).fit(logit.reshape(-1, 1), positive.astype(int))

    def _calibrate(self, score: np.ndarray) -> np.ndarray:
        if isinstance(self.calibrator_, IsotonicRegression):
            return np.clip(self.calibrator_.predict(score), 0.0, 1.0)
        clipped = np.clip(score, _EPS, 1 - _EPS)
        logit = np.log(clipped / (1 - clipped))
        # Platt scaling: the calibrator's predict_proba is expit(coef * logit + intercept);
        # written out, as its input checks cost 0.1 ms when one firm is scored
        return expit(logit * self.calibrator_.coef_[0, 0] + self.calibrator_.intercept_[0])

    def _check_X(self, X):
        check_is_fitted(self)
        if isinstance(X, pd.DataFrame):
            # columns named as in fit need no further check (the estimator checks the
            # values); scikit-learn's check of the names costs 0.1 ms a call
            names = getattr(self, "feature_names_in_", None)
            if names is None or X.columns.tolist() != names.tolist():
                validate_data(self, X, skip_check_array=True, reset=False)
            return X
        return validate_data(self, X, ensure_all_finite="allow-nan", reset=False)

    def score_raw(self, X) -> np.ndarray:
        """The estimator's uncalibrated score of distress (used to break ties in ranks)."""
        X = self._check_X(X)
        return self.estimator_.predict_proba(X)[:, 1]

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities, columns ordered as ``classes_``."""
        p = self._calibrate(self.score_raw(X))
        return np.column_stack([1.0 - p, p])

    def level_index(self, proba: np.ndarray) -> np.ndarray:
        """Level number (0 = lowest) of each probability of distress."""
        check_is_fitted(self)
        return np.searchsorted(self.cutoffs_, np.asarray(proba, dtype=float), side="right")

    def predict_level(self, X) -> np.ndarray:
        """Warning level name of each row."""
        return self.levels_[self.level_index(self.predict_proba(X)[:, 1])]

    def predict(self, X) -> np.ndarray:
        """Distress (``classes_[1]``) for rows at or above the alert level."""
        alert = self.level_index(self.predict_proba(X)[:, 1]) >= self.alert_index_
        return self.classes_[alert.astype(int)]
