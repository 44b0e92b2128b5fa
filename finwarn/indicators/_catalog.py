"""The indicator catalog: definitions kept as data in YAML, validated and frozen."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finwarn._text import did_you_mean, preview
from finwarn.exceptions import ConfigError
from finwarn.indicators._formula import Formula, parse_formula, raw_item_ids

__all__ = [
    "DIMENSIONS",
    "DIRECTIONS",
    "Indicator",
    "IndicatorCatalog",
    "catalog_from_records",
    "load_catalog",
]

Dimension = Literal["solvency", "profitability", "operating_capability", "growth", "cash_flow"]
Direction = Literal["safer", "riskier"]

#: The five dimensions of the indicator system, in reporting order.
DIMENSIONS: tuple[str, ...] = get_args(Dimension)
#: ``safer``: a higher value is safer; ``riskier``: a higher value is riskier.
DIRECTIONS: tuple[str, ...] = get_args(Direction)

BUILTIN_SOURCE = "built-in catalog finwarn/indicators/catalog.yaml"
_REQUIRED = ("id", "name", "formula", "dimension", "direction", "meaning")
_DIRECTION_HELP = "Use 'safer' (a higher value is safer) or 'riskier' (a higher value is riskier)."

PathLike = str | os.PathLike[str]
_ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _suggest_id(text: str) -> str:
    cleaned = re.sub(r"\W+", "_", text.strip()).strip("_").lower() or "indicator"
    return cleaned if _ID_PATTERN.fullmatch(cleaned) else f"_{cleaned}"


class Indicator(BaseModel):
    """One indicator definition.

    Parameters
    ----------
    id : str
        Column name of the computed indicator (letters, digits and ``_``).
    name : str
        Short human name.
    formula : str
        Arithmetic over raw item ids; see :func:`~finwarn.indicators.parse_formula`.
    dimension : {'solvency', 'profitability', 'operating_capability', 'growth', 'cash_flow'}
    direction : {'safer', 'riskier'}
        Whether a higher value is safer or riskier.
    meaning : str
        One line a credit analyst understands.
    tags : tuple of str, default ()
        Free labels, e.g. ``altman_z`` for the components of Altman's Z-score.
    source : str, optional
        The file the definition came from.

    Examples
    --------
    >>> Indicator(id="cash_ratio", name="Cash ratio", formula="cash / current_liabilities",
    ...           dimension="solvency", direction="safer",
    ...           meaning="Cash per unit of short-term liabilities.").dimension
    'solvency'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=f"^{_ID_PATTERN.pattern}$")
    name: str = Field(min_length=1)
    formula: str = Field(min_length=1)
    dimension: Dimension
    direction: Direction
    meaning: str = Field(min_length=1)
    tags: tuple[str, ...] = ()
    source: str | None = None


