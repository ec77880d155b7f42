"""Digest and approval messages: Jinja2 templates (the agency may override them) into a MIME message.

HTML templates are autoescaped: a task title is the agency's text and must never become markup.
A template directory given in ``email.templates`` is searched first, then the shipped templates.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import zoneinfo
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jinja2

from bridge.config.email import EmailSettings
from bridge.errors import ConfigError
from connectors.email.digest import Digest, DigestItem

SHIPPED = Path(__file__).with_name("templates")


def environment(templates: str | None) -> jinja2.Environment:
    paths = [str(Path(templates).expanduser()), str(SHIPPED)] if templates else [str(SHIPPED)]
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        raise ConfigError(f"the email template {name} cannot be rendered: {exc}",
                          hint="fix the template in email.templates, or remove it to use the shipped one") from None


def _message(settings: EmailSettings, subject: str, text: str, html: str, message_id: str, reply_to: str,
             when: dt.datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email.utils.formataddr((settings.from_name, settings.from_address)) if settings.from_name \
        else settings.from_address
    # Every message goes to the link's client addresses, and only to them (docs/email.md, privacy).
    message["To"] = ", ".join(settings.addresses)
    message["Subject"] = f"{settings.subject_prefix}{subject}"
    message["Date"] = email.utils.format_datetime(when.astimezone(dt.UTC))
    message["Message-ID"] = message_id
    message["Reply-To"] = reply_to
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office robots do not answer it
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def digest_message(
    settings: EmailSettings, env: jinja2.Environment, digest: Digest, since: dt.datetime, message_id: str, when: dt.datetime
) -> EmailMessage:
    local = since.astimezone(zoneinfo.ZoneInfo(settings.schedule.timezone))
    context = {"digest": digest, "project": digest.project, "since": local.strftime("%a %d %b %Y, %H:%M (%Z)"),
               "request_address": settings.link_address}
    text = _render(env, "digest.txt.j2", context)
    html = _render(env, "digest.html.j2", context)
    return _message(settings, f"{digest.project}: your update", text, html, message_id, settings.link_address, when)


def approval_message(settings: EmailSettings, env: jinja2.Environment, project: str, item: DigestItem,
                     message_id: str, when: dt.datetime) -> EmailMessage:
    context = {"project": project, "item": item, "request_address": settings.link_address}
    text = _render(env, "approval.txt.j2", context)
    html = _render(env, "approval.html.j2", context)
    return _message(settings, f"Approval needed: {item.title}", text, html, message_id, item.reply_to, when)
