"""JSON shapes of the Basecamp emulator, key for key after the official examples.

The examples in ``tests/reference/basecamp/examples`` are verbatim Basecamp
answers; where the SDK's OpenAPI spec requires a key the older examples lack
(``description_attachments``, ``bubble_up_url``, ``content_attachments``) the
key is added, so a payload satisfies both.

Rich text is stored as written (sanitized) and rendered on every answer: a
``<bc-attachment sgid>`` naming a person comes back expanded into the mention
markup of the reference (``rich_text.md``, "Inserting a mention"), one naming an
uploaded file (``POST /attachments.json``) into the file markup ("Inserting an
image or file attachment").
"""

from __future__ import annotations

import datetime as dt
import html
import re
import urllib.parse
from typing import Any

from connectors.basecamp.emulator.store import (
    ACCOUNT_ID,
    Blob,
    Comment,
    Person,
    Project,
    Recording,
    Store,
    Todo,
    Todolist,
    Todoset,
    Upload,
    Vault,
    Webhook,
    sgid,
)

APP = "https://3.basecamp.com"
MENTION_TYPE = "application/vnd.basecamp.mention"
# What sanitize() leaves of an attachment: the tag, its kept attributes, no content.
_ATTACHMENT = re.compile(r'<bc-attachment((?: [a-z-]+="[^"]*")*)></bc-attachment>')
_ATTRIBUTE = re.compile(r' ([a-z-]+)="([^"]*)"')
PATHS = {"Todo": "todos", "Todolist": "todolists", "Todoset": "todosets", "Comment": "comments", "Vault": "vaults",
         "Upload": "uploads"}


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


