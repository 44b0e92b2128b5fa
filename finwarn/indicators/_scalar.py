"""Formulas evaluated on one firm's plain floats: the scalar twin of ``_formula._eval``.

:func:`compute_indicators` works on whole tables (numpy arrays, with the reason of every
missing value); a service that scores one record at a time cannot afford its pandas
overhead (about 6 ms a row). :func:`scalar_formula` compiles a parsed formula into a
function of (current values, previous values) with the same semantics: a zero or
negative denominator, the log of a non-positive value, or a missing input or previous
period give NaN, and nothing is ever infinite. ``tests/indicators/test_scalar.py``
checks it against :func:`compute_indicators` bit for bit.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import cast

import numpy as np

from finwarn.indicators._formula import Formula

__all__ = ["ScalarFormula", "scalar_formula"]

#: A compiled formula: ``f(current, previous) -> float`` (NaN where it has no value).
ScalarFormula = Callable[[Mapping[str, float], Mapping[str, float]], float]
_Feature = ScalarFormula
_NAN = float("nan")


def scalar_formula(formula: Formula) -> ScalarFormula:
    """Compile ``formula`` for one firm: ``f(current, previous)`` gives its value.

    ``current`` and ``previous`` map raw item ids to floats (NaN or absent where
    unknown); ``previous`` is the firm's previous period, read by ``prev(item)``.

    Examples
    --------
    >>> from finwarn.indicators import parse_formula
    >>> f = scalar_formula(parse_formula("current_assets / current_liabilities"))
    >>> f({"current_assets": 150.0, "current_liabilities": 100.0}, {})
    1.5
    >>> f({"current_assets": 150.0, "current_liabilities": 0.0}, {})
    nan
    """
    return _compile(formula._tree)


def _finite(value: float) -> float:
    return value if math.isfinite(value) else _NAN


def _compile(node: ast.expr) -> _Feature:
    """A function of (current values, previous values) computing a formula's node.

    Mirrors :func:`finwarn.indicators._formula._eval` value for value (the reasons of
    NaN are not needed here): the same IEEE operations on floats instead of arrays, and
    numpy's log, so the results are equal to the bit.
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
    raise ValueError(  # pragma: no cover - parse_formula refuses these
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
