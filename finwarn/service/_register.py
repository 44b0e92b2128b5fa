"""The risk register: identified risks of firms, changed only through approved proposals.

Nobody edits a :class:`RiskEntry` directly. A user with the "propose" permission
proposes a change (:func:`propose`: create, update or delete an entry); another user,
holding the "approve" permission, approves it (:func:`approve`, which applies it) or
rejects it (:func:`reject`). Nobody decides on their own proposal.

Every function checks the user's permission and scope (a firm, entry or change outside
the user's portfolios is reported exactly like a missing one), writes the audit log in
the same transaction as the change, and commits. They raise only the errors of
:mod:`finwarn.service._domain_errors`, each carrying its HTTP status and message:

* :class:`NotFoundError` (404) ``"Firm not found"``, ``"Risk entry not found"``,
  ``"Risk change not found"``;
* :class:`PermissionDeniedError` (403) ``"The {role} role may not do this (it needs
  '{permission}')."``; its subclass :class:`SelfApprovalError` (403) ``"You cannot
  approve your own proposal; another approver must."`` (or "reject");
* :class:`AlreadyDecidedError` (409) ``"This change was already approved."`` (or
  "rejected"); :class:`StaleProposalError` (409) ``"The entry changed since this
  proposal; propose again."``;
* :class:`InvalidRequestError` (422): a proposal missing what its action needs.

Approving is safe under concurrency on SQLite and PostgreSQL: the change is claimed
with ``UPDATE risk_changes SET status=... WHERE id=... AND status='pending'`` (a second
approver's update matches no row and gets :class:`AlreadyDecidedError`), and an
update or delete re-reads the entry locked (``SELECT ... FOR UPDATE`` on PostgreSQL;
SQLite holds its single write lock from the claim on) and compares its ``updated_at``
with the one recorded in the proposal.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from finwarn._text import did_you_mean
from finwarn.service._audit import record, snapshot
from finwarn.service._deps import portfolio_ids
from finwarn.service._domain_errors import (
    AlreadyDecidedError,
    InvalidRequestError,
    NotFoundError,
    SelfApprovalError,
    StaleProposalError,
    need,
)
from finwarn.service._tables import Firm, RiskChange, RiskEntry, User, utcnow

__all__ = [
    "ACTIONS",
    "CHANGE_NOT_FOUND",
    "CHANGE_STATUSES",
    "ENTRY_NOT_FOUND",
    "FIELDS",
    "FIRM_NOT_FOUND",
    "SEVERITIES",
    "STALE_PROPOSAL",
    "approve",
    "get_change",
    "get_entry",
    "list_changes",
    "list_entries",
    "propose",
    "reject",
]

logger = logging.getLogger(__name__)

ACTIONS = ("create", "update", "delete")
SEVERITIES = ("low", "medium", "high", "critical")
CHANGE_STATUSES = ("pending", "approved", "rejected")
#: The fields of an entry a proposal sets.
FIELDS = ("title", "description", "severity", "owner")
FIRM_NOT_FOUND = "Firm not found"
ENTRY_NOT_FOUND = "Risk entry not found"
CHANGE_NOT_FOUND = "Risk change not found"
STALE_PROPOSAL = "The entry changed since this proposal; propose again."
_LIMITS = {"title": 200, "owner": 100, "description": 10_000}


def _stamp(moment: datetime | None) -> str | None:
    """``updated_at`` as one comparable string, in UTC."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat()


# --------------------------------------------------------------------------- reading


