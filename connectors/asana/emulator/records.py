"""Payloads of the Asana emulator, shaped like the reference's response schemas.

``*_full`` builders give the full record a single-object GET returns;
``compact`` records are what list endpoints return by default. ``select``
applies ``opt_fields`` the way Asana documents it: ``gid`` always, then each
requested path (``assignee.email``, ``memberships.section.name``...).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from typing import Any

from connectors.asana.emulator.model import Attachment, CustomField, EnumOption, Project, Section, Story, Tag, Task, User
from connectors.asana.emulator.store import AsanaStore
from connectors.emulation import HttpError

APP = "https://app.asana.com"
Expand = Callable[[dict[str, Any]], dict[str, Any] | None]


def user_full(store: AsanaStore, user: User) -> dict[str, Any]:
    return {**user.ref(), "email": user.email, "photo": None, "workspaces": [store.workspace.ref()]}


def enum_option(option: EnumOption) -> dict[str, Any]:
    return {
        "gid": option.gid,
        "resource_type": "enum_option",
        "name": option.name,
        "enabled": option.enabled,
        "color": option.color,
    }


def custom_field_full(store: AsanaStore, custom: CustomField, value: Any = None) -> dict[str, Any]:
    """A custom field as Asana shows it; on a task, with the task's value in its subtype's ``*_value`` key."""
    kind = custom.subtype
    shown: dict[str, Any] = {}
    display: str | None = None
    if kind == "enum":
        chosen = custom.option(value) if value else None
        shown["enum_value"] = enum_option(chosen) if chosen else None
        display = chosen.name if chosen else None
    elif kind == "multi_enum":
        picked = [o for o in (custom.option(gid) for gid in value or []) if o is not None]
        shown["multi_enum_values"] = [enum_option(o) for o in picked]
        display = ", ".join(o.name for o in picked) or None
    elif kind == "text":
        shown["text_value"] = value
        display = value
    elif kind == "number":
        shown["number_value"] = value
        shown["precision"] = 2
        display = None if value is None else f"{value:.2f}"
    elif kind == "date":
        shown["date_value"] = {"date": value["date"], "date_time": None} if value else None
        display = value["date"] if value else None
    elif kind == "people":
        users = [store.users[gid] for gid in value or [] if gid in store.users]
        shown["people_value"] = [u.ref() for u in users]
        display = ", ".join(u.name for u in users) or None
    return {
        "gid": custom.gid,
        "resource_type": "custom_field",
        "name": custom.name,
        "type": kind,
        "resource_subtype": kind,
        "enabled": True,
        "enum_options": [enum_option(o) for o in custom.options] if kind in ("enum", "multi_enum") else [],
        **shown,
        "display_value": display,
        "description": "",
        "is_global_to_workspace": False,
        "has_notifications_enabled": True,
        "created_by": store.users[custom.created_by].ref() if custom.created_by in store.users else None,
    }


def field_setting(store: AsanaStore, project: Project, field_gid: str) -> dict[str, Any]:
    return {
        "gid": project.field_settings[field_gid],
        "resource_type": "custom_field_setting",
        "custom_field": custom_field_full(store, store.fields[field_gid]),
        "is_important": True,
        "parent": project.ref(),
        "project": project.ref(),
    }


def project_full(store: AsanaStore, project: Project) -> dict[str, Any]:
    return {
        **project.ref(),
        "archived": project.archived,
        "color": None,
        "created_at": project.created_at,
        "modified_at": project.modified_at,
        "custom_field_settings": [field_setting(store, project, gid) for gid in project.field_settings],
        "default_view": "list",
        "due_on": None,
        "start_on": None,
        "notes": "",
        "html_notes": "<body></body>",
        "members": [user.ref() for user in store.users.values()],
        "public": True,
        "completed": False,
        "completed_at": None,
        "followers": [],
        "permalink_url": f"{APP}/0/{project.gid}/list",
        "workspace": store.workspace.ref(),
    }


def section_full(store: AsanaStore, section: Section) -> dict[str, Any]:
    project = store.projects[section.project].ref()
    return {**section.ref(), "created_at": section.created_at, "project": project, "projects": [project]}


def task_full(store: AsanaStore, task: Task) -> dict[str, Any]:
    memberships = []
    for gid in task.projects:
        section = store.section_of(task, gid)
        memberships.append({"project": store.projects[gid].ref(), "section": section.ref() if section else None})
    fields = [gid for p in sorted(store.root_projects(task)) for gid in store.projects[p].field_settings]
    return {
        **task.ref(),
        "assignee": store.users[task.assignee].ref() if task.assignee else None,
        "completed": task.completed,
        "completed_at": task.completed_at,
        "created_at": task.created_at,
        "custom_fields": [custom_field_full(store, store.fields[f], task.custom.get(f)) for f in dict.fromkeys(fields)],
        "dependencies": [],
        "dependents": [],
        "due_at": None,
        "due_on": task.due_on,
        "followers": [store.users[task.created_by].ref()] if task.created_by in store.users else [],
        "hearted": False,
        "hearts": [],
        "html_notes": task.html_notes,
        "is_rendered_as_separator": False,
        "liked": False,
        "likes": [],
        "memberships": memberships,
        "modified_at": task.modified_at,
        "notes": task.notes,
        "num_hearts": 0,
        "num_likes": 0,
        "num_subtasks": len(task.subtasks),
        "parent": store.tasks[task.parent].ref() if task.parent and task.parent in store.tasks else None,
        "permalink_url": f"{APP}/0/0/{task.gid}",
        "projects": [store.projects[gid].ref() for gid in task.projects],
        "start_at": None,
        "start_on": task.start_on,
        "tags": [store.tags[gid].ref() for gid in task.tags],
        "workspace": store.workspace.ref(),
    }


def story_compact(store: AsanaStore, story: Story) -> dict[str, Any]:
    return {
        "gid": story.gid,
        "resource_type": "story",
        "created_at": story.created_at,
        "created_by": store.users[story.created_by].ref() if story.created_by in store.users else None,
        "resource_subtype": story.subtype,
        "text": story.text,
    }


def story_full(store: AsanaStore, story: Story) -> dict[str, Any]:
    return {
        **story_compact(store, story),
        "html_text": story.html_text or f"<body>{html.escape(story.text, quote=False)}</body>",
        "is_pinned": False,
        "type": "comment" if story.is_comment else "system",
        "is_editable": story.is_comment,
        "is_edited": story.is_edited,
        "hearted": False,
        "hearts": [],
        "num_hearts": 0,
        "liked": False,
        "likes": [],
        "num_likes": 0,
        "source": "api",
        "target": store.tasks[story.task].ref(),
    }


def attachment_compact(attachment: Attachment) -> dict[str, Any]:
    return {"gid": attachment.gid, "resource_type": "attachment", "name": attachment.name, "resource_subtype": attachment.subtype}


def attachment_full(store: AsanaStore, attachment: Attachment, download_url: str | None = None) -> dict[str, Any]:
    """``download_url``: an upload's temporary link (Asana hands out a signed file-host URL); external
    attachments have no Asana-hosted copy, so nothing to download."""
    hosted = attachment.file is not None
    return {
        **attachment_compact(attachment),
        "created_at": attachment.created_at,
        "download_url": download_url if hosted else None,
        "permanent_url": f"{APP}/app/asana/-/get_asset?asset_id={attachment.gid}",
        "host": "asana" if hosted else "external",
        "parent": store.tasks[attachment.task].ref(),
        **({"size": attachment.size} if hosted else {}),
        "view_url": attachment.url,
        "connected_to_app": False,
    }


def tag_full(store: AsanaStore, tag: Tag) -> dict[str, Any]:
    return {
        **tag.ref(),
        "color": None,
        "created_at": tag.created_at,
        "followers": [],
        "notes": "",
        "permalink_url": f"{APP}/0/{tag.gid}/list",
        "workspace": store.workspace.ref(),
    }


def event_compact(event: dict[str, Any]) -> dict[str, Any]:
    """The default event shape: resource and parent as AsanaNamedResource."""

    def named(ref: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if ref is None else {k: v for k, v in ref.items() if k in ("gid", "resource_type", "name")}

    return {**event, "resource": named(event["resource"]), "parent": named(event["parent"])}


# -- opt_fields --------------------------------------------------------------------


def field_tree(opt_fields: str) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in opt_fields.split(","):
        node = tree
        for term in path.strip().removeprefix("this.").split("."):
            if term:
                node = node.setdefault(term, {})
    return tree


def select(record: Any, tree: dict[str, Any], expand: Expand | None = None) -> Any:
    """Keep ``gid`` plus the requested paths; a bare object field gives its compact reference.

    A path may reach past what an embedded reference holds (``assignee.email``):
    ``expand`` then supplies the referenced object's full record.
    """
    if isinstance(record, list):
        return [select(item, tree, expand) for item in record]
    if not isinstance(record, dict):
        return record
    if expand is not None and "gid" in record and any(key not in record for key in tree):
        record = {**(expand(record) or {}), **record}
    out: dict[str, Any] = {"gid": record["gid"]} if "gid" in record else {}
    for key, sub in tree.items():
        if key not in record:
            continue
        value = record[key]
        out[key] = select(value, sub, expand) if sub else _bare(value)
    return out


def _bare(value: Any) -> Any:
    if isinstance(value, list):
        return [_bare(item) for item in value]
    if isinstance(value, dict) and "gid" in value:
        return {k: value[k] for k in ("gid", "resource_type") if k in value}
    return value


# -- offset pagination ---------------------------------------------------------------


def encode_offset(path: str, index: int) -> str:
    return base64.urlsafe_b64encode(f"{path}|{index}".encode()).decode().rstrip("=")


def decode_offset(path: str, token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        where, index = raw.rsplit("|", 1)
        if where != path:
            raise ValueError(where)
        return int(index)
    except ValueError:
        raise HttpError(400, "offset: Your pagination token is invalid or expired") from None
