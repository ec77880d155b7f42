"""The marker rules at their edges: exactly where the cut falls, what a notice quotes, what a comment shows.

Each test pins an outcome the mutation run (bench/mutation.sh) found unpinned in
bridge/core/markers.py: the halves of a cut code block, the words a near-miss notice
quotes, the text a shared comment keeps. They assert what the client would see (the
cut's two halves, the view, the notice), never how the module gets there.
"""

from __future__ import annotations

import pytest

from bridge.core.markers import EVERY_ITEM, CommentShare, NotesCut, near_miss, read_comment, split_notes, strip_exact
from bridge.core.mirror import MirrorView, mirror, strip_marker
from bridge.core.ports import Capabilities
from bridge.core.rules import FieldRules, LinkRules, MirrorRules, SectionRule
from tests.core.build import attachment, comment, internal, task

CUT = "---internal---"
FULL = Capabilities(
    tool="test", comments=True, attachments="link", task_fields=frozenset({"title", "notes", "done", "labels", "assignees"})
)


def view_of(title: str = "Homepage", comments: tuple[str, ...] = (), files: tuple[str, ...] = ()) -> MirrorView:
    snap = internal("Design")
    task(snap, "t", title, "Design")
    for index, text in enumerate(comments):
        comment(snap, f"c{index}", "t", text)
    for index, name in enumerate(files):
        attachment(snap, f"a{index}", "t", name)
    return mirror(snap, {}, LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")})), FULL)


def cut(notes: str, marker: str = CUT, agreed: str | None = None) -> tuple[str, str | None]:
    found = split_notes(notes, marker, agreed)
    return found.above, found.below


# -- where the cut falls, and what each half holds --------------------------------------------


def test_a_cut_inside_a_fenced_code_block_closes_the_shared_half_and_reopens_the_hidden_one() -> None:
    notes = f"Public\n\n```js\nlet a = 1\n{CUT}\nSECRET\n```\n\nafter"
    assert cut(notes) == ("Public\n\n```js\nlet a = 1\n```", f"```js\n{CUT}\nSECRET\n```\n\nafter")


def test_a_cut_inside_an_indented_fence_keeps_the_fence_indented() -> None:
    notes = f"- item\n\n  ```\n  code\n  {CUT}\n  SECRET\n  ```"
    assert cut(notes) == ("- item\n\n  ```\n  code\n  ```", f"  ```\n  {CUT}\n  SECRET\n  ```")


def test_a_cut_on_a_later_line_of_an_indented_code_block_keeps_the_lines_above() -> None:
    notes = f"Public\n\n    code a b\n    {CUT}\n    SECRET"
    assert cut(notes) == ("Public\n\n    code a b", f"    {CUT}\n    SECRET")


def test_a_cut_line_that_is_not_code_is_no_fence_and_keeps_its_indent_below() -> None:
    assert cut(f"Public\n\n  {CUT}\nSECRET") == ("Public", f"  {CUT}\nSECRET")


def test_the_hidden_half_keeps_its_text_to_the_last_character() -> None:
    assert cut(f"Public\n\n{CUT}\nCall FEDEX\n") == ("Public", f"{CUT}\nCall FEDEX")


@pytest.mark.parametrize(
    ("notes", "above"),
    [
        # Emphasis a raw HTML block holds is not rendered as such: the characters were meant as formatting.
        (f"Public\n\n<div>**{CUT}**</div>\n\nSECRET", "Public"),
        # A code span shows an entity as typed; read as the page would show it once decoded, it is the cut line.
        ("Public\n\n`&#45;--internal---`\n\nSECRET", "Public"),
        # Empty tags between its letters do not show.
        ("Public\n\n---inter<b></b>nal---\n\nSECRET", "Public"),
        # Nor does an HTML comment before it, inline or as a block.
        ("Public\n\n<!-- note -->---internal---\n\nSECRET", "Public"),
        ("Public  \n<!-- note -->---internal---\nSECRET", "Public"),
        # Spaces between its characters.
        ("Public\n\n---inter nal---\n\nSECRET", "Public"),
        # An image's alt text, emphasis and all.
        ("Public\n\n![---*internal*---](https://example.com/x.png)\n\nSECRET", "Public"),
        # A break tag in capitals still breaks the line; the cut then hides that whole source line.
        ("Intro\n\nPublic<BR>---internal---<BR>SECRET", "Intro"),
        # CRLF lines are lines, and a blank one is not added between them.
        (f"a\r\nb\r\n{CUT}\r\nSECRET", "a\nb"),
    ],
)
def test_a_cut_line_in_any_disguise_hides_what_follows(notes: str, above: str) -> None:
    shown, hidden = cut(notes)
    assert shown == above
    assert hidden is not None and hidden.endswith("SECRET")


def test_text_with_ampersands_and_angle_brackets_is_not_a_cut_line() -> None:
    notes = "Tom & Jerry <3\n\ninternal notes are fine"
    assert cut(notes) == (notes, None)


def test_the_crlf_below_a_cut_becomes_plain_lines() -> None:
    assert cut(f"a\r\n{CUT}\r\nSECRET\r\nmore") == ("a", f"{CUT}\nSECRET\nmore")


def test_a_cut_line_made_of_punctuation_only_cuts_too() -> None:
    assert cut("a\n\n+++\n\nb", "+++") == ("a", "+++\n\nb")


# -- the client's agreed text -------------------------------------------------------------------

HERS = f"Bigger hero\n{CUT}\nOur words"


def test_notes_that_are_exactly_the_agreed_text_are_all_hers() -> None:
    assert split_notes(HERS, CUT, agreed=HERS) == NotesCut(HERS)
    assert split_notes(f"{HERS}\n\nmore", CUT, agreed=HERS) == NotesCut(f"{HERS}\n\nmore")


def test_agency_text_between_her_text_and_the_cut_goes_out_with_hers() -> None:
    shown, hidden = cut(f"{HERS}\n\nmore\n\n{CUT}\nSECRET", agreed=HERS)
    assert shown.startswith(HERS) and shown.endswith("more") and "SECRET" not in shown
    assert hidden == f"{CUT}\nSECRET"


def test_her_text_is_kept_exactly_as_agreed_when_the_cut_follows_it() -> None:
    assert cut(f"Bigger hero \n{CUT}\nsecret", agreed="Bigger hero ") == ("Bigger hero ", f"{CUT}\nsecret")


# -- near misses: what the notice quotes --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("see #clientele notes", "#clientele"),
        ("x#client", "x#client"),
        ("ab#client", "ab#client"),
        ("go xy#client", "xy#client"),
        ("go my_#client", "my_#client"),
        ("#client_x", "#client_x"),
        ("see #CLIENT", "#CLIENT"),
        ("# client", "# client"),
        ("a long text to push it far #clientele", "#clientele"),
        ("a long text to push it far abc#Client", "abc#Client"),
        # At most 20 glued characters on either side, and at most 40 in all.
        ("abcdefghijklmnopqrstuvwxyz#client", "ghijklmnopqrstuvwxyz#client"),
        ("#clientabcdefghijklmnopqrstuvwxyz", "#clientabcdefghijklmnopqrst"),
        ("12345678901234567890#Client1234567890123", "12345678901234567890#Client1234567890123"),
        ("12345678901234567890#Client12345678901234", "12345678901234567890#Client123456789012…"),
    ],
)
def test_a_near_miss_notice_quotes_the_word_as_typed(text: str, typed: str) -> None:
    assert near_miss(text, "#client") == typed
    view = view_of(comments=(text,))
    assert view.comments == {}
    assert [n.message for n in view.notices] == [
        f"A comment on “Homepage” says “{typed}”, so it stays internal; write “#client” to share it."
    ]


