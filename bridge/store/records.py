"""What the state store hands back: plain pydantic records and the store's own errors."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from bridge.core.link import Pair as Pair  # the one id-map row type, shared with the planner
from bridge.errors import BridgeError

Side = Literal["internal", "client"]

# Audit events with a meaning to the store itself. An entry with event CONFLICT
# is "flagged for review" and stays open until resolve_conflicts(); conflicts a
# link's policy settled on its own belong under CONFLICT_SETTLED.
CONFLICT = "conflict"
CONFLICT_SETTLED = "conflict_settled"
CONFLICT_RESOLVED = "conflict_resolved"
# A notice (bridge/ops.Notice) open while the cycle that finds it keeps finding it; key = "<code>:<key>".
NOTICE = "notice"
# An alert message about a link (bridge/alerts), once per delivery: its state, subject, and each channel's outcome.
ALERT = "alert"


class Intent(BaseModel):
    """A journal row written before a remote create; ``pending`` until the create is known to have landed or failed."""

    id: int
    link: str
    side: str
    kind: str
    key: str
    detail: dict[str, Any]
    status: Literal["pending", "done", "failed"]
    error: str | None = None
    created_at: dt.datetime
    finished_at: dt.datetime | None = None


class AuditEntry(BaseModel):
    id: int
    at: dt.datetime
    link: str
    event: str
    kind: str | None = None
    key: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    run_id: int | None = None
    resolved_at: dt.datetime | None = None


class RunInfo(BaseModel):
    run_id: int
    link: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    error: str | None = None


class DuplicateClaim(BridgeError):
    """A remote id is already paired with another item of the same link: never overwritten."""


class UnknownRecord(BridgeError):
    """An intent or run id the store does not hold (a programming error, not a user's)."""


def utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back without a zone; every stamp we write is UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def utc_or_none(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else utc(value)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
