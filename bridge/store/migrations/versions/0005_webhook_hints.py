"""Webhook hints: what deliveries said changed on a link side since its last pull.

Revision ID: 0005_webhook_hints
Revises: 0004_email
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_webhook_hints"
down_revision: str | None = "0004_email"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_hints",
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("side", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("noted_at", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("link", "side", "kind", name="pk_webhook_hints"),
    )


def downgrade() -> None:
    op.drop_table("webhook_hints")
