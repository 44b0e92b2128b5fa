from __future__ import annotations

import math

import pytest

from finwarn.evaluation import ALERT_BUDGETS, METRICS, binary_metrics


def test_hand_computed_example():
    y = [0, 0, 0, 0, 1, 1]
    p = [0.1, 0.2, 0.3, 0.7, 0.6, 0.9]
    d = [0, 0, 0, 1, 1, 1]
    m = binary_metrics(y, p, d)
    assert (m["tp"], m["fp"], m["tn"], m["fn"]) == (2, 1, 3, 0)
    assert m["recall"] == 1.0
    assert m["specificity"] == 0.75
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(0.8)
    assert m["accuracy"] == pytest.approx(5 / 6)
    assert m["roc_auc"] == pytest.approx(7 / 8)  # one of 8 pairs mis-ordered (0.7 vs 0.6)
    assert m["ks"] == pytest.approx(0.75)
    brier = sum((pi - yi) ** 2 for pi, yi in zip(p, y, strict=True)) / 6
    assert m["brier"] == pytest.approx(brier)
    assert set(METRICS) <= set(m)


def test_one_class_gives_nan_ranking_metrics_not_an_error():
    m = binary_metrics([0, 0, 0], [0.1, 0.2, 0.3], [0, 0, 1])
    assert math.isnan(m["roc_auc"]) and math.isnan(m["pr_auc"])
    assert math.isnan(m["recall"])  # no distressed firm to find
    assert m["specificity"] == pytest.approx(2 / 3)


def test_calibration_table_bins_by_prediction():
    import numpy as np

    from finwarn.evaluation import calibration_table

    rng = np.random.default_rng(0)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)
    table = calibration_table(y, p)
    assert table["bin"].tolist() == list(range(1, 11)) and table["n"].sum() == 1000
    assert table["predicted"].is_monotonic_increasing
    assert (table["observed"] - table["predicted"]).abs().max() < 0.1


def test_metrics_are_listed_in_table_order():
    assert METRICS == (
        "roc_auc",
        "pr_auc",
        "ks",
        "brier",
        "recall_top5",
        "precision_top5",
        "recall_top10",
        "precision_top10",
        "f1",
        "f2",
        "recall",
        "specificity",
        "precision",
        "accuracy",
        "type_i_error",
        "type_ii_error",
    )
    assert ALERT_BUDGETS == (0.05, 0.10)


def test_f2_and_type_i_and_ii_errors_by_hand():
    # tp=2, fn=1, fp=1, tn=4
    y = [1, 1, 1, 0, 0, 0, 0, 0]
    p = [0.9, 0.8, 0.2, 0.7, 0.1, 0.1, 0.3, 0.2]
    d = [1, 1, 0, 1, 0, 0, 0, 0]
    m = binary_metrics(y, p, d)
    assert (m["tp"], m["fn"], m["fp"], m["tn"]) == (2, 1, 1, 4)
    assert m["f2"] == pytest.approx(5 * 2 / (5 * 2 + 4 * 1 + 1))  # 10/15
    assert m["type_i_error"] == pytest.approx(1 / 3)  # one of three failing firms missed
    assert m["type_ii_error"] == pytest.approx(1 / 5)  # one of five healthy firms warned
    assert m["type_i_error"] == pytest.approx(1 - m["recall"])
    assert m["type_ii_error"] == pytest.approx(1 - m["specificity"])


def test_f2_weighs_recall_more_than_f1_does():
    # all three distressed warned, plus three healthy: recall 1, precision 1/2
    m = binary_metrics([1, 1, 1, 0, 0, 0], [0.5] * 6, [1, 1, 1, 1, 1, 1])
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["f2"] == pytest.approx(15 / 18)  # (1 + 4) * 3 / (5 * 3 + 0 + 3)


def test_alert_budget_flags_the_highest_predictions():
    y = [0, 0, 0, 0, 1, 1]
    p = [0.1, 0.2, 0.3, 0.7, 0.6, 0.9]
    m = binary_metrics(y, p, [0, 0, 0, 1, 1, 1])
    # 6 rows: ceil(0.3) = ceil(0.6) = 1 flagged row, the 0.9 (distressed)
    assert (m["recall_top5"], m["precision_top5"]) == (0.5, 1.0)
    assert (m["recall_top10"], m["precision_top10"]) == (0.5, 1.0)

    y = [0] * 20
    y[7] = y[12] = 1
    p = [0.1] * 20
    p[3] = p[7] = 0.9  # a tie at the top: row 3 (healthy) comes first
    p[12] = 0.5
    m = binary_metrics(y, p, [0] * 20)
    # 20 rows: 5% flags 1 row (row 3), 10% flags 2 (rows 3 and 7)
    assert (m["recall_top5"], m["precision_top5"]) == (0.0, 0.0)
    assert (m["recall_top10"], m["precision_top10"]) == (0.5, 0.5)
    # the tie is broken by row order: swap the two tied rows and the distressed one wins
    y[3], y[7] = 1, 0
    m = binary_metrics(y, p, [0] * 20)
    assert (m["recall_top5"], m["precision_top5"]) == (0.5, 1.0)


@pytest.mark.parametrize(
    ("n", "top5", "top10"),
    [(1, 1, 1), (20, 1, 2), (21, 2, 3), (30, 2, 3), (100, 5, 10), (101, 6, 11)],
)
def test_alert_budget_flags_the_ceiling_of_the_share(n, top5, top10):
    # every row distressed, so recall among the flagged = flagged / n
    m = binary_metrics([1] * n, [0.5] * n, [1] * n)
    assert m["recall_top5"] == pytest.approx(top5 / n)
    assert m["recall_top10"] == pytest.approx(top10 / n)
    assert m["precision_top5"] == m["precision_top10"] == 1.0


def test_undefined_new_metrics_are_nan():
    # no distressed firm: nothing to recall or miss; precision among flagged is 0
    m = binary_metrics([0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4], [0, 0, 0, 1])
    assert math.isnan(m["recall_top5"]) and math.isnan(m["recall_top10"])
    assert m["precision_top5"] == 0.0 and m["precision_top10"] == 0.0
    assert math.isnan(m["type_i_error"])
    assert m["type_ii_error"] == 0.25
    assert m["f2"] == 0.0  # a false warning, no true one
    # no distressed firm and no warning: F-scores are undefined
    m = binary_metrics([0, 0, 0], [0.1, 0.2, 0.3], [0, 0, 0])
    assert math.isnan(m["f1"]) and math.isnan(m["f2"])
    # no healthy firm: the type II error is undefined
    m = binary_metrics([1, 1], [0.1, 0.9], [0, 1])
    assert math.isnan(m["type_ii_error"]) and math.isnan(m["specificity"])
    assert m["type_i_error"] == 0.5
