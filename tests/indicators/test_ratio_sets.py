"""Ratio sets: the meaning and dimension of the public data sets' ratio columns."""

from __future__ import annotations

import gzip
import json
import re

import pandas as pd
import pytest

from finwarn.exceptions import ConfigError
from finwarn.indicators import (
    DIMENSIONS,
    RATIO_DIMENSIONS,
    RATIO_SETS,
    assign_dimensions,
    describe_columns,
    load_catalog,
    load_ratio_set,
)

TAIWAN = [
    "F05",
    "F06",
    "F08",
    "F09",
    "F10",
    "F11",
    "F12",
    "F13",
    "F14",
    "F15",
    "F16",
    "F17",
    "F18",
    "F19",
    "F20",
    "F21",
    "F22",
    "F23",
    "F24",
    "F90",
    "F95",
    "F96",
]


def test_builtin_sets():
    assert RATIO_SETS == ("polish", "taiwan")
    assert RATIO_DIMENSIONS == (*DIMENSIONS, "other")


def test_polish_covers_attr1_to_attr64():
    polish = load_ratio_set("polish")
    assert polish.ids == tuple(f"Attr{i}" for i in range(1, 65))
    assert polish.name == "polish"
    assert "UCI id 365" in polish.description


def test_taiwan_covers_its_22_columns():
    assert list(load_ratio_set("taiwan").ids) == TAIWAN


@pytest.mark.parametrize(
    ("name", "column", "meaning", "dimension", "direction"),
    [
        ("polish", "Attr1", "net profit / total assets", "profitability", "safer"),
        ("polish", "Attr2", "total liabilities / total assets", "solvency", "riskier"),
        ("polish", "Attr9", "sales / total assets", "operating_capability", "safer"),
        ("polish", "Attr21", "sales (n) / sales (n-1)", "growth", "safer"),
        (
            "polish",
            "Attr26",
            "(net profit + depreciation) / total liabilities",
            "cash_flow",
            "safer",
        ),
        ("polish", "Attr29", "logarithm of total assets", "other", "safer"),
        ("polish", "Attr44", "(receivables * 365) / sales", "operating_capability", "riskier"),
        ("taiwan", "F05", "Operating Gross Margin", "profitability", "safer"),
        ("taiwan", "F14", "Cash flow rate", "cash_flow", "safer"),
        ("taiwan", "F96", "Equity to Liability", "solvency", "safer"),
        ("taiwan", "F13", "Research and development expense rate", "other", "unknown"),
    ],
)
def test_published_meanings(name, column, meaning, dimension, direction):
    ratio = load_ratio_set(name).get(column)
    assert (ratio.name, ratio.dimension, ratio.direction) == (meaning, dimension, direction)


@pytest.mark.parametrize("name", RATIO_SETS)
def test_every_definition_is_valid_and_every_dimension_is_used(name):
    ratio_set = load_ratio_set(name)
    table = ratio_set.table()
    assert list(table.columns) == ["id", "name", "dimension", "direction"]
    assert len(table) == len(ratio_set)
    assert set(table["dimension"]) <= set(RATIO_DIMENSIONS)
    assert set(table["direction"]) <= {"safer", "riskier", "unknown"}
    assert ratio_set.dimensions == dict(zip(table["id"], table["dimension"], strict=True))
    assert ratio_set.directions["F96" if name == "taiwan" else "Attr2"] in {"safer", "riskier"}
    if name == "polish":
        assert set(DIMENSIONS) <= set(table["dimension"])


def test_get_unknown_column():
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "ratio set 'polish' has no column 'Attr65'. Did you mean 'Attr6'? Its columns: "
        ),
    ):
        load_ratio_set("polish").get("Attr65")


def test_unknown_ratio_set():
    with pytest.raises(
        ConfigError,
        match="^"
        + re.escape(
            "unknown ratio set 'polsh'. Did you mean 'polish'? Built-in ratio sets: polish, "
            "taiwan; or give the path of a ratio-set YAML file."
        ),
    ):
        load_ratio_set("polsh")


def test_user_ratio_set_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: mine\nratios:\n  - {id: lev, name: leverage, dimension: solvency, "
        "direction: riskier}\n"
    )
    mine = load_ratio_set(path)
    assert (mine.name, mine.dimensions) == ("mine", {"lev": "solvency"})
    assert "lev" in mine and repr(mine) == "RatioSet('mine', 1 ratios)"


