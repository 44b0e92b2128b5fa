"""Evaluating one model or several on the same splits, under the cv or temporal protocol."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from finwarn.data import validate_frame
from finwarn.datasets import make_demo_panel
from finwarn.evaluation import Comparison, EvaluationResult
from finwarn.exceptions import DataValidationError
from finwarn.models import MODEL_NAMES
from finwarn.workflow import compare, evaluate, model_names

KNOWN = ", ".join((*MODEL_NAMES, "fused", "fused_cnn", "lstm", "all"))
OHLSON_MISSING = (
    r"Ohlson O-score \('ohlson_o'\) cannot be computed: 2 of its 8 inputs were not found "
    r"in X: SIZE \(natural log of total assets\): .*; FUTL \(\(net income \+ depreciation\) "
    r"/ total liabilities\): "
)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    # 150 firms over 5 years: 4 labelled years (the last year's outcome is unknown)
    return make_demo_panel(n_firms=150, n_years=5, random_state=2)


@pytest.fixture(scope="module")
def loaded(panel):
    return validate_frame(panel, source="panel")


@pytest.fixture(scope="module")
def labelled_periods(panel) -> np.ndarray:
    """The period of each row compare() evaluates (no demo row is too sparse)."""
    return panel.loc[panel["label"].notna(), "period"].to_numpy()


@pytest.fixture(scope="module")
def calls() -> list[tuple[int, int]]:
    return []


@pytest.fixture(scope="module")
def comparison(loaded, calls) -> Comparison:
    return compare(
        loaded,
        models="logit,altman_z,altman_z2,ohlson_o",
        folds=2,
        repeats=1,
        random_state=0,
        progress=lambda done, total: calls.append((done, total)),
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, ["bp"]),
        ("logit", ["logit"]),
        (" logit , altman_z ", ["logit", "altman_z"]),
        ("logit,,logit", ["logit"]),
        (["lightgbm", "bp"], ["lightgbm", "bp"]),
        ("fused", ["fused"]),
        ("all", list(MODEL_NAMES)),
        ("bp,all", ["bp", *(m for m in MODEL_NAMES if m != "bp")]),
        ("all,lstm", [*MODEL_NAMES, "lstm"]),
    ],
)
def test_model_names_reads_one_a_list_or_all(spec, expected):
    assert model_names(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "logti",
            f"Unknown model 'logti'; choose one of {KNOWN}, or several separated by commas. "
            "Did you mean 'logit'?",
        ),
        (
            "logit,bogus",
            f"Unknown model 'bogus'; choose one of {KNOWN}, or several separated by commas.",
        ),
        (",", "No model named: give --model a name, a comma-separated list or all."),
        ("", "No model named: give --model a name, a comma-separated list or all."),
    ],
)
def test_model_names_refuses_unknown_or_no_names(spec, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        model_names(spec)


def test_compare_evaluates_the_models_it_can_and_says_why_it_skipped_the_others(comparison):
    assert list(comparison.results) == ["logit", "altman_z", "altman_z2"]
    assert list(comparison.skipped) == ["ohlson_o"]
    # build_features turns the raw items into indicators, so Ohlson's log size and
    # funds from operations cannot be found
    assert re.match(OHLSON_MISSING, comparison.skipped["ohlson_o"])
    assert list(comparison.table()["model"].unique()) == ["logit", "altman_z", "altman_z2"]


def test_compare_gives_every_model_the_same_splits(comparison):
    oofs = [result.oof for result in comparison.results.values()]
    keys = ["repeat", "fold", "row", "y"]
    for oof in oofs[1:]:
        pd.testing.assert_frame_equal(oof[keys], oofs[0][keys])
    sizes = ["repeat", "fold", "n_train", "n_test", "test_distressed"]
    folds = [result.folds[sizes] for result in comparison.results.values()]
    for frame in folds[1:]:
        pd.testing.assert_frame_equal(frame, folds[0])
    assert sorted(oofs[0]["row"]) == list(range(comparison.protocol["rows"]))
    # the models differ, so their predictions do
    assert not np.allclose(oofs[0]["proba"], oofs[1]["proba"])


def test_compare_records_its_protocol(comparison, panel):
    protocol = comparison.protocol
    labelled = int(panel["label"].notna().sum())
    assert protocol["protocol"] == "repeated stratified k-fold"
    assert (protocol["folds"], protocol["repeats"], protocol["random_state"]) == (2, 1, 0)
    assert protocol["models"] == ["logit", "altman_z", "altman_z2", "ohlson_o"]
    assert protocol["data"] == "panel"
    assert protocol["rows"] == labelled
    assert protocol["distressed"] == int((panel["label"] == 1).sum())
    assert protocol["rows_left_out"] == {"unlabelled": len(panel) - labelled, "too_sparse": 0}
    assert protocol["imbalance"] == "weights"
    assert protocol["tuning"] == "none (shipped defaults)"
    assert protocol["decision"] == (
        "warned = level moderate or above (cut-offs from the training fold's base rate)"
    )


def test_compare_reports_progress_over_all_models(comparison, calls):
    # 2 folds x 4 models; the skipped model's folds count as done
    assert calls[-1] == (8, 8)
    assert {total for _, total in calls} == {8}
    done = [d for d, _ in calls]
    assert done == sorted(done)


@pytest.mark.parametrize("horizon", [1, 2])
def test_temporal_protocol_trains_on_the_past_and_tests_horizon_periods_later(
    loaded, labelled_periods, horizon
):
    result = compare(
        loaded, models="logit,altman_z", protocol="temporal", horizon=horizon, random_state=0
    )
    assert result.protocol["protocol"] == "temporal"
    assert result.protocol["horizon"] == horizon
    periods = sorted(set(labelled_periods.tolist()))
    assert result.protocol["periods"] == periods
    folds = result.results["logit"].folds
    assert (folds["train_until"] < folds["test_period"]).all()
    # the first window holds two periods; the test period lies `horizon` periods later
    expected = [(periods[i], periods[i + horizon]) for i in range(1, len(periods) - horizon)]
    assert list(zip(folds["train_until"], folds["test_period"], strict=True)) == expected
    for fold in folds.itertuples():
        assert fold.n_train == int((labelled_periods <= fold.train_until).sum())
        assert fold.n_test == int((labelled_periods == fold.test_period).sum())
    oof = result.results["logit"].oof
    assert (labelled_periods[oof["row"]] == oof["test_period"]).all()
    keys = ["train_until", "test_period", "row", "y"]
    pd.testing.assert_frame_equal(result.results["altman_z"].oof[keys], oof[keys])


def test_temporal_protocol_needs_a_period_column(panel):
    cross_section = validate_frame(
        panel.drop(columns=["entity", "period"]), source="cross_section.csv"
    )
    message = (
        "cross_section.csv: the temporal protocol needs a period column (e.g. year), and the "
        "data has none. Name it under 'period:' in a mapping file, or use --protocol cv."
    )
    with pytest.raises(DataValidationError, match=f"^{re.escape(message)}$"):
        compare(cross_section, models="logit", protocol="temporal")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"protocol": "bogus"}, "Unknown protocol 'bogus'; choose one of cv, temporal."),
        (
            {"protocol": "temporl"},
            "Unknown protocol 'temporl'; choose one of cv, temporal. Did you mean 'temporal'?",
        ),
        (
            {"imbalance": "bogus"},
            "Unknown imbalance strategy 'bogus'; choose one of weights, none, undersample, smote.",
        ),
        (
            {"imbalance": "smoot"},
            "Unknown imbalance strategy 'smoot'; choose one of weights, none, undersample, "
            "smote. Did you mean 'smote'?",
        ),
    ],
)
def test_compare_refuses_unknown_options(loaded, options, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        compare(loaded, models="logit", **options)


def test_text_and_data_models_are_evaluated_in_separate_runs(panel):
    with_text = panel.assign(
        report_text=np.where(panel.index % 2 == 0, "profit rose", "sales fell")
    )
    loaded = validate_frame(with_text, source="panel with text")
    message = (
        "evaluate the text models (fused) and the data models in separate runs; with the "
        "same --seed both runs use the same splits."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        compare(loaded, models="logit,fused", folds=2, repeats=1)


def test_a_text_model_on_data_without_text_is_refused(loaded):
    with pytest.raises(
        DataValidationError,
        match=r"^panel: model 'fused' reads report text, but the data has no text column\. ",
    ):
        compare(loaded, models="logit,fused", folds=2, repeats=1)


def test_evaluate_returns_one_result_with_the_model_in_its_protocol(loaded, panel):
    result = evaluate(loaded, model="logit", folds=2, repeats=1, random_state=0)
    assert isinstance(result, EvaluationResult)
    protocol = result.protocol
    assert protocol["model"] == "logit" and protocol["text"] is False
    assert "models" not in protocol
    assert protocol["folds"] == 2 and protocol["data"] == "panel"
    assert protocol["rows_left_out"]["unlabelled"] == int(panel["label"].isna().sum())
    assert len(result.folds) == 2
    assert set(result.table()["metric"]) >= {"roc_auc", "pr_auc", "ks", "brier", "f2"}


def test_evaluate_names_why_a_classical_score_cannot_be_computed(loaded):
    with pytest.raises(
        DataValidationError,
        match=r"^no model could be evaluated on this data\. ohlson_o: " + OHLSON_MISSING,
    ):
        evaluate(loaded, model="ohlson_o", folds=2, repeats=1)


@pytest.mark.parametrize("imbalance", ["none", "undersample", "smote"])
def test_the_imbalance_strategy_reaches_the_trained_models_only(loaded, comparison, imbalance):
    other = compare(
        loaded, models="logit,altman_z", imbalance=imbalance, folds=2, repeats=1, random_state=0
    )
    assert other.protocol["imbalance"] == imbalance
    logit = other.results["logit"].oof
    weighted = comparison.results["logit"].oof
    # weights and resampling act inside the training folds: the test rows stay the same
    pd.testing.assert_frame_equal(logit[["fold", "row", "y"]], weighted[["fold", "row", "y"]])
    # but the logit learns from other weights or rows, so its probabilities change...
    assert not np.allclose(logit["proba"], weighted["proba"])
    # ...while a published formula has nothing to weigh or resample and stays the same
    pd.testing.assert_frame_equal(other.results["altman_z"].oof, comparison.results["altman_z"].oof)
