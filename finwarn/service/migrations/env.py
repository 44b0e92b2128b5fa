"""Alembic environment: run by finwarn.service._db.migrate with an open connection."""

from alembic import context

from finwarn.service._tables import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "finwarn's migrations run through finwarn.service._db.migrate (the service runs "
        "them at start), not through the alembic command line."
    )
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
