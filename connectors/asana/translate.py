"""Asana payloads <-> the canonical model.

Everything here is pure: it reads or builds the ``data`` part of Asana's
``{"data": ...}`` envelopes. A payload that lacks a field we rely on, or holds
the wrong type, raises :class:`~bridge.errors.Malformed` naming the field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bridge import richtext
from bridge.core.fields import FieldDef, FieldKind, canonical
from bridge.core.model import Attachment, Comment, Person, Section, Task
from bridge.core.ports import NewTask
from bridge.errors import Malformed

# What a pull asks for on every task (GET /tasks, /tasks/{gid}, /tasks/{gid}/subtasks, writes).
TASK_FIELDS = ",".join(
    [
        "name", "html_notes", "completed", "due_on", "start_on", "assignee", "assignee.email", "tags", "tags.name",
        "memberships.project", "memberships.section", "parent", "num_subtasks", "custom_fields.name",
        "custom_fields.resource_subtype", "custom_fields.enum_value", "custom_fields.enum_value.name",
        "custom_fields.multi_enum_values", "custom_fields.multi_enum_values.name", "custom_fields.text_value",
        "custom_fields.number_value", "custom_fields.date_value", "custom_fields.people_value",
        "custom_fields.people_value.email", "modified_at", "created_at", "permalink_url",
    ]
)  # fmt: skip
# What the bridge reads of a project's custom field settings (its fields, their subtypes and options).
FIELD_SETTING_FIELDS = (
    "custom_field.name,custom_field.resource_subtype,custom_field.enum_options.name,custom_field.enum_options.enabled"
)
STORY_FIELDS = "resource_subtype,text,html_text,created_at,created_by,created_by.name"
ATTACHMENT_FIELDS = "name,resource_subtype,created_at,view_url,permanent_url,download_url,host,size"
EVENT_FIELDS = "action,created_at,type,user,resource,resource.resource_type,resource.resource_subtype,parent,parent.resource_type"
COMMENT = "comment_added"


def data_of(body: Any, what: str) -> Any:
    """The ``data`` member of an Asana envelope."""
    if not isinstance(body, dict) or "data" not in body:
        raise Malformed(f"asana: the {what} response has no 'data' envelope")
    return body["data"]


def _field(raw: Any, key: str, kind: type | tuple[type, ...], what: str, *, optional: bool = True) -> Any:
    if not isinstance(raw, dict):
        raise Malformed(f"asana: a {what} is not a JSON object")
    value = raw.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind):
        raise Malformed(f"asana: {what}.{key} is missing or has the wrong type")
    return value


def gid_of(raw: Any, what: str) -> str:
    return str(_field(raw, "gid", str, what, optional=False))


def ref_gid(raw: Any, key: str, what: str) -> str | None:
    ref = _field(raw, key, dict, what)
    return gid_of(ref, f"{what}.{key}") if ref is not None else None


def parse_date(value: Any, what: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise Malformed(f"asana: {what} is not a YYYY-MM-DD date: {value!r}") from None


def parse_time(value: Any, what: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Malformed(f"asana: {what} is not an ISO 8601 time: {value!r}") from None


# -- reading ---------------------------------------------------------------------------


def section_of(raw: dict[str, Any], project_id: str) -> str | None:
    """The section of the task's membership in *this* project (a task may sit in several)."""
    for membership in _field(raw, "memberships", list, "task") or []:
        if ref_gid(membership, "project", "task.memberships") == project_id:
            return ref_gid(membership, "section", "task.memberships")
    return None


def in_project(raw: dict[str, Any], project_id: str) -> bool:
    memberships = _field(raw, "memberships", list, "task") or []
    return any(ref_gid(m, "project", "task.memberships") == project_id for m in memberships)


# The custom field subtypes the bridge reads and writes (bridge/core/fields.py kinds).
KINDS: dict[str, FieldKind] = {
    "text": "text", "number": "number", "enum": "enum", "multi_enum": "multi_enum", "date": "date", "people": "people",
}  # fmt: skip


def custom_values(raw: dict[str, Any], people: Mapping[str, Person] | None = None) -> dict[str, str]:
    """Custom fields that hold a value, as {field name: canonical value} (bridge/core/fields.py).

    An enum holds its option's name; a multi-enum its options' names, sorted and joined with ", "
    (the form the access rules read as several values); people their e-mail addresses.
    """
    values: dict[str, str] = {}
    for custom in _field(raw, "custom_fields", list, "task") or []:
        name = _field(custom, "name", str, "task.custom_fields")
        if not name:
            continue
        value = _custom_value(custom, people or {})
        if value is not None:
            values[name] = value
    return values


