from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from finwarn.evaluation import METRICS, EvaluationResult, cross_validate
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


def _result(oof: pd.DataFrame, **metric_values) -> EvaluationResult:
    """An EvaluationResult built by hand: every metric 0.5 unless given."""
    n = len(next(iter(metric_values.values()))) if metric_values else 1
    folds = pd.DataFrame({m: [0.5] * n for m in (*METRICS, "fit_seconds")})
    for metric, values in metric_values.items():
        folds[metric] = values
    return EvaluationResult(folds, {"protocol": "by hand"}, oof)


HAND_OOF = pd.DataFrame(
    {
        "repeat": [1, 1, 1, 1, 2, 2, 2, 2],
        "row": [0, 1, 2, 3, 0, 1, 2, 3],
        "y": [1, 1, 0, 0, 1, 1, 0, 0],
        "proba": [0.9, 0.4, 0.6, 0.1, 0.8, 0.7, 0.3, 0.2],
        "warned": [1, 0, 1, 0, 1, 1, 0, 0],
    }
)


def test_confusion_sums_each_repeat_and_averages_the_repeats():
    # repeat 1: tp 1, fn 1, fp 1, tn 1; repeat 2: tp 2, fn 0, fp 0, tn 2
    confusion = _result(HAND_OOF).confusion()
    assert confusion.index.tolist() == ["distressed", "healthy"]
    assert confusion.columns.tolist() == ["warned", "not warned"]
    assert confusion.values.tolist() == [[1.5, 0.5], [0.5, 1.5]]
    # without repeats (a temporal result) the counts are summed
    temporal = _result(HAND_OOF.drop(columns="repeat")).confusion()
    assert temporal.values.tolist() == [[3.0, 1.0], [1.0, 3.0]]


def test_calibration_pools_the_predictions_of_all_repeats():
    table = _result(HAND_OOF).calibration(bins=2)
    # lowest four: 0.1 (0), 0.2 (0), 0.3 (0), 0.4 (1); highest four: 0.6 (0), 0.7, 0.8, 0.9 (1)
    assert table.to_dict(orient="list") == {
        "bin": [1, 2],
        "predicted": [0.25, 0.75],
        "observed": [0.25, 0.75],
        "n": [4, 4],
    }


def test_to_dict_holds_confusion_and_calibration_and_is_json_ready():
    payload = _result(HAND_OOF, roc_auc=[0.8, float("nan")]).to_dict()
    assert payload["confusion"] == {
        "distressed": {"warned": 1.5, "not warned": 0.5},
        "healthy": {"warned": 0.5, "not warned": 1.5},
    }
    assert len(payload["calibration"]) == 8  # 8 predictions, 10 bins at most
    assert payload["folds"][1]["roc_auc"] is None
    assert json.loads(json.dumps(payload)) == payload


def test_table_leaves_undefined_folds_out():
    nan = float("nan")
    result = _result(HAND_OOF, roc_auc=[0.8, nan, 0.6], pr_auc=[nan, nan, nan], ks=[nan, 0.4, nan])
    table = result.table().set_index("metric")
    assert table.columns.tolist() == ["mean", "sd", "min", "max"]
    assert table.index.tolist() == [*METRICS, "fit_seconds"]
    assert table.loc["roc_auc"].tolist() == pytest.approx([0.7, 0.02**0.5, 0.6, 0.8])
    assert table.loc["pr_auc"].isna().all()
    assert table.loc["ks"].tolist() == [0.4, 0.0, 0.4, 0.4]


def test_cross_validate_confusion_counts_every_row_once_per_repeat(data):
    X, y = data
    result = cross_validate(LogisticRegression(), X, y, folds=3, repeats=2, random_state=0)
    confusion = result.confusion()
    assert confusion.to_numpy().sum() == pytest.approx(len(y))
    assert confusion.loc["distressed"].sum() == pytest.approx(y.sum())
    per_repeat = result.folds.groupby("repeat")[["tp", "fn", "fp", "tn"]].sum().mean()
    assert confusion.loc["distressed", "warned"] == per_repeat["tp"]
    assert confusion.loc["healthy", "not warned"] == per_repeat["tn"]
    assert result.calibration()["n"].sum() == 2 * len(y)
