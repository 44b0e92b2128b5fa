"""One record's model features without pandas: the hot path of single-record scoring.

The core's ``build_features`` costs about 6 ms for one row (pandas overhead per
indicator); :class:`RecordFeatures` evaluates the same indicator formulas of the model's
``FeatureSpec`` on plain floats in about 0.02 ms, with the core's semantics (a zero or
negative denominator, the log of a non-positive value, a missing input or previous period
each give NaN; nothing is ever infinite). ``tests/service/test_scores.py`` checks that it
gives exactly the values of ``build_features`` on every row of the demo panel.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import cast

import numpy as np
import pandas as pd

from finwarn._text import did_you_mean, preview
from finwarn.data import raw_items
from finwarn.exceptions import ModelCompatibilityError
from finwarn.indicators import catalog_from_records
from finwarn.service._domain_errors import InvalidRequestError
from finwarn.workflow import FeatureSpec

__all__ = ["RecordFeatures"]

_NAN = float("nan")

_Feature = Callable[[Mapping[str, float], Mapping[str, float]], float]


def _finite(value: float) -> float:
    return value if math.isfinite(value) else _NAN


def _compile(node: ast.expr) -> _Feature:
    """A function of (current values, previous values) computing a formula's node.

    Mirrors ``finwarn.indicators._formula._eval`` value for value (the reasons of NaN
    are not needed here): the core runs the same IEEE operations on arrays, and the log
    is numpy's, so the results are equal to the bit.
    """
    if isinstance(node, ast.Name):
        name = node.id
        return lambda cur, prev: cur.get(name, _NAN)
    if isinstance(node, ast.Constant):
        constant = float(cast(float, node.value))  # an int or a float (the core's check)
        return lambda cur, prev: constant
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand)
        if isinstance(node.op, ast.USub):
            return lambda cur, prev: -operand(cur, prev)
        return operand
    if isinstance(node, ast.BinOp):
        return _compile_binop(node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _compile_call(node, node.func.id)
    raise ModelCompatibilityError(  # pragma: no cover - the core's parser refuses these
        f"indicator formula node {ast.unparse(node)!r} is outside the formula language."
    )


def _compile_binop(node: ast.BinOp) -> _Feature:
    left, right = _compile(node.left), _compile(node.right)
    if isinstance(node.op, ast.Add):
        return lambda cur, prev: _finite(left(cur, prev) + right(cur, prev))
    if isinstance(node.op, ast.Sub):
        return lambda cur, prev: _finite(left(cur, prev) - right(cur, prev))
    if isinstance(node.op, ast.Mult):
        return lambda cur, prev: _finite(left(cur, prev) * right(cur, prev))

    def divide(cur: Mapping[str, float], prev: Mapping[str, float]) -> float:
        numerator, denominator = left(cur, prev), right(cur, prev)
        if denominator <= 0:  # zero or negative denominators give NaN (NaN stays NaN)
            return _NAN
        return _finite(numerator / denominator)

    return divide


def _compile_call(node: ast.Call, name: str) -> _Feature:
    if name == "prev":
        arg = node.args[0]
        assert isinstance(arg, ast.Name)
        item = arg.id
        return lambda cur, prev: prev.get(item, _NAN)
    args = [_compile(arg) for arg in node.args]
    if name == "abs":
        return lambda cur, prev: _finite(abs(args[0](cur, prev)))
    if name == "log":

        def log(cur: Mapping[str, float], prev: Mapping[str, float]) -> float:
            x = args[0](cur, prev)
            if x <= 0:
                return _NAN
            # numpy's log, not math.log: they differ in the last bit for some values
            return _finite(float(np.log(x)))

        return log
    pick = min if name == "min" else max

    def extreme(cur: Mapping[str, float], prev: Mapping[str, float]) -> float:
        a, b = args[0](cur, prev), args[1](cur, prev)
        if math.isnan(a) or math.isnan(b):  # np.minimum / np.maximum propagate NaN
            return _NAN
        return _finite(pick(a, b))

    return extreme


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
        compiled: list[_Feature] = []
        given: list[str] = []  # features read as they are, not computed
        for name in self.features:
            if catalog is not None and name in catalog:
                tree = ast.parse(catalog.formula(name).text, mode="eval").body
                compiled.append(_compile(tree))
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


def _column(name: str) -> _Feature:
    return lambda cur, prev: cur.get(name, _NAN)


def _clean(values: Mapping[str, float | None]) -> dict[str, float]:
    out = {}
    for name, value in values.items():
        number = _NAN if value is None else float(value)
        out[name] = number if math.isfinite(number) else _NAN
    return out
