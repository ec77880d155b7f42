"""Credentials per connection, sealed with the user's key (docs/connect.md).

Revision ID: 0002_credentials
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_credentials"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("connection", sa.String(200), nullable=False),
        sa.Column("auth", sa.String(20), nullable=False),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Float(precision=53)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("revoked", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("connection", name="pk_credentials"),
    )


def downgrade() -> None:
    op.drop_table("credentials")
