"""Tests of make_model, make_tuned_model, MODEL_NAMES and DEFAULTS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.under_sampling import RandomUnderSampler
from lightgbm import LGBMClassifier
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from finwarn.models import (
    CLASSICAL,
    DEFAULTS,
    ENSEMBLE,
    IMBALANCE,
    MODEL_NAMES,
    SEARCH_SPACES,
    AveragingEnsemble,
    BPNetClassifier,
    ClassicalScoreClassifier,
    SVMClassifier,
    TunedClassifier,
    make_model,
    make_tuned_model,
)
from finwarn.text import FusedClassifier

TRAINED = tuple(DEFAULTS)
ESTIMATOR_TYPES = {
    "logit": LogisticRegression,
    "svm": SVMClassifier,
    "random_forest": RandomForestClassifier,
    "lightgbm": LGBMClassifier,
    "bp": BPNetClassifier,
    "cnn": FusedClassifier,
}
# small settings that keep a fit well under a second
FAST = {
    "logit": {},
    "svm": {},
    "random_forest": {"n_estimators": 20},
    "lightgbm": {"n_estimators": 20},
    "bp": {"max_epochs": 5},
    "cnn": {"epochs": 2},
}
DIMENSIONS = {"roa": "profit", "roe": "profit", "debt": "solvency", "liquidity": "solvency"}


def _data(n: int = 300, seed: int = 0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6))
    y = (X[:, 0] + X[:, 1] ** 2 + rng.normal(scale=0.5, size=n) > 1.5).astype(int)
    X[rng.rand(n, 6) < 0.1] = np.nan
    return X, y


def _polish_frame(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """The 64 Polish columns (the classical scores find their inputs by these names)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        rng.lognormal(0.0, 0.5, size=(n, 64)), columns=[f"Attr{i}" for i in range(1, 65)]
    )
    X["Attr3"] = rng.normal(0.2, 0.3, n)
    y = (X["Attr3"] + rng.normal(0.0, 0.3, n) < 0.0).astype(int).to_numpy()
    return X.mask(rng.random(X.shape) < 0.1), y


def _fast_model(name: str, **kwargs):
    if name == "ensemble":
        return make_model(name, **kwargs).set_params(
            model__lightgbm__model__n_estimators=20, model__bp__model__max_epochs=5
        )
    return make_model(name, **kwargs, **FAST[name])


class _ClassCounter(ClassifierMixin, BaseEstimator):
    """Records the class counts it is trained on; predicts the training base rate."""

    def fit(self, X, y):
        self.classes_, self.counts_ = np.unique(y, return_counts=True)
        return self

    def predict_proba(self, X):
        return np.tile(self.counts_ / self.counts_.sum(), (len(X), 1))


def test_model_names():
    assert MODEL_NAMES == (
        "altman_z",
        "altman_z2",
        "ohlson_o",
        "logit",
        "svm",
        "random_forest",
        "lightgbm",
        "bp",
        "cnn",
        "ensemble",
    )
    assert CLASSICAL == ("altman_z", "altman_z2", "ohlson_o")
    assert set(DEFAULTS) == set(MODEL_NAMES) - set(CLASSICAL) - {"ensemble"}
    assert set(SEARCH_SPACES) <= set(DEFAULTS)
    assert IMBALANCE == ("weights", "none", "undersample", "smote")


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("name", TRAINED)
def test_make_model_builds_a_cleaner_then_the_estimator(name):
    pipe = make_model(name, random_state=3)
    assert isinstance(pipe, Pipeline)
    assert [step for step, _ in pipe.steps] == ["clean", "model"]
    assert isinstance(pipe.named_steps["model"], ESTIMATOR_TYPES[name])
    assert pipe.named_steps["model"].random_state == 3


@pytest.mark.parametrize("name", CLASSICAL)
def test_classical_scores_are_the_formula_alone(name):
    pipe = make_model(name, random_state=3, clip=None)
    assert [step for step, _ in pipe.steps] == ["model"]
    model = pipe.named_steps["model"]
    assert isinstance(model, ClassicalScoreClassifier)
    assert model.formula == name
    assert model.clip is None


