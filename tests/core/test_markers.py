"""Markers read on the document: tolerant where a marker hides, strict where it shares.

Every text here goes through the reader its tool's connector uses
(``richtext.read``), so the cut line is tested in the dialect each tool sends:
Asana ``html_notes``/``html_text``, Basecamp rich text, GitHub/Trello Markdown.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bridge import richtext
from bridge.config.load import load_config
from bridge.core.markers import EVERY_ITEM, marked, near_miss, shared_notes, split_notes, strip_exact
from bridge.core.mirror import MirrorView, cut_notes, mirror, strip_marker
from bridge.core.model import Person
from bridge.core.ports import Capabilities
from bridge.core.rules import FieldRules, LinkRules, MirrorRules, SectionRule
from bridge.errors import ConfigError
from tests.core.build import attachment, comment, internal, task

CUT = "---internal---"
FULL = Capabilities(
    tool="test", comments=True, attachments="link", task_fields=frozenset({"title", "notes", "done", "labels", "assignees"})
)
SECRET = "SECRET-below"


def rules(**mirror: object) -> LinkRules:
    return LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}, **mirror))


def view_of(notes: str = "", comments: tuple[str, ...] = (), files: tuple[str, ...] = (), **mirror: object) -> MirrorView:
    snap = internal("Design")
    task(snap, "t", "Homepage", "Design", notes=notes)
    for index, text in enumerate(comments):
        comment(snap, f"c{index}", "t", text)
    for index, name in enumerate(files):
        attachment(snap, f"a{index}", "t", name)
    return mirror_of(snap, **mirror)


def mirror_of(snap: object, **mirror_rules: object) -> MirrorView:
    return mirror(snap, {}, rules(**mirror_rules), FULL)  # type: ignore[arg-type]


# -- issue 9's leaked cut lines, each through its tool's real reader --------------------------


@pytest.mark.parametrize(
    ("tool", "raw"),
    [
        ("asana", f"<body>Hero image\n<em>---internal---</em>\n{SECRET}</body>"),
        ("asana", f"<body>Hero image\n<strong>---internal---</strong>\n{SECRET}</body>"),
        ("asana", f"<body>Hero image<ul><li>---internal---</li><li>{SECRET}</li></ul></body>"),
        ("asana", f"<body>Hero image\n---INTERNAL---\n{SECRET}</body>"),
        ("asana", f"<body>Hero image<h2>---internal---</h2>{SECRET}</body>"),
        ("basecamp", f"<div>Hero image</div><div><strong>---internal---</strong></div><div>{SECRET}</div>"),
        ("basecamp", f"<div>Hero image<br>&nbsp;---internal---&nbsp;<br>{SECRET}</div>"),
        ("basecamp", f"<div>Hero image</div><blockquote>---internal---<br>{SECRET}</blockquote>"),
        ("github", f"Hero image\r\n\r\n**---internal---**\r\n{SECRET}"),
        ("github", f"Hero image\n\n<div>---internal---</div>\n\n{SECRET}"),
        ("trello", f"Hero image\n`---internal---`\n{SECRET}"),
        ("trello", f"Hero image\n\n# ---Internal---\n\n{SECRET}"),
    ],
)
def test_a_formatted_cut_line_hides_what_is_below_it(tool: richtext.Tool, raw: str) -> None:
    notes = richtext.read(tool, raw)
    shown = view_of(notes).tasks["t"].fields["notes"]
    assert SECRET not in shown
    assert shown == "Hero image"


def test_the_cut_applies_to_comments_too() -> None:
    text = richtext.read("asana_story", f"<body>#client the draft is up\n<em>---internal---</em>\n{SECRET}</body>")
    view = view_of(comments=(text,))
    assert [c.text for c in view.comments.values()] == ["Anna Agency: the draft is up"]


def test_a_marker_only_below_the_cut_shares_nothing() -> None:
    assert view_of(comments=(f"draft\n{CUT}\n#client {SECRET}",)).comments == {}


def test_notes_without_a_cut_line_go_out_unchanged() -> None:
    notes = "Hero *image*\n\n- one\n- two\n\n---inter nal--- is a phrase here, not a line"
    assert shared_notes(notes, CUT) == notes
    assert split_notes(notes, CUT).below is None
    assert shared_notes(f"a\n{CUT}\nb", None) == f"a\n{CUT}\nb"  # no cut line configured


def test_the_cut_keeps_what_is_above_it_in_a_list() -> None:
    assert cut_notes(f"Scope\n\n- a\n- {CUT}\n- {SECRET}\n\nmore", CUT) == "Scope\n\n- a"
    assert cut_notes(f"> a\n> {CUT}\n> {SECRET}", CUT) == "> a"


# -- the comment marker shares: strict ------------------------------------------------------


@pytest.mark.parametrize("typed", ["#Client", "#CLIENT", "#clientele", "# client", "#client_x", "x#client"])
def test_a_near_miss_stays_internal_and_is_noticed(typed: str) -> None:
    view = view_of(comments=(f"{typed} meeting notes",))
    assert view.comments == {}
    [notice] = view.notices
    assert (notice.code, notice.key) == ("marker-near-miss", "c0")
    assert "“Homepage”" in notice.message and "#client" in notice.message
    assert "meeting notes" not in notice.message  # the tag and the title, never the hidden text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("#client looks fine", "looks fine"),
        ("looks fine #client", "looks fine"),
        ("looks #client fine", "looks fine"),
        ("ok #client.", "ok."),
        ("**#client** yes", "yes"),
        ("(#client) yes", "() yes"),
    ],
)
def test_the_exact_marker_as_a_word_shares_and_is_removed_cleanly(text: str, shown: str) -> None:
    view = view_of(comments=(text,))
    assert [c.text for c in view.comments.values()] == [f"Anna Agency: {shown}"]
    assert view.notices == []


def test_a_marker_inside_a_link_address_shares_nothing() -> None:
    assert view_of(comments=("see [the spec](https://docs.example/#client)",)).comments == {}


def test_a_comment_without_any_marker_is_quietly_internal() -> None:
    view = view_of(comments=("internal chat about the client",))
    assert view.comments == {} and view.notices == []


# -- the file marker shares: strict -----------------------------------------------------------


def test_files_share_only_with_the_exact_marker_and_near_misses_are_noticed() -> None:
    view = view_of(files=("Logo [client].pdf", "Logo [Client].pdf", "brief[client]x.pdf", "budget.xlsx"))
    assert [a.name for a in view.attachments.values()] == ["Logo.pdf"]
    assert sorted(n.key for n in view.notices) == ["a1", "a2"]
    assert strip_exact("[client] Logo v2.pdf", "[client]") == "Logo v2.pdf"


# -- empty markers: refused by the config, harmless in the core ------------------------------


@pytest.mark.parametrize("field", ["comment_marker", "file_marker"])
@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_marker_is_a_config_error_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        MirrorRules(**{field: value})
    assert field in str(caught.value) and "must not be empty" in str(caught.value)


def test_an_empty_cut_line_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="notes_cut"):
        FieldRules(notes_cut=" ")


def test_the_pure_functions_never_loop_or_share_on_an_empty_marker() -> None:
    for marker in ("", " ", "\u00a0"):
        assert strip_marker("Logo [client]", marker) == "Logo [client]"
        assert not marked("anything at all", marker)
        assert near_miss("anything", marker) is None
        assert strip_exact("a b", marker) == "a b"
        assert shared_notes(f"a\n{CUT}\nb", marker) == f"a\n{CUT}\nb"
    assert marked("anything", EVERY_ITEM)  # a migration copying everything says so explicitly


def test_title_markers_are_stripped_in_any_case_in_one_pass_without_garbling_words() -> None:
    assert strip_marker("Logo [CLIENT] v2", "[client]") == "Logo v2"
    assert strip_marker("Logo[client]", "[client]") == "Logo"
    assert strip_marker("#clientele meeting #client", "#client") == "#clientele meeting"
    assert strip_marker("[client][client] x", "[client]") == "x"


# -- what the client's own text may hold ------------------------------------------------------


def test_a_client_typed_cut_line_within_the_agreed_text_does_not_cut_it() -> None:
    hers = f"Bigger hero\n{CUT}\nOur board meets Friday"
    notes = f"{hers}\n\n{CUT}\n{SECRET}"
    assert shared_notes(notes, CUT, agreed=hers) == hers
    assert split_notes(notes, CUT, agreed=hers).below == f"{CUT}\n{SECRET}"
    # Without the agreement the first cut line wins: a mistake falls on the private side.
    assert shared_notes(notes, CUT) == "Bigger hero"
    # An agreed text that ends mid-line proves nothing about the line it is part of.
    assert shared_notes(f"a\n---inter{'nal---'}\n{SECRET}", CUT, agreed="a\n---inter") == "a"


def test_the_client_notes_are_agreed_only_where_she_may_write_them() -> None:
    hers = f"Bigger hero\n{CUT}\nOur words"
    snap = internal("Design")
    task(snap, "t", "Homepage", "Design", notes=f"{hers}\n\n{CUT}\n{SECRET}")
    one_way = mirror(snap, {}, rules(), FULL, {"t": hers})
    assert one_way.tasks["t"].fields["notes"] == "Bigger hero"
    both = rules(fields=FieldRules(notes="both"))
    assert mirror(snap, {}, both, FULL, {"t": hers}).tasks["t"].fields["notes"] == hers


# -- issue 10: inputs that crashed the core ---------------------------------------------------


def test_an_assignee_the_snapshot_does_not_know_is_dropped_not_a_crash() -> None:
    snap = internal("Design")
    task(snap, "t", "Homepage", "Design", assignees=["u-gone", "u-anna"])
    people = {"c-anna": Person(id="c-anna", name="Anna", email="anna@agency.example")}
    view = mirror(snap, people, rules(fields=FieldRules(assignees="to_client")), FULL)
    assert view.tasks["t"].fields["assignees"] == ["c-anna"]


def test_a_comment_without_an_author_name_is_attributed_to_the_agency() -> None:
    snap = internal("Design")
    task(snap, "t", "Homepage", "Design")
    comment(snap, "c1", "t", "#client hello", author=Person(id="u-x", name="", email=None))
    comment(snap, "c2", "t", "#client again").author = None
    texts = sorted(c.text for c in mirror_of(snap).comments.values())
    assert texts == ["Agency: again", "Agency: hello"]


# -- properties: random placements in every dialect ----------------------------------------------

WRAPS = {
    "markdown": {"none": "{}", "em": "*{}*", "strong": "**{}**", "code": "`{}`", "link": "[{}](https://x.example/)"},
    "asana": {"none": "{}", "em": "<em>{}</em>", "strong": "<strong>{}</strong>", "code": "<code>{}</code>",
              "link": '<a href="https://x.example/">{}</a>'},
    "basecamp": {"none": "{}", "em": "<em>{}</em>", "strong": "<strong>{}</strong>", "code": "{}",
                 "link": '<a href="https://x.example/">{}</a>'},
}  # fmt: skip
PADS = {"markdown": ["", " ", "\u00a0", "\u200b", "\u202f"], "asana": ["", " ", "&#160;", "\u200b", "\u202f"],
        "basecamp": ["", " ", "&nbsp;", "\u200b", "\u202f"]}  # fmt: skip
BLOCKS = ["line", "paragraph", "list item", "heading", "quote"]


def placed(dialect: str, block: str, line: str, above: str, below: str, newline: str) -> tuple[richtext.Tool, str]:
    """A document with ``line`` as a block (or a line inside one) between ``above`` and ``below``."""
    if dialect == "markdown":
        body = {
            "line": f"{above}\n{line}\n{below}",
            "paragraph": f"{above}\n\n{line}\n\n{below}",
            "list item": f"- {above}\n- {line}\n- {below}",
            "heading": f"{above}\n\n## {line}\n\n{below}",
            "quote": f"{above}\n\n> {line}\n> {below}",
        }[block]
        return "github", body.replace("\n", newline)
    if dialect == "asana":
        body = {
            "line": f"{above}\n{line}\n{below}",
            "paragraph": f"{above}\n\n{line}\n\n{below}",
            "list item": f"<ul><li>{above}</li><li>{line}</li><li>{below}</li></ul>",
            "heading": f"{above}<h2>{line}</h2>{below}",
            "quote": f"{above}<blockquote>{line}\n{below}</blockquote>",
        }[block]
        return "asana", f"<body>{body}</body>".replace("\n", newline)
    body = {
        "line": f"<div>{above}<br>{line}<br>{below}</div>",
        "paragraph": f"<div>{above}</div><div>{line}</div><div>{below}</div>",
        "list item": f"<ul><li>{above}</li><li>{line}</li><li>{below}</li></ul>",
        "heading": f"<div>{above}</div><h1>{line}</h1><div>{below}</div>",
        "quote": f"<div>{above}</div><blockquote>{line}<br>{below}</blockquote>",
    }[block]
    return "basecamp", body.replace("<br>", "<br>" + newline)


@st.composite
def cut_documents(draw: st.DrawFn) -> tuple[richtext.Tool, str]:
    dialect = draw(st.sampled_from(["markdown", "asana", "basecamp"]))
    cased = "".join(c.upper() if draw(st.booleans()) else c for c in CUT)
    pad_before, pad_after = draw(st.sampled_from(PADS[dialect])), draw(st.sampled_from(PADS[dialect]))
    line = pad_before + WRAPS[dialect][draw(st.sampled_from(sorted(WRAPS[dialect])))].format(cased) + pad_after
    secret = "SECRET" + draw(st.text(alphabet="abcdefgh", min_size=1, max_size=6))
    block = draw(st.sampled_from(BLOCKS))
    newline = "\r\n" if dialect == "markdown" and draw(st.booleans()) else "\n"
    return placed(dialect, block, line, "Public text", secret, newline)


@given(cut_documents())
def test_nothing_below_a_cut_line_in_any_formatting_goes_out(doc: tuple[richtext.Tool, str]) -> None:
    tool, raw = doc
    notes = richtext.read(tool, raw)
    view = view_of(notes, comments=(f"#client hi\n\n{notes}",))
    assert "SECRET" not in view.model_dump_json()
    assert "Public text" in view.tasks["t"].fields["notes"]


WORDS = st.text(alphabet="abc xyz.,!?()-", max_size=12)


@given(WORDS, WORDS, st.sampled_from(["", "\n", " ", "**", "("]))
def test_a_comment_with_the_exact_marker_as_a_word_is_shared(before: str, after: str, edge: str) -> None:
    text = f"{before} {edge}#client{edge[::-1].replace('(', ')')} {after}"
    assert len(view_of(comments=(text,)).comments) == 1


@given(st.text(alphabet="#clientCLIENT_ex ", max_size=20))
def test_no_comment_without_the_exact_marker_goes_out(text: str) -> None:
    shared = bool(view_of(comments=(text,)).comments)
    assert shared == bool(re.search(r"(?<!\w)#client(?!\w)", text))


@pytest.mark.parametrize(("key", "value"), [("comment_marker", '""'), ("file_marker", '"  "'), ("comment_marker", "")])
def test_the_config_file_names_an_empty_marker(tmp_path: Path, key: str, value: str) -> None:
    config = tmp_path / "pm-bridge.yaml"
    config.write_text(
        "state: sqlite:///state.db\n"
        "connections:\n  agency: {kind: memory}\n  client: {kind: memory}\n"
        "links:\n  acme:\n    internal: {connection: agency, project: p1}\n    client: {connection: client, project: p2}\n"
        f"    mirror:\n      {key}: {value}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert f"links.acme.mirror.{key}" in str(caught.value)
