"""compute_indicators: values, reasons for every NaN, skipped indicators, summary."""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pytest

from finwarn.datasets import make_demo_panel
from finwarn.exceptions import DataValidationError
from finwarn.indicators import IndicatorResult, compute_indicators, load_catalog


def tiny() -> pd.DataFrame:
    """Two firms, two years; amounts chosen so the ratios are easy to check by hand."""
    return pd.DataFrame(
        {
            "entity": ["B", "A", "A", "B"],
            "period": [2021, 2021, 2020, 2020],
            "total_assets": [200.0, 100.0, 80.0, 160.0],
            "current_assets": [60.0, 50.0, 40.0, 50.0],
            "inventory": [20.0, 10.0, 5.0, 10.0],
            "current_liabilities": [0.0, 25.0, 20.0, 25.0],
            "total_liabilities": [250.0, 60.0, 50.0, 100.0],
            "equity": [-50.0, 40.0, 30.0, 60.0],
            "net_income": [-30.0, 8.0, 6.0, 4.0],
            "revenue": [150.0, 120.0, 100.0, 0.0],
        },
        index=[10, 11, 12, 13],
    )


def test_hand_computed_values():
    values = compute_indicators(tiny()).values
    assert values.index.tolist() == [10, 11, 12, 13]
    a21 = values.loc[11]
    assert a21["current_ratio"] == 2.0
    assert a21["quick_ratio"] == pytest.approx(1.6)
    assert a21["debt_ratio"] == pytest.approx(0.6)
    assert a21["debt_to_equity"] == pytest.approx(1.5)
    assert a21["roa"] == pytest.approx(0.08)
    assert a21["roe"] == pytest.approx(0.2)
    assert a21["net_margin"] == pytest.approx(8 / 120)
    assert a21["revenue_growth"] == pytest.approx(0.2)
    assert a21["asset_growth"] == pytest.approx(0.25)
    assert a21["equity_growth"] == pytest.approx(1 / 3)
    assert a21["net_income_growth"] == pytest.approx(1 / 3)
    assert values.loc[10, "net_income_growth"] == pytest.approx(-8.5)  # -30 vs +4
    assert values.loc[10, "working_capital_to_assets"] == pytest.approx(0.3)
    assert values.loc[10, "equity_growth"] == pytest.approx(-110 / 60)  # to negative equity
    assert values.dtypes.eq(float).all()


def test_nan_reasons_for_zero_and_negative_denominators():
    result = compute_indicators(tiny())
    notes = result.notes.set_index(["row", "indicator"])["reason"]
    assert notes[(10, "current_ratio")] == "denominator current_liabilities = 0"
    assert notes[(10, "roe")] == "denominator equity < 0"
    assert notes[(10, "debt_to_equity")] == "denominator equity < 0"
    assert notes[(13, "net_margin")] == "denominator revenue = 0"
    assert notes[(10, "revenue_growth")] == "denominator prev(revenue) = 0"
    assert notes[(12, "revenue_growth")] == "no previous period 2019 for entity A"
    assert list(result.notes.columns) == ["row", "entity", "period", "indicator", "reason"]
    row = result.notes[(result.notes["row"] == 10) & (result.notes["indicator"] == "roe")]
    assert row[["entity", "period"]].values.tolist() == [["B", 2021]]


def test_every_nan_has_exactly_one_note_and_nothing_is_infinite():
    table = tiny()
    table.loc[11, "revenue"] = np.nan
    table.loc[12, "total_assets"] = np.inf
    table.loc[13, "net_income"] = 1e308
    table.loc[13, "total_assets"] = 1e-300
    result = compute_indicators(table)
    values = result.values
    assert not np.isinf(values.to_numpy()).any()
    nan_cells = {(row, col) for col in values for row in values.index[values[col].isna()]}
    noted = list(zip(result.notes["row"], result.notes["indicator"], strict=True))
    assert len(noted) == len(set(noted))
    assert set(noted) == nan_cells
    notes = result.notes.set_index(["row", "indicator"])["reason"]
    assert notes[(11, "net_margin")] == "input revenue missing"
    assert notes[(12, "roa")] == "input total_assets is not finite"
    assert notes[(13, "roa")] == "net_income / total_assets is not finite"


def test_demo_panel_has_no_infinities_and_explains_all_nans():
    panel = make_demo_panel(n_firms=200, n_years=4, random_state=3)
    result = compute_indicators(panel)
    values = result.values
    assert not np.isinf(values.to_numpy()).any()
    assert len(result.notes) == int(values.isna().sum().sum())
    assert set(values.columns) == set(load_catalog().ids)
    assert result.skipped.empty


