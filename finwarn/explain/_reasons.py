"""Plain-language reasons: each firm's strongest contributions, said in words."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from finwarn._text import preview
from finwarn.exceptions import DataValidationError
from finwarn.explain._attribution import Attribution
from finwarn.explain._peers import ALL_FIRMS

__all__ = [
    "DIMENSION_COLUMNS",
    "EFFECTS",
    "REASON_COLUMNS",
    "Reasons",
    "dimension_contributions",
    "feature_metadata",
    "format_value",
    "reason_codes",
    "reason_text",
]

logger = logging.getLogger(__name__)

#: Columns of :meth:`Reasons.table` (the contract with ``finwarn.report``).
REASON_COLUMNS = [
    "entity",
    "period",
    "order",
    "feature",
    "name",
    "dimension",
    "value",
    "percentile",
    "peer_group",
    "contribution",
    "effect",
    "text",
]
#: Columns of :func:`dimension_contributions`.
DIMENSION_COLUMNS = ["entity", "period", "dimension", "contribution"]
#: Effect of a reason: the sign of its contribution ("neutral" only for exactly 0).
EFFECTS = ("raises", "lowers", "neutral")
_EFFECT_WORDS = {
    "raises": "raises the risk",
    "lowers": "lowers the risk",
    "neutral": "no effect on the risk",
}
_DIRECTION_WORDS = {"safer": "safer when higher", "riskier": "riskier when higher"}
_MINUS = "\N{MINUS SIGN}"
# Values at least this large (in absolute value) are amounts: no decimals, thousands commas.
_AMOUNT = 1_000
_MAX_DECIMALS = 6


@dataclass(frozen=True)
class Reasons:
    """The strongest reasons behind each firm's risk.

    Attributes
    ----------
    frame : pandas.DataFrame
        The columns of :data:`REASON_COLUMNS`; firms in the order of the explained
        ``X``, then ``order`` (1 = strongest).
    """

    frame: pd.DataFrame

    def table(self) -> pd.DataFrame:
        """One row per reason, exactly the columns of :data:`REASON_COLUMNS`."""
        return self.frame[REASON_COLUMNS].copy()

    def texts(self) -> pd.Series:
        """The reasons of each firm joined by ``"; "``, indexed by entity (and period)."""
        keys = ["entity", "period"] if self.frame["period"].notna().any() else ["entity"]
        return self.frame.groupby(keys, sort=False, dropna=False)["text"].agg("; ".join)


# --------------------------------------------------------------------------- metadata


def feature_metadata(
    columns: Iterable[str],
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Readable names, directions and dimensions of feature columns.

    From the indicator catalog and the built-in ratio sets (see
    :func:`finwarn.indicators.describe_columns`); an unknown column keeps its id as
    its name, direction ``unknown`` and dimension ``other``.

    Parameters
    ----------
    columns : iterable of str
        Feature ids, e.g. ``X.columns``.

    Returns
    -------
    names, directions, dimensions : dict of str to str
        Keyed by the column ids as given.

    Examples
    --------
    >>> names, directions, dimensions = feature_metadata(["debt_ratio", "Attr1", "size"])
    >>> names
    {'debt_ratio': 'Debt ratio', 'Attr1': 'net profit / total assets', 'size': 'size'}
    >>> directions["debt_ratio"], dimensions["Attr1"], dimensions["size"]
    ('riskier', 'profitability', 'other')
    """
    from finwarn.indicators import describe_columns

    described = describe_columns([str(c) for c in columns])
    names, directions, dimensions = {}, {}, {}
    for column, name, dimension, direction in zip(
        described["column"],
        described["name"],
        described["dimension"],
        described["direction"],
        strict=True,
    ):
        names[column] = name if isinstance(name, str) and name else column
        directions[column] = direction
        dimensions[column] = dimension
    return names, directions, dimensions


# --------------------------------------------------------------------------- wording


