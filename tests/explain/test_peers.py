"""Tests of peer groups, peer percentiles, history tables and level migrations."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from finwarn.exceptions import DataValidationError
from finwarn.explain import (
    ALL_FIRMS,
    MIN_PEER_GROUP,
    history_table,
    migrations,
    peer_groups,
    peer_percentiles,
)

NAN = np.nan
LEVELS = ["none", "light", "moderate", "heavy"]


# --------------------------------------------------------------------------- peer_groups


def test_small_groups_and_missing_labels_fall_back_to_all_firms():
    groups = ["retail"] * 3 + ["energy"] * 2 + [None, NAN]
    assert peer_groups(groups, min_size=3).tolist() == ["retail"] * 3 + [ALL_FIRMS] * 4


def test_peer_groups_keep_the_index_of_a_series_and_stringify_labels():
    groups = pd.Series([1, 1, 2], index=["A", "B", "C"])
    expected = pd.Series(["1", "1", ALL_FIRMS], index=["A", "B", "C"], name="peer_group")
    pd.testing.assert_series_equal(peer_groups(groups, min_size=2), expected, check_dtype=False)


def test_the_default_minimum_group_is_twenty_firms():
    assert MIN_PEER_GROUP == 20
    groups = ["retail"] * 20 + ["energy"] * 19
    assert peer_groups(groups).tolist() == ["retail"] * 20 + [ALL_FIRMS] * 19


@pytest.mark.parametrize("min_size", [0, -1, 2.5, True, "20"])
def test_min_size_must_be_a_positive_integer(min_size):
    message = re.escape(f"min_size must be a positive integer, got {min_size!r}; e.g. 20.")
    with pytest.raises(ValueError, match=message):
        peer_groups(["a"], min_size=min_size)
    with pytest.raises(ValueError, match=message):
        peer_percentiles(pd.DataFrame({"a": [1.0]}), min_size=min_size)


# --------------------------------------------------------------------------- peer_percentiles


def test_percentiles_among_all_firms_count_ties_half_and_skip_missing_values():
    X = pd.DataFrame({"a": [1.0, 2.0, 2.0, NAN, 3.0]}, index=list("VWXYZ"))
    expected = pd.DataFrame({"a": [0.0, 50.0, 50.0, NAN, 100.0]}, index=list("VWXYZ"))
    pd.testing.assert_frame_equal(peer_percentiles(X), expected)


def test_percentiles_within_groups_and_among_all_firms_for_small_groups():
    # x: 5 firms (a group of its own); y: 2 firms and the unlabelled firm use all firms
    X = pd.DataFrame(
        {
            "a": [1.0, 2.0, 2.0, 3.0, NAN, 10.0, 20.0, 30.0],
            "b": [5.0, NAN, NAN, NAN, NAN, 1.0, 2.0, 3.0],
        }
    )
    groups = ["x", "x", "x", "x", "x", "y", "y", None]
    expected = pd.DataFrame(
        {
            # a in x: 1, 2, 2, 3 -> 0, 50, 50, 100; a among all 7 values: ranks 5, 6, 7 of 7
            "a": [0.0, 50.0, 50.0, 100.0, NAN, 400 / 6, 500 / 6, 100.0],
            # b: the only value of x sits at 50; all firms: 1, 2, 3, 5 -> 0, 33.3, 66.7
            "b": [50.0, NAN, NAN, NAN, NAN, 0.0, 100 / 3, 200 / 3],
        }
    )
    pd.testing.assert_frame_equal(peer_percentiles(X, groups, min_size=3), expected)


def test_a_firm_alone_in_its_group_sits_at_the_middle():
    X = pd.DataFrame({"a": [7.0, 1.0, 2.0]})
    result = peer_percentiles(X, ["p", "q", "q"], min_size=1)
    assert result["a"].tolist() == [50.0, 0.0, 100.0]


def test_a_single_value_among_all_firms_sits_at_the_middle():
    X = pd.DataFrame({"a": [NAN, 4.0, NAN]})
    result = peer_percentiles(X)
    assert result["a"].tolist()[1] == 50.0
    assert result["a"].isna().tolist() == [True, False, True]


def test_groups_are_taken_by_position_and_the_index_of_X_is_kept():
    X = pd.DataFrame({"a": [3.0, 1.0, 2.0, 9.0]}, index=["A", "B", "C", "D"])
    groups = pd.Series(["g", "g", "g", "h"], index=[10, 11, 12, 13])
    result = peer_percentiles(X, groups, min_size=3)
    assert result.index.tolist() == ["A", "B", "C", "D"]
    assert result["a"].tolist() == [100.0, 0.0, 50.0, 100.0]


def test_groups_must_match_the_rows_of_X():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(
        ValueError,
        match=re.escape("groups must hold one label per row: 3 rows, got (2,)."),
    ):
        peer_percentiles(X, ["a", "b"])


# --------------------------------------------------------------------------- history_table


def history_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Retail: A, B, C each year; energy: D alone; E without an industry. Rows shuffled."""
    rows = [
        # entity, period, industry, roa, debt
        ("A", 2023, "retail", 0.05, 0.50),
        ("D", 2023, "energy", 0.80, 0.92),
        ("B", 2023, "retail", 0.15, 0.60),
        ("E", 2023, None, NAN, 0.90),
        ("C", 2023, "retail", 0.40, 0.70),
        ("C", 2022, "retail", 0.30, 0.65),
        ("A", 2022, "retail", 0.10, 0.40),
        ("E", 2022, None, 0.50, 0.85),
        ("B", 2022, "retail", 0.20, 0.55),
        ("D", 2022, "energy", 0.90, 0.95),
    ]
    frame = pd.DataFrame(rows, columns=["entity", "period", "industry", "roa", "debt"])
    return frame[["roa", "debt"]], frame[["entity", "period", "industry"]]


