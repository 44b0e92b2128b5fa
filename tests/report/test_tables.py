"""Evaluation results laid out as text (model x metric) and the horizon chart."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from PIL import Image

from finwarn.report import HEADLINE_METRICS, METRIC_LABELS, comparison_frame, markdown_table

NAN = math.nan


def _table(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """A tidy table as Comparison.table() returns it (min and max are not shown)."""
    frame = pd.DataFrame(rows, columns=["model", "metric", "mean", "sd"])
    return frame.assign(min=frame["mean"], max=frame["mean"])


@pytest.fixture
def table() -> pd.DataFrame:
    return _table(
        [
            ("svm", "fit_seconds", 12.345, 0.96),
            ("svm", "brier", 0.0612, 0.0031),
            ("svm", "roc_auc", 0.95123, 0.01049),
            ("svm", "f1", 0.5, 0.1),
            ("bp", "fit_seconds", 1.04, NAN),
            ("bp", "brier", NAN, NAN),
            ("bp", "roc_auc", 0.8, 0.0),
            ("bp", "f1", 0.4, 0.2),
        ]
    )


def test_every_headline_metric_has_a_label():
    assert set(HEADLINE_METRICS) <= set(METRIC_LABELS)


def test_comparison_frame_has_a_row_per_model_and_mean_plus_minus_sd_cells(table):
    frame = comparison_frame(table)
    # headline order, whatever the table's order; pr_auc and the others are not in the
    # table and f1 is not a headline metric, so they are left out
    assert frame.columns.tolist() == ["model", "ROC-AUC", "Brier", "fit s"]
    assert frame.to_dict(orient="records") == [
        # the models keep the table's order, not the alphabet's
        {
            "model": "svm",
            "ROC-AUC": "0.951 ± 0.010",
            "Brier": "0.061 ± 0.003",
            "fit s": "12.3 ± 1.0",
        },
        # no figure: n/a; no spread (a single fold): the mean alone
        {"model": "bp", "ROC-AUC": "0.800 ± 0.000", "Brier": "n/a", "fit s": "1.0"},
    ]


@pytest.mark.parametrize(
    ("metrics", "columns", "svm_row"),
    [
        (["f1", "roc_auc"], ["model", "F1", "ROC-AUC"], ["svm", "0.500 ± 0.100", "0.951 ± 0.010"]),
        (["ks", "fit_seconds"], ["model", "fit s"], ["svm", "12.3 ± 1.0"]),
        (["pr_auc"], ["model"], ["svm"]),
    ],
)
def test_comparison_frame_shows_the_metrics_asked_for_in_their_order(
    table, metrics, columns, svm_row
):
    frame = comparison_frame(table, metrics)
    assert frame.columns.tolist() == columns
    assert frame.iloc[0].tolist() == svm_row
    assert frame["model"].tolist() == ["svm", "bp"]


def test_a_metric_without_a_label_is_headed_by_its_name():
    frame = comparison_frame(_table([("bp", "cost", 3.14159, 0.5)]), ["cost"])
    assert frame.to_dict(orient="records") == [{"model": "bp", "cost": "3.142 ± 0.500"}]


def test_a_model_without_a_metric_the_others_have_shows_n_a():
    # tables of separate runs put together: the older run had no F2
    table = _table(
        [
            ("lightgbm", "roc_auc", 0.9, 0.01),
            ("lightgbm", "f2", 0.6, 0.05),
            ("logit", "roc_auc", 0.85, 0.02),
        ]
    )
    assert comparison_frame(table, ["roc_auc", "f2"]).to_dict(orient="records") == [
        {"model": "lightgbm", "ROC-AUC": "0.900 ± 0.010", "F2": "0.600 ± 0.050"},
        {"model": "logit", "ROC-AUC": "0.850 ± 0.020", "F2": "n/a"},
    ]


def test_markdown_table_is_a_pipe_table(table):
    text = markdown_table(comparison_frame(table))
    assert text == (
        "| model | ROC-AUC | Brier | fit s |\n"
        "|---|---|---|---|\n"
        "| svm | 0.951 ± 0.010 | 0.061 ± 0.003 | 12.3 ± 1.0 |\n"
        "| bp | 0.800 ± 0.000 | n/a | 1.0 |"
    )


def test_markdown_table_writes_numbers_as_they_are_and_a_header_without_rows():
    frame = pd.DataFrame({"model": ["bp"], "folds": [5], "roc": [0.5]})
    assert markdown_table(frame) == "| model | folds | roc |\n|---|---|---|\n| bp | 5 | 0.5 |"
    assert markdown_table(frame.iloc[:0]) == "| model | folds | roc |\n|---|---|---|"


def test_horizon_chart_writes_a_png_with_a_line_per_model(tmp_path):
    from finwarn.report import horizon_chart

    path = tmp_path / "horizon.png"
    written = horizon_chart(
        [1, 2, 3],
        {
            "lightgbm": ([0.93, 0.85, 0.78], [0.01, 0.02, 0.03]),
            # no figure two years ahead: a gap in the line, not an error
            "altman_z": ([0.88, NAN, 0.70], [0.02, NAN, 0.04]),
        },
        path,
        ylabel="PR-AUC",
    )
    assert written == path
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert 10_000 < len(data) < 500_000
    with Image.open(path) as image:
        assert image.size == (960, 600)  # 6.4 x 4.0 inches at 150 dpi