class IndicatorCatalog:
    """An immutable, ordered collection of indicators with compiled formulas.

    Build one with :func:`load_catalog`; derive sub-catalogs with :meth:`select`.

    Parameters
    ----------
    indicators : iterable of Indicator
        Definitions with unique ids; every formula is parsed and checked here.

    Raises
    ------
    ConfigError
        On a duplicate id or an invalid formula.

    Examples
    --------
    >>> catalog = load_catalog()
    >>> "current_ratio" in catalog, catalog.get("current_ratio").dimension
    (True, 'solvency')
    >>> catalog.select(tags=["altman_z"]).ids
    ('working_capital_to_assets', 'market_equity_to_liabilities', \
'retained_earnings_to_assets', 'ebit_to_assets', 'asset_turnover')
    """

    __slots__ = ("_formulas", "_indicators")
    _formulas: dict[str, Formula]
    _indicators: tuple[Indicator, ...]

    def __init__(self, indicators: Iterable[Indicator]) -> None:
        items = tuple(indicators)
        seen: dict[str, Indicator] = {}
        for ind in items:
            if not isinstance(ind, Indicator):
                raise TypeError(
                    f"IndicatorCatalog takes Indicator objects, got {type(ind).__name__}. "
                    "Load definitions from YAML with load_catalog()."
                )
            if ind.id in seen:
                raise ConfigError(
                    f"indicator '{ind.id}' is defined twice ({_source(seen[ind.id])} and "
                    f"{_source(ind)}). Give one of them another id."
                )
            seen[ind.id] = ind
        formulas = {
            ind.id: parse_formula(
                ind.formula, known_items=raw_item_ids(), indicator_id=ind.id, source=_source(ind)
            )
            for ind in items
        }
        object.__setattr__(self, "_indicators", items)
        object.__setattr__(self, "_formulas", formulas)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            "IndicatorCatalog is immutable; build a new one with select() or "
            "load_catalog(extend=...)."
        )

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self._indicators)

    def __len__(self) -> int:
        return len(self._indicators)

    def __contains__(self, indicator_id: object) -> bool:
        return indicator_id in self._formulas

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IndicatorCatalog):
            return NotImplemented
        return self._indicators == other._indicators

    def __hash__(self) -> int:
        return hash(self._indicators)

    def __repr__(self) -> str:
        counts = ", ".join(f"{dim}={len(ids)}" for dim, ids in self.by_dimension().items())
        return f"IndicatorCatalog({len(self)} indicators: {counts})"

    @property
    def ids(self) -> tuple[str, ...]:
        """Indicator ids in catalog order."""
        return tuple(ind.id for ind in self._indicators)

    @property
    def dimensions(self) -> dict[str, str]:
        """Dimension of each indicator, by id."""
        return {ind.id: ind.dimension for ind in self._indicators}

    @property
    def directions(self) -> dict[str, str]:
        """Direction (``safer``/``riskier``) of each indicator, by id."""
        return {ind.id: ind.direction for ind in self._indicators}

    def get(self, indicator_id: str) -> Indicator:
        """The indicator with id ``indicator_id``.

        Raises
        ------
        ConfigError
            If there is no such indicator (with a "did you mean" suggestion).
        """
        for ind in self._indicators:
            if ind.id == indicator_id:
                return ind
        raise ConfigError(
            f"the catalog has no indicator '{indicator_id}'."
            f"{did_you_mean(indicator_id, self.ids)} Known indicators: {preview(self.ids)}."
        )

    def formula(self, indicator_id: str) -> Formula:
        """The parsed formula of indicator ``indicator_id``."""
        self.get(indicator_id)
        return self._formulas[indicator_id]

    def by_dimension(self) -> dict[str, list[str]]:
        """Indicator ids grouped by dimension, every dimension present, in order.

        Examples
        --------
        >>> groups = load_catalog().by_dimension()
        >>> list(groups)
        ['solvency', 'profitability', 'operating_capability', 'growth', 'cash_flow']
        >>> groups["growth"][:2]
        ['revenue_growth', 'asset_growth']
        """
        groups: dict[str, list[str]] = {dim: [] for dim in DIMENSIONS}
        for ind in self._indicators:
            groups[ind.dimension].append(ind.id)
        return groups

    def select(
        self,
        ids: Iterable[str] | None = None,
        *,
        dimensions: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
    ) -> IndicatorCatalog:
        """A new catalog with the indicators that pass every filter given.

        Parameters
        ----------
        ids : iterable of str, optional
            Keep these ids (each must exist).
        dimensions : iterable of str, optional
            Keep indicators of these dimensions.
        tags : iterable of str, optional
            Keep indicators carrying at least one of these tags.
        """
        keep = list(self._indicators)
        if ids is not None:
            wanted = [self.get(i).id for i in ids]
            keep = [ind for ind in keep if ind.id in wanted]
        if dimensions is not None:
            dims = list(dimensions)
            for dim in dims:
                if dim not in DIMENSIONS:
                    raise ConfigError(
                        f"unknown dimension '{dim}'.{did_you_mean(dim, DIMENSIONS)} "
                        f"Use one of: {', '.join(DIMENSIONS)}."
                    )
            keep = [ind for ind in keep if ind.dimension in dims]
        if tags is not None:
            tag_set = set(tags)
            keep = [ind for ind in keep if tag_set & set(ind.tags)]
        return IndicatorCatalog(keep)

    def records(self) -> list[dict[str, Any]]:
        """The definitions as JSON-ready dicts, e.g. to store with a trained model.

        :func:`catalog_from_records` turns them back into a catalog.

        Examples
        --------
        >>> records = load_catalog().select(["roa"]).records()
        >>> records[0]["formula"], catalog_from_records(records).ids
        ('net_income / total_assets', ('roa',))
        """
        return [ind.model_dump(mode="json") for ind in self._indicators]

    def table(self) -> pd.DataFrame:
        """The definitions as a tidy DataFrame, one row per indicator.

        Columns: ``id``, ``name``, ``dimension``, ``direction``, ``formula``,
        ``meaning``, ``tags`` (comma-separated) and ``source``.

        Examples
        --------
        >>> load_catalog().table().loc[0, ["id", "formula"]].tolist()
        ['current_ratio', 'current_assets / current_liabilities']
        """
        columns = ["id", "name", "dimension", "direction", "formula", "meaning", "tags", "source"]
        rows = [
            {**ind.model_dump(include=set(columns) - {"tags"}), "tags": ", ".join(ind.tags)}
            for ind in self._indicators
        ]
        return pd.DataFrame(rows, columns=columns)


