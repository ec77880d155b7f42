"""The ``email:`` block of a ``kind: email`` connection: a client who reads and answers by email (docs/email.md)."""

from __future__ import annotations

import zoneinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SmtpSettings(_Strict):
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    # starttls (port 587), ssl (implicit TLS, port 465) or none (a local relay only).
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password: SecretStr | None = None
    timeout: float = Field(default=30.0, gt=0)


class ImapSettings(_Strict):
    host: str
    port: int = Field(default=993, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    user: str
    password: SecretStr
    folder: str = "INBOX"
    timeout: float = Field(default=30.0, gt=0)


class WebhookInbound(_Strict):
    """Replies posted by a mail provider's inbound webhook to the daemon's ``/hooks/{link}/client/{token}``."""

    provider: Literal["postmark", "mailgun", "sendgrid"]
    # Mailgun: the HTTP webhook signing key; SendGrid: the security policy's public key (base64 DER or PEM);
    # Postmark: the password of the basic auth the inbound webhook URL carries.
    signing_key: SecretStr
    # Deliveries older than this (Mailgun and SendGrid sign a timestamp) are refused as replays.
    max_age: float = Field(default=900.0, gt=0)


class InboundSettings(_Strict):
    imap: ImapSettings | None = None
    webhook: WebhookInbound | None = None


class ScheduleSettings(_Strict):
    every: Literal["daily", "weekly"] = "daily"
    hour: int = Field(default=9, ge=0, le=23)
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "monday"
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)") from None
        return value


class EmailSettings(_Strict):
    # The client's addresses: every message goes to these and only these; replies are taken only from them.
    addresses: list[str] = Field(min_length=1)
    from_address: str
    from_name: str = ""
    # Replies go to reply+<signed token>@<reply_domain>; new requests to the link address, request@<reply_domain>
    # unless ``request_address`` says otherwise.
    reply_domain: str
    request_address: str | None = None
    # Signs the per-item reply tokens; keep it secret and stable (a change voids the reply addresses sent so far).
    signing_key: SecretStr
    reply_token_days: int = Field(default=60, ge=1)
    smtp: SmtpSettings | None = None
    inbound: InboundSettings = InboundSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    templates: str | None = None  # a directory whose digest/approval templates replace the shipped ones
    max_message_bytes: int = Field(default=1_000_000, ge=1024)
    # Client-side section names whose open tasks wait for the client's approval ("reply approve").
    approval_sections: list[str] = Field(default_factory=lambda: ["For approval"])
    # The client-side section meaning "approved" (links.<name>.inbound.approval.client_section): "approve" moves the item there.
    approved_section: str = "Approved"
    approve_now: bool = True  # an item entering an approval section is also sent at once, as its own message
    subject_prefix: str = ""

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        cleaned = [a.strip() for a in value]
        bad = [a for a in cleaned if a.count("@") != 1 or " " in a]
        if bad:
            raise ValueError(f"not an email address: {', '.join(bad)}")
        return cleaned

    @model_validator(mode="after")
    def _reply_domain(self) -> EmailSettings:
        if "@" in self.reply_domain or not self.reply_domain.strip():
            raise ValueError("reply_domain is a domain (replies.example.com), not an address")
        return self

    @property
    def link_address(self) -> str:
        return self.request_address or f"request@{self.reply_domain}"

    def delivery_secret(self) -> str | None:
        """What the provider webhook check needs: ``provider:key`` (the provider is pinned, never guessed from a delivery)."""
        hook = self.inbound.webhook
        return f"{hook.provider}:{hook.max_age:g}:{hook.signing_key.get_secret_value()}" if hook else None
