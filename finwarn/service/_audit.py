"""The append-only audit log: every write records who, what, when, before and after."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from finwarn.service._tables import AuditEvent, User

__all__ = ["record", "snapshot"]

# Columns never copied into the log.
_SECRET_COLUMNS = {"password_hash", "digest"}


def _plain(value: Any) -> Any:
    if isinstance(value, date):  # datetimes too: the columns always hold UTC with its zone
        return value.isoformat()
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """The column values of an ORM object, JSON-ready, secrets left out."""
    return {
        column.key: _plain(getattr(obj, column.key))
        for column in inspect(obj).mapper.column_attrs
        if column.key not in _SECRET_COLUMNS
    }


def record(
    session: Session,
    user: User | None,
    action: str,
    entity: str,
    entity_id: Any = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to ``session``: it is committed with the change it describes."""
    event = AuditEvent(
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else "system",
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
    )
    session.add(event)
    return event
