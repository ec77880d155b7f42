"""Every official example and recorded exchange translates without losing a mapped field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bridge.core.model import Section
from bridge.errors import Malformed
from connectors.github import translate
from connectors.github.mapping import GithubMapping
from connectors.github.tasklist import split_body
from connectors.github.translate import SectionView
from tests.spec.reference import ROOT, reference

REFERENCE = ROOT / "github"


def errors(value: Any, schema: Any) -> list[str]:
    return reference("github").problems(value, schema)


def component(name: str) -> Any:
    return reference("github").schema(name)

MAPPING = GithubMapping()


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def _issues() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for name in ("issue.json", "issue-simple.json"):
        found.append((name, _load(REFERENCE / "examples" / "spec_2020" / name)))
    for item in _load(REFERENCE / "examples" / "spec_2020" / "issue-simple-items.json"):
        found.append(("issue-simple-items", item))
    for path in sorted((REFERENCE / "examples" / "recorded").glob("*.json")):
        exchange = _load(path)
        body = exchange["body"]
        if "/issues" in exchange["path"] and exchange["method"] in ("GET", "POST") and exchange["status"] < 300:
            for item in body if isinstance(body, list) else [body]:
                if isinstance(item, dict) and "number" in item:
                    found.append((path.name, item))
    for path in sorted((REFERENCE / "webhooks" / "payload-examples").glob("*.json")):
        issue = _load(path).get("issue")
        if isinstance(issue, dict) and issue.get("state") in ("open", "closed"):
            found.append((path.name, issue))
    return found


def _comments() -> list[tuple[str, dict[str, Any]]]:
    spec = REFERENCE / "examples" / "spec_2020"
    found = [("issue-comment.json", _load(spec / "issue-comment.json"))]
    found += [("issue-comment-items", c) for c in _load(spec / "issue-comment-items.json")]
    for path in sorted((REFERENCE / "webhooks" / "payload-examples").glob("issue_comment.*.json")):
        found.append((path.name, _load(path)["comment"]))
    return found


ISSUES = _issues()
COMMENTS = _comments()


def test_the_reference_has_what_these_tests_read() -> None:
    assert len(ISSUES) >= 25 and len(COMMENTS) >= 5
    assert any(translate.is_pull_request(issue) for _, issue in ISSUES)
    assert any(not translate.is_pull_request(issue) for _, issue in ISSUES)


@pytest.mark.parametrize(("source", "issue"), ISSUES, ids=[name for name, _ in ISSUES])
def test_issue_translates_every_mapped_field(source: str, issue: dict[str, Any]) -> None:
    view = SectionView(MAPPING)
    tasks = translate.issue_tasks(issue, view)
    task = tasks[0]
    assert task.id == str(issue["number"])
    assert task.title == issue["title"]
    body = split_body(issue.get("body"))
    assert task.notes == body.notes
    assert len(tasks) == 1 + len(body.subtasks)
    assert task.done == (issue["state"] == "closed")
    assert task.labels == [label["name"] if isinstance(label, dict) else label for label in issue["labels"]]
    assert task.assignees == [
        a["login"] for a in issue.get("assignees") or ([issue["assignee"]] if issue.get("assignee") else [])
    ]
    assert task.modified_at is not None and task.version == issue["updated_at"]
    assert task.due is None and task.start is None  # GitHub issues have neither
    assert task.url == issue["html_url"]
    assert all(sub.url is None for sub in tasks[1:])  # task-list lines have no page of their own


def test_section_label_becomes_section_and_leaves_labels() -> None:
    issue = dict(next(issue for _, issue in ISSUES if issue["labels"]))
    label = dict(issue["labels"][0], id=424242, name="status: Doing")
    issue["labels"] = [label, *issue["labels"]]
    view = SectionView(MAPPING, {"424242": Section(id="424242", name="Doing")})
    task = translate.issue_tasks(issue, view)[0]
    assert task.section_id == "424242"
    assert "status: Doing" not in task.labels
    assert not view.stale(issue)
    assert view.stale(dict(issue, labels=[dict(label, name="status: Renamed")]))


def test_bare_label_names_are_accepted() -> None:
    issue = dict(ISSUES[0][1], labels=["bug", "status: Done"])
    view = SectionView(MAPPING, {"7": Section(id="7", name="Done")})
    task = translate.issue_tasks(issue, view)[0]
    assert task.labels == ["bug"] and task.section_id == "7"


@pytest.mark.parametrize(("source", "payload"), COMMENTS, ids=[name for name, _ in COMMENTS])
def test_comment_translates(source: str, payload: dict[str, Any]) -> None:
    comment = translate.comment(payload)
    assert comment.id == str(payload["id"])
    assert comment.task_id == payload["issue_url"].rsplit("/", 1)[1]
    assert comment.text == payload["body"]
    assert comment.author is not None and comment.author.id == payload["user"]["login"]


def test_labels_and_milestones_translate() -> None:
    spec = REFERENCE / "examples" / "spec_2020"
    view = SectionView(MAPPING)
    recorded = _load(REFERENCE / "examples" / "recorded" / "labels.01.GET.200.json")["body"]
    renamed = [dict(label, name=f"status: {label['name']}") for label in [*recorded, *_load(spec / "label-items.json")]]
    sections = translate.label_sections(renamed + recorded, view)
    assert sorted(s.name for s in sections.values()) == sorted(label["name"][8:] for label in renamed)
    milestones = translate.milestone_sections([_load(spec / "milestone.json"), *_load(spec / "milestone-items.json")])
    assert {s.name for s in milestones.values()} == {"v1.0"}


def test_assignees_translate_to_people() -> None:
    users = _load(REFERENCE / "examples" / "spec_2020" / "simple-user-items.json")
    people = list(translate.people(users))
    assert [p.id for p in people] == [u["login"] for u in users]


@pytest.mark.parametrize("broken", [{"title": "x"}, {"number": "7", "title": "x", "state": "open", "labels": []}, []])
def test_undocumented_shapes_raise_malformed(broken: Any) -> None:
    with pytest.raises(Malformed):
        translate.issue_tasks(broken, SectionView(MAPPING))


def test_validator_rejects_what_breaks_the_schema() -> None:
    label = _load(REFERENCE / "examples" / "spec_2020" / "label.json")
    assert errors(label, component("label")) == []
    assert errors({**label, "color": 5}, component("label"))
    assert errors({k: v for k, v in label.items() if k != "name"}, component("label"))
    assert errors({**label, "description": None}, component("label")) == []
    assert errors({**label, "default": None}, component("label"))
