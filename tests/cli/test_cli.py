"""The command line, end to end, on simulated data and on the public Polish data."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from finwarn.cli import app
from finwarn.datasets import corrupt_panel, make_demo_panel

runner = CliRunner()
LEVELS = {"none", "light", "moderate", "heavy"}


def _run(*args: str):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _subprocess(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "finwarn", *args], capture_output=True, text=True, check=False
    )


def test_demo_writes_everything_it_promises(tmp_path):
    out = tmp_path / "demo"
    result = _run("demo", "--out", str(out), "--firms", "300", "--years", "5", "--model", "logit")
    assert "SIMULATED" in result.output
    for name in (
        "warnings.csv",
        "quarantine.csv",
        "metrics.json",
        "model.joblib",
        "model.json",
        "demo_panel.csv",
        "reasons.csv",
        "report/index.html",
        "report/report.pdf",
    ):
        assert (out / name).exists(), name
    assert "Open the report" in result.output
    assert (out / "report" / "warnings.csv").read_text() == (out / "warnings.csv").read_text()
    reasons = pd.read_csv(out / "reasons.csv")
    assert (reasons.groupby("entity").size() >= 3).all()
    warnings = pd.read_csv(out / "warnings.csv")
    assert list(warnings.columns[:5]) == ["entity", "period", "probability", "level", "rank"]
    assert set(warnings["level"]) <= LEVELS
    assert warnings["probability"].between(0, 1).all()
    panel = make_demo_panel(n_firms=300, n_years=5, random_state=0)
    # every deliberately corrupted row is in the quarantine, and nothing else
    _, log = corrupt_panel(panel, random_state=0)
    quarantine = pd.read_csv(out / "quarantine.csv")
    assert set(log["position"] + 1) <= set(quarantine["row"])
    assert set(quarantine["problem"]) <= {
        "text_in_numeric",
        "infinite",
        "impossible_value",
        "conflicting_duplicate",
        "unknown_label",
        "missing_entity",
    }
    # every good row of a firm still reporting in the latest year is scored, once
    written = pd.read_csv(out / "demo_panel.csv", dtype=str).drop(index=quarantine["row"] - 1)
    latest = written[written["period"] == str(panel["period"].max())]
    assert sorted(warnings["entity"]) == sorted(latest["entity"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"].startswith("SIMULATED")
    assert 0.6 < metrics["held_out"]["roc_auc"] <= 1
    assert metrics["scored"]["firms"] == len(warnings)


@pytest.mark.slow
def test_demo_default_model_is_the_bp_network(tmp_path):
    _run("demo", "--out", str(tmp_path), "--firms", "200", "--years", "4")
    meta = json.loads((tmp_path / "model.json").read_text())
    assert meta["model"] == "bp"
    assert "torch" in meta["versions"]


def _mixed_csv(tmp_path):
    panel = make_demo_panel(n_firms=150, n_years=4, random_state=3)
    bad, log = corrupt_panel(panel, random_state=3)
    path = tmp_path / "mixed.csv"
    bad.to_csv(path, index=False)
    return path, bad, log


def test_validate_names_every_bad_row_and_keeps_the_good(tmp_path):
    path, bad, log = _mixed_csv(tmp_path)
    _run("validate", "--data", str(path), "--out", str(tmp_path / "v"))
    quarantine = pd.read_csv(tmp_path / "v" / "quarantine.csv")
    clean = pd.read_csv(tmp_path / "v" / "clean.csv")
    assert set(log["position"] + 1) <= set(quarantine["row"])
    assert quarantine["reason"].str.len().gt(0).all() and quarantine["fix"].str.len().gt(0).all()
    assert len(clean) + len(quarantine) == len(bad)
    summary = json.loads((tmp_path / "v" / "validation.json").read_text())
    assert summary["quarantined"] == len(quarantine)


def test_train_then_score_gives_a_warning_for_every_good_row(tmp_path):
    path, bad, _ = _mixed_csv(tmp_path)
    model = tmp_path / "m.joblib"
    _run("train", "--data", str(path), "--model", "logit", "--model-out", str(model))
    assert model.exists() and model.with_suffix(".json").exists()
    assert (tmp_path / "m.quarantine.csv").exists()
    _run(
        "score",
        "--model",
        str(model),
        "--data",
        str(path),
        "--out",
        str(tmp_path / "s"),
        "--all-periods",
    )
    warnings = pd.read_csv(tmp_path / "s" / "warnings.csv")
    quarantine = pd.read_csv(tmp_path / "s" / "quarantine.csv")
    assert len(warnings) + len(quarantine) == len(bad)
    assert set(warnings["level"]) <= LEVELS
    metrics = json.loads((tmp_path / "s" / "metrics.json").read_text())
    assert metrics["scored"] == len(warnings)
    assert 0.5 < metrics["labelled_rows"]["roc_auc"] <= 1
    reasons = pd.read_csv(tmp_path / "s" / "reasons.csv")
    assert len(reasons) == 5 * len(warnings)
    keys = ["entity", "period"]
    assert reasons[keys].drop_duplicates().merge(warnings[keys]).shape[0] == len(warnings)


def test_report_command_writes_the_report_and_refuses_bad_options(tmp_path):
    path, _, _ = _mixed_csv(tmp_path)
    model = tmp_path / "m.joblib"
    _run("train", "--data", str(path), "--model", "logit", "--model-out", str(model))
    out = tmp_path / "report"
    args = ["report", "--model", str(model), "--data", str(path), "--out", str(out)]
    result = _run(*args, "--no-pdf", "--page-level", "light", "--max-firm-pages", "5")
    assert "Open " in result.output and "5 firm pages" in result.output
    assert len(list((out / "firms").glob("*.html"))) == 5
    assert not (out / "report.pdf").exists()
    warnings = pd.read_csv(out / "warnings.csv")
    assert len(warnings) == 150  # each firm's latest period
    done = _subprocess(*args, "--page-level", "severe")
    assert done.returncode == 2
    assert "page level 'severe' is not a warning level" in done.stderr
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("mine")
    done = _subprocess(*args[:-1], str(tmp_path / "notes"), "--no-pdf")
    assert done.returncode == 2
    assert "not a finwarn report" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "notes" / "keep.txt").read_text() == "mine"


def test_errors_exit_2_with_a_message_not_a_traceback(tmp_path):
    ratios = tmp_path / "ratios.csv"
    pd.DataFrame({"Attr1": [0.1, 0.2], "class": [0, 1]}).to_csv(ratios, index=False)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "finwarn",
            "score",
            "--model",
            str(tmp_path / "none.joblib"),
            "--data",
            str(ratios),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "error:" in done.stderr and "model file not found" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.shared_data
def test_evaluate_on_polish_5year_writes_mean_and_sd(shared_data, tmp_path):
    out = tmp_path / "eval.json"
    _run(
        "evaluate",
        "--data",
        str(shared_data / "polish" / "5year.arff"),
        "--model",
        "lightgbm",
        "--folds",
        "3",
        "--repeats",
        "1",
        "--json",
        str(out),
    )
    payload = json.loads(out.read_text())
    summary = payload["summary"]
    for metric in ("roc_auc", "pr_auc", "f1", "recall", "specificity", "precision", "accuracy"):
        assert set(summary[metric]) == {"mean", "sd"}
    assert summary["roc_auc"]["mean"] > 0.9
    assert payload["protocol"]["rows"] + payload["protocol"]["rows_left_out"]["too_sparse"] == 5910
    assert len(payload["folds"]) == 3


@pytest.mark.shared_data
@pytest.mark.slow
def test_train_and_score_bp_on_polish_5year(shared_data, tmp_path):
    data = shared_data / "polish" / "5year.arff"
    model = tmp_path / "bp.joblib"
    _run("train", "--data", str(data), "--model-out", str(model))
    meta = json.loads(model.with_suffix(".json").read_text())
    assert meta["features"] == [f"Attr{i}" for i in range(1, 65)]
    assert meta["metrics"]["roc_auc"] > 0.85
    _run("score", "--model", str(model), "--data", str(data), "--out", str(tmp_path / "s"))
    warnings = pd.read_csv(tmp_path / "s" / "warnings.csv")
    assert len(warnings) == 5910
    assert set(warnings["level"]) <= LEVELS
    metrics = json.loads((tmp_path / "s" / "metrics.json").read_text())
    assert metrics["labelled_rows"]["roc_auc"] > 0.9  # in-sample: a floor, not an accuracy claim
    assert np.isclose(sum(metrics["by_level"].values()), 5910)


@pytest.mark.shared_data
def test_rank_on_polish_5year_writes_weights_ranking_clusters_and_view(shared_data, tmp_path):
    out = tmp_path / "rank"
    result = _run("rank", "--data", str(shared_data / "polish" / "5year.arff"), "--out", str(out))
    assert "silhouette score" in result.output
    weights = pd.read_csv(out / "weights.csv")
    assert set(weights["level"]) >= {"indicator", "element", "dimension"}
    per_element = weights[weights["level"] == "indicator"].groupby("element")["weight"].sum()
    np.testing.assert_allclose(per_element, 1.0, atol=1e-6)
    ranking = pd.read_csv(out / "ranking.csv")
    assert len(ranking) == 5910 and ranking["rank"].tolist() == list(range(1, 5911))
    clusters = pd.read_csv(out / "clusters.csv")
    summary = pd.read_csv(out / "cluster_summary.csv")
    assert sorted(clusters["cluster"].unique()) == [1, 2, 3]
    assert summary["firms"].sum() == 5910 and summary["description"].is_unique
    assert (out / "pca.csv").exists()
    html = (out / "cluster_view.html").read_text()
    assert "<script src=" not in html and "cluster 3:" in html
    assert (out / "cluster_view.png").read_bytes()[:4] == b"\x89PNG"


def test_grade_simulate_train_apply(tmp_path):
    _run("grade", "simulate", "--out", str(tmp_path), "--per-level", "150", "--seed", "1")
    records = pd.read_csv(tmp_path / "records.csv")
    assert len(records) == 1200 and sorted(records["level"].unique()) == list(range(1, 9))
    model = tmp_path / "grader.joblib"
    result = _run(
        "grade",
        "train",
        "--data",
        str(tmp_path / "records.csv"),
        "--grades",
        "level",
        "--hierarchy",
        str(tmp_path / "hierarchy.yaml"),
        "--model-out",
        str(model),
    )
    assert "Held-out 20% of records.csv" in result.output
    meta = json.loads(model.with_suffix(".json").read_text())
    assert meta["kind"] == "grader" and meta["levels"] == list(range(1, 9))
    assert "level" not in meta["features"]
    assert meta["held_out"]["accuracy"] > 0.8
    _run(
        "grade",
        "apply",
        "--model",
        str(model),
        "--data",
        str(tmp_path / "records.csv"),
        "--out",
        str(tmp_path / "out"),
    )
    grades = pd.read_csv(tmp_path / "out" / "grades.csv")
    assert len(grades) == 1200 and set(grades["grade"]) <= set(range(1, 9))
    assert grades["grade"].is_monotonic_decreasing
    graded = json.loads((tmp_path / "out" / "grading.json").read_text())
    assert graded["metrics"]["accuracy"] > 0.8


def test_grade_train_names_a_missing_grade_column(tmp_path):
    _run("grade", "simulate", "--out", str(tmp_path), "--per-level", "20")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "finwarn",
            "grade",
            "train",
            "--data",
            str(tmp_path / "records.csv"),
            "--grades",
            "levle",
            "--model-out",
            str(tmp_path / "g"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "no grade column 'levle'. Did you mean 'level'?" in done.stderr


@pytest.mark.usefixtures("shared_data")
def test_demo_with_text_trains_the_fused_model_on_semi_synthetic_reports(tmp_path):
    out = tmp_path / "demo"
    args = ("demo", "--out", str(out), "--firms", "120", "--years", "4", "--text", "--no-pdf")
    _run(*args)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "fused"
    assert "SEMI-SYNTHETIC" in metrics["data"]
    panel = pd.read_csv(out / "demo_panel.csv")
    assert "report_text" in panel.columns and "latent_health" not in panel.columns
    reasons = pd.read_csv(out / "reasons.csv")
    text = reasons[reasons["feature"] == "text"]
    assert len(text) == len(pd.read_csv(out / "warnings.csv"))
    assert (out / "report" / "index.html").exists()


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory):
    """150 simulated firms over 4 years: 3 labelled years (2015-2017), 2 to 3 s a run."""
    path = tmp_path_factory.mktemp("evaluate") / "demo.csv"
    make_demo_panel(n_firms=150, n_years=4, random_state=2).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def cross_section_csv(tmp_path_factory):
    """The same firms without entity and period columns: no time order to train on."""
    path = tmp_path_factory.mktemp("evaluate") / "cross_section.csv"
    panel = make_demo_panel(n_firms=150, n_years=4, random_state=2)
    panel.drop(columns=["entity", "period"]).to_csv(path, index=False)
    return path


def test_evaluate_compares_models_and_writes_its_files(demo_csv, tmp_path):
    out = tmp_path / "eval"
    args = ("--model", "logit,altman_z", "--folds", "2", "--repeats", "1", "--out", str(out))
    result = _run("evaluate", "--data", str(demo_csv), *args)
    summary = pd.read_csv(out / "summary.csv")
    assert summary.columns.tolist() == ["model", "metric", "mean", "sd", "min", "max"]
    assert summary["model"].unique().tolist() == ["logit", "altman_z"]
    assert summary.groupby("model").size().tolist() == [17, 17]
    folds = pd.read_csv(out / "folds.csv")
    assert folds["model"].tolist() == ["logit", "logit", "altman_z", "altman_z"]
    assert (folds["n_train"] + folds["n_test"]).tolist() == [362] * 4  # the labelled rows
    lines = (out / "evaluation.md").read_text().splitlines()
    assert lines[0] == "# demo.csv: 2-fold stratified CV x 1"
    assert lines[2] == (
        "| model | ROC-AUC | PR-AUC | KS | Brier | recall top 10% | precision top 10% | "
        "recall | precision | F2 | type I error | type II error | fit s |"
    )
    assert [line.split(" | ")[0] for line in lines[4:6]] == ["| logit", "| altman_z"]
    assert lines[6:] == [""]  # nothing skipped
    roc = summary[summary["metric"] == "roc_auc"].set_index("model")
    for model in ("logit", "altman_z"):
        cell = f"{roc.at[model, 'mean']:.3f} ± {roc.at[model, 'sd']:.3f}"
        assert f"| {model} | {cell} |" in lines[4] + lines[5]
        # the terminal table shows every model and every figure whole, even 80 wide
        assert model in result.output and cell in result.output
    payload = json.loads((out / "evaluation.json").read_text())
    assert payload["protocol"]["models"] == ["logit", "altman_z"]
    assert payload["protocol"]["folds"] == 2 and payload["skipped"] == {}
    assert set(payload["summary"]) == {"logit", "altman_z"}
    confusion = pd.read_csv(out / "confusion.csv")
    assert confusion.columns.tolist() == ["model", "actual", "warned", "not warned"]
    assert confusion["actual"].tolist() == ["distressed", "healthy"] * 2
    # one repeat: the counts cover every labelled row once
    assert confusion.groupby("model")[["warned", "not warned"]].sum().sum(axis=1).tolist() == [
        362,
        362,
    ]
    calibration = pd.read_csv(out / "calibration.csv")
    assert calibration.columns.tolist() == ["model", "bin", "predicted", "observed", "n"]
    assert calibration.groupby("model")["n"].sum().tolist() == [362, 362]
    assert "Wrote summary.csv, folds.csv, confusion.csv, calibration.csv, evaluation.md" in (
        result.output
    )


def test_evaluate_names_a_skipped_model_in_the_output_and_the_json(demo_csv, tmp_path):
    out = tmp_path / "eval.json"
    args = ("--model", "logit,ohlson_o", "--folds", "2", "--repeats", "1", "--json", str(out))
    result = _run("evaluate", "--data", str(demo_csv), *args)
    assert "skipped ohlson_o: Ohlson O-score ('ohlson_o') cannot be computed" in result.output
    payload = json.loads(out.read_text())
    assert list(payload["results"]) == ["logit"]
    assert payload["skipped"]["ohlson_o"].startswith("Ohlson O-score ('ohlson_o') cannot be")


def test_evaluate_temporal_trains_on_the_past(demo_csv, tmp_path):
    out = tmp_path / "eval.json"
    args = ("--model", "logit", "--protocol", "temporal", "--horizon", "1", "--json", str(out))
    result = _run("evaluate", "--data", str(demo_csv), *args)
    assert "logit on demo.csv: temporal, test 1 period(s) after training" in result.output
    payload = json.loads(out.read_text())
    assert payload["protocol"]["protocol"] == "temporal"
    assert payload["protocol"]["horizon"] == 1
    assert payload["protocol"]["periods"] == [2015, 2016, 2017]
    assert [(f["train_until"], f["test_period"]) for f in payload["folds"]] == [(2016, 2017)]


NEEDS_A_PERIOD = (
    "the temporal protocol needs a period column (e.g. year), and the data has none. "
    "Name it under 'period:' in a mapping file, or use --protocol cv."
)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--protocol", "bogus"], "Unknown protocol 'bogus'; choose one of cv, temporal."),
        (
            ["--model", "bogus"],
            "Unknown model 'bogus'; choose one of altman_z, altman_z2, ohlson_o, logit, svm, "
            "random_forest, lightgbm, bp, cnn, ensemble, fused, fused_cnn, lstm, all, or "
            "several separated by commas.",
        ),
        (
            ["--imbalance", "bogus"],
            "Unknown imbalance strategy 'bogus'; choose one of weights, none, undersample, smote.",
        ),
        (
            ["--protocol", "temporal", "--horizon", "3"],
            "temporal evaluation with horizon=3 and min_train_periods=2 needs at least 5 "
            "distinct periods; the data has 3 (2015, 2016, 2017). Use a smaller --horizon "
            "(at most 1).",
        ),
        (["--protocol", "temporal", "--data", "CROSS_SECTION"], f"CROSS_SECTION: {NEEDS_A_PERIOD}"),
    ],
    ids=["protocol", "model", "imbalance", "horizon", "no-period"],
)
def test_evaluate_refuses_bad_options_with_one_line(demo_csv, cross_section_csv, args, message):
    args = [str(cross_section_csv) if a == "CROSS_SECTION" else a for a in args]
    data = [] if "--data" in args else ["--data", str(demo_csv)]
    model = [] if "--model" in args else ["--model", "logit"]
    done = _subprocess("evaluate", *data, *model, "--folds", "2", *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    expected = message.replace("CROSS_SECTION", str(cross_section_csv))
    assert errors == [f"error: {expected}"]
    assert done.stdout == ""
