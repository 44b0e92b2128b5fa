"""The simulated demo panel and its corrupted variant."""

from __future__ import annotations

import re
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer

from finwarn.datasets import CORRUPTION_KINDS, corrupt_panel, make_demo_panel
from finwarn.exceptions import DataValidationError
from finwarn.indicators import compute_indicators

RAW_ITEMS = yaml.safe_load(
    resources.files("finwarn").joinpath("data", "raw_items.yaml").read_text("utf-8")
)["items"]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_demo_panel(n_firms=1000, n_years=8, random_state=0)


def test_same_seed_same_frame_and_different_seed_different_frame():
    first = make_demo_panel(n_firms=100, n_years=5, random_state=42)
    pd.testing.assert_frame_equal(first, make_demo_panel(n_firms=100, n_years=5, random_state=42))
    other = make_demo_panel(n_firms=100, n_years=5, random_state=43)
    assert not first["total_assets"].head(50).equals(other["total_assets"].head(50))
    generator = make_demo_panel(100, 5, np.random.default_rng(42))
    pd.testing.assert_frame_equal(first, generator)


def test_columns_and_types(panel):
    assert list(panel.columns) == ["entity", "period", "industry", "label"] + [
        item["id"] for item in RAW_ITEMS
    ]
    assert panel["period"].dtype == np.int64
    assert panel["label"].dtype == float
    assert panel["entity"].str.fullmatch(r"F\d{4}").all()
    assert panel[[i["id"] for i in RAW_ITEMS]].dtypes.eq(float).all()
    assert panel[[i["id"] for i in RAW_ITEMS]].notna().all().all()
    assert set(panel["industry"]) == {
        "manufacturing",
        "retail",
        "construction",
        "services",
        "technology",
    }
    assert panel["period"].between(2015, 2022).all()
    assert not panel.duplicated(["entity", "period"]).any()
    assert panel.equals(panel.sort_values(["entity", "period"]))


def test_marked_as_simulated(panel):
    assert panel.attrs["simulated"] is True
    assert panel.attrs["description"].startswith("Simulated (not real) financial statements")
    assert "simulated" in make_demo_panel.__doc__.lower()


def test_accounting_identities(panel):
    def close(a, b):
        return np.allclose(a, b, rtol=0, atol=1e-6)

    p = panel
    assert close(p["total_assets"], p["current_assets"] + p["fixed_assets"])
    assert (p["current_assets"] >= p["cash"] + p["receivables"] + p["inventory"] - 1e-6).all()
    assert close(p["total_liabilities"], p["current_liabilities"] + p["long_term_debt"])
    assert close(p["equity"], p["total_assets"] - p["total_liabilities"])
    assert close(p["gross_profit"], p["revenue"] - p["cost_of_sales"])
    assert close(p["ebit"], p["gross_profit"] - p["operating_expenses"] - p["depreciation"])


@pytest.mark.parametrize("item", [i["id"] for i in RAW_ITEMS if i.get("min") == 0])
def test_items_that_cannot_be_negative_are_not(panel, item):
    assert (panel[item] >= 0).all()


def test_statements_are_plausible(panel):
    ratios = compute_indicators(panel).values.median()
    assert 1.0 < ratios["current_ratio"] < 3.0
    assert 0.3 < ratios["debt_ratio"] < 0.7
    assert 0.0 < ratios["roa"] < 0.1
    assert (panel["equity"] < 0).any() and (panel["net_income"] < 0).mean() < 0.3
    assert ((panel["inventory"] == 0).groupby(panel["industry"]).mean()["retail"]) == 0


def test_label_rules(panel):
    last_year = panel["period"].max()
    assert panel.loc[panel["period"] == last_year, "label"].isna().all()
    assert panel.loc[panel["period"] < last_year, "label"].isin([0.0, 1.0]).all()
    keys = set(zip(panel["entity"], panel["period"], strict=True))
    has_next = np.array([(e, p + 1) in keys for e, p in keys_in_order(panel)])
    labelled = panel["label"].notna().to_numpy()
    # label 1: the firm falls into distress next year and leaves the panel
    assert not has_next[panel["label"].eq(1).to_numpy()].any()
    # label 0: the firm is still there next year
    assert has_next[labelled & panel["label"].eq(0).to_numpy()].all()
    # distress is the last row of its firm; firms' years are contiguous
    last_rows = panel.groupby("entity").tail(1)
    assert panel.loc[panel["label"] == 1].index.isin(last_rows.index).all()
    spans = panel.groupby("entity")["period"].agg(["min", "max", "size"])
    assert (spans["max"] - spans["min"] + 1 == spans["size"]).all()
    # some firms enter later than the first year
    assert (spans["min"] > panel["period"].min()).mean() > 0.1


def keys_in_order(panel: pd.DataFrame) -> list[tuple[str, int]]:
    return list(zip(panel["entity"], panel["period"], strict=True))