def test_ensemble_averages_lightgbm_and_bp_on_the_log_odds_scale():
    assert dict(ENSEMBLE) == {"members": ("lightgbm", "bp"), "average": "logit", "weights": None}
    pipe = make_model("ensemble", random_state=3)
    assert [step for step, _ in pipe.steps] == ["model"]
    ensemble = pipe.named_steps["model"]
    assert isinstance(ensemble, AveragingEnsemble)
    assert [name for name, _ in ensemble.estimators] == ["lightgbm", "bp"]
    assert ensemble.average == "logit"
    assert ensemble.weights is None
    for name, member in ensemble.estimators:
        # each member cleans for itself, with its own defaults
        assert [step for step, _ in member.steps] == ["clean", "model"]
        assert isinstance(member.named_steps["model"], ESTIMATOR_TYPES[name])
        assert member.named_steps["model"].random_state == 3
        params = member.named_steps["model"].get_params()
        assert {key: params[key] for key in DEFAULTS[name]["model"]} == dict(
            DEFAULTS[name]["model"]
        )


@pytest.mark.parametrize("name", TRAINED)
def test_defaults_are_applied(name):
    pipe = make_model(name)
    params = pipe.named_steps["model"].get_params()
    for key, value in DEFAULTS[name]["model"].items():
        assert params[key] == value


def test_lightgbm_pipeline_keeps_missing_values_for_the_trees():
    steps = [step for step, _ in make_model("lightgbm").named_steps["clean"].steps]
    assert "impute" not in steps


def test_estimator_and_cleaner_parameters_can_be_overridden():
    pipe = make_model("bp", max_epochs=7, clean__scaler="minmax", clean__max_feature_missing=0.5)
    assert pipe.named_steps["model"].max_epochs == 7
    clean = pipe.named_steps["clean"]
    assert clean.named_steps["scale"].method == "minmax"
    assert clean.named_steps["drop_sparse"].max_missing == 0.5


def test_random_state_reaches_stochastic_cleaning_steps():
    pipe = make_model("bp", random_state=5, clean__imputer="mean_noise")
    assert pipe.named_steps["clean"].named_steps["impute"].random_state == 5
    assert pipe.named_steps["clean"].named_steps["scale"].random_state == 5


def test_defaults_are_frozen():
    with pytest.raises(TypeError, match="does not support item assignment"):
        DEFAULTS["bp"]["model"]["max_epochs"] = 1  # type: ignore[index]


def test_bare_bp_network_has_the_registry_defaults():
    params = BPNetClassifier().get_params()
    assert {key: params[key] for key in DEFAULTS["bp"]["model"]} == dict(DEFAULTS["bp"]["model"])


# --------------------------------------------------------------------------- fitting


@pytest.mark.parametrize("name", [*TRAINED, "ensemble"])
def test_models_fit_data_with_missing_values_and_are_seeded(name):
    X, y = _data()
    first = _fast_model(name, random_state=0).fit(X, y).predict_proba(X)
    again = _fast_model(name, random_state=0).fit(X, y).predict_proba(X)
    assert first.shape == (300, 2)
    np.testing.assert_allclose(first.sum(axis=1), 1.0)
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("name", CLASSICAL)
def test_classical_scores_fit_named_columns_with_missing_values(name):
    X, y = _polish_frame()
    first = make_model(name, random_state=0).fit(X, y).predict_proba(X)
    again = make_model(name, random_state=1).fit(X, y).predict_proba(X)
    assert first.shape == (200, 2)
    assert not np.isnan(first).any()
    # a published formula: nothing random, whatever the seed
    np.testing.assert_array_equal(first, again)


# --------------------------------------------------------------------------- imbalance


@pytest.mark.parametrize("name", TRAINED)
@pytest.mark.parametrize(
    ("imbalance", "sampler"), [("undersample", RandomUnderSampler), ("smote", SMOTE)]
)
def test_resampling_inserts_a_seeded_resample_step(name, imbalance, sampler):
    pipe = make_model(name, random_state=4, imbalance=imbalance)
    assert [step for step, _ in pipe.steps] == ["clean", "resample", "model"]
    assert isinstance(pipe.named_steps["resample"], sampler)
    assert pipe.named_steps["resample"].random_state == 4
    assert isinstance(pipe.named_steps["model"], ESTIMATOR_TYPES[name])


