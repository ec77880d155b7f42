"""Each tool's format: reference examples read without loss, mentions, normalisation, the Asana emulator's twins."""

from __future__ import annotations

import json

import pytest

from bridge import richtext
from bridge.richtext import People
from bridge.richtext.ast import Embed, plain_embed
from bridge.richtext.mentions import Member, map_inlines
from connectors.asana.emulator.model import User
from connectors.asana.emulator.richtext import NOTES_TAGS, STORY_TAGS, plain_text, rich_of
from connectors.emulation import HttpError
from tests.spec.reference import ROOT

from .strategies import PEOPLE


def _plain(markdown: str) -> str:
    """Canonical Markdown with embedded objects as every other tool shows them."""
    doc = map_inlines(richtext.parse_markdown(markdown), lambda n: [plain_embed(n)] if isinstance(n, Embed) else [n])
    return richtext.render_markdown(doc)


ASANA_EXAMPLES = ROOT / "asana" / "examples"


def _asana_rich_fields() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for path in sorted(ASANA_EXAMPLES.glob("*.json")):
        try:
            data = json.loads(path.read_text())["data"]
        except (ValueError, KeyError, TypeError):
            continue
        for item in data if isinstance(data, list) else [data]:
            for rich, plain in (("html_notes", "notes"), ("html_text", "text")):
                if isinstance(item, dict) and isinstance(item.get(rich), str):
                    found.append((item[rich], item[plain]))
    return found


def test_asana_reference_examples_read_without_loss() -> None:
    examples = _asana_rich_fields()
    assert len(examples) >= 5
    for rich, plain in examples:
        markdown = richtext.read("asana", rich)
        assert markdown.replace("*", "") == plain, "every character of the text is kept"
        assert richtext.write("asana", markdown) == rich, "and writes back as the same html_notes"


def test_the_asana_rich_text_guide_example_reads_mentions_and_links() -> None:
    rich = ('<body>All these new tasks are <em>really</em> getting disorganized, so '
            '<a href="https://app.asana.com/0/4168466/list" data-asana-accessible="true" data-asana-dynamic="true" '
            'data-asana-type="user" data-asana-gid="4168112">@Tim Bizzaro</a> just made the new '
            '<a href="https://app.asana.com/0/5732985/list" data-asana-type="project" data-asana-gid="5732985">'
            "Work Requests</a> project.</body>")  # fmt: skip
    tim = People("asana", [Member("tim@example.com", "Tim Bizzaro", "4168112")])
    markdown = richtext.read("asana", rich, tim)
    assert _plain(markdown) == (
        "All these new tasks are *really* getting disorganized, so @[Tim Bizzaro](person:tim@example.com) just made the new "
        "[Work Requests](https://app.asana.com/0/5732985/list) project."
    )
    # The project link is an Asana object: Asana gets it back exactly as it came.
    project = ('<a href="https://app.asana.com/0/5732985/list" data-asana-type="project" data-asana-gid="5732985">'
               "Work Requests</a>")  # fmt: skip
    assert project in richtext.write("asana", markdown, tim)
    # Without knowing Tim, the mention is his name as Asana showed it.
    assert "so @Tim Bizzaro just" in _plain(richtext.read("asana", rich))


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ("asana", '<body>Ping <a data-asana-gid="1002"/> and Zed</body>'),
        ("asana_story", '<body>Ping <a data-asana-gid="1002"/> and Zed</body>'),
        ("basecamp", '<div>Ping <bc-attachment sgid="BAhCarla"></bc-attachment> and Zed</div>'),
        ("github", "Ping @carla-c and Zed"),
        ("trello", "Ping @carlaclient and Zed"),
    ],
)
def test_mentions_become_the_tools_mention_or_the_plain_name(tool: str, expected: str) -> None:
    canonical = "Ping @[Carla Client](person:carla@client.example) and @[Zed](person:zed@nowhere.example)"
    assert richtext.write(tool, canonical, PEOPLE[tool]) == expected  # type: ignore[arg-type]
    closing = "</body>" if "asana" in tool else "</div>" if tool == "basecamp" else ""
    assert richtext.write(tool, canonical).endswith("Carla Client and Zed" + closing)  # type: ignore[arg-type]


def test_github_handles_of_unknown_people_stay_text() -> None:
    assert richtext.read("github", "cc @carla-c and @stranger", PEOPLE["github"]) == (
        "cc @[Carla Client](person:carla@client.example) and @stranger"
    )
    assert richtext.read("github", "mail carla-c@x.example", PEOPLE["github"]) == "mail carla-c@x.example"


