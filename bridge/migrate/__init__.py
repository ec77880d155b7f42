"""``pm-bridge migrate``: a one-off, resumable copy of a whole project from one tool into another.

It reuses the sync engine's core: the mirror filter decides what goes over,
the planner decides what to write, and the op applier writes with the same
intent-then-write-then-record discipline and id map, under the migration's own
name in the state store (or the kept link's name).
"""

from bridge.migrate.filters import COPY_EVERYTHING, FilterMode, migration_rules
from bridge.migrate.launch import prepared
from bridge.migrate.report import MigrationReport
from bridge.migrate.run import Endpoints, Migration
from bridge.migrate.spec import Endpoint, MigrationOptions, resolve_options

__all__ = ["COPY_EVERYTHING", "Endpoint", "Endpoints", "FilterMode", "Migration", "MigrationOptions", "MigrationReport",
           "migration_rules", "prepared", "resolve_options"]
