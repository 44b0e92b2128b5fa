"""The classical scores' settings (``classical.yaml``) and where their inputs come from."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from finwarn._text import did_you_mean, preview
from finwarn.exceptions import ConfigError, DataValidationError
from finwarn.indicators import Formula, load_catalog, load_ratio_set, parse_formula, raw_item_ids

__all__ = ["CLASSICAL_SCORES"]


_CONFIG_FILE = "finwarn/models/classical.yaml"
# the column vocabularies an input set may be written in
_VOCABULARIES = ("polish", "taiwan", "catalog", "raw_items")
_PREV_COLUMNS = ("entity", "period")


# --------------------------------------------------------------------------- config


class _Bounded(BaseModel):
    """A 0/1 flag: 1 where a value lies above (or below) a bound."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> _Bounded:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of 'above' and 'below'")
        return self

    def flag(self, values: np.ndarray) -> np.ndarray:
        """1.0 where ``values`` passes the bound, 0.0 elsewhere, NaN where missing."""
        hit = values > self.above if self.above is not None else values < self.below
        return np.where(np.isnan(values), np.nan, hit.astype(float))


class _FlagFormula(_Bounded):
    formula: str = Field(min_length=1)


class _Derived(_Bounded):
    term: str = Field(min_length=1)


class _Ratio(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    meaning: str = Field(min_length=1)
    kind: Literal["ratio", "flag"] = "ratio"
    look_for: dict[str, str | _FlagFormula] = Field(default_factory=dict)


class _Term(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    coefficient: float
    ratio: str | tuple[str, ...] | None = None
    derived: _Derived | None = None
    meaning: str | None = None
    required: bool = True

    @model_validator(mode="after")
    def _one_source(self) -> _Term:
        if (self.ratio is None) == (self.derived is None):
            raise ValueError(f"term {self.name}: give exactly one of 'ratio' and 'derived'")
        if self.derived is not None and not self.meaning:
            raise ValueError(f"term {self.name}: a derived term needs a 'meaning'")
        return self

    @property
    def ratios(self) -> tuple[str, ...]:
        """The ratios the term reads, in order of preference."""
        if self.ratio is None:
            return ()
        return (self.ratio,) if isinstance(self.ratio, str) else self.ratio


class _Zone(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    bound: float | None = None


class _Score(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    reference: str = Field(min_length=1)
    higher_is: Literal["safer", "riskier"]
    constant: float
    terms: tuple[_Term, ...] = Field(min_length=1)
    zones: tuple[_Zone, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _consistent(self) -> _Score:
        names = [t.name for t in self.terms]
        if len(set(names)) != len(names):
            raise ValueError(f"term names must be unique, got {names}")
        for i, term in enumerate(self.terms):
            if term.derived is None:
                continue
            earlier = {t.name: t for t in self.terms[:i]}
            base = earlier.get(term.derived.term)
            if base is None or base.derived is not None:
                raise ValueError(
                    f"term {term.name} is derived from '{term.derived.term}', which is not an "
                    f"earlier, non-derived term ({', '.join(earlier)})"
                )
        zones = [z.name for z in self.zones]
        if len(set(zones)) != len(zones):
            raise ValueError(f"zone names must be unique, got {zones}")
        bounds = [z.bound for z in self.zones[:-1]]
        if any(b is None for b in bounds) or self.zones[-1].bound is not None:
            raise ValueError("every zone but the last (safest) needs a bound; the last has none")
        risk = [self.sign * b for b in bounds if b is not None]
        if any(b >= a for a, b in pairwise(risk)):
            order = "increase" if self.higher_is == "safer" else "decrease"
            raise ValueError(f"zone bounds must {order} from the riskiest zone, got {bounds}")
        return self

    @property
    def sign(self) -> float:
        """+1 when a higher score is riskier, -1 when it is safer."""
        return 1.0 if self.higher_is == "riskier" else -1.0

    @property
    def cutoff(self) -> float:
        """Bound of the first (distress) zone, in score units."""
        bound = self.zones[0].bound
        assert bound is not None  # checked by _consistent
        return bound


class _InputSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    note: str | None = None


class _Calibration(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    C: float = Field(gt=0)
    min_slope_per_sd: float = Field(gt=0)


class _ClassicalConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    input_sets: dict[str, _InputSet]
    ratios: dict[str, _Ratio]
    scores: dict[str, _Score]
    calibration: _Calibration

    @model_validator(mode="after")
    def _references(self) -> _ClassicalConfig:
        unknown_sets = [s for s in self.input_sets if s not in _VOCABULARIES]
        if unknown_sets:
            raise ValueError(
                f"unknown input set(s) {unknown_sets}; finwarn knows {list(_VOCABULARIES)}"
            )
        for rid, ratio in self.ratios.items():
            for set_name in ratio.look_for:
                if set_name not in self.input_sets:
                    raise ValueError(
                        f"ratio {rid} looks for input set '{set_name}', which input_sets "
                        f"does not list.{did_you_mean(set_name, self.input_sets)}"
                    )
        for sid, score in self.scores.items():
            for term in score.terms:
                for rid in term.ratios:
                    if rid not in self.ratios:
                        raise ValueError(
                            f"score {sid}, term {term.name}: unknown ratio '{rid}'."
                            f"{did_you_mean(rid, self.ratios)}"
                        )
        return self

    def meaning(self, term: _Term) -> str:
        """What a term measures, for messages and tables."""
        if term.meaning:
            return term.meaning
        return " or ".join(self.ratios[r].meaning for r in term.ratios)

    def is_flag(self, term: _Term) -> bool:
        """Whether a term is a 0/1 flag (never clipped)."""
        return term.derived is not None or any(self.ratios[r].kind == "flag" for r in term.ratios)


@lru_cache(maxsize=len(_VOCABULARIES))
def _vocabulary(set_name: str) -> tuple[str, ...]:
    """Column names an input set's formulas may use."""
    if set_name == "catalog":
        return load_catalog().ids
    if set_name == "raw_items":
        return raw_item_ids()
    return load_ratio_set(set_name).ids


@lru_cache(maxsize=256)
def _formula(text: str, set_name: str) -> Formula:
    """A look_for formula parsed against its input set's vocabulary (cached)."""
    return parse_formula(text, known_items=_vocabulary(set_name), source=_CONFIG_FILE)


def _entry_text(entry: str | _FlagFormula) -> str:
    return entry if isinstance(entry, str) else entry.formula


@lru_cache(maxsize=1)
def _config() -> _ClassicalConfig:
    """The packaged ``classical.yaml``, validated, every formula parsed once."""
    text = resources.files("finwarn.models").joinpath("classical.yaml").read_text("utf-8")
    try:
        config = _ClassicalConfig.model_validate(yaml.safe_load(text))
    except (ValidationError, yaml.YAMLError) as exc:
        raise ConfigError(f"{_CONFIG_FILE} is invalid: {exc}") from exc
    for ratio in config.ratios.values():
        for set_name, entry in ratio.look_for.items():
            _formula(_entry_text(entry), set_name)  # raises ConfigError naming the file
    return config


#: Names of the classical scores (``formula`` of :class:`ClassicalScoreClassifier`).
CLASSICAL_SCORES: tuple[str, ...] = tuple(_config().scores)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Source:
    """Where one term's values come from, as resolved by ``fit``.

    kind ``"column"`` (a user-named column), ``"position"`` (a column position),
    ``"formula"`` (a look_for entry of input set ``origin``) or ``"derived"`` (a flag
    on the unclipped values of the earlier term ``ref``).
    """

    term: str
    kind: Literal["column", "position", "formula", "derived"]
    ref: Any
    origin: str
    rule: _Bounded | None = None

    @property
    def label(self) -> Any:
        """What ``inputs_`` shows: the column, position, formula or derivation."""
        if self.rule is None:
            return self.ref
        if self.rule.above is not None:
            return f"{self.ref} > {self.rule.above:g}"
        return f"{self.ref} < {self.rule.below:g}"

    def columns(self) -> tuple[str, ...]:
        """Columns of X the source reads (none for positions and derived flags)."""
        if self.kind == "column":
            return (self.ref,)
        if self.kind == "formula":
            formula = _formula(self.ref, self.origin)
            extra = _PREV_COLUMNS if formula.uses_prev else ()
            return (*sorted(formula.inputs), *extra)
        return ()


def _describe_entry(config: _ClassicalConfig, set_name: str, entry: str | _FlagFormula) -> str:
    text = _entry_text(entry)
    if isinstance(entry, _FlagFormula):
        text += f" > {entry.above:g}" if entry.above is not None else f" < {entry.below:g}"
    return f"'{text}' ({config.input_sets[set_name].name})"


def _numeric(X: pd.DataFrame, column: str, where: str) -> np.ndarray:
    """A user-named column as floats; text that is not a number is an error."""
    values = X[column]
    if isinstance(values, pd.DataFrame):
        raise DataValidationError(
            f"X has several columns named '{column}' ({where}); rename the duplicates."
        )
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=float, na_value=np.nan)
    converted = pd.to_numeric(values.astype(object), errors="coerce")
    bad = converted.isna() & values.notna()
    if bad.any():
        raise DataValidationError(
            f"column '{column}' ({where}) has {int(bad.sum())} value(s) that are not "
            f"numbers: {preview(values[bad].tolist())}. Clean the column or map another one."
        )
    return converted.to_numpy(dtype=float, na_value=np.nan)