def test_history_uses_the_industry_median_or_the_period_median_for_small_industries():
    X, ids = history_data()
    table = history_table(
        X, ids, ["roa", "debt"], ["D", "A"], names={"roa": "Return on assets"}, min_size=3
    )
    expected = pd.DataFrame(
        {
            "entity": ["D"] * 4 + ["A"] * 4,
            "period": [2022, 2023] * 4,
            "feature": ["roa", "roa", "debt", "debt"] * 2,
            "name": ["Return on assets"] * 2
            + ["debt"] * 2
            + ["Return on assets"] * 2
            + ["debt"] * 2,
            "value": [0.90, 0.80, 0.95, 0.92, 0.10, 0.05, 0.40, 0.50],
            # D (energy, 1 firm): the period's median over all firms (2023 roa: NaN skipped)
            # A (retail, 3 firms): the retail median of the period
            "peer_median": [0.30, 0.275, 0.65, 0.70, 0.20, 0.15, 0.55, 0.60],
        }
    )
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


def test_history_of_a_firm_without_industry_uses_all_firms():
    X, ids = history_data()
    table = history_table(X, ids, ["roa"], ["E"], min_size=3)
    assert table["value"].tolist()[0] == 0.50
    assert np.isnan(table["value"].tolist()[1])
    assert table["peer_median"].tolist() == pytest.approx([0.30, 0.275])


def test_history_without_an_industry_column_uses_the_period_median():
    X, ids = history_data()
    table = history_table(X, ids.drop(columns="industry"), ["roa"], ["A"], min_size=1)
    assert table["peer_median"].tolist() == pytest.approx([0.30, 0.275])


def test_history_with_a_large_enough_minimum_uses_no_industry():
    X, ids = history_data()
    table = history_table(X, ids, ["roa"], ["A"], min_size=4)
    assert table["peer_median"].tolist() == pytest.approx([0.30, 0.275])


def test_history_without_a_period_column_is_empty():
    X, ids = history_data()
    table = history_table(X, ids.drop(columns="period"), ["roa"], ["A", "Z"])
    assert table.empty
    assert list(table.columns) == ["entity", "period", "feature", "name", "value", "peer_median"]


