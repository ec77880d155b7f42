"""Reading one inbound message: who sent it, what it answers, what it says. Pure: bytes in, a verdict out.

A message is believed only when every check holds (docs/email.md, security): it is no larger
than ``max_message_bytes``, its sender is one of the link's client addresses (and the receiving
server did not record a DMARC failure for it), and a reply names its item through a reply
address whose signature holds and has not expired. A new message to the link's address is a
request. Anything else is refused with a reason for the log, never with the body.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Literal

from mailparser_reply import EmailReplyParser

from bridge import richtext
from bridge.config.email import EmailSettings
from bridge.core.plan.files import human_size
from connectors.email import tokens

APPROVE_WORDS = frozenset({"approve", "approved"})
_PARSER = EmailReplyParser(languages=["en", "de", "fr", "es", "it", "nl"])


@dataclass(frozen=True)
class Reply:
    kind: Literal["comment", "request"]
    sender: str
    sender_name: str
    text: str
    task_id: str | None = None  # the item a reply answers
    approve: bool = False
    title: str = ""  # a request's title (its subject)
    message_id: str = ""


@dataclass(frozen=True)
class Refused:
    reason: str
    sender: str = ""


# Where the mail programs put the message being answered, in an HTML-only reply: Gmail's quote block, Outlook's
# reply header (and the marker before it), Apple Mail's and Thunderbird's cited blockquote, Yahoo's quote block.
_QUOTED_HTML = re.compile(
    r"""(?is)<(?:div|blockquote|hr)\b[^>]*?(?:class=["'][^"']*\b(?:gmail_quote|yahoo_quoted|moz-cite-prefix)\b"""
    r"""|id=["'](?:divRplyFwdMsg|appendonsend)["']|type=["']cite["'])""")


def html_reply(content: str) -> str:
    """An HTML-only reply as canonical Markdown (the project's HTML reader, bridge/richtext): what the mail
    program shows but not its styles or comments, and nothing from where it starts quoting the message answered.
    The text still goes through ``latest_reply``, for quotes and signatures no marker announced."""
    content = re.sub(r"(?is)<(head|style|script|title)\b.*?</\1\s*>", "", content)
    content = re.sub(r"(?s)<!--.*?-->", "", content)
    # Pictures carried inside the message (cid:) have no address the internal tool could show.
    content = re.sub(r"""(?is)<img\b[^>]*\bsrc=["']?cid:[^>]*>""", "", content)
    quoted = _QUOTED_HTML.search(content)
    if quoted is not None:
        content = content[:quoted.start()]
    return richtext.read("basecamp", content)  # Basecamp's reader: plain HTML, divs and paragraphs, <br> breaks


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = html_reply(content)
    return content.replace("\r\n", "\n")


def attached(message: EmailMessage) -> str:
    """A line naming the files a message carries, which the bridge does not copy (docs/email.md, "Files"):
    the agency learns she sent them and can ask for them another way. Empty when there are none."""
    files = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        files.append(f"{part.get_filename() or 'unnamed file'} ({human_size(size)})")
    return f"_(attached, not copied by the bridge: {', '.join(files)})_" if files else ""


def _with_files(text: str, message: EmailMessage) -> str:
    note = attached(message)
    return f"{text}\n\n{note}" if note and text else note or text


def latest_reply(text: str) -> str:
    """The new words of a reply: quoted text, "On ... wrote:" headers and signatures stripped."""
    replies = _PARSER.read(text=text).replies
    body = replies[0].body if replies else text
    return body.strip()


def first_word(text: str) -> str:
    match = re.match(r"\W*(\w+)", text)
    return match.group(1).casefold() if match else ""


def _dmarc_failed(message: EmailMessage) -> bool:
    return any(re.search(r"\bdmarc=fail\b", str(v), re.I) for v in message.get_all("Authentication-Results", []))


def read(raw: bytes, settings: EmailSettings, connection: str, project: str, today: int) -> Reply | Refused:
    if len(raw) > settings.max_message_bytes:
        return Refused(f"too large ({len(raw)} bytes > email.max_message_bytes {settings.max_message_bytes})")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # a message the library cannot read at all
        return Refused("unreadable message")
    assert isinstance(message, EmailMessage)
    name, sender = parseaddr(str(message.get("From", "")))
    allowed = {a.casefold() for a in settings.addresses}
    if not sender or sender.casefold() not in allowed:
        return Refused("unknown sender (not one of the link's client addresses)", sender)
    if _dmarc_failed(message):
        return Refused("the receiving server recorded dmarc=fail for the sender", sender)
    headers = [str(v) for h in ("To", "Cc", "Delivered-To", "X-Original-To") for v in message.get_all(h, [])]
    recipients = [addr for _, addr in getaddresses(headers) if addr]
    message_id = str(message.get("Message-ID", "")).strip()
    replies = [a for a in recipients if tokens.is_reply_address(a, settings.reply_domain)]
    if replies:
        key = settings.signing_key.get_secret_value()
        verdict = tokens.verify(key, connection, project, replies[0], settings.reply_domain, today)
        if isinstance(verdict, str):
            return Refused(verdict, sender)
        text = latest_reply(_text(message))
        approve = first_word(text) in APPROVE_WORDS
        if not text and not attached(message):
            return Refused("an empty reply", sender)
        return Reply("comment", sender, name or sender, _with_files(text, message), task_id=verdict.item, approve=approve,
                     message_id=message_id)
    if settings.link_address.casefold() in {a.casefold() for a in recipients}:
        subject = re.sub(r"^\s*((re|fwd?|aw|wg)\s*:\s*)+", "", str(message.get("Subject", "")), flags=re.I).strip()
        text = latest_reply(_text(message))
        if not subject and not text:
            return Refused("an empty request", sender)
        title = subject or text.splitlines()[0][:120]
        return Reply("request", sender, name or sender, _with_files(text, message), title=title, message_id=message_id)
    return Refused("addressed to neither a reply address nor the link's address", sender)
