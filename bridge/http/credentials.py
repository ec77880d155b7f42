"""A credential that changes while the connector runs: OAuth access tokens, GitHub App installation tokens.

Connectors build their :class:`~bridge.http.client.HttpClient` once, with the token they were given.
When a connection's token expires and is renewed (``bridge.auth``), this transport sits under the
client and puts the current token on every request, in the place the tool reads it (the
``Authorization`` header, or Trello's ``token`` query parameter). On a 401 it asks its provider,
once, for a fresh token and sends the request once more; a second 401 means the fresh token is refused
too (access lost, not the token): the provider's :class:`~bridge.errors.AuthError` is raised, and that
token is not refreshed again on a 401 (docs/connect.md, "Renewal").
"""

from __future__ import annotations

from typing import Literal, Protocol

import httpx

from bridge import secrets


class TokenProvider(Protocol):
    def token(self) -> str:
        """The current token, renewed first when it is about to expire."""

    def refreshed(self, stale: str) -> str:
        """A token newer than ``stale`` (the one the server just refused); raises when none can be had."""

    def refused(self, fresh: str) -> Exception:
        """``fresh``, just renewed, was refused too: the error to raise; ``refreshed(fresh)`` raises it from now on."""


Placement = Literal["bearer", "query"]


class CredentialTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, provider: TokenProvider, placement: Placement = "bearer") -> None:
        self.inner = inner
        self.provider = provider
        self.placement = placement
        self.refreshes_on_401 = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        token = self.provider.token()
        response = self.inner.handle_request(self._with(request, token))
        if response.status_code != 401 or not _replayable(request):
            return response
        response.read()
        response.close()
        self.refreshes_on_401 += 1
        fresh = self.provider.refreshed(token)
        retried = self.inner.handle_request(self._with(request, fresh))
        if retried.status_code == 401:
            # A token that renews fine but is refused anyway: access was lost, not the token. Renewing
            # again would not help, so say so (once per token, not a refresh per request).
            retried.read()
            retried.close()
            raise self.provider.refused(fresh)
        return retried

    def close(self) -> None:
        self.inner.close()

    def _with(self, request: httpx.Request, token: str) -> httpx.Request:
        secrets.register(token)
        if self.placement == "query":
            url = request.url.copy_set_param("token", token)
            return httpx.Request(request.method, url, headers=request.headers, stream=request.stream,
                                 extensions=request.extensions)
        request.headers["Authorization"] = f"Bearer {token}"
        return request


def _replayable(request: httpx.Request) -> bool:
    """A streamed upload cannot be sent twice; its 401 goes back to the caller, who retries the whole write."""
    return isinstance(request.stream, httpx.ByteStream)
