from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from finwarn.evaluation import METRICS, Comparison, EvaluationResult, compare_models
from finwarn.exceptions import DataValidationError

PERIODS = np.repeat([2016, 2017, 2018, 2019], 40)


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=160, n_features=4, weights=[0.8], random_state=0)


def _models():
    return {"logit": LogisticRegression(), "prior": DummyClassifier(strategy="prior")}


class NeedsColumns(ClassifierMixin, BaseEstimator):
    """A classical score that cannot be computed from the columns given."""

    def fit(self, X, y):
        raise DataValidationError("Altman Z needs column 'retained_earnings'; the data lacks it.")


class Crashes(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("out of memory")


def _test_rows(result: EvaluationResult, keys: list[str]) -> dict:
    return {k: sorted(part["row"]) for k, part in result.oof.groupby(keys)}


def test_every_model_gets_the_same_folds(data):
    X, y = data
    calls = []
    comparison = compare_models(
        _models(),
        X,
        y,
        folds=3,
        repeats=2,
        random_state=3,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert isinstance(comparison, Comparison)
    assert list(comparison.results) == ["logit", "prior"] and comparison.skipped == {}
    logit, prior = comparison.results["logit"], comparison.results["prior"]
    assert len(logit.folds) == len(prior.folds) == 6
    folds = _test_rows(logit, ["repeat", "fold"])
    assert folds == _test_rows(prior, ["repeat", "fold"])
    assert len(folds) == 6
    assert calls == [(i, 12) for i in range(1, 13)]
    assert comparison.protocol["models"] == ["logit", "prior"]
    assert comparison.protocol["random_state"] == 3
    assert comparison.protocol["protocol"] == "repeated stratified k-fold"


def test_without_a_seed_one_is_drawn_and_shared(data):
    X, y = data
    comparison = compare_models(_models(), X, y, folds=3, repeats=1, random_state=None)
    seed = comparison.protocol["random_state"]
    assert isinstance(seed, int)
    logit, prior = comparison.results.values()
    assert _test_rows(logit, ["fold"]) == _test_rows(prior, ["fold"])
    assert logit.protocol["random_state"] == prior.protocol["random_state"] == seed


def test_temporal_comparison_tests_the_same_periods(data):
    X, y = data
    calls = []
    comparison = compare_models(
        _models(),
        X,
        y,
        protocol="temporal",
        periods=PERIODS,
        horizon=1,
        progress=lambda done, total: calls.append((done, total)),
    )
    logit, prior = comparison.results.values()
    assert logit.folds["test_period"].tolist() == [2018, 2019]
    assert _test_rows(logit, ["test_period"]) == _test_rows(prior, ["test_period"])
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert comparison.protocol["protocol"] == "temporal"


def test_table_lists_models_in_order_then_metrics_in_order(data):
    X, y = data
    models = {"prior": DummyClassifier(strategy="prior"), "logit": LogisticRegression()}
    comparison = compare_models(models, X, y, folds=3, repeats=1)
    table = comparison.table()
    metrics = [*METRICS, "fit_seconds"]
    assert table.columns.tolist() == ["model", "metric", "mean", "sd", "min", "max"]
    assert table.shape == (2 * len(metrics), 6)
    assert table["model"].tolist() == ["prior"] * len(metrics) + ["logit"] * len(metrics)
    assert table["metric"].tolist() == metrics * 2
    roc = table.query("metric == 'roc_auc'").set_index("model")["mean"]
    assert roc["prior"] == 0.5 and roc["logit"] > 0.8
    payload = comparison.to_dict()
    assert json.loads(json.dumps(payload)) == payload
    assert list(payload["summary"]) == ["prior", "logit"]
    assert payload["summary"]["prior"]["roc_auc"] == {
        "mean": 0.5,
        "sd": 0.0,
        "min": 0.5,
        "max": 0.5,
    }
    assert set(payload["results"]) == {"prior", "logit"} and payload["skipped"] == {}


def test_a_model_the_data_cannot_feed_is_skipped(data, caplog):
    X, y = data
    calls = []
    models = {"altman": NeedsColumns(), **_models()}
    with caplog.at_level("WARNING", logger="finwarn.evaluation._compare"):
        comparison = compare_models(
            models,
            X,
            y,
            folds=3,
            repeats=1,
            progress=lambda done, total: calls.append((done, total)),
        )
    message = "Altman Z needs column 'retained_earnings'; the data lacks it."
    assert comparison.skipped == {"altman": message}
    assert list(comparison.results) == ["logit", "prior"]
    assert f"model altman skipped: {message}" in caplog.text
    assert calls[0] == (3, 9) and calls[-1] == (9, 9)  # the skipped model's folds count
    assert comparison.table()["model"].unique().tolist() == ["logit", "prior"]
    assert comparison.to_dict()["skipped"] == {"altman": message}
    assert comparison.protocol["models"] == ["altman", "logit", "prior"]


def test_other_errors_of_a_model_propagate(data):
    X, y = data
    with pytest.raises(RuntimeError, match=r"^out of memory$"):
        compare_models({"crashes": Crashes(), **_models()}, X, y, folds=3, repeats=1)


def test_no_model_left_is_an_error(data):
    X, y = data
    with pytest.raises(
        DataValidationError,
        match=r"^no model could be evaluated on this data\. altman: Altman Z needs column "
        r"'retained_earnings'; the data lacks it\.$",
    ):
        compare_models({"altman": NeedsColumns()}, X, y, folds=3, repeats=1)


def test_bad_periods_are_a_data_error_not_a_skipped_model(data):
    X, y = data
    with pytest.raises(DataValidationError, match=r"^periods has 159 values but y has 160"):
        compare_models(_models(), X, y, protocol="temporal", periods=PERIODS[:-1])


@pytest.mark.parametrize(
    ("models", "kwargs", "message"),
    [
        ({}, {}, r"models is empty; give at least one name -> estimator\."),
        (
            None,
            {"protocol": "temporl"},
            r"unknown protocol 'temporl'; expected one of cv, temporal\. "
            r"Did you mean 'temporal'\?",
        ),
        (
            None,
            {"protocol": "holdout"},
            r"unknown protocol 'holdout'; expected one of cv, temporal\.",
        ),
        (
            None,
            {"protocol": "temporal"},
            r"protocol='temporal' needs periods: the period \(e\.g\. fiscal year\) of each "
            r"row of X\.",
        ),
    ],
)
def test_bad_arguments(data, models, kwargs, message):
    X, y = data
    with pytest.raises(ValueError, match=f"^{message}$"):
        compare_models(_models() if models is None else models, X, y, **kwargs)
