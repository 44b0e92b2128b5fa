"""Raising alerts: when a new score raises an alert, by its model or by an alert rule.

Alerts come from two sources:

* the **model**: a score at or above the model's alert level
  (``ModelRecord.metrics["alert_level"]`` when the training stored it, otherwise the
  ``alert_level`` of finwarn's packaged warning config, see :func:`model_alert_level`);
* the **alert rules** of the firm's portfolio, one of three kinds (their ``params``):

  ``threshold``  ``{indicator, op, value, level}``: the score's input indicator compared
                 with a value (``op`` one of ``<``, ``<=``, ``>``, ``>=``); the alert has
                 the rule's ``level``. A score without that indicator raises nothing.
  ``level``      ``{at_least}``: the score's level is ``at_least`` or worse.
  ``migration``  ``{direction, min_steps}``: the level moved by at least ``min_steps``
                 levels (``downgrade`` = towards more risk, ``upgrade`` = towards less,
                 ``any``) since the firm's latest earlier-period score by the same model.

:func:`raise_alerts` is called by the scoring code after it added new scores to the
session; it never raises the same alert twice for a firm-period and rule (or model), so
scoring again is harmless.

The rule kinds' params are validated by :mod:`finwarn.service._rule_params`; rules are
created and changed through :mod:`finwarn.service._rules`, and alerts are listed,
handled and summarised by :mod:`finwarn.service._alerts`.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from finwarn.explain import format_value
from finwarn.service._domain_errors import InvalidRequestError
from finwarn.service._rule_params import (
    LevelParams,
    MigrationParams,
    ThresholdParams,
    indicator_name,
    levels,
    model_levels,
    parse_rule_params,
)
from finwarn.service._tables import Alert, AlertRule, Firm, ModelRecord, Score
from finwarn.warning import load_warning_config

__all__ = ["model_alert_level", "raise_alerts"]

logger = logging.getLogger(__name__)

_CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's limits

_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


# --------------------------------------------------------------------------- alert level


def _rank(level: str, order: Sequence[str] | None = None) -> int | None:
    order = levels() if order is None else order
    return order.index(level) if level in order else None


def model_alert_level(model: ModelRecord) -> str:
    """The level at or above which ``model``'s scores raise an alert.

    ``model.metrics["alert_level"]`` when the training stored a valid level there,
    otherwise the ``alert_level`` of finwarn's packaged warning config
    (``finwarn/warning/defaults.yaml``).
    """
    level = (model.metrics or {}).get("alert_level")
    if isinstance(level, str) and level in model_levels(model):
        return level
    return load_warning_config().alert_level


# --------------------------------------------------------------------------- raising


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _period(period: int) -> str:
    return "no period" if period == -1 else str(period)


def _number(value: float) -> str:
    return format_value(value)


def _reaches(level: str, floor: str, order: Sequence[str]) -> bool:
    """Whether ``level`` is ``floor`` or worse in ``order`` (False for unknown levels)."""
    rank, lowest = _rank(level, order), _rank(floor, order)
    return rank is not None and lowest is not None and rank >= lowest


def _open_alert(
    score: Score, model: ModelRecord, level: str, message: str, rule: AlertRule | None = None
) -> Alert:
    return Alert(
        firm_id=score.firm_id,
        period=score.period,
        rule_id=None if rule is None else rule.id,
        model_id=model.id,
        level=level,
        message=message,
        status="open",
    )


def _threshold_alert(
    rule: AlertRule, params: ThresholdParams, score: Score, model: ModelRecord
) -> Alert | None:
    value = (score.indicators or {}).get(params.indicator)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None  # missing (or not a number): nothing to compare
    if not _COMPARE[params.op](float(value), params.value):
        return None
    message = (
        f"{indicator_name(params.indicator)} {_number(value)} {params.op} "
        f"{_number(params.value)} (rule '{rule.name}')"
    )
    return _open_alert(score, model, params.level, message, rule)


def _level_alert(
    rule: AlertRule, params: LevelParams, score: Score, model: ModelRecord
) -> Alert | None:
    if not _reaches(score.level, params.at_least, model_levels(model)):
        return None
    message = f"Level {score.level} is at or above {params.at_least} (rule '{rule.name}')"
    return _open_alert(score, model, score.level, message, rule)


def _migration_alert(
    rule: AlertRule,
    params: MigrationParams,
    score: Score,
    model: ModelRecord,
    previous: tuple[int, str] | None,
) -> Alert | None:
    if previous is None:
        return None
    before_period, before_level = previous
    order = model_levels(model)
    old, new = _rank(before_level, order), _rank(score.level, order)
    if old is None or new is None or old == new:
        return None
    direction = "downgrade" if new > old else "upgrade"
    if params.direction not in (direction, "any") or abs(new - old) < params.min_steps:
        return None
    message = (
        f"{direction.capitalize()} from {before_level} ({_period(before_period)}) to "
        f"{score.level} ({_period(score.period)}) (rule '{rule.name}')"
    )
    return _open_alert(score, model, score.level, message, rule)


def _model_alert(model: ModelRecord, score: Score, alert_level: str) -> Alert | None:
    if not _reaches(score.level, alert_level, model_levels(model)):
        return None
    message = (
        f"Probability of distress {score.probability:.1%}: level {score.level}, at or above "
        f"the alert level {alert_level} (model '{model.name}')"
    )
    return _open_alert(score, model, score.level, message)


def _existing_keys(session: Session, firm_ids: Sequence[int]) -> set[tuple[str, int, int, int]]:
    keys: set[tuple[str, int, int, int]] = set()
    for chunk in _chunks(firm_ids):
        rows = session.execute(
            select(Alert.firm_id, Alert.period, Alert.rule_id, Alert.model_id).where(
                Alert.firm_id.in_(chunk)
            )
        )
        for firm_id, period, rule_id, model_id in rows:
            if rule_id is not None:
                keys.add(("rule", firm_id, period, rule_id))
            elif model_id is not None:
                keys.add(("model", firm_id, period, model_id))
    return keys


def _history(
    session: Session, model: ModelRecord, firm_ids: Sequence[int]
) -> dict[int, list[tuple[int, str]]]:
    """Each firm's (period, level) scored by ``model``, periods ascending."""
    history: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for chunk in _chunks(firm_ids):
        rows = session.execute(
            select(Score.firm_id, Score.period, Score.level)
            .where(Score.model_id == model.id, Score.firm_id.in_(chunk), Score.period != -1)
            .order_by(Score.firm_id, Score.period)
        )
        for firm_id, period, level in rows:
            history[firm_id].append((period, level))
    return history


