"""The state store: id map, base values, snapshot cache, journal, audit log, runs and leases."""

from bridge.store.records import (
    CONFLICT,
    CONFLICT_RESOLVED,
    CONFLICT_SETTLED,
    NOTICE,
    AuditEntry,
    DuplicateClaim,
    Intent,
    Pair,
    RunInfo,
    UnknownRecord,
)
from bridge.store.store import Store

__all__ = [
    "CONFLICT",
    "CONFLICT_RESOLVED",
    "CONFLICT_SETTLED",
    "NOTICE",
    "AuditEntry",
    "DuplicateClaim",
    "Intent",
    "Pair",
    "RunInfo",
    "Store",
    "UnknownRecord",
]
