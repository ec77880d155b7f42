"""Asana's text limits: the one declaration the connector and the emulator share."""

from __future__ import annotations

# Asana documents no length limit for a task's name, notes/html_notes or a story's text
# (developers.asana.com reference; its OpenAPI description only limits text custom fields,
# to 1,024 characters). These are our own conservative choices: a name as long as the one
# text limit Asana states, and notes and comments half the HTML room the emulator grants,
# since html_notes carries markup around the Markdown the bridge measures.
TEXT_LIMITS = {"title": 1024, "notes": 32768, "comment": 32768}
# What the emulator refuses, per request field (its HTML forms get the markup room).
EMULATED = {"name": 1024, "notes": 65536, "html_notes": 65536, "text": 65536, "html_text": 65536}
