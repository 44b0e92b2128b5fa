"""The demo seeding of ``finwarn serve --demo``: loaded, trained, active, scored; idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from finwarn.service import ensure_admin
from finwarn.service._db import Database
from finwarn.service._demo import DEMO_PORTFOLIO, seed_demo
from finwarn.service._jobs import DEMO_SOURCE
from finwarn.service._tables import (
    Alert,
    AuditEvent,
    Firm,
    Grant,
    ModelRecord,
    Observation,
    Portfolio,
    QuarantinedRow,
    Score,
    Upload,
    User,
)
from tests.service.conftest import PASSWORD, make_settings

TABLES = (Portfolio, Grant, Firm, Upload, Observation, QuarantinedRow, ModelRecord, Score, Alert)
SMALL = {"n_firms": 40, "n_years": 5, "model": "logit"}


def _counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            table.__name__: session.scalar(select(func.count()).select_from(table)) or 0
            for table in (*TABLES, AuditEvent)
        }


@pytest.fixture
def demo_db(tmp_path, database_url):
    settings = make_settings(tmp_path, database_url)
    db = Database(settings.url)
    db.migrate()
    ensure_admin(db, "admin", PASSWORD)
    yield db, settings
    db.dispose()


def test_seed_demo_loads_trains_activates_and_scores(demo_db):
    db, settings = demo_db
    seed = seed_demo(db, settings, "admin", **SMALL)
    assert seed.changed and seed.activated
    with db.session() as session:
        portfolio = session.scalar(select(Portfolio).where(Portfolio.name == DEMO_PORTFOLIO))
        admin = session.scalar(select(User).where(User.username == "admin"))
        assert portfolio.id == seed.portfolio_id
        assert [g.portfolio_id for g in admin.grants] == [portfolio.id]
        upload = session.get(Upload, seed.upload_id)
        assert upload.filename == DEMO_SOURCE
        assert upload.rows_quarantined == 9  # the documented bad rows of corrupt_panel
        quarantined = session.scalars(select(QuarantinedRow.problem)).all()
        model = session.get(ModelRecord, seed.model_id)
        firms = session.scalar(
            select(func.count()).select_from(Firm).where(Firm.portfolio_id == portfolio.id)
        )
        scores = session.scalar(select(func.count()).select_from(Score))
        scored_firms = session.scalar(select(func.count(func.distinct(Score.firm_id))))
        observations = session.scalar(select(func.count()).select_from(Observation))
        alerts = session.scalar(select(func.count()).select_from(Alert))
    assert set(quarantined) >= {"text_in_numeric", "infinite", "missing_entity"}
    assert (model.name, model.status, model.active) == ("logit", "done", True)
    # every period of every firm is scored (migrations and trends for the dashboard)
    assert seed.scored == scores == observations
    assert scored_firms == firms
    assert seed.alerts == alerts > 0


def test_seeding_again_adds_nothing(demo_db):
    db, settings = demo_db
    seed_demo(db, settings, "admin", **SMALL)
    before = _counts(db)
    again = seed_demo(db, settings, "admin", **SMALL)
    assert not again.changed
    assert _counts(db) == before


def test_seeding_needs_the_admin(demo_db):
    db, settings = demo_db
    with pytest.raises(LookupError) as raised:
        seed_demo(db, settings, "boss", **SMALL)
    assert raised.value.args == (
        "user 'boss' does not exist; the demo needs its admin (set FINWARN_ADMIN_PASSWORD to "
        "create it).",
    )
    assert _counts(db)["Portfolio"] == 0
