"""Trello's text limits: the one declaration the connector and the emulator share."""

from __future__ import annotations

# Trello refuses a card name, a card description or a comment longer than 16,384 characters
# with 400 "invalid value for name|desc|text" (developer.atlassian.com/cloud/trello/rest,
# "Cards" and "Actions"; the OpenAPI description gives the same 16,384 bound for its other
# free-text parameters, e.g. a webhook's description).
TEXT_LIMITS = {"title": 16384, "notes": 16384, "comment": 16384}
# The request fields those kinds travel in.
FIELDS = {"name": "title", "desc": "notes", "text": "comment"}

# Trello's attachment limit: "10MB per file" on the free plan, 250MB on paid plans (docs/files.md).
# The default is the free plan's; a connection on a paid workspace sets ``max_file_mb: 250``.
FREE_FILE_LIMIT = 10 * 1024 * 1024
