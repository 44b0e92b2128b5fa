"""Indicator hierarchies: risk dimension -> first-level element -> second-level indicators.

A hierarchy is data (YAML), validated once and frozen. Paper 004 measures risk on
two levels of "risk measurement elements" under several risk dimensions; the
second-level elements are the indicators (columns of the data), each with a
direction, and the first-level elements group them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from finwarn._text import did_you_mean, preview
from finwarn.exceptions import ConfigError

__all__ = [
    "HIERARCHIES",
    "RISK_DIRECTIONS",
    "Element",
    "Hierarchy",
    "HierarchyIndicator",
    "RiskDimension",
    "default_hierarchy",
    "load_hierarchy",
]

logger = logging.getLogger(__name__)

RiskDirection = Literal["riskier", "safer"]
#: ``riskier``: a higher value is riskier; ``safer``: a higher value is safer.
RISK_DIRECTIONS: tuple[str, ...] = get_args(RiskDirection)
#: Names of the built-in hierarchies (``finwarn/weighting/hierarchies/<name>.yaml``).
HIERARCHIES: tuple[str, ...] = ("catalog", "polish", "taiwan")

#: Output name of the composite index; no dimension may be called so.
COMPOSITE = "composite"
#: Separator of dimension and element in the feature names of first-level elements.
SEP = "__"

PathLike = str | os.PathLike[str]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOP_KEYS = ("name", "description", "dimensions")
_DIMENSION_KEYS = ("meaning", "elements")
_ELEMENT_KEYS = ("meaning", "indicators")
_DIRECTION_HELP = "Use 'riskier' (a higher value is riskier) or 'safer' (a higher value is safer)."


class HierarchyIndicator(BaseModel):
    """A second-level element: one indicator column and its direction.

    Parameters
    ----------
    id : str
        Column name in the data.
    direction : {'riskier', 'safer'}
        ``riskier`` if a higher value means more risk, ``safer`` if less.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    direction: RiskDirection


class Element(BaseModel):
    """A first-level element: a named group of indicators measuring one aspect of risk.

    Parameters
    ----------
    name : str
        Identifier (letters, digits and single ``_``), unique in the hierarchy.
    meaning : str, default ""
        One line an analyst understands.
    indicators : tuple of HierarchyIndicator
        At least one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    meaning: str = ""
    indicators: tuple[HierarchyIndicator, ...] = Field(min_length=1)


class RiskDimension(BaseModel):
    """A risk dimension and its first-level elements.

    Parameters
    ----------
    name : str
        Identifier (letters, digits and single ``_``), not ``composite``.
    meaning : str, default ""
        One line an analyst understands.
    elements : tuple of Element
        At least one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    meaning: str = ""
    elements: tuple[Element, ...] = Field(min_length=1)


