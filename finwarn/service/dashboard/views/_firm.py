"""A firm's page: its latest warning and reasons, trends, open alerts and register entries."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finwarn.report import _format as fmt
from finwarn.report._svg import trend
from finwarn.service import _register as register
from finwarn.service._alerts import list_alerts
from finwarn.service._deps import get_firm
from finwarn.service._scoring import active_model
from finwarn.service._tables import Firm, ModelRecord, Observation, Portfolio, Score, User
from finwarn.service.dashboard.views._alerts import AlertRow, alert_rows
from finwarn.service.dashboard.views._common import (
    DEMO_PORTFOLIO,
    LIST_LIMIT,
    all_levels,
    level_rank,
    reason_row,
    top_reasons,
)
from finwarn.service.dashboard.views._register import ChangeRow, EntryRow, change_rows

__all__ = ["FirmView", "Trend", "firm_view"]

#: Indicator trends drawn on a firm page (the features of its strongest reasons first).
TRENDS = 6


@dataclass
class Trend:
    name: str
    svg: Markup
    last_period: str
    last_value: str
    last_peer: str
    has_peer: bool


@dataclass
class FirmView:
    firm: Firm
    portfolio: str
    simulated: bool
    model: ModelRecord | None
    latest: Score | None
    previous: Score | None
    change: str | None
    reasons: list[dict[str, Any]]
    history: list[Score]
    probability_chart: Markup | None
    trends: list[Trend]
    alerts: list[AlertRow]
    entries: list[EntryRow]
    pending: list[ChangeRow]


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _median(values: Iterable[Any]) -> float | None:
    finite = [v for v in (_finite(x) for x in values) if v is not None]
    return statistics.median(finite) if finite else None


def _indicator_names(features: list[str], reasons: list[dict[str, Any]]) -> dict[str, str]:
    names = {r["feature"]: r["name"] for r in reasons if r.get("feature") and r.get("name")}
    missing = [f for f in features if f not in names]
    if missing:
        from finwarn.explain import feature_metadata

        names.update(feature_metadata(missing)[0])
    return names


def _computed_indicators(
    code: str, observed: dict[int, dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """The catalog indicators of a firm's observed periods, computed by the core.

    For periods no score covers (by default a batch scores each firm's latest period
    only), so a firm's trends still show its history.
    """
    import pandas as pd

    from finwarn.indicators import compute_indicators

    periods = sorted(observed)
    table = pd.DataFrame(
        [{**observed[p], "entity": code, "period": p} for p in periods], index=periods
    )
    values = compute_indicators(table).values
    return {
        period: {str(k): v for k, v in row.items() if _finite(v) is not None}
        for period, row in zip(periods, values.to_dict(orient="records"), strict=True)
    }


def _trends(
    session: Session,
    firm: Firm,
    model: ModelRecord,
    history: list[Score],
    reasons: list[dict[str, Any]],
) -> tuple[Markup | None, list[Trend]]:
    """The probability and key-indicator trends of a firm against its portfolio's median.

    The probability needs two scored periods. An indicator's value in a scored period is
    the one the score stored (the model's input); in a period not scored, the uploaded
    value of that name, else the catalog indicator computed from the uploaded statement
    items. The portfolio's median comes from the scores of the period.
    """
    scored = [s.period for s in history]
    observed = {
        o.period: o.values or {}
        for o in session.scalars(select(Observation).where(Observation.firm_id == firm.id))
        if o.period != -1
    }
    periods = sorted({p for p in scored if p != -1} | set(observed))
    if len(periods) < 2:
        return None, []
    peers = session.execute(
        select(Score.period, Score.probability, Score.indicators)
        .join(Firm, Firm.id == Score.firm_id)
        .where(
            Firm.portfolio_id == firm.portfolio_id,
            Score.model_id == model.id,
            Score.period.in_(periods),
        )
    ).all()
    peer_rows: dict[int, list[tuple[float, dict[str, Any]]]] = defaultdict(list)
    for period, probability, indicators in peers:
        peer_rows[period].append((probability, indicators or {}))
    # A median of the few firms scored in a period (by default each firm's latest period
    # is scored) is no portfolio median: drawn only where the scores cover half the firms.
    observed_firms = dict(
        session.execute(
            select(Observation.period, func.count())
            .join(Firm, Firm.id == Observation.firm_id)
            .where(Firm.portfolio_id == firm.portfolio_id, Observation.period.in_(periods))
            .group_by(Observation.period)
        ).all()
    )
    for period in list(peer_rows):
        if 2 * len(peer_rows[period]) < observed_firms.get(period, 0):
            del peer_rows[period]
    probability_chart = None
    if len(scored) > 1:
        probability_chart = trend(
            scored,
            [s.probability for s in history],
            [_median(p for p, _ in peer_rows[period]) for period in scored],
            title=f"Probability of distress of {firm.code} and its portfolio's median",
            width=420,
            height=120,
        )

    stored = {s.period: s.indicators or {} for s in history}
    features: list[str] = []
    for reason in reasons:
        feature = reason.get("feature")
        if isinstance(feature, str) and feature not in features:
            features.append(feature)
    for feature in sorted(history[-1].indicators or {}):
        if len(features) >= TRENDS:
            break
        if feature not in features:
            features.append(feature)
    features = features[:TRENDS]
    computed: dict[int, dict[str, Any]] | None = None

    def value(period: int, feature: str) -> Any:
        nonlocal computed
        if period in stored:  # what the model saw, missing values included
            return stored[period].get(feature)
        if _finite(observed.get(period, {}).get(feature)) is not None:
            return observed[period][feature]
        if period not in observed:
            return None
        if computed is None:
            computed = _computed_indicators(firm.code, observed)
        return computed.get(period, {}).get(feature)

    names = _indicator_names(features, reasons)
    trends = []
    for feature in features:
        own = [value(period, feature) for period in periods]
        if sum(_finite(v) is not None for v in own) < 2:
            continue
        peer = [_median(ind.get(feature) for _, ind in peer_rows[period]) for period in periods]
        label = names.get(feature, feature)
        trends.append(
            Trend(
                name=label,
                svg=trend(periods, own, peer, title=f"{label} of {firm.code} and peer median"),
                last_period=str(periods[-1]),
                last_value=fmt.number(own[-1]),
                last_peer=fmt.number(peer[-1]),
                has_peer=any(_finite(v) is not None for v in peer),
            )
        )
    return probability_chart, trends


def firm_view(session: Session, user: User, firm_id: int) -> FirmView:
    """A firm's latest warning, its reasons, trends, open alerts and register entries.

    A firm outside the user's portfolios answers 404 exactly like a missing one.
    """
    firm = get_firm(session, user, firm_id)
    portfolio = session.get(Portfolio, firm.portfolio_id)
    model = active_model(session)
    history: list[Score] = []
    if model is not None:
        history = list(
            session.scalars(
                select(Score)
                .where(Score.firm_id == firm.id, Score.model_id == model.id)
                .order_by(Score.period)
            )
        )
    latest = history[-1] if history else None
    previous = history[-2] if len(history) > 1 else None
    change = None
    if latest is not None and previous is not None:
        levels = all_levels([latest.level, previous.level])
        steps = level_rank(levels, latest.level) - level_rank(levels, previous.level)
        change = "downgrade" if steps > 0 else "upgrade" if steps < 0 else "unchanged"
    raw_reasons = top_reasons(latest.reasons if latest else [], n=100)
    probability_chart, trends = (
        _trends(session, firm, model, history, raw_reasons) if model and history else (None, [])
    )
    alerts = alert_rows(
        session, list_alerts(session, user, status="open", firm_id=firm.id, limit=50)
    )
    alerts.sort(key=lambda a: a.period, reverse=True)  # stable: newest first within a period
    entries = [
        EntryRow(entry=e, code=firm.code)
        for e in register.list_entries(session, user, firm_id=firm.id, limit=LIST_LIMIT)
    ]
    pending = change_rows(
        session,
        user,
        reversed(
            register.list_changes(
                session, user, status="pending", firm_id=firm.id, limit=LIST_LIMIT
            )
        ),
    )
    return FirmView(
        firm=firm,
        portfolio=portfolio.name if portfolio else "",
        simulated=portfolio is not None and portfolio.name == DEMO_PORTFOLIO,
        model=model,
        latest=latest,
        previous=previous,
        change=change,
        reasons=[reason_row(r) for r in raw_reasons],
        history=history,
        probability_chart=probability_chart,
        trends=trends,
        alerts=alerts,
        entries=entries,
        pending=pending,
    )
