"""Alerts: the rate-limit state shared by every daemon (last alert per link and kind, messages of the last hour).

A table of its own rather than the audit log or ``link_meta``: the state is one
mutable document that daemons replace by compare-and-set on ``version``, which
neither an append-only log nor a JSON value without a version can offer on both
SQLite and PostgreSQL (PostgreSQL cannot even compare two ``json`` values).

Revision ID: 0003_alerts
Revises: 0002_credentials
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_alerts"
down_revision: str | None = "0002_credentials"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "alert_state",
        sa.Column("scope", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", name="pk_alert_state"),
    )


def downgrade() -> None:
    op.drop_table("alert_state")
