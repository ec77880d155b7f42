"""Asana's OAuth 2 (docs/connect.md): the authorization-code grant at app.asana.com.

The endpoints are the reference's ``securitySchemes.oauth2`` (authorizationUrl, tokenUrl,
refreshUrl). Access tokens last an hour (``expires_in: 3600``); the refresh token does not expire
and is not rotated. Personal access tokens (``auth: token``) keep working as before.
"""

from __future__ import annotations

from bridge.auth.oauth2 import CodeGrant

AUTH = CodeGrant(
    tool="asana",
    authorize_endpoint="https://app.asana.com/-/oauth_authorize",
    token_endpoint="https://app.asana.com/-/oauth_token",
)
