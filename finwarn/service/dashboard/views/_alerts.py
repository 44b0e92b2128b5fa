"""The alert view: warnings by level and dimension, migrations, riskiest firms, alerts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from finwarn.report import _format as fmt
from finwarn.report._svg import RAISES, level_colours
from finwarn.service._alerting import model_alert_level
from finwarn.service._alerts import AlertSummary, alert_summary, list_alerts
from finwarn.service._scoring import active_model
from finwarn.service._tables import Alert, AlertRule, Firm, ModelRecord, Score, User
from finwarn.service.dashboard._charts import bar_chart
from finwarn.service.dashboard._web import level_order
from finwarn.service.dashboard.views._common import (
    Scope,
    all_levels,
    level_rank,
    reason_row,
    scope_of,
    top_reasons,
)

__all__ = ["AlertRow", "AlertView", "alert_rows", "alert_view"]

#: Rows of the riskiest-firms, migration and open-alert tables of the alert view.
TOP_FIRMS = 10
RECENT_ALERTS = 15
_CHUNK = 500  # ids per IN (...) query


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _colours(levels: Sequence[str]) -> list[str]:
    configured = level_order()
    palette = dict(zip(configured, (bg for bg, _ in level_colours(len(configured))), strict=True))
    return [palette.get(level, "#8c959f") for level in levels]


# --------------------------------------------------------------------------- alert view


@dataclass
class FirmRow:
    firm_id: int
    code: str
    portfolio: str
    period: int
    probability: float
    level: str
    rank: int
    reasons: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class MigrationRow:
    firm_id: int
    code: str
    previous_period: int
    previous_level: str
    period: int
    level: str
    change: str
    steps: int


@dataclass
class AlertRow:
    id: int
    firm_id: int
    code: str
    period: int
    level: str
    source: str
    message: str
    status: str
    created_at: Any


@dataclass
class AlertView:
    scope: Scope
    model: ModelRecord | None
    firms: int
    scored: int
    alert_level: str | None
    warned: int
    levels: list[tuple[str, int, int]]
    level_chart: Markup | None
    summary: AlertSummary
    dimensions: list[tuple[str, int]]
    dimension_chart: Markup | None
    transitions: list[list[int]]
    moved: list[MigrationRow]
    riskiest: list[FirmRow]
    recent_alerts: list[AlertRow]

    @property
    def open_alerts(self) -> int:
        return self.summary.by_status.get("open", 0)


def _latest_scores(
    session: Session, model: ModelRecord, shown: list[int]
) -> tuple[dict[int, Any], dict[int, Any]]:
    """Each firm's latest score row and the one of its previous period, for ``model``.

    Like the alert summary's migrations, scores without a period (-1) have no previous.
    """
    rows = session.execute(
        select(Score.id, Score.firm_id, Score.period, Score.probability, Score.level, Score.rank)
        .join(Firm, Firm.id == Score.firm_id)
        .where(Score.model_id == model.id, Firm.portfolio_id.in_(shown))
        .order_by(Score.firm_id, Score.period)
    ).all()
    latest: dict[int, Any] = {}
    previous: dict[int, Any] = {}
    for row in rows:
        before = latest.get(row.firm_id)
        if before is not None and before.period != -1 and row.period != -1:
            previous[row.firm_id] = before
        latest[row.firm_id] = row
    return latest, previous


def _reasons_of(session: Session, score_ids: Sequence[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for chunk in _chunks(score_ids):
        for score_id, reasons in session.execute(
            select(Score.id, Score.reasons).where(Score.id.in_(chunk))
        ):
            out[score_id] = reasons or []
    return out


def alert_rows(session: Session, found: Sequence[tuple[Alert, Firm]]) -> list[AlertRow]:
    """Alerts with their firm, and where they came from (a rule or the model)."""
    rule_ids = {a.rule_id for a, _ in found if a.rule_id is not None}
    model_ids = {a.model_id for a, _ in found if a.model_id is not None}
    rules = dict(
        session.execute(
            select(AlertRule.id, AlertRule.name).where(AlertRule.id.in_(rule_ids))
        ).all()
    )
    models = dict(
        session.execute(
            select(ModelRecord.id, ModelRecord.name).where(ModelRecord.id.in_(model_ids))
        ).all()
    )
    rows = []
    for alert, firm in found:
        if alert.rule_id is not None:
            source = f"rule '{rules.get(alert.rule_id, alert.rule_id)}'"
        elif alert.model_id is not None:
            source = f"model '{models.get(alert.model_id, alert.model_id)}'"
        else:
            source = fmt.MISSING
        rows.append(
            AlertRow(
                id=alert.id,
                firm_id=firm.id,
                code=firm.code,
                period=alert.period,
                level=alert.level,
                source=source,
                message=alert.message,
                status=alert.status,
                created_at=alert.created_at,
            )
        )
    return rows


def alert_view(session: Session, user: User, portfolio_id: int | None = None) -> AlertView:
    """The alert view: warnings by level and dimension, migrations, riskiest firms, alerts.

    Each firm counts once, with its latest period scored by the active model; the alert
    counts, dimensions and migrations are :func:`finwarn.service._alerts.alert_summary`.
    """
    scope = scope_of(session, user, portfolio_id)
    shown = scope.shown
    firm_rows = session.execute(
        select(Firm.id, Firm.code, Firm.portfolio_id).where(Firm.portfolio_id.in_(shown))
    ).all()
    codes = {row.id: row.code for row in firm_rows}
    portfolio_of = {row.id: row.portfolio_id for row in firm_rows}
    model = active_model(session)
    latest, previous = _latest_scores(session, model, shown) if model else ({}, {})
    summary = alert_summary(session, user, portfolio_id=portfolio_id)

    counts = Counter(row.level for row in latest.values())
    levels = all_levels([*counts, *summary.by_level])
    level_counts = [(lv, counts.get(lv, 0), summary.by_level.get(lv, 0)) for lv in levels]
    level_chart = (
        bar_chart(
            levels,
            [counts.get(lv, 0) for lv in levels],
            _colours(levels),
            title="Firms by warning level (latest period)",
            total=len(latest),
        )
        if latest
        else None
    )
    alert_level = model_alert_level(model) if model else None
    warned = sum(
        1
        for row in latest.values()
        if alert_level is not None
        and level_rank(levels, row.level) >= level_rank(levels, alert_level)
    )

    dimensions = [(fmt.label(d), n) for d, n in summary.by_dimension.items()]
    dimension_chart = (
        bar_chart(
            [d for d, _ in dimensions],
            [n for _, n in dimensions],
            [RAISES] * len(dimensions),
            title="Alerts by the dimension of their strongest risk-raising reason",
            total=summary.total,
        )
        if dimensions
        else None
    )

    index = {level: i for i, level in enumerate(levels)}
    transitions = [[0] * len(levels) for _ in levels]
    for item in summary.migrations.transitions:
        if item["from_level"] in index and item["to_level"] in index:
            transitions[index[item["from_level"]]][index[item["to_level"]]] = item["firms"]

    moved = []
    for firm_id, before in previous.items():
        now = latest[firm_id]
        steps = level_rank(levels, now.level) - level_rank(levels, before.level)
        if steps:
            moved.append(
                MigrationRow(
                    firm_id=firm_id,
                    code=codes.get(firm_id, str(firm_id)),
                    previous_period=before.period,
                    previous_level=before.level,
                    period=now.period,
                    level=now.level,
                    change="downgrade" if steps > 0 else "upgrade",
                    steps=abs(steps),
                )
            )
    # downgrades (riskier now) first, the biggest moves first
    moved.sort(key=lambda m: (m.change != "downgrade", -m.steps, m.code))

    riskiest_rows = sorted(latest.values(), key=lambda r: (-r.probability, r.rank))[:TOP_FIRMS]
    reasons = _reasons_of(session, [r.id for r in riskiest_rows])
    names = scope.names
    riskiest = [
        FirmRow(
            firm_id=row.firm_id,
            code=codes.get(row.firm_id, str(row.firm_id)),
            portfolio=names.get(portfolio_of.get(row.firm_id, -1), ""),
            period=row.period,
            probability=row.probability,
            level=row.level,
            rank=row.rank,
            reasons=[reason_row(r) for r in top_reasons(reasons.get(row.id))],
        )
        for row in riskiest_rows
    ]
    recent: list[tuple[Alert, Firm]] = []
    for level in reversed(levels):  # the most severe first, each level newest first
        if len(recent) < RECENT_ALERTS and summary.by_level.get(level):
            recent += list_alerts(
                session,
                user,
                level=level,
                status="open",
                portfolio_id=portfolio_id,
                limit=RECENT_ALERTS - len(recent),
            )
    return AlertView(
        scope=scope,
        model=model,
        firms=len(codes),
        scored=len(latest),
        alert_level=alert_level,
        warned=warned,
        levels=level_counts,
        level_chart=level_chart,
        summary=summary,
        dimensions=dimensions,
        dimension_chart=dimension_chart,
        transitions=transitions,
        moved=moved[:TOP_FIRMS],
        riskiest=riskiest,
        recent_alerts=alert_rows(session, recent),
    )
