"""The migrations build exactly the schema the ORM tables describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from finwarn.service._db import Database
from finwarn.service._tables import Base


def test_migrated_schema_matches_the_tables(database_url):
    db = Database(database_url)
    try:
        db.migrate()
        db.migrate()  # a second run changes nothing
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert compare_metadata(context, Base.metadata) == []
            assert context.get_current_revision() == "0001"
    finally:
        db.dispose()