def _custom_value(custom: dict[str, Any], people: Mapping[str, Person]) -> str | None:
    where = "task.custom_fields"
    option = _field(custom, "enum_value", dict, where)
    if option is not None:
        return str(_field(option, "name", str, f"{where}.enum_value", optional=False))
    chosen = _field(custom, "multi_enum_values", list, where)
    if chosen:
        names = [str(_field(o, "name", str, f"{where}.multi_enum_values", optional=False)) for o in chosen]
        return canonical("multi_enum", names)
    kind = _field(custom, "resource_subtype", str, where) or _field(custom, "type", str, where)
    if kind == "text":
        return canonical("text", _field(custom, "text_value", str, where))
    if kind == "number":
        number = custom.get("number_value")
        return canonical("number", number) if isinstance(number, (int, float)) else None
    if kind == "date":
        day = _field(custom, "date_value", dict, where)
        return canonical("date", day.get("date")) if day else None
    if kind == "people":
        users = _field(custom, "people_value", list, where) or []
        return canonical("people", [_person_key(u, people) for u in users if isinstance(u, dict)])
    return None


def _person_key(user: dict[str, Any], people: Mapping[str, Person]) -> str:
    """A person in a people field: their e-mail address, as every tool's people are matched (docs/custom-fields.md)."""
    gid = str(user.get("gid", ""))
    known = people.get(gid)
    email = user.get("email") or (known.email if known else None)
    return str(email or f"asana:{gid}")


def field_defs(settings: Any) -> dict[str, FieldDef]:
    """The custom fields of a project's custom_field_settings the bridge can carry, by name."""
    found: dict[str, FieldDef] = {}
    for setting in settings if isinstance(settings, list) else []:
        custom = _field(setting, "custom_field", dict, "custom_field_setting")
        if custom is None:
            continue
        subtype = _field(custom, "resource_subtype", str, "custom_field") or _field(custom, "type", str, "custom_field")
        kind = KINDS.get(str(subtype))
        name = _field(custom, "name", str, "custom_field")
        if kind is None or not name:
            continue
        options = tuple(
            str(_field(o, "name", str, "enum_option", optional=False))
            for o in _field(custom, "enum_options", list, "custom_field") or []
            if o.get("enabled", True) is not False
        )
        found[name] = FieldDef(name=name, kind=kind, options=options)
    return found


def people_of(people: Mapping[str, Person] | None) -> richtext.People:
    """Workspace users for mentions: an Asana mention names the user's gid."""
    return richtext.People.of("asana", (people or {}).values(), {gid: gid for gid in people or {}})


def rich_text(raw: dict[str, Any], rich: str, plain: str, what: str, people: Mapping[str, Person] | None) -> str:
    """Canonical Markdown of a rich field (``html_notes``/``html_text``), or of its plain twin when only that came."""
    html_value = _field(raw, rich, str, what)
    if html_value is None:
        plain_value = _field(raw, plain, str, what) or ""
        html_value = f"<body>{html.escape(plain_value, quote=False)}</body>"
    return richtext.read("asana", html_value, people_of(people))


def task_from_payload(raw: Any, project_id: str, *, position: float = 0.0, people: Mapping[str, Person] | None = None) -> Task:
    gid = gid_of(raw, "task")
    modified = _field(raw, "modified_at", str, "task")
    return Task(
        id=gid,
        title=_field(raw, "name", str, "task") or "",
        notes=rich_text(raw, "html_notes", "notes", "task", people),
        done=bool(_field(raw, "completed", bool, "task")),
        section_id=section_of(raw, project_id),
        due=parse_date(raw.get("due_on"), "task.due_on"),
        start=parse_date(raw.get("start_on"), "task.start_on"),
        assignees=[a] if (a := ref_gid(raw, "assignee", "task")) else [],
        labels=[str(_field(t, "name", str, "task.tags", optional=False)) for t in _field(raw, "tags", list, "task") or []],
        parent_id=ref_gid(raw, "parent", "task"),
        position=position,
        custom_fields=custom_values(raw, people),
        created_at=parse_time(raw.get("created_at"), "task.created_at"),
        modified_at=parse_time(modified, "task.modified_at"),
        url=_field(raw, "permalink_url", str, "task") or None,
        version=modified,
    )


def num_subtasks(raw: dict[str, Any]) -> int:
    return int(_field(raw, "num_subtasks", int, "task") or 0)


def project_from_payload(raw: Any) -> tuple[str, str]:
    """(name, workspace gid) of a project."""
    workspace = ref_gid(raw, "workspace", "project")
    if workspace is None:
        raise Malformed("asana: project.workspace is missing")
    return _field(raw, "name", str, "project") or "", workspace


def section_from_payload(raw: Any, position: float) -> Section:
    return Section(id=gid_of(raw, "section"), name=_field(raw, "name", str, "section") or "", position=position)


def person_from_user(raw: Any) -> Person:
    return Person(id=gid_of(raw, "user"), name=_field(raw, "name", str, "user") or "", email=_field(raw, "email", str, "user"))


def comment_from_story(raw: Any, task_id: str, people: dict[str, Person]) -> Comment | None:
    """A comment, or None for the system stories (assignments, moves...) that share the feed."""
    if _field(raw, "resource_subtype", str, "story") != COMMENT:
        return None
    text = rich_text(raw, "html_text", "text", "story", people)
    author = _field(raw, "created_by", dict, "story")
    person = None
    if author is not None:
        known = people.get(gid_of(author, "story.created_by"))
        person = known or person_from_user(author)
    return Comment(
        id=gid_of(raw, "story"),
        task_id=task_id,
        text=text,
        author=person,
        created_at=parse_time(raw.get("created_at"), "story.created_at"),
        # Stories have no modified_at; their text is what can change.
        version=hashlib.sha1(text.encode()).hexdigest()[:16],
    )


