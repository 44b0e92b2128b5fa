"""A firm against its peers and its own past: percentiles, history, level migrations."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from finwarn._text import did_you_mean, preview
from finwarn.exceptions import DataValidationError

__all__ = [
    "ALL_FIRMS",
    "HISTORY_COLUMNS",
    "MIGRATION_COLUMNS",
    "MIN_PEER_GROUP",
    "history_table",
    "migrations",
    "peer_groups",
    "peer_percentiles",
]

logger = logging.getLogger(__name__)

#: Name of the peer group of firms compared with every firm.
ALL_FIRMS = "all firms"
#: Smallest peer group (firms) compared on its own; smaller groups use all firms.
MIN_PEER_GROUP = 20
HISTORY_COLUMNS = ["entity", "period", "feature", "name", "value", "peer_median"]
MIGRATION_COLUMNS = ["entity", "previous_period", "previous_level", "period", "level", "change"]


def _check_min_size(min_size: Any) -> None:
    if not isinstance(min_size, Integral) or isinstance(min_size, bool) or min_size < 1:
        raise ValueError(f"min_size must be a positive integer, got {min_size!r}; e.g. 20.")


def _values(labels: Any, n_rows: int, what: str) -> np.ndarray:
    """Labels aligned by position with the rows of a table."""
    array = np.asarray(labels.to_numpy() if isinstance(labels, pd.Series) else labels, dtype=object)
    if array.shape != (n_rows,):
        raise ValueError(f"{what} must hold one label per row: {n_rows} rows, got {array.shape}.")
    return array


def peer_groups(groups: Any, *, min_size: int = MIN_PEER_GROUP) -> pd.Series:
    """The peer group each firm is compared with: its group, or all firms if too small.

    Parameters
    ----------
    groups : array-like or Series of shape (n_firms,)
        Group label (e.g. industry) of each firm; a missing label means no group.
    min_size : int, default=20
        Firms a group needs to be a peer group on its own. A firm in a smaller group,
        or without a group, is compared with all firms (:data:`ALL_FIRMS`): a
        percentile among a handful of firms says little.

    Returns
    -------
    pandas.Series of str
        The peer group name of each firm (index of ``groups`` if it is a Series).

    Examples
    --------
    >>> peer_groups(["retail"] * 3 + ["energy"], min_size=3).tolist()
    ['retail', 'retail', 'retail', 'all firms']
    """
    _check_min_size(min_size)
    labels = pd.Series(groups, dtype=object).reset_index(drop=True)
    names = labels.astype(str).where(labels.notna(), ALL_FIRMS)
    sizes = names.map(names.value_counts())
    names = names.where(sizes >= min_size, ALL_FIRMS)
    if isinstance(groups, pd.Series):
        names.index = groups.index
    return names.rename("peer_group")


def _percentile(values: pd.DataFrame, keys: np.ndarray | None) -> pd.DataFrame:
    """Percentile (0-100) of each value among the non-missing values of its key."""
    if keys is None:
        rank = values.rank(method="average")
        count = pd.DataFrame(
            np.broadcast_to(values.count().to_numpy(), values.shape),
            index=values.index,
            columns=values.columns,
        )
    else:
        grouped = values.groupby(keys, sort=False)
        rank = grouped.rank(method="average")
        count = grouped.transform("count")
    pct = 100.0 * (rank - 1) / (count - 1).where(count > 1)
    # a firm alone in its group (for this column) sits at the middle
    return pct.where(~((count == 1) & values.notna()), 50.0)


def peer_percentiles(
    X: pd.DataFrame, groups: Any = None, *, min_size: int = MIN_PEER_GROUP
) -> pd.DataFrame:
    """Each value's percentile (0-100) among the firm's peers.

    The percentile is the share of the other peers with a lower value (ties count
    half): 0 for the lowest value, 100 for the highest, 50 for the median, and 50 when
    the firm is its group's only value. The peers are the rows of ``X`` in the same
    group (e.g. industry); groups with fewer than ``min_size`` firms, and firms
    without a group, are compared with all rows of ``X`` (see :func:`peer_groups`).
    Pass the rows that should be compared, e.g. the firms of one period.

    Parameters
    ----------
    X : pandas.DataFrame of shape (n_firms, n_features)
        Indicator values; NaN stays NaN and is not counted as a peer.
    groups : array-like or Series of shape (n_firms,), optional
        Group of each row, by position; None compares every firm with all firms.
    min_size : int, default=20
        Smallest group compared on its own.

    Returns
    -------
    pandas.DataFrame
        Same index and columns as ``X``.

    Examples
    --------
    >>> X = pd.DataFrame({"debt_ratio": [0.2, 0.5, 0.9, np.nan, 0.4]})
    >>> peer_percentiles(X)["debt_ratio"].round(1).tolist()
    [0.0, 66.7, 100.0, nan, 33.3]
    >>> groups = ["a", "a", "a", "b", "b"]  # b is too small: compared with all firms
    >>> peer_percentiles(X, groups, min_size=3)["debt_ratio"].round(1).tolist()
    [0.0, 50.0, 100.0, nan, 33.3]
    """
    values = X.astype(float).reset_index(drop=True)
    overall = _percentile(values, None)
    if groups is not None:
        names = peer_groups(_values(groups, len(X), "groups"), min_size=min_size).to_numpy()
        own = names != ALL_FIRMS
        if own.any():
            within = _percentile(values, names)
            overall = overall.where(np.broadcast_to(~own[:, None], overall.shape), within)
    else:
        _check_min_size(min_size)
    overall.index = X.index
    return overall


def _require_columns(ids: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    missing = [c for c in needed if c not in ids.columns]
    if missing:
        raise DataValidationError(
            f"{what} needs the column(s) {', '.join(missing)} in ids; found "
            f"{preview([str(c) for c in ids.columns])}."
        )


def history_table(
    X_all: pd.DataFrame,
    ids_all: pd.DataFrame,
    features: Sequence[str],
    entities: Sequence[Any],
    *,
    names: dict[str, str] | None = None,
    min_size: int = MIN_PEER_GROUP,
) -> pd.DataFrame:
    """Each given firm's indicators period by period, beside its peers' median.

    The peers of a firm in a period are the firms of its industry in that period
    (``ids_all["industry"]``), or all firms of that period when the industry has
    fewer than ``min_size`` of them or there is no industry column.

    Parameters
    ----------
    X_all : pandas.DataFrame
        Indicator values of every firm-period (all periods, all firms).
    ids_all : pandas.DataFrame
        ``entity``, ``period`` and optionally ``industry`` of the rows of ``X_all``,
        by position.
    features : sequence of str
        The indicators to show.
    entities : sequence
        The firms to show (e.g. those with a page in the report).
    names : dict of str to str, optional
        Readable name of each feature (default: the feature id).
    min_size : int, default=20
        Smallest industry compared on its own.

    Returns
    -------
    pandas.DataFrame
        ``entity, period, feature, name, value, peer_median``: firms in the order
        given, then features in the order given, then periods in ascending order.
        Empty (with these columns) when ``ids_all`` has no period column.

    Raises
    ------
    DataValidationError
        If a feature is not a column of ``X_all`` or a firm is not in ``ids_all``.

    Examples
    --------
    >>> X = pd.DataFrame({"roa": [0.10, 0.02, 0.05, 0.07]})
    >>> ids = pd.DataFrame({"entity": ["A", "A", "B", "B"], "period": [2022, 2023] * 2})
    >>> history_table(X, ids, ["roa"], ["A"])
      entity  period feature name  value  peer_median
    0      A    2022     roa  roa   0.10        0.075
    1      A    2023     roa  roa   0.02        0.045
    """
    _check_min_size(min_size)
    if len(X_all) != len(ids_all):
        raise ValueError(
            f"X_all and ids_all must have the same rows: {len(X_all)} and {len(ids_all)}."
        )
    unknown = [f for f in features if f not in X_all.columns]
    if unknown:
        raise DataValidationError(
            f"history_table: {len(unknown)} feature(s) not in the data: {preview(unknown)}."
            f"{did_you_mean(str(unknown[0]), [str(c) for c in X_all.columns])}"
        )
    _require_columns(ids_all, ["entity"], "history_table")
    if "period" not in ids_all.columns:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    present = set(ids_all["entity"])
    absent = [e for e in entities if e not in present]
    if absent:
        raise DataValidationError(
            f"history_table: {len(absent)} firm(s) not in the data: {preview(absent)}."
        )
    entity = ids_all["entity"].to_numpy()
    period = ids_all["period"].to_numpy()
    values = X_all[list(features)].astype(float).reset_index(drop=True)
    rows = np.flatnonzero(np.isin(entity, list(entities)))
    medians = values.groupby(period).median().reindex(period[rows]).to_numpy()
    if "industry" in ids_all.columns:
        industry = ids_all["industry"].astype(object).to_numpy()
        keys = [period, industry]
        size = pd.Series(np.ones(len(values)), dtype=float).groupby(keys).transform("size")
        own = (size.to_numpy() >= min_size)[rows]
        if own.any():
            group_median = values.groupby(keys).median()
            wanted = pd.MultiIndex.from_arrays([period[rows][own], industry[rows][own]])
            medians[own] = group_median.reindex(wanted).to_numpy()
    wide_value = values.to_numpy()[rows]
    names = names or {}
    frame = pd.DataFrame(
        {
            "entity": np.repeat(entity[rows], len(features)),
            "period": np.repeat(period[rows], len(features)),
            "feature": np.tile(np.asarray(features, dtype=object), len(rows)),
            "name": np.tile(
                np.asarray([names.get(f, f) for f in features], dtype=object), len(rows)
            ),
            "value": wide_value.ravel(),
            "peer_median": medians.ravel(),
        }
    )
    entity_order = {e: i for i, e in enumerate(entities)}
    feature_order = {f: i for i, f in enumerate(features)}
    frame = frame.assign(
        _e=frame["entity"].map(entity_order), _f=frame["feature"].map(feature_order)
    ).sort_values(["_e", "_f", "period"], kind="stable")
    return frame.drop(columns=["_e", "_f"]).reset_index(drop=True)[HISTORY_COLUMNS]


def migrations(ids_all: pd.DataFrame, levels_all: Any, level_order: Sequence[str]) -> pd.DataFrame:
    """Each firm's latest warning level against its previous period's level.

    Parameters
    ----------
    ids_all : pandas.DataFrame
        ``entity`` and ``period`` of every scored firm-period.
    levels_all : array-like of str
        Warning level of each row of ``ids_all``, by position.
    level_order : sequence of str
        The levels, lowest (least risky) first, e.g. ``("none", "light", ...)``.

    Returns
    -------
    pandas.DataFrame
        ``entity, previous_period, previous_level, period, level, change``, one row per
        firm with at least two periods (its latest and the one before, whether or not
        consecutive), sorted by entity. ``change`` is ``"upgrade"`` (less risky now),
        ``"downgrade"`` (riskier now) or ``"unchanged"``. Firms with one period are left
        out; without a period column the table is empty.

    Raises
    ------
    DataValidationError
        If a firm has two rows for one period.
    ValueError
        If a level is not in ``level_order``.

    Examples
    --------
    >>> ids = pd.DataFrame({"entity": ["A", "A", "B", "B", "C"],
    ...                     "period": [2022, 2023, 2022, 2023, 2023]})
    >>> levels = ["light", "heavy", "moderate", "none", "none"]
    >>> migrations(ids, levels, ["none", "light", "moderate", "heavy"])
      entity  previous_period previous_level  period  level     change
    0      A             2022          light    2023  heavy  downgrade
    1      B             2022       moderate    2023   none    upgrade
    """
    _require_columns(ids_all, ["entity"], "migrations")
    levels = _values(levels_all, len(ids_all), "levels_all")
    rank = {str(level): i for i, level in enumerate(level_order)}
    unknown = sorted({str(v) for v in levels} - set(rank))
    if unknown:
        raise ValueError(
            f"migrations: level(s) {preview(unknown)} not in level_order "
            f"({', '.join(rank)}).{did_you_mean(unknown[0], list(rank))}"
        )
    if "period" not in ids_all.columns:
        return pd.DataFrame(columns=MIGRATION_COLUMNS)
    frame = pd.DataFrame(
        {
            "entity": ids_all["entity"].to_numpy(),
            "period": ids_all["period"].to_numpy(),
            "level": levels,
        }
    )
    repeated = frame.duplicated(["entity", "period"], keep=False)
    if repeated.any():
        pairs = frame.loc[repeated, ["entity", "period"]].drop_duplicates()
        shown = [f"{e} {p}" for e, p in pairs.itertuples(index=False)]
        raise DataValidationError(
            f"migrations: {len(pairs)} firm-period(s) have more than one row: "
            f"{preview(shown)}. Keep one row per firm and period."
        )
    frame = frame.dropna(subset=["period"]).sort_values(["entity", "period"], kind="stable")
    last = frame.groupby("entity", sort=True).tail(2)
    counts = last.groupby("entity")["period"].transform("size")
    last = last[counts == 2]
    previous = last.groupby("entity", sort=True).head(1).set_index("entity")
    latest = last.groupby("entity", sort=True).tail(1).set_index("entity")
    out = pd.DataFrame(
        {
            "entity": latest.index.to_numpy(),
            "previous_period": previous["period"].to_numpy(),
            "previous_level": previous["level"].to_numpy(),
            "period": latest["period"].to_numpy(),
            "level": latest["level"].to_numpy(),
        }
    )
    before = out["previous_level"].map(rank)
    now = out["level"].map(rank)
    out["change"] = np.select([now < before, now > before], ["upgrade", "downgrade"], "unchanged")
    return out[MIGRATION_COLUMNS]
