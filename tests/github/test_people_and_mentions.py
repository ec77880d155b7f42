"""People's display names and public emails (GET /users/{username}), and @login mentions read and written with them."""

from __future__ import annotations

import json

import httpx
import pytest

from bridge.core.model import Person
from bridge.core.ports import NewTask, PullResult, PullState
from connectors.emulation.sandbox import USERS
from connectors.github import GithubConnector
from connectors.github.emulator.state import IssueComment
from tests.spec.reference import reference

from .conftest import World

ANNA = "@[Anna Agency](person:anna@agency.example)"
CARLA = "@[Carla Client](person:carla@client.example)"


def incremental(world: World, previous: PullResult, connector: GithubConnector | None = None) -> PullResult:
    return (connector or world.bridge).pull(world.project, PullState(cursor=previous.cursor, snapshot=previous.snapshot))


def lookups(world: World) -> list[tuple[str, int]]:
    return [(r.path, r.status) for r in world.emulator.requests if r.path.startswith("/users/")]


def comment_as(world: World, issue: int, login: str, body: str) -> int:
    """A comment a person wrote on GitHub (the emulator stores it as GitHub would)."""
    repo = world.emulator.repo(world.project)
    now = world.emulator.stamp()
    cid = int(world.emulator.new_id())
    repo.comments[cid] = IssueComment(cid, issue, body, login, now, now)
    repo.issues[issue].updated_at = now  # a new comment moves its issue's updated_at, as on GitHub
    return cid


def body_of_comment(world: World, comment_id: str) -> str:
    return world.emulator.repo(world.project).comments[int(comment_id)].body


def body_of_issue(world: World, number: str) -> str | None:
    return world.emulator.repo(world.project).issues[int(number)].body


# -- people ---------------------------------------------------------------------------------------


def test_display_name_and_public_email_come_from_users(world: World) -> None:
    task = world.human.create_task(world.project, NewTask(title="Logo", assignees=["carla"]))
    said = world.human.create_comment(world.project, task.id, "Draft attached")
    snapshot = world.bridge.pull(world.project).snapshot
    assert snapshot.people["anna"] == Person(id="anna", name="Anna Agency", email="anna@agency.example", username="anna")
    assert snapshot.people["carla"] == Person(id="carla", name="Carla Client", email="carla@client.example", username="carla")
    assert snapshot.comments[said.id].author == snapshot.people["anna"]
    assert snapshot.person_by_email("carla@client.example") == snapshot.people["carla"]  # what the bridge matches by


def test_a_user_without_a_name_or_public_email_is_their_login(world: World) -> None:
    world.emulator.add_user("dave")  # no display name, email kept private: GitHub answers null for both
    world.emulator.repo(world.project).collaborators.add("dave")
    snapshot = world.bridge.pull(world.project).snapshot
    assert snapshot.people["dave"] == Person(id="dave", name="dave", email=None, username="dave")


def test_a_deleted_user_keeps_the_login_as_name(world: World) -> None:
    task = world.human.create_task(world.project, NewTask(title="Old thread"))
    cid = comment_as(world, int(task.id), "gone-user", "I left the company")  # the account is gone: /users answers 404
    world.emulator.clear_requests()
    result = world.bridge.pull(world.project)
    assert ("/users/gone-user", 404) in lookups(world)
    assert result.snapshot.comments[str(cid)].author == Person(id="gone-user", name="gone-user", username="gone-user")
    world.emulator.clear_requests()
    incremental(world, result)
    assert lookups(world) == []  # not asked again: the snapshot knows the login


