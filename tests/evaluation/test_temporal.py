from __future__ import annotations

import json
import math
import re
from typing import ClassVar

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from finwarn.evaluation import METRICS, temporal_evaluate
from finwarn.exceptions import DataValidationError

# five periods with a gap (no 2017): 30 firms a year, 6 of them distressed
PERIODS = np.repeat([2014, 2015, 2016, 2018, 2019], 30)


def _panel(periods=PERIODS, seed=0):
    rng = np.random.default_rng(seed)
    y = np.tile(np.r_[np.ones(6), np.zeros(24)], len(periods) // 30).astype(int)
    signal = y + rng.normal(scale=0.8, size=len(y))
    # column 0 holds the row id, for the spy to see which rows a fit was given
    X = np.column_stack([np.arange(len(y)), signal, rng.normal(size=len(y))])
    return X, y


class Spy(LogisticRegression):
    """Records the row ids of every fit; the log is shared by its clones."""

    log: ClassVar[list[np.ndarray]] = []

    def fit(self, X, y, sample_weight=None):
        Spy.log.append(X[:, 0].astype(int))
        return super().fit(X[:, 1:], y, sample_weight)

    def predict_proba(self, X):
        return super().predict_proba(X[:, 1:])

    def predict(self, X):
        return super().predict(X[:, 1:])


@pytest.fixture
def spy():
    Spy.log = []
    return Spy()


@pytest.mark.parametrize(
    ("horizon", "splits"),
    [
        (1, [(2015, 2016), (2016, 2018), (2018, 2019)]),
        (2, [(2015, 2018), (2016, 2019)]),
    ],
)
def test_trains_on_the_past_and_tests_horizon_periods_ahead(spy, horizon, splits):
    X, y = _panel()
    calls = []
    result = temporal_evaluate(
        spy, X, y, PERIODS, horizon=horizon, progress=lambda d, t: calls.append((d, t))
    )
    folds = result.folds
    assert list(zip(folds["train_until"], folds["test_period"], strict=True)) == splits
    assert calls == [(i, len(splits)) for i in range(1, len(splits) + 1)]
    for (until, tested), trained, fold in zip(splits, Spy.log, folds.itertuples(), strict=True):
        assert PERIODS[trained].max() == until  # no training row after train_until
        assert set(trained) == set(np.flatnonzero(PERIODS <= until))
        assert fold.n_train == np.sum(PERIODS <= until) and fold.n_test == 30
        assert fold.test_distressed == 6
        tested_rows = result.oof.loc[result.oof["test_period"] == tested, "row"]
        assert set(tested_rows) == set(np.flatnonzero(PERIODS == tested))
    assert set(METRICS) | {"fit_seconds", "n_train", "n_test"} <= set(folds.columns)
    protocol = result.protocol
    assert protocol == {
        "protocol": "temporal",
        "horizon": horizon,
        "min_train_periods": 2,
        "rows": 150,
        "distressed": 30,
        "base_rate": 0.2,
        "periods": [2014, 2015, 2016, 2018, 2019],
        "skipped_splits": [],
    }
    json.dumps(result.to_dict())  # JSON-ready


def test_rows_in_the_gap_are_neither_trained_nor_tested(spy):
    X, y = _panel()
    result = temporal_evaluate(spy, X, y, PERIODS, horizon=2)
    # train until 2015, test 2018: the 2016 rows are left out; then the 2018 rows
    for gap, trained, (_, part) in zip(
        (2016, 2018), Spy.log, result.oof.groupby("test_period"), strict=True
    ):
        gap_rows = set(np.flatnonzero(PERIODS == gap))
        assert not gap_rows & set(trained)
        assert not gap_rows & set(part["row"])


def test_min_train_periods_delays_the_first_split():
    X, y = _panel()
    result = temporal_evaluate(LogisticRegression(), X, y, PERIODS, min_train_periods=3)
    assert result.folds["train_until"].tolist() == [2016, 2018]
    result = temporal_evaluate(LogisticRegression(), X, y, PERIODS, min_train_periods=1)
    assert result.folds["train_until"].tolist() == [2014, 2015, 2016, 2018]


def test_periods_as_strings_sort_and_label_the_folds():
    X, y = _panel()
    result = temporal_evaluate(LogisticRegression(), X, y, PERIODS.astype(str))
    assert result.folds["test_period"].tolist() == ["2016", "2018", "2019"]


def test_a_split_trained_on_one_class_is_skipped_with_a_warning(caplog):
    X, y = _panel()
    y = y.copy()
    y[PERIODS == 2014] = 0  # the first period has no distressed firm
    with caplog.at_level("WARNING", logger="finwarn.evaluation._temporal"):
        result = temporal_evaluate(LogisticRegression(), X, y, PERIODS, min_train_periods=1)
    assert result.folds["train_until"].tolist() == [2015, 2016, 2018]
    assert 2015 not in set(result.oof["test_period"])
    assert (
        "temporal split training until 2014, testing 2015 skipped: its 30 training rows "
        "(periods up to 2014) are all of class 0" in caplog.text
    )
    assert result.protocol["skipped_splits"] == [
        {
            "train_until": 2014,
            "test_period": 2015,
            "reason": "its 30 training rows (periods up to 2014) are all of class 0",
        }
    ]


def test_a_test_period_with_one_class_keeps_its_row_with_nan_ranking_metrics():
    X, y = _panel()
    y = y.copy()
    y[PERIODS == 2018] = 0
    result = temporal_evaluate(LogisticRegression(), X, y, PERIODS)
    row = result.folds.set_index("test_period").loc[2018]
    assert row["test_distressed"] == 0
    assert math.isnan(row["roc_auc"]) and math.isnan(row["recall_top5"])
    table = result.table().set_index("metric")
    defined = result.folds["roc_auc"].dropna()
    assert len(defined) == 2
    assert table.loc["roc_auc", "mean"] == pytest.approx(defined.mean())
    assert table.loc["roc_auc", "sd"] == pytest.approx(defined.std(ddof=1))
    assert result.confusion().loc["distressed"].sum() == 12  # 2016 and 2019 only


def test_every_split_trained_on_one_class_is_an_error():
    X, y = _panel()
    y = y.copy()
    y[PERIODS <= 2016] = 0
    with pytest.raises(
        ValueError,
        match=r"^no temporal split could be evaluated: the training rows of all 2 splits "
        r"hold one class only\. Use a larger min_train_periods or data with distressed "
        r"and healthy firms in the early periods\.$",
    ):
        temporal_evaluate(LogisticRegression(), X[:90], y[:90], PERIODS[:90], min_train_periods=1)


def test_periods_must_match_the_rows():
    X, y = _panel()
    with pytest.raises(
        DataValidationError,
        match=r"^periods has 149 values but y has 150; give one period per row, "
        r"in the order of the rows\.$",
    ):
        temporal_evaluate(LogisticRegression(), X, y, PERIODS[:-1])


@pytest.mark.parametrize(
    ("missing", "shown"),
    [
        ([4, 9], "2 rows (positions 4, 9)"),
        ([1, 3, 5, 7, 9, 11], "6 rows (positions 1, 3, 5, 7, 9, ...)"),
    ],
)
def test_missing_periods_are_counted_and_located(missing, shown):
    X, y = _panel()
    periods = PERIODS.astype(float)
    periods[missing] = np.nan
    message = (
        f"periods is missing for {shown}; give every row a period, or leave those rows "
        "out of X, y and periods."
    )
    with pytest.raises(DataValidationError, match=f"^{re.escape(message)}$"):
        temporal_evaluate(LogisticRegression(), X, y, periods)


@pytest.mark.parametrize(
    ("periods", "horizon", "min_train", "message"),
    [
        (
            PERIODS[:90],
            2,
            2,
            r"temporal evaluation with horizon=2 and min_train_periods=2 needs at least 4 "
            r"distinct periods; the data has 3 \(2014, 2015, 2016\)\. "
            r"Use a smaller --horizon \(at most 1\)\.",
        ),
        (
            PERIODS[:60],
            1,
            2,
            r"temporal evaluation with horizon=1 and min_train_periods=2 needs at least 3 "
            r"distinct periods; the data has 2 \(2014, 2015\)\. "
            r"Use a smaller min_train_periods \(at most 1\)\.",
        ),
        (
            PERIODS[:30],
            1,
            1,
            r"temporal evaluation with horizon=1 and min_train_periods=1 needs at least 2 "
            r"distinct periods; the data has 1 \(2014\)\. "
            r"Use data with more periods, or the stratified k-fold protocol\.",
        ),
    ],
)
def test_too_few_periods_for_the_horizon(periods, horizon, min_train, message):
    X, y = _panel()
    n = len(periods)
    with pytest.raises(ValueError, match=f"^{message}$"):
        temporal_evaluate(
            LogisticRegression(),
            X[:n],
            y[:n],
            periods,
            horizon=horizon,
            min_train_periods=min_train,
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon": 0}, r"horizon must be a whole number of periods, 1 or more; got 0\."),
        ({"horizon": 1.5}, r"horizon must be a whole number of periods, 1 or more; got 1\.5\."),
        (
            {"min_train_periods": 0},
            r"min_train_periods must be a whole number of periods, 1 or more; got 0\.",
        ),
    ],
)
def test_horizon_and_min_train_periods_must_be_positive(kwargs, message):
    X, y = _panel()
    with pytest.raises(ValueError, match=f"^{message}$"):
        temporal_evaluate(LogisticRegression(), X, y, PERIODS, **kwargs)
