"""Alert rules of a portfolio: indicator thresholds, levels reached, level migrations.

``params`` by ``kind`` (see :mod:`finwarn.service._rule_params`):

* ``threshold``: ``{"indicator": "current_ratio", "op": "<", "value": 0.8, "level": "moderate"}``
* ``level``: ``{"at_least": "heavy"}``
* ``migration``: ``{"direction": "downgrade", "min_steps": 2}``
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from finwarn.service import _rules
from finwarn.service._deps import CurrentUser, SessionDep, require
from finwarn.service._domain_errors import GovernanceError, as_http
from finwarn.service._tables import AlertRule, User
from finwarn.service.routers._params import NO_NUL, BodyId, PathId, QueryId

__all__ = ["router"]

router = APIRouter(prefix="/rules", tags=["alert rules"])
RuleWriter = Annotated[User, Depends(require("rules"))]


class RuleCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    kind: Literal["threshold", "level", "migration"]
    portfolio_id: BodyId
    params: dict[str, Any] = Field(description="By kind; see the module documentation.")
    active: bool = True


class RuleUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100, pattern=NO_NUL)
    params: dict[str, Any] | None = None
    active: bool | None = None


class RuleOut(BaseModel):
    id: int
    name: str
    kind: str
    portfolio_id: int
    params: dict[str, Any]
    active: bool
    created_by: int
    created_at: datetime
    warnings: list[str] = Field(
        default_factory=list, description="Advice, e.g. an indicator finwarn does not know."
    )


def _out(rule: AlertRule, warnings: list[str] | None = None) -> RuleOut:
    return RuleOut(
        id=rule.id,
        name=rule.name,
        kind=rule.kind,
        portfolio_id=rule.portfolio_id,
        params=rule.params,
        active=rule.active,
        created_by=rule.created_by,
        created_at=rule.created_at,
        warnings=warnings or [],
    )


@router.get("", response_model=list[RuleOut])
def list_rules(
    user: CurrentUser, session: SessionDep, portfolio_id: QueryId = None
) -> list[RuleOut]:
    """The alert rules of your portfolios."""
    return [_out(r) for r in _rules.list_rules(session, user, portfolio_id=portfolio_id)]


@router.post("", response_model=RuleOut, status_code=status.HTTP_201_CREATED)
def create_rule(body: RuleCreate, user: RuleWriter, session: SessionDep) -> RuleOut:
    """Create a rule of one of your portfolios; it checks every new score of its firms."""
    try:
        rule, warnings = _rules.create_rule(
            session,
            user,
            name=body.name,
            kind=body.kind,
            portfolio_id=body.portfolio_id,
            params=body.params,
            active=body.active,
        )
    except GovernanceError as error:
        raise as_http(error) from error
    return _out(rule, warnings)


@router.get("/{rule_id}", response_model=RuleOut)
def get_rule(rule_id: PathId, user: CurrentUser, session: SessionDep) -> RuleOut:
    """One rule (404 "Alert rule not found" also for another portfolio's rule)."""
    try:
        return _out(_rules.get_rule(session, user, rule_id))
    except GovernanceError as error:
        raise as_http(error) from error


@router.patch("/{rule_id}", response_model=RuleOut)
def update_rule(
    rule_id: PathId, body: RuleUpdate, user: RuleWriter, session: SessionDep
) -> RuleOut:
    """Rename a rule, change its params (its kind stays) or switch it on or off."""
    try:
        rule, warnings = _rules.update_rule(
            session, user, rule_id, name=body.name, params=body.params, active=body.active
        )
    except GovernanceError as error:
        raise as_http(error) from error
    return _out(rule, warnings)


@router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: PathId, user: RuleWriter, session: SessionDep) -> None:
    """Delete a rule that has raised no alerts (otherwise deactivate it)."""
    try:
        _rules.delete_rule(session, user, rule_id)
    except GovernanceError as error:
        raise as_http(error) from error
