from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from finwarn.evaluation import METRICS, cross_validate
from finwarn.warning import WarningClassifier


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=600, n_features=6, weights=[0.9], random_state=0)


def test_every_fold_and_repeat_is_reported(data):
    X, y = data
    calls = []
    result = cross_validate(
        WarningClassifier(LogisticRegression(), random_state=0),
        X,
        y,
        folds=3,
        repeats=2,
        random_state=0,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert len(result.folds) == 6
    assert result.folds[["repeat", "fold"]].drop_duplicates().shape[0] == 6
    assert calls[-1] == (6, 6)
    # each repeat predicts every row exactly once
    for _, part in result.oof.groupby("repeat"):
        assert sorted(part["row"]) == list(range(len(y)))
    table = result.table().set_index("metric")
    assert set(METRICS) <= set(table.index)
    assert table.loc["roc_auc", "mean"] > 0.8
    assert table.loc["roc_auc", "sd"] == pytest.approx(result.folds["roc_auc"].std(ddof=1))
    payload = result.to_dict()
    assert payload["protocol"]["folds"] == 3 and len(payload["folds"]) == 6


def test_same_seed_same_figures(data):
    X, y = data
    model = WarningClassifier(LogisticRegression(), random_state=0)
    a = cross_validate(model, X, y, folds=3, repeats=1, random_state=5).folds["roc_auc"]
    b = cross_validate(model, X, y, folds=3, repeats=1, random_state=5).folds["roc_auc"]
    np.testing.assert_array_equal(a, b)


def test_no_leakage_the_test_fold_is_not_seen_in_fit(data):
    X, y = data
    seen: list[set[int]] = []

    class Spy(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            seen.append({int(v) for v in X[:, 0]})  # column 0 holds the row id
            return super().fit(X[:, 1:], y, sample_weight)

        def predict_proba(self, X):
            return super().predict_proba(X[:, 1:])

    with_ids = np.column_stack([np.arange(len(y)), X])
    result = cross_validate(
        WarningClassifier(Spy(), random_state=0), with_ids, y, folds=3, repeats=1
    )
    per_outer = len(seen) // 3
    assert per_outer == 6  # 5 calibration fits + the refit on the whole training fold
    for fold, part in result.oof.groupby("fold"):
        test = set(part["row"])
        for rows in seen[(fold - 1) * per_outer : fold * per_outer]:
            assert not (rows & test)


def test_too_few_minority_rows_for_the_folds():
    X = np.zeros((20, 2))
    y = np.array([1, 1] + [0] * 18)
    with pytest.raises(
        ValueError,
        match=r"5-fold stratified evaluation needs at least 5 rows of each class; "
        r"the smaller class has 2",
    ):
        cross_validate(WarningClassifier(LogisticRegression()), X, y, folds=5)
