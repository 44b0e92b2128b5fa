"""Warning settings: levels, cut-offs and calibration, as a validated frozen config."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from finwarn._text import did_you_mean
from finwarn.exceptions import ConfigError

__all__ = ["CalibrationConfig", "CutoffConfig", "WarningConfig", "load_warning_config"]


class CutoffConfig(BaseModel):
    """How the cut-offs between warning levels are set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["odds_multiple", "probability"]
    values: tuple[float, ...]

    @model_validator(mode="after")
    def _increasing(self) -> CutoffConfig:
        v = self.values
        if any(b <= a for a, b in pairwise(v)):
            raise ValueError(f"cut-off values must increase strictly, got {list(v)}")
        if any(x <= 0 for x in v):
            raise ValueError(f"cut-off values must be positive, got {list(v)}")
        if self.mode == "probability" and any(x >= 1 for x in v):
            raise ValueError(f"probability cut-offs must lie below 1, got {list(v)}")
        return self


class CalibrationConfig(BaseModel):
    """How predicted scores become calibrated probabilities."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["isotonic", "sigmoid"]
    folds: int = Field(ge=2, le=20)


class WarningConfig(BaseModel):
    """Warning levels, their cut-offs, the alert level and the calibration.

    ``load_warning_config()`` gives the packaged defaults (``defaults.yaml``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    levels: tuple[str, ...]
    cutoffs: CutoffConfig
    alert_level: str
    calibration: CalibrationConfig

    @model_validator(mode="after")
    def _consistent(self) -> WarningConfig:
        if len(self.levels) < 2 or len(set(self.levels)) != len(self.levels):
            raise ValueError(f"levels must be two or more distinct names, got {list(self.levels)}")
        if len(self.cutoffs.values) != len(self.levels) - 1:
            raise ValueError(
                f"{len(self.levels)} levels need {len(self.levels) - 1} cut-off values, got "
                f"{len(self.cutoffs.values)}"
            )
        if self.alert_level not in self.levels:
            raise ValueError(
                f"alert_level '{self.alert_level}' is not one of the levels "
                f"{list(self.levels)}.{did_you_mean(self.alert_level, self.levels)}"
            )
        if self.alert_level == self.levels[0]:
            raise ValueError("alert_level cannot be the lowest level (every firm would alert)")
        return self


def _parse(content: Any, source: str) -> WarningConfig:
    if not isinstance(content, dict):
        raise ConfigError(f"{source}: expected keys such as 'levels:' and 'cutoffs:'.")
    known = list(WarningConfig.model_fields)
    for key in content:
        if key not in known:
            raise ConfigError(
                f"{source}: unknown key '{key}'.{did_you_mean(str(key), known)} "
                f"Allowed keys: {', '.join(known)}."
            )
    try:
        return WarningConfig(**content)
    except ValidationError as exc:
        problems = "; ".join(
            (".".join(str(p) for p in err["loc"]) + ": " if err["loc"] else "")
            + err["msg"].removeprefix("Value error, ")
            for err in exc.errors()
        )
        raise ConfigError(f"{source}: {problems}.") from exc


@lru_cache(maxsize=1)
def _defaults() -> WarningConfig:
    text = resources.files("finwarn.warning").joinpath("defaults.yaml").read_text("utf-8")
    return _parse(yaml.safe_load(text), "finwarn/warning/defaults.yaml")


def load_warning_config(path: str | Path | None = None) -> WarningConfig:
    """Load warning settings from a YAML file; keys left out keep their defaults.

    Parameters
    ----------
    path : str, Path or None
        A YAML file like ``finwarn/warning/defaults.yaml``; ``None`` gives the defaults.

    Examples
    --------
    >>> load_warning_config().levels
    ('none', 'light', 'moderate', 'heavy')
    """
    defaults = _defaults()
    if path is None:
        return defaults
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: warning config file not found.")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from exc
    if not isinstance(content, dict):
        raise ConfigError(f"{path}: expected keys such as 'levels:' and 'cutoffs:'.")
    merged = defaults.model_dump()
    for key, value in content.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return _parse(merged, str(path))