class Hierarchy(BaseModel):
    """A two-level indicator hierarchy under risk dimensions (paper 004), frozen.

    Build one with :func:`load_hierarchy` (a built-in name or a YAML file) or
    :meth:`from_dict`. A file looks like::

        name: mine
        description: What the hierarchy is for.
        dimensions:
          solvency:
            meaning: Ability to pay debts.
            elements:
              liquidity:
                meaning: Short-term debt-paying ability.
                indicators:
                  current_ratio: safer
                  quick_ratio: safer
              leverage:
                indicators:
                  debt_ratio: riskier

    Parameters
    ----------
    name : str
        Short name.
    description : str, default ""
        What the hierarchy covers.
    source : str, optional
        The file it came from, named in messages.
    tree : tuple of RiskDimension
        The dimensions in reporting order.

    Examples
    --------
    >>> h = Hierarchy.from_dict({"dimensions": {"solvency": {"elements": {
    ...     "liquidity": {"indicators": {"current_ratio": "safer", "quick_ratio": "safer"}},
    ...     "leverage": {"indicators": {"debt_ratio": "riskier"}}}}}})
    >>> h.dimensions, h.elements["leverage"], h.indicators["quick_ratio"]
    (('solvency',), 'solvency', 'liquidity')
    >>> h.restrict(["current_ratio", "debt_ratio"]).indicators
    {'current_ratio': 'liquidity', 'debt_ratio': 'leverage'}
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "custom"
    description: str = ""
    source: str | None = None
    tree: tuple[RiskDimension, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_structure(self) -> Hierarchy:
        problem = _structure_problem(self.tree)
        if problem:
            raise ValueError(problem)
        return self

    # ------------------------------------------------------------------ views

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Dimension names, in reporting order."""
        return tuple(dim.name for dim in self.tree)

    @property
    def elements(self) -> dict[str, str]:
        """The dimension of each first-level element, in order."""
        return {el.name: dim.name for dim in self.tree for el in dim.elements}

    @property
    def indicators(self) -> dict[str, str]:
        """The first-level element of each indicator, in order."""
        return {ind.id: el.name for el in self._element_nodes() for ind in el.indicators}

    @property
    def directions(self) -> dict[str, str]:
        """The direction (``riskier``/``safer``) of each indicator."""
        return {ind.id: ind.direction for el in self._element_nodes() for ind in el.indicators}

    def _element_nodes(self) -> list[Element]:
        return [el for dim in self.tree for el in dim.elements]

    @property
    def element_features(self) -> dict[str, str]:
        """Output name (``dimension__element``) of each first-level element."""
        return {el: f"{dim}{SEP}{el}" for el, dim in self.elements.items()}

    def __len__(self) -> int:
        return len(self.indicators)

    def __repr__(self) -> str:
        return (
            f"Hierarchy({self.name!r}: {len(self.dimensions)} dimensions, "
            f"{len(self.elements)} elements, {len(self)} indicators)"
        )

    __str__ = __repr__

    def table(self) -> pd.DataFrame:
        """One row per indicator: ``dimension``, ``element``, ``indicator``, ``direction``,
        ``element_meaning``.

        Examples
        --------
        >>> load_hierarchy("catalog").table().iloc[0, :4].tolist()
        ['solvency', 'liquidity', 'current_ratio', 'safer']
        """
        rows = [
            {
                "dimension": dim.name,
                "element": el.name,
                "indicator": ind.id,
                "direction": ind.direction,
                "element_meaning": el.meaning,
            }
            for dim in self.tree
            for el in dim.elements
            for ind in el.indicators
        ]
        columns = ["dimension", "element", "indicator", "direction", "element_meaning"]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """The hierarchy in the YAML layout; :meth:`from_dict` reads it back."""
        return {
            "name": self.name,
            "description": self.description,
            "dimensions": {
                dim.name: {
                    "meaning": dim.meaning,
                    "elements": {
                        el.name: {
                            "meaning": el.meaning,
                            "indicators": {ind.id: ind.direction for ind in el.indicators},
                        }
                        for el in dim.elements
                    },
                }
                for dim in self.tree
            },
        }

    # ------------------------------------------------------------------ derived

    def restrict(self, columns: Iterable[object]) -> Hierarchy:
        """The hierarchy without the indicators that are not among ``columns``.

        Elements left without indicators, and dimensions left without elements, are
        dropped; what was dropped is logged (INFO), with a "did you mean" for names
        close to a column. One hierarchy thus serves data with fewer columns.

        Parameters
        ----------
        columns : iterable
            The columns of a data set.

        Returns
        -------
        Hierarchy
            ``self`` if every indicator is present.

        Raises
        ------
        ValueError
            If none of the indicators is among ``columns``.
        """
        present = {str(c) for c in columns}
        missing = [ind for ind in self.indicators if ind not in present]
        if not missing:
            return self
        if len(missing) == len(self):
            raise ValueError(
                f"none of the {len(self)} indicators of hierarchy '{self.name}' is a column "
                f"of the data: missing {preview(missing)}.{did_you_mean(missing[0], present)} "
                "Rename the columns to the hierarchy's indicator ids, or choose another "
                "hierarchy (see finwarn.weighting.default_hierarchy)."
            )
        tree = []
        dropped_elements: list[str] = []
        for dim in self.tree:
            elements = []
            for el in dim.elements:
                kept = tuple(ind for ind in el.indicators if ind.id in present)
                if kept:
                    elements.append(el.model_copy(update={"indicators": kept}))
                else:
                    dropped_elements.append(f"{dim.name}{SEP}{el.name}")
            if elements:
                tree.append(dim.model_copy(update={"elements": tuple(elements)}))
        hints = "".join(did_you_mean(m, present) for m in missing[:5])
        logger.info(
            "hierarchy '%s': %d of %d indicators are not in the data and are left out (%s)%s%s",
            self.name,
            len(missing),
            len(self),
            preview(missing),
            f"; elements left empty and dropped: {preview(dropped_elements)}"
            if dropped_elements
            else "",
            f".{hints}" if hints else "",
        )
        return self.model_copy(update={"tree": tuple(tree)})

    # ------------------------------------------------------------------ building

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | None = None) -> Hierarchy:
        """Build a hierarchy from the YAML layout (see the class docstring).

        Parameters
        ----------
        data : mapping
            Keys ``name`` (optional), ``description`` (optional) and ``dimensions``.
        source : str, optional
            Where ``data`` comes from; named in every error message.

        Raises
        ------
        ConfigError
            On an unknown or missing key (with "did you mean"), an unknown direction,
            an empty element or dimension, an indicator listed twice, a repeated
            element name, or a name that cannot be an output column.
        """
        label = source or "hierarchy"
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"{label}: expected a mapping with the key 'dimensions:', found "
                f"{type(data).__name__}."
            )
        _check_keys(data, _TOP_KEYS, label, "the top level")
        dims = data.get("dimensions")
        if not isinstance(dims, Mapping) or not dims:
            raise ConfigError(
                f"{label}: expected the risk dimensions under the key 'dimensions:', each "
                "with 'elements:' holding first-level elements and their 'indicators:'."
            )
        tree = [_parse_dimension(name, spec, label) for name, spec in dims.items()]
        problem = _structure_problem(tree)
        if problem:
            raise ConfigError(f"{label}: {problem}")
        name = data.get("name")
        if name is None:
            name = Path(source).stem if source else "custom"
        return cls(
            name=str(name),
            description=str(data.get("description") or ""),
            source=source,
            tree=tuple(tree),
        )


