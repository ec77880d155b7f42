"""Who may see what: resolving section and task access to one shared/hidden answer.

The precedence table (docs/design.md, "The mirror filter"):

| section   | task        | shared? |
|-----------|-------------|---------|
| locked    | automatic   | no      |
| locked    | client      | yes     |
| locked    | none        | no      |
| unlocked  | automatic   | yes     |
| unlocked  | client      | yes     |
| unlocked  | none        | no      |

Subtasks set to ``automatic`` inherit their parent's resolved answer.
"""

from __future__ import annotations

from bridge.model import Access, Snapshot, Task
from bridge.rules import AccessSource, MirrorRules


def explicit_access(task: Task, source: AccessSource) -> Access:
    """The access a task states for itself, read from where the link says it lives."""
    if source.type == "custom_field":
        value = (task.custom_fields.get(source.field) or "").strip().casefold()
        if value == source.client.casefold():
            return "client"
        if value in (source.none.casefold(), "none"):  # the enum's own "none" option always hides
            return "none"
        return "automatic"
    if source.type == "label":
        labels = {label.casefold() for label in task.labels}
        if source.none.casefold() in labels:  # hiding beats sharing when both are set
            return "none"
        if source.client.casefold() in labels:
            return "client"
        return "automatic"
    title = task.title.casefold()
    if source.none.casefold() in title:
        return "none"
    if source.client.casefold() in title:
        return "client"
    return "automatic"


def section_unlocked(snapshot: Snapshot, section_id: str | None, rules: MirrorRules) -> bool:
    section = snapshot.sections.get(section_id) if section_id else None
    if section is None:
        return False
    return rules.section_rule(section.name).access == "unlocked"


def resolve_access(snapshot: Snapshot, rules: MirrorRules) -> dict[str, bool]:
    """Task id -> shared with the client, for every task of the internal snapshot."""
    resolved: dict[str, bool] = {}

    def visit(task_id: str, trail: frozenset[str]) -> bool:
        if task_id in resolved:
            return resolved[task_id]
        task = snapshot.tasks[task_id]
        access = explicit_access(task, rules.access)
        if access != "automatic":
            shared = access == "client"
        elif task.parent_id and task.parent_id in snapshot.tasks and task.parent_id not in trail:
            shared = visit(task.parent_id, trail | {task_id})
        elif task.parent_id:
            shared = False  # parent unknown (or a cycle): never guess in favour of sharing
        else:
            shared = section_unlocked(snapshot, task.section_id, rules)
        resolved[task_id] = shared
        return shared

    for task_id in snapshot.tasks:
        visit(task_id, frozenset())
    return resolved


def top_level_of(snapshot: Snapshot, task: Task) -> Task:
    """The task at the top of a subtask chain (cycles stop at the first repeat)."""
    seen = {task.id}
    while task.parent_id and task.parent_id in snapshot.tasks and task.parent_id not in seen:
        task = snapshot.tasks[task.parent_id]
        seen.add(task.id)
    return task
