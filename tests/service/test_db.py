"""The migrations build exactly the schema the ORM tables describe, on both databases; the
alerts table refuses a second alert per firm, period and rule (or model), and revision 0002
merges the twins stored before it without losing their handling."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from finwarn.service._db import Database, migrate
from finwarn.service._tables import Alert, Base
from tests.service._governance import add_model, add_rule
from tests.service.conftest import make_settings, seed_world


def test_migrated_schema_matches_the_tables(database_url):
    db = Database(database_url)
    try:
        db.migrate()
        db.migrate()  # a second run changes nothing
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert compare_metadata(context, Base.metadata) == []
            assert context.get_current_revision() == "0003"
    finally:
        db.dispose()


def _alert(firm_id, model_id, *, rule_id=None, period=2020, status="open"):
    return Alert(
        firm_id=firm_id,
        period=period,
        rule_id=rule_id,
        model_id=model_id,
        level="heavy",
        message="probability 0.9",
        status=status,
    )


def test_alert_twins_are_merged_by_0002_and_refused_after(tmp_path, database_url):
    db = Database(database_url)
    try:
        migrate(db.engine, "0001")
        world = seed_world(db, make_settings(tmp_path, database_url))
        firm = world.own_firm.id
        model = add_model(world)
        rule = add_rule(world, "low cover", "level", {"at_least": "moderate"})
        with db.session() as session:  # twins as two racing scorings stored them
            session.add_all(
                [
                    _alert(firm, model),
                    _alert(firm, model, status="acknowledged"),
                    _alert(firm, model, rule_id=rule),
                    _alert(firm, model, rule_id=rule, status="closed"),
                    _alert(firm, model, rule_id=rule),
                    _alert(firm, model, period=2021),
                ]
            )
        migrate(db.engine)
        with db.session() as session:
            kept = [
                (a.id, a.rule_id, a.period, a.status)
                for a in session.scalars(select(Alert).order_by(Alert.id))
            ]
        # the earliest of each group stays, with the group's most advanced status
        assert kept == [
            (1, None, 2020, "acknowledged"),
            (3, rule, 2020, "closed"),
            (6, None, 2021, "open"),
        ]
        for twin in (_alert(firm, model), _alert(firm, model, rule_id=rule)):
            with pytest.raises(IntegrityError), db.session() as session:
                session.add(twin)
        other_rule = add_rule(world, "other", "level", {"at_least": "heavy"})
        with db.session() as session:  # other keys are still free
            session.add_all(
                [
                    _alert(firm, model, rule_id=other_rule),
                    _alert(firm, model, period=2019),
                    _alert(firm, None),  # a model alert without a model is not a twin
                    _alert(firm, None),
                ]
            )
        with db.session() as session:
            assert len(session.scalars(select(Alert)).all()) == 7
    finally:
        db.dispose()
