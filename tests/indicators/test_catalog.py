"""The indicator catalog: built-in definitions, user extensions, every error message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from finwarn.exceptions import ConfigError
from finwarn.indicators import (
    DIMENSIONS,
    DIRECTIONS,
    Indicator,
    IndicatorCatalog,
    catalog_from_records,
    load_catalog,
    parse_formula,
)

ENTRY = (
    "  - {{id: {id}, name: {name}, formula: '{formula}', dimension: {dimension}, "
    "direction: {direction}, meaning: {meaning}{extra}}}\n"
)


def entry(**fields: str) -> str:
    values = {
        "id": "net_debt_to_assets",
        "name": "Net debt / total assets",
        "formula": "(long_term_debt - cash) / total_assets",
        "dimension": "solvency",
        "direction": "riskier",
        "meaning": "Debt not covered by cash",
        "extra": "",
    }
    values.update(fields)
    return ENTRY.format(**values)


def write(tmp_path: Path, text: str, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- built-in


def test_builtin_catalog_is_large_and_covers_every_dimension():
    catalog = load_catalog()
    assert len(catalog) >= 30
    groups = catalog.by_dimension()
    assert list(groups) == list(DIMENSIONS)
    assert all(len(ids) >= 4 for ids in groups.values()), groups
    assert len(set(catalog.ids)) == len(catalog)


@pytest.mark.parametrize(
    ("indicator", "formula", "tags"),
    [
        (
            "working_capital_to_assets",
            "(current_assets - current_liabilities) / total_assets",
            {"altman_z", "altman_z1", "altman_z2"},
        ),
        (
            "retained_earnings_to_assets",
            "retained_earnings / total_assets",
            {"altman_z", "altman_z1", "altman_z2"},
        ),
        ("ebit_to_assets", "ebit / total_assets", {"altman_z", "altman_z1", "altman_z2"}),
        ("market_equity_to_liabilities", "market_value_equity / total_liabilities", {"altman_z"}),
        ("book_equity_to_liabilities", "equity / total_liabilities", {"altman_z1", "altman_z2"}),
        ("asset_turnover", "revenue / total_assets", {"altman_z", "altman_z1"}),
    ],
)
def test_altman_components(indicator, formula, tags):
    ind = load_catalog().get(indicator)
    assert ind.formula == formula
    assert set(ind.tags) == tags
    assert ind.direction == "safer"


@pytest.mark.parametrize(("tag", "count"), [("altman_z", 5), ("altman_z1", 5), ("altman_z2", 4)])
def test_altman_models_select_their_components(tag, count):
    assert len(load_catalog().select(tags=[tag])) == count


@pytest.mark.parametrize(
    "indicator",
    [
        "current_ratio",
        "quick_ratio",
        "cash_ratio",
        "debt_ratio",
        "debt_to_equity",
        "interest_coverage",
        "equity_ratio",
        "roa",
        "roe",
        "gross_margin",
        "operating_margin",
        "net_margin",
        "asset_turnover",
        "receivables_turnover",
        "inventory_turnover",
        "fixed_asset_turnover",
        "days_sales_outstanding",
        "revenue_growth",
        "asset_growth",
        "equity_growth",
        "net_income_growth",
        "operating_cash_flow_growth",
        "ocf_to_current_liabilities",
        "ocf_to_liabilities",
        "ocf_margin",
        "free_cash_flow_to_assets",
        "cash_to_assets",
        "ocf_to_net_income",
    ],
)
def test_usual_ratios_are_present(indicator):
    assert indicator in load_catalog()


def test_every_builtin_definition_is_complete():
    for ind in load_catalog():
        assert ind.name and ind.meaning and ind.formula
        assert ind.dimension in DIMENSIONS and ind.direction in DIRECTIONS
        assert ind.source == "built-in catalog finwarn/indicators/catalog.yaml"
        parse_formula(ind.formula)  # raises if invalid
    growth = load_catalog().select(dimensions=["growth"])
    assert all(growth.formula(i).uses_prev for i in growth.ids)


def test_table_is_tidy():
    table = load_catalog().table()
    assert list(table.columns) == [
        "id",
        "name",
        "dimension",
        "direction",
        "formula",
        "meaning",
        "tags",
        "source",
    ]
    assert len(table) == len(load_catalog())
    row = table.set_index("id").loc["ebit_to_assets"]
    assert row["tags"] == "altman_z, altman_z1, altman_z2"
    assert row["dimension"] == "profitability"


def test_catalog_is_immutable_and_cached():
    catalog = load_catalog()
    assert load_catalog() is catalog
    with pytest.raises(AttributeError, match=r"^IndicatorCatalog is immutable; build a new"):
        catalog.extra = 1
    with pytest.raises(ValidationError, match="Instance is frozen"):
        catalog.get("roa").formula = "1"


def test_mapping_views():
    catalog = load_catalog()
    assert catalog.dimensions["roa"] == "profitability"
    assert catalog.directions["debt_ratio"] == "riskier"
    assert repr(catalog).startswith(f"IndicatorCatalog({len(catalog)} indicators: solvency=")
    assert [ind.id for ind in catalog] == list(catalog.ids)


def test_get_unknown_indicator():
    message = "the catalog has no indicator 'current_ration'. Did you mean 'current_ratio'?"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)} Known indicators: "):
        load_catalog().get("current_ration")


def test_select_filters_combine():
    catalog = load_catalog()
    sub = catalog.select(["roa", "debt_ratio", "current_ratio"], dimensions=["solvency"])
    assert sub.ids == ("current_ratio", "debt_ratio")  # catalog order is kept
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "unknown dimension 'liquidity'. Use one of: solvency, profitability, "
            "operating_capability, growth, cash_flow."
        ),
    ):
        catalog.select(dimensions=["liquidity"])


def test_records_round_trip():
    catalog = load_catalog()
    records = catalog.records()
    assert records[0]["tags"] == [] and isinstance(records[3]["tags"], list)
    assert catalog_from_records(records) == catalog


def test_bad_record_names_its_source():
    records = load_catalog().select(["roa"]).records()
    records[0]["dimension"] = "profit"
    with pytest.raises(
        ConfigError,
        match=re.escape("model.joblib: indicator 'roa' has unknown dimension 'profit'."),
    ):
        catalog_from_records(records, source="model.joblib")


def test_in_memory_catalog_checks_duplicates_and_formulas():
    roa = load_catalog().get("roa")
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "indicator 'roa' is defined twice (built-in catalog finwarn/indicators/catalog.yaml "
            "and built-in catalog finwarn/indicators/catalog.yaml). Give one of them another id."
        ),
    ):
        IndicatorCatalog([roa, roa])
    bad = Indicator(
        id="x",
        name="X",
        formula="cash / totl_assets",
        dimension="solvency",
        direction="safer",
        meaning="m",
    )
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "an in-memory definition: indicator 'x': formula 'cash / totl_assets' uses unknown "
            "item 'totl_assets'. Did you mean 'total_assets'?"
        ),
    ):
        IndicatorCatalog([bad])
    with pytest.raises(TypeError, match=r"^IndicatorCatalog takes Indicator objects, got dict"):
        IndicatorCatalog([{"id": "x"}])


# --------------------------------------------------------------------------- user files


def test_extend_adds_indicators(tmp_path):
    path = write(tmp_path, "indicators:\n" + entry())
    catalog = load_catalog(extend=path)
    assert len(catalog) == len(load_catalog()) + 1
    assert catalog.ids[-1] == "net_debt_to_assets"
    assert catalog.get("net_debt_to_assets").source == str(path)
    assert catalog.table()["source"].iloc[-1] == str(path)


def test_extend_accepts_a_plain_list_and_several_files(tmp_path):
    first = write(tmp_path, entry(), "a.yaml")
    second = write(tmp_path, "indicators:\n" + entry(id="other"), "b.yaml")
    catalog = load_catalog(extend=[first, str(second)])
    assert catalog.ids[-2:] == ("net_debt_to_assets", "other")


def test_replace_true_replaces_in_place(tmp_path):
    path = write(
        tmp_path,
        "indicators:\n"
        + entry(
            id="roa",
            formula="ebit / total_assets",
            dimension="profitability",
            direction="safer",
            extra=", replace: true",
        ),
    )
    catalog = load_catalog(extend=path)
    assert len(catalog) == len(load_catalog())
    assert catalog.ids.index("roa") == load_catalog().ids.index("roa")
    assert catalog.get("roa").formula == "ebit / total_assets"


def test_own_catalog_replaces_the_builtin(tmp_path):
    catalog = load_catalog(write(tmp_path, "indicators:\n" + entry()))
    assert catalog.ids == ("net_debt_to_assets",)


def _message(path: Path, rest: str) -> str:
    return "^" + re.escape(f"{path}: {rest}")


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        (
            "indicators:\n" + entry(dimension="solvncy"),
            "indicator 'net_debt_to_assets' has unknown dimension 'solvncy'. Did you mean "
            "'solvency'? Use one of: solvency, profitability, operating_capability, growth, "
            "cash_flow.",
        ),
        (
            "indicators:\n" + entry(direction="up"),
            "indicator 'net_debt_to_assets' has unknown direction 'up'. Use 'safer' (a higher "
            "value is safer) or 'riskier' (a higher value is riskier).",
        ),
        (
            "indicators:\n  - {id: a, name: A, formula: cash, dimension: solvency}\n",
            "indicator 'a' is missing the field(s) direction, meaning. Every indicator needs "
            "id, name, formula, dimension, direction, meaning.",
        ),
        (
            "indicators:\n" + entry(extra=", dimensoin: x"),
            "indicator 'net_debt_to_assets' has unknown field 'dimensoin'. Did you mean "
            "'dimension'? Allowed fields: id, name, formula, dimension, direction, meaning, "
            "tags, replace.",
        ),
        (
            "indicators:\n  - {name: A}\n",
            "indicator number 1 has no 'id'. Give every indicator an id (letters, digits and "
            "_), used as its column name.",
        ),
        (
            "indicators:\n  - just a string\n",
            "indicator number 1 is not a mapping of fields (found 'just a string').",
        ),
        (
            "indicators:\n" + entry() + entry(),
            "indicator 'net_debt_to_assets' is defined more than once. Remove or rename the "
            "repeated entry.",
        ),
        (
            "indicators:\n" + entry(id="roa"),
            "indicator 'roa' is already defined in built-in catalog "
            "finwarn/indicators/catalog.yaml. Give it another id, or add 'replace: true' to "
            "the entry to replace the existing definition.",
        ),
        (
            "indicators:\n" + entry(id="roaa", extra=", replace: true"),
            "indicator 'roaa' says 'replace: true' but there is no indicator 'roaa' to "
            "replace. Did you mean 'roa'? Fix the id, or remove 'replace: true' to add it as "
            "a new indicator.",
        ),
        (
            "indicators:\n" + entry(extra=", replace: maybe"),
            "indicator 'net_debt_to_assets': 'replace' must be true or false, got 'maybe'.",
        ),
        (
            "indicators:\n" + entry(formula="(long_term_debt - cash) / totl_assets"),
            "indicator 'net_debt_to_assets': formula '(long_term_debt - cash) / totl_assets' "
            "uses unknown item 'totl_assets'. Did you mean 'total_assets'? Use a raw item id "
            "from finwarn/data/raw_items.yaml.",
        ),
        (
            "indicators:\n" + entry(id="'net debt'"),
            "indicator 'net debt': an id must start with a letter or _ and hold only letters, "
            "digits and _, because it becomes a column name; e.g. 'net_debt'.",
        ),
        (
            "indicators:\n" + entry(extra=", tags: altman"),
            "indicator 'net_debt_to_assets': 'tags' must be a list, e.g. tags: [altman].",
        ),
        (
            "indicators:\n" + entry(name="''"),
            "indicator 'net_debt_to_assets' is missing the field(s) name.",
        ),
        (
            "indicators:\n" + entry(extra=", tags: [[1]]"),
            "indicator 'net_debt_to_assets': field 'tags.0': Input should be a valid string.",
        ),
        (
            "indicator:\n" + entry(),
            "unknown top-level key(s) 'indicator'. Did you mean 'indicators'? A catalog file "
            "holds one key, 'indicators:', with a list of indicators.",
        ),
        ("", "expected a list of indicators under the key 'indicators:'; found nothing."),
        ("indicators: [\n", "not valid YAML ("),
    ],
)
def test_extension_errors_name_file_and_indicator(tmp_path, text, rest):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=_message(path, rest)):
        load_catalog(extend=path)


def test_replace_in_the_base_file_is_refused(tmp_path):
    path = write(tmp_path, "indicators:\n" + entry(extra=", replace: true"))
    with pytest.raises(
        ConfigError,
        match=_message(
            path,
            (
                "indicator 'net_debt_to_assets' says 'replace: true', which only has a meaning "
                "in a file given to load_catalog(extend=...). Remove it."
            ),
        ),
    ):
        load_catalog(path)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=_message(path, "catalog file not found. Check the")):
        load_catalog(extend=path)