def test_person_key_is_the_email_or_a_tool_scoped_id() -> None:
    from bridge.core.model import Person

    tom, ann = Person(id="5f1", name="Tom", username="tom"), Person(id="5f2", name="Ann", email="a@x.example")
    people = People.of("trello", [tom, ann])
    assert richtext.read("trello", "@tom and @ann", people) == "@[Tom](person:trello:5f1) and @ann"
    assert richtext.write("trello", "@[Tom](person:trello:5f1)", people) == "@tom"
    assert richtext.write("github", "@[Tom](person:trello:5f1)", PEOPLE["github"]) == "Tom"


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("_em_ and __strong__", "*em* and **strong**"),
        ("* one\n* two", "- one\n- two"),
        ("Title\n=====", "# Title"),
        ("3. three\n4. four", "1. three\n2. four"),
        ("    indented code", "```\nindented code\n```"),
        ("<b>bold</b> <del>old</del>", "**bold** ~~old~~"),
        ("line  \nbreak", "line\nbreak"),
        ("![logo](https://x.example/l.png  'Our logo')", '![logo](https://x.example/l.png "Our logo")'),
    ],
)
def test_markdown_tools_normalise_to_the_canonical_dialect(written: str, canonical: str) -> None:
    assert richtext.read("github", written) == canonical
    assert richtext.read("trello", canonical) == canonical


def test_basecamp_headings_have_one_level_and_asana_stories_none() -> None:
    assert richtext.write("basecamp", "## Plan") == "<h1>Plan</h1>"
    assert richtext.write("asana", "### Plan") == "<body><h2>Plan</h2></body>"
    assert richtext.write("asana_story", "# Plan") == "<body><strong>Plan</strong></body>"


def test_basecamp_inline_code_is_backticked_text() -> None:
    assert richtext.write("basecamp", "run `make test` now") == "<div>run `make test` now</div>"
    assert richtext.read("basecamp", "<div>run `make test` now</div>") == "run `make test` now"


# -- the Asana emulator keeps notes and html_notes twins -------------------------------------------

USERS = {"1002": User("1002", "Carla Client", "carla@client.example")}


def test_emulator_expands_a_mention_and_derives_plain_notes() -> None:
    rich = rich_of({"html_notes": '<body>Hi <a data-asana-gid="1002"/>, see <strong>this</strong></body>'},
                   "notes", "html_notes", USERS, NOTES_TAGS)  # fmt: skip
    assert rich == ('<body>Hi <a href="https://app.asana.com/0/1002/list" data-asana-accessible="true" '
                    'data-asana-dynamic="true" data-asana-type="user" data-asana-gid="1002">@Carla Client</a>, '
                    "see <strong>this</strong></body>")  # fmt: skip
    assert plain_text(rich) == "Hi @Carla Client, see this"
    assert richtext.read("asana", rich, PEOPLE["asana"]) == "Hi @[Carla Client](person:carla@client.example), see **this**"


def test_emulator_stores_plain_notes_as_escaped_rich_text() -> None:
    rich = rich_of({"notes": "a < b & *c*"}, "notes", "html_notes", USERS, NOTES_TAGS)
    assert rich == "<body>a &lt; b &amp; *c*</body>"
    assert plain_text(rich) == "a < b & *c*"


@pytest.mark.parametrize(
    ("data", "tags", "message"),
    [
        ({"html_notes": "<body>unclosed <em>x</body>"}, NOTES_TAGS, "XML is invalid"),
        ({"html_notes": "<p>x</p>"}, NOTES_TAGS, "root element"),
        ({"html_notes": "<body><div>x</div></body>"}, NOTES_TAGS, "Unsupported tag <div>"),
        ({"html_notes": '<body><em class="x">x</em></body>'}, NOTES_TAGS, "only allowed on <a>"),
        ({"html_notes": "<body><a>x</a></body>"}, NOTES_TAGS, "needs the gid"),
        ({"html_notes": "<body><h1>x</h1></body>"}, STORY_TAGS, "Unsupported tag <h1>"),
        ({"notes": "a", "html_notes": "<body>a</body>"}, NOTES_TAGS, "Only one of"),
    ],
)
def test_emulator_rejects_what_asana_rejects(data: dict[str, str], tags: frozenset[str], message: str) -> None:
    with pytest.raises(HttpError) as caught:
        rich_of(data, "notes", "html_notes", USERS, tags)
    assert caught.value.status == 400 and message in str(caught.value)