def format_value(value: Any) -> str:
    """An indicator value as the reasons print it.

    Ratios get 2 decimals; values of 1,000 and more (amounts) no decimals and
    thousands commas; small non-zero values two significant digits (so 0.004 does not
    print as 0.00). Negative values carry a minus sign (U+2212); missing values are
    ``"missing"``.

    Examples
    --------
    >>> [format_value(v) for v in (0.912, -0.1234, 2.5, 1234567.8, 0.0042, 0.0, float("nan"))]
    ['0.91', '−0.12', '2.50', '1,234,568', '0.0042', '0.00', 'missing']
    """  # noqa: RUF002
    if value is None or pd.isna(value):
        return "missing"
    x = float(value)
    if not math.isfinite(x):
        text = "infinite"
        return f"{_MINUS}{text}" if x < 0 else text
    size = abs(x)
    if round(size, 2) >= _AMOUNT:  # 999.996 prints as 1,000, not 1000.00
        text = f"{size:,.0f}"
    elif size == 0 or size >= 0.01:
        text = f"{size:.2f}"
    else:
        decimals = min(_MAX_DECIMALS, 1 - math.floor(math.log10(size)))
        text = f"{size:.{decimals}f}"
    zero = text.strip("0.,") == ""
    return f"{_MINUS}{text}" if x < 0 and not zero else text


def reason_text(
    name: str,
    value: Any,
    effect: str,
    *,
    percentile: float | None = None,
    peer_group: str = ALL_FIRMS,
    direction: str = "unknown",
) -> str:
    """One reason in plain language.

    Parameters
    ----------
    name : str
        Readable indicator name (its first letter is capitalised).
    value : float or None
        The firm's value; NaN or None says "is missing".
    effect : {"raises", "lowers", "neutral"}
        What the feature does to the firm's risk.
    percentile : float, optional
        The value's percentile (0-100) among ``peer_group``; the text says the firm is
        higher than ``floor(percentile)`` % of them (or lower than
        ``floor(100 - percentile)`` % below the median; "the highest" at 100 and "the
        lowest" at 0). Omitted when NaN or None.
    peer_group : str, default="all firms"
        An industry name, or :data:`~finwarn.explain.ALL_FIRMS`.
    direction : {"safer", "riskier", "unknown"}, default="unknown"
        Whether a higher value is safer or riskier in general, shown in brackets.

    Returns
    -------
    str

    Examples
    --------
    >>> reason_text("Debt ratio", 0.91, "raises", percentile=95.3, peer_group="retail",
    ...             direction="riskier")
    'Debt ratio 0.91 is higher than 95% of firms in retail (riskier when higher): raises the risk'
    >>> reason_text("Return on assets", -0.12, "raises", percentile=9.5)
    'Return on assets −0.12 is lower than 90% of all firms: raises the risk'
    >>> reason_text("net profit / total assets", None, "raises")
    'Net profit / total assets is missing: raises the risk'
    """  # noqa: RUF002
    if effect not in _EFFECT_WORDS:
        raise ValueError(f"effect must be one of {', '.join(EFFECTS)}, got {effect!r}.")
    label = name[:1].upper() + name[1:]
    tail = _EFFECT_WORDS[effect]
    if value is None or pd.isna(value):
        return f"{label} is missing: {tail}"
    shown = format_value(value)
    if percentile is None or pd.isna(percentile):
        return f"{label} {shown}: {tail}"
    peers = ALL_FIRMS if peer_group == ALL_FIRMS else f"firms in {peer_group}"
    if percentile >= 100:
        comparison = f"is the highest of {peers}"
    elif percentile <= 0:
        comparison = f"is the lowest of {peers}"
    elif percentile >= 50:
        comparison = f"is higher than {math.floor(percentile)}% of {peers}"
    else:
        comparison = f"is lower than {math.floor(100 - percentile)}% of {peers}"
    note = _DIRECTION_WORDS.get(direction)
    bracket = f" ({note})" if note else ""
    return f"{label} {shown} {comparison}{bracket}: {tail}"


# --------------------------------------------------------------------------- reasons


def _check_rows(attribution: Attribution, X: pd.DataFrame, ids: pd.DataFrame) -> None:
    n = len(attribution.values)
    if len(X) != n or len(ids) != n:
        raise ValueError(
            f"attribution, X and ids must describe the same firms, row by row: "
            f"{n}, {len(X)} and {len(ids)} rows."
        )
    missing = [c for c in attribution.values.columns if c not in X.columns]
    if missing:
        raise DataValidationError(
            f"X lacks {len(missing)} explained feature(s): {preview(missing)}. Pass the X "
            "given to explain_model."
        )
    if "entity" not in ids.columns:
        raise DataValidationError(
            f"ids needs an 'entity' column; found {preview([str(c) for c in ids.columns])}."
        )