@pytest.mark.parametrize(("n_firms", "seed"), [(500, 0), (2000, 0), (2000, 1), (2000, 2)])
def test_distress_rate_in_range(n_firms, seed):
    rate = make_demo_panel(n_firms=n_firms, random_state=seed)["label"].mean()
    assert 0.03 <= rate <= 0.08


def test_distress_is_predictable_from_indicators_but_not_perfectly():
    panel = make_demo_panel(n_firms=2000, n_years=8, random_state=1)
    panel = panel[panel["label"].notna()]
    X = compute_indicators(panel).values
    y = panel["label"].astype(int)
    train, test = next(
        GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=0).split(X, y, panel["entity"])
    )
    assert not set(panel["entity"].iloc[train]) & set(panel["entity"].iloc[test])
    model = make_pipeline(
        QuantileTransformer(n_quantiles=200, output_distribution="normal"),
        SimpleImputer(strategy="median"),
        LogisticRegression(max_iter=1000),
    ).fit(X.iloc[train], y.iloc[train])
    auc = roc_auc_score(y.iloc[test], model.predict_proba(X.iloc[test])[:, 1])
    assert 0.75 <= auc <= 0.93


def test_start_year_and_small_panels():
    small = make_demo_panel(n_firms=3, n_years=1, random_state=0, start_year=2000)
    assert small["period"].tolist() == [2000, 2000, 2000]
    assert small["label"].isna().all()
    assert make_demo_panel(n_firms=12345, n_years=2)["entity"].iloc[0] == "F00001"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_firms": 0}, "n_firms must be an integer of at least 1, got 0."),
        ({"n_firms": 2.5}, "n_firms must be an integer of at least 1, got 2.5."),
        ({"n_years": 0}, "n_years must be an integer of at least 1, got 0."),
        ({"start_year": -1}, "start_year must be an integer of at least 0, got -1."),
        ({"random_state": "a"}, "random_state must be an int, a numpy Generator or None, got 'a'."),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        make_demo_panel(**kwargs)


# --------------------------------------------------------------------------- corrupt_panel


def test_corrupt_panel_documents_each_bad_row(panel):
    original = panel.copy()
    corrupted, log = corrupt_panel(panel, random_state=0)
    pd.testing.assert_frame_equal(panel, original)  # the input is untouched
    assert len(corrupted) == len(panel) + 1
    assert corrupted.index.equals(pd.RangeIndex(len(corrupted)))
    assert list(log.columns) == ["position", "entity", "period", "column", "kind", "value"]
    assert sorted(log["kind"].unique()) == sorted(CORRUPTION_KINDS)
    assert log["position"].is_unique and log["position"].is_monotonic_increasing
    for rec in log.itertuples(index=False):
        row = corrupted.iloc[rec.position]
        assert (row["entity"], row["period"]) == (rec.entity, rec.period)
        if rec.kind == "text_in_numeric":
            assert row[rec.column] in {"see note 4", "12,5.0"}
        elif rec.kind == "infinite":
            assert np.isinf(row[rec.column])
        elif rec.kind == "negative_impossible":
            assert row["total_assets"] < 0
        elif rec.kind == "unknown_label":
            assert row["label"] == "maybe"
        elif rec.kind == "missing_entity":
            assert row["entity"] == ""
        else:
            twins = corrupted[
                (corrupted["entity"] == rec.entity) & (corrupted["period"] == rec.period)
            ]
            assert len(twins) == 2 and twins["revenue"].nunique() == 2
    clean = corrupted.drop(index=log["position"])
    assert not clean.duplicated(["entity", "period"]).any()
    assert pd.to_numeric(clean["revenue"]).notna().all()


def test_corrupt_panel_is_deterministic(panel):
    first = corrupt_panel(panel, random_state=5)
    second = corrupt_panel(panel, random_state=5)
    pd.testing.assert_frame_equal(first[0], second[0])
    pd.testing.assert_frame_equal(first[1], second[1])
    assert not first[1]["position"].equals(corrupt_panel(panel, random_state=6)[1]["position"])


def test_corrupted_panel_is_refused_by_compute_indicators(panel):
    corrupted, _ = corrupt_panel(panel)
    with pytest.raises(
        DataValidationError,
        match=re.escape(
            "table: column 'cash' has 1 value(s) that are not numbers: '12,5.0' at row "
        ),
    ):
        compute_indicators(corrupted)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pd.DataFrame({"entity": ["A"]}),
            "corrupt_panel needs the columns cash, ebit, label, operating_cash_flow, period, "
            "revenue, total_assets, which the panel lacks. Pass a panel made by "
            "make_demo_panel().",
        ),
        (
            make_demo_panel(n_firms=3, n_years=1),
            "corrupt_panel needs a panel of at least 10 rows with a known label; got 3 rows, 0 "
            "labelled. Use make_demo_panel() with more firms or years.",
        ),
    ],
)
def test_corrupt_panel_errors(frame, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        corrupt_panel(frame)
