"""The scalar evaluator gives exactly the values of compute_indicators, firm by firm."""

from __future__ import annotations

import numpy as np
import pytest

from finwarn.data import raw_items
from finwarn.datasets import corrupt_panel, make_demo_panel
from finwarn.indicators import compute_indicators, load_catalog, parse_formula, scalar_formula


@pytest.mark.parametrize("corrupt", [False, True])
def test_scalar_formulas_equal_the_table_computation(corrupt):
    panel = make_demo_panel(n_firms=40, n_years=4, random_state=1)
    if corrupt:  # negative equity, zero denominators, missing items
        panel = corrupt_panel(panel, random_state=1)[0]
        panel = panel[panel["entity"].notna()].drop_duplicates(["entity", "period"])
        panel = panel.reset_index(drop=True)
    items = [c for c in raw_items() if c in panel.columns]
    numbers = panel[items].apply(lambda c: c.astype(str).str.strip(), axis=0)
    numbers = numbers.apply(lambda c: np.asarray(c.map(_number), dtype=float), axis=0)
    frame = panel[["entity", "period"]].join(numbers)
    expected = compute_indicators(frame).values
    catalog = load_catalog()
    rows = {
        (e, p): dict(zip(items, values, strict=True))
        for e, p, values in zip(
            frame["entity"], frame["period"], frame[items].to_numpy(), strict=True
        )
    }
    compared = 0
    for indicator in expected.columns:
        formula = scalar_formula(catalog.formula(indicator))
        got = np.array(
            [formula(rows[(e, p)], rows.get((e, p - 1), {})) for e, p in rows],
            dtype=float,
        )
        np.testing.assert_array_equal(got, expected[indicator].to_numpy(), err_msg=indicator)
        compared += int(np.isfinite(got).sum())
    assert compared > 1_000


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def test_scalar_formula_semantics():
    ratio = scalar_formula(parse_formula("log(total_assets) - prev(total_assets) / 2"))
    assert ratio({"total_assets": np.e}, {"total_assets": 4.0}) == pytest.approx(-1.0)
    assert np.isnan(ratio({"total_assets": 0.0}, {"total_assets": 4.0}))  # log of zero
    assert np.isnan(ratio({"total_assets": 1.0}, {}))  # no previous period
