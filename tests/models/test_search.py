"""Tests of TunedClassifier and check_space: a time-budgeted search as an estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from finwarn.models import SVMClassifier, TunedClassifier, check_space

C_SPACE = {"C": {"type": "float", "low": 0.01, "high": 10.0, "log": True}}


def _data(n: int = 150, seed: int = 0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + rng.normal(scale=1.0, size=n) > 0.7).astype(int)
    return X, y


class _SharedLog(list):
    """A list that ``clone`` shares instead of copying, so inner fits can write to it."""

    def __deepcopy__(self, memo):
        return self


class _RowSpy(ClassifierMixin, BaseEstimator):
    """Logistic regression on columns 1.. that logs column 0 (a row id) of each fit."""

    def __init__(self, log=None, C=1.0):
        self.log = log
        self.C = C

    def fit(self, X, y):
        X = np.asarray(X)
        self.log.append(X[:, 0].copy())
        self.model_ = LogisticRegression(C=self.C).fit(X[:, 1:], y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(np.asarray(X)[:, 1:])


def test_search_runs_max_trials_starting_from_the_defaults():
    X, y = _data()
    estimator = LogisticRegression(C=0.5)
    tuned = TunedClassifier(estimator, space=C_SPACE, max_trials=3, random_state=0).fit(X, y)
    assert tuned.trials_.columns.tolist() == ["number", "roc_auc", "seconds", "C"]
    assert tuned.trials_["number"].tolist() == [0, 1, 2]
    assert tuned.trials_.loc[0, "C"] == 0.5
    assert tuned.trials_["C"].between(0.01, 10.0).all()
    assert estimator.C == 0.5  # the given estimator is left as it was


def test_best_params_are_the_best_trial_and_set_on_the_refitted_estimator():
    X, y = _data()
    tuned = TunedClassifier(LogisticRegression(), space=C_SPACE, max_trials=3, random_state=0)
    tuned.fit(X, y)
    best = tuned.trials_.loc[tuned.trials_["roc_auc"].idxmax()]
    assert tuned.best_params_ == {"C": best["C"]}
    assert tuned.best_score_ == best["roc_auc"]
    assert 0.01 <= tuned.best_params_["C"] <= 10.0
    assert tuned.estimator_ is not tuned.estimator
    assert tuned.estimator_.C == tuned.best_params_["C"]
    assert tuned.estimator_.coef_.shape == (1, 3)  # refitted on all rows
    np.testing.assert_array_equal(tuned.classes_, [0, 1])
    assert tuned.n_features_in_ == 3


def test_the_score_is_the_mean_roc_auc_over_stratified_inner_folds():
    X, y = _data()
    tuned = TunedClassifier(LogisticRegression(), space=C_SPACE, max_trials=2, random_state=3)
    tuned.fit(X, y)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=3).split(X, y)
    model = LogisticRegression(C=tuned.best_params_["C"])
    scores = [
        roc_auc_score(y[test], clone(model).fit(X[train], y[train]).predict_proba(X[test])[:, 1])
        for train, test in folds
    ]
    assert tuned.best_score_ == pytest.approx(np.mean(scores))


def test_predictions_are_the_refitted_estimators():
    X, y = _data()
    tuned = TunedClassifier(LogisticRegression(), space=C_SPACE, max_trials=2, random_state=0)
    tuned.fit(X, y)
    np.testing.assert_array_equal(tuned.predict_proba(X), tuned.estimator_.predict_proba(X))
    np.testing.assert_array_equal(tuned.predict(X), tuned.estimator_.predict(X))


def test_the_search_is_seeded():
    X, y = _data()
    space = {
        "C": C_SPACE["C"],
        "max_iter": {"type": "int", "low": 50, "high": 200},
        "fit_intercept": {"type": "categorical", "choices": [True, False]},
    }
    runs = [
        TunedClassifier(LogisticRegression(), space=space, max_trials=4, random_state=7)
        .fit(X, y)
        .trials_.drop(columns="seconds")
        for _ in range(2)
    ]
    pd.testing.assert_frame_equal(runs[0], runs[1])
    assert runs[0]["max_iter"].between(50, 200).all()
    assert set(runs[0]["fit_intercept"]) <= {True, False}


def test_the_budget_stops_the_search_before_max_trials():
    X, y = _data()
    forest = RandomForestClassifier(n_estimators=30, random_state=0)
    space = {"min_samples_leaf": {"type": "int", "low": 1, "high": 10}}
    tuned = TunedClassifier(
        forest, space=space, budget_seconds=0.01, max_trials=20, random_state=0
    ).fit(X, y)
    # the candidate running when the budget ends is finished, then the search stops
    assert 1 <= len(tuned.trials_) < 20
    assert tuned.estimator_.min_samples_leaf == tuned.best_params_["min_samples_leaf"]


@pytest.mark.parametrize(
    ("estimator", "outside"),
    [
        # gamma="scale" is not a point of a numeric range
        (SVMClassifier(C=2.0), {"gamma": "scale"}),
        # C=100 lies above the range
        (SVMClassifier(C=100.0, gamma=0.1), {"C": 100.0}),
    ],
)
def test_defaults_outside_the_space_are_sampled_in_the_first_trial(estimator, outside):
    X, y = _data()
    space = {
        "C": {"type": "float", "low": 0.1, "high": 10.0, "log": True},
        "gamma": {"type": "float", "low": 1e-3, "high": 1.0, "log": True},
    }
    tuned = TunedClassifier(estimator, space=space, max_trials=1, random_state=0).fit(X, y)
    first = tuned.trials_.iloc[0]
    for name, spec in space.items():
        if name in outside:
            assert spec["low"] <= first[name] <= spec["high"]
        else:
            assert first[name] == estimator.get_params()[name]


@pytest.mark.parametrize("as_frame", [False, True])
def test_inner_folds_see_only_the_rows_given_to_fit(as_frame):
    X, y = _data(n=200)
    ids = np.arange(200.0)
    X = np.column_stack([ids, X])
    rows = np.random.RandomState(1).permutation(200)[:120]
    X_fit = pd.DataFrame(X[rows], index=rows) if as_frame else X[rows]
    log = _SharedLog()
    space = {"C": C_SPACE["C"]}
    TunedClassifier(_RowSpy(log=log), space=space, cv=3, max_trials=2, random_state=0).fit(
        X_fit, y[rows]
    )
    assert len(log) == 2 * 3 + 1  # two candidates on three folds, then the refit
    given = set(rows.tolist())
    for seen in log:
        assert set(seen.tolist()) <= given
    inner, refit = log[:-1], log[-1]
    assert all(len(seen) == 80 for seen in inner)  # two thirds of the 120 rows
    assert set(np.concatenate(inner[:3]).tolist()) == given
    assert sorted(refit.tolist()) == sorted(given)


def test_a_list_of_rows_is_indexed_for_the_inner_folds():
    X, y = _data()
    tuned = TunedClassifier(LogisticRegression(), space=C_SPACE, max_trials=2, random_state=0)
    tuned.fit(X.tolist(), y.tolist())
    assert len(tuned.trials_) == 2
    np.testing.assert_array_equal(tuned.predict(X), tuned.estimator_.predict(X))


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (
            np.zeros(150, dtype=int),
            r"^Only binary classification is supported: TunedClassifier needs exactly two "
            r"classes \(distressed and healthy\); got 1 class\(es\): \[0\]\.$",
        ),
        (
            np.r_[1, np.zeros(149, dtype=int)],
            r"^tuning needs at least 2 rows of each class for its inner folds; the smaller "
            r"class has 1\.$",
        ),
    ],
)
def test_y_must_hold_two_classes_with_two_rows_each(y, message):
    X, _ = _data()
    tuned = TunedClassifier(LogisticRegression(), space=C_SPACE, max_trials=2, random_state=0)
    with pytest.raises(ValueError, match=message):
        tuned.fit(X, y)


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({}, r"^the search space is empty: give at least one parameter to tune\.$"),
        (
            {"c": C_SPACE["C"]},
            r"^search space parameter 'c' is not a parameter of LogisticRegression\. "
            r"Did you mean 'C'\?$",
        ),
        (
            {"penalty_strength": C_SPACE["C"]},
            r"^search space parameter 'penalty_strength' is not a parameter of "
            r"LogisticRegression\.$",
        ),
        (
            {"C": {"type": "real", "low": 0.1, "high": 1.0}},
            r"^search space parameter 'C': type must be one of int, float, categorical, "
            r"got 'real'\.$",
        ),
        (
            {"C": {"low": 0.1, "high": 1.0}},
            r"^search space parameter 'C': type must be one of int, float, categorical, "
            r"got None\.$",
        ),
        (
            {"C": {"type": "float", "low": 1.0, "high": 1.0}},
            r"^search space parameter 'C': needs low < high, got low=1\.0, high=1\.0\.$",
        ),
        (
            {"max_iter": {"type": "int", "low": 200, "high": 50}},
            r"^search space parameter 'max_iter': needs low < high, got low=200, high=50\.$",
        ),
        (
            {"solver": {"type": "categorical", "choices": []}},
            r"^search space parameter 'solver': give a non-empty 'choices'\.$",
        ),
    ],
)
def test_bad_search_spaces(space, message):
    with pytest.raises(ValueError, match=message):
        check_space(space, LogisticRegression())
    # fit checks the space before searching
    tuned = TunedClassifier(LogisticRegression(), space=space, max_trials=1)
    with pytest.raises(ValueError, match=message):
        tuned.fit(*_data())


def test_without_an_estimator_any_parameter_name_is_accepted():
    space = {"anything": {"type": "int", "low": 1, "high": 3}}
    assert check_space(space) is None
    with pytest.raises(ValueError, match=r"^search space parameter 'anything' is not a"):
        check_space(space, LogisticRegression())


def test_check_space_refuses_a_log_scale_through_zero():
    space = {"C": {"type": "float", "low": 0.0, "high": 1.0, "log": True}}
    with pytest.raises(
        ValueError, match=r"^search space parameter 'C': a log scale needs low > 0, got low=0\.0\.$"
    ):
        check_space(space)
