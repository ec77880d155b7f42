"""What differs between the two HTML formats the bridge speaks.

Asana ``html_notes``/``html_text`` (asana docs ``_rich-text``): an XML fragment in
``<body>``; ``<strong> <em> <u> <s> <code> <ol> <ul> <li> <a>``, plus
``<blockquote> <pre>`` and, in task notes only, ``<h1> <h2>``. Newlines are
literal (the web app shows the text ``pre-wrap``): one newline is a line break,
a blank line separates paragraphs. Mentions are ``<a data-asana-gid=".."/>``.

Basecamp rich text (basecamp ``rich_text.md``): ``div h1 br strong em strike a
pre ol ul li blockquote``, anything else is stripped. Whitespace collapses as in
any HTML; ``<div>`` is a paragraph, ``<br>`` a line break. Mentions are
``<bc-attachment sgid="..">``. There is no inline code tag, so inline code is
written the way people type it there: between backticks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class HtmlDialect:
    tool: Literal["asana", "basecamp"]
    body: bool  # wrapped in <body>
    newlines: bool  # literal newlines are line breaks (else <div>/<br> and collapsing whitespace)
    strike: str  # the strike tag written
    inline_code: bool  # <code> exists; else `code` in text
    headings: int  # highest heading level written as a tag; 0: headings are written as bold paragraphs


ASANA_NOTES = HtmlDialect("asana", body=True, newlines=True, strike="s", inline_code=True, headings=2)
ASANA_STORY = HtmlDialect("asana", body=True, newlines=True, strike="s", inline_code=True, headings=0)
BASECAMP = HtmlDialect("basecamp", body=False, newlines=False, strike="strike", inline_code=False, headings=1)
