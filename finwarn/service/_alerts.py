"""Alerts of the user's firms: list, get, acknowledge and close them, and their summary.

:func:`alert_summary` is what the alert view shows: alerts by level, status and the
dimension of the strongest risk-raising reason, and the level migrations between each
firm's two latest scored periods (:class:`MigrationSummary`).

Each function checks the user's permission and portfolio scope (an alert of a firm out
of scope answers like a missing one); the status changes write the audit log and
commit. They raise the errors of :mod:`finwarn.service._domain_errors`. Alerts are
raised by :func:`finwarn.service._alerting.raise_alerts`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from finwarn.service._audit import record, snapshot
from finwarn.service._deps import portfolio_ids
from finwarn.service._domain_errors import ConflictError, NotFoundError, need
from finwarn.service._rule_params import levels, model_levels
from finwarn.service._tables import Alert, Firm, ModelRecord, Score, User

__all__ = [
    "ALERT_NOT_FOUND",
    "ALERT_STATUSES",
    "AlertSummary",
    "MigrationSummary",
    "acknowledge_alert",
    "alert_summary",
    "close_alert",
    "get_alert",
    "list_alerts",
    "strongest_dimension",
]

ALERT_STATUSES = ("open", "acknowledged", "closed")
ALERT_NOT_FOUND = "Alert not found"
#: The dimension counted for an alert whose score has no reason raising the risk.
UNEXPLAINED = "unexplained"


# --------------------------------------------------------------------------- permissions


# --------------------------------------------------------------------------- alerts


def list_alerts(
    session: Session,
    user: User,
    *,
    level: str | None = None,
    status: str | None = None,
    firm_id: int | None = None,
    portfolio_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[tuple[Alert, Firm]]:
    """The alerts of the firms in the user's portfolios, newest first, with their firm.

    A ``firm_id`` or ``portfolio_id`` outside the user's scope gives no alerts, exactly
    like one that does not exist.
    """
    need(user.role, "read")
    query = (
        select(Alert, Firm)
        .join(Firm, Firm.id == Alert.firm_id)
        .where(Firm.portfolio_id.in_(portfolio_ids(session, user)))
    )
    if level is not None:
        query = query.where(Alert.level == level)
    if status is not None:
        query = query.where(Alert.status == status)
    if firm_id is not None:
        query = query.where(Alert.firm_id == firm_id)
    if portfolio_id is not None:
        query = query.where(Firm.portfolio_id == portfolio_id)
    query = query.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit).offset(offset)
    return [(alert, firm) for alert, firm in session.execute(query)]


def get_alert(session: Session, user: User, alert_id: int) -> tuple[Alert, Firm]:
    """The alert and its firm, if the firm is in the user's portfolios.

    Raises
    ------
    NotFoundError
        ``"Alert not found"``, for a missing alert and one of a firm out of scope.
    """
    need(user.role, "read")
    alert = session.get(Alert, alert_id)
    firm = session.get(Firm, alert.firm_id) if alert is not None else None
    if alert is None or firm is None or firm.portfolio_id not in portfolio_ids(session, user):
        raise NotFoundError(ALERT_NOT_FOUND)
    return alert, firm


def _set_status(
    session: Session, user: User, alert_id: int, status: str, allowed: Iterable[str]
) -> Alert:
    need(user.role, "alerts")
    alert, _ = get_alert(session, user, alert_id)
    if alert.status == status:
        raise ConflictError(f"Alert {alert.id} is already {status}.")
    if alert.status not in allowed:
        raise ConflictError(f"Alert {alert.id} is {alert.status}; it cannot be {status}.")
    before = snapshot(alert)
    alert.status = status
    action = "acknowledge" if status == "acknowledged" else "close"
    record(session, user, action, "alert", alert.id, before=before, after=snapshot(alert))
    session.commit()
    return alert


def acknowledge_alert(session: Session, user: User, alert_id: int) -> Alert:
    """Mark an open alert as seen (audited, committed).

    Raises
    ------
    PermissionDeniedError
        The role lacks "alerts".
    NotFoundError
        ``"Alert not found"``.
    ConflictError
        The alert is not open: ``"Alert 7 is already acknowledged."``,
        ``"Alert 7 is closed; it cannot be acknowledged."``
    """
    return _set_status(session, user, alert_id, "acknowledged", ("open",))


def close_alert(session: Session, user: User, alert_id: int) -> Alert:
    """Close an open or acknowledged alert (audited, committed).

    Raises
    ------
    PermissionDeniedError, NotFoundError
        As :func:`acknowledge_alert`.
    ConflictError
        The alert is closed already: ``"Alert 7 is already closed."``
    """
    return _set_status(session, user, alert_id, "closed", ("open", "acknowledged"))


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class MigrationSummary:
    """Level changes between each firm's two latest periods scored by one model.

    Attributes
    ----------
    model_id : int or None
        The active model (None when no model is active: everything is 0).
    firms : int
        Firms with at least two scored periods.
    downgrades, upgrades, unchanged : int
        Firms whose level rose in risk, fell, or stayed.
    transitions : list of dict
        ``{"from_level", "to_level", "firms"}`` for every pair seen, in level order.
    """

    model_id: int | None = None
    firms: int = 0
    downgrades: int = 0
    upgrades: int = 0
    unchanged: int = 0
    transitions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class AlertSummary:
    """What the alert view shows: alerts by level, status and dimension, and migrations.

    Attributes
    ----------
    levels : list of str
        The warning levels, safest first.
    total : int
        Alerts counted (closed ones only with ``include_closed``).
    by_level : dict
        Alerts per level, every level present (0 if none), in level order.
    by_status : dict
        Alerts per status, every status present.
    by_dimension : dict
        Alerts per dimension of the strongest reason raising the risk in the score that
        the alert is about, most alerts first; ``"unexplained"`` when that score has
        no such reason (or the alert is not linked to a score).
    migrations : MigrationSummary
    """

    levels: list[str]
    total: int
    by_level: dict[str, int]
    by_status: dict[str, int]
    by_dimension: dict[str, int]
    migrations: MigrationSummary


def strongest_dimension(reasons: Sequence[Any] | None) -> str | None:
    """The dimension of the strongest reason that raises the risk, or None.

    The strongest is the lowest ``order`` (1 = strongest) among reasons whose ``effect``
    is ``"raises"``; reasons without ``order`` fall back to the largest contribution.
    """
    raising = [r for r in reasons or [] if isinstance(r, dict) and r.get("effect") == "raises"]
    if not raising:
        return None

    def strength(reason: dict[str, Any]) -> tuple[float, float]:
        order = reason.get("order")
        contribution = reason.get("contribution")
        return (
            float(order) if isinstance(order, int | float) else math.inf,
            -float(contribution) if isinstance(contribution, int | float) else 0.0,
        )

    dimension = min(raising, key=strength).get("dimension")
    return str(dimension) if dimension else None


def _migrations(session: Session, scope: list[int], portfolio_id: int | None) -> MigrationSummary:
    model = session.scalar(
        select(ModelRecord).where(ModelRecord.active.is_(True)).order_by(ModelRecord.id).limit(1)
    )
    if model is None:
        return MigrationSummary()
    model_id = model.id
    newest = (
        func.row_number()
        .over(partition_by=Score.firm_id, order_by=Score.period.desc())
        .label("newest")
    )
    ranked = (
        select(Score.firm_id, Score.period, Score.level, newest)
        .join(Firm, Firm.id == Score.firm_id)
        .where(Score.model_id == model_id, Score.period != -1, Firm.portfolio_id.in_(scope))
    )
    if portfolio_id is not None:
        ranked = ranked.where(Firm.portfolio_id == portfolio_id)
    sub = ranked.subquery()
    rows = session.execute(
        select(sub.c.firm_id, sub.c.newest, sub.c.level).where(sub.c.newest <= 2)
    )
    latest: dict[int, dict[int, str]] = defaultdict(dict)
    for firm_id, position, level in rows:
        latest[firm_id][position] = level
    pairs: Counter[tuple[str, str]] = Counter()
    for both in latest.values():
        if 1 in both and 2 in both:
            pairs[(both[2], both[1])] += 1
    order = {level: i for i, level in enumerate(model_levels(model))}
    up = down = same = 0
    for (old, new), count in pairs.items():
        a, b = order.get(old), order.get(new)
        if a is None or b is None:
            continue
        if b > a:
            down += count
        elif b < a:
            up += count
        else:
            same += count
    far = len(order)
    transitions = [
        {"from_level": old, "to_level": new, "firms": count}
        for (old, new), count in sorted(
            pairs.items(), key=lambda item: (order.get(item[0][0], far), order.get(item[0][1], far))
        )
    ]
    return MigrationSummary(
        model_id=model_id,
        firms=sum(pairs.values()),
        downgrades=down,
        upgrades=up,
        unchanged=same,
        transitions=transitions,
    )


def alert_summary(
    session: Session,
    user: User,
    *,
    portfolio_id: int | None = None,
    include_closed: bool = False,
) -> AlertSummary:
    """Summarise the alerts of the user's firms for the alert view.

    Parameters
    ----------
    session : Session
    user : User
        Only firms of the portfolios granted to them count.
    portfolio_id : int, optional
        Only this portfolio (a portfolio out of scope counts nothing).
    include_closed : bool, default False
        Count closed alerts too.
    """
    need(user.role, "read")
    scope = portfolio_ids(session, user)
    query = (
        select(Alert.level, Alert.status, Score.reasons)
        .join(Firm, Firm.id == Alert.firm_id)
        .outerjoin(
            Score,
            and_(
                Score.firm_id == Alert.firm_id,
                Score.period == Alert.period,
                Score.model_id == Alert.model_id,
            ),
        )
        .where(Firm.portfolio_id.in_(scope))
    )
    if portfolio_id is not None:
        query = query.where(Firm.portfolio_id == portfolio_id)
    if not include_closed:
        query = query.where(Alert.status != "closed")
    by_level: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    by_dimension: Counter[str] = Counter()
    total = 0
    for level, status, reasons in session.execute(query):
        total += 1
        by_level[level] += 1
        by_status[status] += 1
        by_dimension[strongest_dimension(reasons) or UNEXPLAINED] += 1
    order = list(levels())
    extra = sorted(set(by_level) - set(order))
    return AlertSummary(
        levels=order,
        total=total,
        by_level={level: by_level[level] for level in order + extra},
        by_status={status: by_status[status] for status in ALERT_STATUSES},
        by_dimension=dict(sorted(by_dimension.items(), key=lambda item: (-item[1], item[0]))),
        migrations=_migrations(session, scope, portfolio_id),
    )
