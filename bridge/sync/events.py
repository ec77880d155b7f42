"""Progress as a stream of typed events: the CLI, the daemon and the tests all consume it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.core.ops import Notice, Op


@dataclass(frozen=True)
class CycleStarted:
    link: str
    dry_run: bool


@dataclass(frozen=True)
class Pulled:
    link: str
    side: str
    full: bool
    tasks: int
    requests: int


@dataclass(frozen=True)
class Planned:
    link: str
    writes: dict[str, int]  # per side
    conflicts: int


@dataclass(frozen=True)
class OpApplied:
    link: str
    op: Op


@dataclass(frozen=True)
class OpFailed:
    link: str
    op: Op
    error: str


@dataclass(frozen=True)
class Noticed:
    """A notice seen for the first time (it is reported once; ``status`` keeps listing it while it lasts)."""

    link: str
    notice: Notice


@dataclass(frozen=True)
class CycleFinished:
    link: str
    status: str  # ok | partial | failed | guarded | dry-run
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


Event = CycleStarted | Pulled | Planned | OpApplied | OpFailed | Noticed | CycleFinished