def list_entries(
    session: Session,
    user: User,
    *,
    firm_id: int | None = None,
    severity: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[RiskEntry]:
    """The entries of firms in the user's portfolios, most recently changed first."""
    need(user.role, "read")
    query = (
        select(RiskEntry)
        .join(Firm, Firm.id == RiskEntry.firm_id)
        .where(Firm.portfolio_id.in_(portfolio_ids(session, user)))
    )
    if firm_id is not None:
        query = query.where(RiskEntry.firm_id == firm_id)
    if severity is not None:
        query = query.where(RiskEntry.severity == severity)
    query = query.order_by(RiskEntry.updated_at.desc(), RiskEntry.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def _in_scope(session: Session, user: User, firm_id: int | None) -> bool:
    firm = session.get(Firm, firm_id) if firm_id is not None else None
    return firm is not None and firm.portfolio_id in portfolio_ids(session, user)


def get_entry(session: Session, user: User, entry_id: int) -> RiskEntry:
    """The entry, if its firm is in the user's portfolios.

    Raises
    ------
    NotFoundError
        ``"Risk entry not found"`` for a missing entry and one out of scope alike.
    """
    need(user.role, "read")
    entry = session.get(RiskEntry, entry_id)
    if entry is None or not _in_scope(session, user, entry.firm_id):
        raise NotFoundError(ENTRY_NOT_FOUND)
    return entry


def list_changes(
    session: Session,
    user: User,
    *,
    status: str | None = None,
    firm_id: int | None = None,
    entry_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[RiskChange]:
    """The proposals about firms in the user's portfolios, newest first."""
    need(user.role, "read")
    query = (
        select(RiskChange)
        .join(Firm, Firm.id == RiskChange.firm_id)
        .where(Firm.portfolio_id.in_(portfolio_ids(session, user)))
    )
    if status is not None:
        query = query.where(RiskChange.status == status)
    if firm_id is not None:
        query = query.where(RiskChange.firm_id == firm_id)
    if entry_id is not None:
        query = query.where(RiskChange.entry_id == entry_id)
    query = query.order_by(RiskChange.proposed_at.desc(), RiskChange.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def get_change(session: Session, user: User, change_id: int) -> RiskChange:
    """The proposal, if its firm is in the user's portfolios.

    Raises
    ------
    NotFoundError
        ``"Risk change not found"`` for a missing change and one out of scope alike.
    """
    need(user.role, "read")
    change = session.get(RiskChange, change_id)
    if change is None or not _in_scope(session, user, change.firm_id):
        raise NotFoundError(CHANGE_NOT_FOUND)
    return change


# --------------------------------------------------------------------------- proposing


def _fields(
    title: str | None, description: str | None, severity: str | None, owner: str | None
) -> dict[str, str]:
    given = {"title": title, "description": description, "severity": severity, "owner": owner}
    fields: dict[str, str] = {}
    for name, value in given.items():
        if value is None:
            continue
        value = value.strip()
        if len(value) > _LIMITS.get(name, 10_000):
            raise InvalidRequestError(
                f"The {name} is {len(value)} characters long; at most {_LIMITS[name]} fit."
            )
        fields[name] = value
    if "title" in fields and not fields["title"]:
        raise InvalidRequestError("The title cannot be empty.")
    if "severity" in fields and fields["severity"] not in SEVERITIES:
        raise InvalidRequestError(
            f"Severity '{fields['severity']}' is not one of {', '.join(SEVERITIES)}."
            f"{did_you_mean(fields['severity'], SEVERITIES)}"
        )
    return fields


def propose(
    session: Session,
    user: User,
    action: str,
    *,
    firm_id: int | None = None,
    entry_id: int | None = None,
    title: str | None = None,
    description: str | None = None,
    severity: str | None = None,
    owner: str | None = None,
) -> RiskChange:
    """Propose adding, changing or deleting a risk entry (a pending change; committed).

    Parameters
    ----------
    session : Session
    user : User
        The proposer (needs "propose").
    action : {"create", "update", "delete"}
    firm_id : int, optional
        The firm of a new entry (create only).
    entry_id : int, optional
        The entry to change or delete (update and delete).
    title, description, severity, owner : str, optional
        The entry's fields. Create needs ``title`` and ``severity`` (one of
        :data:`SEVERITIES`); update needs at least one field that differs from the
        entry (fields left out keep their values); delete ignores them.

    Returns
    -------
    RiskChange
        Pending; its ``payload`` holds ``fields``, the entry as it was (``entry``) and
        its ``base_updated_at``, which approval checks.

    Raises
    ------
    PermissionDeniedError
        The role lacks "propose".
    NotFoundError
        ``"Firm not found"`` / ``"Risk entry not found"`` (missing or out of scope).
    InvalidRequestError
        An unknown action, a missing firm_id, entry_id, title or severity, a bad field,
        or an update that changes nothing.
    """
    need(user.role, "propose")
    if action not in ACTIONS:
        raise InvalidRequestError(
            f"Unknown action '{action}'; use create, update or delete."
            f"{did_you_mean(action, ACTIONS)}"
        )
    fields = _fields(title, description, severity, owner)
    entry: RiskEntry | None = None
    if action == "create":
        if firm_id is None:
            raise InvalidRequestError("A create proposal needs the firm_id of the new entry.")
        if not _in_scope(session, user, firm_id):
            raise NotFoundError(FIRM_NOT_FOUND)
        missing = [name for name in ("title", "severity") if name not in fields]
        if missing:
            raise InvalidRequestError(f"A create proposal needs {' and '.join(missing)}.")
        fields = {"description": "", "owner": "", **fields}
    else:
        if entry_id is None:
            article = "An" if action == "update" else "A"
            raise InvalidRequestError(
                f"{article} {action} proposal needs the entry_id of the entry."
            )
        entry = session.get(RiskEntry, entry_id)
        if entry is None or not _in_scope(session, user, entry.firm_id):
            raise NotFoundError(ENTRY_NOT_FOUND)
        firm_id = entry.firm_id
        if action == "delete":
            fields = {}
        elif not any(getattr(entry, name) != value for name, value in fields.items()):
            raise InvalidRequestError(
                "This update changes nothing; give at least one of title, description, "
                "severity or owner with a new value."
            )
    payload: dict[str, Any] = {
        "fields": fields,
        "entry": snapshot(entry) if entry is not None else None,
        "base_updated_at": _stamp(entry.updated_at) if entry is not None else None,
    }
    change = RiskChange(
        action=action,
        firm_id=firm_id,
        entry_id=entry.id if entry is not None else None,
        payload=payload,
        status="pending",
        proposed_by=user.id,
    )
    session.add(change)
    session.flush()
    record(session, user, "propose", "risk_change", change.id, after=snapshot(change))
    session.commit()
    logger.info("user %s proposed risk change %s (%s)", user.username, change.id, action)
    return change


# --------------------------------------------------------------------------- deciding


def _decidable(
    session: Session, change_id: int, user: User, verb: str
) -> tuple[RiskChange, dict[str, Any]]:
    need(user.role, "approve")
    change = get_change(session, user, change_id)
    if change.proposed_by == user.id:
        raise SelfApprovalError(f"You cannot {verb} your own proposal; another approver must.")
    if change.status != "pending":
        raise AlreadyDecidedError(f"This change was already {change.status}.")
    return change, snapshot(change)


def _claim(session: Session, change: RiskChange, user: User, status: str, comment: str) -> None:
    """Mark the change decided, if (and only if) it is still pending in the database."""
    result = cast(
        "CursorResult[Any]",
        session.execute(
            update(RiskChange)
            .where(RiskChange.id == change.id, RiskChange.status == "pending")
            .values(status=status, decided_by=user.id, decided_at=utcnow(), comment=comment)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        session.rollback()
        session.refresh(change)
        raise AlreadyDecidedError(f"This change was already {change.status}.")
    session.expire(change)


def _locked_entry(session: Session, change: RiskChange) -> RiskEntry:
    """The entry an update or delete is about, locked, unchanged since the proposal."""
    payload = change.payload or {}
    entry_id = change.entry_id or (payload.get("entry") or {}).get("id")
    entry = (
        session.get(RiskEntry, entry_id, with_for_update=True, populate_existing=True)
        if entry_id is not None
        else None
    )
    if entry is None or _stamp(entry.updated_at) != payload.get("base_updated_at"):
        raise StaleProposalError(STALE_PROPOSAL)
    return entry


def _apply(session: Session, change: RiskChange, user: User) -> None:
    fields = dict((change.payload or {}).get("fields") or {})
    now = utcnow()
    if change.action == "create":
        entry = RiskEntry(firm_id=change.firm_id, created_at=now, updated_at=now, **fields)
        session.add(entry)
        session.flush()
        change.entry_id = entry.id
        record(session, user, "create", "risk_entry", entry.id, after=snapshot(entry))
        return
    entry = _locked_entry(session, change)
    before = snapshot(entry)
    if change.action == "update":
        for name, value in fields.items():
            if name in FIELDS:
                setattr(entry, name, value)
        entry.updated_at = now
        session.flush()
        record(
            session, user, "update", "risk_entry", entry.id, before=before, after=snapshot(entry)
        )
    else:
        session.delete(entry)
        session.flush()
        record(session, user, "delete", "risk_entry", before["id"], before=before)


def approve(session: Session, change_id: int, user: User, comment: str = "") -> RiskChange:
    """Approve a pending proposal and apply it to the register, in one transaction.

    The change's status, the entry's creation, update or deletion and their audit
    events are committed together, or not at all.

    Parameters
    ----------
    session : Session
    change_id : int
    user : User
        The approver: holds "approve" and is not the proposer.
    comment : str, optional

    Returns
    -------
    RiskChange
        Approved (``entry_id`` set for a create; None after a delete).

    Raises
    ------
    PermissionDeniedError, SelfApprovalError, NotFoundError, AlreadyDecidedError,
    StaleProposalError
        See the module docstring.
    """
    change, before = _decidable(session, change_id, user, "approve")
    _claim(session, change, user, "approved", comment.strip())
    try:
        _apply(session, change, user)
        session.flush()
        session.refresh(change)
        record(
            session,
            user,
            "approve",
            "risk_change",
            change.id,
            before=before,
            after=snapshot(change),
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    logger.info("user %s approved risk change %s", user.username, change.id)
    return change


def reject(session: Session, change_id: int, user: User, comment: str) -> RiskChange:
    """Reject a pending proposal (the register stays as it is; committed).

    Parameters
    ----------
    session : Session
    change_id : int
    user : User
        Holds "approve" and is not the proposer.
    comment : str
        Why (required).

    Raises
    ------
    PermissionDeniedError, SelfApprovalError, NotFoundError, AlreadyDecidedError
        See the module docstring.
    InvalidRequestError
        An empty comment.
    """
    change, before = _decidable(session, change_id, user, "reject")
    if not comment.strip():
        raise InvalidRequestError("A rejection needs a comment saying why.")
    _claim(session, change, user, "rejected", comment.strip())
    try:
        session.refresh(change)
        record(
            session, user, "reject", "risk_change", change.id, before=before, after=snapshot(change)
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    logger.info("user %s rejected risk change %s", user.username, change.id)
    return change
