from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from finwarn.clusters import RiskClusters, describe_centre


def _three_groups(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.2, 0.2, 0.2], [0.5, 0.8, 0.5], [0.85, 0.5, 0.9]])
    rows = np.vstack([c + rng.normal(scale=0.04, size=(60, 3)) for c in centres])
    return pd.DataFrame(rows, columns=["solvency", "operating_capability", "profitability"])


def test_clusters_are_numbered_from_safest_to_riskiest_and_described():
    scores = _three_groups()
    model = RiskClusters(random_state=0).fit(scores)
    assert model.n_clusters_ == 3
    assert model.labels_.tolist() == [1] * 60 + [2] * 60 + [3] * 60
    assert model.descriptions_ == [
        "strong solvency, fast turnover, strong profitability",
        "average solvency, slow turnover, average profitability",
        "weak solvency, average turnover, weak profitability",
    ]
    table = model.table()
    assert table["firms"].tolist() == [60, 60, 60]
    assert list(table.columns) == [
        "cluster",
        "firms",
        "share",
        "solvency",
        "operating_capability",
        "profitability",
        "description",
    ]
    assert model.silhouette_ > 0.7
    np.testing.assert_array_equal(model.predict(scores), model.labels_)


def test_auto_picks_the_best_silhouette_and_reports_every_k():
    model = RiskClusters(n_clusters="auto", k_range=(2, 5), random_state=0).fit(_three_groups())
    assert model.silhouettes_["k"].tolist() == [2, 3, 4, 5]
    assert model.n_clusters_ == 3
    assert model.silhouette_ == pytest.approx(model.silhouettes_["silhouette"].max())


def test_same_seed_same_clusters():
    scores = _three_groups(seed=3)
    a = RiskClusters(random_state=1).fit(scores).labels_
    b = RiskClusters(random_state=1).fit(scores).labels_
    np.testing.assert_array_equal(a, b)


def test_too_many_clusters_for_the_rows():
    with pytest.raises(ValueError, match=r"n_clusters=5 is more than the 4 rows to cluster"):
        RiskClusters(n_clusters=5).fit(np.random.default_rng(0).random((4, 3)))


def test_unknown_dimensions_get_generic_words():
    text = describe_centre({"liquidity": 0.7}, {"liquidity": (0.1, 0.3, 0.6, 0.8)})
    assert text == "high liquidity risk"