@pytest.mark.parametrize("seed", [0, 7])
def test_growth_uses_the_same_entitys_previous_period_when_rows_are_shuffled(seed):
    panel = make_demo_panel(n_firms=60, n_years=4, random_state=1)
    ordered = compute_indicators(panel)
    shuffled_panel = panel.sample(frac=1.0, random_state=seed)
    shuffled = compute_indicators(shuffled_panel)
    pd.testing.assert_frame_equal(shuffled.values.loc[panel.index], ordered.values)
    # and by hand, for one firm-year
    firm = panel[panel["entity"] == panel["entity"].iloc[0]].set_index("period")["revenue"]
    year = firm.index[1]
    row = panel.index[(panel["entity"] == panel["entity"].iloc[0]) & (panel["period"] == year)]
    expected = firm[year] / firm[year - 1] - 1
    assert shuffled.values.loc[row[0], "revenue_growth"] == pytest.approx(expected)


def test_gap_in_periods_gives_nan_with_reason():
    table = tiny()
    table.loc[12, "period"] = 2019
    result = compute_indicators(table)
    assert np.isnan(result.values.loc[11, "revenue_growth"])
    reasons = result.notes.set_index(["row", "indicator"])["reason"]
    assert reasons[(11, "revenue_growth")] == "no previous period 2020 for entity A"


def test_absent_raw_items_skip_indicators_with_the_missing_items():
    result = compute_indicators(tiny().drop(columns=["inventory"]))
    skipped = result.skipped.set_index("indicator")
    assert list(result.skipped.columns) == ["indicator", "dimension", "missing_items", "reason"]
    assert skipped.loc["quick_ratio", "missing_items"] == "inventory"
    assert skipped.loc["quick_ratio", "reason"] == "raw item(s) inventory not in the table"
    assert skipped.loc["interest_coverage", "missing_items"] == "ebit, interest_expense"
    assert "quick_ratio" not in result.values
    assert set(result.dimensions) == set(result.values.columns)
    assert result.dimensions["current_ratio"] == "solvency"
    assert result.directions["debt_ratio"] == "riskier"


def test_without_entity_growth_is_skipped_with_a_reason():
    result = compute_indicators(tiny().drop(columns=["entity"]))
    skipped = result.skipped.set_index("indicator")
    assert "revenue_growth" not in result.values and "current_ratio" in result.values
    assert skipped.loc["revenue_growth", "reason"] == (
        "the table has no 'entity' column, so prev() (the same entity's previous period) "
        "cannot be evaluated"
    )
    assert result.notes["entity"].isna().all()


def test_summary_table():
    result = compute_indicators(tiny().drop(columns=["inventory"]))
    table = result.table().set_index("indicator")
    assert list(result.table().columns) == [
        "indicator",
        "dimension",
        "direction",
        "status",
        "n_computed",
        "n_nan",
        "top_reason",
        "top_reason_count",
    ]
    assert table.loc["current_ratio"].tolist() == [
        "solvency",
        "safer",
        "computed",
        3,
        1,
        "denominator current_liabilities = 0",
        1,
    ]
    assert table.loc["revenue_growth", "top_reason"] == "no previous period for the entity"
    assert table.loc["revenue_growth", "top_reason_count"] == 2
    assert table.loc["quick_ratio", "status"] == "skipped"
    assert table.loc["quick_ratio", "n_nan"] == 4
    assert len(table) == len(load_catalog())


def test_catalog_argument(tmp_path):
    sub = load_catalog().select(["roa", "current_ratio"])
    assert list(compute_indicators(tiny(), sub).values.columns) == ["current_ratio", "roa"]
    path = tmp_path / "c.yaml"
    path.write_text(
        "indicators:\n  - {id: cash_free, name: X, formula: 'current_assets - inventory', "
        "dimension: solvency, direction: safer, meaning: m}\n"
    )
    assert compute_indicators(tiny(), path).values["cash_free"].tolist() == [40, 40, 35, 40]
    with pytest.raises(
        TypeError,
        match=re.escape(
            "catalog must be an IndicatorCatalog (see load_catalog()) or the path of a catalog "
            "file, got list."
        ),
    ):
        compute_indicators(tiny(), ["roa"])


def test_duplicate_entity_periods_are_refused():
    table = pd.concat([tiny(), tiny().iloc[[0]]])
    with pytest.raises(
        DataValidationError,
        match=re.escape(
            "table: 2 rows share their entity and period with another row: ('B', 2021)."
        ),
    ):
        compute_indicators(table)


def test_text_in_raw_item_column_is_refused():
    table = tiny()
    table["revenue"] = table["revenue"].astype(object)
    table.loc[13, "revenue"] = "12,5.0"
    with pytest.raises(
        DataValidationError,
        match=re.escape(
            "table: column 'revenue' has 1 value(s) that are not numbers: '12,5.0' at row 13 "
            "(B, 2020)."
        ),
    ):
        compute_indicators(table)


def test_input_is_not_changed_and_nothing_is_printed(caplog, capsys):
    table = tiny()
    before = table.copy()
    with caplog.at_level(logging.INFO, logger="finwarn.indicators._compute"):
        result = compute_indicators(table)
    pd.testing.assert_frame_equal(table, before)
    assert isinstance(result, IndicatorResult)
    assert capsys.readouterr() == ("", "")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert messages[0].startswith(f"Computed {len(result.values.columns)} of 41 indicators on 4")