@pytest.mark.parametrize(
    ("body", "rest"),
    [
        (
            "ratios:\n  - {id: x, name: X, dimension: liquidity, direction: safer}\n",
            "ratio 'x' has unknown dimension 'liquidity'. Use one of: solvency, profitability, "
            "operating_capability, growth, cash_flow, other.",
        ),
        (
            "ratios:\n  - {id: x, name: X, dimension: growht, direction: safer}\n",
            "ratio 'x' has unknown dimension 'growht'. Did you mean 'growth'?",
        ),
        (
            "ratios:\n  - {id: x, name: X, dimension: growth, direction: up}\n",
            "ratio 'x' has unknown direction 'up'. Use 'safer', 'riskier' or 'unknown'.",
        ),
        (
            "ratios:\n  - {id: x, name: X, dimension: growth}\n",
            "ratio 'x' is missing the field(s) direction.",
        ),
        (
            "ratios:\n  - {id: x, nme: X, dimension: growth, direction: safer}\n",
            "ratio 'x' has unknown field 'nme'. Did you mean 'name'? Allowed fields: id, name, "
            "dimension, direction.",
        ),
        (
            "ratios:\n  - {id: x, name: X, dimension: growth, direction: safer}\n"
            "  - {id: x, name: X, dimension: growth, direction: safer}\n",
            "column 'x' is defined more than once. Remove the repeated entry.",
        ),
        (
            "ratios:\n  - {name: X}\n",
            "ratio number 1 needs at least an 'id' (the column name); found {'name': 'X'}.",
        ),
        (
            "name: x\n",
            "a ratio-set file holds 'name:', 'description:' and 'ratios:', a list of entries "
            "with id, name, dimension and direction.",
        ),
        ("ratios: [\n", "not valid YAML ("),
    ],
)
def test_ratio_set_file_errors(tmp_path, body, rest):
    path = tmp_path / "mine.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError, match="^" + re.escape(f"{path}: {rest}")):
        load_ratio_set(path)


def test_missing_ratio_set_file(tmp_path):
    path = tmp_path / "none.yaml"
    with pytest.raises(ConfigError, match="^" + re.escape(f"{path}: ratio-set file not found.")):
        load_ratio_set(path)


def test_assign_dimensions():
    columns = ["current_ratio", "revenue_growth", "Attr21", "Attr_3", "attr2", "F14", "employees"]
    assert assign_dimensions(columns) == {
        "current_ratio": "solvency",
        "revenue_growth": "growth",
        "Attr21": "growth",
        "Attr_3": "solvency",
        "attr2": "solvency",
        "F14": "cash_flow",
        "employees": "other",
    }


def test_assign_dimensions_with_a_user_catalog(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "indicators:\n  - {id: net_debt, name: N, formula: 'long_term_debt - cash', "
        "dimension: solvency, direction: riskier, meaning: m}\n"
    )
    catalog = load_catalog(extend=path)
    assert assign_dimensions(["net_debt"]) == {"net_debt": "other"}
    assert assign_dimensions(["net_debt"], catalog=catalog) == {"net_debt": "solvency"}


def test_describe_columns():
    table = describe_columns(["roa", "Attr_1", "F96", "size"])
    assert list(table.columns) == ["column", "source", "name", "dimension", "direction"]
    assert table.values.tolist() == [
        ["roa", "catalog", "Return on assets", "profitability", "safer"],
        ["Attr_1", "polish", "net profit / total assets", "profitability", "safer"],
        ["F96", "taiwan", "Equity to Liability", "solvency", "safer"],
        ["size", None, None, "other", "unknown"],
    ]


@pytest.mark.shared_data
def test_ratio_sets_match_the_shared_data_files(shared_data):
    taiwan = pd.read_parquet(shared_data / "taiwan" / "taiwan_vif22.parquet")
    assert [c for c in taiwan.columns if c != "bankrupt"] == TAIWAN
    for name in ("1year.arff", "5year.arff"):
        with open(shared_data / "polish" / name, encoding="utf-8") as handle:
            header = [line for line in handle if line.lower().startswith("@attribute")]
        attrs = [line.split()[1] for line in header if line.split()[1] != "class"]
        assert tuple(attrs) == load_ratio_set("polish").ids
    with gzip.open(shared_data / "polish" / "3year_2009_dedup.json.gz", "rt") as handle:
        record = json.load(handle)["data"][0]
    features = [key for key in record if key.startswith("Attr_")]
    assert len(features) == 64
    assert set(assign_dimensions(features).values()) <= set(RATIO_DIMENSIONS)
    assert describe_columns(features)["source"].eq("polish").all()
