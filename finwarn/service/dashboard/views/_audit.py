"""The audit-log page: events newest first, with the fields each one changed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finwarn.report import _format as fmt
from finwarn.service._tables import AuditEvent
from finwarn.service.dashboard.views._common import aware

__all__ = ["AUDIT_PAGE_SIZE", "AuditRow", "AuditView", "audit_changes", "audit_view"]

AUDIT_PAGE_SIZE = 50


@dataclass
class AuditRow:
    event: AuditEvent
    changes: list[tuple[str, str, str]]


@dataclass
class AuditView:
    events: list[AuditRow]
    page: int
    pages: int
    total: int


def _short(value: Any, limit: int = 60) -> str:
    text = fmt.text(value) if value != "" else fmt.MISSING
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _same(a: Any, b: Any) -> bool:
    """Equal values; timestamps equal when they name the same moment.

    SQLite gives datetimes back without their time zone (UTC), so a record read before
    and after a write may print the same moment with and without ``+00:00``.
    """
    if a == b:
        return True
    if isinstance(a, str) and isinstance(b, str):
        try:
            return aware(datetime.fromisoformat(a)) == aware(datetime.fromisoformat(b))
        except ValueError:
            return False
    return False


def audit_changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[tuple[str, str, str]]:
    """The fields an event changed: (name, before, after), for events with both records.

    >>> audit_changes({"status": "pending", "id": 3}, {"status": "approved", "id": 3})
    [('status', 'pending', 'approved')]
    >>> audit_changes({"at": "2024-01-02T03:04:05+00:00"}, {"at": "2024-01-02T03:04:05"})
    []
    """
    if not before or not after:
        return []
    return [
        (key, _short(before.get(key)), _short(after.get(key)))
        for key in dict.fromkeys([*before, *after])
        if not _same(before.get(key), after.get(key))
    ]


def audit_view(session: Session, page: int = 1) -> AuditView:
    """One page of the audit log, newest first (the caller checks the 'audit' permission)."""
    total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    pages = max(1, math.ceil(total / AUDIT_PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = session.scalars(
        select(AuditEvent)
        .order_by(AuditEvent.id.desc())
        .offset((page - 1) * AUDIT_PAGE_SIZE)
        .limit(AUDIT_PAGE_SIZE)
    )
    rows = [AuditRow(event=e, changes=audit_changes(e.before, e.after)) for e in events]
    return AuditView(events=rows, page=page, pages=pages, total=total)
