"""The audit log (admins): every write, who made it, when, and before/after. Read-only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select

from finwarn.service._deps import SessionDep, require
from finwarn.service._tables import AuditEvent, User
from finwarn.service.routers._params import Limit, Offset, QueryText

__all__ = ["router"]

router = APIRouter(prefix="/audit", tags=["audit"])
Auditor = Annotated[User, Depends(require("audit"))]


def _utc(moment: datetime) -> datetime:
    # naive means UTC; SQLite compares the stored UTC wall time, so convert aware ones
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00: as far as datetime goes
        return (datetime.max if moment.year > 1 else datetime.min).replace(tzinfo=UTC)


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    username: str
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@router.get("", response_model=list[AuditEventOut])
def list_events(
    auditor: Auditor,
    session: SessionDep,
    entity: QueryText = None,
    entity_id: QueryText = None,
    username: QueryText = None,
    action: QueryText = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[AuditEventOut]:
    """Audit events, newest first; ``since`` inclusive, ``until`` exclusive."""
    query = select(AuditEvent)
    if entity is not None:
        query = query.where(AuditEvent.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if username is not None:
        query = query.where(AuditEvent.username == username)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.at >= _utc(since))
    if until is not None:
        query = query.where(AuditEvent.at < _utc(until))
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
    return [AuditEventOut.model_validate(e, from_attributes=True) for e in session.scalars(query)]
