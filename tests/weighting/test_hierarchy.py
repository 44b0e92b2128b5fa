"""Indicator hierarchies: built-ins, views, restriction, loading and every error message."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from finwarn.exceptions import ConfigError
from finwarn.indicators import DIMENSIONS, load_catalog, load_ratio_set
from finwarn.weighting import (
    HIERARCHIES,
    Hierarchy,
    default_hierarchy,
    load_hierarchy,
)

SMALL = {
    "name": "small",
    "description": "Two dimensions.",
    "dimensions": {
        "solvency": {
            "meaning": "Paying debts.",
            "elements": {
                "liquidity": {
                    "meaning": "Short term.",
                    "indicators": {"current_ratio": "safer", "quick_ratio": "safer"},
                },
                "leverage": {"indicators": {"debt_ratio": "riskier"}},
            },
        },
        "profitability": {"elements": {"returns": {"indicators": {"roa": "safer"}}}},
    },
}

VALID_YAML = """\
name: mine
dimensions:
  solvency:
    elements:
      liquidity:
        indicators:
          current_ratio: safer
      leverage:
        indicators:
          debt_ratio: riskier
"""


def write(tmp_path: Path, text: str, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- views


def test_views_of_a_small_hierarchy():
    h = Hierarchy.from_dict(SMALL)
    assert h.name == "small"
    assert h.dimensions == ("solvency", "profitability")
    assert h.elements == {
        "liquidity": "solvency",
        "leverage": "solvency",
        "returns": "profitability",
    }
    assert h.indicators == {
        "current_ratio": "liquidity",
        "quick_ratio": "liquidity",
        "debt_ratio": "leverage",
        "roa": "returns",
    }
    assert h.directions == {
        "current_ratio": "safer",
        "quick_ratio": "safer",
        "debt_ratio": "riskier",
        "roa": "safer",
    }
    assert h.element_features["returns"] == "profitability__returns"
    assert len(h) == 4
    assert repr(h) == "Hierarchy('small': 2 dimensions, 3 elements, 4 indicators)"


def test_table_has_one_row_per_indicator():
    table = Hierarchy.from_dict(SMALL).table()
    assert list(table.columns) == [
        "dimension",
        "element",
        "indicator",
        "direction",
        "element_meaning",
    ]
    assert table.values.tolist()[0] == [
        "solvency",
        "liquidity",
        "current_ratio",
        "safer",
        "Short term.",
    ]
    assert table["indicator"].tolist() == ["current_ratio", "quick_ratio", "debt_ratio", "roa"]


def test_to_dict_round_trips():
    h = Hierarchy.from_dict(SMALL)
    assert Hierarchy.from_dict(h.to_dict()) == h


def test_hierarchy_is_frozen():
    h = Hierarchy.from_dict(SMALL)
    with pytest.raises(Exception, match="frozen"):
        h.name = "other"


# --------------------------------------------------------------------------- restrict


def test_restrict_drops_absent_indicators_and_empty_elements_and_dimensions(caplog):
    h = Hierarchy.from_dict(SMALL)
    with caplog.at_level(logging.INFO, logger="finwarn.weighting"):
        restricted = h.restrict(["quick_ratio", "debt_ratio", "Roa", "entity"])
    assert restricted.indicators == {"quick_ratio": "liquidity", "debt_ratio": "leverage"}
    assert restricted.dimensions == ("solvency",)
    assert restricted.name == "small"
    assert caplog.messages == [
        "hierarchy 'small': 2 of 4 indicators are not in the data and are left out "
        "('current_ratio', 'roa'); elements left empty and dropped: "
        "'profitability__returns'. Did you mean 'Roa'?"
    ]
    assert h.restrict(["current_ratio", "quick_ratio", "debt_ratio", "roa", "x"]) is h


def test_restrict_to_nothing_is_an_error():
    with pytest.raises(
        ValueError,
        match=r"^none of the 4 indicators of hierarchy 'small' is a column of the data: "
        r"missing 'current_ratio', 'quick_ratio', 'debt_ratio', 'roa'\. Rename the columns "
        r"to the hierarchy's indicator ids, or choose another hierarchy \(see "
        r"finwarn\.weighting\.default_hierarchy\)\.$",
    ):
        Hierarchy.from_dict(SMALL).restrict(["a", "b"])


# --------------------------------------------------------------------------- built-ins


def test_builtin_names():
    assert HIERARCHIES == ("catalog", "polish", "taiwan")
    for name in HIERARCHIES:
        h = load_hierarchy(name)
        assert h.name == name
        assert h.source == f"built-in hierarchy {name}"


def test_catalog_hierarchy_covers_the_catalog_with_its_dimensions_and_directions():
    h = load_hierarchy("catalog")
    catalog = load_catalog()
    assert h.dimensions == DIMENSIONS
    assert set(h.indicators) == set(catalog.ids)
    assert h.directions == {i: catalog.directions[i] for i in h.indicators}
    assert {i: h.elements[e] for i, e in h.indicators.items()} == {
        i: catalog.dimensions[i] for i in h.indicators
    }
    per_dimension = {d: [e for e, dim in h.elements.items() if dim == d] for d in h.dimensions}
    assert all(2 <= len(elements) <= 4 for elements in per_dimension.values()), per_dimension
    assert per_dimension["solvency"] == ["liquidity", "leverage", "equity_cushion", "debt_service"]


@pytest.mark.parametrize(
    ("name", "left_out", "argued"),
    [
        ("polish", {"Attr29", "Attr33", "Attr34", "Attr55"}, set()),
        ("taiwan", {"F13", "F22"}, {"F10", "F16"}),
    ],
)
def test_data_set_hierarchies_follow_their_ratio_set(name, left_out, argued):
    h = load_hierarchy(name)
    ratios = load_ratio_set(name)
    assert set(ratios.ids) - set(h.indicators) == left_out
    assert set(h.indicators) <= set(ratios.ids)
    for indicator, element in h.indicators.items():
        assert h.elements[element] == ratios.dimensions[indicator], indicator
        if indicator in argued:
            assert ratios.directions[indicator] == "unknown"
        else:
            assert h.directions[indicator] == ratios.directions[indicator], indicator


def test_default_hierarchy_picks_the_builtin_covering_the_columns():
    assert default_hierarchy([f"Attr{i}" for i in range(1, 65)]).name == "polish"
    assert default_hierarchy(["F05", "F96", "label"]).name == "taiwan"
    assert default_hierarchy(load_catalog().ids).name == "catalog"
    with pytest.raises(
        ConfigError,
        match=r"^no built-in hierarchy \(catalog, polish, taiwan\) has any of the columns "
        r"'a', 'b'\. Write a hierarchy YAML file for your columns",
    ):
        default_hierarchy(["b", "a"])


# --------------------------------------------------------------------------- loading


def test_load_user_file(tmp_path):
    h = load_hierarchy(write(tmp_path, VALID_YAML))
    assert h.name == "mine"
    assert h.indicators == {"current_ratio": "liquidity", "debt_ratio": "leverage"}
    unnamed = load_hierarchy(write(tmp_path, VALID_YAML.replace("name: mine\n", ""), "x.yaml"))
    assert unnamed.name == "x"


def test_unknown_name_or_missing_file():
    with pytest.raises(
        ConfigError,
        match=r"^polsh: no built-in hierarchy has this name and no such file exists\. Did you "
        r"mean 'polish'\? Built-in hierarchies: catalog, polish, taiwan; or give the path",
    ):
        load_hierarchy("polsh")


def test_file_that_is_not_yaml(tmp_path):
    path = write(tmp_path, "dimensions: [unclosed\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: not valid YAML"):
        load_hierarchy(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            VALID_YAML.replace("current_ratio: safer", "current_ratio: safe"),
            "indicator 'current_ratio' of element 'solvency.liquidity' has unknown direction "
            "'safe'. Did you mean 'safer'? Use 'riskier' (a higher value is riskier) or "
            "'safer' (a higher value is safer).",
        ),
        (
            VALID_YAML.replace("debt_ratio: riskier", "debt_ratio: up"),
            "indicator 'debt_ratio' of element 'solvency.leverage' has unknown direction "
            "'up'. Use 'riskier' (a higher value is riskier) or 'safer' (a higher value is "
            "safer).",
        ),
        (
            VALID_YAML.replace("debt_ratio: riskier", "current_ratio: riskier"),
            "indicator 'current_ratio' is listed twice, under solvency.liquidity and under "
            "solvency.leverage. Each indicator belongs to one element; remove one of the "
            "entries.",
        ),
        (
            VALID_YAML.replace("        indicators:\n          debt_ratio: riskier\n", "").replace(
                "      leverage:\n", "      leverage: {}\n"
            ),
            "element 'solvency.leverage' is empty. List its indicators under 'indicators:' "
            "as 'column: riskier' or 'column: safer', or remove the element.",
        ),
        (
            VALID_YAML.replace("          debt_ratio: riskier\n", ""),
            "element 'solvency.leverage' is empty.",
        ),
        (
            VALID_YAML.replace("dimensions:", "dimension:"),
            "unknown key 'dimension' in the top level. Did you mean 'dimensions'? Allowed "
            "keys: name, description, dimensions.",
        ),
        (
            VALID_YAML.replace("    elements:", "    element:"),
            "unknown key 'element' in dimension 'solvency'. Did you mean 'elements'? Allowed "
            "keys: meaning, elements.",
        ),
        (
            VALID_YAML.replace(
                "      leverage:\n        indicators:", "      leverage:\n        indicator:"
            ),
            "unknown key 'indicator' in element 'solvency.leverage'. Did you mean "
            "'indicators'? Allowed keys: meaning, indicators.",
        ),
        (
            VALID_YAML + "  profitability:\n    elements:\n      leverage:\n"
            "        indicators:\n          roa: safer\n",
            "element 'leverage' appears under dimension 'solvency' and under dimension "
            "'profitability'. Element names are unique; rename one of them.",
        ),
        (
            VALID_YAML.replace("      leverage:", "      Debt service:"),
            "element name 'Debt service' cannot be used: names become output columns, so "
            "they hold letters, digits and single underscores and start with a letter; e.g. "
            "'debt_service'.",
        ),
        (
            VALID_YAML.replace("      leverage:", "      debt__service:"),
            "element name 'debt__service' cannot be used",
        ),
        (
            VALID_YAML.replace("  solvency:", "  composite:"),
            "'composite' is the name of the composite index; call the dimension something else.",
        ),
        (
            VALID_YAML.replace("    elements:\n", "    meaning: x\n    elements: {}\n", 1).split(
                "      liquidity"
            )[0],
            "dimension 'solvency' has no first-level elements. List them under 'elements:', "
            "or remove the dimension.",
        ),
        (
            "name: empty\n",
            "expected the risk dimensions under the key 'dimensions:'",
        ),
        (
            "- a\n- b\n",
            "expected a mapping with the key 'dimensions:', found list.",
        ),
    ],
)
def test_invalid_files_are_named_with_the_bad_entry(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=f"^{re.escape(f'{path}: {message}')}"):
        load_hierarchy(path)


def test_direct_construction_checks_the_structure_too():
    h = Hierarchy.from_dict(SMALL)
    doubled = h.tree + h.tree[:1]
    with pytest.raises(ValueError, match="dimension 'solvency' appears twice"):
        Hierarchy(name="x", tree=doubled)
