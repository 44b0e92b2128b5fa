"""Hyperparameter search with a time budget, as an estimator (so it nests in evaluation)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import _safe_indexing, get_tags, indexable
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from finwarn._text import did_you_mean

__all__ = ["TunedClassifier", "check_space"]

logger = logging.getLogger(__name__)

_KINDS = ("int", "float", "categorical")


def check_space(space: Mapping[str, Mapping[str, Any]], estimator=None) -> None:
    """Check a search space; raise ``ValueError`` naming the faulty parameter.

    Parameters
    ----------
    space : mapping of str to mapping
        Parameter name (as ``set_params`` takes it, e.g. ``model__learning_rate``) to
        ``{"type": "int" | "float", "low": ..., "high": ..., "log": bool}`` or
        ``{"type": "categorical", "choices": [...]}``.
    estimator : estimator, optional
        When given, every parameter must be one of its ``get_params()``.
    """
    if not space:
        raise ValueError("the search space is empty: give at least one parameter to tune.")
    known = set(estimator.get_params()) if estimator is not None else None
    for name, spec in space.items():
        if known is not None and name not in known:
            raise ValueError(
                f"search space parameter {name!r} is not a parameter of "
                f"{type(estimator).__name__}." + did_you_mean(name, known)
            )
        kind = spec.get("type")
        if kind not in _KINDS:
            raise ValueError(
                f"search space parameter {name!r}: type must be one of {', '.join(_KINDS)}, "
                f"got {kind!r}."
            )
        if kind == "categorical":
            if not spec.get("choices"):
                raise ValueError(f"search space parameter {name!r}: give a non-empty 'choices'.")
        elif not spec.get("low", 0) < spec.get("high", 0):
            raise ValueError(
                f"search space parameter {name!r}: needs low < high, got "
                f"low={spec.get('low')!r}, high={spec.get('high')!r}."
            )
        elif spec.get("log") and spec["low"] <= 0:
            raise ValueError(
                f"search space parameter {name!r}: a log scale needs low > 0, got "
                f"low={spec['low']!r}."
            )


def _suggest(trial, name: str, spec: Mapping[str, Any]):
    if spec["type"] == "int":
        return trial.suggest_int(name, spec["low"], spec["high"], log=spec.get("log", False))
    if spec["type"] == "float":
        return trial.suggest_float(name, spec["low"], spec["high"], log=spec.get("log", False))
    return trial.suggest_categorical(name, list(spec["choices"]))


def _within(value: Any, spec: Mapping[str, Any]) -> bool:
    """Whether ``value`` is a point of the space ``spec``, so it can be a trial's value."""
    if spec["type"] == "categorical":
        return any(value is choice or value == choice for choice in spec["choices"])
    if isinstance(value, bool) or not isinstance(value, Real):
        return False  # e.g. SVC's gamma="scale" in a numeric range
    if spec["type"] == "int" and not float(value).is_integer():
        return False
    return bool(spec["low"] <= value <= spec["high"])


class TunedClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Tune a classifier's hyperparameters within a time budget, then refit it on all rows.

    The search (Optuna's TPE sampler) scores each candidate by the mean ROC-AUC over
    stratified folds of the rows given to ``fit``, starting from the estimator's own
    settings, so the result is never worse than the defaults on those folds. A default
    that is not a point of the space (``gamma="scale"`` for a numeric range of ``gamma``)
    cannot be a trial's value and is left to the sampler in that first trial. Inside
    :func:`finwarn.evaluation.cross_validate` the search therefore sees only the training
    fold: the reported figure is not the tuning figure (nested evaluation).

    Parameters
    ----------
    estimator : classifier
        The model to tune, e.g. ``make_model("lightgbm")``.
    space : mapping of str to mapping
        The parameters to search (see :func:`check_space`); e.g.
        :data:`finwarn.models.SEARCH_SPACES` ``["lightgbm"]``.
    budget_seconds : float, default=60.0
        Time for the search. A candidate that starts before the budget runs out is
        finished, so the search may overrun by one candidate.
    max_trials : int or None, default=None
        Stop after this many candidates even if time is left.
    cv : int, default=3
        Inner stratified folds per candidate.
    random_state : int or None, default=None
        Seeds the inner folds, the sampler and the estimator.

    Attributes
    ----------
    estimator_ : classifier
        The estimator with the best parameters, refitted on all rows.
    best_params_ : dict
        The best parameters found.
    best_score_ : float
        Their mean inner ROC-AUC.
    trials_ : pandas.DataFrame
        Every candidate: ``number``, ``roc_auc``, ``seconds`` and its parameters.
    classes_ : ndarray of shape (2,)

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from finwarn.datasets import make_demo_panel
    >>> panel = make_demo_panel(n_firms=100, n_years=3, random_state=0)
    >>> panel = panel[panel["label"].notna()]
    >>> ratios = panel[["net_income", "total_liabilities"]].div(panel["total_assets"], axis=0)
    >>> X, y = ratios.fillna(0), panel["label"].astype(int)
    >>> space = {"C": {"type": "float", "low": 0.01, "high": 10.0, "log": True}}
    >>> tuned = TunedClassifier(LogisticRegression(), space=space, max_trials=3,
    ...                         random_state=0).fit(X, y)
    >>> len(tuned.trials_)
    3
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [object],
        "space": [dict],
        "budget_seconds": [Interval(Real, 0, None, closed="neither")],
        "max_trials": [Interval(Integral, 1, None, closed="left"), None],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        *,
        space,
        budget_seconds=60.0,
        max_trials=None,
        cv=3,
        random_state=None,
    ):
        self.estimator = estimator
        self.space = space
        self.budget_seconds = budget_seconds
        self.max_trials = max_trials
        self.cv = cv
        self.random_state = random_state

    def __sklearn_tags__(self):
        # the input is the tuned estimator's: missing values and sparse matrices are
        # allowed when it allows them
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator).input_tags
        tags.input_tags.allow_nan = inner.allow_nan
        tags.input_tags.sparse = inner.sparse
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X, y):
        """Search the space on inner folds of ``X``, then refit the best on all of it."""
        import optuna

        self._validate_params()
        check_space(self.space, self.estimator)
        # lists and other sequences become indexable, as in scikit-learn's cross_validate
        X, y = indexable(X, y)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(
                "Only binary classification is supported: TunedClassifier needs exactly two "
                "classes (distressed and healthy); got "
                f"{len(self.classes_)} class(es): {self.classes_[:5].tolist()}."
            )
        positive = (y == self.classes_[1]).astype(int)
        folds = min(self.cv, int(positive.sum()), int(len(y) - positive.sum()))
        if folds < 2:
            raise ValueError(
                "tuning needs at least 2 rows of each class for its inner folds; the smaller "
                f"class has {min(int(positive.sum()), int(len(y) - positive.sum()))}."
            )
        seed = int(self.random_state) if isinstance(self.random_state, Integral) else None
        splits = list(
            StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(
                np.zeros(len(y)), y
            )
        )
        records: list[dict[str, Any]] = []

        def objective(trial) -> float:
            params = {name: _suggest(trial, name, spec) for name, spec in self.space.items()}
            start = time.perf_counter()
            scores = []
            for train, test in splits:
                model = clone(self.estimator).set_params(**params)
                model.fit(_safe_indexing(X, train), y[train])
                proba = model.predict_proba(_safe_indexing(X, test))
                column = int(np.flatnonzero(model.classes_ == self.classes_[1])[0])
                scores.append(roc_auc_score(positive[test], proba[:, column]))
            value = float(np.mean(scores))
            records.append(
                {
                    "number": trial.number,
                    "roc_auc": value,
                    "seconds": time.perf_counter() - start,
                    **params,
                }
            )
            logger.info("trial %d: ROC-AUC %.4f %s", trial.number, value, params)
            return value

        verbosity = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            study = optuna.create_study(
                direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed)
            )
            defaults = self.estimator.get_params()
            first = {
                name: defaults[name]
                for name, spec in self.space.items()
                if _within(defaults[name], spec)
            }
            if len(first) < len(self.space):
                logger.info(
                    "defaults outside the search space, sampled in the first trial: %s",
                    {name: defaults[name] for name in self.space if name not in first},
                )
            if first:
                study.enqueue_trial(first, skip_if_exists=True)
            started = time.perf_counter()
            study.optimize(objective, n_trials=self.max_trials, timeout=self.budget_seconds)
        finally:
            optuna.logging.set_verbosity(verbosity)
        self.search_seconds_ = time.perf_counter() - started
        self.best_params_ = dict(study.best_params)
        self.best_score_ = float(study.best_value)
        self.trials_ = pd.DataFrame.from_records(records)
        logger.info(
            "search: %d candidates in %.0f s, best inner ROC-AUC %.4f with %s",
            len(records),
            self.search_seconds_,
            self.best_score_,
            self.best_params_,
        )
        self.estimator_ = clone(self.estimator).set_params(**self.best_params_).fit(X, y)
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of the refitted best estimator."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        """Decisions of the refitted best estimator."""
        check_is_fitted(self)
        return self.estimator_.predict(X)
