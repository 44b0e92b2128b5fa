"""One alert per firm, period and rule (or model): two partial unique indexes.

Before this revision the rule was kept only in code, so two scorings of one portfolio
at the same moment could store the same alert twice. Such twins are merged first: the
earliest alert of each group stays and takes the group's most advanced status
(open < acknowledged < closed), so no handling is lost; the later twins are deleted.
Each merge is logged with the ids involved.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 17:45:00
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

logger = logging.getLogger("finwarn.service.migrations")

_STATUS_ORDER = ("open", "acknowledged", "closed")


def _advance(status: str) -> int:
    """How far an alert's handling went (an unknown status counts as not started)."""
    return _STATUS_ORDER.index(status) if status in _STATUS_ORDER else -1


# index name -> (key columns, partial condition)
_INDEXES = {
    "uq_alerts_rule": (("firm_id", "period", "rule_id"), "rule_id IS NOT NULL"),
    "uq_alerts_model": (("firm_id", "period", "model_id"), "rule_id IS NULL"),
}


def _merge_twins(columns: tuple[str, ...], condition: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            f"SELECT id, {', '.join(columns)}, status FROM alerts WHERE {condition} "
            f"AND {columns[-1]} IS NOT NULL ORDER BY id"
        )
    ).all()
    groups: dict[tuple, list[tuple[int, str]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[1:-1]), []).append((row[0], row[-1]))
    for key, members in groups.items():
        if len(members) < 2:
            continue
        keep, twins = members[0][0], [alert_id for alert_id, _ in members[1:]]
        status = max((status for _, status in members), key=_advance)
        bind.execute(
            sa.text("UPDATE alerts SET status = :status WHERE id = :id"),
            {"status": status, "id": keep},
        )
        bind.execute(
            sa.text("DELETE FROM alerts WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": twins},
        )
        logger.warning(
            "alerts %s duplicated alert %s (%s = %s); merged into it with status %s",
            twins,
            keep,
            ", ".join(columns),
            key,
            status,
        )


def upgrade() -> None:
    for name, (columns, condition) in _INDEXES.items():
        _merge_twins(columns, condition)
        op.create_index(
            name,
            "alerts",
            list(columns),
            unique=True,
            sqlite_where=sa.text(condition),
            postgresql_where=sa.text(condition),
        )


def downgrade() -> None:
    for name in reversed(list(_INDEXES)):
        op.drop_index(name, table_name="alerts")