def _previous(history: list[tuple[int, str]], period: int) -> tuple[int, str] | None:
    earlier = [item for item in history if item[0] < period]
    return earlier[-1] if earlier and period != -1 else None


def _active_rules(
    session: Session, firm_ids: Sequence[int]
) -> tuple[dict[int, int], dict[int, list[tuple[AlertRule, Any]]]]:
    portfolio_of: dict[int, int] = {}
    for chunk in _chunks(firm_ids):
        rows = session.execute(select(Firm.id, Firm.portfolio_id).where(Firm.id.in_(chunk)))
        for firm_id, portfolio_id in rows:
            portfolio_of[firm_id] = portfolio_id
    rules: dict[int, list[tuple[AlertRule, Any]]] = defaultdict(list)
    wanted = sorted(set(portfolio_of.values()))
    found = session.scalars(
        select(AlertRule)
        .where(AlertRule.active.is_(True), AlertRule.portfolio_id.in_(wanted))
        .order_by(AlertRule.id)
    )
    for rule in found:
        try:
            params = parse_rule_params(rule.kind, rule.params)
        except InvalidRequestError as error:
            logger.warning("alert rule %s (%r) skipped: %s", rule.id, rule.name, error)
            continue
        rules[rule.portfolio_id].append((rule, params))
    return portfolio_of, rules


def raise_alerts(session: Session, model: ModelRecord, scores: list[Score]) -> list[Alert]:
    """Add the alerts that new ``scores`` of ``model`` raise to ``session`` (no commit).

    Parameters
    ----------
    session : Session
        The scoring transaction; ``scores`` were added to it (they are flushed here).
    model : ModelRecord
        The model that made the scores.
    scores : list of Score
        New or re-made scores (``firm_id``, ``period``, ``level``, ``indicators``).

    Returns
    -------
    list of Alert
        The alerts added; none for a firm-period and rule (or model) already alerted,
        so scoring the same data again adds nothing.
    """
    if not scores:
        return []
    session.flush()
    firm_ids = sorted({score.firm_id for score in scores})
    seen = _existing_keys(session, firm_ids)
    portfolio_of, rules = _active_rules(session, firm_ids)
    needs_history = any(
        isinstance(params, MigrationParams) for found in rules.values() for _, params in found
    )
    history = _history(session, model, firm_ids) if needs_history else {}
    alert_level = model_alert_level(model)
    raised: list[Alert] = []

    def keep(key: tuple[str, int, int, int], alert: Alert | None) -> None:
        if alert is not None and key not in seen:
            seen.add(key)
            session.add(alert)
            raised.append(alert)

    order = model_levels(model)
    for score in scores:
        if _rank(score.level, order) is None:
            logger.warning(
                "score of firm %s period %s has unknown level %r; no alert checked",
                score.firm_id,
                score.period,
                score.level,
            )
            continue
        keep(
            ("model", score.firm_id, score.period, model.id),
            _model_alert(model, score, alert_level),
        )
        for rule, params in rules.get(portfolio_of.get(score.firm_id, -1), []):
            key = ("rule", score.firm_id, score.period, rule.id)
            if key in seen:
                continue
            if isinstance(params, ThresholdParams):
                keep(key, _threshold_alert(rule, params, score, model))
            elif isinstance(params, LevelParams):
                keep(key, _level_alert(rule, params, score, model))
            else:
                previous = _previous(history.get(score.firm_id, []), score.period)
                keep(key, _migration_alert(rule, params, score, model, previous))
    logger.info("raised %d alerts for %d scores of model %s", len(raised), len(scores), model.id)
    return raised
