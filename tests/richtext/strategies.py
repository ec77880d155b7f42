"""Hypothesis strategies for canonical documents, and the people every tool knows in the tests."""

from __future__ import annotations

from hypothesis import strategies as st

from bridge.richtext import People
from bridge.richtext.ast import (
    Block,
    Break,
    Code,
    CodeBlock,
    Document,
    Emph,
    Heading,
    Image,
    Inline,
    Link,
    ListBlock,
    ListItem,
    Mention,
    Paragraph,
    Quote,
    Strike,
    Strong,
    Text,
    normalize,
)
from bridge.richtext.mentions import Member

# Anna and Carla are known in every tool (same email); each tool has its own handle for them.
PEOPLE = {
    "asana": People("asana", [Member("anna@agency.example", "Anna Agency", "1001"),
                              Member("carla@client.example", "Carla Client", "1002")]),
    "basecamp": People("basecamp", [Member("anna@agency.example", "Anna Agency", "BAhAnna"),
                                    Member("carla@client.example", "Carla Client", "BAhCarla")]),
    "github": People("github", [Member("anna@agency.example", "Anna Agency", "anna-a"),
                                Member("carla@client.example", "Carla Client", "carla-c")]),
    "trello": People("trello", [Member("anna@agency.example", "Anna Agency", "annaagency"),
                                Member("carla@client.example", "Carla Client", "carlaclient")]),
}  # fmt: skip
PEOPLE["asana_story"] = PEOPLE["asana"]
FORMATS = ("asana", "basecamp", "github", "trello")

# Markup characters of every format, minus "`" (Basecamp reads backtick pairs as inline code) and
# "@" (GitHub and Trello read "@handle" as a mention): those two are covered by their own tests.
_ALPHABET = list("abcxyzAB019 é*_~[]()#>-+.!&<:|\\\"'/=")

words = st.text(alphabet=st.sampled_from(_ALPHABET), min_size=1, max_size=12)
code_text = st.text(alphabet=st.sampled_from(list("ab x<>&*_`[]\\")), min_size=1, max_size=8)
hrefs = st.sampled_from(["https://example.com/", "https://example.com/a?b=1&c=2", "https://x.example/a_b/(c)",
                         "mailto:someone@example.com", "https://example.com/with space"])
images = st.builds(
    Image,
    st.sampled_from(["https://example.com/shot.png", "https://travis-ci.org/a/b.svg?branch=main", "https://x.example/a b.png"]),
    st.one_of(st.just(""), words),
    st.sampled_from(["", "A title", 'say "cheese"', "back\\slash"]),
)
mentions = st.sampled_from([Mention("anna@agency.example", "Anna Agency"), Mention("carla@client.example", "Carla Client")])


def _inline(depth: int, pictures: bool = False) -> st.SearchStrategy[Inline]:
    leaves: st.SearchStrategy[Inline] = st.one_of(words.map(Text), code_text.map(Code), mentions, *([images] if pictures else []))
    if depth == 0:
        return leaves
    inner = st.lists(_inline(depth - 1, pictures), min_size=1, max_size=3).map(tuple)
    label = st.one_of(words.map(Text), *([images] if pictures else []))  # a badge: [![alt](img)](target)
    return st.one_of(
        leaves, leaves,
        inner.map(Strong), inner.map(Emph), inner.map(Strike),
        st.builds(Link, hrefs, st.lists(label, min_size=1, max_size=2).map(tuple)),
    )  # fmt: skip


def _paragraph(pictures: bool) -> st.SearchStrategy[Paragraph]:
    line = st.lists(_inline(2, pictures), min_size=1, max_size=4)
    return st.lists(line, min_size=1, max_size=3).map(
        lambda lines: Paragraph(tuple(node for i, ln in enumerate(lines) for node in ([Break()] if i else []) + ln))
    )


paragraph = _paragraph(False)


def _list(depth: int, paragraph: st.SearchStrategy[Paragraph]) -> st.SearchStrategy[ListBlock]:
    nested = st.just(()) if depth == 0 else st.lists(_list(depth - 1, paragraph), max_size=1).map(tuple)
    item = st.builds(lambda p, sub: ListItem((p, *sub)), paragraph, nested)
    return st.builds(ListBlock, st.booleans(), st.lists(item, min_size=1, max_size=3).map(tuple))


def blocks(*, headings: bool = True, pictures: bool = False) -> st.SearchStrategy[Block]:
    para = _paragraph(pictures)
    options: list[st.SearchStrategy[Block]] = [
        para, para,
        st.builds(CodeBlock, st.text(alphabet=st.sampled_from(list("ab <&>`*\n#-")), min_size=1, max_size=20)),
        _list(2, para),
        st.lists(para, min_size=1, max_size=2).map(lambda ps: Quote(tuple(ps))),
    ]  # fmt: skip
    if headings:
        options.append(st.lists(_inline(1, pictures), min_size=1, max_size=3).map(lambda c: Heading(1, tuple(c))))
    return st.one_of(*options)


def documents(*, headings: bool = True, pictures: bool = False) -> st.SearchStrategy[Document]:
    """Canonical documents; with ``pictures``, images too (inline, and as the label of a link: a badge)."""
    return st.lists(blocks(headings=headings, pictures=pictures), max_size=5).map(lambda bs: normalize(Document(tuple(bs))))
