"""Tests of AveragingEnsemble: log-odds and probability averages of binary classifiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

from finwarn.models import AveragingEnsemble, make_model


def _data(n: int = 200, seed: int = 0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 + rng.normal(scale=0.7, size=n) > 0.8).astype(int)
    return X, y


def _members():
    return [("logit", LogisticRegression(C=0.5)), ("nb", GaussianNB())]


def _member_probas(X, y) -> np.ndarray:
    """Each member fitted on its own: the probability of class 1, one column per member."""
    return np.column_stack([clone(m).fit(X, y).predict_proba(X)[:, 1] for _, m in _members()])


def test_logit_average_is_the_mean_log_odds_of_the_members():
    X, y = _data()
    p = _member_probas(X, y)
    # the members disagree, or averaging scales would not matter
    assert np.abs(p[:, 0] - p[:, 1]).max() > 0.2
    proba = AveragingEnsemble(_members()).fit(X, y).predict_proba(X)
    expected = expit((logit(p[:, 0]) + logit(p[:, 1])) / 2)
    np.testing.assert_allclose(proba[:, 1], expected)
    np.testing.assert_allclose(proba[:, 0], 1.0 - expected)


def test_proba_average_is_the_mean_probability_of_the_members():
    X, y = _data()
    p = _member_probas(X, y)
    proba = AveragingEnsemble(_members(), average="proba").fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], (p[:, 0] + p[:, 1]) / 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    ("average", "combine"),
    [
        ("logit", lambda p: expit((3 * logit(p[:, 0]) + logit(p[:, 1])) / 4)),
        ("proba", lambda p: (3 * p[:, 0] + p[:, 1]) / 4),
    ],
)
def test_weights_weigh_the_members(average, combine):
    X, y = _data()
    ensemble = AveragingEnsemble(_members(), average=average, weights=[3.0, 1.0]).fit(X, y)
    np.testing.assert_allclose(ensemble.predict_proba(X)[:, 1], combine(_member_probas(X, y)))


def test_member_proba_has_one_column_per_member():
    X, y = _data()
    ensemble = AveragingEnsemble(_members()).fit(X, y)
    np.testing.assert_allclose(ensemble.member_proba(X), _member_probas(X, y))
    assert list(ensemble.named_estimators_) == ["logit", "nb"]
    assert ensemble.estimators_[0] is ensemble.named_estimators_["logit"]


def test_certain_members_are_clipped_before_their_log_odds():
    X, y = _data()
    tree = DecisionTreeClassifier(random_state=0)  # pure leaves: probabilities 0 and 1
    ensemble = AveragingEnsemble([("tree", tree), ("logit", LogisticRegression())]).fit(X, y)
    p = ensemble.member_proba(X)
    assert set(np.unique(p[:, 0])) == {0.0, 1.0}
    expected = expit(logit(np.clip(p, 1e-6, 1 - 1e-6)).mean(axis=1))
    proba = ensemble.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba[:, 1], expected)


def test_a_dropped_member_is_left_out():
    X, y = _data()
    ensemble = AveragingEnsemble(_members()).set_params(nb="drop").fit(X, y)
    assert list(ensemble.named_estimators_) == ["logit"]
    assert len(ensemble.estimators_) == 1
    # the log-odds average of one member is that member's probability
    alone = clone(_members()[0][1]).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(ensemble.predict_proba(X), alone)


def test_weights_count_the_members_left_after_dropping():
    X, y = _data()
    ensemble = AveragingEnsemble(_members(), weights=[2.0]).set_params(logit="drop")
    ensemble.fit(X, y)
    np.testing.assert_allclose(ensemble.member_proba(X)[:, 0], _member_probas(X, y)[:, 1])


@pytest.mark.parametrize(
    ("drop", "weights", "message"),
    [
        (
            None,
            [1.0, 2.0, 3.0],
            r"^weights has 3 value\(s\) for 2 member\(s\) \(logit, nb\); give one weight per "
            r"member that is not dropped\.$",
        ),
        (
            "nb",
            [1.0, 2.0],
            r"^weights has 2 value\(s\) for 1 member\(s\) \(logit\); give one weight per "
            r"member that is not dropped\.$",
        ),
    ],
)
def test_weights_of_the_wrong_length(drop, weights, message):
    X, y = _data()
    ensemble = AveragingEnsemble(_members(), weights=weights)
    if drop is not None:
        ensemble.set_params(**{drop: "drop"})
    with pytest.raises(ValueError, match=message):
        ensemble.fit(X, y)


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (
            np.zeros(200, dtype=int),
            r"^Only binary classification is supported: AveragingEnsemble needs exactly two "
            r"classes \(distressed and healthy\); got 1 class\(es\): \[0\]\.$",
        ),
        (
            np.arange(200) % 3,
            r"^Only binary classification is supported: AveragingEnsemble needs exactly two "
            r"classes \(distressed and healthy\); got 3 class\(es\): \[0, 1, 2\]\.$",
        ),
    ],
)
def test_y_must_hold_two_classes(y, message):
    X, _ = _data()
    with pytest.raises(ValueError, match=message):
        AveragingEnsemble(_members()).fit(X, y)


def test_prediction_needs_a_fitted_ensemble():
    X, _ = _data()
    with pytest.raises(NotFittedError, match="This AveragingEnsemble instance is not fitted"):
        AveragingEnsemble(_members()).predict(X)


def test_labels_other_than_zero_and_one():
    X, y = _data()
    labels = np.array(["alive", "bankrupt"])  # sorted, so "bankrupt" is distress
    numeric = AveragingEnsemble(_members()).fit(X, y)
    named = AveragingEnsemble(_members()).fit(X, labels[y])
    assert named.classes_.tolist() == ["alive", "bankrupt"]
    np.testing.assert_allclose(named.predict_proba(X), numeric.predict_proba(X))
    assert named.predict(X).tolist() == labels[numeric.predict(X)].tolist()
    assert set(named.predict(X)) == {"alive", "bankrupt"}


def test_predict_is_the_more_probable_class():
    X, y = _data()
    ensemble = AveragingEnsemble(_members()).fit(X, y)
    proba = ensemble.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(ensemble.predict(X), (proba > 0.5).astype(int))


def test_member_parameters_are_nested_parameters():
    ensemble = AveragingEnsemble(_members())
    params = ensemble.get_params()
    assert params["logit__C"] == 0.5
    assert params["logit"] is ensemble.named_estimators["logit"]
    assert set(ensemble.get_params(deep=False)) == {"estimators", "average", "weights"}
    ensemble.set_params(logit__C=2.0, average="proba")
    assert ensemble.named_estimators["logit"].C == 2.0
    assert ensemble.average == "proba"
    assert clone(ensemble).get_params()["logit__C"] == 2.0


def test_registry_ensemble_members_are_tuned_through_nested_parameters():
    pipe = make_model("ensemble", random_state=0)
    pipe.set_params(model__lightgbm__model__n_estimators=20, model__bp__model__max_epochs=5)
    ensemble = pipe.named_steps["model"]
    assert ensemble.get_params()["lightgbm__model__n_estimators"] == 20
    assert ensemble.named_estimators["bp"].named_steps["model"].max_epochs == 5
    ensemble.set_params(bp__clean__scale__method="minmax")
    assert ensemble.named_estimators["bp"].named_steps["clean"].named_steps["scale"].method == (
        "minmax"
    )


def test_registry_ensemble_fits_with_its_nested_settings():
    # logit instead of the BP network keeps torch out of this test
    pipe = make_model("ensemble", random_state=0, members=("lightgbm", "logit"))
    pipe.set_params(model__lightgbm__model__n_estimators=20)
    X, y = _data()
    frame = pd.DataFrame(X, columns=["roa", "leverage", "liquidity"])
    ensemble = pipe.fit(frame, y).named_steps["model"]
    assert ensemble.named_estimators_["lightgbm"].named_steps["model"].n_estimators_ == 20
    assert ensemble.feature_names_in_.tolist() == ["roa", "leverage", "liquidity"]
    assert ensemble.n_features_in_ == 3
    assert pipe.predict_proba(frame).shape == (200, 2)


def test_a_member_can_be_replaced():
    X, y = _data()
    ensemble = AveragingEnsemble(_members()).set_params(nb=LogisticRegression(C=0.01))
    ensemble.fit(X, y)
    assert isinstance(ensemble.named_estimators_["nb"], LogisticRegression)
    assert ensemble.named_estimators_["nb"].C == 0.01
