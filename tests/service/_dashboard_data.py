"""Scores, alerts, rules and register rows for the dashboard tests, written through the ORM.

:func:`seed_dashboard` gives the seeded :class:`~tests.service.conftest.World` an active
model, three periods of scores for a few firms of ``own`` (and one of ``foreign``, which
no page may show), the alerts those scores raise, an alert rule, a register entry and
a pending change proposed by the analyst.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finwarn.service import _register as register
from finwarn.service._alerting import raise_alerts
from finwarn.service._tables import AlertRule, Firm, ModelRecord, RiskEntry, Score, User
from tests.service.conftest import World

#: (feature, readable name, dimension, effect) of the reasons the seeded scores carry.
FEATURES = [
    ("debt_ratio", "Debt ratio", "solvency", "raises"),
    ("roa", "Return on assets", "profitability", "raises"),
    ("current_ratio", "Current ratio", "solvency", "lowers"),
    ("asset_turnover", "Asset turnover", "operating_capability", "raises"),
]
#: Each own firm's (period -> level, probability): OWN1 goes from none to heavy.
PATHS: dict[str, list[tuple[str, float]]] = {
    "OWN1": [("none", 0.05), ("moderate", 0.41), ("heavy", 0.83)],
    "OWN2": [("light", 0.18), ("light", 0.2), ("none", 0.07)],
    "OWN3": [("moderate", 0.44), ("moderate", 0.47), ("moderate", 0.52)],
}
PERIODS = [2021, 2022, 2023]
FOREIGN_CODE = "FOR1"
ENTRY_TITLE = "Covenant breach on the term loan"
PROPOSED_TITLE = "Liquidity squeeze after the refinancing"


@dataclass
class Seeded:
    model_id: int
    firms: dict[str, int]
    entry_id: int
    change_id: int
    rule_id: int


def _reasons(probability: float, period: int) -> list[dict[str, Any]]:
    out = []
    for order, (feature, name, dimension, effect) in enumerate(FEATURES, start=1):
        contribution = round((0.9 - 0.15 * order) * probability * 2, 4)
        value = round(0.3 + probability + 0.01 * (period - 2021) * order, 4)
        out.append(
            {
                "order": order,
                "feature": feature,
                "name": name,
                "dimension": dimension,
                "value": value,
                "percentile": round(100 * min(probability + 0.1 * order, 0.99), 1),
                "effect": effect,
                "text": f"{name} {value} ({effect} the risk)",
                "contribution": contribution if effect == "raises" else -contribution,
            }
        )
    return out


def _indicators(probability: float, period: int) -> dict[str, float]:
    step = period - PERIODS[0]
    return {
        "debt_ratio": round(0.35 + 0.6 * probability, 4),
        "roa": round(0.08 - 0.15 * probability - 0.005 * step, 4),
        "current_ratio": round(2.1 - 1.5 * probability, 4),
        "asset_turnover": round(1.2 - 0.4 * probability + 0.02 * step, 4),
    }


def seed_dashboard(world: World) -> Seeded:
    """Add the dashboard's test rows to the world's database (see the module docstring)."""
    assert world.own is not None and world.foreign is not None
    assert world.own_firm is not None and world.foreign_firm is not None
    with world.db.session() as session:
        model = ModelRecord(
            name="fusion",
            status="finished",
            progress=1.0,
            metrics={"auc": 0.9, "alert_level": "moderate"},
            active=True,
            created_by=world.users["admin"].id,
        )
        session.add(model)
        firms = {"OWN1": world.own_firm.id, FOREIGN_CODE: world.foreign_firm.id}
        for code in ("OWN2", "OWN3"):
            firm = Firm(portfolio_id=world.own.id, code=code, industry="manufacturing")
            session.add(firm)
            session.flush()
            firms[code] = firm.id
        rule = AlertRule(
            name="Thin liquidity",
            kind="threshold",
            portfolio_id=world.own.id,
            params={"indicator": "current_ratio", "op": "<", "value": 1.0, "level": "heavy"},
            created_by=world.users["analyst"].id,
        )
        session.add(rule)
        session.flush()
        paths = {**PATHS, FOREIGN_CODE: [("heavy", 0.97)] * 3}
        for i, period in enumerate(PERIODS):
            scores = []
            ranked = sorted(paths, key=lambda code: -paths[code][i][1])
            for code, path in paths.items():
                level, probability = path[i]
                scores.append(
                    Score(
                        firm_id=firms[code],
                        period=period,
                        model_id=model.id,
                        probability=probability,
                        level=level,
                        rank=ranked.index(code) + 1,
                        reasons=_reasons(probability, period),
                        indicators=_indicators(probability, period),
                    )
                )
            session.add_all(scores)
            raise_alerts(session, model, scores)
        entry = RiskEntry(
            firm_id=world.own_firm.id,
            title=ENTRY_TITLE,
            description="The leverage covenant is close to its limit.",
            severity="high",
            owner="credit desk",
        )
        session.add(entry)
        session.flush()
        model_id, rule_id, entry_id = model.id, rule.id, entry.id
    with world.db.sessions() as session:
        analyst = session.get(User, world.users["analyst"].id)
        assert analyst is not None
        change = register.propose(
            session,
            analyst,
            "create",
            firm_id=world.own_firm.id,
            title=PROPOSED_TITLE,
            severity="medium",
            owner="treasury",
            description="Short-term debt doubles while cash halves.",
        )
        change_id = change.id
    return Seeded(
        model_id=model_id, firms=firms, entry_id=entry_id, change_id=change_id, rule_id=rule_id
    )
