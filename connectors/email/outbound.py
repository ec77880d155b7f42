"""Sending: SMTP (STARTTLS, implicit TLS, or a plain local relay), to the link's client addresses only."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import getaddresses

from bridge import secrets
from bridge.config.email import SmtpSettings
from bridge.errors import AuthError, ConfigError, Transient


def check_recipients(message: EmailMessage, addresses: list[str]) -> None:
    """The last gate before the wire: a message addressed to anyone else is never sent (docs/email.md, privacy)."""
    allowed = {a.casefold() for a in addresses}
    named = [addr for _, addr in getaddresses([str(v) for h in ("To", "Cc", "Bcc") for v in message.get_all(h, [])])]
    strangers = [a for a in named if a.casefold() not in allowed]
    if strangers or not named:
        raise ConfigError("an email message was about to go to an address that is not the link's client",
                          hint="this is a bug: the message was not sent")


def send(settings: SmtpSettings | None, message: EmailMessage, addresses: list[str]) -> None:
    if settings is None:
        raise ConfigError("this email connection has no smtp: settings, so nothing can be sent",
                          hint="add email.smtp (host, port, security, user, password) to the connection")
    check_recipients(message, addresses)
    _session(settings, lambda client: client.send_message(message, to_addrs=list(addresses)))


def login(settings: SmtpSettings) -> None:
    """Connect and log in, sending nothing: what ``pm-bridge check`` asks of the SMTP server."""
    _session(settings, lambda client: client.noop())


def _session(settings: SmtpSettings, work: Callable[[smtplib.SMTP], object]) -> None:
    password = settings.password.get_secret_value() if settings.password is not None else None
    secrets.register(password)
    try:
        client: smtplib.SMTP
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.user and password:
                client.login(settings.user, password)
            work(client)
    except smtplib.SMTPAuthenticationError:
        raise AuthError(f"the SMTP server {settings.host} refused the login of {settings.user!r}",
                        hint="check email.smtp.user and email.smtp.password") from None
    except smtplib.SMTPResponseException as exc:  # the relay answered: 5xx is permanent, 4xx temporary (RFC 5321)
        said = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise Transient(f"{settings.host}:{settings.port} refused the message: {exc.smtp_code} {secrets.redact(said)}",
                        status=exc.smtp_code) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        raise Transient(f"{settings.host}:{settings.port} refused the recipients: {', '.join(map(str, codes))}",
                        status=codes[-1] if codes else None) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise Transient(f"cannot send mail through {settings.host}:{settings.port}: {secrets.redact(str(exc))}") from None
