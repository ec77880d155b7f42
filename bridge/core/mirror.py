"""The mirror filter: a pure function from the internal snapshot to what the client may see.

Its output, a :class:`MirrorView`, is in *client terms*: people are client
person ids, sections and parents are planner keys (the internal id, or a
synthetic key for the sections the mirror owns). Nothing that is not in a
MirrorView is ever sent to the client's tool; the planner builds client
writes from a MirrorView and nothing else, which is what makes invariant 1
("nothing hidden reaches the client") hold by construction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from bridge.core.fields import MULTI_KINDS, FieldKind, FieldMap, internal_kind, lookup, people_across, value_out
from bridge.core.markers import (
    NEAR_MISS,
    comment_notice,
    file_notice,
    marked,
    near_miss,
    read_comment,
    shared_notes,
    strip_exact,
    without,
)
from bridge.core.model import Comment, Person, Snapshot, Task
from bridge.core.ops import Notice
from bridge.core.people import client_audience, client_person
from bridge.core.ports import Capabilities
from bridge.core.rules import LinkRules, MirrorRules
from bridge.core.section_access import resolve_access, top_level_of, unknown_clients, unlocked_sections, without_named_markers
from bridge.richtext.audience import Audience, localize

SHARED = "@shared"  # holds shared tasks whose own section is locked
APPROVAL = "@approval"  # the client-side "approved" section


class MirrorSection(BaseModel):
    key: str
    name: str
    position: float = 0.0


@dataclass(slots=True)
class MirrorTask:
    """One shared task as the client may see it.

    A dataclass, not a model: the mirror makes one per shared task every cycle from values it
    made itself, and validating them again cost more than projecting them (docs/benchmarks.md).
    """

    key: str  # the internal task id
    fields: dict[str, Any]  # client-projected values: title, notes, done, due, start, assignees, labels
    section: str | None = None  # section key; None for a nested subtask
    parent: str | None = None  # parent task key when nested on the client side
    position: float = 0.0
    # The internal task's times, as its tool told; the planner compares them as they are.
    modified: dt.datetime | None = None
    created: dt.datetime | None = None

    @property
    def modified_at(self) -> str | None:
        """``modified`` in ISO form, made only when read (no cycle reads it for every task)."""
        return self.modified.isoformat() if self.modified else None

    @property
    def created_at(self) -> str | None:
        return self.created.isoformat() if self.created else None


class MirrorItem(BaseModel):
    """A shared comment or file; ``task`` is the key of the client-side task it sits on."""

    key: str
    task: str
    text: str = ""
    name: str = ""
    url: str = ""


class MirrorView(BaseModel):
    sections: dict[str, MirrorSection] = Field(default_factory=dict)
    tasks: dict[str, MirrorTask] = Field(default_factory=dict)
    comments: dict[str, MirrorItem] = Field(default_factory=dict)
    attachments: dict[str, MirrorItem] = Field(default_factory=dict)
    # What the filter noticed that the agency should fix (e.g. a marker near miss); see bridge/ops.Notice.
    notices: list[Notice] = Field(default_factory=list)


def cut_notes(notes: str, marker: str | None, agreed: str | None = None) -> str:
    """The notes above the first cut line, found on the document (bridge/core/markers.py)."""
    return shared_notes(notes, marker, agreed)


def strip_marker(text: str, marker: str) -> str:
    """A title or name without ``marker`` in any case, where it stands as a whole word; one pass, never a loop.

    Stripping only hides, so case is ignored; but a marker glued into a word
    (``#clientele``) is not the marker, and cutting it out would garble the word.
    """
    if not marker or not marker.strip():
        return text
    edge_before = r"(?<!\w)" if re.match(r"\w", marker[0]) else ""
    edge_after = r"(?!\w)" if re.match(r"\w", marker[-1]) else ""
    text = without(text, re.compile(edge_before + re.escape(marker) + edge_after, re.IGNORECASE))
    return " ".join(text.split()) if "\n" not in text else text.strip()


def map_people(
    ids: list[str], internal: Snapshot, client_people: dict[str, Person], rules: MirrorRules
) -> tuple[list[str], list[str]]:
    """Internal person ids -> (client person ids, names of people with no client account)."""
    mapped: list[str] = []
    unmatched: list[str] = []
    for person_id in ids:
        person = internal.people.get(person_id)
        found = client_person(person.email or "", client_people.values(), rules.people) if person else None
        if found:
            mapped.append(found.id)
        elif person and person.name:
            unmatched.append(person.name)
    return sorted(set(mapped)), unmatched


class LabelFilter:
    """Which of a task's labels go out under a link's rules (read once, applied to every task)."""

    __slots__ = ("drop", "prefixes", "wanted")

    def __init__(self, rules: LinkRules) -> None:
        drop = {rules.mirror.access.client.casefold(), rules.mirror.access.none.casefold()}
        # Access and approval labels naming a client (``client:acme``, ``client-approved:acme``) stay internal.
        prefixes = [rules.mirror.access.client_prefix.casefold()]
        if rules.inbound.approval and rules.inbound.approval.internal_label:
            drop.add(rules.inbound.approval.internal_label.casefold())
            prefixes.append(rules.inbound.approval.internal_label.casefold() + ":")
        allowed = rules.mirror.fields.labels_allowed
        self.drop, self.prefixes = frozenset(drop), tuple(prefixes)
        self.wanted = frozenset(a.casefold() for a in allowed) if allowed is not None else None

    def __call__(self, labels: list[str]) -> list[str]:
        if not labels:
            return []
        keep = [label for label in labels if label.casefold() not in self.drop and not label.casefold().startswith(self.prefixes)]
        if self.wanted is not None:
            keep = [label for label in keep if label.casefold() in self.wanted]
        return sorted(set(keep))


def labels_out(task: Task, rules: LinkRules) -> list[str]:
    return LabelFilter(rules)(task.labels)


def is_approved(internal: Snapshot, task: Task, rules: LinkRules) -> bool:
    approval = rules.inbound.approval
    if approval is None:
        return False
    label = rules.approval_label()  # with several clients: this client's own approval only
    if label and label.casefold() in {lbl.casefold() for lbl in task.labels}:
        return True
    section = internal.sections.get(task.section_id or "")
    return bool(approval.internal_section and section and section.name == approval.internal_section)


class Projection:
    """How one link projects a task's fields for the client: the rules read once, then applied to
    every task of the cycle (:meth:`fields`)."""

    __slots__ = ("assignees", "audience", "client_people", "custom", "internal", "labels", "mrules", "name_unmatched",
                 "notes", "notes_agreed", "notes_cut", "plain", "title", "title_marker")

    def __init__(
        self,
        internal: Snapshot,
        client_people: dict[str, Person],
        rules: LinkRules,
        allowed: frozenset[str],
        audience: Audience,
        custom: bool = False,
        custom_rules: Sequence[tuple[FieldMap, str, FieldKind]] | None = None,
    ) -> None:
        fields, mrules = rules.mirror.fields, rules.mirror
        self.internal, self.client_people, self.mrules, self.audience = internal, client_people, mrules, audience
        self.assignees = "assignees" in allowed and fields.assignees != "none"
        self.title = "title" in allowed and fields.title != "none"
        self.title_marker = mrules.access.type == "title_marker"
        self.notes = "notes" in allowed and fields.notes != "none"
        # Only notes the client can write may hold her own cut-line look-alikes (docs/mirror-rules.md "notes: both").
        self.notes_agreed = fields.notes in ("both", "to_internal")
        self.notes_cut = fields.notes_cut
        self.name_unmatched = mrules.people.unmatched == "name"
        # getattr is FieldRules.direction for these names, without its custom-field test
        self.plain = tuple(name for name in ("done", "due", "start") if name in allowed and getattr(fields, name) != "none")
        self.labels = LabelFilter(rules) if "labels" in allowed and fields.labels != "none" else None
        # Only the custom fields the link names (privacy by default), as the client's field
        # holds them: cf:<client name> -> the value through the link's value map.
        mapped = (custom_rules if custom_rules is not None else mapped_fields(internal, rules)) if custom else ()
        # With each rule its value map, and whether its kind holds one value (then value_out is a look-up in it).
        self.custom = tuple((rule, rule.name, key, kind, rule.values, kind not in MULTI_KINDS) for rule, key, kind in mapped)

    def fields(self, task: Task, agreed: str | None = None) -> dict[str, Any]:
        """The client-side value of every field that goes out for ``task``; ``agreed``: the notes last agreed on."""
        out: dict[str, Any] = {}
        unmatched: Sequence[str] = ()
        mrules = self.mrules
        if self.assignees:
            out["assignees"], unmatched = map_people(task.assignees, self.internal, self.client_people, mrules)
        if self.title:
            title = task.title
            if self.title_marker:
                title = without_named_markers(title, mrules.access)
                title = strip_marker(strip_marker(title, mrules.access.client), mrules.access.none)
            out["title"] = title
        if self.notes:
            notes = localize(shared_notes(task.notes, self.notes_cut, agreed if self.notes_agreed else None), self.audience)
            if unmatched and self.name_unmatched:
                notes = (notes + "\n\n" if notes else "") + "Assigned to: " + ", ".join(unmatched)
            out["notes"] = notes
        for name in self.plain:
            value = getattr(task, name)
            out[name] = value.isoformat() if hasattr(value, "isoformat") else value
        if self.labels is not None:
            out["labels"] = self.labels(task.labels)
        values = task.custom_fields
        for rule, field, key, kind, table, single in self.custom:
            value = values[field] if field in values else lookup(values, field)
            if single:  # value_out, inlined: the value map's entry for the value, else the value as it is
                out[key] = None if value is None or value == "" else table.get(value, value)
                continue
            if kind == "people":  # people are e-mail addresses: the link's people.map applies (docs/custom-fields.md)
                value = people_across(value, mrules.people.map)
            out[key] = value_out(rule, value, kind)
        return out


def project_fields(
    task: Task,
    internal: Snapshot,
    client_people: dict[str, Person],
    rules: LinkRules,
    allowed: frozenset[str],
    audience: Audience,
    agreed: str | None = None,
    custom: bool = False,
    custom_rules: Sequence[tuple[FieldMap, str, FieldKind]] | None = None,
) -> dict[str, Any]:
    """The client-side value of every field that goes out for this task (``custom``: with its custom fields).

    ``custom_rules``: :func:`mapped_fields` of the link, when the caller read them once for many tasks.
    Many tasks: make one :class:`Projection` and ask it for each.
    """
    return Projection(internal, client_people, rules, allowed, audience, custom, custom_rules).fields(task, agreed)


def mapped_fields(internal: Snapshot, rules: LinkRules) -> list[tuple[FieldMap, str, FieldKind]]:
    """Each custom field the link maps, with its planner name (``cf:<client name>``) and its internal kind."""
    return [(rule, rule.key, internal_kind(internal.fields, rule)) for rule in rules.mirror.fields.custom.values()]


def attribution(template: str, comment: Comment) -> str:
    """The prefix of a shared comment: ``{name}`` is the author, ``{date}`` the day it was written."""
    name = comment.author.name if comment.author and comment.author.name else "Agency"
    date = comment.created_at.date().isoformat() if comment.created_at else ""
    return template.format(name=name, date=date)


def mirror(
    internal: Snapshot,
    client_people: dict[str, Person],
    rules: LinkRules,
    client_caps: Capabilities,
    agreed_notes: Mapping[str, str] | None = None,
    *,
    foreign: frozenset[str] = frozenset(),
) -> MirrorView:
    """What the client may see of ``internal`` under ``rules``. Pure.

    ``agreed_notes`` holds, per task key, the notes both sides last agreed on (the
    pair's base): the client's own text, whose cut-line look-alikes never cut it.
    ``foreign``: internal ids of tasks, comments and files other links' clients
    created on this project; their comments and files never reach this client.
    """
    agreed_notes = agreed_notes or {}
    mrules = rules.mirror
    shared = resolve_access(internal, mrules, foreign)
    view = MirrorView()
    unknown = unknown_clients(internal, mrules)
    if unknown:
        view.notices.append(
            Notice(
                code="unknown-client",
                key=",".join(unknown),
                message=f"markers name {', '.join(map(repr, unknown))}, which no link of this project serves; those items "
                f"are shared with nobody (known: {', '.join(mrules.project_clients)})",
            )
        )
    for section in sorted(internal.sections.values(), key=lambda s: s.position):
        rule = mrules.section_rule(section.name)
        if rule.access == "unlocked":
            view.sections[section.id] = MirrorSection(key=section.id, name=rule.rename or section.name, position=section.position)
    audience = client_audience(client_people, rules.mirror.people, client_caps.tool)
    task_fields = client_caps.task_fields
    nest_fields = client_caps.subtask_fields if mrules.subtasks else frozenset()

    unlocked = unlocked_sections(internal, mrules)

    approved_label = (rules.approval_label() or "").casefold() if rules.inbound.approval else ""
    custom_rules = mapped_fields(internal, rules)
    # The rules read once for every task of the cycle: top-level tasks, and subtasks nested on the client side.
    top_level = Projection(internal, client_people, rules, task_fields, audience, client_caps.custom_fields, custom_rules)
    nesting = Projection(internal, client_people, rules, nest_fields, audience)

    approval_section = bool(rules.inbound.approval and rules.inbound.approval.internal_section)

    def client_section(task: Task) -> str:
        # is_approved, with the approval label and section read once rather than per task; the label
        # looked for in a plain loop (no generator per task: most tasks carry no label at all)
        if approved_label:
            for label in task.labels:
                if label.casefold() == approved_label:
                    return APPROVAL
        if approval_section and is_approved(internal, task, rules):
            return APPROVAL
        top = top_level_of(internal, task) if task.parent_id else task
        return top.section_id if top.section_id and unlocked.get(top.section_id) else SHARED

    shown = view.tasks
    for task in internal.tasks.values():
        if not shared.get(task.id):
            continue
        parent = internal.tasks.get(task.parent_id or "")
        nested = bool(
            parent is not None
            and nest_fields
            and shared.get(parent.id)
            and not parent.parent_id  # the client holds one level of nesting
        )
        fields = (nesting if nested else top_level).fields(task, agreed_notes.get(task.id))
        # MirrorTask(key, fields, section, parent, position, modified, created): positional, made for every task
        shown[task.id] = MirrorTask(
            task.id, fields, None if nested else client_section(task), parent.id if nested and parent else None,
            task.position, task.modified_at, task.created_at,
        )
    for key in {t.section for t in view.tasks.values()} - set(view.sections) - {None}:
        if key == SHARED:
            view.sections[SHARED] = MirrorSection(key=SHARED, name=mrules.shared_section, position=-1.0)
    if rules.inbound.approval is not None:
        view.sections[APPROVAL] = MirrorSection(key=APPROVAL, name=rules.inbound.approval.client_section, position=1e9)

    def host(task_id: str) -> str | None:
        """The client-side task a comment or file of this internal task lands on."""
        mt = view.tasks.get(task_id)
        if mt is None:
            return None
        return mt.parent or mt.key  # a nested subtask cannot hold comments: its parent does

    if client_caps.comments:
        marker = mrules.comment_marker
        for comment in internal.comments.values():
            target = host(comment.task_id)
            if target is None or comment.id in foreign:
                continue
            read = read_comment(comment.text, marker, mrules.fields.notes_cut)
            if not read.shared:
                if read.typed:
                    title = internal.tasks[comment.task_id].title
                    view.notices.append(Notice(code=NEAR_MISS, key=comment.id, message=comment_notice(title, read.typed, marker)))
                continue
            text = attribution(mrules.comment_attribution, comment) + localize(read.text, audience)
            view.comments[comment.id] = MirrorItem(key=comment.id, task=target, text=text)
    if client_caps.attachments != "none":
        marker = mrules.file_marker
        for attachment in internal.attachments.values():
            target = host(attachment.task_id)
            if target is None or attachment.id in foreign:
                continue
            if not marked(attachment.name, marker):
                typed = near_miss(attachment.name, marker)
                if typed:
                    title = internal.tasks[attachment.task_id].title
                    view.notices.append(Notice(code=NEAR_MISS, key=attachment.id, message=file_notice(title, typed, marker)))
                continue
            view.attachments[attachment.id] = MirrorItem(
                key=attachment.id, task=target, name=strip_exact(attachment.name, marker), url=attachment.url
            )
    return view
