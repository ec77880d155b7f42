"""The Asana connector's writes: one logical change each, answered from the write's own response.

Asana quirks handled here: tags are separate objects added with
``addTag``/``removeTag`` (created on the fly by name), a section move is
``POST /sections/{gid}/addTask``, a task has one assignee, enum custom fields
take field and option gids, only empty sections can be deleted, and
"archive" means taking the task out of the project (``removeProject``).
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from bridge.core.fields import date, number, split
from bridge.core.model import Attachment, Comment, Person, Section, Snapshot, Task
from bridge.core.ports import Download, NewTask, Removal
from bridge.errors import Invalid, Malformed, NotFound
from bridge.http import HttpClient, iter_offset
from bridge.http.multipart import multipart_body
from connectors.asana.reader import AsanaReader
from connectors.asana.translate import (
    ATTACHMENT_FIELDS,
    FIELD_SETTING_FIELDS,
    STORY_FIELDS,
    TASK_FIELDS,
    EnumField,
    attachment_from_payload,
    comment_from_story,
    data_of,
    enum_fields,
    gid_of,
    new_task_write,
    section_from_payload,
    story_write,
    task_from_payload,
    task_write,
)


class AsanaWrites:
    client: HttpClient
    reader: AsanaReader

    def _init_writes(self) -> None:
        self._lookup_lock = threading.Lock()
        self._workspaces: dict[str, str] = {}  # project gid -> workspace gid
        self._tags: dict[str, dict[str, str]] = {}  # workspace gid -> tag name -> tag gid
        self._fields: dict[str, dict[str, EnumField]] = {}  # project gid -> enum fields by name
        self._me: Person | None = None
        # project gid -> the workspace's people as the last pull saw them: mentions are written
        # (and read back) with them, so a mention of someone Asana knows stays a mention.
        self._people: dict[str, dict[str, Person]] = {}
        # section gid -> how many top-level tasks it held at the last pull, plus those created since:
        # the index a new task gets, as Asana adds it at the end of its section.
        self._sizes: dict[str, int] = {}

    def _remember(self, snapshot: Snapshot) -> None:
        self._people[snapshot.project_id] = snapshot.people
        sizes = Counter(t.section_id for t in snapshot.tasks.values() if t.parent_id is None and t.section_id)
        with self._lookup_lock:
            self._sizes.update({section: sizes.get(section, 0) for section in snapshot.sections})

    def _appended(self, section: str) -> float:
        with self._lookup_lock:
            index = self._sizes.get(section, 0)
            self._sizes[section] = index + 1
        return float(index)

    # -- plumbing ---------------------------------------------------------------------------

    def _send(self, method: str, path: str, data: dict[str, Any], fields: str | None = None, *, idempotent: bool = False) -> Any:
        params = {"opt_fields": fields} if fields else None
        # Asana's add/remove endpoints are idempotent, so they may be retried like a PUT.
        response = self.client.request(method, path, params=params, json={"data": data}, retry_unsafe=idempotent)
        return data_of(response.json(), path)

    def _delete(self, path: str) -> bool:
        """DELETE; False when it was already gone (a retry after a lost response)."""
        try:
            self.client.request("DELETE", path)
        except NotFound:
            return False
        return True

    def whoami(self) -> Person:
        if self._me is None:
            self._me = self.reader.me()
        return self._me

    def _workspace(self, project_id: str) -> str:
        with self._lookup_lock:
            known = self._workspaces.get(project_id)
        if known is None:
            known = self.reader.project(project_id)[1]
            with self._lookup_lock:
                self._workspaces[project_id] = known
        return known

    def _tag_gid(self, project_id: str, name: str, *, create: bool) -> str | None:
        workspace = self._workspace(project_id)
        for attempt in range(2):
            with self._lookup_lock:
                tags = self._tags.get(workspace)
            if tags is not None and name in tags:
                return tags[name]
            if tags is not None and attempt == 1:
                break
            # Not loaded yet, or loaded before someone else created the tag: list again once.
            listed = iter_offset(self.client, f"workspaces/{workspace}/tags", {"opt_fields": "name", "limit": 100})
            with self._lookup_lock:
                self._tags[workspace] = {str(t.get("name")): gid_of(t, "tag") for t in listed}
        if not create:
            return None
        gid = gid_of(self._send("POST", "tags", {"name": name, "workspace": workspace}, "name"), "tag")
        with self._lookup_lock:
            self._tags.setdefault(workspace, {})[name] = gid
        return gid

    def _enum_fields(self, project_id: str, names: list[str], options: dict[str, str] | None = None) -> dict[str, EnumField]:
        fields = self._fields.get(project_id)
        # An option added since (a new client's name) is as new as a new field.
        stale = fields is not None and any(
            any(v not in fields[name].options for v in (split(value) if fields[name].kind == "multi_enum" else [value]))
            for name, value in (options or {}).items()
            if name in fields and value and fields[name].kind in ("enum", "multi_enum")
        )
        if fields is None or stale or any(n not in fields for n in names):
            # Not loaded yet, or a field was added since: list the project's settings again.
            settings = iter_offset(
                self.client,
                f"projects/{project_id}/custom_field_settings",
                {"opt_fields": FIELD_SETTING_FIELDS, "limit": 100},
            )
            fields = self._fields[project_id] = enum_fields(list(settings))
        return fields

    def _custom_write(self, project_id: str, values: dict[str, str | None]) -> dict[str, Any]:
        """{field name: canonical value} (bridge/core/fields.py) -> Asana's {field gid: value}.

        Each subtype takes its own form: an enum its option's gid, a multi-enum a list of them,
        a number a number, a date ``{"date": "YYYY-MM-DD"}``, people a list of user gids.
        """
        options = {k: v for k, v in values.items() if v}
        fields = self._enum_fields(project_id, list(values), options)
        out: dict[str, Any] = {}
        for name, value in values.items():
            field = fields.get(name) or next((f for n, f in fields.items() if n.casefold() == name.casefold()), None)
            if field is None:
                raise Invalid(
                    f"asana: project {project_id} has no custom field named {name!r}", hint="add the field to the project"
                )
            out[field.gid] = None if value in (None, "") else self._custom_value(project_id, field, str(value))
        return out

    def _custom_value(self, project_id: str, field: EnumField, value: str) -> Any:
        if field.kind in ("enum", "multi_enum"):
            wanted = split(value) if field.kind == "multi_enum" else [value]
            missing = [v for v in wanted if v not in field.options]
            if missing:
                choices = ", ".join(field.options)
                raise Invalid(f"asana: {missing[0]!r} is not an option of the custom field {field.name!r} (options: {choices})")
            gids = [field.options[v] for v in wanted]
            return gids if field.kind == "multi_enum" else gids[0]
        if field.kind == "number":
            parsed = number(value)
            if parsed is None:
                raise Invalid(f"asana: the custom field {field.name!r} takes a number, not {value!r}")
            return float(parsed) if "." in parsed else int(parsed)
        if field.kind == "date":
            day = date(value)
            if day is None:
                raise Invalid(f"asana: the custom field {field.name!r} takes a date (YYYY-MM-DD), not {value!r}")
            return {"date": day}
        if field.kind == "people":
            people = self._people.get(project_id) or {}
            by_email = {(p.email or "").casefold(): gid for gid, p in people.items() if p.email}
            found = [by_email.get(e.casefold()) or (e[len("asana:"):] if e.startswith("asana:") else None) for e in split(value)]
            return [gid for gid in found if gid]
        return value

    # -- sections -----------------------------------------------------------------------------

    def create_section(self, project_id: str, name: str) -> Section:
        # Asana appends the section; its exact position comes with the next full pull.
        return section_from_payload(self._send("POST", f"projects/{project_id}/sections", {"name": name}, "name"), 0.0)

    def update_section(self, project_id: str, section: Section, name: str) -> Section:
        raw = self._send("PUT", f"sections/{section.id}", {"name": name}, "name")
        return section_from_payload(raw, section.position)

    def remove_section(self, project_id: str, section: Section, mode: Removal) -> None:
        # Asana has no archived sections: both modes delete, which Asana allows only for empty ones.
        try:
            self._delete(f"sections/{section.id}")
        except Invalid as err:
            raise Invalid(
                f"asana: cannot {mode} section {section.name!r}: "
                "Asana deletes only empty sections, and never a project's last one",
                status=err.status,
                hint="move or remove the section's tasks first",
            ) from None

    # -- tasks ----------------------------------------------------------------------------------

    def create_task(self, project_id: str, task: NewTask) -> Task:
        people = self._people.get(project_id)
        data = new_task_write(task, people)
        if task.labels:
            data["tags"] = [self._tag_gid(project_id, name, create=True) for name in task.labels]
        if task.custom_fields:
            data["custom_fields"] = self._custom_write(project_id, dict(task.custom_fields))
        if task.parent_id:
            raw = self._send("POST", f"tasks/{task.parent_id}/subtasks", data, TASK_FIELDS)
            created = task_from_payload(raw, project_id, people=people)
            return created.model_copy(update={"parent_id": task.parent_id, "section_id": None})
        if task.section_id:
            data["memberships"] = [{"project": project_id, "section": task.section_id}]
        else:
            data["projects"] = [project_id]
        created = task_from_payload(self._send("POST", "tasks", data, TASK_FIELDS), project_id, people=people)
        return created.model_copy(update={"position": self._appended(task.section_id)}) if task.section_id else created

    def update_task(self, project_id: str, current: Task, changes: dict[str, Any]) -> Task:
        gid = current.id
        parent = changes.get("parent_id", current.parent_id)
        section = changes.get("section_id") or current.section_id
        position = self._place(project_id, current, changes, parent, section)
        labels = self._retag(project_id, current, list(changes.get("labels", current.labels)))
        people = self._people.get(project_id)
        data = task_write(changes, changes.get("due", current.due), people)
        if changes.get("custom_fields"):
            # A patch (bridge/core/ports.py): only the fields it names are written.
            data["custom_fields"] = self._custom_write(project_id, dict(changes["custom_fields"]))
        placed = {"parent_id": parent, "position": position}
        if data:
            # Sent last, so the response already reflects the moves and tags above.
            updated = task_from_payload(self._send("PUT", f"tasks/{gid}", data, TASK_FIELDS), project_id, people=people)
            return updated.model_copy(update=placed | {"section_id": None if parent else updated.section_id})
        assignees = list(changes.get("assignees", current.assignees))[:1]
        return current.model_copy(
            update=placed | {"section_id": None if parent else section, "labels": labels, "assignees": assignees}
        )

    def _place(self, project_id: str, current: Task, changes: dict[str, Any], parent: str | None, section: str | None) -> float:
        """Parent, section and order changes; returns the task's position as far as the write knows it."""
        gid = current.id
        if parent != current.parent_id:
            self._send("POST", f"tasks/{gid}/setParent", {"parent": parent}, "name", idempotent=True)
            if parent is None:
                self._send("POST", f"tasks/{gid}/addProject", {"project": project_id, "section": section}, idempotent=True)
            elif current.parent_id is None:
                # A subtask lives under its parent, not as a task of the project too.
                self._send("POST", f"tasks/{gid}/removeProject", {"project": project_id}, idempotent=True)
        if parent is None and section and "after" in changes:
            return self._put_after(gid, section, changes["after"])
        if parent is None and section and changes.get("position") is not None:
            position = float(changes["position"])
            self._reorder(gid, section, position)
            return position
        if parent is None and current.parent_id is None and section != current.section_id:
            self._send("POST", f"sections/{section}/addTask", {"task": gid}, idempotent=True)
            return 0.0  # Asana adds a moved task at the top of its new section
        return current.position

    def _put_after(self, gid: str, section: str, after: str | None) -> float:
        """Put the task right after ``after`` in ``section`` (at the top for None), moving it there if needed.

        Returns a position that orders it among the indexes of the last pull: just past its anchor's.
        """
        order = [gid_of(t, "task") for t in iter_offset(self.client, f"sections/{section}/tasks", {"limit": 100})]
        others = [g for g in order if g != gid]
        if after is not None and after not in others:
            raise Invalid(f"asana: task {after} is not in section {section}", hint="it moved meanwhile; the next cycle places it")
        anchor = {"insert_after": after} if after else ({"insert_before": others[0]} if others else {})
        self._send("POST", f"sections/{section}/addTask", {"task": gid, **anchor}, idempotent=True)
        return order.index(after) + 0.5 if after else -0.5

    def _reorder(self, gid: str, section: str, position: float) -> None:
        """Move a task to a canonical position: positions are indexes in the section's order."""
        order = [gid_of(t, "task") for t in iter_offset(self.client, f"sections/{section}/tasks", {"limit": 100})]
        others = [g for g in order if g != gid]
        before = next((g for g in others if order.index(g) > position), None)
        anchor = {"insert_before": before} if before else ({"insert_after": others[-1]} if others else {})
        self._send("POST", f"sections/{section}/addTask", {"task": gid, **anchor}, idempotent=True)

    def _retag(self, project_id: str, current: Task, labels: list[str]) -> list[str]:
        for name in [n for n in labels if n not in current.labels]:
            self._send(
                "POST", f"tasks/{current.id}/addTag", {"tag": self._tag_gid(project_id, name, create=True)}, idempotent=True
            )
        for name in [n for n in current.labels if n not in labels]:
            tag = self._tag_gid(project_id, name, create=False)
            if tag is not None:
                self._send("POST", f"tasks/{current.id}/removeTag", {"tag": tag}, idempotent=True)
        return labels

    def remove_task(self, project_id: str, task: Task, mode: Removal) -> None:
        if mode == "archive" and task.parent_id is None:
            # Out of the client's project but not deleted: addProject brings it back.
            with contextlib.suppress(NotFound):  # already gone: nothing left to hide
                self._send("POST", f"tasks/{task.id}/removeProject", {"project": project_id}, idempotent=True)
            return
        # A subtask is not a project member; Asana's trash (restorable for 30 days) is its archive.
        self._delete(f"tasks/{task.id}")

    # -- comments and attachments -------------------------------------------------------------

    def _comment(self, raw: Any, project_id: str, task_id: str) -> Comment:
        me = self.whoami()
        comment = comment_from_story(raw, task_id, {**self._people.get(project_id, {}), me.id: me})
        if comment is None:
            raise Malformed("asana: the created story is not a comment")
        return comment

    def create_comment(self, project_id: str, task_id: str, text: str) -> Comment:
        data = story_write(text, self._people.get(project_id))
        return self._comment(self._send("POST", f"tasks/{task_id}/stories", data, STORY_FIELDS), project_id, task_id)

    def update_comment(self, project_id: str, comment: Comment, text: str) -> Comment:
        data = story_write(text, self._people.get(project_id))
        return self._comment(self._send("PUT", f"stories/{comment.id}", data, STORY_FIELDS), project_id, comment.task_id)

    def remove_comment(self, project_id: str, comment: Comment) -> None:
        self._delete(f"stories/{comment.id}")

    def create_attachment(self, project_id: str, task_id: str, name: str, url: str) -> Attachment:
        # POST /attachments is multipart/form-data only; (None, value) makes plain form fields.
        form = {"parent": (None, task_id), "resource_subtype": (None, "external"), "url": (None, url), "name": (None, name)}
        response = self.client.request("POST", "attachments", params={"opt_fields": ATTACHMENT_FIELDS}, files=form)
        return attachment_from_payload(data_of(response.json(), "attachments"), task_id)

    def remove_attachment(self, project_id: str, attachment: Attachment) -> None:
        self._delete(f"attachments/{attachment.id}")

    # -- files (bridge/core/ports.py FileTransfer; docs/files.md) -------------------------------

    @contextlib.contextmanager
    def open_download(self, project_id: str, attachment: Attachment) -> Iterator[Download]:
        # download_url is valid for a few minutes only (the spec says so): asked for right before use.
        raw = self.client.get_json(f"attachments/{attachment.id}", params={"opt_fields": "download_url,size"})
        data = data_of(raw, "attachment")
        url = data.get("download_url")
        if not isinstance(url, str) or not url:
            raise Malformed(f"asana: attachment {attachment.id} has no download_url")
        with self.client.download(url, size=attachment.size) as download:
            yield download

    def upload_attachment(
        self, project_id: str, task_id: str, name: str, chunks: Iterable[bytes], size: int, content_type: str
    ) -> Attachment:
        headers, body = multipart_body([("parent", task_id), ("resource_subtype", "asana")], "file", name,
                                       content_type, chunks, size)
        response = self.client.send_stream("POST", "attachments", content=body, headers=headers,
                                           params={"opt_fields": ATTACHMENT_FIELDS})
        return attachment_from_payload(data_of(response.json(), "attachments"), task_id)
