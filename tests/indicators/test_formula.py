"""The formula language: parsing, safe evaluation, reasons for every NaN."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from finwarn.exceptions import ConfigError, DataValidationError
from finwarn.indicators import FUNCTIONS, parse_formula, raw_item_ids

HOW = (
    "Write formulas with raw item names, numbers, + - * /, parentheses and the functions "
    "abs(), log(), min(), max() and prev()."
)
WHERE = "mine.yaml: indicator 'my_ratio': "


def test_raw_item_ids_are_those_of_raw_items_yaml():
    ids = raw_item_ids()
    assert ids[:3] == ("total_assets", "current_assets", "cash")
    assert len(ids) == len(set(ids)) == 24
    assert "market_value_equity" in ids


@pytest.mark.parametrize(
    ("text", "items", "prev_items"),
    [
        ("cash / current_liabilities", {"cash", "current_liabilities"}, set()),
        ("(revenue - prev(revenue)) / prev(revenue)", {"revenue"}, {"revenue"}),
        ("-ebit / abs(prev(net_income))", {"ebit"}, {"net_income"}),
        (
            "log(total_assets) + 2.5 * min(cash, inventory) - max(0, ebit)",
            {"total_assets", "cash", "inventory", "ebit"},
            set(),
        ),
        ("  receivables * 365 / revenue ", {"receivables", "revenue"}, set()),
    ],
)
def test_parse_collects_items(text, items, prev_items):
    formula = parse_formula(text)
    assert formula.items == items
    assert formula.prev_items == prev_items
    assert formula.uses_prev is bool(prev_items)
    assert formula.inputs == items | prev_items
    assert formula.text == text.strip()


def test_functions_and_arity():
    assert FUNCTIONS == {"abs": 1, "log": 1, "max": 2, "min": 2, "prev": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "revenue / / total_assets",
            "formula 'revenue / / total_assets' is not valid (invalid syntax at column 11). " + HOW,
        ),
        (
            "revenu / total_assets",
            "formula 'revenu / total_assets' uses unknown item 'revenu'. Did you mean "
            "'revenue'? Use a raw item id from finwarn/data/raw_items.yaml.",
        ),
        (
            "sqrt(total_assets)",
            "formula 'sqrt(total_assets)' calls unknown function 'sqrt'. Allowed functions: "
            "abs, log, max, min, prev.",
        ),
        (
            "__import__('os')",
            "formula \"__import__('os')\" calls unknown function '__import__'. Allowed "
            "functions: abs, log, max, min, prev.",
        ),
        (
            "min(cash)",
            "formula 'min(cash)' calls min() with 1 argument(s); min() takes exactly 2 "
            "positional argument(s).",
        ),
        (
            "log(x=cash)",
            "formula 'log(x=cash)' calls log() with a keyword argument (x=...); pass arguments "
            "by position, e.g. log(total_assets).",
        ),
        (
            "prev(cash + inventory)",
            "formula 'prev(cash + inventory)' calls prev(cash + inventory); prev() takes one "
            "raw item name, for example prev(revenue).",
        ),
        (
            "prev(cahs)",
            "formula 'prev(cahs)' uses unknown item 'cahs'. Did you mean 'cash'? Use a raw "
            "item id from finwarn/data/raw_items.yaml.",
        ),
        ("cash ** 2", "formula 'cash ** 2' uses the operator '**', which is not allowed. " + HOW),
        ("cash % 2", "formula 'cash % 2' uses the operator '%', which is not allowed. " + HOW),
        ("cash > 0", "formula 'cash > 0' uses 'cash > 0', which is not allowed. " + HOW),
        ("cash.real", "formula 'cash.real' uses 'cash.real', which is not allowed. " + HOW),
        (
            "'a' + cash",
            "formula \"'a' + cash\" uses the constant 'a', which is not allowed. " + HOW,
        ),
        (
            "True * cash",
            "formula 'True * cash' uses the constant True, which is not allowed. " + HOW,
        ),
        (
            "log / cash",
            "formula 'log / cash' uses the function name 'log' without calling it, which is "
            "not allowed. " + HOW,
        ),
        ("", "the formula is empty. " + HOW),
    ],
)
def test_parse_errors_name_indicator_file_and_problem(text, message):
    with pytest.raises(ConfigError, match=f"^{re.escape(WHERE + message)}$"):
        parse_formula(text, indicator_id="my_ratio", source="mine.yaml")


def test_parse_error_without_indicator_or_file():
    with pytest.raises(ConfigError, match=r"^formula 'cash \*\* 2' uses the operator"):
        parse_formula("cash ** 2")


def test_known_items_limit_the_names():
    assert parse_formula("a / b", known_items=["a", "b"]).items == {"a", "b"}
    with pytest.raises(ConfigError, match="uses unknown item 'cash'"):
        parse_formula("cash", known_items=["a"])


def _evaluate(text: str, table: pd.DataFrame) -> tuple[list, list]:
    values, reasons = parse_formula(text).evaluate(table)
    assert not np.isinf(values.to_numpy()).any()
    assert values.index.equals(table.index)
    return values.round(10).tolist(), reasons.tolist()


def test_hand_computed_values():
    table = pd.DataFrame(
        {
            "current_assets": [50.0, 30.0],
            "inventory": [10.0, 0.0],
            "current_liabilities": [20.0, 40.0],
            "net_income": [-5.0, 8.0],
            "total_assets": [np.e, 1.0],
        }
    )
    assert _evaluate("(current_assets - inventory) / current_liabilities", table)[0] == [2.0, 0.75]
    assert _evaluate("-net_income * 2 + 1", table)[0] == [11.0, -15.0]
    assert _evaluate("abs(net_income)", table)[0] == [5.0, 8.0]
    assert _evaluate("min(net_income, inventory)", table)[0] == [-5.0, 0.0]
    assert _evaluate("max(net_income, inventory)", table)[0] == [10.0, 8.0]
    assert _evaluate("log(total_assets)", table)[0] == [1.0, 0.0]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("cash / current_liabilities", "denominator current_liabilities = 0"),
        (
            "cash / (current_liabilities - inventory)",
            "denominator (current_liabilities - inventory) = 0",
        ),
        ("cash / (2 * current_liabilities)", "denominator (2 * current_liabilities) = 0"),
        ("log(current_liabilities)", "log argument current_liabilities <= 0"),
    ],
)
def test_zero_denominator_and_log_of_zero_give_nan_with_reason(text, reason):
    table = pd.DataFrame(
        {"cash": [1.0, 1.0], "current_liabilities": [2.0, 0.0], "inventory": [1.0, 0.0]}
    )
    values, reasons = _evaluate(text, table)
    assert np.isnan(values[1]) and reasons[1] == reason
    assert not np.isnan(values[0]) and reasons[0] is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("net_income / equity", "denominator equity < 0"),
        ("log(equity)", "log argument equity <= 0"),
        ("net_income / abs(equity)", None),
    ],
)
def test_negative_denominator_gives_nan_with_reason(text, reason):
    table = pd.DataFrame({"net_income": [4.0], "equity": [-2.0]})
    values, reasons = _evaluate(text, table)
    if reason is None:
        assert values == [2.0] and reasons == [None]
    else:
        assert np.isnan(values[0]) and reasons == [reason]


def test_missing_and_infinite_inputs_are_explained():
    table = pd.DataFrame({"revenue": [np.nan, 10.0, 10.0], "ebit": [1.0, np.inf, -np.inf]})
    values, reasons = _evaluate("ebit / revenue", table)
    assert all(np.isnan(values))
    assert reasons == [
        "input revenue missing",
        "input ebit is not finite",
        "input ebit is not finite",
    ]


def test_first_reason_wins():
    table = pd.DataFrame({"ebit": [np.nan], "revenue": [0.0]})
    assert _evaluate("ebit / revenue", table)[1] == ["input ebit missing"]


def test_overflow_gives_nan_with_reason_never_inf():
    table = pd.DataFrame({"revenue": [1e308, 1.0], "total_assets": [1e-10, 2.0]})
    values, reasons = _evaluate("revenue * 10 / total_assets", table)
    assert np.isnan(values[0]) and reasons[0] == "revenue * 10 is not finite"
    assert values[1] == 5.0


def test_nullable_and_text_number_columns_are_read():
    table = pd.DataFrame(
        {"cash": pd.array([1, None, 3], dtype="Int64"), "revenue": ["2", "4", "6.0"]}
    )
    values, reasons = _evaluate("cash / revenue", table)
    assert values[0] == 0.5 and values[2] == 0.5
    assert reasons[1] == "input cash missing"


def test_text_in_a_numeric_column_is_refused():
    table = pd.DataFrame(
        {"entity": ["A", "B"], "period": [2020, 2020], "revenue": ["n/a", 5.0], "cash": [1.0, 2.0]}
    )
    message = (
        "table: column 'revenue' has 1 value(s) that are not numbers: 'n/a' at row 0 "
        "(A, 2020). Clean the column or load the table with finwarn.data.load_data, which "
        "quarantines such rows."
    )
    with pytest.raises(DataValidationError, match=f"^{re.escape(message)}$"):
        parse_formula("cash / revenue").evaluate(table)


def test_absent_column_is_refused_with_suggestion():
    table = pd.DataFrame({"revenues": [1.0], "cash": [1.0]})
    message = (
        "table has no column 'revenue'. Did you mean 'revenues'? Add the raw item or map "
        "your column onto it with a column mapping."
    )
    with pytest.raises(DataValidationError, match=f"^{re.escape(message)}$"):
        parse_formula("cash / revenue").evaluate(table)


def test_not_a_dataframe_is_refused():
    with pytest.raises(
        DataValidationError, match=r"^expected a pandas DataFrame of raw statement items, got dict"
    ):
        parse_formula("cash").evaluate({"cash": [1.0]})


GROWTH = "(revenue - prev(revenue)) / prev(revenue)"


def _panel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entity": ["A", "A", "A", "B", "B", "A"],
            "period": [2018, 2019, 2020, 2019, 2020, 2022],
            "revenue": [100.0, 110.0, 99.0, 50.0, 0.0, 120.0],
        }
    )


def test_prev_is_the_same_entitys_previous_period():
    values, reasons = _evaluate(GROWTH, _panel())
    assert np.isnan(values[0]) and reasons[0] == "no previous period 2017 for entity A"
    assert values[1] == pytest.approx(0.1) and values[2] == pytest.approx(-0.1)
    assert np.isnan(values[3]) and reasons[3] == "no previous period 2018 for entity B"
    assert values[4] == -1.0
    # 2021 is absent: 2022 has no previous period, even though 2020 exists
    assert np.isnan(values[5]) and reasons[5] == "no previous period 2021 for entity A"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prev_matches_rows_by_key_not_by_order(seed):
    panel = _panel()
    expected = parse_formula(GROWTH).evaluate(panel)
    shuffled = panel.sample(frac=1.0, random_state=seed)
    shuffled.index = [f"r{i}" for i in shuffled.index]  # a non-default index
    values, reasons = parse_formula(GROWTH).evaluate(shuffled)
    pd.testing.assert_series_equal(
        values.sort_index(), expected[0].rename(lambda i: f"r{i}").sort_index()
    )
    pd.testing.assert_series_equal(
        reasons.sort_index(), expected[1].rename(lambda i: f"r{i}").sort_index()
    )


def test_prev_of_a_missing_value_names_the_previous_period():
    panel = pd.DataFrame({"entity": ["A", "A"], "period": [2019, 2020], "revenue": [np.nan, 5.0]})
    assert _evaluate(GROWTH, panel)[1] == [
        "input revenue missing",  # the row's own value is missing first
        "input revenue missing in previous period 2019",
    ]


def test_prev_zero_and_negative_base():
    panel = pd.DataFrame(
        {"entity": ["A", "A", "B", "B"], "period": [1, 2, 1, 2], "revenue": [0.0, 5.0, -2.0, 5.0]}
    )
    assert _evaluate(GROWTH, panel)[1][1::2] == [
        "denominator prev(revenue) = 0",
        "denominator prev(revenue) < 0",
    ]


def test_prev_with_non_integer_periods_uses_sorted_order():
    panel = pd.DataFrame(
        {
            "entity": ["A", "A", "A"],
            "period": ["2020Q2", "2020Q1", "2020Q3"],
            "revenue": [110.0, 100.0, 121.0],
        }
    )
    values, reasons = _evaluate(GROWTH, panel)
    assert values[0] == pytest.approx(0.1) and values[2] == pytest.approx(0.1)
    assert reasons[1] == "no period before 2020Q1 for entity A"


def test_prev_with_missing_entity_or_period():
    panel = pd.DataFrame(
        {
            "entity": ["A", None, "A", ""],
            "period": [2019, 2020, None, 2020],
            "revenue": [1.0, 2.0, 3.0, 4.0],
        }
    )
    reasons = _evaluate(GROWTH, panel)[1]
    assert reasons[1:] == ["entity or period missing, so the previous period is unknown"] * 3


def test_prev_needs_entity_and_period_columns():
    message = (
        "table: the table has no 'entity' and 'period' column, so prev() (the same "
        "entity's previous period) cannot be evaluated. Add the missing column(s)."
    )
    with pytest.raises(DataValidationError, match=f"^{re.escape(message)}$"):
        parse_formula(GROWTH).evaluate(pd.DataFrame({"revenue": [1.0]}))


def test_prev_refuses_duplicate_entity_periods():
    panel = pd.DataFrame(
        {"entity": ["A", "A", "B"], "period": [2020, 2020, 2020], "revenue": [1.0, 2.0, 3.0]}
    )
    message = (
        "table: 2 rows share their entity and period with another row: ('A', 2020). prev() "
        "needs one row per entity and period; remove or quarantine the duplicates first "
        "(finwarn.data.load_data does this)."
    )
    with pytest.raises(DataValidationError, match=f"^{re.escape(message)}$"):
        parse_formula(GROWTH).evaluate(panel)


def test_duplicate_column_names_are_refused():
    table = pd.DataFrame([[1.0, 2.0]], columns=["cash", "cash"])
    with pytest.raises(DataValidationError, match=r"^table has duplicate column names: 'cash'"):
        parse_formula("cash").evaluate(table)
