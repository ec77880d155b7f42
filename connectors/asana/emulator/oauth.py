"""Asana's OAuth endpoints on the emulator (docs/connect.md).

``GET /-/oauth_authorize`` and ``POST /-/oauth_token`` on app.asana.com, outside ``/api/1.0``
(the reference's ``securitySchemes.oauth2``), and ``POST /-/oauth_revoke`` (Asana's OAuth page), which
revokes a refresh token as a user removing the app does. Access tokens last an hour; a refresh answers with a
new access token only and the refresh token stays valid: Asana does not rotate it.
"""

from __future__ import annotations

from typing import Any

from connectors.emulation.oauth import TokenIssuer, mount_code_grant

ACCESS_TTL = 3600.0
AUTHORIZE_PATH = "/-/oauth_authorize"
TOKEN_PATH = "/-/oauth_token"
REVOKE_PATH = "/-/oauth_revoke"


def enable_oauth(emulator: Any, user: str, *, access_ttl: float = ACCESS_TTL) -> TokenIssuer:
    """Turn on OAuth for ``emulator`` (an AsanaEmulator): ``user`` (a user gid) is who approves."""
    issuer = TokenIssuer(emulator.clock, access_ttl=access_ttl, rotate=False, prefix="asana", user=user)
    mount_code_grant(emulator, issuer, AUTHORIZE_PATH, TOKEN_PATH, REVOKE_PATH)
    return issuer
