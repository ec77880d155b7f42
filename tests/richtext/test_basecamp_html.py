"""Basecamp rich text <-> canonical Markdown: every allowed tag round-trips, prose is left alone, odd input is stable."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge import richtext
from connectors.basecamp.emulator.http import sanitize


def markdown_to_html(text: str) -> str:
    return richtext.write("basecamp", text)


def html_to_markdown(rich: str) -> str:
    return richtext.read("basecamp", rich)


# Markdown -> HTML -> the same Markdown, one case per allowed tag (and their combinations).
ROUND_TRIPS = [
    ("", ""),
    ("Plain prose, with punctuation: (yes) 100% & more!", "<div>Plain prose, with punctuation: (yes) 100% &amp; more!</div>"),
    ("Agreed scope: **two** pages.\n\nSee the brief for details.",
     "<div>Agreed scope: <strong>two</strong> pages.</div><div>See the brief for details.</div>"),
    ("line one\nline two", "<div>line one<br>line two</div>"),
    ("# Launch plan", "<h1>Launch plan</h1>"),
    ("*quiet* and ~~gone~~", "<div><em>quiet</em> and <strike>gone</strike></div>"),
    ("**bold *nested* bold**", "<div><strong>bold <em>nested</em> bold</strong></div>"),
    ("[the brief](https://files.example/brief_v2.pdf?a=1&b=2)",
     '<div><a href="https://files.example/brief_v2.pdf?a=1&amp;b=2">the brief</a></div>'),
    ("```\nif a < b && c:\n    go()\n```", "<pre>if a &lt; b &amp;&amp; c:\n    go()</pre>"),
    ("- one\n- two", "<ul><li>one</li><li>two</li></ul>"),
    ("1. first\n2. second", "<ol><li>first</li><li>second</li></ol>"),
    ("- parent\n  - child\n    1. grandchild", "<ul><li>parent<ul><li>child<ol><li>grandchild</li></ol></li></ul></li></ul>"),
    ("> quoted\n> twice", "<blockquote>quoted<br>twice</blockquote>"),
    ("> first\n>\n> - item", "<blockquote><div>first</div><ul><li>item</li></ul></blockquote>"),
    ("snake_case, 5*3, [draft] and a_b_c", "<div>snake_case, 5*3, [draft] and a_b_c</div>"),
    ("\\*not em\\* and \\[not\\](a link)", "<div>*not em* and [not](a link)</div>"),
    ("\\# not a heading\n\\- not an item\n1\\. not ordered\n\\> not quoted",
     "<div># not a heading<br>- not an item<br>1. not ordered<br>&gt; not quoted</div>"),
]


@pytest.mark.parametrize(("markdown", "rich"), ROUND_TRIPS)
def test_markdown_round_trips_through_basecamp_html(markdown: str, rich: str) -> None:
    assert markdown_to_html(markdown) == rich
    assert sanitize(rich) == rich, "only tags Basecamp keeps"
    assert html_to_markdown(rich) == markdown


# HTML as Basecamp's editor (Trix) or other clients write it -> Markdown, which then converts stably.
READS = [
    ("<div>Para one<br><br>Para two</div>", "Para one\n\nPara two"),
    ("<div>Trailing break<br></div><div><br></div><div>after a blank</div>", "Trailing break\n\nafter a blank"),
    ("<div><strong>Hi </strong>there</div>", "**Hi** there"),
    ("<div>a<em> b</em></div>", "a *b*"),
    ("<div>\n  spread\n  over lines\n</div>", "spread over lines"),
    ("bare text & <b>bold</b> and <i>it</i>", "bare text & **bold** and *it*"),
    ("<p>unknown <span>tags</span> keep text</p>", "unknown tags keep text"),
    ("<div>It costs 5 * 3 **really**</div>", "It costs 5 \\* 3 \\*\\*really\\*\\*"),
    ("<ul><li>a<br>b</li></ul>", "- a\n  b"),
    ("<div><a href=\"https://x.example/a b(c)\">odd url</a></div>", "[odd url](https://x.example/a%20b(c))"),
    ("<h1>Title <em>x</em></h1><div>body</div>", "# Title *x*\n\nbody"),
    ("<div>&lt;script&gt; &amp; &quot;quotes&quot;</div>", '<script> & "quotes"'),
]


@pytest.mark.parametrize(("rich", "markdown"), READS)
def test_basecamp_html_reads_as_markdown(rich: str, markdown: str) -> None:
    assert html_to_markdown(rich) == markdown
    again = markdown_to_html(markdown)
    assert sanitize(again) == again
    assert html_to_markdown(again) == markdown, "what we write back reads as the same Markdown"


def test_the_description_examples_convert() -> None:
    # todos.md and todolists.md request examples.
    assert html_to_markdown("<div><em>Try that new language!</em></div>") == "*Try that new language!*"
    assert html_to_markdown("<div><strong>Try this again.</strong></div>") == "**Try this again.**"
    assert markdown_to_html("*Try that new language!*") == "<div><em>Try that new language!</em></div>"


def _text(rich: str) -> str:
    """Visible text of HTML, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rich)).split())


# No backtick: a pair of them typed in Basecamp text reads as inline code by design
# (docs/rich-text.md, "What changes, and where"), so the visible backticks do not survive.
@given(st.text(alphabet=st.sampled_from(list("ab xy_*~[]()\\#->1.!&<")), max_size=40))
def test_any_text_survives_html_to_markdown_and_back(text: str) -> None:
    rich = f"<div>{html.escape(text, quote=False)}</div>"
    markdown = html_to_markdown(rich)
    back = markdown_to_html(markdown)
    assert _text(back) == _text(rich)
    assert html_to_markdown(back) == markdown


@given(st.lists(st.sampled_from(["word", "**b**", "*e*", "~~s~~", "[l](https://l.example)", "snake_case", "\n", "\n\n",
                                 "- item\n", "1. one\n", "> q\n", "# h\n"]), max_size=12))
def test_markdown_conversion_reaches_a_fixed_point(parts: list[str]) -> None:
    once = html_to_markdown(markdown_to_html("".join(parts)))
    assert html_to_markdown(markdown_to_html(once)) == once
