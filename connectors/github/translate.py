"""GitHub JSON <-> canonical model. Pure functions, no I/O.

Everything here accepts the shapes the official description allows: labels
as objects or bare names, ``user``/``assignees``/``milestone`` null, ``body``
null, ``state_reason`` absent (pre-2022 payloads). A payload that lacks a field
the description marks required raises :class:`Malformed`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from bridge import richtext
from bridge.core.model import Attachment, Comment, Person, Section, Task
from bridge.errors import Malformed
from bridge.richtext.mentions import NOBODY
from connectors.github.field_labels import split_labels
from connectors.github.mapping import GithubMapping
from connectors.github.tasklist import Subtask, split_body

SUBTASK_SEP = "#"


def parse_time(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Malformed(f"github: expected a timestamp, got {type(value).__name__}")
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Malformed(f"github: {value!r} is not an ISO-8601 timestamp") from None


def format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _field(obj: Mapping[str, Any], key: str, what: str) -> Any:
    if not isinstance(obj, Mapping):
        raise Malformed(f"github: {what} is not a JSON object")
    if key not in obj:
        raise Malformed(f"github: {what} lacks the documented field {key!r}")
    return obj[key]


def person(user: Mapping[str, Any]) -> Person:
    """A ``simple-user`` carries a login only; a ``public-user`` adds ``name`` and the public ``email``, both nullable."""
    login = str(_field(user, "login", "user"))
    name, email = user.get("name"), user.get("email")
    name = name.strip() if isinstance(name, str) else ""
    email = email.strip() if isinstance(email, str) else ""
    return Person(id=login, name=name or login, email=email or None, username=login)


def mentions(people: Iterable[Person]) -> richtext.People:
    """The people ``@login`` mentions can name: a GitHub mention's handle is the login (``Person.username``)."""
    return richtext.People.of("github", people)


def is_pull_request(issue: Mapping[str, Any]) -> bool:
    return isinstance(issue, Mapping) and issue.get("pull_request") is not None


def issue_number(issue: Mapping[str, Any]) -> int:
    number = _field(issue, "number", "issue")
    if not isinstance(number, int):
        raise Malformed("github: issue number is not an integer")
    return number


def is_archived(issue: Mapping[str, Any], mapping: GithubMapping) -> bool:
    return _field(issue, "state", "issue") == "closed" and issue.get("state_reason") in mapping.archived_reasons