@pytest.mark.parametrize("name", TRAINED)
@pytest.mark.parametrize("imbalance", ["weights", "none"])
def test_weighting_strategies_do_not_resample(name, imbalance):
    pipe = make_model(name, imbalance=imbalance)
    assert type(pipe) is Pipeline
    assert [step for step, _ in pipe.steps] == ["clean", "model"]


@pytest.mark.parametrize("name", TRAINED)
@pytest.mark.parametrize("imbalance", ["none", "undersample", "smote"])
def test_strategies_other_than_weights_switch_class_weighting_off(name, imbalance):
    params = make_model(name, imbalance=imbalance).named_steps["model"].get_params()
    assert params["class_weight"] is None
    if name == "lightgbm":
        assert params["scale_pos_weight"] == 1.0


@pytest.mark.parametrize("name", TRAINED)
def test_weights_keep_the_default_class_weighting(name):
    params = make_model(name, imbalance="weights").named_steps["model"].get_params()
    assert params["class_weight"] == DEFAULTS[name]["model"]["class_weight"]


@pytest.mark.parametrize("name", ["lightgbm", "cnn"])
def test_smote_gets_complete_data_from_a_median_imputer(name):
    # these models take missing values themselves, so their cleaner has no imputer
    assert "impute" not in make_model(name).named_steps["clean"].named_steps
    impute = make_model(name, imbalance="smote").named_steps["clean"].named_steps["impute"]
    assert impute.strategy == "median"
    assert impute.add_indicator is True


@pytest.mark.parametrize("name", ["logit", "lightgbm"])
@pytest.mark.parametrize(
    ("imbalance", "expected"),
    # _data() has 204 healthy and 96 distressed rows
    [("weights", [204, 96]), ("none", [204, 96]), ("undersample", [96, 96]), ("smote", [204, 204])],
)
def test_the_model_is_trained_on_resampled_rows_and_predicts_every_row(name, imbalance, expected):
    X, y = _data()
    assert np.bincount(y).tolist() == [204, 96]
    pipe = make_model(name, random_state=0, imbalance=imbalance).set_params(model=_ClassCounter())
    pipe.fit(X, y)
    assert pipe.named_steps["model"].counts_.tolist() == expected
    assert pipe.predict_proba(X).shape == (300, 2)


@pytest.mark.parametrize("name", TRAINED)
@pytest.mark.parametrize("imbalance", ["undersample", "smote"])
def test_resampling_pipelines_fit_data_with_missing_values_and_are_seeded(name, imbalance):
    X, y = _data()
    first = _fast_model(name, random_state=0, imbalance=imbalance).fit(X, y).predict_proba(X)
    again = _fast_model(name, random_state=0, imbalance=imbalance).fit(X, y).predict_proba(X)
    assert first.shape == (300, 2)
    np.testing.assert_array_equal(first, again)


def test_ensemble_members_share_the_imbalance_strategy():
    ensemble = make_model("ensemble", imbalance="undersample").named_steps["model"]
    for _, member in ensemble.estimators:
        assert [step for step, _ in member.steps] == ["clean", "resample", "model"]


def test_unknown_imbalance_strategy():
    with pytest.raises(
        ValueError,
        match=r"^Unknown imbalance strategy 'smot'; choose one of weights, none, undersample, "
        r"smote\. Did you mean 'smote'\?$",
    ):
        make_model("logit", imbalance="smot")


@pytest.mark.parametrize("name", CLASSICAL)
@pytest.mark.parametrize("imbalance", ["none", "undersample", "smote"])
def test_classical_scores_take_no_imbalance_strategy(name, imbalance):
    with pytest.raises(
        ValueError,
        match=rf"^{name} is a published formula with nothing to train, so "
        rf"imbalance='{imbalance}' does not apply; leave the default\.$",
    ):
        make_model(name, imbalance=imbalance)


# --------------------------------------------------------------------------- ensemble, cnn