def test_no_change_cycle_still_costs_one_request_even_from_a_new_process(world: World) -> None:
    task = world.human.create_task(world.project, NewTask(title="Steady", assignees=["anna"]))
    world.human.create_comment(world.project, task.id, "Hello @carla")
    first = world.bridge.pull(world.project)
    fresh = world.sandbox.connector("bridge")  # a new process: empty directory, people only in the stored snapshot
    assert isinstance(fresh, GithubConnector)
    try:
        world.emulator.clear_requests()
        again = incremental(world, first, fresh)
        assert world.requests() == [("GET", f"/repos/{world.project}/issues", 304)]
        assert again.snapshot == first.snapshot
        # ... and the people it writes mentions with come from that snapshot, without a request.
        world.emulator.clear_requests()
        said = fresh.create_comment(world.project, task.id, f"Thanks {ANNA}")
        assert body_of_comment(world, said.id) == "Thanks @anna" and lookups(world) == []
    finally:
        fresh.close()


def test_incremental_pull_looks_up_only_new_logins(world: World) -> None:
    task = world.human.create_task(world.project, NewTask(title="Hire"))
    first = world.bridge.pull(world.project)
    world.emulator.add_user("erin", name="Erin Extern", email="erin@studio.example")
    world.emulator.repo(world.project).collaborators.add("erin")
    world.human.update_task(world.project, first.snapshot.tasks[task.id], {"assignees": ["erin", "anna"]})
    world.emulator.clear_requests()
    second = incremental(world, first)
    assert lookups(world) == [("/users/erin", 200)]
    assert second.snapshot.people["erin"] == Person(id="erin", name="Erin Extern", email="erin@studio.example", username="erin")
    other = world.human.create_task(world.project, NewTask(title="Onboard", assignees=["erin"]))
    comment_as(world, int(other.id), "erin", "On it")
    world.emulator.clear_requests()
    third = incremental(world, second)
    assert lookups(world) == []
    assert third.snapshot == world.bridge.pull(world.project).snapshot


def test_a_full_pull_looks_everyone_up_again_conditionally(world: World) -> None:
    world.bridge.pull(world.project)
    world.emulator.users["anna"].name = "Anna A. Agency"
    world.emulator.clear_requests()
    world.bridge.stats.reset()
    snapshot = world.bridge.pull(world.project).snapshot
    statuses = dict(lookups(world))
    assert statuses == {"/users/anna": 200, "/users/carla": 304, "/users/pmbridge": 304}  # 304s are free
    assert snapshot.people["anna"].name == "Anna A. Agency"


def test_the_users_route_answers_as_the_reference_says(world: World) -> None:
    headers = {"Authorization": f"Bearer {USERS['human'].token}", "Accept": "application/vnd.github+json"}
    with httpx.Client(base_url=world.emulator.base_url, transport=world.emulator.transport(), headers=headers) as http:
        found = http.get("/users/Anna")  # logins are case-insensitive
        missing = http.get("/users/nobody-here")
    assert found.status_code == 200 and missing.status_code == 404
    user = found.json()
    assert (user["login"], user["name"], user["email"]) == ("anna", "Anna Agency", "anna@agency.example")
    assert "plan" not in user and "private_gists" not in user  # the public profile only
    assert reference("github").problems(user, reference("github").schema("public-user")) == []


# -- mentions ---------------------------------------------------------------------------------------


def test_a_login_in_a_comment_reads_as_a_canonical_mention(world: World) -> None:
    task = world.human.create_task(world.project, NewTask(title="Review"))
    cid = comment_as(world, int(task.id), "carla", "@anna can you check? cc @stranger")
    first = world.bridge.pull(world.project)
    assert first.snapshot.comments[str(cid)].text == f"{ANNA} can you check? cc @stranger"
    later = comment_as(world, int(task.id), "anna", "Done, @carla")
    second = incremental(world, first)
    assert second.snapshot.comments[str(later)].text == f"Done, {CARLA}"


def test_an_issue_body_reads_mentions_of_assignees_and_comment_authors(world: World) -> None:
    world.emulator.add_user("erin", name="Erin Extern", email="erin@studio.example")  # not a collaborator
    task = world.human.create_task(world.project, NewTask(title="Copy", notes="Ask @erin and @carla"))
    comment_as(world, int(task.id), "erin", "Sure")
    world.emulator.clear_requests()
    snapshot = world.bridge.pull(world.project).snapshot
    assert snapshot.tasks[task.id].notes == f"Ask @[Erin Extern](person:erin@studio.example) and {CARLA}"
    assert "erin" not in snapshot.people  # a comment author, not someone an issue can be assigned to


