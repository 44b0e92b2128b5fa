"""The service's database tables (SQLAlchemy 2 declarative models).

The schema itself is created and changed only by the Alembic migrations in
``finwarn/service/migrations``; these classes must match them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ROLES",
    "Alert",
    "AlertRule",
    "ApiKey",
    "AuditEvent",
    "Base",
    "Firm",
    "Grant",
    "LoginFailure",
    "ModelRecord",
    "Observation",
    "Portfolio",
    "QuarantinedRow",
    "ReportRecord",
    "RiskChange",
    "RiskEntry",
    "Score",
    "SessionToken",
    "UTCDateTime",
    "Upload",
    "User",
    "utcnow",
]

#: The roles a user can hold, least to most privileged reading; approvers alone approve
#: risk-register changes, admins alone manage users, grants and models.
ROLES = ("viewer", "analyst", "approver", "admin")


def utcnow() -> datetime:
    """Now, in UTC (stored with its time zone)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and always read back with its zone.

    PostgreSQL keeps the zone (``timestamptz``); SQLite keeps text without it, so values
    read from SQLite would otherwise come back naive and print differently per database.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    grants: Mapped[list[Grant]] = relationship(back_populates="user", cascade="all")


class SessionToken(Base):
    """A logged-in person's session; the token itself is never stored, only its keyed hash."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class ApiKey(Base):
    """A machine's key: acts as its user; stored as a keyed hash, shown once at creation."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()


class Portfolio(Base):
    __tablename__ = "portfolios"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Grant(Base):
    """A user may see the firms of a portfolio."""

    __tablename__ = "grants"
    __table_args__ = (UniqueConstraint("user_id", "portfolio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    portfolio_id: Mapped[int] = mapped_column(
        ForeignKey("portfolios.id", ondelete="CASCADE"), index=True
    )

    user: Mapped[User] = relationship(back_populates="grants")
    portfolio: Mapped[Portfolio] = relationship()


class Firm(Base):
    """A company of a portfolio, identified by its code in the uploaded data."""

    __tablename__ = "firms"
    __table_args__ = (UniqueConstraint("portfolio_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(100), nullable=True)

    portfolio: Mapped[Portfolio] = relationship()


class Upload(Base):
    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_accepted: Mapped[int] = mapped_column(Integer)
    rows_quarantined: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Observation(Base):
    """One firm-period of financial data: the validated values of an uploaded row."""

    __tablename__ = "observations"
    __table_args__ = (UniqueConstraint("firm_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    # -1 when the data has no period column (one row per firm)
    period: Mapped[int] = mapped_column(Integer)
    label: Mapped[int | None] = mapped_column(Integer, nullable=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"))


class QuarantinedRow(Base):
    __tablename__ = "quarantined_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    entity: Mapped[str | None] = mapped_column(String(100), nullable=True)
    period: Mapped[str | None] = mapped_column(String(40), nullable=True)
    problem: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)


class ModelRecord(Base):
    """A warning model trained by the service (its files lie in ``data_dir/models``)."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    portfolio_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Score(Base):
    """A firm-period's warning from one model, with its reasons."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("firm_id", "period", "model_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    period: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    probability: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # the model's input indicators of this firm-period (alert rules test thresholds on them)
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlertRule(Base):
    """When to raise an alert: an indicator threshold, a level reached, or a migration."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id"), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Alert(Base):
    """An alert about a firm-period: raised by a model (no rule) or by an alert rule.

    At most one per firm, period and rule, and one per firm, period and model among the
    model's own alerts: two partial unique indexes (revision 0002) make the database
    refuse the duplicate that two concurrent scorings of one portfolio would add.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_rule",
            "firm_id",
            "period",
            "rule_id",
            unique=True,
            sqlite_where=text("rule_id IS NOT NULL"),
            postgresql_where=text("rule_id IS NOT NULL"),
        ),
        Index(
            "uq_alerts_model",
            "firm_id",
            "period",
            "model_id",
            unique=True,
            sqlite_where=text("rule_id IS NULL"),
            postgresql_where=text("rule_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    period: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rules.id"), nullable=True)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("models.id"), nullable=True)
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RiskEntry(Base):
    """An identified risk of a firm in the risk register (changed only through approvals)."""

    __tablename__ = "risk_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RiskChange(Base):
    """A proposed addition, change or deletion of a risk entry, awaiting approval."""

    __tablename__ = "risk_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(10))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("risk_entries.id", ondelete="SET NULL"), nullable=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    proposed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")


class ReportRecord(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    message: Mapped[str] = mapped_column(Text, default="")
    path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEvent(Base):
    """One write, who made it and what changed; the table refuses updates and deletes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class LoginFailure(Base):
    """A failed login, by user name and by client address (the login rate limit's memory).

    Kept in the database so that every server process (``--workers``) counts the same
    failures; rows older than the limit's window are pruned as new ones arrive.
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
