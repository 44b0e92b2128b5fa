"""Baseline classifiers a risk modeller expects: logit, SVM, random forest, LightGBM.

Both are plain scikit-learn-compatible estimators; these builders add the
settings finwarn relies on whatever the hyperparameters (class weighting,
determinism, thread count, quiet logs). The hyperparameter defaults live in
:data:`finwarn.models._registry.DEFAULTS`.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["MAX_THREADS", "SVMClassifier", "make_lightgbm", "make_logit", "make_random_forest"]

# The target machines have two cores. One thread is the default: with two OpenMP
# threads on a busy two-core machine, one LightGBM fit on Polish 5year took 90-340 s
# instead of 6 s (threads spin-waiting for each other); pass n_jobs=2 on an idle machine.
DEFAULT_THREADS = 1
MAX_THREADS = 2


def _threads(n_jobs: int | None) -> int:
    """The thread count to use: ``n_jobs`` capped at two; None or below 1 means two."""
    return MAX_THREADS if n_jobs is None or n_jobs < 1 else min(n_jobs, MAX_THREADS)


def make_logit(*, random_state=None, **params: Any) -> LogisticRegression:
    """Class-weighted, L2-regularised logistic regression.

    The defaults of :data:`~finwarn.models._registry.DEFAULTS` use the
    ``newton-cholesky`` solver: on Polish 5year (111 columns after cleaning) it
    converges in 7 iterations where ``lbfgs`` needs over 600.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=None
        Passed to ``LogisticRegression`` (used by some solvers only).
    **params
        Further ``LogisticRegression`` parameters; ``class_weight`` defaults to
        ``"balanced"``.

    Returns
    -------
    model : sklearn.linear_model.LogisticRegression
        The unfitted estimator.

    Examples
    --------
    >>> from finwarn.models._baselines import make_logit
    >>> make_logit(C=0.1).class_weight
    'balanced'
    """
    params.setdefault("class_weight", "balanced")
    return LogisticRegression(random_state=random_state, **params)


def make_lightgbm(*, random_state=None, **params: Any):
    """Deterministic, class-weighted LightGBM on at most two threads.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=None
        Seed of LightGBM's row and column subsampling.
    **params
        Further ``LGBMClassifier`` parameters; ``class_weight`` defaults to
        ``"balanced"``. ``n_jobs`` defaults to one thread and is capped at two
        (None or a negative value means two).

    Returns
    -------
    model : lightgbm.LGBMClassifier
        The unfitted estimator. It handles missing values natively.

    Examples
    --------
    >>> from finwarn.models._baselines import make_lightgbm
    >>> make_lightgbm(n_jobs=8).n_jobs
    2
    """
    from lightgbm import LGBMClassifier

    params.setdefault("class_weight", "balanced")
    n_jobs = _threads(params.pop("n_jobs", DEFAULT_THREADS))
    params.setdefault("verbose", -1)
    # deterministic results for a fixed seed need LightGBM's deterministic mode and a
    # fixed histogram layout
    params.setdefault("deterministic", True)
    params.setdefault("force_row_wise", True)
    return LGBMClassifier(random_state=random_state, n_jobs=n_jobs, **params)


def make_random_forest(*, random_state=None, **params: Any):
    """A random forest on one thread, class-weighted per bootstrap sample by default.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=None
        Seed of the bootstrap samples and the feature draws.
    **params
        Further ``RandomForestClassifier`` parameters; ``class_weight`` defaults to
        ``"balanced_subsample"`` and ``n_jobs`` to one thread (capped at two).

    Returns
    -------
    model : sklearn.ensemble.RandomForestClassifier
        The unfitted estimator; it needs imputed input (the cleaner provides it).

    Examples
    --------
    >>> from finwarn.models._baselines import make_random_forest
    >>> make_random_forest(n_estimators=50).class_weight
    'balanced_subsample'
    """
    from sklearn.ensemble import RandomForestClassifier

    params.setdefault("class_weight", "balanced_subsample")
    n_jobs = _threads(params.pop("n_jobs", DEFAULT_THREADS))
    return RandomForestClassifier(random_state=random_state, n_jobs=n_jobs, **params)


class SVMClassifier(ClassifierMixin, BaseEstimator):
    """A kernel support vector machine whose probabilities are the logistic of its margin.

    scikit-learn's ``SVC(probability=True)`` runs five extra fits to calibrate; finwarn
    calibrates every model out of fold in :class:`~finwarn.warning.WarningClassifier`
    anyway, so this estimator returns ``expit(decision_function)``, a score that ranks
    firms like the margin but is not itself a calibrated probability.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength.
    kernel : {"rbf", "linear", "poly", "sigmoid"}, default="rbf"
    gamma : {"scale", "auto"} or float, default="scale"
        Kernel coefficient.
    class_weight : "balanced", dict or None, default="balanced"
    random_state : int, RandomState instance or None, default=None
        Unused by the solver; kept so every finwarn model takes a seed.

    Attributes
    ----------
    svc_ : sklearn.svm.SVC
        The fitted machine.
    classes_ : ndarray of shape (2,)

    Examples
    --------
    >>> X = [[0.0], [0.2], [0.4], [0.6], [0.8], [1.0]]
    >>> SVMClassifier(kernel="linear").fit(X, [0, 0, 0, 1, 1, 1]).predict([[0.1], [0.9]]).tolist()
    [0, 1]
    """

    _parameter_constraints: ClassVar[dict] = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "kernel": [StrOptions({"rbf", "linear", "poly", "sigmoid"})],
        "gamma": [StrOptions({"scale", "auto"}), Interval(Real, 0, None, closed="neither")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self, *, C=1.0, kernel="rbf", gamma="scale", class_weight="balanced", random_state=None
    ):
        self.C = C
        self.kernel = kernel
        self.gamma = gamma
        self.class_weight = class_weight
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X, y):
        """Fit the machine on cleaned (complete) features."""
        from sklearn.svm import SVC

        self._validate_params()
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(
                "Only binary classification is supported: SVMClassifier needs exactly two "
                "classes (distressed and healthy); got "
                f"{len(self.classes_)} class(es): {self.classes_[:5].tolist()}."
            )
        self.svc_ = SVC(
            C=self.C,
            kernel=self.kernel,
            gamma=self.gamma,
            class_weight=self.class_weight,
            random_state=self.random_state,
        ).fit(X, y)
        return self

    def decision_function(self, X) -> np.ndarray:
        """Signed distance to the margin; larger means closer to distress."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.svc_.decision_function(X)

    def predict_proba(self, X) -> np.ndarray:
        """``expit`` of the margin for the larger class, columns ordered as ``classes_``."""
        positive = expit(self.decision_function(X))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X) -> np.ndarray:
        """The class on the margin's side."""
        margin = self.decision_function(X)  # checks that the machine is fitted
        return self.classes_[(margin > 0).astype(int)]
