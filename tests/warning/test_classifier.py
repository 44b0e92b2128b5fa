from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from finwarn.warning import WarningClassifier, level_cutoffs, load_warning_config, make_warnings
from finwarn.warning._config import WarningConfig


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=1500, n_features=8, weights=[0.93], random_state=1)


def test_cutoffs_follow_the_training_base_rate():
    cfg = load_warning_config()
    cuts = level_cutoffs(cfg, 0.05)
    odds = cuts / (1 - cuts)
    np.testing.assert_allclose(odds / (0.05 / 0.95), [1.0, 3.0, 10.0])
    assert level_cutoffs(cfg, 0.2)[0] == pytest.approx(0.2)


def test_probability_mode_uses_the_values_as_given():
    cfg = WarningConfig.model_validate(
        {
            **load_warning_config().model_dump(),
            "cutoffs": {"mode": "probability", "values": [0.1, 0.2, 0.5]},
        }
    )
    np.testing.assert_allclose(level_cutoffs(cfg, 0.05), [0.1, 0.2, 0.5])


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_calibrated_probabilities_match_observed_rates(data, method):
    X, y = data
    base = load_warning_config().model_dump()
    cfg = WarningConfig.model_validate({**base, "calibration": {"method": method, "folds": 5}})
    model = WarningClassifier(LogisticRegression(), config=cfg, random_state=0).fit(X, y)
    p = model.oof_proba_
    assert p.min() >= 0 and p.max() <= 1
    # calibrated out of fold: mean probability close to the base rate, and the top decile
    # far riskier than the bottom one
    assert abs(p.mean() - y.mean()) < 0.01
    order = np.argsort(p)
    assert y[order[-150:]].mean() > 5 * y[order[:150]].mean()
    assert model.base_rate_ == pytest.approx(y.mean())


def test_levels_and_decision_agree(data):
    X, y = data
    model = WarningClassifier(LogisticRegression(), random_state=0).fit(X, y)
    proba = model.predict_proba(X)[:, 1]
    levels = model.predict_level(X)
    index = model.level_index(proba)
    assert set(levels) <= {"none", "light", "moderate", "heavy"}
    # every firm above the heavy cut-off is heavy, and below the light cut-off is none
    assert (levels[proba >= model.cutoffs_[2]] == "heavy").all()
    assert (levels[proba < model.cutoffs_[0]] == "none").all()
    np.testing.assert_array_equal(model.predict(X), (index >= 2).astype(int))


def test_same_seed_same_model(data):
    X, y = data
    a = WarningClassifier(LogisticRegression(), random_state=3).fit(X, y).oof_proba_
    b = WarningClassifier(LogisticRegression(), random_state=3).fit(X, y).oof_proba_
    np.testing.assert_array_equal(a, b)


def test_dataframes_keep_feature_names(data):
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = WarningClassifier(LogisticRegression(), random_state=0).fit(frame, y)
    assert list(model.feature_names_in_) == list(frame.columns)


def test_platt_calibration_is_the_calibrators_predict_proba(data):
    X, y = data
    model = WarningClassifier(LogisticRegression(), random_state=0).fit(X, y)
    score = model.score_raw(X)
    clipped = np.clip(score, 1e-6, 1 - 1e-6)
    logit = np.log(clipped / (1 - clipped)).reshape(-1, 1)
    expected = model.calibrator_.predict_proba(logit)[:, 1]
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], expected, rtol=0, atol=1e-15)


def test_dataframe_with_renamed_columns_is_refused(data):
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = WarningClassifier(LogisticRegression(), random_state=0).fit(frame, y)
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing"):
        model.predict_proba(frame.rename(columns={"f0": "other"}))


def test_more_than_two_classes_is_refused():
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(
        ValueError,
        match=r"Only binary .* needs exactly two classes .* got 3 class\(es\): \[0, 1, 2\]",
    ):
        WarningClassifier(LogisticRegression()).fit(X, np.arange(30) % 3)


def test_too_few_distressed_rows_is_refused():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.zeros(30, dtype=int)
    y[0] = 1
    with pytest.raises(
        ValueError, match=r"each class needs at least 2 rows .* smaller class has 1"
    ):
        WarningClassifier(LogisticRegression()).fit(X, y)


def test_warnings_rank_by_probability_then_raw_score():
    ids = pd.DataFrame({"entity": ["a", "b", "c"], "period": [2020, 2020, 2020]})
    w = make_warnings(
        ids,
        np.array([0.2, 0.2, 0.5]),
        np.array([0.3, 0.4, 0.9]),
        np.array(["light", "light", "heavy"]),
        ("none", "light", "heavy"),
    )
    table = w.table()
    assert table["entity"].tolist() == ["c", "b", "a"]
    assert table["rank"].tolist() == [1, 2, 3]
    assert w.counts()["firms"].tolist() == [0, 2, 1]
