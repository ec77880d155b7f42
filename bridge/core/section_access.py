"""Who may see what: resolving section and task access to one shared/hidden answer per link.

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

Several clients on one internal project (docs/mirror-rules.md "Several clients
on one project"): the plain marker shares with every client; a marker naming clients
(``client:acme``, ``[client:acme]``, an enum value ``acme``) shares with exactly
those and hides from every other, even in an unlocked section. Hiding is
tolerant (``internal`` beats every other marker), sharing strict (the exact
name, after trimming and case folding). An item another link's client created
is shared with this link only when a marker names this link's client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bridge.core.fields import split
from bridge.core.model import Access, Snapshot, Task
from bridge.core.rules import AccessSource, MirrorRules


@dataclass(frozen=True)
class Marking:
    """What a task states about its audience: an access value, and the clients it names (casefolded)."""

    access: Access
    named: frozenset[str] = frozenset()


@lru_cache(maxsize=4096)  # markers, labels and enum values: few distinct strings, read for every task
def _fold(value: str) -> str:
    return " ".join(value.split()).casefold()


def _named_pattern(source: AccessSource) -> re.Pattern[str] | None:
    """Per-client title markers: ``[client:acme]`` for the marker ``[client]``, ``client:acme`` for ``client``."""
    marker = source.client
    if not marker:
        return None
    if marker[-1] in "])}>":
        body = re.escape(marker[:-1]) + r":([^" + re.escape(marker[-1]) + r"]*)" + re.escape(marker[-1])
    else:
        body = re.escape(marker) + r":(\S+)"
    return re.compile(body, re.IGNORECASE)


def without_named_markers(title: str, source: AccessSource) -> str:
    """The title with every per-client marker removed (what a client never reads)."""
    pattern = _named_pattern(source)
    return " ".join(pattern.sub(" ", title).split()) if pattern else title


# The markings that name nobody, made once: a task's marking is read for every task of every cycle.
_NONE, _CLIENT, _AUTOMATIC = Marking("none"), Marking("client"), Marking("automatic")


class AccessReader:
    """What tasks state about their audience under one access source, its markers read once."""

    __slots__ = ("field", "none", "pattern", "plain", "prefix", "type")

    def __init__(self, source: AccessSource) -> None:
        self.type, self.field = source.type, source.field
        self.none, self.plain, self.prefix = _fold(source.none), _fold(source.client), _fold(source.client_prefix)
        self.pattern = _named_pattern(source) if source.type == "title_marker" else None

    def __call__(self, task: Task) -> Marking:
        """The audience ``task`` states for itself, read from where the link says it lives."""
        none, plain = self.none, self.plain
        if self.type == "custom_field":
            raw = task.custom_fields.get(self.field)
            # A multi-enum field arrives as "acme, globex": each value is one choice (an option's own comma
            # is escaped, docs/custom-fields.md "Canonical values").
            values = {_fold(part) for part in split(raw if isinstance(raw, str) else "")} - {""}
            if none in values or "none" in values:  # the enum's own "none" option always hides
                return _NONE
            names = frozenset(values - {plain, "automatic"})
            if names:
                return Marking("client", names)
            return _CLIENT if plain in values else _AUTOMATIC
        if self.type == "label":
            if not task.labels:
                return _AUTOMATIC  # most tasks carry no label at all
            labels = set(map(_fold, task.labels))  # map and plain loops: no comprehension frame per task
            if none in labels:  # hiding beats sharing when both are set
                return _NONE
            prefix = self.prefix
            named: set[str] = set()
            for label in labels:
                if label.startswith(prefix):
                    named.add(_fold(label[len(prefix) :]))
            named.discard("")
            if named:
                return Marking("client", frozenset(named))
            return _CLIENT if plain in labels else _AUTOMATIC
        title = task.title.casefold()
        if none and none in title:
            return _NONE
        names = (frozenset(_fold(name) for name in self.pattern.findall(task.title)) if self.pattern else frozenset()) - {""}
        if names:
            return Marking("client", names)
        return _CLIENT if plain and plain in title else _AUTOMATIC


def marking(task: Task, source: AccessSource) -> Marking:
    """The audience a task states for itself, read from where the link says it lives."""
    return AccessReader(source)(task)


def explicit_access(task: Task, source: AccessSource) -> Access:
    """The access a task states for itself (named clients count as ``client``)."""
    return marking(task, source).access


def section_unlocked(snapshot: Snapshot, section_id: str | None, rules: MirrorRules) -> bool:
    section = snapshot.sections.get(section_id) if section_id else None
    if section is None:
        return False
    return rules.section_rule(section.name).access == "unlocked"


def unlocked_sections(snapshot: Snapshot, rules: MirrorRules) -> dict[str, bool]:
    """Section id -> unlocked, for every section of the snapshot (what :func:`section_unlocked` answers)."""
    return {sid: rules.section_rule(section.name).access == "unlocked" for sid, section in snapshot.sections.items()}


class OwnAnswers:
    """:func:`own_answer` for many tasks under one link's rules, the rules read once."""

    __slots__ = ("client", "foreign", "labels", "read")

    def __init__(self, rules: MirrorRules, foreign: frozenset[str]) -> None:
        self.read, self.foreign = AccessReader(rules.access), foreign
        self.client = _fold(rules.client_name) if rules.client_name else None
        self.labels = rules.access.type == "label"

    def __call__(self, task: Task) -> bool | None:
        if self.labels and not task.labels:  # most tasks: no label, so no marking (automatic) to read
            return False if task.id in self.foreign else None
        mark = self.read(task)
        if mark.access == "none":
            return False
        if mark.named:  # the agency chose the audience: exactly these clients
            return self.client is not None and self.client in mark.named
        if task.id in self.foreign:
            return False  # another client's input, not shared with this client by name
        return True if mark.access == "client" else None


