"""Report text through the workflow: train, score, explain and report with a text model."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from finwarn.data import load_data, validate_frame
from finwarn.datasets import add_report_text, make_demo_panel
from finwarn.workflow import (
    build_features,
    explain_warnings,
    latest_rows,
    load_model,
    report,
    save_model,
    score,
    train,
)

WORDS = {
    "negative": ["losses widened", "impairment charges rose", "sales fell sharply", "debt default"],
    "neutral": ["the board met", "the company is based in", "shares are listed", "a new office"],
    "positive": ["profit grew strongly", "record orders", "sales rose", "margins improved"],
}


def _sentences() -> pd.DataFrame:
    """Made-up sentences of three tones (the real PhraseBank is tested elsewhere)."""
    rows = [
        (f"{phrase} in quarter {i} .", label)
        for label, phrases in WORDS.items()
        for phrase in phrases
        for i in range(6)
    ]
    return pd.DataFrame(rows, columns=["sentence", "label"])


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    simulated = make_demo_panel(n_firms=160, n_years=4, random_state=6, return_latent=True)
    return add_report_text(simulated, _sentences(), random_state=0, sentences_per_report=8)


@pytest.fixture(scope="module")
def loaded(panel):
    return validate_frame(panel, source="panel with report text")


@pytest.fixture(scope="module")
def trained(loaded):
    return train(loaded, model="fused", random_state=0)


def test_the_default_model_leaves_the_text_alone_with_a_note(loaded, caplog):
    with caplog.at_level("WARNING"):
        default = train(loaded, random_state=0)
    assert default.spec.text is False
    assert "choose a text model (fused, fused_cnn, lstm) to use it" in caplog.text


def test_the_fused_model_reads_the_text(trained, loaded):
    assert trained.metadata["model"] == "fused"
    assert trained.spec.text is True
    assert trained.metadata["feature_spec"]["text"] is True
    assert type(trained.classifier.estimator_).__name__ == "FusedClassifier"
    assert 0.5 < trained.metadata["metrics"]["roc_auc"] <= 1


def test_every_warning_of_a_text_model_quotes_its_most_attended_passages(trained, loaded):
    prepared = build_features(loaded, spec=trained.spec)
    rows = latest_rows(prepared.ids, "latest_per_firm")
    explanation = explain_warnings(trained, prepared, rows)
    reasons = explanation.reasons.frame
    assert explanation.attribution.method == "text_model"
    assert (reasons.groupby("entity").size() == 5).all()
    text = reasons[reasons["feature"] == "text"]
    assert len(text) == rows.sum()  # one text reason per firm, always kept
    assert text["text"].str.contains('most attended: "').all()
    known = {w for phrases in WORDS.values() for p in phrases for w in p.split()}
    quoted = text["text"].str.extractall(r'"([^"]+)"')[0]
    assert quoted.map(lambda q: bool(set(q.split()) & known)).all()
    sign = np.sign(reasons["contribution"])
    assert (sign == reasons["effect"].map({"raises": 1, "lowers": -1, "neutral": 0})).all()
    # reasons are ordered by the size of their contribution
    sizes = reasons["contribution"].abs().to_numpy().reshape(-1, 5)
    assert (np.diff(sizes, axis=1) <= 1e-12).all()


def test_the_text_contribution_is_the_text_branch_against_the_average_report(trained, loaded):
    prepared = build_features(loaded, spec=trained.spec)
    rows = latest_rows(prepared.ids, "latest_per_firm")
    explanation = explain_warnings(trained, prepared, rows)
    fused = trained.classifier.estimator_
    inputs = prepared.model_input(rows)
    parts = fused.margins(inputs)
    text = explanation.attribution.values["text"].to_numpy()
    # differences between firms are exactly the text branch's differences
    assert np.allclose(text - text[0], parts["text"] - parts["text"][0], atol=1e-6)
    p = fused.predict_proba(inputs)[:, 1]
    log_odds = parts["text"] + parts["financial"] + parts["bias"]
    assert np.allclose(log_odds, np.log(p / (1 - p)), atol=1e-4)
    assert np.allclose(explanation.attribution.log_odds, log_odds)


def test_a_report_of_a_text_model_lists_the_text_among_the_reasons(trained, loaded, tmp_path):
    built = report(trained, loaded, tmp_path / "r", pdf=False, clusters=False)
    reasons = pd.read_csv(built.folder / "reasons.csv")
    assert (reasons.groupby("entity")["feature"].apply(lambda f: "text" in set(f))).all()
    page = built.files.firm_pages[0].read_text(encoding="utf-8")
    assert "Report text" in page and "most attended" in page


def test_a_saved_text_model_scores_the_same_after_loading(trained, loaded, tmp_path):
    path, _ = save_model(trained, tmp_path / "fused.joblib")
    again = load_model(path)
    assert again.spec.text is True
    first = score(trained, loaded).table()
    second = score(again, loaded).table()
    assert np.allclose(first["probability"], second["probability"])


def test_a_csv_with_a_text_column_trains_and_scores_with_one_command_each(panel, tmp_path):
    csv = tmp_path / "firms.csv"
    panel.to_csv(csv, index=False)
    assert "text" not in load_data(csv).features  # the text column is not a feature

    def finwarn(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "-m", "finwarn", *args], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done

    model = str(tmp_path / "m.joblib")
    finwarn("train", "--data", str(csv), "--model", "fused", "--model-out", model)
    assert json.loads((tmp_path / "m.json").read_text())["model"] == "fused"
    finwarn(
        "score",
        "--model",
        str(tmp_path / "m.joblib"),
        "--data",
        str(csv),
        "--out",
        str(tmp_path / "s"),
    )
    reasons = pd.read_csv(tmp_path / "s" / "reasons.csv")
    warnings = pd.read_csv(tmp_path / "s" / "warnings.csv")
    assert (reasons["feature"] == "text").sum() == len(warnings)
