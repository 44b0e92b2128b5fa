"""Alerts raised by the model and by alert rules, their summary, and their handling."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from finwarn.service import _alerts
from finwarn.service._deps import CurrentUser, SessionDep, require
from finwarn.service._domain_errors import GovernanceError, as_http
from finwarn.service._tables import Alert, Firm, User
from finwarn.service.routers._params import Limit, Offset, PathId, QueryId

__all__ = ["router"]

router = APIRouter(prefix="/alerts", tags=["alerts"])
Handler = Annotated[User, Depends(require("alerts"))]


class AlertOut(BaseModel):
    id: int
    firm_id: int
    firm_code: str
    portfolio_id: int
    period: int
    rule_id: int | None = Field(description="The rule that raised it (None: the model).")
    model_id: int | None
    level: str
    message: str
    status: str
    created_at: datetime


class TransitionOut(BaseModel):
    from_level: str
    to_level: str
    firms: int


class MigrationsOut(BaseModel):
    model_id: int | None = Field(description="The active model whose scores are compared.")
    firms: int = Field(description="Firms with two or more scored periods.")
    downgrades: int = Field(description="Firms whose level rose in risk.")
    upgrades: int = Field(description="Firms whose level fell in risk.")
    unchanged: int
    transitions: list[TransitionOut]


class SummaryOut(BaseModel):
    levels: list[str]
    total: int
    by_level: dict[str, int]
    by_status: dict[str, int]
    by_dimension: dict[str, int] = Field(
        description="By the dimension of the strongest reason raising the risk."
    )
    migrations: MigrationsOut


def _out(alert: Alert, firm: Firm) -> AlertOut:
    return AlertOut(
        id=alert.id,
        firm_id=alert.firm_id,
        firm_code=firm.code,
        portfolio_id=firm.portfolio_id,
        period=alert.period,
        rule_id=alert.rule_id,
        model_id=alert.model_id,
        level=alert.level,
        message=alert.message,
        status=alert.status,
        created_at=alert.created_at,
    )


@router.get("", response_model=list[AlertOut])
def list_alerts(
    user: CurrentUser,
    session: SessionDep,
    level: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,16}$")] = None,
    status: Literal["open", "acknowledged", "closed"] | None = None,
    firm_id: QueryId = None,
    portfolio_id: QueryId = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[AlertOut]:
    """Alerts of the firms in your portfolios, newest first."""
    found = _alerts.list_alerts(
        session,
        user,
        level=level,
        status=status,
        firm_id=firm_id,
        portfolio_id=portfolio_id,
        limit=limit,
        offset=offset,
    )
    return [_out(alert, firm) for alert, firm in found]


@router.get("/summary", response_model=SummaryOut)
def summary(
    user: CurrentUser,
    session: SessionDep,
    portfolio_id: QueryId = None,
    include_closed: bool = False,
) -> SummaryOut:
    """Alerts by level, status and dimension, and level migrations (the alert view)."""
    found = _alerts.alert_summary(
        session, user, portfolio_id=portfolio_id, include_closed=include_closed
    )
    return SummaryOut.model_validate(found, from_attributes=True)


@router.get("/{alert_id}", response_model=AlertOut)
def get_alert(alert_id: PathId, user: CurrentUser, session: SessionDep) -> AlertOut:
    """One alert (404 "Alert not found" also for a firm outside your portfolios)."""
    try:
        return _out(*_alerts.get_alert(session, user, alert_id))
    except GovernanceError as error:
        raise as_http(error) from error


@router.post("/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge(alert_id: PathId, user: Handler, session: SessionDep) -> AlertOut:
    """Mark an open alert as seen."""
    try:
        alert = _alerts.acknowledge_alert(session, user, alert_id)
        return _out(*_alerts.get_alert(session, user, alert.id))
    except GovernanceError as error:
        raise as_http(error) from error


@router.post("/{alert_id}/close", response_model=AlertOut)
def close(alert_id: PathId, user: Handler, session: SessionDep) -> AlertOut:
    """Close an open or acknowledged alert."""
    try:
        alert = _alerts.close_alert(session, user, alert_id)
        return _out(*_alerts.get_alert(session, user, alert.id))
    except GovernanceError as error:
        raise as_http(error) from error
