"""Email clients: the client's view, its changes since the last digest, the inbox, per-connection meta.

Revision ID: 0004_email
Revises: 0003_alerts
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_email"
down_revision: str | None = "0003_alerts"
branch_labels: str | None = None
depends_on: str | None = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "email_items",
        sa.Column("connection", sa.String(200), nullable=False),
        sa.Column("project", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("item_id", sa.String(300), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("connection", "project", "kind", "item_id", name="pk_email_items"),
    )
    op.create_table(
        "email_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("connection", sa.String(200), nullable=False),
        sa.Column("project", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("task_id", sa.String(300), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_email_changes"),
    )
    op.create_index("ix_email_changes_connection_project", "email_changes", ["connection", "project"])
    op.create_table(
        "email_inbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("connection", sa.String(200), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("received_at", Stamp, nullable=False),
        sa.Column("raw", sa.LargeBinary),
        sa.Column("message_id", sa.String(300)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_email_inbox"),
    )
    op.create_index("ix_email_inbox_connection_state", "email_inbox", ["connection", "state"])
    op.create_table(
        "email_meta",
        sa.Column("connection", sa.String(200), nullable=False),
        sa.Column("project", sa.String(300), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.JSON),
        sa.PrimaryKeyConstraint("connection", "project", "name", name="pk_email_meta"),
    )


def downgrade() -> None:
    op.drop_index("ix_email_inbox_connection_state", table_name="email_inbox")
    op.drop_index("ix_email_changes_connection_project", table_name="email_changes")
    for table in ("email_meta", "email_inbox", "email_changes", "email_items"):
        op.drop_table(table)
