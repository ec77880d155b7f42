"""The conflicts waiting for a person, as plain records: what ``conflicts list``, ``status --json`` and the status page show."""

from __future__ import annotations

from typing import Any

from bridge.store import Store
from bridge.store.records import AuditEntry
from bridge.sync import decisions as decided


def titles(store: Store, links: set[str]) -> dict[tuple[str, str], str]:
    """(link, internal task id) -> title, from the cached internal snapshots (no API call)."""
    found: dict[tuple[str, str], str] = {}
    for link in links:
        snapshot = store.load_snapshot(link, "internal")[1]
        if snapshot is not None:
            found.update({(link, section.id): section.name for section in snapshot.sections.values()})
            found.update({(link, task.id): task.title for task in snapshot.tasks.values()})
    return found


def conflict_record(entry: AuditEntry, title: str | None, decision: decided.Decision | None) -> dict[str, Any]:
    detail = entry.detail
    return {
        "id": entry.id,
        "link": entry.link,
        "kind": entry.kind,
        "key": entry.key,
        "title": title,
        "field": detail.get("field"),
        "internal": detail.get("internal"),
        "client": detail.get("client"),
        "base": detail.get("base"),
        "since": entry.at.isoformat(timespec="seconds"),
        "decision": None if decision is None else decision.model_dump(mode="json"),
    }


def open_records(store: Store, links: list[str] | None) -> list[dict[str, Any]]:
    entries = [e for e in store.open_conflicts() if links is None or e.link in links]
    names = {e.link for e in entries}
    known = titles(store, names)
    waiting = {d.conflict_id: d for link in names for d in decided.pending(store.link_meta(link))}
    return [conflict_record(e, known.get((e.link, e.key or "")), waiting.get(e.id)) for e in entries]