def attachment_from_payload(raw: Any, task_id: str) -> Attachment:
    url = next((raw[k] for k in ("view_url", "permanent_url", "download_url") if isinstance(raw.get(k), str)), "")
    created = _field(raw, "created_at", str, "attachment")
    size = raw.get("size")
    return Attachment(
        id=gid_of(raw, "attachment"),
        task_id=task_id,
        name=_field(raw, "name", str, "attachment") or "",
        url=url,
        created_at=parse_time(created, "attachment.created_at"),
        version=created,
        # Uploaded to Asana (subtype "asana"): its bytes can be downloaded (docs/files.md).
        hosted=raw.get("resource_subtype") == "asana",
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
    )


@dataclass(frozen=True)
class EnumField:
    """A project's custom field as writes need it (named for the enum fields it began with)."""

    gid: str
    name: str
    options: dict[str, str]  # option name -> option gid
    kind: str = "enum"  # Asana's resource_subtype


def enum_fields(settings: Any) -> dict[str, EnumField]:
    """The custom fields of a project's custom_field_settings, by field name, with their option gids."""
    found: dict[str, EnumField] = {}
    for setting in settings if isinstance(settings, list) else []:
        custom = _field(setting, "custom_field", dict, "custom_field_setting")
        if custom is None:
            continue
        options = {
            str(_field(o, "name", str, "enum_option", optional=False)): gid_of(o, "enum_option")
            for o in _field(custom, "enum_options", list, "custom_field") or []
        }
        name = str(_field(custom, "name", str, "custom_field", optional=False))
        kind = _field(custom, "resource_subtype", str, "custom_field") or _field(custom, "type", str, "custom_field") or "enum"
        found[name] = EnumField(gid_of(custom, "custom_field"), name, options, kind)
    return found


@dataclass(frozen=True)
class Change:
    """One /events entry, reduced to what an incremental pull decides on."""

    action: str
    kind: str  # resource_type of the resource
    gid: str
    subtype: str | None
    parent_kind: str | None
    parent: str | None
    user: str | None
    at: str | None = None  # the event's created_at


def change_from_event(raw: Any) -> Change:
    resource = _field(raw, "resource", dict, "event", optional=False)
    parent = _field(raw, "parent", dict, "event")
    user = _field(raw, "user", dict, "event")
    kind = _field(resource, "resource_type", str, "event.resource") or _field(raw, "type", str, "event") or ""
    return Change(
        action=str(_field(raw, "action", str, "event", optional=False)),
        kind=kind,
        gid=gid_of(resource, "event.resource"),
        subtype=_field(resource, "resource_subtype", str, "event.resource"),
        parent_kind=_field(parent, "resource_type", str, "event.parent") if parent else None,
        parent=gid_of(parent, "event.parent") if parent else None,
        user=gid_of(user, "event.user") if user else None,
        at=_field(raw, "created_at", str, "event"),
    )


# -- writing ---------------------------------------------------------------------------

_SCALARS = {"title": "name", "notes": "html_notes", "done": "completed", "due": "due_on", "start": "start_on"}


def notes_html(markdown: str, people: Mapping[str, Person] | None = None) -> str:
    return richtext.write("asana", markdown, people_of(people))


def story_write(markdown: str, people: Mapping[str, Person] | None = None) -> dict[str, Any]:
    """The body of a comment story: ``html_text`` (stories have no headings; they become bold lines)."""
    return {"html_text": richtext.write("asana_story", markdown, people_of(people))}


def _wire(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def task_write(
    changes: dict[str, Any], current_due: dt.date | None = None, people: Mapping[str, Person] | None = None
) -> dict[str, Any]:
    """The TaskRequest body for scalar canonical fields (labels, section, parent go elsewhere)."""
    data: dict[str, Any] = {}
    for field, wire in _SCALARS.items():
        if field in changes:
            value = changes[field]
            if field == "notes":
                data[wire] = notes_html(value or "", people)
            else:
                data[wire] = (value or "") if field == "title" else _wire(value)
    if "assignees" in changes:
        assignees = list(changes["assignees"] or [])
        # Asana tasks have a single assignee.
        data["assignee"] = assignees[0] if assignees else None
    if "start_on" in data and "due_on" not in data:
        # Asana refuses start_on without due_on/due_at in the same request.
        data["due_on"] = _wire(current_due)
    return data


def new_task_write(task: NewTask, people: Mapping[str, Person] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"name": task.title}
    if task.notes:
        data["html_notes"] = notes_html(task.notes, people)
    if task.done:
        data["completed"] = True
    if task.due or task.start:
        # start_on needs due_on in the same request, even when there is no due date.
        data["due_on"] = _wire(task.due)
    if task.start:
        data["start_on"] = _wire(task.start)
    if task.assignees:
        data["assignee"] = task.assignees[0]
    return data
