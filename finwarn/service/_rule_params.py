"""What an alert rule may say: the warning levels, the rule kinds and their params.

A rule of a portfolio is one of :data:`RULE_KINDS`; its ``params`` by kind (what they
make a rule raise is in :mod:`finwarn.service._alerting`):

``threshold``  :class:`ThresholdParams` ``{indicator, op, value, level}``, ``op`` one of
               :data:`OPS`;
``level``      :class:`LevelParams` ``{at_least}``, a level above the lowest;
``migration``  :class:`MigrationParams` ``{direction, min_steps}``, ``direction`` one of
               ``downgrade``, ``upgrade``, ``any``.

:func:`parse_rule_params` validates params (raising
:class:`~finwarn.service._domain_errors.InvalidRequestError` that names every problem),
:func:`rule_warnings` advises on a valid rule that may never fire, and
:func:`indicator_name` names an indicator for people.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from finwarn._text import did_you_mean
from finwarn.indicators import RATIO_SETS, load_catalog, load_ratio_set
from finwarn.service._domain_errors import InvalidRequestError
from finwarn.service._tables import ModelRecord, Score
from finwarn.warning import load_warning_config

__all__ = [
    "OPS",
    "RULE_KINDS",
    "LevelParams",
    "MigrationParams",
    "RuleParams",
    "ThresholdParams",
    "indicator_name",
    "levels",
    "model_levels",
    "parse_rule_params",
    "rule_warnings",
]

RULE_KINDS = ("threshold", "level", "migration")
OPS = ("<", "<=", ">", ">=")


# --------------------------------------------------------------------------- levels


def levels() -> tuple[str, ...]:
    """The warning levels, safest first (finwarn's packaged warning config)."""
    return load_warning_config().levels


def _check_level(value: str) -> str:
    order = levels()
    if value not in order:
        raise ValueError(
            f"'{value}' is not one of the levels {', '.join(order)}.{did_you_mean(value, order)}"
        )
    return value


def model_levels(model: ModelRecord | None) -> tuple[str, ...]:
    """The warning levels of ``model``, safest first.

    ``model.metrics["levels"]`` when the training stored them, otherwise those of
    finwarn's packaged warning config.
    """
    stored = (model.metrics or {}).get("levels") if model is not None else None
    if (
        isinstance(stored, list | tuple)
        and len(stored) >= 2
        and all(isinstance(level, str) for level in stored)
        and len(set(stored)) == len(stored)
    ):
        return tuple(stored)
    return levels()


# --------------------------------------------------------------------------- rule params


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def stored(self) -> dict[str, Any]:
        """The params as stored in ``AlertRule.params`` (without ``kind``)."""
        return self.model_dump(exclude={"kind"})


class ThresholdParams(_Params):
    """An indicator of the score compared with a value."""

    kind: Literal["threshold"] = "threshold"
    indicator: str = Field(min_length=1, max_length=100)
    op: Literal["<", "<=", ">", ">="]
    value: float = Field(allow_inf_nan=False)
    level: str

    _level = field_validator("level")(_check_level)


class LevelParams(_Params):
    """The score's level at or above a level."""

    kind: Literal["level"] = "level"
    at_least: str

    @field_validator("at_least")
    @classmethod
    def _not_lowest(cls, value: str) -> str:
        _check_level(value)
        if value == levels()[0]:
            raise ValueError(f"'{value}' is the lowest level: every score would alert")
        return value


class MigrationParams(_Params):
    """The level moved since the firm's previous scored period."""

    kind: Literal["migration"] = "migration"
    direction: Literal["downgrade", "upgrade", "any"]
    min_steps: int = Field(default=1, ge=1)

    @field_validator("min_steps")
    @classmethod
    def _reachable(cls, value: int) -> int:
        most = len(levels()) - 1
        if value > most:
            raise ValueError(f"{value} is more than the {most} steps between the levels")
        return value


RuleParams = Annotated[ThresholdParams | LevelParams | MigrationParams, Field(discriminator="kind")]
_RULE_PARAMS: TypeAdapter[ThresholdParams | LevelParams | MigrationParams] = TypeAdapter(RuleParams)


def _problems(error: ValidationError) -> str:
    parts = []
    for problem in error.errors():
        where = ".".join(str(p) for p in problem["loc"][1:])  # [0] is the kind
        message = problem["msg"].removeprefix("Value error, ").rstrip(".")
        parts.append(f"{where}: {message}" if where else message)
    text = "; ".join(parts)
    return text if text.endswith(("?", ".")) else text + "."


def parse_rule_params(
    kind: str, params: dict[str, Any]
) -> ThresholdParams | LevelParams | MigrationParams:
    """Validate the ``params`` of a rule of ``kind``.

    Raises
    ------
    InvalidRequestError
        Naming the kind and every problem, e.g. ``Invalid params for a threshold rule:
        op: Input should be '<', '<=', '>' or '>='.``
    """
    if kind not in RULE_KINDS:
        raise InvalidRequestError(
            f"Unknown rule kind '{kind}'; use one of {', '.join(RULE_KINDS)}."
            f"{did_you_mean(kind, RULE_KINDS)}"
        )
    if not isinstance(params, dict):
        raise InvalidRequestError(f"Invalid params for a {kind} rule: expected an object.")
    try:
        return _RULE_PARAMS.validate_python({**params, "kind": kind})
    except ValidationError as error:
        raise InvalidRequestError(
            f"Invalid params for a {kind} rule: {_problems(error)}"
        ) from error


# --------------------------------------------------------------------------- indicators


@lru_cache(maxsize=1)
def _indicator_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for name in RATIO_SETS:
        for ratio in load_ratio_set(name):
            names.setdefault(ratio.id, ratio.name)
    for indicator in load_catalog():
        names[indicator.id] = indicator.name
    return names


def indicator_name(indicator: str) -> str:
    """The indicator's name for people ("Current ratio"), or its id if unknown."""
    return _indicator_names().get(indicator, indicator)


def _scored_indicators(session: Session) -> set[str]:
    """The indicators the latest score of the active model carries."""
    latest = session.scalar(
        select(Score.indicators)
        .join(ModelRecord, ModelRecord.id == Score.model_id)
        .where(ModelRecord.active.is_(True))
        .order_by(Score.id.desc())
        .limit(1)
    )
    return set(latest or {})


def rule_warnings(
    session: Session, params: ThresholdParams | LevelParams | MigrationParams
) -> list[str]:
    """Advice on a valid rule that may still never fire (an unknown indicator)."""
    if not isinstance(params, ThresholdParams):
        return []
    scored = _scored_indicators(session)
    known = set(_indicator_names()) | scored
    if params.indicator in known:
        return []
    hint = did_you_mean(params.indicator, sorted(scored) or sorted(known))
    return [
        f"Indicator '{params.indicator}' is neither in finwarn's indicator catalog nor "
        f"among the indicators of the active model's scores; the rule raises no alert "
        f"until scores carry it.{hint}"
    ]
