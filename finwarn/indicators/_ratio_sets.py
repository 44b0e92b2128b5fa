"""Ratio sets: the meaning and dimension of pre-computed ratio columns.

The public bankruptcy data sets ship ratios, not raw statements (the Polish data's
``Attr1``..``Attr64``, the Taiwan subset's ``F05``..``F96``). A ratio set names what
each column is, which dimension it belongs to and whether a higher value is safer.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finwarn._text import did_you_mean, preview
from finwarn.exceptions import ConfigError
from finwarn.indicators._catalog import IndicatorCatalog, load_catalog

__all__ = [
    "RATIO_DIMENSIONS",
    "RATIO_SETS",
    "RatioDefinition",
    "RatioSet",
    "assign_dimensions",
    "describe_columns",
    "load_ratio_set",
]

RatioDimension = Literal[
    "solvency", "profitability", "operating_capability", "growth", "cash_flow", "other"
]
RatioDirection = Literal["safer", "riskier", "unknown"]

#: The five indicator dimensions plus ``other`` (e.g. size) for ratios none fits.
RATIO_DIMENSIONS: tuple[str, ...] = get_args(RatioDimension)
_RATIO_DIRECTIONS: tuple[str, ...] = get_args(RatioDirection)
#: Names of the built-in ratio sets.
RATIO_SETS: tuple[str, ...] = ("polish", "taiwan")
_BUILTIN = RATIO_SETS
_FIELDS = ("id", "name", "dimension", "direction")


class RatioDefinition(BaseModel):
    """What one pre-computed ratio column means.

    Parameters
    ----------
    id : str
        Column name in the data set (``Attr1``).
    name : str
        The published meaning (``net profit / total assets``).
    dimension : {'solvency', 'profitability', 'operating_capability', 'growth', \
'cash_flow', 'other'}
    direction : {'safer', 'riskier', 'unknown'}
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    dimension: RatioDimension
    direction: RatioDirection


class RatioSet:
    """The definitions of one data set's pre-computed ratio columns.

    Build one with :func:`load_ratio_set`.

    Attributes
    ----------
    name : str
        Short name (``polish``).
    description : str
        What the data set is and where it comes from.

    Examples
    --------
    >>> polish = load_ratio_set("polish")
    >>> len(polish), polish.dimensions["Attr1"], polish.get("Attr1").name
    (64, 'profitability', 'net profit / total assets')
    """

    __slots__ = ("_definitions", "description", "name")

    def __init__(self, name: str, definitions: Iterable[RatioDefinition], description: str = ""):
        self.name = name
        self.description = description
        self._definitions = tuple(definitions)

    def __iter__(self) -> Iterator[RatioDefinition]:
        return iter(self._definitions)

    def __len__(self) -> int:
        return len(self._definitions)

    def __contains__(self, column: object) -> bool:
        return any(d.id == column for d in self._definitions)

    def __repr__(self) -> str:
        return f"RatioSet({self.name!r}, {len(self)} ratios)"

    @property
    def ids(self) -> tuple[str, ...]:
        """Column names, in file order."""
        return tuple(d.id for d in self._definitions)

    @property
    def dimensions(self) -> dict[str, str]:
        """Dimension of each column."""
        return {d.id: d.dimension for d in self._definitions}

    @property
    def directions(self) -> dict[str, str]:
        """Direction (``safer``/``riskier``/``unknown``) of each column."""
        return {d.id: d.direction for d in self._definitions}

    def get(self, column: str) -> RatioDefinition:
        """The definition of ``column``.

        Raises
        ------
        ConfigError
            If the set has no such column.
        """
        for d in self._definitions:
            if d.id == column:
                return d
        raise ConfigError(
            f"ratio set '{self.name}' has no column '{column}'."
            f"{did_you_mean(column, self.ids)} Its columns: {preview(self.ids)}."
        )

    def table(self) -> pd.DataFrame:
        """The definitions as a tidy DataFrame: ``id``, ``name``, ``dimension``, ``direction``.

        Examples
        --------
        >>> load_ratio_set("taiwan").table().head(2)["name"].tolist()
        ['Operating Gross Margin', 'Realized Sales Gross Margin']
        """
        return pd.DataFrame([d.model_dump() for d in self._definitions], columns=list(_FIELDS))


def load_ratio_set(name: str | os.PathLike[str]) -> RatioSet:
    """Load a built-in ratio set by name, or a user's ratio-set YAML file by path.

    Parameters
    ----------
    name : str or path-like
        ``"polish"`` (UCI Polish bankruptcy data, ``Attr1``..``Attr64``), ``"taiwan"``
        (the 22-column Taiwan subset), or the path of a YAML file in the same format
        (keys ``name``, ``description``, ``ratios``: a list of ``id``, ``name``,
        ``dimension``, ``direction``).

    Returns
    -------
    RatioSet

    Raises
    ------
    ConfigError
        For an unknown name or an invalid file (naming the file and the column).

    Examples
    --------
    >>> load_ratio_set("taiwan").dimensions["F96"]
    'solvency'
    """
    if isinstance(name, str) and name in _BUILTIN:
        return _builtin(name)
    path = Path(name)
    if path.suffix.lower() in {".yaml", ".yml"} or path.is_file():
        if not path.is_file():
            raise ConfigError(f"{path}: ratio-set file not found. Check the path.")
        return _parse(path.read_text(encoding="utf-8"), str(path))
    raise ConfigError(
        f"unknown ratio set '{name}'.{did_you_mean(str(name), _BUILTIN)} Built-in ratio "
        f"sets: {', '.join(_BUILTIN)}; or give the path of a ratio-set YAML file."
    )


