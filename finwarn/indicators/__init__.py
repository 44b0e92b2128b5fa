"""Indicator system (C2): financial ratios from raw statement items, grouped by dimension.

The catalog of indicators is data (``catalog.yaml``): each indicator has a formula
over the raw item ids of ``finwarn/data/raw_items.yaml``, a dimension (solvency,
profitability, operating capability, growth, cash flow), a direction and a
one-line meaning. Users extend it with their own YAML file. Pre-computed ratio
columns of the public data sets are described by ratio sets.

Examples
--------
>>> from finwarn.datasets import make_demo_panel
>>> from finwarn.indicators import compute_indicators, load_catalog
>>> result = compute_indicators(make_demo_panel(n_firms=20, n_years=3))
>>> len(result.values.columns) == len(load_catalog())
True
"""

from finwarn.indicators._catalog import (
    DIMENSIONS,
    DIRECTIONS,
    Indicator,
    IndicatorCatalog,
    catalog_from_records,
    load_catalog,
)
from finwarn.indicators._compute import IndicatorResult, compute_indicators
from finwarn.indicators._formula import FUNCTIONS, Formula, parse_formula, raw_item_ids
from finwarn.indicators._ratio_sets import (
    RATIO_DIMENSIONS,
    RATIO_SETS,
    RatioDefinition,
    RatioSet,
    assign_dimensions,
    describe_columns,
    load_ratio_set,
)
from finwarn.indicators._scalar import ScalarFormula, scalar_formula

__all__ = [
    "DIMENSIONS",
    "DIRECTIONS",
    "FUNCTIONS",
    "RATIO_DIMENSIONS",
    "RATIO_SETS",
    "Formula",
    "Indicator",
    "IndicatorCatalog",
    "IndicatorResult",
    "RatioDefinition",
    "RatioSet",
    "ScalarFormula",
    "assign_dimensions",
    "catalog_from_records",
    "compute_indicators",
    "describe_columns",
    "load_catalog",
    "load_ratio_set",
    "parse_formula",
    "raw_item_ids",
    "scalar_formula",
]