def reason_codes(
    attribution: Attribution,
    X: pd.DataFrame,
    ids: pd.DataFrame,
    *,
    names: Mapping[str, str] | None = None,
    directions: Mapping[str, str] | None = None,
    dimensions: Mapping[str, str] | None = None,
    percentiles: pd.DataFrame | None = None,
    peer_group_names: Any = None,
    n_reasons: int = 3,
) -> Reasons:
    """The ``n_reasons`` strongest reasons behind each firm's risk, in words.

    A firm's reasons are its features with the largest absolute contribution; ties
    go to the feature that comes first in ``X``. A feature with exactly zero
    contribution (e.g. one the cleaner dropped) is used only when a firm has fewer
    than ``n_reasons`` others, with effect ``"neutral"``. ``effect`` is the sign of
    the contribution: ``"raises"`` (> 0) or ``"lowers"`` (< 0) the risk. A missing
    value is a reason like any other ("is missing"): missingness itself can carry
    risk.

    Parameters
    ----------
    attribution : Attribution
        From :func:`~finwarn.explain.explain_model` on ``X``.
    X : pandas.DataFrame
        The explained feature values, rows as in ``attribution``.
    ids : pandas.DataFrame
        ``entity`` and optionally ``period`` of each row, by position.
    names, directions, dimensions : mapping of str to str, optional
        Readable name, direction (``safer``/``riskier``/``unknown``) and dimension of
        each feature; by default from :func:`feature_metadata`.
    percentiles : pandas.DataFrame, optional
        Percentile of each value among its peers, as from
        :func:`~finwarn.explain.peer_percentiles` (same shape as ``X``); by default
        among all rows of ``X``.
    peer_group_names : array-like of str, optional
        Each row's peer group (industry or ``"all firms"``), as from
        :func:`~finwarn.explain.peer_groups`; by default ``"all firms"``.
    n_reasons : int, default=3
        Reasons per firm (fewer only when ``X`` has fewer features).

    Returns
    -------
    Reasons

    Raises
    ------
    ValueError
        If the rows of ``attribution``, ``X``, ``ids``, ``percentiles`` or
        ``peer_group_names`` disagree, or ``n_reasons`` is not a positive integer.

    Examples
    --------
    >>> X = pd.DataFrame({"debt_ratio": [0.91, 0.30], "roa": [0.02, np.nan]})
    >>> contributions = pd.DataFrame({"debt_ratio": [1.2, -0.3], "roa": [0.4, 0.9]})
    >>> attribution = Attribution(contributions, -3.0, "linear", pd.Series([-1.4, -2.4]))
    >>> ids = pd.DataFrame({"entity": ["A", "B"], "period": [2024, 2024]})
    >>> reasons = reason_codes(attribution, X, ids, n_reasons=2)
    >>> for text in reasons.table()["text"]:
    ...     print(text)
    Debt ratio 0.91 is the highest of all firms (riskier when higher): raises the risk
    Return on assets 0.02 is higher than 50% of all firms (safer when higher): raises the risk
    Return on assets is missing: raises the risk
    Debt ratio 0.30 is the lowest of all firms (riskier when higher): lowers the risk
    """
    if not isinstance(n_reasons, Integral) or isinstance(n_reasons, bool) or n_reasons < 1:
        raise ValueError(f"n_reasons must be a positive integer, got {n_reasons!r}; e.g. 3.")
    _check_rows(attribution, X, ids)
    features = [str(c) for c in attribution.values.columns]
    if names is None or directions is None or dimensions is None:
        default_names, default_directions, default_dimensions = feature_metadata(features)
        names = default_names if names is None else names
        directions = default_directions if directions is None else directions
        dimensions = default_dimensions if dimensions is None else dimensions
    values = X[list(attribution.values.columns)].to_numpy(dtype=float)
    n, d = values.shape
    if percentiles is None:
        from finwarn.explain._peers import peer_percentiles

        percentiles = peer_percentiles(X[list(attribution.values.columns)])
    if percentiles.shape[0] != n:
        raise ValueError(f"percentiles must have the {n} rows of X, got {percentiles.shape[0]}.")
    pct = percentiles.reindex(columns=attribution.values.columns).to_numpy(dtype=float)
    if peer_group_names is None:
        groups = np.full(n, ALL_FIRMS, dtype=object)
    else:
        groups = np.asarray(
            peer_group_names.to_numpy()
            if isinstance(peer_group_names, pd.Series)
            else peer_group_names,
            dtype=object,
        )
        if groups.shape != (n,):
            raise ValueError(
                f"peer_group_names must hold one name per row of X ({n}), got {groups.shape}."
            )
    contrib = np.nan_to_num(attribution.values.to_numpy(dtype=float), nan=0.0)
    k = min(n_reasons, d)
    # stable sort: equal |contribution| keep the column order of X
    top = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :k]
    rows = np.repeat(np.arange(n), k)
    cols = top.ravel()
    chosen = contrib[rows, cols]
    effect = np.where(chosen > 0, "raises", np.where(chosen < 0, "lowers", "neutral"))
    feature = np.asarray(features, dtype=object)[cols]
    value = values[rows, cols]
    percentile = pct[rows, cols]
    peer_group = groups[rows]
    text = [
        reason_text(
            names.get(f, f),
            v,
            e,
            percentile=p,
            peer_group=str(g),
            direction=directions.get(f, "unknown"),
        )
        for f, v, e, p, g in zip(feature, value, effect, percentile, peer_group, strict=True)
    ]
    period = ids["period"].to_numpy() if "period" in ids.columns else np.full(n, pd.NA)
    frame = pd.DataFrame(
        {
            "entity": ids["entity"].to_numpy()[rows],
            "period": period[rows],
            "order": np.tile(np.arange(1, k + 1), n),
            "feature": feature,
            "name": [names.get(f, f) for f in feature],
            "dimension": [dimensions.get(f, "other") for f in feature],
            "value": value,
            "percentile": percentile,
            "peer_group": peer_group,
            "contribution": chosen,
            "effect": effect.astype(object),
            "text": text,
        }
    )
    if (effect == "neutral").any():
        logger.info(
            "%d reason(s) with zero contribution (firms with fewer than %d contributing features)",
            int((effect == "neutral").sum()),
            k,
        )
    return Reasons(frame=frame)


