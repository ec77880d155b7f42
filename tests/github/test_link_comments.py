"""Links on GitHub: a comment of its own reads back as an attachment, and only the bridge's own does (docs/files.md)."""

from __future__ import annotations

from bridge.core.ports import NewTask, PullState
from connectors.github.translate import link_body
from tests.github.conftest import World


def test_a_link_comment_reads_back_as_the_attachment_it_wrote(world: World) -> None:
    issue = world.bridge.create_task(world.project, NewTask(title="Brochure"))
    link = world.bridge.create_attachment(world.project, issue.id, "Spec [v3] (final)", "https://files.example/a b.pdf")
    assert (link.name, link.url, link.task_id) == ("Spec [v3] (final)", "https://files.example/a%20b.pdf", issue.id)
    snapshot = world.bridge.pull(world.project).snapshot
    assert snapshot.attachments == {link.id: link} and snapshot.comments == {}


def test_a_person_typing_a_link_writes_a_comment(world: World) -> None:
    issue = world.bridge.create_task(world.project, NewTask(title="Brochure"))
    typed = link_body("Spec", "https://files.example/a.pdf").split("\n\n")[0]  # without the bridge's tag
    comment = world.human.create_comment(world.project, issue.id, typed)
    snapshot = world.bridge.pull(world.project).snapshot
    assert list(snapshot.comments) == [comment.id] and snapshot.attachments == {}


def test_an_incremental_pull_sees_a_link_come_and_go(world: World) -> None:
    issue = world.bridge.create_task(world.project, NewTask(title="Brochure"))
    first = world.bridge.pull(world.project)
    link = world.bridge.create_attachment(world.project, issue.id, "Spec", "https://files.example/a.pdf")
    world.clock.advance(5)
    second = world.bridge.pull(world.project, PullState(cursor=first.cursor, snapshot=first.snapshot))
    assert list(second.snapshot.attachments) == [link.id]
    world.bridge.remove_attachment(world.project, link)
    world.clock.advance(5)
    third = world.bridge.pull(world.project, PullState(cursor=second.cursor, snapshot=second.snapshot))
    assert third.snapshot.attachments == {}
