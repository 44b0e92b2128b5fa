from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from finwarn.data import validate_frame
from finwarn.datasets import make_demo_panel
from finwarn.exceptions import DataValidationError, ModelCompatibilityError
from finwarn.workflow import (
    FeatureSpec,
    TrainedModel,
    build_features,
    load_artifact,
    load_model,
    save_artifact,
    save_model,
    score,
    train,
)


@pytest.fixture(scope="module")
def loaded():
    return validate_frame(make_demo_panel(n_firms=400, n_years=5, random_state=2), source="panel")


@pytest.fixture(scope="module")
def trained(loaded):
    return train(loaded, model="logit", random_state=0)


def test_training_records_what_a_user_needs_to_trust_the_model(trained, loaded):
    meta = trained.metadata
    y = loaded.data["label"]
    assert meta["training_data"]["rows"] == int(y.notna().sum()) - len(trained.excluded)
    assert meta["training_data"]["distressed"] == int((y == 1).sum())
    assert len(meta["training_data"]["sha256"]) == 64
    assert meta["features"] == list(trained.spec.features)
    assert 0.6 < meta["metrics"]["roc_auc"] < 1.0
    assert meta["warning"]["levels"] == ["none", "light", "moderate", "heavy"]
    cut = np.array(meta["warning"]["cutoffs"])
    assert (np.diff(cut) > 0).all()


def test_scoring_gives_every_firm_probability_level_and_rank(trained, loaded):
    warnings = score(trained, loaded)
    table = warnings.table()
    latest = loaded.data.groupby("entity")["period"].max()
    assert len(table) == len(latest)
    assert list(table.columns[:5]) == ["entity", "period", "probability", "level", "rank"]
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    assert table["probability"].is_monotonic_decreasing
    merged = table.set_index("entity")["period"]
    assert (merged.sort_index() == latest.sort_index()).all()


@pytest.mark.parametrize(("scope", "rows"), [("all", None), ("latest_period", "last")])
def test_scoring_scopes(trained, loaded, scope, rows):
    table = score(trained, loaded, scope=scope).table()
    data = loaded.data
    expected = len(data) if rows is None else int((data["period"] == data["period"].max()).sum())
    assert len(table) == expected


def test_bad_scope(trained, loaded):
    with pytest.raises(ValueError, match=r"scope must be one of .* got 'latest'"):
        score(trained, loaded, scope="latest")


def test_same_seed_same_model(loaded):
    a = train(loaded, model="logit", random_state=4).classifier.oof_proba_
    b = train(loaded, model="logit", random_state=4).classifier.oof_proba_
    np.testing.assert_array_equal(a, b)


def test_training_without_labels_is_explained():
    loaded = validate_frame(pd.DataFrame({"x": [1.0, 2.0], "bankrupcy": [0, 1]}), source="f.csv")
    with pytest.raises(
        DataValidationError, match=r"f\.csv: no label column found .*Did you mean 'bankrupcy'\?"
    ):
        train(loaded, model="logit")


def test_training_on_one_class_is_explained():
    loaded = validate_frame(
        pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": [0, 0, 0]}), source="f.csv"
    )
    with pytest.raises(DataValidationError, match=r"every labelled row has label 0"):
        train(loaded, model="logit")


def test_sparse_rows_are_left_out_with_their_reason():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    frame["label"] = (frame["a"] + rng.normal(size=200) > 1.2).astype(int)
    frame.loc[5, ["a", "b", "c"]] = np.nan
    trained = train(validate_frame(frame), model="logit")
    assert trained.excluded["row"].tolist() == [6]
    assert trained.excluded["reason"].iloc[0] == "75% of indicators missing (3 of 4, limit 50%)"
    assert trained.metadata["training_data"]["rows"] == 199


def test_save_and_load_round_trip(tmp_path, trained, loaded):
    path, meta = save_model(trained, tmp_path / "m.joblib")
    assert meta.name == "m.json"
    again = load_model(path)
    np.testing.assert_array_equal(
        score(again, loaded).table()["probability"], score(trained, loaded).table()["probability"]
    )
    payload = json.loads(meta.read_text())
    assert payload["model_file"]["name"] == "m.joblib" and payload["model"] == "logit"


def test_tampered_or_orphaned_model_files_are_refused(tmp_path, trained):
    path, meta = save_model(trained, tmp_path / "m.joblib")
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(
        ModelCompatibilityError, match=r"does not match its metadata m\.json \(sha256 differs\)"
    ):
        load_model(path)
    meta.unlink()
    with pytest.raises(
        ModelCompatibilityError, match=r"m\.json: the metadata file of model m\.joblib is missing"
    ):
        load_model(path)
    with pytest.raises(ModelCompatibilityError, match=r"model file not found"):
        load_model(tmp_path / "other.joblib")


def test_an_artifact_of_another_kind_is_refused(tmp_path):
    path, _ = save_artifact(
        {"x": 1}, {"finwarn_version": "0.1.0"}, tmp_path / "g.joblib", kind="grader"
    )
    assert load_artifact(path, kind="grader")[0] == {"x": 1}
    with pytest.raises(
        ModelCompatibilityError, match=r"g\.joblib: this is a grader, not a warning model"
    ):
        load_model(path)


def test_model_applied_to_other_features_fails_clearly(trained):
    ratios = validate_frame(pd.DataFrame({"Attr1": [0.1], "Attr2": [0.2]}), source="ratios.csv")
    with pytest.raises(
        ModelCompatibilityError, match=r"computes indicators from raw statement items"
    ):
        build_features(ratios, spec=trained.spec)


def test_a_text_model_without_a_text_column_is_refused(loaded):
    with pytest.raises(DataValidationError, match=r"model 'fused' reads report text, but the data"):
        train(loaded, model="fused")


def test_a_text_column_is_kept_apart_from_the_features_and_named_when_unused(caplog):
    panel = make_demo_panel(n_firms=120, n_years=4, random_state=5)
    panel["report_text"] = np.where(panel.index % 2 == 0, "profit rose", "sales fell")
    with_text = validate_frame(panel, source="panel with text")
    prepared = build_features(with_text)
    assert "text" not in prepared.X.columns and "report_text" not in prepared.X.columns
    assert prepared.text is not None
    assert prepared.text.iloc[:2].tolist() == ["profit rose", "sales fell"]
    assert prepared.model_input().shape == prepared.X.shape  # the spec does not read text
    reading = prepared.for_model(replace(prepared.spec, text=True)).model_input()
    assert reading["text"].tolist() == prepared.text.tolist()
    with caplog.at_level("WARNING"):
        trained = train(with_text, model="logit", random_state=0)
    assert "has a text column, which model logit does not read" in caplog.text
    assert trained.spec.text is False
    assert FeatureSpec.from_dict(replace(trained.spec, text=True).to_dict()).text is True


def test_scoring_with_a_text_model_needs_the_text_column(loaded, trained):
    reading = TrainedModel(
        trained.classifier, replace(trained.spec, text=True), trained.metadata, trained.excluded
    )
    with pytest.raises(ModelCompatibilityError, match=r"the model reads report text, but the"):
        score(reading, loaded)
