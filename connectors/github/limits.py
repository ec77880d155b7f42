"""GitHub's text limits: the one declaration the connector and the emulator share."""

from __future__ import annotations

# GitHub refuses an issue or comment body over 65,536 characters and an issue title over 256
# with 422 "Validation Failed", errors[].message "body is too long (maximum is 65536
# characters)" (docs.github.com/rest/issues; the limits the REST API enforces on issues and
# issue comments).
TEXT_LIMITS = {"title": 256, "notes": 65536, "comment": 65536}
# The request fields those kinds travel in.
FIELDS = {"title": "title", "body": "notes"}
COMMENT_FIELDS = {"body": "comment"}
