"""Basecamp's OAuth 2 through Launchpad (docs/connect.md; the reference's authentication section).

``/authorization/new`` asks the user, ``/authorization/token`` trades the code (``grant_type=
authorization_code``) and later the refresh token (``grant_type=refresh_token``; the legacy
``type=web_server``/``type=refresh`` are "not recommended"). Access tokens last two weeks.
"""

from __future__ import annotations

from bridge.auth.oauth2 import CodeGrant

AUTH = CodeGrant(
    tool="basecamp",
    authorize_endpoint="https://launchpad.37signals.com/authorization/new",
    token_endpoint="https://launchpad.37signals.com/authorization/token",
)
