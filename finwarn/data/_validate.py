"""Turn a raw table into finwarn's canonical firm-period table, quarantining bad rows.

The canonical table has the columns ``entity`` (str), ``period`` (int, optional),
``industry`` (str, optional), ``label`` (1 distressed / 0 healthy / NaN unknown,
optional) and float feature columns (raw statement items or ratios).

Every input row ends up in exactly one of two places: the accepted table or the
quarantine, which gives per row the file, row number, column, value, reason and
how to fix it. Nothing is silently dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from finwarn._text import did_you_mean, preview
from finwarn.data._mapping import ColumnMapping, load_mapping, raw_items
from finwarn.data._readers import MALFORMED, read_raw
from finwarn.exceptions import DataValidationError

__all__ = ["QUARANTINE_COLUMNS", "LoadResult", "load_data", "validate_frame"]

logger = logging.getLogger(__name__)

QUARANTINE_COLUMNS = [
    "file",
    "row",
    "entity",
    "period",
    "problem",
    "column",
    "value",
    "reason",
    "fix",
]

# Usual names of the id columns, compared after normalisation (lower case, letters and digits).
ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "entity": (
        "entity",
        "entityid",
        "company",
        "companyid",
        "companycode",
        "firm",
        "firmid",
        "firmcode",
        "ticker",
        "stockcode",
        "id",
    ),
    "period": ("period", "year", "fiscalyear", "fyear", "reportyear"),
    "industry": ("industry", "sector", "industrycode", "sectorcode"),
    "label": (
        "label",
        "class",
        "bankrupt",
        "bankruptcy",
        "distress",
        "distressed",
        "default",
        "target",
        "status",
        "st",
    ),
    "text": ("text", "reporttext", "annualreport", "mdna"),
}

# Cell texts that mean "no value" rather than bad text.
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a", "-", "--"})

DISTRESSED_TOKENS = frozenset(
    {
        "1",
        "true",
        "yes",
        "y",
        "distressed",
        "distress",
        "bankrupt",
        "default",
        "defaulted",
        "st",
        "*st",
        "failed",
    }
)
HEALTHY_TOKENS = frozenset(
    {
        "0",
        "false",
        "no",
        "n",
        "healthy",
        "normal",
        "nonbankrupt",
        "non-bankrupt",
        "survived",
        "active",
        "ok",
    }
)

FIX = {
    "missing_entity": "fill in the company id of this row",
    "bad_period": "write the period as a whole number, e.g. the fiscal year 2019",
    "text_in_numeric": "write a plain number ('.' for decimals, no thousands separators) "
    "or leave the cell empty if the value is unknown",
    "infinite": "replace the infinite value with the true amount, or leave the cell empty "
    "if it is unknown",
    "impossible_value": "correct the amount (this item cannot be negative) or leave it empty",
    "unknown_label": "use 1/0, yes/no or true/false, or list your spelling under "
    "'label_values' in a mapping file",
    "duplicate": "remove the repeated row",
    "malformed_row": "give the line as many fields as the header; quote values that contain "
    "the delimiter",
    "conflicting_duplicate": "keep one row per company and period: remove or correct the others",
}


def _norm(name: object) -> str:
    return re.sub(r"[^a-z0-9*]", "", str(name).lower())


@dataclass(frozen=True)
class LoadResult:
    """Outcome of loading one data file.

    Attributes
    ----------
    data : pandas.DataFrame
        The accepted rows in canonical form.
    quarantine : pandas.DataFrame
        One row per rejected input row with the columns ``QUARANTINE_COLUMNS``.
    source : str
        The file read (or a name given to an in-memory frame).
    rows : numpy.ndarray
        For each accepted row, its 1-based row number in the source (1 = first data row).
    features : list of str
        The numeric feature columns of ``data``.
    notes : tuple of str
        What loading decided on the user's behalf (generated ids, ignored text columns,
        renamed columns), for the summary.
    meta : dict
        Facts about the data set known to its loader (e.g. the Polish files'
        ``years_to_outcome``).
    """

    data: pd.DataFrame
    quarantine: pd.DataFrame
    source: str
    rows: np.ndarray
    features: list[str]
    notes: tuple[str, ...] = field(default_factory=tuple)
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def n_read(self) -> int:
        """Rows read from the source."""
        return len(self.data) + len(self.quarantine)

    def has(self, role: str) -> bool:
        """Whether the canonical table has the column ``role`` (e.g. ``"label"``)."""
        return role in self.data.columns

    def table(self) -> pd.DataFrame:
        """Counts of accepted and quarantined rows, by problem."""
        rows = [{"outcome": "accepted", "problem": "", "rows": len(self.data)}]
        if len(self.quarantine):
            counts = self.quarantine["problem"].str.split(" | ", regex=False).explode()
            for problem, n in counts.value_counts().sort_index().items():
                rows.append({"outcome": "quarantined", "problem": problem, "rows": int(n)})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """One sentence: rows read, accepted and quarantined (by problem)."""
        text = (
            f"{self.source}: {self.n_read:,} rows read, {len(self.data):,} accepted, "
            f"{len(self.quarantine):,} quarantined"
        )
        table = self.table()
        bad = table[table["outcome"] == "quarantined"]
        if len(bad):
            parts = ", ".join(
                f"{rows} {str(problem).replace('_', ' ')}"
                for rows, problem in zip(bad["rows"], bad["problem"], strict=True)
            )
            text += f" ({parts})"
        return text + "."


def load_data(
    path: str | Path,
    mapping: ColumnMapping | str | Path | None = None,
    *,
    known_columns: Iterable[str] = (),
) -> LoadResult:
    """Read a data file and validate it into finwarn's canonical firm-period table.

    Parameters
    ----------
    path : str or Path
        CSV, Parquet, Excel, ARFF or (gzip) JSON file.
    mapping : ColumnMapping, path or None
        A column mapping or the path of its YAML file. Without one, the id columns
        are found by their usual names.
    known_columns : iterable of str
        Feature names to recognise in other spellings (``"Total Assets"`` and
        ``"total-assets"`` both become ``total_assets``). Raw statement items are
        always known.

    Returns
    -------
    LoadResult

    Raises
    ------
    DataValidationError
        For problems of the whole file: unreadable, or a mapped column that is not there.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from finwarn.datasets import make_demo_panel
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "panel.csv"
    >>> make_demo_panel(n_firms=20, n_years=3, random_state=0).to_csv(path, index=False)
    >>> result = load_data(path)
    >>> len(result.quarantine), result.has("label")
    (0, True)
    """
    if not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    raw = read_raw(path, sheet=mapping.sheet)
    return validate_frame(raw, source=str(path), mapping=mapping, known_columns=known_columns)


def _resolve_roles(raw: pd.DataFrame, mapping: ColumnMapping, source: str) -> dict[str, str]:
    columns = list(raw.columns)
    roles: dict[str, str] = {}
    for role in ROLE_SYNONYMS:
        given = mapping.role(role)
        if given is not None:
            if given not in columns:
                raise DataValidationError(
                    f"{source}: the mapping{_from(mapping)} says the {role} column is "
                    f"'{given}', but the file has no such column.{did_you_mean(given, columns)} "
                    f"Columns in the file: {preview(columns, 10)}."
                )
            roles[role] = given
    taken = set(roles.values()) | set(mapping.columns.values()) | set(mapping.ignore)
    for role, synonyms in ROLE_SYNONYMS.items():
        if role in roles:
            continue
        for synonym in synonyms:
            hits = [c for c in columns if _norm(c) == synonym and c not in taken]
            if hits:
                roles[role] = hits[0]
                taken.add(hits[0])
                break
    return roles


def _from(mapping: ColumnMapping) -> str:
    return f" ({mapping.source})" if mapping.source else ""


def _rename_features(
    raw: pd.DataFrame,
    mapping: ColumnMapping,
    roles: dict[str, str],
    known: set[str],
    source: str,
    notes: list[str],
) -> dict[str, str]:
    """Map the file's feature columns to finwarn names: {file column: finwarn name}."""
    columns = list(raw.columns)
    for name in mapping.ignore:
        if name not in columns:
            raise DataValidationError(
                f"{source}: the mapping{_from(mapping)} lists '{name}' under 'ignore', but the "
                f"file has no such column.{did_you_mean(name, columns)}"
            )
    rename: dict[str, str] = {}
    for ours, theirs in mapping.columns.items():
        if theirs not in columns:
            raise DataValidationError(
                f"{source}: the mapping{_from(mapping)} maps '{ours}' to column '{theirs}', but "
                f"the file has no such column.{did_you_mean(theirs, columns)}"
            )
        rename[theirs] = ours
    excluded = set(roles.values()) | set(mapping.ignore) | set(rename)
    by_norm = {_norm(k): k for k in sorted(known)}
    auto = []
    for col in columns:
        if col in excluded:
            continue
        target = col if col in known else by_norm.get(_norm(col), col)
        if target != col:
            auto.append(f"{col} -> {target}")
        rename[col] = target
    if auto:
        shown = ", ".join(auto[:8]) + (f" and {len(auto) - 8} more" if len(auto) > 8 else "")
        notes.append(f"columns recognised under finwarn names: {shown}")
    targets = list(rename.values())
    clashes = sorted({t for t in targets if targets.count(t) > 1})
    if clashes:
        sources = [c for c, t in rename.items() if t in clashes]
        raise DataValidationError(
            f"{source}: columns {sources} all map to {clashes}; keep one of them or list the "
            "others under 'ignore' in a mapping file."
        )
    role_clash = sorted(set(targets) & set(ROLE_SYNONYMS))
    if role_clash:
        raise DataValidationError(
            f"{source}: feature column(s) would be named {role_clash}, which are reserved for "
            "ids; rename them in the mapping file."
        )
    return rename


