"""A configured connection: which tool, which credentials, which server."""

from __future__ import annotations

import urllib.parse
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator, model_validator

from bridge.config.email import EmailSettings

ToolKind = Literal["asana", "trello", "github", "basecamp", "memory", "email"]
# token: a personal token in the config (the default, as before); oauth: authorized once with
# `pm-bridge connect`, kept and refreshed in the state store; github_app: installation tokens minted
# from a GitHub App's private key. See docs/connect.md.
AuthKind = Literal["token", "oauth", "github_app"]


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    requests: float = Field(gt=0)
    per_seconds: float = Field(gt=0)


class OAuthClient(BaseModel):
    """``connections.<name>.oauth``: the app registered with the tool (docs/connect.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str | None = None  # Trello: none, its app is the API key
    client_secret: SecretStr | None = None
    # The tool's documented endpoints by default; set only to point at an emulator or a proxy.
    authorize_url: str | None = None
    token_url: str | None = None
    redirect_port: int = Field(default=8765, ge=1, le=65535)  # the local callback on 127.0.0.1
    scope: str | None = None  # the tool's default scope when unset
    expiration: str = "never"  # Trello's token lifetime: 1hour, 1day, 30days or never


class ConnectionConfig(BaseModel):
    """One ``connections.<name>`` entry of the config file.

    Only the fields a tool needs are required for it (checked by the tool's
    ``build`` when :func:`bridge.runtime.build_connector` makes the connector):
    Asana/GitHub/Basecamp take ``token``; Trello takes ``key`` and ``token``; Basecamp also ``account_id`` and a
    ``user_agent`` naming the app and a contact.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ToolKind
    base_url: str | None = None
    token: SecretStr | None = None
    key: SecretStr | None = None
    account_id: str | None = None
    user_agent: str | None = None
    webhook_secret: SecretStr | None = None
    rate_limit: RateLimit | None = None
    timeout: float = Field(default=30.0, gt=0)
    max_wait: float = Field(default=120.0, ge=0)  # longest total wait on 429 / Retry-After
    # Largest file, in MB, uploaded to this connection's tool; larger ones go as links with a note
    # (docs/files.md). Unset: the tool's documented limit (Trello: 10, its free plan).
    max_file_mb: int | None = Field(default=None, ge=1)
    # Overrides of the tool's preset in mappings/<tool>.yaml (GitHub, Basecamp):
    # e.g. {sections: milestone} to map sections to milestones instead of labels.
    mapping: dict[str, Any] | None = None
    auth: AuthKind = "token"
    oauth: OAuthClient | None = None
    app_id: str | None = None  # github_app: the app's ID (or client ID), the JWT's issuer
    installation_id: str | None = None  # github_app: the installation on the organisation
    private_key_path: str | None = None  # github_app: the app's .pem private key
    # kind: email only: the client's addresses, mailboxes, schedule and templates (docs/email.md).
    email: EmailSettings | None = None

    @model_validator(mode="after")
    def _auth_complete(self) -> ConnectionConfig:
        if self.auth == "oauth":
            if self.kind not in ("asana", "basecamp", "trello"):
                raise ValueError(f"auth: oauth is not available for {self.kind} (asana, basecamp and trello take it)")
            if self.oauth is None or (self.kind != "trello" and not (self.oauth.client_id and self.oauth.client_secret)):
                raise ValueError("auth: oauth needs an oauth: block with client_id and client_secret (docs/connect.md)")
        if self.auth == "github_app":
            if self.kind != "github":
                raise ValueError("auth: github_app is only for github connections")
            missing = [n for n in ("app_id", "installation_id", "private_key_path") if not getattr(self, n)]
            if missing:
                raise ValueError(f"auth: github_app needs {', '.join(missing)}")
        return self

    def delivery_secret(self) -> str | None:
        """The key a webhook delivery is checked with: the email block's provider key, else ``webhook_secret``."""
        if self.email is not None:
            return self.email.delivery_secret()
        return self.webhook_secret.get_secret_value() if self.webhook_secret is not None else None

    @field_validator("base_url")
    @classmethod
    def _base_url_is_http(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Checked here, not at the first request: "not a url" would otherwise surface seconds
        # later as "cannot reach  (UnsupportedProtocol)". The memory tool has its own memory:// scheme.
        if not value or info.data.get("kind") == "memory":
            return value or None
        try:
            parts = urllib.parse.urlsplit(value)
            host = parts.hostname
        except ValueError:
            host = None
        else:
            if parts.scheme not in ("http", "https"):
                host = None
        if not host:
            raise ValueError("expected an http:// or https:// URL with a host, like https://api.example.com (null: the real API)")
        return value
