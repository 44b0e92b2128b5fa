"""Tests of the baselines: logistic regression, LightGBM, random forest and the SVM."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.svm import SVC

from finwarn.models import SVMClassifier, make_lightgbm, make_logit, make_random_forest


def _data(n: int = 120, seed: int = 0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + X[:, 1] ** 2 + rng.normal(scale=0.5, size=n) > 1.0).astype(int)
    return X, y


def test_logit_is_class_weighted_by_default():
    assert make_logit().class_weight == "balanced"
    assert make_logit(class_weight=None).class_weight is None


def test_lightgbm_uses_one_thread_by_default():
    assert make_lightgbm().n_jobs == 1


@pytest.mark.parametrize(("n_jobs", "expected"), [(None, 2), (-1, 2), (1, 1), (2, 2), (16, 2)])
def test_lightgbm_uses_at_most_two_threads(n_jobs, expected):
    assert make_lightgbm(n_jobs=n_jobs).n_jobs == expected


def test_lightgbm_is_quiet_deterministic_and_class_weighted():
    model = make_lightgbm(random_state=4)
    params = model.get_params()
    assert params["verbose"] == -1
    assert params["deterministic"] is True
    assert params["class_weight"] == "balanced"
    assert params["random_state"] == 4


def test_random_forest_weighs_classes_per_bootstrap_sample_by_default():
    forest = make_random_forest(n_estimators=50, random_state=3)
    assert isinstance(forest, RandomForestClassifier)
    assert forest.class_weight == "balanced_subsample"
    assert (forest.n_estimators, forest.random_state) == (50, 3)
    assert make_random_forest(class_weight=None).class_weight is None


@pytest.mark.parametrize(("n_jobs", "expected"), [(None, 2), (-1, 2), (1, 1), (2, 2), (16, 2)])
def test_random_forest_uses_at_most_two_threads(n_jobs, expected):
    assert make_random_forest().n_jobs == 1
    assert make_random_forest(n_jobs=n_jobs).n_jobs == expected


@pytest.mark.parametrize("kernel", ["rbf", "linear"])
def test_svm_margin_is_the_kernel_machines(kernel):
    X, y = _data()
    model = SVMClassifier(C=0.5, kernel=kernel).fit(X, y)
    svc = SVC(C=0.5, kernel=kernel, gamma="scale", class_weight="balanced").fit(X, y)
    np.testing.assert_allclose(model.decision_function(X), svc.decision_function(X))
    assert model.svc_.class_weight == "balanced"


def test_svm_probability_is_the_logistic_of_the_margin():
    X, y = _data()
    model = SVMClassifier().fit(X, y)
    margin = model.decision_function(X)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], expit(margin))
    np.testing.assert_allclose(proba[:, 0], 1.0 - expit(margin))
    # a score that ranks like the margin: some firms on each side of it
    assert (margin > 0).any() and (margin < 0).any()


@pytest.mark.parametrize("labels", [np.array([0, 1]), np.array(["alive", "bankrupt"])])
def test_svm_predicts_the_class_on_the_margins_side(labels):
    X, y = _data()
    model = SVMClassifier().fit(X, labels[y])
    margin = model.decision_function(X)
    np.testing.assert_array_equal(model.classes_, labels)
    np.testing.assert_array_equal(model.predict(X), labels[(margin > 0).astype(int)])
    # consistent with the probabilities
    np.testing.assert_array_equal(
        model.predict(X), labels[np.argmax(model.predict_proba(X), axis=1)]
    )


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (
            np.arange(120) % 3,
            r"^Only binary classification is supported: SVMClassifier needs exactly two "
            r"classes \(distressed and healthy\); got 3 class\(es\): \[0, 1, 2\]\.$",
        ),
        (
            np.ones(120, dtype=int),
            r"^Only binary classification is supported: SVMClassifier needs exactly two "
            r"classes \(distressed and healthy\); got 1 class\(es\): \[1\]\.$",
        ),
    ],
)
def test_svm_needs_two_classes(y, message):
    X, _ = _data()
    with pytest.raises(ValueError, match=message):
        SVMClassifier().fit(X, y)


@pytest.mark.parametrize("method", ["decision_function", "predict_proba", "predict"])
def test_svm_prediction_needs_a_fitted_machine(method):
    X, _ = _data()
    with pytest.raises(NotFittedError, match="This SVMClassifier instance is not fitted"):
        getattr(SVMClassifier(), method)(X)