def _as_text(series: pd.Series) -> pd.Series:
    """Cell values as stripped text, with integral floats written without '.0'."""

    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    return series.map(one).astype(object)


def _label_token(value: object) -> str | None:
    """Lower-case text of a label cell, with numbers written as integers ('1.0' -> '1')."""
    if value is None:
        return None
    text = str(value).strip().lower()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _parse_numeric(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (values as float, mask of cells holding text that is not a number)."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float), pd.Series(False, index=series.index)
    if pd.api.types.is_numeric_dtype(series):
        return pd.to_numeric(series, errors="coerce").astype(float), pd.Series(
            False, index=series.index
        )
    text = _as_text(series)
    missing = text.isna() | text.map(lambda v: v is not None and str(v).lower() in MISSING_TOKENS)
    values = pd.to_numeric(text.where(~missing), errors="coerce").astype(float)
    bad = ~missing & values.isna()
    return values, bad


def validate_frame(
    raw: pd.DataFrame,
    *,
    source: str = "<data frame>",
    mapping: ColumnMapping | None = None,
    known_columns: Iterable[str] = (),
) -> LoadResult:
    """Validate an in-memory table (see :func:`load_data`, which reads a file first).

    Rows are numbered by their position in ``raw`` (1 = first row), whatever its index.
    """
    # positions and index labels must coincide below (e.g. a frame after dropna)
    raw = raw.reset_index(drop=True)
    mapping = mapping or ColumnMapping()
    notes: list[str] = []
    malformed = pd.Series(None, index=raw.index, dtype=object)
    if MALFORMED in raw.columns:
        malformed = raw[MALFORMED]
        raw = raw.drop(columns=MALFORMED)
    broken = set(np.flatnonzero(malformed.notna().to_numpy()))
    items = raw_items()
    known = set(items) | set(known_columns)
    roles = _resolve_roles(raw, mapping, source)
    if "period" in roles and "entity" not in roles:
        raise DataValidationError(
            f"{source}: there is a period column ('{roles['period']}') but no company id column. "
            f"Name it in a mapping file (entity: <your column>)."
            f"{did_you_mean('company_id', list(raw.columns))}"
        )
    rename = _rename_features(raw, mapping, roles, known, source, notes)
    problems: list[tuple[int, str, object, str, str]] = []  # (pos, column, value, kind, reason)
    out = pd.DataFrame(index=raw.index)

    def flag(mask: pd.Series, column: str, values: pd.Series, kind: str, reason: str) -> None:
        for pos in np.flatnonzero(mask.to_numpy()):
            if pos in broken:
                continue
            value = values.iloc[pos]
            problems.append((int(pos), column, value, kind, reason.format(value=value)))

    for pos in sorted(broken):
        problems.append((int(pos), "", "", "malformed_row", f"line has {malformed.iloc[pos]}"))

    # entity
    if "entity" in roles:
        col = roles["entity"]
        entity = _as_text(raw[col])
        flag(
            entity.isna() | (entity == ""),
            col,
            raw[col],
            "missing_entity",
            f"company id missing in column '{col}'",
        )
        out["entity"] = entity
    else:
        out["entity"] = [f"row-{i + 1}" for i in range(len(raw))]
        notes.append("no company id column: rows are named row-1, row-2, ... by position")

    if "period" in roles:
        col = roles["period"]
        values, bad = _parse_numeric(raw[col])
        not_int = values.notna() & (values != values.round())
        flag(
            bad | not_int | values.isna() | np.isinf(values.fillna(0)),
            col,
            raw[col],
            "bad_period",
            f"period {{value!r}} in column '{col}' is not a whole number",
        )
        out["period"] = values

    if "industry" in roles:
        industry = _as_text(raw[roles["industry"]])
        out["industry"] = industry.fillna("unknown").replace("", "unknown")

    if "label" in roles:
        col = roles["label"]
        text = _as_text(raw[col])
        lowered = text.map(_label_token)
        distressed = set(DISTRESSED_TOKENS) | {
            str(v).lower() for v in mapping.label_values.get("distressed", [])
        }
        healthy = set(HEALTHY_TOKENS) | {
            str(v).lower() for v in mapping.label_values.get("healthy", [])
        }
        missing = lowered.isna() | lowered.isin(MISSING_TOKENS)
        label = pd.Series(np.nan, index=raw.index)
        label[lowered.isin(distressed)] = 1.0
        label[lowered.isin(healthy) & ~lowered.isin(distressed)] = 0.0
        unknown = ~missing & label.isna()
        flag(
            unknown,
            col,
            raw[col],
            "unknown_label",
            f"label {{value!r}} in column '{col}' is neither distressed nor healthy",
        )
        out["label"] = label

    if "text" in roles:
        out["text"] = _as_text(raw[roles["text"]]).fillna("")

    features: list[str] = []
    explicit = set(mapping.features) if mapping.features is not None else None
    if explicit is not None:
        absent = sorted(explicit - set(rename.values()))
        if absent:
            raise DataValidationError(
                f"{source}: the mapping{_from(mapping)} lists feature(s) {preview(absent)} that "
                f"are not in the file.{did_you_mean(absent[0], list(rename.values()))}"
            )
    for col, name in rename.items():
        if explicit is not None and name not in explicit:
            continue
        values, bad = _parse_numeric(raw[col])
        n_present = int(values.notna().sum() + bad.sum())
        if explicit is None and name not in items and n_present and bad.sum() > 0.5 * n_present:
            example = raw[col][bad].iloc[0]
            notes.append(
                f"column '{col}' holds text (e.g. {example!r}) and is not used as a feature; "
                "list it under 'ignore' in a mapping file to silence this"
            )
            continue
        flag(bad, col, raw[col], "text_in_numeric", f"text {{value!r}} in numeric column '{col}'")
        flag(np.isinf(values), col, raw[col], "infinite", f"infinite value in column '{col}'")
        item = items.get(name)
        if item is not None and item.min is not None:
            flag(
                values < item.min,
                col,
                raw[col],
                "impossible_value",
                f"{name} = {{value}} is negative, which is impossible",
            )
        out[name] = values.where(~np.isinf(values))
        features.append(name)
    if not features:
        raise DataValidationError(
            f"{source}: no numeric feature columns found (columns: "
            f"{preview(list(raw.columns), 10)}). finwarn needs raw statement items or ratios "
            "as numbers."
        )

    rejected = _group_problems(problems)
    ok = ~out.index.isin(list(rejected))
    _find_duplicates(out, ok, roles, features, rejected, raw)

    keep = ~out.index.isin(list(rejected))
    data = out[keep].reset_index(drop=True)
    if "period" in data.columns:
        data["period"] = data["period"].astype("int64")
    quarantine = _quarantine_frame(rejected, out, source)
    result = LoadResult(
        data=data,
        quarantine=quarantine,
        source=source,
        rows=np.flatnonzero(keep) + 1,
        features=features,
        notes=tuple(notes),
    )
    if len(result.data) + len(result.quarantine) != len(raw):  # pragma: no cover - invariant
        raise AssertionError("rows lost during validation")
    logger.info(result.summary())
    for note in notes:
        logger.info("%s: %s", source, note)
    return result


def _group_problems(
    problems: list[tuple[int, str, object, str, str]],
) -> dict[int, list[tuple[str, object, str, str]]]:
    grouped: dict[int, list[tuple[str, object, str, str]]] = {}
    for pos, column, value, kind, reason in problems:
        grouped.setdefault(pos, []).append((column, value, kind, reason))
    return grouped


def _find_duplicates(
    out: pd.DataFrame,
    ok: np.ndarray,
    roles: dict[str, str],
    features: list[str],
    rejected: dict[int, list[tuple[str, object, str, str]]],
    raw: pd.DataFrame,
) -> None:
    if "entity" not in roles:
        return
    keys = ["entity", "period"] if "period" in roles else ["entity"]
    candidates = out[ok]
    dup = candidates.duplicated(keys, keep=False)
    if not dup.any():
        return
    compare = [c for c in candidates.columns if c not in keys]
    key_col = roles["entity"]
    for _, group in candidates[dup].groupby(keys, sort=False):
        positions = list(group.index)
        first = group.iloc[0][compare]
        same = all(
            ((row[compare] == first) | (row[compare].isna() & first.isna())).all()
            for _, row in group.iloc[1:].iterrows()
        )
        where = f"entity {group.iloc[0]['entity']!r}" + (
            f" period {int(group.iloc[0]['period'])}" if "period" in keys else ""
        )
        if same:
            for pos in positions[1:]:
                rejected.setdefault(pos, []).append(
                    (
                        key_col,
                        raw[key_col].iloc[pos],
                        "duplicate",
                        f"{where} repeats row {positions[0] + 1} with identical values",
                    )
                )
        else:
            rows = ", ".join(str(p + 1) for p in positions)
            for pos in positions:
                rejected.setdefault(pos, []).append(
                    (
                        key_col,
                        raw[key_col].iloc[pos],
                        "conflicting_duplicate",
                        f"{where} appears in rows {rows} with different values",
                    )
                )


def _quarantine_frame(
    rejected: dict[int, list[tuple[str, object, str, str]]], out: pd.DataFrame, source: str
) -> pd.DataFrame:
    records = []
    for pos in sorted(rejected):
        entries = rejected[pos]
        period = out["period"].iloc[pos] if "period" in out.columns else np.nan
        records.append(
            {
                "file": Path(source).name,
                "row": pos + 1,
                "entity": out["entity"].iloc[pos],
                "period": None if pd.isna(period) else int(period),
                "problem": " | ".join(e[2] for e in entries),
                "column": " | ".join(e[0] for e in entries),
                "value": " | ".join(_show(e[1]) for e in entries),
                "reason": " | ".join(e[3] for e in entries),
                "fix": " | ".join(dict.fromkeys(FIX[e[2]] for e in entries)),
            }
        )
    return pd.DataFrame.from_records(records, columns=QUARANTINE_COLUMNS)


def _show(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
