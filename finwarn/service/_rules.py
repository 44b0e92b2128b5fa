"""Alert rules of a portfolio: list, get, create, update and delete them.

Each function checks the user's permission and portfolio scope, writes the audit log and
commits; they raise the errors of :mod:`finwarn.service._domain_errors`. What a rule's
params may be is :mod:`finwarn.service._rule_params`; when a rule raises an alert is
:func:`finwarn.service._alerting.raise_alerts`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finwarn.service._audit import record, snapshot
from finwarn.service._deps import portfolio_ids
from finwarn.service._domain_errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    need,
)
from finwarn.service._rule_params import parse_rule_params, rule_warnings
from finwarn.service._tables import Alert, AlertRule, Portfolio, User

__all__ = [
    "RULE_NOT_FOUND",
    "create_rule",
    "delete_rule",
    "get_rule",
    "list_rules",
    "update_rule",
]

RULE_NOT_FOUND = "Alert rule not found"
PORTFOLIO_NOT_FOUND = "Portfolio not found"


# --------------------------------------------------------------------------- permissions


# --------------------------------------------------------------------------- rules


def list_rules(session: Session, user: User, *, portfolio_id: int | None = None) -> list[AlertRule]:
    """The alert rules of the user's portfolios (of one of them, if given)."""
    need(user.role, "read")
    scope = portfolio_ids(session, user)
    query = select(AlertRule).where(AlertRule.portfolio_id.in_(scope))
    if portfolio_id is not None:
        query = query.where(AlertRule.portfolio_id == portfolio_id)
    return list(session.scalars(query.order_by(AlertRule.id)))


def get_rule(session: Session, user: User, rule_id: int) -> AlertRule:
    """The rule, if it exists and belongs to one of the user's portfolios.

    Raises
    ------
    NotFoundError
        ``"Alert rule not found"``, for a missing rule and a rule of another portfolio.
    """
    need(user.role, "read")
    rule = session.get(AlertRule, rule_id)
    if rule is None or rule.portfolio_id not in portfolio_ids(session, user):
        raise NotFoundError(RULE_NOT_FOUND)
    return rule


def create_rule(
    session: Session,
    user: User,
    *,
    name: str,
    kind: str,
    portfolio_id: int,
    params: dict[str, Any],
    active: bool = True,
) -> tuple[AlertRule, list[str]]:
    """Create an alert rule of a portfolio (audited, committed).

    Returns
    -------
    (AlertRule, list of str)
        The rule and advice about it (an indicator finwarn does not know).

    Raises
    ------
    PermissionDeniedError
        The role lacks "rules".
    NotFoundError
        ``"Portfolio not found"`` (missing or not granted to the user).
    InvalidRequestError
        Invalid kind or params, or an empty name.
    """
    need(user.role, "rules")
    portfolio = session.get(Portfolio, portfolio_id)
    if portfolio is None or portfolio.id not in portfolio_ids(session, user):
        raise NotFoundError(PORTFOLIO_NOT_FOUND)
    name = _rule_name(name)
    parsed = parse_rule_params(kind, params)
    rule = AlertRule(
        name=name,
        kind=kind,
        portfolio_id=portfolio_id,
        params=parsed.stored(),
        active=active,
        created_by=user.id,
    )
    session.add(rule)
    session.flush()
    record(session, user, "create", "alert_rule", rule.id, after=snapshot(rule))
    session.commit()
    return rule, rule_warnings(session, parsed)


def _rule_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidRequestError("A rule needs a name of 1 to 100 characters.")
    return name


def update_rule(
    session: Session,
    user: User,
    rule_id: int,
    *,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    active: bool | None = None,
) -> tuple[AlertRule, list[str]]:
    """Rename a rule, change its params (same kind) or (de)activate it (audited, committed).

    Raises
    ------
    PermissionDeniedError, NotFoundError, InvalidRequestError
        As :func:`create_rule`; ``"Alert rule not found"`` for a rule out of scope.
    """
    need(user.role, "rules")
    rule = get_rule(session, user, rule_id)
    before = snapshot(rule)
    warnings: list[str] = []
    if name is not None:
        rule.name = _rule_name(name)
    if params is not None:
        parsed = parse_rule_params(rule.kind, params)
        rule.params = parsed.stored()
        warnings = rule_warnings(session, parsed)
    if active is not None:
        rule.active = active
    after = snapshot(rule)
    if after != before:  # an empty or no-op PATCH writes nothing
        record(session, user, "update", "alert_rule", rule.id, before=before, after=after)
        session.commit()
    return rule, warnings


def delete_rule(session: Session, user: User, rule_id: int) -> None:
    """Delete a rule that has raised no alert yet (audited, committed).

    Raises
    ------
    ConflictError
        The rule has raised alerts (they keep pointing at it): deactivate it instead.
    PermissionDeniedError, NotFoundError
        As :func:`update_rule`.
    """
    need(user.role, "rules")
    rule = get_rule(session, user, rule_id)
    raised = session.scalar(select(func.count()).where(Alert.rule_id == rule.id)) or 0
    if raised:
        raise ConflictError(
            f"Rule '{rule.name}' has raised {raised} alert(s) and cannot be deleted; "
            "deactivate it instead (PATCH with active false)."
        )
    before = snapshot(rule)
    session.delete(rule)
    record(session, user, "delete", "alert_rule", rule_id, before=before)
    session.commit()
