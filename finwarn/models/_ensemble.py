"""An averaging ensemble: several classifiers' probabilities of distress, averaged."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import expit, logit
from sklearn.base import ClassifierMixin, clone
from sklearn.ensemble._base import _BaseHeterogeneousEnsemble
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

__all__ = ["AveragingEnsemble"]

# Probabilities are clipped away from 0 and 1 before their log-odds are taken.
_EPS = 1e-6


class AveragingEnsemble(ClassifierMixin, _BaseHeterogeneousEnsemble):
    """Average the probability of distress of several binary classifiers.

    Each member is fitted on the same rows; ``predict_proba`` averages the members'
    probabilities, by default on the log-odds scale. Averaging log-odds keeps a member
    that is confident (a class-weighted network, whose probabilities crowd near 0 and 1)
    from being flattened by members whose probabilities follow the base rate, and it
    ranks the same firms first when every member agrees. Wrap the ensemble in a
    :class:`~finwarn.warning.WarningClassifier` for calibrated probabilities and levels.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The members, each a binary classifier with ``predict_proba``; names must be
        unique. A member set to ``"drop"`` is left out.
    average : {"logit", "proba"}, default="logit"
        Average the members' log-odds, or their probabilities (scikit-learn's soft
        voting).
    weights : array-like of float or None, default=None
        One weight per member (after dropping); equal weights by default.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members, in order (without dropped ones).
    named_estimators_ : dict
        Fitted members by name.
    classes_ : ndarray of shape (2,)
        The class labels.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = [[0.0], [0.2], [0.4], [0.6], [0.8], [1.0]]
    >>> y = [0, 0, 0, 1, 1, 1]
    >>> ensemble = AveragingEnsemble(
    ...     [("logit", LogisticRegression()), ("tree", DecisionTreeClassifier(max_depth=1))]
    ... ).fit(X, y)
    >>> ensemble.predict([[0.1], [0.9]]).tolist()
    [0, 1]
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimators": [list],
        "average": [StrOptions({"logit", "proba"})],
        "weights": ["array-like", None],
    }

    def __init__(self, estimators, *, average="logit", weights=None):
        super().__init__(estimators=estimators)
        self.average = average
        self.weights = weights

    def __sklearn_tags__(self):
        # missing values and sparse input are allowed when every member allows them
        # (decided by the base class)
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X, y):
        """Fit every member on ``X`` and ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Two classes; the larger label is distress.
        """
        self._validate_params()
        all_names, all_members = self._validate_estimators()
        kept = [(n, m) for n, m in zip(all_names, all_members, strict=True) if m != "drop"]
        names = [name for name, _ in kept]
        members = [member for _, member in kept]
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes = np.unique(y)
        if type_of_target(y) != "binary" or len(classes) != 2:
            raise ValueError(
                "Only binary classification is supported: AveragingEnsemble needs exactly two "
                "classes (distressed and healthy); got "
                f"{len(classes)} class(es): {classes[:5].tolist()}."
            )
        if self.weights is not None and len(self.weights) != len(members):
            raise ValueError(
                f"weights has {len(self.weights)} value(s) for {len(members)} member(s) "
                f"({', '.join(names)}); give one weight per member that is not dropped."
            )
        self.classes_ = classes
        self.estimators_ = [clone(member).fit(X, y) for member in members]
        self.named_estimators_ = dict(zip(names, self.estimators_, strict=True))
        first = self.estimators_[0]
        if hasattr(first, "n_features_in_"):
            self.n_features_in_ = first.n_features_in_
        if hasattr(first, "feature_names_in_"):
            self.feature_names_in_ = first.feature_names_in_
        return self

    def member_proba(self, X) -> np.ndarray:
        """Each member's probability of distress, one column per member."""
        check_is_fitted(self)
        columns = []
        for member in self.estimators_:
            proba = member.predict_proba(X)
            index = int(np.flatnonzero(member.classes_ == self.classes_[1])[0])
            columns.append(proba[:, index])
        return np.column_stack(columns)

    def predict_proba(self, X) -> np.ndarray:
        """The members' averaged probabilities, columns ordered as ``classes_``."""
        members = self.member_proba(X)
        if self.average == "logit":
            positive = expit(
                np.average(logit(np.clip(members, _EPS, 1 - _EPS)), axis=1, weights=self.weights)
            )
        else:
            positive = np.average(members, axis=1, weights=self.weights)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X) -> np.ndarray:
        """The more probable class."""
        proba = self.predict_proba(X)  # checks that the ensemble is fitted
        return self.classes_[np.argmax(proba, axis=1)]
