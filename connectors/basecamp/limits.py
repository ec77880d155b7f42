"""Basecamp's text limits: the one declaration the connector and the emulator share."""

from __future__ import annotations

# The Basecamp 4 API (github.com/basecamp/bc3-api) documents no length limit for a to-do's
# content, its description or a comment's content. These are our own conservative choices:
# a to-do title of 1,024 characters, and description and comments of 32,768 Markdown
# characters, half the HTML room the emulator grants, since Basecamp stores rich text as HTML.
TEXT_LIMITS = {"title": 1024, "notes": 32768, "comment": 32768}
# What the emulator refuses, per request field of a to-do and of a comment (to-do content
# is escaped, so it gets room for entities).
TODO_FIELDS = {"content": 2048, "description": 65536}
COMMENT_FIELDS = {"content": 65536}
