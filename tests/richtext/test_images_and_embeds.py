"""Images keep their URL where a format has images; embedded objects survive a round trip through their own tool."""

from __future__ import annotations

import base64

import pytest

from bridge import richtext
from bridge.richtext.audience import Audience, localize, same_text

BADGE = "[![Build Status](https://travis-ci.org/acme/site.png?branch=main)](http://travis-ci.org/acme/site)"
SHOT = "![shot](https://files.example/shot.png)"
BLOB = "https://3.basecamp-static.com/195539477/blobs/ab12/download/Brief.pdf"
FILE = ('<bc-attachment sgid="BAh7CEkiCGdpZAY6BkVUSSIr" content-type="application/pdf" '
        'url="https://3.basecamp-static.com/195539477/blobs/ab12/download/Brief.pdf" '
        'href="https://3.basecamp-static.com/195539477/blobs/ab12/download/Brief.pdf" filename="Brief.pdf">\n'
        '  <figure>\n    <img src="https://3.basecamp-static.com/icons/pdf.png">\n'
        '    <figcaption>Brief.pdf</figcaption>\n  </figure>\n</bc-attachment>')  # fmt: skip
VICTOR = ('<bc-attachment sgid="BAhVictor" content-type="application/vnd.basecamp.mention">\n  <figure>\n'
          '    <img srcset="https://a.example/v 2x" src="https://a.example/v" class="avatar">\n'
          "    <figcaption>Victor</figcaption>\n  </figure>\n</bc-attachment>")  # fmt: skip
TASK_LINK = ('<a href="https://app.asana.com/0/5678/1234" data-asana-accessible="true" data-asana-dynamic="true" '
             'data-asana-type="task" data-asana-gid="1234" data-asana-project="5678">Buy milk</a>')  # fmt: skip


@pytest.mark.parametrize("tool", ["github", "trello"])
@pytest.mark.parametrize("text", [BADGE, SHOT, f"See {SHOT} and the badge {BADGE}."])
def test_markdown_tools_keep_images(tool: str, text: str) -> None:
    assert richtext.read(tool, text) == text  # type: ignore[arg-type]
    assert richtext.write(tool, text) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tool", "badge", "shot"),
    [
        ("asana", '<body><a href="http://travis-ci.org/acme/site">Build Status</a></body>',
         '<body><a href="https://files.example/shot.png">shot</a></body>'),
        ("basecamp", '<div><a href="http://travis-ci.org/acme/site">Build Status</a></div>',
         '<div><a href="https://files.example/shot.png">shot</a></div>'),
    ],
)  # fmt: skip
def test_html_tools_show_an_image_as_a_link_named_by_its_alt_text(tool: str, badge: str, shot: str) -> None:
    assert richtext.write(tool, BADGE) == badge  # type: ignore[arg-type]
    assert richtext.write(tool, SHOT) == shot  # type: ignore[arg-type]


def test_an_img_tag_reads_as_an_image() -> None:
    rich = '<body>before <img src="https://files.example/a.png" alt="the plan" title="v2"> after</body>'
    assert richtext.read("asana", rich) == 'before ![the plan](https://files.example/a.png "v2") after'


def test_a_basecamp_file_and_mention_are_written_back_byte_for_byte() -> None:
    rich = f"<div>Brief: {FILE} from {VICTOR}, thanks</div>"
    markdown = richtext.read("basecamp", rich)
    written = richtext.write("basecamp", markdown)
    assert FILE in written and VICTOR in written
    assert richtext.read("basecamp", written) == markdown
    # Every other tool shows the file as a link and the mention as the name Basecamp showed.
    github = richtext.write("github", markdown)
    assert github == f"Brief: [Brief.pdf]({BLOB}) from @Victor, thanks"
    assert "bc-attachment" not in richtext.write("asana", markdown)


def test_an_asana_object_link_is_written_back_to_asana_as_it_came() -> None:
    rich = f"<body>Before this, {TASK_LINK}.</body>"
    markdown = richtext.read("asana", rich)
    assert richtext.write("asana", markdown) == rich
    assert richtext.write("trello", markdown) == "Before this, [Buy milk](https://app.asana.com/0/5678/1234)."
    expected = '<div>Before this, <a href="https://app.asana.com/0/5678/1234">Buy milk</a>.</div>'
    assert richtext.write("basecamp", markdown) == expected


def test_embed_syntax_typed_in_a_markdown_tool_is_only_a_link() -> None:
    payload = base64.urlsafe_b64encode(b'<bc-attachment sgid="stolen"></bc-attachment><script>x</script>').decode()
    typed = f'[click](https://evil.example "embed:basecamp:{payload}")'
    for tool in ("github", "trello"):
        markdown = richtext.read(tool, typed)  # type: ignore[arg-type]
        written = richtext.write("basecamp", markdown)
        assert "bc-attachment" not in written and "script" not in written
        assert written == '<div><a href="https://evil.example">click</a></div>'


def test_crossing_a_link_an_embed_becomes_its_plain_form_and_compares_equal_to_it() -> None:
    markdown = richtext.read("basecamp", f"<div>Brief: {FILE}</div>")
    plain = f"Brief: [Brief.pdf]({BLOB})"
    assert localize(markdown, Audience()) == plain
    assert same_text(markdown, plain)
    assert not same_text(markdown, "Brief: [Brief.pdf](https://elsewhere.example/)")
