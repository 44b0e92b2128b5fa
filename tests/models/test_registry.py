"""Tests of make_model, MODEL_NAMES and DEFAULTS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lightgbm import LGBMClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from finwarn.models import DEFAULTS, MODEL_NAMES, BPNetClassifier, make_model

ESTIMATOR_TYPES = {"bp": BPNetClassifier, "logit": LogisticRegression, "lightgbm": LGBMClassifier}
FAST = {"bp": {"max_epochs": 5}, "logit": {}, "lightgbm": {"n_estimators": 20}}


def _data(n: int = 300, seed: int = 0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6))
    y = (X[:, 0] + X[:, 1] ** 2 + rng.normal(scale=0.5, size=n) > 1.5).astype(int)
    X[rng.rand(n, 6) < 0.1] = np.nan
    return X, y


def test_model_names():
    assert MODEL_NAMES == ("bp", "logit", "lightgbm")
    assert set(DEFAULTS) == set(MODEL_NAMES)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_make_model_builds_a_cleaner_then_the_estimator(name):
    pipe = make_model(name, random_state=3)
    assert isinstance(pipe, Pipeline)
    assert [step for step, _ in pipe.steps] == ["clean", "model"]
    assert isinstance(pipe.named_steps["model"], ESTIMATOR_TYPES[name])
    assert pipe.named_steps["model"].random_state == 3


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_defaults_are_applied(name):
    pipe = make_model(name)
    params = pipe.named_steps["model"].get_params()
    for key, value in DEFAULTS[name]["model"].items():
        assert params[key] == value


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_models_fit_data_with_missing_values_and_are_seeded(name):
    X, y = _data()
    first = make_model(name, random_state=0, **FAST[name]).fit(X, y).predict_proba(X)
    again = make_model(name, random_state=0, **FAST[name]).fit(X, y).predict_proba(X)
    assert first.shape == (300, 2)
    np.testing.assert_array_equal(first, again)


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


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "lightgbn",
            r"Unknown model 'lightgbn'; choose one of bp, logit, lightgbm\. "
            r"Did you mean 'lightgbm'\?",
        ),
        ("svm", r"Unknown model 'svm'; choose one of bp, logit, lightgbm\.$"),
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


def test_unknown_cleaner_argument_lists_the_valid_ones():
    with pytest.raises(
        ValueError,
        match=r"Unknown cleaner argument 'clean__scale' for model 'logit'; the cleaner takes "
        r"clean__max_feature_missing, .*\. Did you mean 'scaler'\?",
    ):
        make_model("logit", clean__scale="minmax")


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_models_rank_polish_bankruptcies_well(name, shared_data: Path):
    arff = pytest.importorskip("arff")
    with (shared_data / "polish" / "5year.arff").open() as handle:
        raw = arff.load(handle)
    data = np.array(raw["data"], dtype=object)
    X = np.where(data[:, :-1] == None, np.nan, data[:, :-1]).astype(float)  # noqa: E711
    y = data[:, -1].astype(int)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    model = make_model(name, random_state=0).fit(X_train, y_train)
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    assert auc > 0.9


def test_bare_bp_network_has_the_registry_defaults():
    params = BPNetClassifier().get_params()
    assert {key: params[key] for key in DEFAULTS["bp"]["model"]} == dict(DEFAULTS["bp"]["model"])
