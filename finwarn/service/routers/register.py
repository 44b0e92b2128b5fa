"""The risk register: entries are read here and changed only through approved proposals.

There is deliberately no endpoint that writes an entry: ``POST /register/changes``
proposes, and ``POST /register/changes/{id}/approve`` (by another user holding the
approver role) applies the proposal. The logic lives in :mod:`finwarn.service._register`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from finwarn.service import _register
from finwarn.service._deps import CurrentUser, SessionDep, require
from finwarn.service._domain_errors import GovernanceError, as_http
from finwarn.service._tables import RiskChange, RiskEntry, User
from finwarn.service.routers._params import MAX_ID, NO_NUL, Limit, Offset, PathId, QueryId

__all__ = ["router"]

router = APIRouter(prefix="/register", tags=["risk register"])
Proposer = Annotated[User, Depends(require("propose"))]
Approver = Annotated[User, Depends(require("approve"))]
Severity = Literal["low", "medium", "high", "critical"]


class ChangeCreate(BaseModel):
    action: Literal["create", "update", "delete"]
    firm_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The firm of a new entry (create)."
    )
    entry_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The entry (update, delete)."
    )
    title: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    description: str | None = Field(default=None, max_length=10_000, pattern=NO_NUL)
    severity: Severity | None = None
    owner: str | None = Field(default=None, max_length=100, pattern=NO_NUL)


class ApproveBody(BaseModel):
    comment: str = Field(default="", max_length=2_000, pattern=NO_NUL)


class RejectBody(BaseModel):
    comment: str = Field(
        min_length=1, max_length=2_000, pattern=NO_NUL, description="Why it is rejected."
    )


class EntryOut(BaseModel):
    id: int
    firm_id: int
    title: str
    description: str
    severity: str
    owner: str
    created_at: datetime
    updated_at: datetime


class ChangeOut(BaseModel):
    id: int
    action: str
    firm_id: int
    entry_id: int | None
    status: str
    fields: dict[str, str] = Field(description="The entry's fields the change sets.")
    entry: dict[str, Any] | None = Field(description="The entry when it was proposed.")
    proposed_by: int
    proposed_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    comment: str


def _entry(entry: RiskEntry) -> EntryOut:
    return EntryOut.model_validate(entry, from_attributes=True)


def _change(change: RiskChange) -> ChangeOut:
    payload = change.payload or {}
    return ChangeOut(
        id=change.id,
        action=change.action,
        firm_id=change.firm_id,
        entry_id=change.entry_id,
        status=change.status,
        fields=payload.get("fields") or {},
        entry=payload.get("entry"),
        proposed_by=change.proposed_by,
        proposed_at=change.proposed_at,
        decided_by=change.decided_by,
        decided_at=change.decided_at,
        comment=change.comment or "",
    )


def _call(function: Any, session: Session, *args: Any, **kwargs: Any) -> Any:
    try:
        return function(session, *args, **kwargs)
    except GovernanceError as error:
        raise as_http(error) from error


@router.get("/entries", response_model=list[EntryOut])
def list_entries(
    user: CurrentUser,
    session: SessionDep,
    firm_id: QueryId = None,
    severity: Severity | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[EntryOut]:
    """Risk entries of the firms in your portfolios, most recently changed first."""
    found = _call(
        _register.list_entries,
        session,
        user,
        firm_id=firm_id,
        severity=severity,
        limit=limit,
        offset=offset,
    )
    return [_entry(e) for e in found]


@router.get("/entries/{entry_id}", response_model=EntryOut)
def get_entry(entry_id: PathId, user: CurrentUser, session: SessionDep) -> EntryOut:
    """One risk entry (404 "Risk entry not found" also for another portfolio's entry)."""
    return _entry(_call(_register.get_entry, session, user, entry_id))


@router.get("/changes", response_model=list[ChangeOut])
def list_changes(
    user: CurrentUser,
    session: SessionDep,
    status: Literal["pending", "approved", "rejected"] | None = None,
    firm_id: QueryId = None,
    entry_id: QueryId = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ChangeOut]:
    """Proposed changes about firms in your portfolios, newest first."""
    found = _call(
        _register.list_changes,
        session,
        user,
        status=status,
        firm_id=firm_id,
        entry_id=entry_id,
        limit=limit,
        offset=offset,
    )
    return [_change(c) for c in found]


@router.get("/changes/{change_id}", response_model=ChangeOut)
def get_change(change_id: PathId, user: CurrentUser, session: SessionDep) -> ChangeOut:
    """One proposed change (404 "Risk change not found" also for another portfolio's)."""
    return _change(_call(_register.get_change, session, user, change_id))


@router.post("/changes", response_model=ChangeOut, status_code=status.HTTP_201_CREATED)
def propose(body: ChangeCreate, user: Proposer, session: SessionDep) -> ChangeOut:
    """Propose adding (firm_id, title, severity), changing or deleting (entry_id) an entry.

    The change waits for another user holding the approver role.
    """
    change = _call(
        _register.propose,
        session,
        user,
        body.action,
        firm_id=body.firm_id,
        entry_id=body.entry_id,
        title=body.title,
        description=body.description,
        severity=body.severity,
        owner=body.owner,
    )
    return _change(change)


@router.post("/changes/{change_id}/approve", response_model=ChangeOut)
def approve(
    change_id: PathId, user: Approver, session: SessionDep, body: ApproveBody | None = None
) -> ChangeOut:
    """Approve someone else's pending proposal: it is applied to the register at once."""
    comment = body.comment if body is not None else ""
    return _change(_call(_register.approve, session, change_id, user, comment))


@router.post("/changes/{change_id}/reject", response_model=ChangeOut)
def reject(change_id: PathId, body: RejectBody, user: Approver, session: SessionDep) -> ChangeOut:
    """Reject someone else's pending proposal, saying why."""
    return _change(_call(_register.reject, session, change_id, user, body.comment))