class Renderer:
    """Renders store objects with URLs on the server the request reached (``api``)."""

    def __init__(self, store: Store, api: str) -> None:
        self.store = store
        self.api = f"{api.rstrip('/')}/{ACCOUNT_ID}"
        self.app = f"{APP}/{ACCOUNT_ID}"

    # -- shared pieces ----------------------------------------------------

    def person(self, person: Person) -> dict[str, Any]:
        return {
            "id": person.id,
            "attachable_sgid": sgid("Person", person.id),
            "name": person.name,
            "email_address": person.email,
            "personable_type": "User",
            "title": person.title,
            "bio": None,
            "location": None,
            "created_at": stamp(person.created_at),
            "updated_at": stamp(person.created_at),
            "admin": person.admin,
            "owner": person.owner,
            "client": person.client,
            "employee": person.employee,
            "time_zone": "Etc/UTC",
            "avatar_url": self.avatar_url(person),
            "can_ping": True,
            "can_manage_projects": not person.client,
            "can_manage_people": person.admin,
            "can_access_timesheet": False,
            "can_access_hill_charts": not person.client,
            "company": {"id": 1033447817 if not person.client else 1033447818,
                        "name": "pm-bridge sandbox agency" if not person.client else "pm-bridge sandbox client"},
        }

    def avatar_url(self, person: Person) -> str:
        return f"{self.api}/people/{sgid('Avatar', person.id)[:24]}/avatar"

    def rich(self, stored: str) -> str:
        """Stored rich text as Basecamp answers it: mentions expanded from the person their sgid names."""
        if "<bc-attachment" not in stored:
            return stored
        people = {sgid("Person", p.id): p for p in self.store.people.values()}

        def expand(match: re.Match[str]) -> str:
            attrs = {k: html.unescape(v) for k, v in _ATTRIBUTE.findall(match.group(1))}
            person = people.get(attrs.get("sgid", ""))
            blob = self.store.blobs.get(attrs.get("sgid", ""))
            if blob is not None:
                return self.file(blob, attrs.get("caption"))
            if person is None:
                return match.group(0)
            avatar = html.escape(self.avatar_url(person), quote=True)
            first = person.name.split()[0] if person.name.split() else person.name
            return (f'<bc-attachment sgid="{html.escape(attrs["sgid"], quote=True)}" content-type="{MENTION_TYPE}">\n'
                    f'  <figure>\n'
                    f'    <img srcset="{avatar} 2x" src="{avatar}" class="avatar" width="20" height="20" '
                    f'alt="{html.escape(person.name, quote=True)}">\n'
                    f"    <figcaption>{html.escape(first, quote=False)}</figcaption>\n"
                    f"  </figure>\n"
                    f"</bc-attachment>")

        return _ATTACHMENT.sub(expand, stored)

    def file(self, blob: Blob, caption: str | None) -> str:
        """An inline file as the reference shows it expanded (an image gets a preview, any other file an icon)."""
        download = f"https://3.basecamp-static.com/{ACCOUNT_ID}/blobs/{blob.key}/download/{urllib.parse.quote(blob.filename)}"
        url = html.escape(download, quote=True)
        preview = url if blob.content_type.startswith("image/") else "https://3.basecamp-static.com/assets/icons/file.png"
        label = html.escape(caption or blob.filename, quote=False)
        kept = f' caption="{html.escape(caption, quote=True)}"' if caption else ""
        ctype = html.escape(blob.content_type, quote=True)
        return (f'<bc-attachment sgid="{html.escape(blob.sgid, quote=True)}" content-type="{ctype}" url="{url}"'
                f' href="{url}" filename="{html.escape(blob.filename, quote=True)}"{kept}>\n'
                f'  <figure>\n    <img srcset="{preview} 2x" src="{preview}">\n'
                f"    <figcaption>{label}</figcaption>\n  </figure>\n</bc-attachment>")

    def people(self, ids: list[int]) -> list[dict[str, Any]]:
        return [self.person(self.store.people[i]) for i in ids if i in self.store.people]

    def url(self, recording: Recording) -> str:
        return f"{self.api}/buckets/{recording.bucket}/{PATHS.get(recording.type, 'recordings')}/{recording.id}.json"

    def app_url(self, recording: Recording) -> str:
        return f"{self.app}/buckets/{recording.bucket}/{PATHS.get(recording.type, 'recordings')}/{recording.id}"

    def bucket(self, bucket: int) -> dict[str, Any]:
        project = self.store.projects[bucket]
        return {"id": project.id, "name": project.name, "type": "Project"}

    def parent(self, recording: Recording) -> dict[str, Any]:
        parent = self.store.recordings[recording.parent] if recording.parent is not None else None
        if parent is None:
            raise KeyError(recording.id)
        return {"id": parent.id, "title": parent.title, "type": parent.type, "url": self.url(parent),
                "app_url": self.app_url(parent)}

    def base(self, recording: Recording, *, commentable: bool = True, parent: bool = True) -> dict[str, Any]:
        """The keys every recording shares, in the examples' order."""
        out: dict[str, Any] = {
            "id": recording.id,
            "status": recording.status,
            "visible_to_clients": recording.visible_to_clients,
            "created_at": stamp(recording.created_at),
            "updated_at": stamp(recording.updated_at),
            "title": recording.title,
            "inherits_status": True,
            "type": recording.type,
            "url": self.url(recording),
            "app_url": self.app_url(recording),
            "bookmark_url": f"{self.api}/my/bookmarks/{sgid('Recording', recording.id)}.json",
        }
        if commentable:
            out["subscription_url"] = f"{self.api}/buckets/{recording.bucket}/recordings/{recording.id}/subscription.json"
            out["comments_count"] = self.store.comments_count(recording)
            out["comments_url"] = f"{self.api}/buckets/{recording.bucket}/recordings/{recording.id}/comments.json"
        if not isinstance(recording, Todoset | Vault):
            out["boosts_count"] = 0
            out["boosts_url"] = f"{self.api}/buckets/{recording.bucket}/recordings/{recording.id}/boosts.json"
        if recording.position is not None:
            out["position"] = recording.position
        if parent and recording.parent is not None:
            out["parent"] = self.parent(recording)
        out["bucket"] = self.bucket(recording.bucket)
        out["creator"] = self.person(self.store.people[recording.creator])
        return out

    # -- recordings ---------------------------------------------------------

    def todo(self, todo: Todo) -> dict[str, Any]:
        out = self.base(todo)
        out["description"] = self.rich(todo.description)
        out["description_attachments"] = []
        out["completed"] = todo.completed
        if todo.completed and todo.completed_at is not None and todo.completer is not None:
            out["completion"] = {"created_at": stamp(todo.completed_at),
                                 "creator": self.person(self.store.people[todo.completer])}
        out["content"] = todo.content
        out["starts_on"] = day(todo.starts_on)
        out["due_on"] = day(todo.due_on)
        out["assignees"] = self.people(todo.assignee_ids)
        out["completion_subscribers"] = self.people(todo.completion_subscriber_ids)
        out["completion_url"] = f"{self.api}/todos/{todo.id}/completion.json"
        return out

    def todolist(self, todolist: Todolist) -> dict[str, Any]:
        out = self.base(todolist)
        group = isinstance(self.store.recordings.get(todolist.parent or 0), Todolist)
        out["bubble_up_url"] = f"{self.api}/buckets/{todolist.bucket}/recordings/{todolist.id}/bubble_up.json"
        out["description"] = self.rich(todolist.description)
        out["description_attachments"] = []
        ratio = self.store.completed_ratio(todolist)
        done, total = ratio.split("/")
        out["completed"] = total != "0" and done == total
        out["completed_ratio"] = ratio
        out["name"] = todolist.name
        out["color"] = todolist.color
        base = f"{self.api}/buckets/{todolist.bucket}/todolists"
        if group:
            out["group_position_url"] = f"{base}/groups/{todolist.id}/position.json"
        else:
            out["groups_url"] = f"{base}/{todolist.id}/groups.json"
        out["todos_url"] = f"{base}/{todolist.id}/todos.json"
        out["app_todos_url"] = f"{self.app}/buckets/{todolist.bucket}/todolists/{todolist.id}/todos"
        out["comments_app_url"] = f"{self.app}/buckets/{todolist.bucket}/recordings/{todolist.id}/comments"
        return out

    def todoset(self, todoset: Todoset) -> dict[str, Any]:
        out = self.base(todoset, commentable=False, parent=False)
        lists = [r for r in self.store.children(todoset.id, Todolist) if r.status == "active"]
        ratios = [self.store.completed_ratio(t) for t in lists if isinstance(t, Todolist)]
        done = sum(int(r.split("/")[0]) for r in ratios)
        total = sum(int(r.split("/")[1]) for r in ratios)
        out["completed"] = total > 0 and done == total
        out["completed_ratio"] = f"{done}/{total}"
        out["name"] = todoset.name
        out["todolists_count"] = len(lists)
        out["todolists"] = [
            {"id": t.id, "title": t.title, "description": self.rich(t.description) or None,
             "completed": r.split("/")[0] == r.split("/")[1] and r != "0/0", "completed_ratio": r,
             "url": self.url(t), "app_url": self.app_url(t)}
            for t, r in zip(lists, ratios, strict=True) if isinstance(t, Todolist)
        ]
        out["todolists_url"] = f"{self.api}/buckets/{todoset.bucket}/todosets/{todoset.id}/todolists.json"
        out["app_todoslists_url"] = f"{self.app}/buckets/{todoset.bucket}/todosets/{todoset.id}/todolists"
        return out

    def comment(self, comment: Comment) -> dict[str, Any]:
        out = self.base(comment, commentable=False)
        out["content"] = self.rich(comment.content)
        out["content_attachments"] = []
        return out

    def vault(self, vault: Vault) -> dict[str, Any]:
        out = self.base(vault, commentable=False)
        out["documents_count"] = 0
        out["documents_url"] = f"{self.api}/vaults/{vault.id}/documents.json"
        out["uploads_count"] = sum(1 for u in self.store.children(vault.id, Upload) if u.status == "active")
        out["uploads_url"] = f"{self.api}/vaults/{vault.id}/uploads.json"
        out["vaults_count"] = 0
        out["vaults_url"] = f"{self.api}/vaults/{vault.id}/vaults.json"
        return out

    def upload(self, upload: Upload) -> dict[str, Any]:
        out = self.base(upload)
        download = f"{self.api}/buckets/{upload.bucket}/uploads/{upload.id}/download/{upload.filename}"
        out.update({"description": self.rich(upload.description), "description_attachments": [],
                    "content_type": upload.content_type, "byte_size": upload.byte_size, "filename": upload.filename,
                    "download_url": download, "app_download_url": download, "width": None, "height": None})
        return out

    def recording(self, recording: Recording) -> dict[str, Any]:
        """The full type-specific partial, as ``GET /projects/recordings.json`` renders each item."""
        if isinstance(recording, Todo):
            return self.todo(recording)
        if isinstance(recording, Todolist):
            return self.todolist(recording)
        if isinstance(recording, Comment):
            return self.comment(recording)
        if isinstance(recording, Upload):
            return self.upload(recording)
        if isinstance(recording, Vault):
            return self.vault(recording)
        return self.base(recording)

    # -- projects and webhooks -----------------------------------------------

    def project(self, project: Project) -> dict[str, Any]:
        base = f"{self.api}/buckets/{project.id}"
        tools = [
            (project.message_board, "Message Board", "message_board", "message_boards", True, 1),
            (project.todoset, "To-dos", "todoset", "todosets", True, 2),
            (project.vault, "Docs & Files", "vault", "vaults", True, 3),
            (project.schedule, "Schedule", "schedule", "schedules", False, None),
        ]
        return {
            "id": project.id,
            "status": project.status,
            "created_at": stamp(project.created_at),
            "updated_at": stamp(project.updated_at),
            "name": project.name,
            "description": project.description,
            "purpose": "topic",
            "clients_enabled": False,
            "timesheet_enabled": False,
            "color": None,
            "last_needle_color": None,
            "last_needle_position": None,
            "previous_needle_position": None,
            "bookmark_url": f"{self.api}/my/bookmarks/{sgid('Bucket', project.id)}.json",
            "url": f"{self.api}/projects/{project.id}.json",
            "app_url": f"{self.app}/projects/{project.id}",
            "dock": [
                {"id": ident, "title": title, "name": name, "enabled": enabled, "position": position,
                 "url": f"{base}/{path}/{ident}.json", "app_url": f"{self.app}/buckets/{project.id}/{path}/{ident}"}
                for ident, title, name, path, enabled, position in tools
            ],
            "bookmarked": False,
        }

    def webhook(self, webhook: Webhook, *, deliveries: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": webhook.id,
            "active": webhook.active,
            "created_at": stamp(webhook.created_at),
            "updated_at": stamp(webhook.updated_at),
            "payload_url": webhook.payload_url,
            "types": list(webhook.types),
            "url": f"{self.api}/buckets/{webhook.bucket}/webhooks/{webhook.id}.json",
            "app_url": f"{self.app}/buckets/{webhook.bucket}/webhooks/{webhook.id}",
        }
        if deliveries:
            out["recent_deliveries"] = list(reversed(webhook.deliveries[-25:]))
        return out