def _check_keys(mapping: Mapping[Any, Any], allowed: tuple[str, ...], label: str, where: str):
    for key in mapping:
        if key not in allowed:
            raise ConfigError(
                f"{label}: unknown key '{key}' in {where}.{did_you_mean(str(key), allowed)} "
                f"Allowed keys: {', '.join(allowed)}."
            )


def _check_name(name: object, label: str, what: str) -> str:
    text = str(name)
    if not _NAME.fullmatch(text) or SEP in text:
        suggestion = re.sub(r"_+", "_", re.sub(r"\W+", "_", text.strip())).strip("_").lower()
        raise ConfigError(
            f"{label}: {what} name '{text}' cannot be used: names become output columns, "
            "so they hold letters, digits and single underscores and start with a letter"
            + (f"; e.g. '{suggestion}'." if _NAME.fullmatch(suggestion or "-") else ".")
        )
    return text


def _parse_dimension(name: object, spec: Any, label: str) -> RiskDimension:
    dim = _check_name(name, label, "dimension")
    where = f"dimension '{dim}'"
    if dim == COMPOSITE:
        raise ConfigError(
            f"{label}: '{COMPOSITE}' is the name of the composite index; call the "
            "dimension something else."
        )
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{label}: {where} must be a mapping with 'elements:' (and optionally "
            f"'meaning:'), found {spec!r}."
        )
    _check_keys(spec, _DIMENSION_KEYS, label, where)
    elements = spec.get("elements")
    if not isinstance(elements, Mapping) or not elements:
        raise ConfigError(
            f"{label}: {where} has no first-level elements. List them under 'elements:', "
            "or remove the dimension."
        )
    return RiskDimension(
        name=dim,
        meaning=str(spec.get("meaning") or ""),
        elements=tuple(_parse_element(el, body, dim, label) for el, body in elements.items()),
    )


def _parse_element(name: object, spec: Any, dim: str, label: str) -> Element:
    el = _check_name(name, label, "element")
    where = f"element '{dim}.{el}'"
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{label}: {where} must be a mapping with 'indicators:' (and optionally "
            f"'meaning:'), found {spec!r}."
        )
    _check_keys(spec, _ELEMENT_KEYS, label, where)
    indicators = spec.get("indicators")
    if not isinstance(indicators, Mapping) or not indicators:
        raise ConfigError(
            f"{label}: {where} is empty. List its indicators under 'indicators:' as "
            "'column: riskier' or 'column: safer', or remove the element."
        )
    parsed = []
    for ident, direction in indicators.items():
        if direction not in RISK_DIRECTIONS:
            raise ConfigError(
                f"{label}: indicator '{ident}' of {where} has unknown direction "
                f"{direction!r}.{did_you_mean(str(direction), RISK_DIRECTIONS)} "
                f"{_DIRECTION_HELP}"
            )
        parsed.append(HierarchyIndicator(id=str(ident), direction=direction))
    return Element(name=el, meaning=str(spec.get("meaning") or ""), indicators=tuple(parsed))


