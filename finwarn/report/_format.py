"""How values appear in the report: one place, so every page formats alike.

The report shows the numbers of :class:`~finwarn.report.ReportInput` unchanged; these
helpers only fix how many digits are printed:

========================  ============================  ==================
what                      format                        example
========================  ============================  ==================
probability, cut-off      3 decimals                    ``0.347``
share of firms            percent, 1 decimal            ``12.5%``
contribution (log-odds)   signed, 2 decimals            ``+0.41``, ``-0.08``
indicator value           4 significant digits          ``0.1235``, ``1,234``
percentile                no decimals                   ``87``
metric                    3 decimals                    ``0.912``
count                     integer with thousands comma  ``5,000``
missing                   en dash                       ``\u2013``
========================  ============================  ==================
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = [
    "MISSING",
    "count",
    "is_missing",
    "label",
    "metric",
    "number",
    "percentile",
    "probability",
    "share",
    "signed",
    "text",
]

MISSING = "\u2013"  # en dash


def is_missing(value: Any) -> bool:
    """True for None, NaN, NA and NaT (scalars only).

    >>> is_missing(None), is_missing(float("nan")), is_missing(0.0)
    (True, True, False)
    """
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array is not "missing"
        return False


def probability(value: Any) -> str:
    """A probability with 3 decimals.

    >>> probability(0.1234567), probability(None) == MISSING
    ('0.123', True)
    """
    return MISSING if is_missing(value) else f"{float(value):.3f}"


def metric(value: Any) -> str:
    """A metric with 3 decimals, a count whole; text as given, a mapping as its items.

    >>> metric(0.91234), metric("n/a"), metric({"mean": 0.8712, "sd": 0.0153}), metric(3459)
    ('0.912', 'n/a', 'mean 0.871, sd 0.015', '3,459')
    """
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {metric(v)}" for k, v in value.items())
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return text(value)
    if isinstance(value, numbers.Integral):
        return count(value)
    return probability(value)


def share(value: Any) -> str:
    """A fraction (0-1) as a percentage with one decimal.

    >>> share(0.125), share(1)
    ('12.5%', '100.0%')
    """
    return MISSING if is_missing(value) else f"{100 * float(value):.1f}%"


def signed(value: Any) -> str:
    """A contribution with its sign and 2 decimals.

    >>> signed(0.4123), signed(-0.08), signed(0)
    ('+0.41', '-0.08', '+0.00')
    """
    return MISSING if is_missing(value) else f"{float(value):+.2f}"


def number(value: Any) -> str:
    """An indicator value: 4 significant digits, thousands commas from 10,000 up.

    >>> number(0.123456), number(1234.5), number(123456.7), number(-2)
    ('0.1235', '1234', '123,457', '-2')
    """
    if is_missing(value):
        return MISSING
    x = float(value)
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 10_000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def percentile(value: Any) -> str:
    """A percentile (0-100) without decimals.

    >>> percentile(87.4)
    '87'
    """
    return MISSING if is_missing(value) else f"{float(value):.0f}"


def count(value: Any) -> str:
    """A count with thousands commas.

    >>> count(5000)
    '5,000'
    """
    return MISSING if is_missing(value) else f"{int(value):,}"


def text(value: Any) -> str:
    """Any value as text; missing values as an en dash.

    >>> text("light"), text(float("nan")) == MISSING, text(2023)
    ('light', True, '2023')
    """
    return MISSING if is_missing(value) else str(value)


def label(name: Any) -> str:
    """A readable label for an identifier such as a dimension name.

    >>> label("operating_capability")
    'Operating capability'
    """
    words = text(name).replace("_", " ").strip()
    return words[:1].upper() + words[1:]