def label_objects(issue: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Labels as ``{"id"?, "name"}`` objects; the description allows bare names too."""
    labels = _field(issue, "labels", "issue")
    if not isinstance(labels, list):
        raise Malformed("github: issue labels is not a list")
    out: list[dict[str, Any]] = []
    for label in labels:
        if isinstance(label, str):
            out.append({"name": label})
        elif isinstance(label, Mapping) and isinstance(label.get("name"), str):
            out.append(dict(label))
        else:
            raise Malformed("github: an issue label is neither a name nor a label object")
    return out


def assignee_logins(issue: Mapping[str, Any]) -> list[str]:
    assignees = issue.get("assignees")
    if assignees is None:
        single = issue.get("assignee")
        assignees = [single] if single else []
    if not isinstance(assignees, list):
        raise Malformed("github: issue assignees is not a list")
    return [str(_field(a, "login", "assignee")) for a in assignees]


class SectionView:
    """Which of an issue's labels (or its milestone) is its section."""

    def __init__(self, mapping: GithubMapping, sections: Mapping[str, Section] | None = None) -> None:
        self.mapping = mapping
        self.sections: dict[str, Section] = dict(sections or {})

    @property
    def by_label(self) -> bool:
        return self.mapping.sections_as == "label"

    def is_section_label(self, name: str) -> bool:
        prefix = self.mapping.section_prefix.casefold()
        return self.by_label and name.casefold().startswith(prefix) and len(name) > len(prefix)

    def section_name(self, label_name: str) -> str:
        return label_name[len(self.mapping.section_prefix) :]

    def label_name(self, section: Section) -> str:
        return self.mapping.section_prefix + section.name

    def section_of(self, issue: Mapping[str, Any]) -> str | None:
        if not self.by_label:
            milestone = issue.get("milestone")
            if isinstance(milestone, Mapping) and milestone.get("state", "open") == "open":
                return str(_field(milestone, "number", "milestone"))
            return None
        names = {s.name.casefold(): sid for sid, s in self.sections.items()}
        found: list[tuple[float, str]] = []
        for label in label_objects(issue):
            if not self.is_section_label(label["name"]):
                continue
            sid = str(label["id"]) if "id" in label else names.get(self.section_name(label["name"]).casefold())
            if sid is not None:
                section = self.sections.get(sid)
                found.append((section.position if section else float("inf"), sid))
        # Two section labels on one issue: the earlier section wins, deterministically.
        return min(found)[1] if found else None

    def other_labels(self, issue: Mapping[str, Any]) -> list[str]:
        return [label["name"] for label in label_objects(issue) if not self.is_section_label(label["name"])]

    def stale(self, issue: Mapping[str, Any]) -> bool:
        """True when an issue mentions a section this view does not know as it is now."""
        if not self.by_label:
            milestone = issue.get("milestone")
            if not isinstance(milestone, Mapping):
                return False
            known = self.sections.get(str(milestone.get("number")))
            is_open = milestone.get("state", "open") == "open"
            return (known is None) == is_open or (known is not None and known.name != milestone.get("title"))
        for label in label_objects(issue):
            if self.is_section_label(label["name"]) and "id" in label:
                known = self.sections.get(str(label["id"]))
                if known is None or self.label_name(known) != label["name"]:
                    return True
        return False


def label_sections(labels: Iterable[Mapping[str, Any]], view: SectionView) -> dict[str, Section]:
    out: dict[str, Section] = {}
    for label in labels:
        name = _field(label, "name", "label")
        if view.is_section_label(name):
            sid = str(_field(label, "id", "label"))
            out[sid] = Section(id=sid, name=view.section_name(name), position=float(len(out)))
    return out


def milestone_sections(milestones: Iterable[Mapping[str, Any]]) -> dict[str, Section]:
    out: dict[str, Section] = {}
    for milestone in milestones:
        if milestone.get("state", "open") != "open":
            continue
        number = str(_field(milestone, "number", "milestone"))
        out[number] = Section(id=number, name=str(_field(milestone, "title", "milestone")), position=float(len(out)))
    return out


def subtask_id(number: int | str, key: str) -> str:
    return f"{number}{SUBTASK_SEP}{key}"


def split_subtask_id(task_id: str) -> tuple[int, str] | None:
    """``"12#a1b2"`` -> ``(12, "a1b2")``; ``None`` for an issue's own id."""
    if SUBTASK_SEP not in task_id:
        return None
    number, key = task_id.split(SUBTASK_SEP, 1)
    try:
        return int(number), key
    except ValueError:
        raise Malformed(f"github: {task_id!r} is not a subtask id") from None


def subtask_task(number: int, index: int, subtask: Subtask, modified_at: dt.datetime | None) -> Task:
    digest = hashlib.sha1(f"{subtask.done}|{subtask.title}".encode()).hexdigest()[:12]
    return Task(
        id=subtask_id(number, subtask.key),
        title=subtask.title,
        done=subtask.done,
        parent_id=str(number),
        position=float(index),
        modified_at=modified_at,
        version=digest,
    )


def issue_tasks(issue: Mapping[str, Any], view: SectionView, people: richtext.People = NOBODY) -> list[Task]:
    """The task for one issue, followed by its subtasks (from the body's task list); ``people`` for ``@login`` mentions."""
    number = issue_number(issue)
    title = _field(issue, "title", "issue")
    state = _field(issue, "state", "issue")
    if not isinstance(title, str) or state not in ("open", "closed"):
        raise Malformed(f"github: issue {number} has an undocumented title or state")
    body = split_body(issue.get("body"), view.mapping.subtask_heading)
    modified_at = parse_time(_field(issue, "updated_at", "issue"))
    labels, custom = split_labels(view.other_labels(issue))
    task = Task(
        id=str(number),
        title=title,
        notes=richtext.read("github", body.notes, people),
        done=state == "closed",
        section_id=view.section_of(issue),
        assignees=assignee_logins(issue),
        labels=labels,
        custom_fields=custom,  # "Name: value" labels (connectors/github/field_labels.py)
        position=float(number),
        created_at=parse_time(_field(issue, "created_at", "issue")),
        modified_at=modified_at,
        url=html_url if isinstance(html_url := issue.get("html_url"), str) and html_url else None,
        version=str(issue["updated_at"]),
    )
    return [task] + [subtask_task(number, i, s, modified_at) for i, s in enumerate(body.subtasks)]


def archived_task(issue: Mapping[str, Any], view: SectionView, people: richtext.People = NOBODY) -> Task:
    """An issue closed as not planned or duplicate, as ``Snapshot.archived`` holds it (no subtasks).

    Not done: GitHub keeps one close reason, and "not planned" replaced any "completed" the
    issue had, so whether the work is done is the internal task's to say when it is restored.
    """
    return issue_tasks(issue, view, people)[0].model_copy(update={"done": False})


def comment_issue_number(comment: Mapping[str, Any]) -> int:
    url = _field(comment, "issue_url", "comment")
    try:
        return int(str(url).rstrip("/").rsplit("/", 1)[1])
    except (IndexError, ValueError):
        raise Malformed(f"github: comment issue_url {url!r} does not name an issue") from None


def comment_login(payload: Mapping[str, Any]) -> str | None:
    user = payload.get("user")
    return str(_field(user, "login", "comment user")) if isinstance(user, Mapping) else None


# A link attachment is a comment of its own (issues take no attachments through the REST API):
# a paperclip link, then an HTML comment GitHub does not render, which tells it apart from a
# person's comment that merely looks the same (docs/files.md).
LINK_MARK = "\N{PAPERCLIP}"
LINK_TAG = "<!-- pm-bridge:link -->"
_LINK = re.compile(r"^" + LINK_MARK + r" \[(.*)\]\(<([^<>\s]+)>\)\n\n" + re.escape(LINK_TAG) + r"$", re.S)


def link_body(name: str, url: str) -> str:
    label = re.sub(r"([\\\[\]])", r"\\\1", name.replace("\n", " "))
    return f"{LINK_MARK} [{label}](<{url}>)\n\n{LINK_TAG}"


def link_attachment(payload: Mapping[str, Any]) -> Attachment | None:
    """The link attachment a comment holds, when it is one this connector wrote (else None)."""
    body = payload.get("body")
    found = _LINK.match(body) if isinstance(body, str) else None
    if found is None:
        return None
    name = re.sub(r"\\([\\\[\]])", r"\1", found.group(1))
    return Attachment(
        id=str(_field(payload, "id", "comment")),
        task_id=str(comment_issue_number(payload)),
        name=name,
        url=found.group(2),
        created_at=parse_time(_field(payload, "created_at", "comment")),
        version=str(_field(payload, "updated_at", "comment")),
    )


def comment(payload: Mapping[str, Any], people: richtext.People = NOBODY, authors: Mapping[str, Person] | None = None) -> Comment:
    """One comment; ``people`` for its ``@login`` mentions, ``authors`` the resolved people by login."""
    user = payload.get("user")
    body = payload.get("body")
    author = None
    if isinstance(user, Mapping):
        author = (authors or {}).get(str(_field(user, "login", "comment user"))) or person(user)
    return Comment(
        id=str(_field(payload, "id", "comment")),
        task_id=str(comment_issue_number(payload)),
        text=richtext.read("github", body or "", people),
        author=author,
        created_at=parse_time(_field(payload, "created_at", "comment")),
        version=str(_field(payload, "updated_at", "comment")),
    )


def people(users: Iterable[Mapping[str, Any]]) -> Iterator[Person]:
    for user in users:
        yield person(user)
