"""One record's model features without pandas: the hot path of single-record scoring.

The core's ``build_features`` costs about 6 ms for one row (pandas overhead per
indicator); :class:`RecordFeatures` evaluates the model's indicator formulas with the
core's scalar evaluator (:func:`finwarn.indicators.scalar_formula`) in about 0.02 ms.
``tests/service/test_scores.py`` checks that it gives exactly the values of
``build_features`` on every row of the demo panel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from finwarn._text import did_you_mean, preview
from finwarn.data import raw_items
from finwarn.indicators import ScalarFormula, catalog_from_records, scalar_formula
from finwarn.service._domain_errors import InvalidRequestError
from finwarn.workflow import FeatureSpec

__all__ = ["RecordFeatures"]

_NAN = float("nan")


class RecordFeatures:
    """A model's features of one record, computed without pandas.

    Parameters
    ----------
    spec : FeatureSpec
        The model's recipe: indicators computed from raw items by the saved formulas,
        or columns used as given.

    Attributes
    ----------
    features : tuple of str
        The model's features, in order.
    inputs : frozenset of str
        The names a record may hold: raw statement items and the features read as they
        are (an indicator the model computes is computed, not read).
    """

    def __init__(self, spec: FeatureSpec) -> None:
        self.spec = spec
        self.features = tuple(spec.features)
        catalog = catalog_from_records(spec.indicators) if spec.source == "indicators" else None
        compiled: list[ScalarFormula] = []
        given: list[str] = []  # features read as they are, not computed
        for name in self.features:
            if catalog is not None and name in catalog:
                compiled.append(scalar_formula(catalog.formula(name)))
            else:
                compiled.append(_column(name))
                given.append(name)
        self._compiled = compiled
        self._columns = pd.Index(self.features)
        items = raw_items()
        if catalog is not None:
            self.inputs = frozenset(items) | frozenset(given)
            self._reads = "raw statement items (total_assets, revenue, ...)" + (
                f" and {preview(given)}" if given else ""
            )
        else:
            self.inputs = frozenset(given)
            self._reads = f"its features: {preview(given)}"
        self._minimum = {name: item.min for name, item in items.items() if item.min is not None}

    def check(self, values: Mapping[str, float | None]) -> None:
        """Refuse unknown names, infinite and impossible amounts (as validation would).

        Raises
        ------
        InvalidRequestError
            Naming the first offending column.
        """
        for name, value in values.items():
            if name not in self.inputs:
                raise InvalidRequestError(
                    f"Unknown column '{name}'.{did_you_mean(name, self.inputs)} The active "
                    f"model reads {self._reads}."
                )
            if value is not None and not math.isfinite(value):
                raise InvalidRequestError(
                    f"{name} = {value} is not a finite number; send the amount, or null if "
                    "it is unknown."
                )
            minimum = self._minimum.get(name)
            if minimum is not None and value is not None and value < minimum:
                raise InvalidRequestError(
                    f"{name} = {value:g} is negative, which is impossible; correct the amount "
                    "or leave it empty (null)."
                )

    def row(
        self, values: Mapping[str, float | None], previous: Mapping[str, float | None] | None
    ) -> list[float]:
        """The feature values of a record (NaN where a value cannot be computed)."""
        cur = _clean(values)
        prev = _clean(previous) if previous else {}
        return [feature(cur, prev) for feature in self._compiled]

    def frame(
        self, values: Mapping[str, float | None], previous: Mapping[str, float | None] | None
    ) -> pd.DataFrame:
        """The one-row feature matrix the model reads."""
        # one float block: a list of lists would be converted column by column
        row = np.array([self.row(values, previous)], dtype=float)
        return pd.DataFrame(row, columns=self._columns, copy=False)


def _column(name: str) -> ScalarFormula:
    return lambda cur, prev: cur.get(name, _NAN)


def _clean(values: Mapping[str, float | None]) -> dict[str, float]:
    out = {}
    for name, value in values.items():
        number = _NAN if value is None else float(value)
        out[name] = number if math.isfinite(number) else _NAN
    return out
