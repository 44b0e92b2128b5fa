"""Column mapping: a small YAML file that maps a user's column names onto finwarn's.

Example file::

    # finwarn column mapping: finwarn's name on the left, yours on the right
    entity: company_code
    period: fiscal_year
    industry: sector
    label: distressed
    label_values:          # extra spellings of the label (1/0, yes/no, true/false are known)
      distressed: [ST, "*ST"]
      healthy: [normal]
    columns:               # raw statement items or indicators
      total_assets: TotAssets
      revenue: Sales
    ignore: [company_name]  # columns that are neither ids nor features
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finwarn._text import did_you_mean
from finwarn.exceptions import ConfigError

__all__ = ["ColumnMapping", "RawItem", "load_mapping", "raw_items"]

ROLES = ("entity", "period", "industry", "label")


class ColumnMapping(BaseModel):
    """How the columns of a user's file map onto finwarn's canonical table.

    Every field is optional: roles left out are found by their usual names
    (``entity``/``company_id``/``firm``..., ``period``/``year``...,
    ``label``/``class``/``bankrupt``...).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity: str | None = None
    period: str | None = None
    industry: str | None = None
    label: str | None = None
    text: str | None = None
    label_values: dict[str, list[str | int | float | bool]] = Field(default_factory=dict)
    columns: dict[str, str] = Field(default_factory=dict)
    features: list[str] | None = None
    ignore: list[str] = Field(default_factory=list)
    sheet: str | int | None = None
    source: str | None = Field(default=None, exclude=True)

    def role(self, name: str) -> str | None:
        """The user's column for role ``name`` (``entity``, ``period``, ...)."""
        return getattr(self, name)


def load_mapping(path: str | Path | None) -> ColumnMapping:
    """Load and validate a mapping YAML file (``None`` gives the empty mapping).

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or has unknown keys or wrong types.
    """
    if path is None:
        return ColumnMapping()
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: mapping file not found.")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from exc
    if not isinstance(content, dict):
        raise ConfigError(
            f"{path}: a mapping file holds keys such as 'entity:', 'label:' and 'columns:'; "
            f"found a {type(content).__name__}."
        )
    known = list(ColumnMapping.model_fields)
    for key in content:
        if key not in known or key == "source":
            raise ConfigError(
                f"{path}: unknown key '{key}'.{did_you_mean(str(key), known)} "
                f"Allowed keys: {', '.join(k for k in known if k != 'source')}."
            )
    label_values = content.get("label_values") or {}
    if not isinstance(label_values, dict) or set(label_values) - {"distressed", "healthy"}:
        raise ConfigError(
            f"{path}: 'label_values' takes the keys 'distressed' and 'healthy', each a list "
            f"of the values your file uses; found {label_values!r}."
        )
    try:
        return ColumnMapping(**content, source=str(path))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}.") from exc


class RawItem(BaseModel):
    """A raw financial-statement item finwarn knows by name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    statement: str
    meaning: str
    min: float | None = None


@lru_cache(maxsize=1)
def raw_items() -> dict[str, RawItem]:
    """The raw statement items of ``raw_items.yaml``, by id."""
    text = resources.files("finwarn.data").joinpath("raw_items.yaml").read_text("utf-8")
    items: list[dict[str, Any]] = yaml.safe_load(text)["items"]
    return {item["id"]: RawItem(**item) for item in items}