def own_answer(task: Task, rules: MirrorRules, foreign: frozenset[str]) -> bool | None:
    """Shared with this link's client, hidden, or ``None`` when the task leaves it to its parent or section."""
    return OwnAnswers(rules, foreign)(task)


def resolve_access(snapshot: Snapshot, rules: MirrorRules, foreign: frozenset[str] = frozenset()) -> dict[str, bool]:
    """Task id -> shared with this link's client, for every task of the internal snapshot.

    ``foreign``: ids of items other links' clients created on this internal project.
    Order-independent; a missing parent or a parent cycle hides (never guess in favour of sharing).
    """
    resolved: dict[str, bool] = {}
    unlocked = unlocked_sections(snapshot, rules)
    own_answer = OwnAnswers(rules, foreign)
    bare = own_answer.labels and not foreign  # OwnAnswers' first test, without a call: no label states nothing
    for start, first in snapshot.tasks.items():
        if start in resolved:
            continue
        if not first.parent_id:  # most tasks: their own marking, else their section
            own = None if bare and not first.labels else own_answer(first)
            resolved[start] = own if own is not None else unlocked.get(first.section_id or "", False)
            continue
        chain: list[str] = []  # tasks waiting for their parent's answer
        seen: set[str] = set()
        current: str | None = start
        answer = False
        while current is not None:
            if current in resolved:
                answer = resolved[current]
                break
            task = snapshot.tasks.get(current)
            if task is None or current in seen:
                break  # the parent is unknown, or the chain loops: hidden
            seen.add(current)
            own = own_answer(task)
            if own is not None:
                answer = resolved[current] = own
                break
            if task.parent_id:
                chain.append(current)
                current = task.parent_id
                continue
            answer = resolved[current] = unlocked.get(task.section_id or "", False)
            break
        for task_id in chain:
            resolved[task_id] = answer
    return resolved


def unknown_clients(snapshot: Snapshot, rules: MirrorRules) -> list[str]:
    """Client names markers use that no link of this project serves (they share with nobody)."""
    if not rules.project_clients:
        return []
    known = {_fold(name) for name in rules.project_clients}
    found: set[str] = set()
    read = AccessReader(rules.access)
    for task in snapshot.tasks.values():
        found |= read(task).named - known
    return sorted(found)


def top_level_of(snapshot: Snapshot, task: Task) -> Task:
    """The task at the top of a subtask chain (cycles stop at the first repeat)."""
    seen = {task.id}
    while task.parent_id and task.parent_id in snapshot.tasks and task.parent_id not in seen:
        task = snapshot.tasks[task.parent_id]
        seen.add(task.id)
    return task