@lru_cache(maxsize=len(_BUILTIN))
def _builtin(name: str) -> RatioSet:
    resource = resources.files("finwarn.indicators").joinpath("ratio_sets", f"{name}.yaml")
    return _parse(resource.read_text("utf-8"), f"finwarn/indicators/ratio_sets/{name}.yaml")


def _parse(text: str, label: str) -> RatioSet:
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: not valid YAML ({exc}).") from exc
    if not isinstance(content, dict) or not isinstance(content.get("ratios"), list):
        raise ConfigError(
            f"{label}: a ratio-set file holds 'name:', 'description:' and 'ratios:', a list "
            "of entries with id, name, dimension and direction."
        )
    definitions: list[RatioDefinition] = []
    seen: set[str] = set()
    for position, entry in enumerate(content["ratios"], start=1):
        definition = _parse_entry(entry, position, label)
        if definition.id in seen:
            raise ConfigError(
                f"{label}: column '{definition.id}' is defined more than once. Remove the "
                "repeated entry."
            )
        seen.add(definition.id)
        definitions.append(definition)
    name = str(content.get("name") or Path(label).stem)
    return RatioSet(name, definitions, str(content.get("description") or "").strip())


def _parse_entry(entry: Any, position: int, label: str) -> RatioDefinition:
    if not isinstance(entry, Mapping) or not entry.get("id"):
        raise ConfigError(
            f"{label}: ratio number {position} needs at least an 'id' (the column name); "
            f"found {entry!r}."
        )
    where = f"{label}: ratio '{entry['id']}'"
    for key in entry:
        if key not in _FIELDS:
            raise ConfigError(
                f"{where} has unknown field '{key}'.{did_you_mean(str(key), _FIELDS)} "
                f"Allowed fields: {', '.join(_FIELDS)}."
            )
    missing = [f for f in _FIELDS if entry.get(f) in (None, "")]
    if missing:
        raise ConfigError(f"{where} is missing the field(s) {', '.join(missing)}.")
    if entry["dimension"] not in RATIO_DIMENSIONS:
        raise ConfigError(
            f"{where} has unknown dimension '{entry['dimension']}'."
            f"{did_you_mean(str(entry['dimension']), RATIO_DIMENSIONS)} Use one of: "
            f"{', '.join(RATIO_DIMENSIONS)}."
        )
    if entry["direction"] not in _RATIO_DIRECTIONS:
        raise ConfigError(
            f"{where} has unknown direction '{entry['direction']}'. Use 'safer', 'riskier' "
            "or 'unknown'."
        )
    try:
        return RatioDefinition.model_validate({**entry, "id": str(entry["id"])})
    except ValidationError as exc:  # pragma: no cover - the checks above catch the usual slips
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{where}: {problems}.") from exc


# --------------------------------------------------------------------------- lookup


def _normalise(column: str) -> str:
    return "".join(ch for ch in column.lower() if ch.isalnum())


def describe_columns(
    columns: Iterable[str], *, catalog: IndicatorCatalog | None = None
) -> pd.DataFrame:
    """Say what each column is: catalog indicator, built-in ratio, or unknown.

    Columns are matched exactly first, then ignoring case, ``_``, ``-`` and spaces
    (so the Polish JSON copy's ``Attr_1`` is recognised as ``Attr1``).

    Parameters
    ----------
    columns : iterable of str
        Column names, e.g. ``table.columns``.
    catalog : IndicatorCatalog, optional
        Indicators to recognise; the built-in catalog by default.

    Returns
    -------
    DataFrame
        One row per column: ``column``, ``source`` (``catalog``, a ratio-set name or
        ``None``), ``name``, ``dimension`` (``other`` if unknown) and ``direction``
        (``unknown`` if unknown).

    Examples
    --------
    >>> table = describe_columns(["roa", "Attr_2", "size"])
    >>> table["source"].tolist(), table["dimension"].tolist()
    (['catalog', 'polish', None], ['profitability', 'solvency', 'other'])
    """
    catalog = load_catalog() if catalog is None else catalog
    known: dict[str, tuple[str, str, str, str]] = {}
    for ind in catalog:
        known.setdefault(ind.id, ("catalog", ind.name, ind.dimension, ind.direction))
    for set_name in _BUILTIN:
        for d in _builtin(set_name):
            known.setdefault(d.id, (set_name, d.name, d.dimension, d.direction))
    loose: dict[str, tuple[str, str, str, str]] = {}
    for key, value in known.items():
        loose.setdefault(_normalise(key), value)
    rows = []
    for column in columns:
        column = str(column)
        hit = known.get(column) or loose.get(_normalise(column))
        source, name, dimension, direction = hit or (None, None, "other", "unknown")
        rows.append((column, source, name, dimension, direction))
    return pd.DataFrame(rows, columns=["column", "source", "name", "dimension", "direction"])


def assign_dimensions(
    columns: Iterable[str], *, catalog: IndicatorCatalog | None = None
) -> dict[str, str]:
    """Map each column to its dimension; ``other`` for columns finwarn does not know.

    Recognises catalog indicator ids and the columns of every built-in ratio set
    (see :func:`describe_columns` for the matching rules).

    Examples
    --------
    >>> assign_dimensions(["current_ratio", "Attr21", "F14", "employees"])
    {'current_ratio': 'solvency', 'Attr21': 'growth', 'F14': 'cash_flow', 'employees': 'other'}
    """
    described = describe_columns(columns, catalog=catalog)
    return dict(zip(described["column"], described["dimension"], strict=True))
