"""The state store's tables, as SQLAlchemy Core metadata.

This metadata describes the schema the migrations build; it is never used to
create tables (``tests/store`` checks that both agree). Change it only
together with a new migration in ``migrations/versions``.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Stamp = sa.DateTime(timezone=True)

# The id map: one row per mirrored item and its base (last agreed field values).
pairs = sa.Table(
    "pairs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("link", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("key", sa.String(300), nullable=False),
    sa.Column("internal_id", sa.String(300)),
    sa.Column("client_id", sa.String(300)),
    sa.Column("origin", sa.String(20), nullable=False),
    sa.Column("base", sa.JSON, nullable=False),
    sa.Column("updated_at", Stamp, nullable=False),
    # NULLs never collide in a unique constraint (SQLite and PostgreSQL agree),
    # so an unpaired side may stay NULL on many rows.
    sa.UniqueConstraint("link", "kind", "key"),
    sa.UniqueConstraint("link", "kind", "internal_id"),
    sa.UniqueConstraint("link", "kind", "client_id"),
)

# A cached snapshot's header and the pull cursor that goes with it.
snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("link", sa.String(200), primary_key=True),
    sa.Column("side", sa.String(20), primary_key=True),
    sa.Column("connection", sa.String(200), nullable=False),
    sa.Column("project_id", sa.String(300), nullable=False),
    sa.Column("project_name", sa.Text, nullable=False),
    sa.Column("complete", sa.Boolean, nullable=False),
    sa.Column("cursor", sa.Text),
    sa.Column("saved_at", Stamp, nullable=False),
)

# One row per cached item; ``data`` is the item's canonical JSON, kept as text
# so a save can compare it with the new value without parsing.
snapshot_items = sa.Table(
    "snapshot_items",
    metadata,
    sa.Column("link", sa.String(200), primary_key=True),
    sa.Column("side", sa.String(20), primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("item_id", sa.String(300), primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
)

# The journal: an intent is written before a remote create and completed with its pair.
intents = sa.Table(
    "intents",
    metadata,
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
    sa.Index(None, "link", "status"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", Stamp, nullable=False),
    sa.Column("link", sa.String(200), nullable=False),
    sa.Column("event", sa.String(60), nullable=False),
    sa.Column("kind", sa.String(20)),
    sa.Column("key", sa.String(300)),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("run_id", sa.Integer),
    sa.Column("resolved_at", Stamp),
    sa.Index(None, "link", "event"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("link", sa.String(200), nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("started_at", Stamp, nullable=False),
    sa.Column("finished_at", Stamp),
    sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("error", sa.Text),
    sa.Index(None, "link"),
)

link_meta = sa.Table(
    "link_meta",
    metadata,
    sa.Column("link", sa.String(200), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.JSON),
)

# Which daemon works on a link; ``expires_at`` is in the store clock's seconds.
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("link", sa.String(200), primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.Float(precision=53), nullable=False),
)

# One connection's authorized credentials (docs/connect.md): the token set sealed with the user's key,
# when the access token expires (epoch seconds, readable without the key), and a version that every
# renewal bumps, so a daemon that lost the race to refresh sees it and re-reads instead of refreshing.
credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("connection", sa.String(200), primary_key=True),
    sa.Column("auth", sa.String(20), nullable=False),
    sa.Column("sealed", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Float(precision=53)),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("revoked", sa.Text),  # why the tool refused to renew it; NULL while it works
    sa.Column("updated_at", Stamp, nullable=False),
)

# The alerts' rate-limit state (bridge/alerts): one JSON document per scope, replaced by compare-and-set on
# ``version`` so that daemons sharing the store never both send the same alert (docs/alerts.md).
alert_state = sa.Table(
    "alert_state",
    metadata,
    sa.Column("scope", sa.String(100), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("updated_at", Stamp, nullable=False),
)

# -- kind: email connections (docs/email.md) -------------------------------------
# The client's view as the emails have shown it: the "remote project" of an email client.
email_items = sa.Table(
    "email_items",
    metadata,
    sa.Column("connection", sa.String(200), primary_key=True),
    sa.Column("project", sa.String(300), primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("item_id", sa.String(300), primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
)

# What changed in that view since the last digest: the digest is rendered from these rows.
email_changes = sa.Table(
    "email_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("connection", sa.String(200), nullable=False),
    sa.Column("project", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("task_id", sa.String(300), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("at", Stamp, nullable=False),
    sa.Index(None, "connection", "project"),
)

# Inbound mail (IMAP or a provider's webhook) waiting for the connection's next pull; the raw
# message is dropped once it is read, only the outcome and the reason of a refusal stay.
email_inbox = sa.Table(
    "email_inbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("connection", sa.String(200), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("received_at", Stamp, nullable=False),
    sa.Column("raw", sa.LargeBinary),
    sa.Column("message_id", sa.String(300)),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Index(None, "connection", "state"),
)

# Per connection and project: the next item number, the last digest sent, IMAP's last UID.
email_meta = sa.Table(
    "email_meta",
    metadata,
    sa.Column("connection", sa.String(200), primary_key=True),
    sa.Column("project", sa.String(300), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.JSON),
)

# What webhook deliveries said changed on a link side since its last pull (docs/daemon.md#webhook-led-polling):
# one row per (link, side, kind), stamped when the last delivery of that kind came. Kind ``*`` records that a
# delivery came at all (or that `pm-bridge webhooks register` made the hook) and stays until `webhooks remove`.
webhook_hints = sa.Table(
    "webhook_hints",
    metadata,
    sa.Column("link", sa.String(200), primary_key=True),
    sa.Column("side", sa.String(20), primary_key=True),
    sa.Column("kind", sa.String(40), primary_key=True),
    sa.Column("noted_at", sa.Float(precision=53), nullable=False),
)
