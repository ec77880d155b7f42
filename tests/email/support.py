"""What the email tests share: a real IMAP server (pymap, in this process), messages as a client writes
them, and one link from an internal memory project to an email client, run by the real engine."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import imaplib
import threading
import zoneinfo
from argparse import Namespace
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pymap.backend import backends
from pymap.main import _PymapArgumentParser
from pymap.service import services

from bridge.clock import VirtualClock
from bridge.config.email import EmailSettings, ImapSettings, InboundSettings, ScheduleSettings, SmtpSettings
from bridge.core.ports import NewTask
from bridge.core.rules import AccessSource, LinkRules, MirrorRules, SectionRule
from bridge.store import Store
from bridge.sync.engine import CycleReport, Engine, LinkRuntime, LinkSide
from connectors.email import EmailConnector
from connectors.email.sink import Received, SmtpSink, free_port
from connectors.memory.sandbox import MemorySandbox

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
CLIENT = "carla@client.example"
SIGNING_KEY = "sign-key-for-tests-0123456789"
IMAP_USER, IMAP_PASSWORD = "replies", "imap-pass-0042"


# -- a real IMAP server ---------------------------------------------------------------


def _pymap_args(port: int) -> Namespace:
    parser = _PymapArgumentParser()
    commands = parser.add_subparsers(dest="backend")
    for name, backend in backends.items():
        backend.add_subparser(name, commands).set_defaults(backend_type=backend)
    for service in services.values():
        service.add_arguments(parser)
    parser.set_defaults(skip_services=[], passlib_cfg=None, debug=False)
    return parser.parse_args(["--host", "127.0.0.1", "--port", str(port), "--no-tls",
                              "dict", "--demo-user", IMAP_USER, "--demo-password", IMAP_PASSWORD])


@contextmanager
def imap_server() -> Iterator[int]:
    """pymap's in-memory backend serving IMAP on 127.0.0.1 from a thread of this process; yields its port."""
    port = free_port()
    args = _pymap_args(port)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: list[asyncio.Event] = []

    async def serve() -> None:
        stop.append(asyncio.Event())
        backend, config = await args.backend_type.init(args)
        config.apply_context()
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            for service in services.values():
                await service(backend, config).start(stack)
            ready.set()
            await stop[0].wait()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert ready.wait(10), "pymap did not start"
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(10)
        loop.close()


def deliver(port: int, raw: bytes) -> None:
    """What the client's mail server does with her reply: put it in the replies mailbox."""
    client = imaplib.IMAP4("127.0.0.1", port)
    try:
        client.login(IMAP_USER, IMAP_PASSWORD)
        status, _ = client.append("INBOX", None, None, raw)
        assert status == "OK"
    finally:
        client.logout()


# -- messages ------------------------------------------------------------------------


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def everything(received: Received) -> str:
    """Every header, every part (text, HTML, attachments) of a message, decoded: what a leak check reads."""
    message = parse(received.data)
    chunks = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        chunks += [f"{name}: {value}" for name, value in part.items()]
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            chunks.append(payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload))
    return "\n".join(chunks + [received.mail_from, *received.recipients])


def reply(to: str, text: str, *, sender: str = CLIENT, quoted: str = "Your update", subject: str = "Re: update",
          extra: dict[str, str] | None = None) -> bytes:
    """A reply as a mail program writes it: the new words, a signature, and the quoted message."""
    message = EmailMessage()
    message["From"] = f"Carla Client <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = email.utils.make_msgid(domain="client.example")
    for name, value in (extra or {}).items():
        message[name] = value
    message.set_content(f"{text}\n\nThanks,\nCarla\n--\nCarla Client\nClient Inc.\n\n"
                        f"On Mon, 7 Dec 2026 at 09:00, Agency <updates@agency.example> wrote:\n> {quoted}\n> more quoted\n")
    return message.as_bytes()


# -- one link --------------------------------------------------------------------------


def settings(smtp_port: int | None, imap_port: int | None = None, **over: Any) -> EmailSettings:
    values: dict[str, Any] = {
        "addresses": [CLIENT, "boss@client.example"],
        "from_address": "updates@agency.example",
        "from_name": "Agency",
        "reply_domain": "replies.agency.example",
        "signing_key": SecretStr(SIGNING_KEY),
        "smtp": SmtpSettings(host="127.0.0.1", port=smtp_port, security="none") if smtp_port else None,
        "inbound": InboundSettings(imap=ImapSettings(host="127.0.0.1", port=imap_port, security="none", user=IMAP_USER,
                                                     password=SecretStr(IMAP_PASSWORD))) if imap_port else InboundSettings(),
        "schedule": ScheduleSettings(every="daily", hour=9, timezone="Europe/Paris"),
        "max_message_bytes": 20_000,
    }
    values.update(over)
    return EmailSettings(**values)


SECTIONS = ["Design", "For approval", "Internal QA", "Client requests"]


def link_rules(client_name: str | None = None, clients: tuple[str, ...] = ()) -> LinkRules:
    mirror = MirrorRules(sections={"Design": SectionRule(access="unlocked"), "For approval": SectionRule(access="unlocked"),
                                   "Client requests": SectionRule(access="unlocked")},
                         access=AccessSource(type="label"))
    if client_name:
        mirror = mirror.for_client(client_name, clients)
    return LinkRules(mirror=mirror)


class EmailWorld:
    """An agency's memory project mirrored to an email client; the wall clock is the test's."""

    def __init__(self, tmp: Path, settings: EmailSettings, *, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)
        self.sandbox = MemorySandbox(clock=VirtualClock())
        self.project = self.sandbox.create_project("Website", SECTIONS)
        self.anna = self.sandbox.connector("human", "anna")
        self.state_url = f"sqlite:///{tmp}/state.db"
        self.store = Store.open(self.state_url)
        self.email = EmailConnector("client-mail", settings, self.state_url, now=lambda: self.now)
        self.link = LinkRuntime("acme", link_rules(), LinkSide(self.sandbox.connector("bridge", "internal"), self.project),
                                LinkSide(self.email, "Acme website"))
        self.engine = Engine(self.store, workers=2)
        self.sections = {s.name: s.id for s in self.internal().sections.values()}

    def close(self) -> None:
        self.email.close()
        self.store.close()

    def internal(self) -> Any:
        return self.anna.pull(self.project).snapshot

    def task(self, title: str, section: str, *, notes: str = "", labels: tuple[str, ...] = ()) -> str:
        made = self.anna.create_task(self.project, NewTask(title=title, notes=notes, section_id=self.sections[section],
                                                             labels=list(labels)))
        return made.id

    def cycle(self) -> CycleReport:
        report = self.engine.run(self.link)
        assert report.status == "ok", report.errors
        return report

    def at(self, when: dt.datetime) -> EmailWorld:
        self.now = when
        return self

    def client_id(self, internal_id: str) -> str:
        pair = next(p for p in self.store.pairs("acme") if p.kind == "task" and p.internal_id == internal_id)
        assert pair.client_id is not None
        return pair.client_id


@contextmanager
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink
