"""Tests of explain_model: signs on a model of known structure, additivity, cleaner
columns folded back into features, occlusion, errors, and the Attribution tables."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from finwarn.exceptions import DataValidationError
from finwarn.explain import EXACT_METHODS, METHODS, Attribution, explain_model
from finwarn.models import make_model
from finwarn.warning import WarningClassifier

FEATURES = ["debt_ratio", "roa", "noise"]
# the probabilities explain_model clips before taking log-odds
EPS = 1e-12


def simulate(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Distress rises with debt_ratio, falls with roa and ignores noise."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "debt_ratio": rng.uniform(0.1, 1.1, n),
            "roa": rng.normal(0.03, 0.08, n),
            "noise": rng.normal(0.0, 1.0, n),
        },
        index=pd.Index([f"F{i:03d}" for i in range(n)], name="entity"),
    )
    z = -1.0 + 12.0 * (X["debt_ratio"] - 0.6) - 50.0 * (X["roa"] - 0.03)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(int).to_numpy()
    return X, y


def with_missing(seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """The simulated firms with 20% of debt_ratio missing and a 50%-missing column."""
    X, y = simulate()
    rng = np.random.default_rng(seed)
    X = X.copy()
    X.loc[rng.random(len(X)) < 0.2, "debt_ratio"] = np.nan
    X["sparse"] = np.where(rng.random(len(X)) < 0.5, np.nan, rng.normal(size=len(X)))
    return X, y


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def small_bp(**params: Any) -> Any:
    pytest.importorskip("torch")
    return make_model(
        "bp",
        random_state=0,
        max_epochs=30,
        hidden_layer_sizes=(32,),
        learning_rate=0.01,
        **params,
    )


BUILDERS: dict[str, Callable[[], Any]] = {
    "logit": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
    "logit-pipeline": lambda: make_model("logit", random_state=0),
    "lightgbm": lambda: make_model("lightgbm", random_state=0),
    "bp": small_bp,
    "warning-classifier": lambda: WarningClassifier(
        make_model("lightgbm", random_state=0, n_estimators=100), random_state=0
    ),
    "random-forest": lambda: RandomForestClassifier(
        n_estimators=100, min_samples_leaf=10, random_state=0
    ),
}
METHOD = {
    "logit": "linear",
    "logit-pipeline": "linear",
    "lightgbm": "tree_shap",
    "bp": "gradients",
    "warning-classifier": "tree_shap",
    "random-forest": "occlusion",
}


def uncalibrated(model: Any) -> Any:
    return model.estimator_ if isinstance(model, WarningClassifier) else model


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return simulate()


@pytest.fixture(scope="module")
def fitted(data) -> Callable[[str], Any]:
    """Each model of BUILDERS fitted once on the simulated firms, on first use."""
    X, y = data
    cache: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in cache:
            cache[name] = BUILDERS[name]().fit(X, y)
        return cache[name]

    return get


# --------------------------------------------------------------------------- known structure


@pytest.mark.parametrize(
    ("name", "min_agreement", "max_noise_share"),
    [
        ("logit", 1.0, 0.15),
        ("logit-pipeline", 1.0, 0.15),
        ("lightgbm", 0.95, 0.4),
        ("bp", 0.95, 0.15),
        ("warning-classifier", 0.95, 0.4),
        ("random-forest", 0.95, 0.4),
    ],
)
def test_contributions_have_the_signs_of_the_known_model(
    data, fitted, name, min_agreement, max_noise_share
):
    X, _ = data
    attribution = explain_model(fitted(name), X)
    values = attribution.values
    assert attribution.method == METHOD[name]
    # firms well above the background (its upper quartile) on one indicator
    high_debt = X["debt_ratio"] > X["debt_ratio"].quantile(0.75)
    high_roa = X["roa"] > X["roa"].quantile(0.75)
    assert high_debt.sum() == high_roa.sum() == 100
    assert (values.loc[high_debt, "debt_ratio"] > 0).mean() >= min_agreement
    assert (values.loc[high_roa, "roa"] < 0).mean() >= min_agreement
    # trees split on noise a little in 400 rows; the smooth models hardly use it
    mean_abs = values.abs().mean()
    assert mean_abs["noise"] < max_noise_share * mean_abs["debt_ratio"]
    assert mean_abs["noise"] < max_noise_share * mean_abs["roa"]


def test_linear_contributions_are_coef_times_distance_from_the_background_mean(data):
    X, y = data
    model = LogisticRegression().fit(X, y)
    background = X.iloc[:100]
    attribution = explain_model(model, X, background=background)
    coef = model.coef_.ravel()
    expected = (X - background.mean()) * coef
    pd.testing.assert_frame_equal(attribution.values, expected)
    assert attribution.base_value == pytest.approx(
        model.intercept_[0] + background.mean().to_numpy() @ coef
    )
    # every firm above the mean debt ratio is pushed up, every one above the mean roa down
    assert coef[0] > 0 > coef[1]
    above = X["debt_ratio"] > background["debt_ratio"].mean()
    assert (attribution.values["debt_ratio"] > 0).eq(above).all()
    above = X["roa"] > background["roa"].mean()
    assert (attribution.values["roa"] < 0).eq(above).all()


# --------------------------------------------------------------------------- additivity


@pytest.mark.parametrize("name", ["logit", "logit-pipeline", "lightgbm", "warning-classifier"])
def test_exact_methods_add_up_to_the_uncalibrated_log_odds(data, fitted, name):
    X, _ = data
    model = fitted(name)
    attribution = explain_model(model, X)
    assert attribution.method in EXACT_METHODS
    assert attribution.exact
    np.testing.assert_allclose(
        attribution.values.sum(axis=1) + attribution.base_value, attribution.log_odds
    )
    expected = logit(uncalibrated(model).predict_proba(X)[:, 1])
    np.testing.assert_allclose(attribution.log_odds, expected, rtol=1e-7, atol=1e-9)
    assert attribution.log_odds.index.equals(X.index)
    assert attribution.log_odds.name == "log_odds"


def test_tree_shap_ignores_the_background(data, fitted):
    X, _ = data
    model = fitted("lightgbm")
    a = explain_model(model, X)
    b = explain_model(model, X, background=X.iloc[:50])
    pd.testing.assert_frame_equal(a.values, b.values)
    assert a.base_value == b.base_value


@pytest.mark.parametrize("n_networks", [1, 2])
def test_integrated_gradients_add_up_within_the_integration_error(data, n_networks):
    X, y = data
    model = small_bp(n_networks=n_networks).fit(X, y)
    attribution = explain_model(model, X)
    assert attribution.method == "gradients"
    assert not attribution.exact
    # the log-odds are those of the networks' averaged probability (float32 networks)
    expected = logit(model.predict_proba(X)[:, 1])
    np.testing.assert_allclose(attribution.log_odds, expected, atol=1e-4)
    # tolerance: the mean gap is under 1% of the spread of the log-odds across firms
    gap = (attribution.values.sum(axis=1) + attribution.base_value - attribution.log_odds).abs()
    assert gap.mean() < 0.01 * attribution.log_odds.std()


def test_more_integration_steps_shrink_the_gap(data, fitted):
    X, _ = data
    model = fitted("bp")

    def mean_gap(n_steps: int) -> float:
        a = explain_model(model, X, n_steps=n_steps)
        return float((a.values.sum(axis=1) + a.base_value - a.log_odds).abs().mean())

    assert mean_gap(32) < mean_gap(1)


# --------------------------------------------------------------------------- cleaner columns


def test_missing_flags_are_folded_into_their_feature():
    X, y = with_missing()
    model = make_model("logit", random_state=0).fit(X, y)
    clean, estimator = model[:-1], model[-1]
    names = list(clean.get_feature_names_out())
    # the setup: a flag for debt_ratio, and the sparse column dropped
    assert names == ["debt_ratio", "roa", "noise", "debt_ratio_missing"]
    attribution = explain_model(model, X)
    cleaned = clean.transform(X)
    terms = (cleaned - cleaned.mean(axis=0)) * estimator.coef_.ravel()
    expected = pd.DataFrame(
        {
            "debt_ratio": terms[:, 0] + terms[:, 3],
            "roa": terms[:, 1],
            "noise": terms[:, 2],
            "sparse": 0.0,
        },
        index=X.index,
    )
    pd.testing.assert_frame_equal(attribution.values, expected)
    # a missing debt ratio is explained by debt_ratio, not lost with the flag
    missing = X["debt_ratio"].isna()
    assert (attribution.values.loc[missing, "debt_ratio"] != 0).all()
    np.testing.assert_allclose(
        attribution.values.sum(axis=1) + attribution.base_value, attribution.log_odds
    )


@pytest.mark.parametrize(("name", "tolerance"), [("logit", 0.0), ("lightgbm", 0.0), ("bp", 0.01)])
def test_features_the_cleaner_dropped_get_exactly_zero(name, tolerance):
    X, y = with_missing()
    if name == "bp":
        model = small_bp()
    else:
        model = make_model(name, random_state=0)
    model.fit(X, y)
    attribution = explain_model(model, X)
    assert list(attribution.values.columns) == ["debt_ratio", "roa", "noise", "sparse"]
    assert (attribution.values["sparse"] == 0.0).all()
    assert (attribution.values["debt_ratio"] != 0.0).any()
    # still additive: no cleaned column (flag or feature) was lost in folding
    gap = (attribution.values.sum(axis=1) + attribution.base_value - attribution.log_odds).abs()
    if tolerance == 0.0:
        np.testing.assert_allclose(gap, 0.0, atol=1e-9)
    else:
        assert gap.mean() < tolerance * attribution.log_odds.std()


def test_a_cleaner_without_feature_names_falls_back_to_occlusion(data, caplog):
    X, y = data
    model = make_pipeline(PCA(n_components=2), LogisticRegression()).fit(X, y)
    with caplog.at_level(logging.WARNING, logger="finwarn.explain._attribution"):
        attribution = explain_model(model, X)
    assert attribution.method == "occlusion"
    assert attribution.values.shape == (400, 3)
    assert (
        "cannot map the columns the cleaner of LogisticRegression outputs back to the "
        "features; explaining by occlusion instead of linear"
    ) in caplog.messages


# --------------------------------------------------------------------------- occlusion


def test_occlusion_keeps_rows_and_columns_and_matches_a_manual_occlusion(data, fitted):
    X, _ = data
    model = fitted("random-forest")
    background = X.iloc[::2]
    attribution = explain_model(model, X, background=background)
    assert attribution.method == "occlusion"
    assert not attribution.exact
    assert attribution.values.shape == (400, 3)
    assert attribution.values.index.equals(X.index)
    assert list(attribution.values.columns) == FEATURES
    full = logit(model.predict_proba(X)[:, 1])
    np.testing.assert_allclose(attribution.log_odds, full)
    for feature in FEATURES:
        occluded = X.copy()
        occluded[feature] = background[feature].median()
        expected = full - logit(model.predict_proba(occluded)[:, 1])
        np.testing.assert_allclose(attribution.values[feature], expected)
    median_firm = background.median().to_frame().T
    assert attribution.base_value == pytest.approx(logit(model.predict_proba(median_firm))[0, 1])


def test_arrays_get_the_fitted_feature_names_or_positional_ones(data):
    X, y = data
    named = LogisticRegression().fit(X, y)
    attribution = explain_model(named, X.to_numpy())
    assert list(attribution.values.columns) == FEATURES
    assert attribution.values.index.equals(pd.RangeIndex(400))
    unnamed = RandomForestClassifier(n_estimators=10, random_state=0).fit(X.to_numpy(), y)
    attribution = explain_model(unnamed, X.to_numpy()[:20], background=X.to_numpy())
    assert attribution.method == "occlusion"
    assert list(attribution.values.columns) == ["x0", "x1", "x2"]
    assert attribution.values.shape == (20, 3)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (LogisticRegression, "LogisticRegression"),
        (lambda: make_model("logit", random_state=0), "LogisticRegression"),
        (lambda: WarningClassifier(LogisticRegression()), "WarningClassifier"),
    ],
)
def test_an_unfitted_model_is_refused(data, build, name):
    X, _ = data
    with pytest.raises(NotFittedError, match=f"This {name} instance is not fitted yet"):
        explain_model(build(), X)


@pytest.mark.parametrize(
    "build", [LinearRegression, lambda: make_pipeline(StandardScaler(), LinearRegression())]
)
def test_a_model_without_predict_proba_is_refused(data, build):
    X, y = data
    with pytest.raises(
        ValueError,
        match=re.escape(
            "explain_model needs a classifier with predict_proba as the model's last step; "
            "got LinearRegression. Pass a fitted WarningClassifier or a Pipeline ending in "
            "a classifier."
        ),
    ):
        explain_model(build().fit(X, y), X)


def test_a_multiclass_classifier_is_refused(data):
    X, _ = data
    classes = np.arange(len(X)) % 3
    model = LogisticRegression().fit(X, classes)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "explain_model explains binary classifiers (distress or not); "
            "LogisticRegression has 3 classes."
        ),
    ):
        explain_model(model, X)


def test_a_background_missing_a_column_names_it_and_suggests_the_close_one(data, fitted):
    X, _ = data
    background = X.rename(columns={"debt_ratio": "debt_ration"})
    with pytest.raises(
        DataValidationError,
        match=re.escape(
            "background lacks 1 column(s) of X: 'debt_ratio'. Did you mean 'debt_ration'? "
            "Pass reference firms with the model's features."
        ),
    ):
        explain_model(fitted("logit"), X, background=background)


def test_a_background_array_of_the_wrong_width_is_refused(data, fitted):
    X, _ = data
    with pytest.raises(
        ValueError,
        match=re.escape("background must have the 3 columns of X, got shape (5, 2)."),
    ):
        explain_model(fitted("logit"), X, background=np.zeros((5, 2)))


def test_an_empty_background_is_refused(data, fitted):
    X, _ = data
    with pytest.raises(
        ValueError,
        match=re.escape(
            "background has no rows; pass reference firms (ideally the training rows) "
            "or leave background=None to use X."
        ),
    ):
        explain_model(fitted("logit"), X, background=X.iloc[:0])


@pytest.mark.parametrize("n_steps", [0, -3, 2.5, True, "16", None])
def test_n_steps_must_be_a_positive_integer(data, fitted, n_steps):
    X, _ = data
    with pytest.raises(
        ValueError,
        match=re.escape(f"n_steps must be a positive integer, got {n_steps!r}; e.g. 16."),
    ):
        explain_model(fitted("logit"), X, n_steps=n_steps)


def test_a_one_dimensional_array_is_refused(fitted):
    with pytest.raises(
        ValueError,
        match=re.escape("X must be two-dimensional (firms x features), got shape (3,)."),
    ):
        explain_model(fitted("logit"), np.zeros(3))


# --------------------------------------------------------------------------- empty X


@pytest.mark.parametrize("name", ["logit", "lightgbm", "random-forest"])
@pytest.mark.parametrize("pass_background", [False, True])
def test_an_empty_X_gives_an_empty_attribution(data, fitted, name, pass_background):
    X, _ = data
    empty = X.iloc[:0]
    background = X if pass_background else None
    attribution = explain_model(fitted(name), empty, background=background)
    assert attribution.method == METHOD[name]
    assert attribution.values.shape == (0, 3)
    assert list(attribution.values.columns) == FEATURES
    assert attribution.values.index.equals(empty.index)
    assert attribution.log_odds.empty
    assert attribution.log_odds.name == "log_odds"
    assert np.isnan(attribution.base_value)
    assert attribution.table().empty


# --------------------------------------------------------------------------- Attribution


def constructed() -> Attribution:
    return Attribution(
        values=pd.DataFrame(
            {"debt_ratio": [0.8, -0.2], "roa": [0.1, -0.4], "size": [0.05, 0.3]},
            index=["A", "B"],
        ),
        base_value=-2.0,
        method="linear",
        log_odds=pd.Series([-1.05, -2.3], index=["A", "B"]),
    )


def test_by_dimension_sums_features_and_counts_unnamed_ones_as_other():
    wide = constructed().by_dimension({"roa": "profitability", "debt_ratio": "solvency"})
    expected = pd.DataFrame(
        {"solvency": [0.8, -0.2], "profitability": [0.1, -0.4], "other": [0.05, 0.3]},
        index=["A", "B"],
    )
    pd.testing.assert_frame_equal(wide, expected)


def test_by_dimension_adds_features_of_one_dimension():
    wide = constructed().by_dimension({"roa": "profitability", "size": "profitability"})
    expected = pd.DataFrame({"other": [0.8, -0.2], "profitability": [0.15, -0.1]}, index=["A", "B"])
    pd.testing.assert_frame_equal(wide, expected)


def test_table_is_tidy_in_firm_then_feature_order():
    expected = pd.DataFrame(
        {
            "row": ["A", "A", "A", "B", "B", "B"],
            "feature": ["debt_ratio", "roa", "size"] * 2,
            "contribution": [0.8, 0.1, 0.05, -0.2, -0.4, 0.3],
        }
    )
    pd.testing.assert_frame_equal(constructed().table(), expected)


@pytest.mark.parametrize("method", METHODS)
def test_exact_is_true_only_for_the_exact_methods(method):
    attribution = Attribution(pd.DataFrame(), 0.0, method, pd.Series(dtype=float))
    assert attribution.exact is (method in {"tree_shap", "linear"})