def test_an_entity_spelled_near_miss_is_quoted_as_it_shows() -> None:
    assert read_comment("&#35;Client hello", "#client", CUT) == CommentShare(False, typed="#Client")


def test_a_marker_only_in_a_link_address_is_neither_shared_nor_noticed() -> None:
    view = view_of(comments=("see [the spec](https://docs.example/#client)",))
    assert view.comments == {} and view.notices == []


@pytest.mark.parametrize(
    ("title", "quoted"),
    [
        ("Home page", "Home page"),
        ("Home \n  page", "Home page"),
        ("x" * 60, "x" * 60),
        ("x" * 61, "x" * 59 + "…"),
    ],
)
def test_a_notice_quotes_the_title_on_one_line_and_at_most_60_characters(title: str, quoted: str) -> None:
    view = view_of(title, comments=("#Client ok",), files=("Logo [Client].pdf",))
    assert [n.message for n in view.notices] == [
        f"A comment on “{quoted}” says “#Client”, so it stays internal; write “#client” to share it.",
        f"A file on “{quoted}” is named with “[Client]”, so it stays internal; use “[client]” to share it.",
    ]


# -- what a shared comment shows ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Looks good\n\n#client", "Looks good"),  # the marker alone in a later paragraph
        ("#client see **this**", "see **this**"),  # the space before formatting stays
        ("Call FEDEX #client", "Call FEDEX"),
        ("see\u2003#client more", "see\u2003 more"),  # only ordinary spaces go with the marker
        ("* `#client` ok", "* `#client` ok"),  # nothing to remove: the comment goes out as typed
    ],
)
def test_a_shared_comment_shows_exactly_its_text_without_the_marker(text: str, shown: str) -> None:
    assert read_comment(text, "#client", CUT) == CommentShare(True, shown)


def test_a_comment_without_the_marker_is_not_shared_and_quotes_nothing() -> None:
    assert read_comment("internal chat", "#client", CUT) == CommentShare(False)
    assert read_comment("#client hi", " ", CUT) == CommentShare(False)


def test_a_migration_that_copies_everything_keeps_each_comment_above_its_cut() -> None:
    assert read_comment(f"hi #client\n\n{CUT}\nSECRET", EVERY_ITEM, CUT) == CommentShare(True, "hi #client")


def test_stripping_an_empty_or_copy_everything_marker_leaves_the_name_as_typed() -> None:
    assert strip_exact("a  b", "") == "a  b"
    assert strip_exact("Logo  v2.pdf", EVERY_ITEM) == "Logo  v2.pdf"


# -- titles and notes as they go out ----------------------------------------------------------------


def test_a_stripped_title_marker_leaves_single_spaces_on_one_line_and_keeps_line_breaks() -> None:
    assert strip_marker("Logo  [client]  v2", "[client]") == "Logo v2"
    assert strip_marker("Logo [client]\nv2", "[client]") == "Logo\nv2"


@pytest.mark.parametrize(("direction", "shown"), [("to_internal", HERS), ("both", HERS), ("to_client", "Bigger hero")])
def test_her_cut_line_look_alike_is_kept_wherever_she_may_write_the_notes(direction: str, shown: str) -> None:
    snap = internal("Design")
    task(snap, "t", "Homepage", "Design", notes=f"{HERS}\n\n{CUT}\nSECRET")
    rules = LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}, fields=FieldRules(notes=direction)))
    assert mirror(snap, {}, rules, FULL, {"t": HERS}).tasks["t"].fields["notes"] == shown