def _source(ind: Indicator) -> str:
    return ind.source or "an in-memory definition"


# --------------------------------------------------------------------------- loading


def load_catalog(
    path: PathLike | None = None,
    *,
    extend: PathLike | Sequence[PathLike] | None = None,
) -> IndicatorCatalog:
    """Load an indicator catalog from YAML.

    Parameters
    ----------
    path : str or path-like, optional
        A catalog file to use instead of the built-in one
        (``finwarn/indicators/catalog.yaml``).
    extend : str, path-like or sequence of them, optional
        Files whose indicators are added after those of ``path``. An indicator
        whose id is already defined replaces it only if it says ``replace: true``.

    Returns
    -------
    IndicatorCatalog

    Raises
    ------
    ConfigError
        If a file is missing or not YAML, or an indicator has a missing or unknown
        field, an unknown dimension or direction, a duplicate id or a bad formula.
        The message names the file and the indicator id.

    Examples
    --------
    A user file adding one indicator::

        indicators:
          - id: net_debt_to_assets
            name: Net debt / total assets
            formula: (long_term_debt - cash) / total_assets
            dimension: solvency
            direction: riskier
            meaning: Debt not covered by cash, relative to the size of the firm.

    >>> catalog = load_catalog()
    >>> len(catalog) >= 30, sorted(set(catalog.dimensions.values())) == sorted(DIMENSIONS)
    (True, True)
    """
    if path is None and extend is None:
        return _builtin_catalog()
    if path is None:
        indicators = list(_builtin_catalog())
    else:
        indicators = [ind for ind, _ in _read_file(Path(path), str(path), allow_replace=False)]
    by_id = {ind.id: n for n, ind in enumerate(indicators)}
    for ext in _as_paths(extend):
        for ind, replace in _read_file(ext, str(ext), allow_replace=True):
            if ind.id in by_id:
                if not replace:
                    raise ConfigError(
                        f"{ext}: indicator '{ind.id}' is already defined in "
                        f"{_source(indicators[by_id[ind.id]])}. Give it another id, or add "
                        "'replace: true' to the entry to replace the existing definition."
                    )
                indicators[by_id[ind.id]] = ind
            else:
                if replace:
                    known = list(by_id)
                    raise ConfigError(
                        f"{ext}: indicator '{ind.id}' says 'replace: true' but there is no "
                        f"indicator '{ind.id}' to replace.{did_you_mean(ind.id, known)} Fix the "
                        "id, or remove 'replace: true' to add it as a new indicator."
                    )
                by_id[ind.id] = len(indicators)
                indicators.append(ind)
    return IndicatorCatalog(indicators)


def catalog_from_records(
    records: Iterable[Mapping[str, Any]], *, source: str = "saved indicator definitions"
) -> IndicatorCatalog:
    """Rebuild a catalog from :meth:`IndicatorCatalog.records` output.

    Parameters
    ----------
    records : iterable of mapping
        One mapping per indicator with the fields of :class:`Indicator`.
    source : str, default "saved indicator definitions"
        Where the records come from, named in errors.

    Raises
    ------
    ConfigError
        If a record is invalid, with the same checks and messages as a YAML file.
    """
    indicators = []
    for position, record in enumerate(records, start=1):
        entry = dict(record) if isinstance(record, Mapping) else record
        origin = entry.pop("source", None) if isinstance(entry, dict) else None
        ind, _ = _parse_entry(entry, position, source, origin or source, allow_replace=False)
        indicators.append(ind)
    return IndicatorCatalog(indicators)


@lru_cache(maxsize=1)
def _builtin_catalog() -> IndicatorCatalog:
    resource = resources.files("finwarn.indicators").joinpath("catalog.yaml")
    entries = _read_text(resource.read_text("utf-8"), BUILTIN_SOURCE, BUILTIN_SOURCE)
    return IndicatorCatalog(ind for ind, _ in entries)


def _as_paths(extend: PathLike | Sequence[PathLike] | None) -> list[Path]:
    if extend is None:
        return []
    if isinstance(extend, str | os.PathLike):
        return [Path(extend)]
    return [Path(p) for p in extend]


