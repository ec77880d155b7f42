"""A migration's progress events and its final report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from bridge.core.ops import Op
from bridge.migrate.losses import Loss

Status = Literal["ok", "partial", "dry-run"]


@dataclass(frozen=True)
class SidePulled:
    side: Literal["source", "target"]
    tasks: int
    requests: int


@dataclass(frozen=True)
class PassPlanned:
    number: int  # 1 for the first pass; later passes retry what failed
    writes: int
    by_kind: dict[str, int]


@dataclass(frozen=True)
class WriteDone:
    op: Op


@dataclass(frozen=True)
class WriteFailed:
    op: Op
    error: str


MigrationEvent = SidePulled | PassPlanned | WriteDone | WriteFailed
MigrationListener = Callable[[MigrationEvent], object]


class MigrationReport(BaseModel):
    migration: str
    source: str
    target: str
    status: Status = "ok"
    # Items the target should hold after the migration, by kind.
    wanted: dict[str, int] = Field(default_factory=dict)
    # What this run wrote (creates and updates), and what an earlier run had already copied.
    created: dict[str, int] = Field(default_factory=dict)
    updated: dict[str, int] = Field(default_factory=dict)
    already_there: dict[str, int] = Field(default_factory=dict)
    planned: list[Op] = Field(default_factory=list)  # a dry run's writes
    losses: list[Loss] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    held_back: int = 0
    passes: int = 0
    requests: dict[str, int] = Field(default_factory=dict)  # per side
    seconds: float = 0.0
    linked_as: str | None = None

    def count(self, kind: str, op: Op) -> None:
        table = self.created if op.action == "create" else self.updated
        table[kind] = table.get(kind, 0) + 1

    @property
    def lost(self) -> list[Loss]:
        return [loss for loss in self.losses if loss.kind == "lost"]

    @property
    def changed(self) -> list[Loss]:
        return [loss for loss in self.losses if loss.kind == "changed"]
