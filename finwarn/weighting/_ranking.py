"""Risk ranking (paper 004): by warning level first, then by the dimension scores."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from finwarn._text import did_you_mean, preview
from finwarn.weighting._hierarchy import COMPOSITE

__all__ = ["RiskRanking", "rank_risk"]

#: Column of :meth:`RiskRanking.table` counting the dimensions above the level's median.
ABOVE_MEDIAN = "dimensions_above_median"


@dataclass(frozen=True)
class RiskRanking:
    """Firms ordered from the riskiest (rank 1) to the safest.

    Attributes
    ----------
    ranks : numpy.ndarray of int
        The rank of each firm, in the order the firms were given (1 = riskiest).
    frame : pandas.DataFrame
        In input order: ``entity`` (if ids were given), ``level``, the scores,
        ``dimensions_above_median`` and ``rank``.
    level_order : tuple
        The levels from the safest to the riskiest.
    dimensions : tuple of str
        The score columns counted against the level's median.
    tie_break : tuple of str
        The score columns that order firms with the same level and count.
    """

    ranks: np.ndarray
    frame: pd.DataFrame = field(repr=False)
    level_order: tuple
    dimensions: tuple[str, ...]
    tie_break: tuple[str, ...]

    def table(self) -> pd.DataFrame:
        """The firms in rank order (rank 1 = riskiest), with a fresh 0..n-1 index."""
        return self.frame.sort_values("rank", kind="stable").reset_index(drop=True)


def rank_risk(
    levels,
    scores: pd.DataFrame,
    *,
    level_order: Sequence | None = None,
    ids: Sequence | None = None,
    dimensions: Sequence[str] | None = None,
    tie_break: Sequence[str] | None = None,
) -> RiskRanking:
    """Rank firms by warning level, then by their dimension scores (paper 004).

    Paper 004's rule: "the record measurement level is taken first; when the level
    is the same, the risk values under the dimensions are compared in turn, and the
    records with larger values under two or more dimensions rank first". Compared
    pairwise, "larger on most dimensions" is not transitive (three firms can beat each
    other in a cycle), so it is implemented as follows:

    1. firms are ordered by level, the riskiest level first;
    2. within a level, by the number of ``dimensions`` on which the firm's score is
       above the median score of the firms at that level (more = riskier first); with
       three dimensions, a firm above the median on two or more ranks before a firm
       above it on at most one, which is the paper's "two or more dimensions";
    3. then by the ``tie_break`` columns in turn, larger (riskier) first;
    4. then by input order. A missing score is never above the median and sorts last.

    Parameters
    ----------
    levels : array-like of shape (n_firms,)
        Warning level of each firm: numbers (higher = riskier), text or an ordered
        categorical. No missing values.
    scores : pandas.DataFrame of shape (n_firms, n_scores)
        Risk scores, higher = riskier, e.g. ``EntropyWeighter(output="all")`` with
        pandas output: dimension scores and optionally ``composite``.
    level_order : sequence, optional
        The levels from the safest to the riskiest. Needed for text levels unless
        they are finwarn's default warning levels (``none``, ``light``, ``moderate``,
        ``heavy``) or an ordered categorical; for numbers, the default is their order.
    ids : sequence, optional
        Firm ids, shown as ``entity`` in the table.
    dimensions : sequence of str, optional
        Columns counted against the median; default every column but ``composite``
        and element columns (``dimension__element``).
    tie_break : sequence of str, optional
        Columns compared in turn after the count; default ``composite`` if present,
        else ``dimensions`` in order.

    Returns
    -------
    RiskRanking

    Raises
    ------
    ValueError
        On lengths that differ, a missing level, a level absent from ``level_order``,
        text levels without an order, or unknown columns (with "did you mean").

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"solvency": [0.9, 0.2, 0.8, 0.1],
    ...                        "profitability": [0.7, 0.3, 0.1, 0.9],
    ...                        "cash_flow": [0.8, 0.1, 0.9, 0.2]})
    >>> ranking = rank_risk([2, 2, 2, 3], scores, ids=["a", "b", "c", "d"])
    >>> ranking.table()[["entity", "level", "dimensions_above_median", "rank"]].values.tolist()
    [['d', 3, 0, 1], ['a', 2, 2, 2], ['c', 2, 1, 3], ['b', 2, 0, 4]]
    """
    if not isinstance(scores, pd.DataFrame):
        raise ValueError(
            f"scores must be a pandas DataFrame with one column per dimension, got "
            f"{type(scores).__name__}; e.g. EntropyWeighter(output='all')"
            ".set_output(transform='pandas').fit_transform(X)."
        )
    n = len(scores)
    if isinstance(levels, pd.Series):
        level_values = levels.reset_index(drop=True)
    elif isinstance(levels, pd.Categorical):
        level_values = pd.Series(levels)
    else:
        array = np.asarray(levels)
        if array.ndim != 1:
            raise ValueError(
                f"levels must be one-dimensional (one level per firm), got shape {array.shape}."
            )
        level_values = pd.Series(array.astype(object) if array.dtype.kind == "U" else array)
    if len(level_values) != n:
        raise ValueError(
            f"levels has {len(level_values)} values but scores has {n} rows; give one "
            "level per firm, in the same order."
        )
    if ids is not None and len(ids) != n:
        raise ValueError(
            f"ids has {len(ids)} values but scores has {n} rows; give one id per firm."
        )
    missing_levels = np.flatnonzero(level_values.isna().to_numpy())
    if missing_levels.size:
        raise ValueError(
            f"levels is missing for {missing_levels.size} firm(s), at position(s) "
            f"{preview(missing_levels.tolist())}. Every firm needs a warning level."
        )
    order = _level_order(level_values, level_order)
    position = {level: i for i, level in enumerate(order)}
    unknown = [lv for lv in dict.fromkeys(level_values.tolist()) if lv not in position]
    if unknown:
        raise ValueError(
            f"level(s) {preview(unknown)} are not in level_order {list(order)}."
            f"{did_you_mean(str(unknown[0]), [str(o) for o in order])} Add them to "
            "level_order (from the safest to the riskiest)."
        )
    columns = [str(c) for c in scores.columns]
    if dimensions is None:
        dims = [c for c in columns if c != COMPOSITE and "__" not in c]
    else:
        dims = _check_columns(dimensions, columns, "dimensions")
    if not dims:
        raise ValueError(
            f"scores has no dimension column to compare (columns: {preview(columns)}); "
            "pass dimensions=[...] naming the score columns to compare."
        )
    if tie_break is None:
        ties = [COMPOSITE] if COMPOSITE in columns else list(dims)
    else:
        ties = _check_columns(tie_break, columns, "tie_break")

    frame = scores.copy()
    frame.columns = columns
    frame = frame.reset_index(drop=True).astype(float)
    level_rank = level_values.map(position).to_numpy(dtype=int)
    above = np.zeros(n, dtype=int)
    for level in np.unique(level_rank):
        members = level_rank == level
        block = frame.loc[members, dims].to_numpy()
        with warnings.catch_warnings():
            # a dimension missing for every firm of the level: no firm is above its median
            warnings.simplefilter("ignore", RuntimeWarning)
            median = np.nanmedian(block, axis=0)
        with np.errstate(invalid="ignore"):
            above[members] = (block > median).sum(axis=1)

    # np.lexsort sorts by the last key first; larger = riskier, so keys are negated,
    # and a missing tie-break score becomes +inf, i.e. last
    keys = [np.arange(n)]
    for col in reversed(ties):
        values = -frame[col].to_numpy()
        keys.append(np.where(np.isnan(values), np.inf, values))
    keys += [-above, -level_rank]
    ranks = np.empty(n, dtype=int)
    ranks[np.lexsort(keys)] = np.arange(1, n + 1)

    out = pd.DataFrame({"level": level_values.to_numpy()})
    if ids is not None:
        out.insert(0, "entity", list(ids))
    out = pd.concat([out, frame], axis=1)
    out[ABOVE_MEDIAN] = above
    out["rank"] = ranks
    return RiskRanking(
        ranks=ranks,
        frame=out,
        level_order=tuple(order),
        dimensions=tuple(dims),
        tie_break=tuple(ties),
    )


def _level_order(levels: pd.Series, level_order: Sequence | None) -> list:
    if level_order is not None:
        order = list(level_order)
        if len(set(order)) != len(order):
            raise ValueError(f"level_order repeats a level: {order}. List each level once.")
        return order
    if isinstance(levels.dtype, pd.CategoricalDtype) and levels.cat.ordered:
        return list(levels.cat.categories)
    values = list(dict.fromkeys(levels.tolist()))
    if all(isinstance(v, int | float | np.integer | np.floating) for v in values):
        return sorted(values)
    from finwarn.warning import load_warning_config

    default = list(load_warning_config().levels)
    if all(v in default for v in values):
        return default
    raise ValueError(
        f"levels are text ({preview([str(v) for v in values])}) that are not finwarn's "
        f"default warning levels {default}; pass level_order=[...] from the safest to "
        "the riskiest level."
    )


def _check_columns(names: Sequence[str], columns: list[str], what: str) -> list[str]:
    chosen = [str(c) for c in names]
    for name in chosen:
        if name not in columns:
            raise ValueError(
                f"{what} names '{name}', which is not a column of scores."
                f"{did_you_mean(name, columns)} Columns: {preview(columns)}."
            )
    return chosen
