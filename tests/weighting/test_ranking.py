"""Risk ranking (paper 004): level first, then the number of dimensions above the median."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from finwarn.weighting import rank_risk

NAN = np.nan

# Six firms, three dimensions. Level medians (strictly above counts):
#   level 2 (a, b, c): solvency median 0.8, profitability 0.3, cash_flow 0.8
#     a: 0.9 > 0.8, 0.7 > 0.3, 0.8 = 0.8 -> 2;  b: 0 ;  c: 0.9 > 0.8 on cash_flow -> 1
#   level 1 (d, e, f): solvency median 0.5, profitability 0.5, cash_flow 0.5
#     d: 0.9, 0.9, 0.1 -> 2;  e: 0.1, 0.1, 0.9 -> 1;  f: all at the median -> 0
SCORES = pd.DataFrame(
    {
        "solvency": [0.9, 0.2, 0.8, 0.9, 0.1, 0.5],
        "profitability": [0.7, 0.3, 0.1, 0.9, 0.1, 0.5],
        "cash_flow": [0.8, 0.1, 0.9, 0.1, 0.9, 0.5],
    }
)
LEVELS = [2, 2, 2, 1, 1, 1]
IDS = ["a", "b", "c", "d", "e", "f"]


def test_hand_example():
    ranking = rank_risk(LEVELS, SCORES, ids=IDS)
    table = ranking.table()
    assert table["entity"].tolist() == ["a", "c", "b", "d", "e", "f"]
    assert table["dimensions_above_median"].tolist() == [2, 1, 0, 2, 1, 0]
    assert table["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert list(table.columns) == [
        "entity",
        "level",
        "solvency",
        "profitability",
        "cash_flow",
        "dimensions_above_median",
        "rank",
    ]
    assert ranking.ranks.tolist() == [1, 3, 2, 4, 5, 6]
    assert ranking.dimensions == ("solvency", "profitability", "cash_flow")
    assert ranking.tie_break == ("solvency", "profitability", "cash_flow")
    assert ranking.level_order == (1, 2)


def test_a_higher_level_always_ranks_first():
    scores = pd.DataFrame({"solvency": [0.0, 1.0], "profitability": [0.0, 1.0]})
    assert rank_risk([3, 1], scores).ranks.tolist() == [1, 2]


def test_ties_in_the_count_are_broken_by_the_composite_then_input_order():
    scores = SCORES.assign(composite=[0.1, 0.2, 0.3, 0.4, 0.5, 0.5])
    ranking = rank_risk([1] * 6, scores, ids=IDS)
    # medians over the six: 0.65, 0.4, 0.65 -> a 3, b 0, c 2, d 2, e 1, f 1; d and c tie on
    # the count and d has the larger composite; e and f tie on both and keep input order
    assert ranking.tie_break == ("composite",)
    assert "composite" not in ranking.dimensions
    assert ranking.frame["dimensions_above_median"].tolist() == [3, 0, 2, 2, 1, 1]
    assert ranking.table()["entity"].tolist() == ["a", "d", "c", "e", "f", "b"]


def test_tie_break_and_dimensions_can_be_chosen():
    ranking = rank_risk(
        [1] * 6, SCORES, ids=IDS, dimensions=["cash_flow"], tie_break=["profitability"]
    )
    # cash_flow median 0.65: a, c, e above; then by profitability (c and e tie at 0.1)
    assert ranking.table()["entity"].tolist() == ["a", "c", "e", "d", "f", "b"]


def test_missing_scores_are_never_above_the_median_and_sort_last():
    scores = pd.DataFrame({"solvency": [NAN, 0.5, 0.9], "profitability": [NAN, 0.1, 0.2]})
    ranking = rank_risk([1, 1, 1], scores)
    assert ranking.frame["dimensions_above_median"].tolist() == [0, 0, 2]
    assert ranking.ranks.tolist() == [3, 2, 1]


def test_text_levels_use_finwarns_warning_levels_or_the_given_order():
    scores = SCORES.iloc[:3]
    assert rank_risk(["light", "heavy", "none"], scores).ranks.tolist() == [2, 1, 3]
    custom = rank_risk(["low", "high", "mid"], scores, level_order=["low", "mid", "high"])
    assert custom.ranks.tolist() == [3, 1, 2]
    ordered = pd.Categorical(["b", "a", "b"], categories=["b", "a"], ordered=True)
    assert rank_risk(ordered, scores).ranks.tolist() == [2, 1, 3]


def test_series_levels_are_matched_by_position():
    levels = pd.Series([1, 2, 1], index=[10, 11, 12])
    scores = SCORES.iloc[:3].set_index(pd.Index([5, 6, 7]))
    assert rank_risk(levels, scores).ranks.tolist() == [2, 1, 3]


# --------------------------------------------------------------------------- errors


def test_text_levels_without_an_order():
    with pytest.raises(
        ValueError,
        match=r"levels are text \('low', 'high'\) that are not finwarn's default warning "
        r"levels \['none', 'light', 'moderate', 'heavy'\]; pass level_order=\[\.\.\.\] from the "
        r"safest to the riskiest level\.",
    ):
        rank_risk(["low", "high"], SCORES.iloc[:2])


def test_level_missing_from_the_order():
    with pytest.raises(
        ValueError,
        match=r"level\(s\) 'moderat' are not in level_order \['none', 'moderate'\]\. Did you "
        r"mean 'moderate'\? Add them to level_order \(from the safest to the riskiest\)\.",
    ):
        rank_risk(["none", "moderat"], SCORES.iloc[:2], level_order=["none", "moderate"])


def test_lengths_must_agree():
    with pytest.raises(
        ValueError,
        match=r"levels has 2 values but scores has 6 rows; give one level per firm, in the "
        r"same order\.",
    ):
        rank_risk([1, 2], SCORES)
    with pytest.raises(ValueError, match=r"ids has 1 values but scores has 6 rows"):
        rank_risk(LEVELS, SCORES, ids=["a"])


def test_missing_level():
    with pytest.raises(
        ValueError,
        match=r"levels is missing for 1 firm\(s\), at position\(s\) 1\. Every firm needs a "
        r"warning level\.",
    ):
        rank_risk([1, NAN, 2, 1, 1, 1], SCORES)


def test_unknown_column():
    with pytest.raises(
        ValueError,
        match=r"tie_break names 'compsite', which is not a column of scores\.",
    ):
        rank_risk(LEVELS, SCORES, tie_break=["compsite"])
    with pytest.raises(ValueError, match=r"dimensions names 'Solvency'.* Did you mean 'solvency'"):
        rank_risk(LEVELS, SCORES, dimensions=["Solvency"])


def test_scores_must_be_a_dataframe():
    with pytest.raises(ValueError, match=r"scores must be a pandas DataFrame"):
        rank_risk(LEVELS, SCORES.to_numpy())  # type: ignore[arg-type]
