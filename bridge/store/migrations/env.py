"""Alembic environment for the state store, driven only by ``bridge.store.schema``.

The caller hands over an open connection already inside a transaction (and,
on PostgreSQL, holding the migration lock), so there is no ini file and no URL here.
"""

from __future__ import annotations

from alembic import context

from bridge.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("bridge.store migrations run through bridge.store.schema.migrate(), which supplies a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=context.config.attributes["version_table"],
    # SQLite can only alter tables by copying them; batch mode does that for us.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
