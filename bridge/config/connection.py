"""A configured connection: which tool, which credentials, which server."""

from __future__ import annotations

import urllib.parse
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

ToolKind = Literal["asana", "trello", "github", "basecamp", "memory"]


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    requests: float = Field(gt=0)
    per_seconds: float = Field(gt=0)


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