def test_history_names_an_unknown_feature_and_suggests_the_close_one():
    X, ids = history_data()
    with pytest.raises(
        DataValidationError,
        match=re.escape(
            "history_table: 1 feature(s) not in the data: 'debts'. Did you mean 'debt'?"
        ),
    ):
        history_table(X, ids, ["roa", "debts"], ["A"])


def test_history_names_an_unknown_firm():
    X, ids = history_data()
    with pytest.raises(
        DataValidationError,
        match=re.escape("history_table: 2 firm(s) not in the data: 'Z', 'Y'."),
    ):
        history_table(X, ids, ["roa"], ["A", "Z", "Y"])


def test_history_needs_matching_rows_and_an_entity_column():
    X, ids = history_data()
    with pytest.raises(
        ValueError, match=re.escape("X_all and ids_all must have the same rows: 9 and 10.")
    ):
        history_table(X.iloc[:9], ids, ["roa"], ["A"])
    with pytest.raises(
        DataValidationError,
        match=re.escape(
            "history_table needs the column(s) entity in ids; found 'period', 'industry'."
        ),
    ):
        history_table(X, ids.drop(columns="entity"), ["roa"], ["A"])


# --------------------------------------------------------------------------- migrations


def test_migrations_compare_the_latest_level_with_the_one_before():
    ids = pd.DataFrame(
        {
            "entity": ["C", "A", "B", "A", "D", "C", "A", "B"],
            "period": [2023, 2023, 2023, 2021, 2023, 2022, 2022, 2020],
        }
    )
    levels = ["light", "heavy", "none", "none", "heavy", "light", "light", "moderate"]
    expected = pd.DataFrame(
        {
            "entity": ["A", "B", "C"],
            # A: its last two periods; B: the previous period need not be the year before
            "previous_period": [2022, 2020, 2022],
            "previous_level": ["light", "moderate", "light"],
            "period": [2023, 2023, 2023],
            "level": ["heavy", "none", "light"],
            "change": ["downgrade", "upgrade", "unchanged"],
        }
    )
    # D has a single period and is left out
    pd.testing.assert_frame_equal(migrations(ids, levels, LEVELS), expected, check_dtype=False)


def test_migrations_without_a_period_column_are_empty():
    table = migrations(pd.DataFrame({"entity": ["A", "A"]}), ["none", "heavy"], LEVELS)
    assert table.empty
    assert list(table.columns) == [
        "entity",
        "previous_period",
        "previous_level",
        "period",
        "level",
        "change",
    ]


def test_migrations_refuse_two_rows_for_one_firm_and_period():
    ids = pd.DataFrame({"entity": ["A", "A", "B", "B"], "period": [2023, 2023, 2022, 2023]})
    with pytest.raises(
        DataValidationError,
        match=re.escape(
            "migrations: 1 firm-period(s) have more than one row: 'A 2023'. "
            "Keep one row per firm and period."
        ),
    ):
        migrations(ids, ["none"] * 4, LEVELS)


def test_migrations_name_an_unknown_level_and_suggest_the_close_one():
    ids = pd.DataFrame({"entity": ["A", "A"], "period": [2022, 2023]})
    with pytest.raises(
        ValueError,
        match=re.escape(
            "migrations: level(s) 'hevy' not in level_order (none, light, moderate, heavy). "
            "Did you mean 'heavy'?"
        ),
    ):
        migrations(ids, ["none", "hevy"], LEVELS)


def test_migrations_need_one_level_per_row_and_an_entity_column():
    ids = pd.DataFrame({"entity": ["A", "A", "B"], "period": [2022, 2023, 2023]})
    with pytest.raises(
        ValueError, match=re.escape("levels_all must hold one label per row: 3 rows, got (2,).")
    ):
        migrations(ids, ["none", "light"], LEVELS)
    with pytest.raises(
        DataValidationError,
        match=re.escape("migrations needs the column(s) entity in ids; found 'period'."),
    ):
        migrations(ids[["period"]], ["none"] * 3, LEVELS)