def test_ensemble_members_average_and_weights_can_be_chosen():
    pipe = make_model(
        "ensemble", random_state=1, members=["logit", "svm"], average="proba", weights=[2.0, 1.0]
    )
    ensemble = pipe.named_steps["model"]
    assert [name for name, _ in ensemble.estimators] == ["logit", "svm"]
    assert ensemble.average == "proba"
    assert ensemble.weights == [2.0, 1.0]
    assert isinstance(ensemble.named_estimators["svm"].named_steps["model"], SVMClassifier)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"member": ("bp",)},
            r"^Unknown parameter 'member' for model 'ensemble'; it takes members, average, "
            r"weights\. Did you mean 'members'\?$",
        ),
        (
            {"n_estimators": 10},
            r"^Unknown parameter 'n_estimators' for model 'ensemble'; it takes members, "
            r"average, weights\.$",
        ),
        (
            {"members": ("lightgbn", "bp")},
            r"^ensemble members must be trained models among bp, logit, lightgbm, svm, "
            r"random_forest, cnn; got \['lightgbn', 'bp'\]\. Did you mean 'lightgbm'\?$",
        ),
        (
            {"members": ("altman_z", "bp")},
            r"^ensemble members must be trained models among bp, logit, lightgbm, svm, "
            r"random_forest, cnn; got \['altman_z', 'bp'\]\.$",
        ),
        (
            {"members": ()},
            r"^ensemble members must be trained models among bp, logit, lightgbm, svm, "
            r"random_forest, cnn; got \[\]\.$",
        ),
    ],
)
def test_bad_ensemble_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        make_model("ensemble", **params)


def test_cnn_arranges_the_indicators_by_the_given_dimensions():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=list(DIMENSIONS))
    X = X.mask(rng.random(X.shape) < 0.1)
    y = (X["roa"].fillna(0.0) > 0.5).astype(int)
    pipe = make_model("cnn", random_state=0, dimensions=DIMENSIONS, epochs=2).fit(X, y)
    model = pipe.named_steps["model"]
    assert model.dimensions == DIMENSIONS
    assert model.dimension_layout_ == {"profit": ["roa", "roe"], "solvency": ["debt", "liquidity"]}
    # (values and missing flags, dimensions, widest dimension)
    assert model.financial_input_shape_ == (2, 2, 2)


def test_dimensions_reach_the_ensembles_cnn_member():
    ensemble = make_model("ensemble", members=("cnn", "logit"), dimensions=DIMENSIONS)
    cnn = ensemble.named_steps["model"].named_estimators["cnn"].named_steps["model"]
    assert isinstance(cnn, FusedClassifier)
    assert cnn.dimensions == DIMENSIONS


# --------------------------------------------------------------------------- tuned models


@pytest.mark.parametrize("name", list(SEARCH_SPACES))
def test_tuned_model_searches_the_registry_models_estimator_step(name):
    tuned = make_tuned_model(name, budget_seconds=7.0, cv=4, random_state=2)
    assert isinstance(tuned, TunedClassifier)
    assert tuned.space == {f"model__{key}": dict(spec) for key, spec in SEARCH_SPACES[name].items()}
    assert set(tuned.space) <= set(tuned.estimator.get_params())
    assert [step for step, _ in tuned.estimator.steps] == ["clean", "model"]
    assert isinstance(tuned.estimator.named_steps["model"], ESTIMATOR_TYPES[name])
    assert tuned.estimator.named_steps["model"].random_state == 2
    assert (tuned.budget_seconds, tuned.cv, tuned.random_state) == (7.0, 4, 2)


def test_tuned_model_passes_other_arguments_to_make_model():
    tuned = make_tuned_model("lightgbm", imbalance="undersample", n_estimators=50)
    assert [step for step, _ in tuned.estimator.steps] == ["clean", "resample", "model"]
    assert tuned.estimator.named_steps["model"].n_estimators == 50


@pytest.mark.parametrize("name", list(SEARCH_SPACES))
def test_tuned_models_start_from_the_defaults_that_lie_in_their_space(name):
    X, y = _data(n=150)
    # small settings, inside the spaces where the space holds them
    fast = {"random_forest": {"n_estimators": 20}, "lightgbm": {"n_estimators": 100}}
    tuned = make_tuned_model(name, random_state=0, **fast.get(name, {}))
    tuned.set_params(max_trials=1).fit(X, y)
    assert len(tuned.trials_) == 1
    first = tuned.trials_.iloc[0]
    defaults = tuned.estimator.get_params()
    for key, spec in tuned.space.items():
        if isinstance(defaults[key], str):
            # e.g. the SVM's gamma="scale" in a numeric range: sampled instead
            assert spec["low"] <= first[key] <= spec["high"]
        else:
            assert first[key] == defaults[key]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "cnn",
            r"^No search space for model 'cnn'; tunable models are lightgbm, bp, logit, svm, "
            r"random_forest\.$",
        ),
        (
            "lightgbn",
            r"^No search space for model 'lightgbn'; tunable models are lightgbm, bp, logit, "
            r"svm, random_forest\. Did you mean 'lightgbm'\?$",
        ),
    ],
)
def test_tuned_model_of_an_unknown_or_untunable_model(name, message):
    with pytest.raises(ValueError, match=message):
        make_tuned_model(name)