def _structure_problem(tree: Iterable[RiskDimension]) -> str | None:
    """The first structural problem of ``tree`` (repeated names), or None."""
    seen_dims: set[str] = set()
    element_dim: dict[str, str] = {}
    indicator_at: dict[str, str] = {}
    for dim in tree:
        if dim.name in seen_dims:
            return f"dimension '{dim.name}' appears twice. Merge the two entries."
        seen_dims.add(dim.name)
        for el in dim.elements:
            if el.name in element_dim:
                return (
                    f"element '{el.name}' appears under dimension '{element_dim[el.name]}' "
                    f"and under dimension '{dim.name}'. Element names are unique; rename "
                    "one of them."
                )
            element_dim[el.name] = dim.name
            for ind in el.indicators:
                here = f"{dim.name}.{el.name}"
                if ind.id in indicator_at:
                    return (
                        f"indicator '{ind.id}' is listed twice, under {indicator_at[ind.id]} "
                        f"and under {here}. Each indicator belongs to one element; remove "
                        "one of the entries."
                    )
                indicator_at[ind.id] = here
    return None


# --------------------------------------------------------------------------- loading


def load_hierarchy(path_or_name: PathLike) -> Hierarchy:
    """Load a built-in hierarchy by name, or a user's hierarchy from a YAML file.

    Parameters
    ----------
    path_or_name : str or path-like
        One of :data:`HIERARCHIES` (``catalog`` for finwarn's indicator catalog,
        ``polish`` for the Polish data's ``Attr1..Attr64``, ``taiwan`` for the
        Taiwan subset), or the path of a YAML file (see :class:`Hierarchy`).

    Returns
    -------
    Hierarchy

    Raises
    ------
    ConfigError
        If the name is unknown (with "did you mean"), the file is missing or not
        YAML, or the hierarchy is invalid; the message names the file and the entry.

    Examples
    --------
    >>> polish = load_hierarchy("polish")
    >>> polish.dimensions
    ('solvency', 'profitability', 'operating_capability', 'growth', 'cash_flow')
    >>> polish.indicators["Attr4"], polish.directions["Attr2"]
    ('liquidity', 'riskier')
    """
    if isinstance(path_or_name, str) and path_or_name in HIERARCHIES:
        return _builtin(path_or_name)
    path = Path(path_or_name)
    if not path.is_file():
        text = str(path_or_name)
        hint = did_you_mean(text, HIERARCHIES)
        raise ConfigError(
            f"{text}: no built-in hierarchy has this name and no such file exists.{hint} "
            f"Built-in hierarchies: {', '.join(HIERARCHIES)}; or give the path of a YAML "
            f"file (relative paths start from the current directory, {Path.cwd()})."
        )
    return _parse_text(path.read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=len(HIERARCHIES))
def _builtin(name: str) -> Hierarchy:
    resource = resources.files("finwarn.weighting").joinpath("hierarchies").joinpath(f"{name}.yaml")
    return _parse_text(resource.read_text("utf-8"), f"built-in hierarchy {name}")


def _parse_text(text: str, label: str) -> Hierarchy:
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: not valid YAML ({exc}).") from exc
    return Hierarchy.from_dict(content, source=label)


def default_hierarchy(columns: Iterable[object]) -> Hierarchy:
    """The built-in hierarchy that covers most of ``columns``.

    Parameters
    ----------
    columns : iterable
        Column names of a data set.

    Returns
    -------
    Hierarchy
        The built-in with the most indicators among ``columns`` (not restricted;
        :class:`~finwarn.weighting.EntropyWeighter` restricts it when fitting).

    Raises
    ------
    ConfigError
        If no built-in hierarchy has any of the columns.

    Examples
    --------
    >>> default_hierarchy([f"Attr{i}" for i in range(1, 65)]).name
    'polish'
    >>> default_hierarchy(["current_ratio", "roa", "entity"]).name
    'catalog'
    """
    cols = {str(c) for c in columns}
    counts = {name: len(cols & set(_builtin(name).indicators)) for name in HIERARCHIES}
    best = max(counts, key=lambda name: counts[name])
    if counts[best] == 0:
        raise ConfigError(
            f"no built-in hierarchy ({', '.join(HIERARCHIES)}) has any of the columns "
            f"{preview(sorted(cols))}. Write a hierarchy YAML file for your columns and "
            "pass it with load_hierarchy(path), or use EntropyWeighter(hierarchy=None) to "
            "weight every column as one element."
        )
    return _builtin(best)
