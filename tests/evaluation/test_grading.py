"""Tests of grading_metrics: accuracy, misjudgment rate and deviation rate of a k-level grading."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from finwarn.evaluation import GradingResult, grading_metrics

# 8 records over 4 levels; 3 misjudged: 0 -> 1 (one level off), 2 -> 0 and 3 -> 1 (two off)
TRUE = [0, 0, 1, 1, 2, 2, 3, 3]
PRED = [0, 1, 1, 1, 0, 2, 3, 1]


def test_overall_figures_match_a_hand_computation():
    result = grading_metrics(TRUE, PRED)
    assert isinstance(result, GradingResult)
    assert result.n == 8
    assert result.accuracy == 5 / 8
    assert result.misjudgment_rate == 3 / 8
    # distances 1 + 2 + 2 = 5 levels over 8 records, on a scale of k - 1 = 3 steps
    assert result.mean_abs_level_error == pytest.approx(5 / 8)
    assert result.deviation_rate == pytest.approx(5 / 8 / 3)
    assert result.deviation_rate_misjudged == pytest.approx(5 / 3 / 3)


def test_per_level_table_matches_a_hand_computation():
    table = grading_metrics(TRUE, PRED).table()
    assert table.columns.tolist() == [
        "level",
        "n",
        "accuracy",
        "misjudgment_rate",
        "deviation_rate",
        "graded_higher",
        "graded_lower",
        "n_predicted",
        "precision",
    ]
    expected = pd.DataFrame(
        {
            "level": [0, 1, 2, 3],
            "n": [2, 2, 2, 2],
            "accuracy": [0.5, 1.0, 0.5, 0.5],
            "misjudgment_rate": [0.5, 0.0, 0.5, 0.5],
            "deviation_rate": [0.5 / 3, 0.0, 1 / 3, 1 / 3],
            "graded_higher": [0.5, 0.0, 0.0, 0.0],
            "graded_lower": [0.0, 0.0, 0.5, 0.5],
            "n_predicted": [2, 4, 1, 1],
            "precision": [0.5, 0.5, 1.0, 1.0],
        }
    )
    pd.testing.assert_frame_equal(table, expected)


def test_confusion_matrix_rows_are_true_levels_and_columns_predicted():
    confusion = grading_metrics(TRUE, PRED).confusion
    assert confusion.index.name == "true_level"
    assert confusion.columns.name == "predicted_level"
    np.testing.assert_array_equal(
        confusion.to_numpy(), [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1]]
    )


def test_summary_holds_the_overall_figures():
    summary = grading_metrics(TRUE, PRED).summary()
    assert summary == {
        "n": 8,
        "n_levels": 4,
        "accuracy": 5 / 8,
        "misjudgment_rate": 3 / 8,
        "deviation_rate": pytest.approx(5 / 24),
        "deviation_rate_misjudged": pytest.approx(5 / 9),
        "mean_abs_level_error": pytest.approx(5 / 8),
        "min_level_accuracy": 0.5,
    }


def test_perfect_grading_has_no_misjudged_deviation():
    result = grading_metrics([0, 1, 2], [0, 1, 2])
    assert result.misjudgment_rate == 0.0
    assert result.deviation_rate == 0.0
    assert math.isnan(result.deviation_rate_misjudged)


def test_grading_at_the_opposite_end_has_deviation_rate_one():
    result = grading_metrics([0, 0, 4, 4], [4, 4, 0, 0], levels=range(5))
    assert result.deviation_rate == 1.0
    assert result.mean_abs_level_error == 4.0


def test_levels_fix_the_order_and_the_scale_of_string_labels():
    true = ["low", "high", "medium", "high"]
    pred = ["low", "medium", "medium", "low"]
    result = grading_metrics(true, pred, levels=["low", "medium", "high", "severe"])
    assert result.levels == ["low", "medium", "high", "severe"]
    # high -> medium is 1 step, high -> low 2 steps, on a 4-level scale (3 steps)
    assert result.deviation_rate == pytest.approx(3 / 4 / 3)
    table = result.table().set_index("level")
    assert table.loc["severe", "n"] == 0
    assert math.isnan(table.loc["severe", "accuracy"])
    assert table.loc["high", "graded_lower"] == 1.0


def test_labels_of_both_inputs_make_the_levels_by_default():
    result = grading_metrics([1, 1, 2], [1, 3, 2])
    assert result.levels == [1, 2, 3]


@pytest.mark.parametrize(
    ("true", "pred", "levels", "message"),
    [
        ([0, 1], [0], None, r"y_true and y_pred must have the same length, got 2 and 1\."),
        ([], [], None, r"grading_metrics needs at least one graded record, got none\."),
        (
            [0, 0],
            [0, 0],
            None,
            r"Grading needs at least two levels, got \[0\]; pass every level of the scale "
            r"with levels=\.",
        ),
        (
            ["low", "high"],
            ["low", "severe"],
            ["low", "high"],
            r"y_pred holds labels that are not in levels: 'severe'; the levels are 'low', "
            r"'high'\. Add them to levels or correct the labels\.",
        ),
        (
            [0, 9],
            [0, 1],
            [0, 1, 2],
            r"y_true holds labels that are not in levels: '9'; the levels are 0, 1, 2\.",
        ),
        (
            [0, 1],
            [0, 1],
            [0, 1, 1],
            r"levels repeats '1'; list every level once, from the lowest risk to the highest\.",
        ),
    ],
)
def test_bad_inputs_are_explained(true, pred, levels, message):
    with pytest.raises(ValueError, match=message):
        grading_metrics(true, pred, levels=levels)