# --------------------------------------------------------------------------- bad names


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "lightgbn",
            r"^Unknown model 'lightgbn'; choose one of altman_z, altman_z2, ohlson_o, logit, "
            r"svm, random_forest, lightgbm, bp, cnn, ensemble\. Did you mean 'lightgbm'\?$",
        ),
        (
            "xgboost",
            r"^Unknown model 'xgboost'; choose one of altman_z, altman_z2, ohlson_o, logit, "
            r"svm, random_forest, lightgbm, bp, cnn, ensemble\.$",
        ),
    ],
)
def test_unknown_model_name(name, message):
    with pytest.raises(ValueError, match=message):
        make_model(name)


def test_unknown_estimator_parameter_suggests_a_close_name():
    with pytest.raises(
        ValueError,
        match=r"Unknown parameter 'max_epoch' for model 'bp'; pass random_state separately, "
        r"an estimator parameter by its name, or a cleaner argument with the 'clean__' prefix\."
        r" Did you mean 'max_epochs'\?",
    ):
        make_model("bp", max_epoch=10)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"clp": None},
            r"^Unknown parameter 'clp' for model 'altman_z'; the score takes clip, inputs\. "
            r"Did you mean 'clip'\?$",
        ),
        (
            {"formula": "ohlson_o"},
            r"^Unknown parameter 'formula' for model 'altman_z'; the score takes clip, inputs\.$",
        ),
    ],
)
def test_unknown_classical_score_parameter(params, message):
    with pytest.raises(ValueError, match=message):
        make_model("altman_z", **params)


def test_unknown_cleaner_argument_lists_the_valid_ones():
    with pytest.raises(
        ValueError,
        match=r"Unknown cleaner argument 'clean__scale' for model 'logit'; the cleaner takes "
        r"clean__max_feature_missing, .*\. Did you mean 'scaler'\?",
    ):
        make_model("logit", clean__scale="minmax")


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def polish_5year(shared_data: Path):
    """Polish 5year split as the test below uses it: 75% to train, 25% held out."""
    arff = pytest.importorskip("arff")
    with (shared_data / "polish" / "5year.arff").open() as handle:
        raw = arff.load(handle)
    data = np.array(raw["data"], dtype=object)
    values = np.where(data[:, :-1] == None, np.nan, data[:, :-1]).astype(float)  # noqa: E711
    X = pd.DataFrame(values, columns=[name for name, _ in raw["attributes"][:-1]])
    y = data[:, -1].astype(int)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("name", [*TRAINED, "ensemble"])
def test_models_rank_polish_bankruptcies_well(name, polish_5year):
    X_train, X_test, y_train, y_test = polish_5year
    model = make_model(name, random_state=0).fit(X_train, y_train)
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    assert auc > 0.9


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("name", CLASSICAL)
def test_classical_scores_rank_polish_bankruptcies_better_than_chance(name, polish_5year):
    # held-out ROC-AUC 0.70 (Z), 0.73 (Z'') and 0.76 (O); a random ranking of these 1,478
    # test rows (103 bankrupt) has a standard deviation of 0.03 around 0.5, so 0.65 lies
    # five of them above chance
    X_train, X_test, y_train, y_test = polish_5year
    model = make_model(name).fit(X_train, y_train)
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    assert auc > 0.65


def test_class_weights_clash_with_another_imbalance_strategy():
    with pytest.raises(
        ValueError,
        match=r"^class_weight weighs the classes, which imbalance='undersample' replaces; "
        r"drop it, or use imbalance='weights' to weigh the classes yourself\.$",
    ):
        make_model("logit", imbalance="undersample", class_weight="balanced")


def test_a_single_ensemble_member_may_be_named_by_a_string():
    ensemble = make_model("ensemble", members="bp").named_steps["model"]
    assert [name for name, _ in ensemble.estimators] == ["bp"]
