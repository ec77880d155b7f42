"""A link's memory of one mirrored item: the id map row and its base (last agreed values)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field


class Pair(BaseModel):
    kind: Literal["section", "task", "comment", "attachment"]
    key: str  # the planner's key: the internal id, or a synthetic key like "@shared"
    internal_id: str | None = None
    client_id: str | None = None
    origin: Literal["internal", "client"] = "internal"
    base: dict[str, Any] = Field(default_factory=dict)
    updated_at: dt.datetime | None = None


class PairIndex:
    """Pairs by key and by client id, per kind, for the planner's lookups."""

    def __init__(self, pairs: list[Pair]) -> None:
        self.by_key: dict[tuple[str, str], Pair] = {}
        self.by_client: dict[tuple[str, str], Pair] = {}
        for pair in pairs:
            self.by_key[(pair.kind, pair.key)] = pair
            if pair.client_id:
                self.by_client[(pair.kind, pair.client_id)] = pair
        self.by_kind: dict[str, list[Pair]] = {}  # in by_key's order: a later pair of the same key wins
        for (kind, _), pair in self.by_key.items():
            self.by_kind.setdefault(kind, []).append(pair)

    def get(self, kind: str, key: str) -> Pair | None:
        return self.by_key.get((kind, key))

    def for_client(self, kind: str, client_id: str | None) -> Pair | None:
        return self.by_client.get((kind, client_id)) if client_id else None

    def of_kind(self, kind: str) -> list[Pair]:
        return list(self.by_kind.get(kind, ()))
