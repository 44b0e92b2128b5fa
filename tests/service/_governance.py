"""Hand-made models, scores and firms for the tests of alerts, rules and the register."""

from __future__ import annotations

from typing import Any

from finwarn.service._alerting import raise_alerts
from finwarn.service._db import Database
from finwarn.service._tables import Alert, Firm, ModelRecord, Score
from tests.service.conftest import World


def add_model(
    world: World, *, name: str = "fusion", alert_level: str | None = None, active: bool = True
) -> int:
    """A finished model record (no files); ``alert_level`` stored in its metrics."""
    metrics = {"auc": 0.9} if alert_level is None else {"auc": 0.9, "alert_level": alert_level}
    with world.db.session() as session:
        model = ModelRecord(
            name=name,
            status="finished",
            progress=1.0,
            metrics=metrics,
            active=active,
            created_by=world.users["admin"].id,
        )
        session.add(model)
        session.flush()
        return model.id


def add_firm(world: World, code: str, *, foreign: bool = False) -> int:
    portfolio = world.foreign if foreign else world.own
    assert portfolio is not None
    with world.db.session() as session:
        firm = Firm(portfolio_id=portfolio.id, code=code)
        session.add(firm)
        session.flush()
        return firm.id


def reason(dimension: str, effect: str, order: int, contribution: float = 0.1) -> dict[str, Any]:
    return {
        "order": order,
        "feature": f"{dimension}_x",
        "name": dimension,
        "dimension": dimension,
        "value": 1.0,
        "percentile": 50.0,
        "effect": effect,
        "text": "",
        "contribution": contribution if effect == "raises" else -contribution,
    }


def score(
    db: Database,
    model_id: int,
    rows: list[tuple[int, int, str]],
    *,
    indicators: dict[str, Any] | None = None,
    reasons: list[dict[str, Any]] | None = None,
    probability: float = 0.25,
) -> list[str]:
    """Add scores (firm_id, period, level), or replace them, and raise their alerts.

    Returns the messages of the alerts raised, as the scoring code would.
    """
    with db.session() as session:
        model = session.get(ModelRecord, model_id)
        assert model is not None
        made = []
        for firm_id, period, level in rows:
            found = (
                session.query(Score)
                .filter_by(firm_id=firm_id, period=period, model_id=model_id)
                .one_or_none()
            )
            if found is None:
                found = Score(firm_id=firm_id, period=period, model_id=model_id, rank=1)
                session.add(found)
            found.level = level
            found.probability = probability
            found.indicators = dict(indicators or {})
            found.reasons = list(reasons or [])
            made.append(found)
        return [alert.message for alert in raise_alerts(session, model, made)]


def alerts(db: Database) -> list[tuple[int, int, int | None, int | None, str, str]]:
    """Every alert as (firm_id, period, rule_id, model_id, level, message), by id."""
    with db.session() as session:
        return [
            (a.firm_id, a.period, a.rule_id, a.model_id, a.level, a.message)
            for a in session.query(Alert).order_by(Alert.id)
        ]


def add_rule(
    world: World,
    name: str,
    kind: str,
    params: dict[str, Any],
    *,
    foreign: bool = False,
    active: bool = True,
) -> int:
    """An alert rule stored directly (params as given, not validated)."""
    from finwarn.service._tables import AlertRule

    portfolio = world.foreign if foreign else world.own
    assert portfolio is not None
    with world.db.session() as session:
        rule = AlertRule(
            name=name,
            kind=kind,
            portfolio_id=portfolio.id,
            params=params,
            active=active,
            created_by=world.users["admin"].id,
        )
        session.add(rule)
        session.flush()
        return rule.id
