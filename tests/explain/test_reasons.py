"""Tests of the plain-language reasons: value formatting, wording, reason codes, dimensions."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from finwarn.exceptions import DataValidationError
from finwarn.explain import (
    ALL_FIRMS,
    REASON_COLUMNS,
    Attribution,
    dimension_contributions,
    format_value,
    reason_codes,
    reason_text,
)

NAN = np.nan
MINUS = "\N{MINUS SIGN}"


# --------------------------------------------------------------------------- format_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.912, "0.91"),
        (-0.1234, f"{MINUS}0.12"),
        (2.5, "2.50"),
        (3, "3.00"),
        (np.float32(0.5), "0.50"),
        (0.01, "0.01"),
        (999.0, "999.00"),
        (1000, "1,000"),
        (999.996, "1,000"),  # rounds up into an amount
        (999.994, "999.99"),
        (1234567.8, "1,234,568"),
        (-25000.0, f"{MINUS}25,000"),
        # small values keep two significant digits
        (0.0042, "0.0042"),
        (0.004, "0.0040"),
        (-0.0042, f"{MINUS}0.0042"),
        (0.00012, "0.00012"),
        # at most six decimals; a value that prints as zero carries no minus sign
        (1e-9, "0.000000"),
        (-1e-9, "0.000000"),
        (0.0, "0.00"),
        (-0.0, "0.00"),
        (float("inf"), "infinite"),
        (float("-inf"), f"{MINUS}infinite"),
        (NAN, "missing"),
        (None, "missing"),
        (pd.NA, "missing"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


# --------------------------------------------------------------------------- reason_text


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        (
            {"percentile": 95.3, "peer_group": "retail", "direction": "riskier"},
            "Debt ratio 0.91 is higher than 95% of firms in retail (riskier when higher): "
            "raises the risk",
        ),
        (
            {"percentile": 50.0, "direction": "safer"},
            "Debt ratio 0.91 is higher than 50% of all firms (safer when higher): raises the risk",
        ),
        (
            {"percentile": 49.5},
            "Debt ratio 0.91 is lower than 50% of all firms: raises the risk",
        ),
        (
            {"percentile": 0.0, "peer_group": ALL_FIRMS, "direction": "unknown"},
            "Debt ratio 0.91 is the lowest of all firms: raises the risk",
        ),
        (
            {"percentile": 100.0, "direction": "sideways"},
            "Debt ratio 0.91 is the highest of all firms: raises the risk",
        ),
        # without a percentile there is no comparison (and no direction bracket)
        ({"percentile": NAN, "direction": "riskier"}, "Debt ratio 0.91: raises the risk"),
        ({}, "Debt ratio 0.91: raises the risk"),
    ],
)
def test_reason_text_compares_with_the_peers(kwargs, text):
    assert reason_text("Debt ratio", 0.91, "raises", **kwargs) == text


@pytest.mark.parametrize(
    ("effect", "tail"),
    [("raises", "raises the risk"), ("lowers", "lowers the risk"), ("neutral", "no effect")],
)
def test_reason_text_says_the_effect(effect, tail):
    text = reason_text("return on assets", -0.12, effect, percentile=9.5)
    assert text == f"Return on assets {MINUS}0.12 is lower than 90% of all firms: {tail}" + (
        " on the risk" if effect == "neutral" else ""
    )


@pytest.mark.parametrize("value", [None, NAN, pd.NA])
def test_a_missing_value_is_said_to_be_missing(value):
    text = reason_text("net profit / total assets", value, "raises", percentile=80.0)
    assert text == "Net profit / total assets is missing: raises the risk"


def test_an_unknown_effect_is_refused():
    with pytest.raises(
        ValueError, match=re.escape("effect must be one of raises, lowers, neutral, got 'up'.")
    ):
        reason_text("Debt ratio", 0.5, "up")


# --------------------------------------------------------------------------- reason_codes

# Three firms, four features. Contributions:
#   A: b (-2) > c (1) > a (0.5); d is 0
#   B: a, b, d all |1|: column order decides
#   C: only c contributes; a and b fill up as neutral reasons
CONTRIBUTIONS = pd.DataFrame(
    {
        "a": [0.5, 1.0, 0.0],
        "b": [-2.0, -1.0, 0.0],
        "c": [1.0, 0.0, 0.3],
        "d": [0.0, 1.0, 0.0],
    }
)
X = pd.DataFrame(
    {
        "a": [1.0, 2.0, 3.0],
        "b": [0.1, 0.2, NAN],
        "c": [10.0, 20.0, 30.0],
        "d": [5.0, 5.0, 5.0],
    }
)
IDS = pd.DataFrame({"entity": ["A", "B", "C"], "period": [2024, 2024, 2024]})
NAMES = {"a": "alpha", "b": "beta ratio"}
DIRECTIONS = {"a": "riskier", "b": "safer"}
DIMENSIONS = {"a": "solvency", "b": "profitability", "c": "solvency"}


def attribution(values: pd.DataFrame = CONTRIBUTIONS) -> Attribution:
    log_odds = values.sum(axis=1) - 2.0
    return Attribution(values=values, base_value=-2.0, method="linear", log_odds=log_odds)


def reasons(**kwargs):
    defaults = {
        "names": NAMES,
        "directions": DIRECTIONS,
        "dimensions": DIMENSIONS,
        "peer_group_names": ["retail", ALL_FIRMS, "retail"],
    }
    return reason_codes(attribution(), X, IDS, **{**defaults, **kwargs})


def test_reason_codes_table():
    expected = pd.DataFrame(
        {
            "entity": ["A"] * 3 + ["B"] * 3 + ["C"] * 3,
            "period": [2024] * 9,
            "order": [1, 2, 3] * 3,
            "feature": ["b", "c", "a", "a", "b", "d", "c", "a", "b"],
            "name": [
                *("beta ratio", "c", "alpha"),
                *("alpha", "beta ratio", "d"),
                *("c", "alpha", "beta ratio"),
            ],
            "dimension": [
                *("profitability", "solvency", "solvency"),
                *("solvency", "profitability", "other"),
                *("solvency", "solvency", "profitability"),
            ],
            "value": [0.1, 10.0, 1.0, 2.0, 0.2, 5.0, 30.0, 3.0, NAN],
            # percentiles among the three rows of X (d: three ties at the middle)
            "percentile": [0.0, 0.0, 0.0, 50.0, 100.0, 50.0, 100.0, 100.0, NAN],
            "peer_group": ["retail"] * 3 + [ALL_FIRMS] * 3 + ["retail"] * 3,
            "contribution": [-2.0, 1.0, 0.5, 1.0, -1.0, 1.0, 0.3, 0.0, 0.0],
            "effect": [
                *("lowers", "raises", "raises"),
                *("raises", "lowers", "raises"),
                *("raises", "neutral", "neutral"),
            ],
            "text": [
                "Beta ratio 0.10 is the lowest of firms in retail (safer when higher): "
                "lowers the risk",
                "C 10.00 is the lowest of firms in retail: raises the risk",
                "Alpha 1.00 is the lowest of firms in retail (riskier when higher): "
                "raises the risk",
                "Alpha 2.00 is higher than 50% of all firms (riskier when higher): raises the risk",
                "Beta ratio 0.20 is the highest of all firms (safer when higher): lowers the risk",
                "D 5.00 is higher than 50% of all firms: raises the risk",
                "C 30.00 is the highest of firms in retail: raises the risk",
                "Alpha 3.00 is the highest of firms in retail (riskier when higher): "
                "no effect on the risk",
                "Beta ratio is missing: no effect on the risk",
            ],
        }
    )
    table = reasons().table()
    assert list(table.columns) == REASON_COLUMNS
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


def test_texts_join_each_firms_reasons_by_entity_and_period():
    texts = reasons(n_reasons=2).texts()
    assert texts.index.tolist() == [("A", 2024), ("B", 2024), ("C", 2024)]
    assert texts[("B", 2024)] == (
        "Alpha 2.00 is higher than 50% of all firms (riskier when higher): raises the risk; "
        "Beta ratio 0.20 is the highest of all firms (safer when higher): lowers the risk"
    )


def test_without_a_period_reasons_are_keyed_by_entity():
    result = reason_codes(attribution(), X, IDS[["entity"]], n_reasons=1)
    assert result.table()["period"].isna().all()
    assert result.texts().to_dict() == {
        "A": "B 0.10 is the lowest of all firms: lowers the risk",
        "B": "A 2.00 is higher than 50% of all firms: raises the risk",
        "C": "C 30.00 is the highest of all firms: raises the risk",
    }


def test_given_percentiles_are_used_by_position():
    percentiles = pd.DataFrame(
        {"a": [10.0, 20.0, 30.0], "b": [NAN] * 3, "c": [NAN] * 3, "d": [NAN] * 3},
        index=["x", "y", "z"],
    )
    table = reasons(percentiles=percentiles, n_reasons=1).table()
    assert table["text"].tolist()[1] == (
        "Alpha 2.00 is lower than 80% of all firms (riskier when higher): raises the risk"
    )
    assert table["percentile"].tolist()[1] == 20.0


def test_names_directions_and_dimensions_default_to_the_catalog():
    values = pd.DataFrame({"debt_ratio": [1.5], "roa": [-0.4], "noise": [0.1]})
    features = pd.DataFrame({"debt_ratio": [0.91], "roa": [0.02], "noise": [3.0]})
    result = reason_codes(attribution(values), features, pd.DataFrame({"entity": ["A"]}))
    table = result.table()
    assert table["name"].tolist() == ["Debt ratio", "Return on assets", "noise"]
    assert table["dimension"].tolist() == ["solvency", "profitability", "other"]
    assert table["text"].tolist() == [
        "Debt ratio 0.91 is higher than 50% of all firms (riskier when higher): raises the risk",
        "Return on assets 0.02 is higher than 50% of all firms (safer when higher): "
        "lowers the risk",
        "Noise 3.00 is higher than 50% of all firms: raises the risk",
    ]


@pytest.mark.parametrize("n_reasons", [1, 3, 6, 10])
def test_each_firm_gets_its_strongest_contributions_with_their_sign(n_reasons):
    rng = np.random.default_rng(0)
    columns = [f"f{j}" for j in range(6)]
    values = pd.DataFrame(rng.normal(size=(50, 6)), columns=columns)
    features = pd.DataFrame(rng.normal(size=(50, 6)), columns=columns)
    ids = pd.DataFrame({"entity": [f"F{i:02d}" for i in range(50)], "period": 2024})
    table = reason_codes(attribution(values), features, ids, n_reasons=n_reasons).table()
    k = min(n_reasons, 6)
    assert len(table) == 50 * k
    assert table["entity"].tolist() == np.repeat(ids["entity"], k).tolist()
    assert table["order"].tolist() == list(range(1, k + 1)) * 50
    # the k largest |contribution| of every firm, strongest first
    strongest = -np.sort(-values.abs().to_numpy(), axis=1)[:, :k]
    np.testing.assert_array_equal(table["contribution"].abs().to_numpy(), strongest.ravel())
    # the contribution and value are those of the named feature
    rows = np.repeat(np.arange(50), k)
    picked = [values.columns.get_loc(f) for f in table["feature"]]
    np.testing.assert_array_equal(table["contribution"], values.to_numpy()[rows, picked])
    np.testing.assert_array_equal(table["value"], features.to_numpy()[rows, picked])
    # effect is the sign of the contribution, on every row
    sign = np.sign(table["contribution"]).map({1.0: "raises", -1.0: "lowers"})
    assert table["effect"].tolist() == sign.tolist()


def test_nan_contributions_count_as_zero():
    values = pd.DataFrame({"a": [NAN], "b": [0.2]})
    features = pd.DataFrame({"a": [1.0], "b": [2.0]})
    table = reason_codes(attribution(values), features, pd.DataFrame({"entity": ["A"]})).table()
    assert table["feature"].tolist() == ["b", "a"]
    assert table["contribution"].tolist() == [0.2, 0.0]
    assert table["effect"].tolist() == ["raises", "neutral"]


def test_reason_codes_use_only_the_explained_features_of_X():
    wider = X.assign(extra=[100.0, 200.0, 300.0])
    table = reasons().table()
    pd.testing.assert_frame_equal(
        reason_codes(
            attribution(),
            wider,
            IDS,
            names=NAMES,
            directions=DIRECTIONS,
            dimensions=DIMENSIONS,
            peer_group_names=["retail", ALL_FIRMS, "retail"],
        ).table(),
        table,
    )


def test_reason_codes_refuse_rows_that_disagree():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "attribution, X and ids must describe the same firms, row by row: 3, 2 and 3 rows."
        ),
    ):
        reason_codes(attribution(), X.iloc[:2], IDS)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "attribution, X and ids must describe the same firms, row by row: 3, 3 and 1 rows."
        ),
    ):
        reason_codes(attribution(), X, IDS.iloc[:1])
    with pytest.raises(
        ValueError, match=re.escape("percentiles must have the 3 rows of X, got 2.")
    ):
        reasons(percentiles=X.iloc[:2])
    with pytest.raises(
        ValueError,
        match=re.escape("peer_group_names must hold one name per row of X (3), got (2,)."),
    ):
        reasons(peer_group_names=pd.Series(["retail", "retail"]))


def test_reason_codes_name_missing_columns():
    with pytest.raises(
        DataValidationError,
        match=re.escape("X lacks 1 explained feature(s): 'd'. Pass the X given to explain_model."),
    ):
        reason_codes(attribution(), X.drop(columns="d"), IDS)
    with pytest.raises(
        DataValidationError, match=re.escape("ids needs an 'entity' column; found 'firm'.")
    ):
        reason_codes(attribution(), X, pd.DataFrame({"firm": ["A", "B", "C"]}))


@pytest.mark.parametrize("n_reasons", [0, -1, 2.5, True, "3"])
def test_n_reasons_must_be_a_positive_integer(n_reasons):
    with pytest.raises(
        ValueError,
        match=re.escape(f"n_reasons must be a positive integer, got {n_reasons!r}; e.g. 3."),
    ):
        reasons(n_reasons=n_reasons)


# --------------------------------------------------------------------------- dimensions


def test_dimension_contributions_sum_the_features_of_each_dimension():
    table = dimension_contributions(attribution(), IDS, DIMENSIONS)
    expected = pd.DataFrame(
        {
            "entity": ["A"] * 3 + ["B"] * 3 + ["C"] * 3,
            "period": [2024] * 9,
            "dimension": ["solvency", "profitability", "other"] * 3,
            # solvency = a + c, profitability = b, other = d
            "contribution": [1.5, -2.0, 0.0, 1.0, -1.0, 1.0, 0.3, 0.0, 0.0],
        }
    )
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    # nothing is lost: each firm's dimensions add up to its total contribution
    totals = table.groupby("entity", sort=False)["contribution"].sum()
    np.testing.assert_allclose(totals.to_numpy(), CONTRIBUTIONS.sum(axis=1).to_numpy())


def test_dimension_contributions_without_period_and_with_mismatched_ids():
    table = dimension_contributions(attribution(), IDS[["entity"]], {})
    assert table["dimension"].tolist() == ["other"] * 3
    assert table["contribution"].tolist() == pytest.approx([-0.5, 1.0, 0.3])
    assert table["period"].isna().all()
    with pytest.raises(
        ValueError,
        match=re.escape("ids must have one row per explained firm: 3 firms, 2 rows of ids."),
    ):
        dimension_contributions(attribution(), IDS.iloc[:2], DIMENSIONS)


def test_texts_keep_firms_whose_period_is_missing():
    ids = IDS.assign(period=[2024, np.nan, 2024])
    texts = reason_codes(attribution(), X, ids, n_reasons=1).texts()
    assert len(texts) == 3
    assert texts.index.get_level_values("entity").tolist() == ["A", "B", "C"]
