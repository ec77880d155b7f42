"""Initial state store: id map, snapshot cache, journal, audit, runs, link meta, leases.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pairs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("internal_id", sa.String(300)),
        sa.Column("client_id", sa.String(300)),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("base", sa.JSON, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pairs"),
        sa.UniqueConstraint("link", "kind", "key", name="uq_pairs_link_kind_key"),
        sa.UniqueConstraint("link", "kind", "internal_id", name="uq_pairs_link_kind_internal_id"),
        sa.UniqueConstraint("link", "kind", "client_id", name="uq_pairs_link_kind_client_id"),
    )
    op.create_table(
        "snapshots",
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("side", sa.String(20), nullable=False),
        sa.Column("connection", sa.String(200), nullable=False),
        sa.Column("project_id", sa.String(300), nullable=False),
        sa.Column("project_name", sa.Text, nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("cursor", sa.Text),
        sa.Column("saved_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("link", "side", name="pk_snapshots"),
    )
    op.create_table(
        "snapshot_items",
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("side", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("item_id", sa.String(300), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("link", "side", "kind", "item_id", name="pk_snapshot_items"),
    )
    op.create_table(
        "intents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("side", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("finished_at", Stamp),
        sa.PrimaryKeyConstraint("id", name="pk_intents"),
    )
    op.create_index("ix_intents_link_status", "intents", ["link", "status"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("event", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(20)),
        sa.Column("key", sa.String(300)),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("run_id", sa.Integer),
        sa.Column("resolved_at", Stamp),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_link_event", "audit_log", ["link", "event"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("started_at", Stamp, nullable=False),
        sa.Column("finished_at", Stamp),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_link", "runs", ["link"])
    op.create_table(
        "link_meta",
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.JSON),
        sa.PrimaryKeyConstraint("link", "name", name="pk_link_meta"),
    )
    op.create_table(
        "leases",
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("link", name="pk_leases"),
    )


def downgrade() -> None:
    for table in ("leases", "link_meta", "runs", "audit_log", "intents", "snapshot_items", "snapshots", "pairs"):
        op.drop_table(table)