def dimension_contributions(
    attribution: Attribution, ids: pd.DataFrame, dimensions: Mapping[str, str]
) -> pd.DataFrame:
    """Each firm's contributions summed by dimension, as a tidy table.

    Parameters
    ----------
    attribution : Attribution
    ids : pandas.DataFrame
        ``entity`` and optionally ``period`` of each explained row, by position.
    dimensions : mapping of str to str
        Feature -> dimension; unnamed features count as ``other``.

    Returns
    -------
    pandas.DataFrame
        ``entity, period, dimension, contribution``: firms in the order of the
        explained rows, dimensions in the order they first appear among the features.

    Examples
    --------
    >>> values = pd.DataFrame({"debt_ratio": [0.8], "roa": [0.1], "current_ratio": [-0.3]})
    >>> attribution = Attribution(values, -2.0, "linear", pd.Series([-1.4]))
    >>> dims = {"debt_ratio": "solvency", "current_ratio": "solvency", "roa": "profitability"}
    >>> dimension_contributions(attribution, pd.DataFrame({"entity": ["A"]}), dims)
      entity period      dimension  contribution
    0      A   <NA>       solvency           0.5
    1      A   <NA>  profitability           0.1
    """
    if len(ids) != len(attribution.values):
        raise ValueError(
            f"ids must have one row per explained firm: {len(attribution.values)} firms, "
            f"{len(ids)} rows of ids."
        )
    wide = attribution.by_dimension(dimensions)
    n, k = wide.shape
    period = ids["period"].to_numpy() if "period" in ids.columns else np.full(n, pd.NA)
    return pd.DataFrame(
        {
            "entity": np.repeat(ids["entity"].to_numpy(), k),
            "period": np.repeat(period, k),
            "dimension": np.tile(wide.columns.to_numpy(dtype=object), n),
            "contribution": wide.to_numpy(dtype=float).ravel(),
        }
    )