def _read_file(path: Path, label: str, *, allow_replace: bool) -> list[tuple[Indicator, bool]]:
    if not path.is_file():
        raise ConfigError(
            f"{label}: catalog file not found. Check the path (relative paths start from "
            f"the current directory, {Path.cwd()})."
        )
    return _read_text(path.read_text(encoding="utf-8"), label, label, allow_replace=allow_replace)


def _read_text(
    text: str, label: str, source: str, *, allow_replace: bool = False
) -> list[tuple[Indicator, bool]]:
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: not valid YAML ({exc}).") from exc
    entries = content.get("indicators") if isinstance(content, dict) else content
    if isinstance(content, dict) and set(content) - {"indicators"}:
        extra = sorted(map(str, set(content) - {"indicators"}))
        raise ConfigError(
            f"{label}: unknown top-level key(s) {preview(extra)}."
            f"{did_you_mean(extra[0], ['indicators'])} A catalog file holds one key, "
            "'indicators:', with a list of indicators."
        )
    if not isinstance(entries, list) or not entries:
        raise ConfigError(
            f"{label}: expected a list of indicators under the key 'indicators:'; "
            f"found {type(entries).__name__ if entries is not None else 'nothing'}."
        )
    out: list[tuple[Indicator, bool]] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        ind, replace = _parse_entry(entry, position, label, source, allow_replace)
        if ind.id in seen:
            raise ConfigError(
                f"{label}: indicator '{ind.id}' is defined more than once. Remove or rename "
                "the repeated entry."
            )
        seen.add(ind.id)
        out.append((ind, replace))
    return out


def _parse_entry(
    entry: Any, position: int, label: str, source: str, allow_replace: bool
) -> tuple[Indicator, bool]:
    if not isinstance(entry, Mapping):
        raise ConfigError(
            f"{label}: indicator number {position} is not a mapping of fields (found "
            f"{entry!r}). Write it as '- id: ...' followed by name, formula, dimension, "
            "direction and meaning."
        )
    entry = dict(entry)
    ident = entry.get("id")
    if not isinstance(ident, str) or not ident:
        raise ConfigError(
            f"{label}: indicator number {position} has no 'id'. Give every indicator an id "
            "(letters, digits and _), used as its column name."
        )
    where = f"{label}: indicator '{ident}'"
    if not _ID_PATTERN.fullmatch(ident):
        raise ConfigError(
            f"{where}: an id must start with a letter or _ and hold only letters, digits "
            f"and _, because it becomes a column name; e.g. '{_suggest_id(ident)}'."
        )
    replace = entry.pop("replace", False)
    if not isinstance(replace, bool):
        raise ConfigError(f"{where}: 'replace' must be true or false, got {replace!r}.")
    if replace and not allow_replace:
        raise ConfigError(
            f"{where} says 'replace: true', which only has a meaning in a file given to "
            "load_catalog(extend=...). Remove it."
        )
    allowed = [f for f in Indicator.model_fields if f != "source"]
    for key in entry:
        if key not in allowed:
            raise ConfigError(
                f"{where} has unknown field '{key}'.{did_you_mean(str(key), allowed)} "
                f"Allowed fields: {', '.join(allowed)}, replace."
            )
    missing = [f for f in _REQUIRED if entry.get(f) in (None, "")]
    if missing:
        raise ConfigError(
            f"{where} is missing the field(s) {', '.join(missing)}. Every indicator needs "
            f"{', '.join(_REQUIRED)}."
        )
    dimension = entry["dimension"]
    if dimension not in DIMENSIONS:
        raise ConfigError(
            f"{where} has unknown dimension '{dimension}'."
            f"{did_you_mean(str(dimension), DIMENSIONS)} Use one of: {', '.join(DIMENSIONS)}."
        )
    if entry["direction"] not in DIRECTIONS:
        raise ConfigError(
            f"{where} has unknown direction '{entry['direction']}'. {_DIRECTION_HELP}"
        )
    if isinstance(entry.get("tags"), str):
        raise ConfigError(f"{where}: 'tags' must be a list, e.g. tags: [{entry['tags']}].")
    try:
        ind = Indicator(**entry, source=source)
    except ValidationError as exc:
        problems = "; ".join(
            f"field '{'.'.join(str(p) for p in err['loc'])}': {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{where}: {problems}.") from exc
    parse_formula(ind.formula, known_items=raw_item_ids(), indicator_id=ind.id, source=label)
    return ind, replace
