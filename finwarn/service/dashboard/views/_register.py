"""The risk-register page: entries, pending proposals and recent decisions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from finwarn.report import _format as fmt
from finwarn.service import _register as register
from finwarn.service._security import role_can
from finwarn.service._tables import Firm, RiskChange, RiskEntry, User
from finwarn.service.dashboard.views._common import LIST_LIMIT, Scope, aware, scope_of

__all__ = [
    "ChangeField",
    "ChangeRow",
    "EntryRow",
    "RegisterView",
    "change_rows",
    "register_view",
]

#: Decided risk-register changes shown under the pending ones.
RECENT_DECISIONS = 20


@dataclass
class EntryRow:
    entry: RiskEntry
    code: str


@dataclass
class ChangeField:
    """A field a proposal sets: its value before (update, delete) and after (create, update)."""

    name: str
    old: str | None
    new: str | None


@dataclass
class ChangeRow:
    change: RiskChange
    code: str
    proposer: str
    decider: str | None
    entry_title: str | None
    fields: list[ChangeField]
    own: bool
    can_decide: bool


def change_rows(session: Session, user: User, changes: Iterable[RiskChange]) -> list[ChangeRow]:
    """Risk-register proposals as the pages show them, with who may decide each."""
    changes = list(changes)
    user_ids = {c.proposed_by for c in changes} | {c.decided_by for c in changes if c.decided_by}
    firm_ids = {c.firm_id for c in changes}
    usernames = dict(
        session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all()
    )
    codes = dict(session.execute(select(Firm.id, Firm.code).where(Firm.id.in_(firm_ids))).all())
    approver = role_can(user.role, "approve")
    rows = []
    for change in changes:
        payload = change.payload or {}
        entry = payload.get("entry") or {}
        proposed = payload.get("fields") or {}
        fields = []
        for name in register.FIELDS:
            if change.action == "delete":
                old, new = entry.get(name), None
            else:
                if name not in proposed:
                    continue
                old, new = entry.get(name), proposed[name]
                if change.action == "create" and new in (None, ""):
                    continue
            if old in (None, "") and new in (None, ""):
                continue
            fields.append(
                ChangeField(
                    name=fmt.label(name),
                    old=None if old is None or change.action == "create" else str(old),
                    new=None if new is None else str(new),
                )
            )
        rows.append(
            ChangeRow(
                change=change,
                code=codes.get(change.firm_id, str(change.firm_id)),
                proposer=usernames.get(change.proposed_by, f"user {change.proposed_by}"),
                decider=usernames.get(change.decided_by) if change.decided_by else None,
                entry_title=entry.get("title"),
                fields=fields,
                own=change.proposed_by == user.id,
                can_decide=approver
                and change.status == "pending"
                and change.proposed_by != user.id,
            )
        )
    return rows


# --------------------------------------------------------------------------- register


@dataclass
class RegisterView:
    scope: Scope
    entries: list[EntryRow]
    pending: list[ChangeRow]
    decided: list[ChangeRow]
    firms: list[tuple[int, str]]
    can_propose: bool
    can_approve: bool
    severities: tuple[str, ...] = register.SEVERITIES


def register_view(session: Session, user: User) -> RegisterView:
    """The risk register of the user's portfolios: entries, pending and recent decisions."""
    scope = scope_of(session, user)
    firms = [
        (firm_id, code)
        for firm_id, code in session.execute(
            select(Firm.id, Firm.code).where(Firm.portfolio_id.in_(scope.shown)).order_by(Firm.code)
        )
    ]
    codes = dict(firms)
    entries = [
        EntryRow(entry=e, code=codes.get(e.firm_id, str(e.firm_id)))
        for e in register.list_entries(session, user, limit=LIST_LIMIT)
    ]
    # oldest pending first: the queue in the order it is worked through
    pending = register.list_changes(session, user, status="pending", limit=LIST_LIMIT)
    pending.reverse()
    decided = sorted(
        register.list_changes(session, user, status="approved", limit=RECENT_DECISIONS)
        + register.list_changes(session, user, status="rejected", limit=RECENT_DECISIONS),
        key=lambda c: (c.decided_at is not None, aware(c.decided_at), c.id),
        reverse=True,
    )[:RECENT_DECISIONS]
    return RegisterView(
        scope=scope,
        entries=entries,
        pending=change_rows(session, user, pending),
        decided=change_rows(session, user, decided),
        firms=firms,
        can_propose=role_can(user.role, "propose"),
        can_approve=role_can(user.role, "approve"),
    )
