"""Reading replies from an IMAP mailbox: each unseen message is handed over once, then marked seen.

The standard library's imaplib speaks the protocol; implicit TLS (993), STARTTLS or, for a local
test server only, plain. A message is marked ``\\Seen`` only after it was fetched whole, so a
failed poll reads it again next time.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl
from collections.abc import Callable

from bridge import secrets
from bridge.config.email import ImapSettings
from bridge.errors import AuthError, Transient


def _connect(settings: ImapSettings) -> imaplib.IMAP4:
    if settings.security == "ssl":
        return imaplib.IMAP4_SSL(settings.host, settings.port, ssl_context=ssl.create_default_context(),
                                 timeout=settings.timeout)
    client = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
    if settings.security == "starttls":
        client.starttls(ssl_context=ssl.create_default_context())
    return client


def login(settings: ImapSettings) -> None:
    """Log in and open the folder, reading nothing: what ``pm-bridge check`` asks of the IMAP server."""
    poll(settings, lambda raw: None, read=False)


def peek(settings: ImapSettings) -> list[bytes]:
    """Every unseen message of the folder, leaving the mailbox exactly as it was (a dry run: docs/email.md).

    The folder is opened read-only (EXAMINE) and read with ``BODY.PEEK[]``, so no flag changes."""
    found: list[bytes] = []
    poll(settings, found.append, mark=False)
    return found


def poll(settings: ImapSettings, keep: Callable[[bytes], None], *, read: bool = True, mark: bool = True) -> int:
    """Hand every unseen message of the folder to ``keep``, then mark it seen (unless ``mark`` is false);
    how many there were."""
    password = settings.password.get_secret_value()
    secrets.register(password)
    try:
        client = _connect(settings)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise Transient(f"cannot reach the IMAP server {settings.host}:{settings.port}: {secrets.redact(str(exc))}") from None
    try:
        try:
            client.login(settings.user, password)
        except imaplib.IMAP4.error:
            raise AuthError(f"the IMAP server {settings.host} refused the login of {settings.user!r}",
                            hint="check email.inbound.imap.user and password") from None
        status, _ = client.select(settings.folder, readonly=not mark)
        if status != "OK":
            raise Transient(f"the IMAP folder {settings.folder!r} cannot be opened on {settings.host}")
        if not read:
            return 0
        status, data = client.uid("SEARCH", "UNSEEN")
        count = 0
        for uid in (bytes(data[0] or b"").decode().split() if status == "OK" else []):
            status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple) and len(p) > 1), None)
            if status == "OK" and isinstance(raw, bytes):
                keep(raw)  # kept first: a crash before the flag reads it again, never loses it
                if mark:
                    client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
                count += 1
        return count
    except (OSError, imaplib.IMAP4.error) as exc:
        raise Transient(f"reading the IMAP folder on {settings.host} failed: {secrets.redact(str(exc))}") from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
