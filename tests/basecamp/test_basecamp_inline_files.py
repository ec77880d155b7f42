"""A client's comment holding text and inline files reads as its text plus each file as a file (docs/files.md)."""

from __future__ import annotations

from typing import Any

from bridge.core.model import Attachment, Comment
from connectors.basecamp import translate

ON_TODO = {"id": 7, "type": "Todo"}
MENTION = ('<bc-attachment sgid="BAh-person" content-type="application/vnd.basecamp.mention">'
           "<figure><figcaption>Anna</figcaption></figure></bc-attachment>")


def inline(sgid: str, name: str, size: int | None = None) -> str:
    url = f"https://3.basecamp-static.com/1/blobs/{sgid}/download/{name}"
    sized = f' filesize="{size}"' if size is not None else ""
    return (f'<bc-attachment sgid="{sgid}" content-type="application/pdf" url="{url}" href="{url}" filename="{name}"{sized}>'
            f'<figure><img src="x"><figcaption>{name}</figcaption></figure></bc-attachment>')


def raw(content: str, id: int = 42) -> dict[str, Any]:
    return {"id": id, "content": content, "parent": ON_TODO, "created_at": "2026-12-01T10:00:00.000Z",
            "updated_at": "2026-12-01T10:00:00.000Z", "creator": {"id": 3, "name": "Carla Client"}}


def test_text_with_files_reads_as_the_text_and_each_file() -> None:
    items = translate.comment_items(raw(f"<div>Please use these two</div>{inline('s1', 'Brief.pdf', 120)}"
                                        f"<div>{inline('s2', 'Logo.png')}</div>"))
    [text] = [i for i in items if isinstance(i, Comment)]
    files = [i for i in items if isinstance(i, Attachment)]
    assert text.id == "42" and text.text.strip() == "Please use these two"
    assert "bc-attachment" not in text.text and "Brief" not in text.text
    assert [(f.id, f.name, f.hosted, f.size, f.task_id) for f in files] == [
        ("42/s1", "Brief.pdf", True, 120, "7"), ("42/s2", "Logo.png", True, None, "7")]
    assert {translate.recording_of(i.id) for i in items} == {"42"}


def test_ids_stay_when_the_text_is_edited_and_mentions_stay_text() -> None:
    before = {i.id for i in translate.comment_items(raw(f"<div>v1</div>{inline('s1', 'Brief.pdf')}"))}
    after = translate.comment_items(raw(f"<div>v2 for {MENTION}</div>{inline('s1', 'Brief.pdf')}"))
    assert {i.id for i in after} == before == {"42", "42/s1"}
    [text] = [i for i in after if isinstance(i, Comment)]
    assert "v2 for" in text.text and "Anna" in text.text  # a mention is not a file


def test_one_file_alone_and_plain_comments_read_as_before() -> None:
    [alone] = translate.comment_items(raw(inline("s1", "Brief.pdf")))
    assert isinstance(alone, Attachment) and alone.id == "42" and alone.hosted
    [plain] = translate.comment_items(raw(f"<div>Thanks {MENTION}</div>"))
    assert isinstance(plain, Comment) and plain.id == "42"
    several = translate.comment_items(raw(inline("s1", "A.pdf") + inline("s2", "B.pdf")))
    assert [(type(i).__name__, i.id) for i in several] == [("Attachment", "42/s1"), ("Attachment", "42/s2")]