def test_pull_request_people_are_not_looked_up(world: World) -> None:
    repo = world.emulator.repo(world.project)
    world.emulator.add_user("outsider", name="Out Sider")
    pr = world.emulator.add_issue(repo, "A pull request", "outsider", pull_request=True)
    comment_as(world, pr.number, "outsider", "Please merge")
    world.emulator.clear_requests()
    world.bridge.pull(world.project)
    assert "/users/outsider" not in dict(lookups(world))


def test_a_canonical_mention_is_written_as_the_login(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Plan"))
    world.bridge.pull(world.project)
    said = world.bridge.create_comment(world.project, task.id, f"Over to you, {ANNA}")
    assert json.loads(world.emulator.writes()[-1].body) == {"body": "Over to you, @anna"}
    assert said.text == f"Over to you, {ANNA}"
    assert said.author == Person(id="pmbridge", name="pm-bridge", email="bridge@agency.example", username="pmbridge")
    edited = world.bridge.update_comment(world.project, said, f"Over to {CARLA}")
    assert body_of_comment(world, said.id) == "Over to @carla" and edited.text == f"Over to {CARLA}"


def test_notes_write_mentions_and_keep_the_task_list(world: World) -> None:
    world.bridge.pull(world.project)
    task = world.bridge.create_task(world.project, NewTask(title="Launch", notes=f"Owner: {ANNA}"))
    assert body_of_issue(world, task.id) == "Owner: @anna" and task.notes == f"Owner: {ANNA}"
    world.bridge.create_task(world.project, NewTask(title="Check DNS", parent_id=task.id))
    task = world.bridge.update_task(world.project, task, {"notes": f"Owner: {CARLA}"})
    body = body_of_issue(world, task.id) or ""
    assert body.startswith("Owner: @carla\n") and "- [ ] Check DNS" in body
    assert task.notes == f"Owner: {CARLA}"


@pytest.mark.parametrize(
    "mention",
    ["@[Tim Bizzaro](person:tim@elsewhere.example)", "@[Tim Bizzaro](person:asana:1204)"],
    ids=["email-github-does-not-know", "other-tool-key"],
)
def test_a_mention_of_someone_github_does_not_know_is_the_plain_name(world: World, mention: str) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Intro"))
    world.bridge.pull(world.project)
    said = world.bridge.create_comment(world.project, task.id, f"Meet {mention}")
    assert body_of_comment(world, said.id) == "Meet Tim Bizzaro"


def test_before_any_pull_mentions_are_plain_names(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Cold start"))
    said = world.bridge.create_comment(world.project, task.id, f"Hi {ANNA}")
    assert body_of_comment(world, said.id) == "Hi Anna Agency"


def test_read_write_read_is_stable(world: World) -> None:
    world.emulator.add_user("dave")  # no public email: the key is github:dave
    world.emulator.repo(world.project).collaborators.add("dave")
    raw = "**@anna** and @dave: see `@anna` and mail a@anna.example, not @stranger"
    task = world.human.create_task(world.project, NewTask(title="Loop", notes=raw))
    cid = comment_as(world, int(task.id), "anna", raw)
    snapshot = world.bridge.pull(world.project).snapshot
    read = snapshot.comments[str(cid)].text
    assert read == f"**{ANNA}** and @[dave](person:github:dave): see `@anna` and mail a@anna.example, not @stranger"
    assert snapshot.tasks[task.id].notes == read
    said = world.bridge.create_comment(world.project, task.id, read)
    assert body_of_comment(world, said.id) == raw
    again = world.bridge.pull(world.project).snapshot
    assert again.comments[said.id].text == read == said.text
