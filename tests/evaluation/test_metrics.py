from __future__ import annotations

import math

import pytest

from finwarn.evaluation import METRICS, binary_metrics


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
