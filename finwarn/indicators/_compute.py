"""Compute catalog indicators on a firm-period table, explaining every missing value."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from finwarn.indicators._catalog import IndicatorCatalog, load_catalog
from finwarn.indicators._formula import FrameInputs

__all__ = ["IndicatorResult", "compute_indicators"]

logger = logging.getLogger(__name__)

NOTE_COLUMNS = ("row", "entity", "period", "indicator", "reason")
SKIPPED_COLUMNS = ("indicator", "dimension", "missing_items", "reason")
# Reasons that name a row's entity or period, generalised for the summary table.
_REASON_KINDS = (
    (re.compile(r"^no previous period .* for entity .*$"), "no previous period for the entity"),
    (re.compile(r"^no period before .* for entity .*$"), "no previous period for the entity"),
    (re.compile(r"^(.*) in previous period .*$"), r"\1 in the previous period"),
)
SUMMARY_COLUMNS = (
    "indicator",
    "dimension",
    "direction",
    "status",
    "n_computed",
    "n_nan",
    "top_reason",
    "top_reason_count",
)


@dataclass(frozen=True, eq=False)
class IndicatorResult:
    """Indicators computed on a table, with the reason behind every missing value.

    Attributes
    ----------
    values : DataFrame
        Same index as the input table; one float column per computed indicator,
        in catalog order. NaN where a value cannot be computed; never ``inf``.
    notes : DataFrame
        One row per NaN value with its reason. Columns ``row`` (the input's index
        label), ``entity``, ``period``, ``indicator``, ``reason``.
    skipped : DataFrame
        Indicators not computed at all, with ``indicator``, ``dimension``,
        ``missing_items`` (comma-separated raw items absent from the table) and
        ``reason``.
    dimensions : dict of str to str
        Dimension of each computed indicator.
    directions : dict of str to str
        Direction (``safer``/``riskier``) of each computed indicator.
    """

    values: pd.DataFrame
    notes: pd.DataFrame
    skipped: pd.DataFrame
    dimensions: dict[str, str]
    directions: dict[str, str]

    def table(self) -> pd.DataFrame:
        """A per-indicator summary, computed and skipped indicators alike.

        Columns: ``indicator``, ``dimension``, ``direction``, ``status``
        (``computed``/``skipped``), ``n_computed`` (values present), ``n_nan``
        (values missing), ``top_reason`` (the most frequent reason for a missing
        value, with row-specific details such as the entity left out, or why the
        indicator was skipped) and ``top_reason_count`` (how many rows it explains).

        Examples
        --------
        >>> from finwarn.datasets import make_demo_panel
        >>> result = compute_indicators(make_demo_panel(n_firms=50, n_years=3))
        >>> summary = result.table().set_index("indicator")
        >>> summary.loc["revenue_growth", ["status", "top_reason"]].tolist()
        ['computed', 'no previous period for the entity']
        """
        n_rows = len(self.values)
        top: dict[str, tuple[str, int]] = {}
        if len(self.notes):
            kinds = self.notes["reason"].astype(str)
            for pattern, general in _REASON_KINDS:
                kinds = kinds.str.replace(pattern, general, regex=True)
            counts = (
                pd.DataFrame({"indicator": self.notes["indicator"], "reason": kinds})
                .groupby(["indicator", "reason"], sort=False)
                .size()
                .reset_index(name="n")
                .sort_values("n", ascending=False, kind="stable")
                .drop_duplicates("indicator")
            )
            top = {
                str(ind): (str(reason), int(n))
                for ind, reason, n in zip(
                    counts["indicator"], counts["reason"], counts["n"], strict=True
                )
            }
        rows: list[tuple[object, ...]] = []
        for ind_id, dimension in self.dimensions.items():
            present = int(self.values[ind_id].notna().sum())
            reason, count = top.get(ind_id, (None, 0))
            rows.append(
                (
                    ind_id,
                    dimension,
                    self.directions[ind_id],
                    "computed",
                    present,
                    n_rows - present,
                    reason,
                    count,
                )
            )
        skipped = self.skipped
        for ind_id, dimension, reason in zip(
            skipped["indicator"], skipped["dimension"], skipped["reason"], strict=True
        ):
            rows.append((ind_id, dimension, None, "skipped", 0, n_rows, reason, n_rows))
        return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def compute_indicators(
    table: pd.DataFrame,
    catalog: IndicatorCatalog | str | os.PathLike[str] | None = None,
) -> IndicatorResult:
    """Compute every catalog indicator the table has the raw items for.

    Parameters
    ----------
    table : DataFrame
        A firm-period table: raw item columns named by the ids of
        ``finwarn/data/raw_items.yaml``; ``entity`` and ``period`` columns are needed
        for growth indicators (``prev()``), which match rows by entity and period,
        never by row order. Other columns are ignored.
    catalog : IndicatorCatalog, path or None
        The indicators to compute; the built-in catalog by default, or the path of a
        catalog YAML file.

    Returns
    -------
    IndicatorResult

    Raises
    ------
    DataValidationError
        If ``table`` is not a DataFrame, a raw item column holds text that is not a
        number, or growth indicators meet duplicate entity + period rows.

    Examples
    --------
    >>> from finwarn.datasets import make_demo_panel
    >>> panel = make_demo_panel(n_firms=50, n_years=3, random_state=0)
    >>> result = compute_indicators(panel)
    >>> result.values.shape[0] == len(panel), "current_ratio" in result.values
    (True, True)
    >>> bool(np.isinf(result.values.to_numpy()).any())
    False
    """
    if catalog is None:
        catalog = load_catalog()
    elif isinstance(catalog, str | os.PathLike):
        catalog = load_catalog(catalog)
    elif not isinstance(catalog, IndicatorCatalog):
        raise TypeError(
            f"catalog must be an IndicatorCatalog (see load_catalog()) or the path of a "
            f"catalog file, got {type(catalog).__name__}."
        )
    inputs = FrameInputs(table)
    prev_problem = inputs.prev_unavailable()
    columns: dict[str, np.ndarray] = {}
    note_parts: list[tuple[str, np.ndarray, np.ndarray]] = []
    skipped: list[tuple[str, str, str, str]] = []
    for ind in catalog:
        formula = catalog.formula(ind.id)
        absent = [item for item in sorted(formula.inputs) if item not in table.columns]
        if absent:
            skipped.append(
                (
                    ind.id,
                    ind.dimension,
                    ", ".join(absent),
                    f"raw item(s) {', '.join(absent)} not in the table",
                )
            )
            continue
        if formula.uses_prev and prev_problem is not None:
            skipped.append((ind.id, ind.dimension, "", prev_problem))
            continue
        values, reasons = formula._evaluate(inputs)
        columns[ind.id] = values
        explained = np.flatnonzero(np.isnan(values))
        if explained.size:
            note_parts.append((ind.id, explained, reasons[explained]))

    values_frame = pd.DataFrame(columns, index=table.index, dtype=float)
    computed = list(columns)
    result = IndicatorResult(
        values=values_frame,
        notes=_notes(table, note_parts),
        skipped=pd.DataFrame(skipped, columns=list(SKIPPED_COLUMNS)),
        dimensions={i: catalog.get(i).dimension for i in computed},
        directions={i: catalog.get(i).direction for i in computed},
    )
    n_nan = len(result.notes)
    logger.info(
        "Computed %d of %d indicators on %d rows (%d values missing, each with a reason); "
        "skipped %d%s.",
        len(computed),
        len(catalog),
        len(table),
        n_nan,
        len(skipped),
        f": {', '.join(s[0] for s in skipped)}" if skipped else "",
    )
    return result


def _notes(table: pd.DataFrame, parts: list[tuple[str, np.ndarray, np.ndarray]]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in NOTE_COLUMNS})
    positions = np.concatenate([p[1] for p in parts])
    indicator = np.concatenate([np.full(p[1].size, p[0], dtype=object) for p in parts])
    reason = np.concatenate([p[2] for p in parts])

    def key(column: str) -> np.ndarray:
        if column in table.columns:
            return table[column].to_numpy(dtype=object)[positions]
        return np.full(positions.size, None, dtype=object)

    return pd.DataFrame(
        {
            "row": table.index.to_numpy(dtype=object)[positions],
            "entity": key("entity"),
            "period": key("period"),
            "indicator": indicator,
            "reason": reason,
        }
    )
