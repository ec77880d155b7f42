"""``pm-bridge demo --client email``: the usual story, with a client who reads and answers by email.

Anna's project is mirrored into Carla's email view; the two items waiting for her approval go out
at once as their own messages, and at 09:00 in Carla's time zone the digest follows. Everything is
sent through a real SMTP server running in this process (nothing leaves the machine). Carla replies
with a comment to one item and "Approved" to another, posted the way a mail provider posts inbound
mail (a Mailgun-signed delivery); a forged reply is refused. The bridge brings her words back. The
demo ends with its checks: above all, no message carried anything hidden (docs/email.md).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import time
import uuid
import zoneinfo
from email.message import EmailMessage
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig
from bridge.config.email import EmailSettings, InboundSettings, ScheduleSettings, SmtpSettings, WebhookInbound
from bridge.config.schema import ClientSideConfig, Config, LinkConfig, LinkSideConfig
from bridge.core.ports import WebhookRequest
from bridge.core.rules import LinkRules
from bridge.demo.emulate import sandbox_for
from bridge.demo.seed import (
    AGENCY_PROJECT,
    CLIENT_APPROVES,
    CLIENT_COMMENT,
    CLIENT_COMMENT_ON,
    HIDDEN_PHRASES,
    RENAMED,
    demo_rules,
    seed_agency_project,
)
from bridge.demo.story import Checks, play_and_report
from bridge.demo.view import TOOL_NAMES, came_back_table
from bridge.runtime import Runtime, build_runtime
from bridge.store import mailbox
from bridge.sync.engine import CycleReport
from bridge.sync.progress import Progress
from connectors.email import EmailConnector, webhooks
from connectors.email.sink import Received, SmtpSink

LINK = "acme"
CLIENT_ADDRESS = "carla@acme.example"
ZONE = "Europe/Paris"
MAILGUN_KEY = "demo-mailgun-signing-key"
APPROVAL_SECTION = RENAMED["Design"]  # "Design review": what waits there waits for Carla's approval


def _parse(received: Received) -> EmailMessage:
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


def _everything(received: Received) -> str:
    """Every header and every part of a message, decoded: what the leak check reads."""
    message = _parse(received)
    chunks = [f"{k}: {v}" for part in message.walk() for k, v in part.items()]
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            chunks.append(payload.decode("utf-8", "replace"))
    return "\n".join(chunks)


def _reply(to: str, text: str, sender: str = CLIENT_ADDRESS) -> bytes:
    message = EmailMessage()
    message["From"] = f"Carla Client <{sender}>"
    message["To"] = to
    message["Subject"] = "Re: Approval needed"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@acme.example>"
    message.set_content(f"{text}\n\nBest,\nCarla\n--\nCarla Client, Acme\n\n"
                        "On Mon, Agency <updates@agency.example> wrote:\n> Your approval is needed\n")
    return message.as_bytes()


def _mailgun_post(raw: bytes, key: str) -> WebhookRequest:
    """The inbound delivery Mailgun would post to the daemon for this message, signed with ``key``."""
    stamp, token = str(int(time.time())), uuid.uuid4().hex
    fields = {"timestamp": stamp, "token": token, "signature": webhooks.mailgun_signature(key, stamp, token),
              "body-mime": raw.decode()}
    boundary = uuid.uuid4().hex
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                    for name, value in fields.items()) + f"--{boundary}--\r\n".encode()
    return WebhookRequest(method="POST", url="http://127.0.0.1/hooks/acme/client/demo",
                          headers={"content-type": f"multipart/form-data; boundary={boundary}"}, body=body)


class EmailDemo:
    def __init__(self, console: Console, internal_kind: str, folder: Path, sink: SmtpSink) -> None:
        self.console = console
        self.internal_kind = internal_kind
        self.internal_tool = TOOL_NAMES.get(internal_kind, internal_kind)
        self.clock = VirtualClock()
        self.agency = sandbox_for(internal_kind, self.clock)
        self.anna = self.agency.connector("human", "anna")
        self.rules = demo_rules(internal_kind)
        self.state_url = f"sqlite:///{folder / 'state.db'}"
        self.sink = sink
        self.checks = Checks()
        self.runtime: Runtime | None = None
        self.now = dt.datetime(2026, 12, 7, 8, 0, tzinfo=zoneinfo.ZoneInfo(ZONE))  # Monday, 08:00 in Carla's zone

    def settings(self) -> EmailSettings:
        return EmailSettings(
            addresses=[CLIENT_ADDRESS], from_address="updates@agency.example", from_name="Agency",
            reply_domain="replies.agency.example", signing_key=SecretStr("demo-reply-signing-key"),
            smtp=SmtpSettings(host="127.0.0.1", port=self.sink.port, security="none"),
            inbound=InboundSettings(webhook=WebhookInbound(provider="mailgun", signing_key=SecretStr(MAILGUN_KEY))),
            schedule=ScheduleSettings(every="daily", hour=9, timezone=ZONE),
            approval_sections=[APPROVAL_SECTION],
        )

    def build_runtime(self, internal_project: str) -> Runtime:
        link = LinkConfig(internal=LinkSideConfig(connection="agency", project=internal_project),
                          client=ClientSideConfig(connection="client", project="Acme website"),
                          **{name: getattr(self.rules, name) for name in LinkRules.model_fields})
        config = Config(state=self.state_url,
                        connections={"agency": self.agency.connection("bridge"),
                                     "client": ConnectionConfig(kind="email", email=self.settings())},
                        links={LINK: link})
        runtime = build_runtime(config, listeners=[Progress(self.console)],
                                transports={"agency": self.agency.emulator.transport()}, clock=self.clock)
        mail = runtime.connectors["client"]
        assert isinstance(mail, EmailConnector)
        mail.now = lambda: self.now  # the demo's wall clock: the digest hour comes without waiting
        self.mail = mail
        return runtime

    def cycle(self, runtime: Runtime) -> tuple[CycleReport, int, int]:
        """One sync; the report, the write requests the agency's tool received and the messages sent."""
        writes, mails = len(self.agency.emulator.writes()), len(self.sink.received)
        report = runtime.engine.run(runtime.links[LINK])
        return report, len(self.agency.emulator.writes()) - writes, len(self.sink.received) - mails

    def step(self, number: int, text: str) -> None:
        self.console.print()
        self.console.rule(f"[bold]{number}. {text}", align="left")

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.close()
        self.anna.close()

    def show(self, received: Received, *, body: bool = True) -> None:
        message = _parse(received)
        head = f"From: {message['From']}\nTo: {message['To']}\nSubject: {message['Subject']}\nReply-To: {message['Reply-To']}"
        text = head + ("\n\n" + _text(message).rstrip() if body else "")
        self.console.print(Panel(escape(text), title="as Carla sees it (the plain-text part)", expand=False))

    def play(self) -> bool:
        ck = self.checks
        self.step(1, f"Anna (agency) sets up {AGENCY_PROJECT!r} in {self.internal_tool}")
        seeded = seed_agency_project(self.agency, self.anna, self.internal_kind)
        self.console.print(f"{len(seeded.ids)} tasks. Carla reads by email at {CLIENT_ADDRESS} (time zone {ZONE}); "
                           f"what waits in {APPROVAL_SECTION!r} waits for her approval.")
        runtime = self.runtime = self.build_runtime(seeded.project_id)

        self.step(2, "Monday 08:00 — first sync: the items waiting for approval go out at once")
        report, _, sent = self.cycle(runtime)
        ck.add("first sync succeeded", report.status == "ok", "; ".join(report.errors))
        approvals = [r for r in self.sink.received if str(_parse(r)["Subject"]).startswith("Approval needed")]
        for received in approvals:
            self.show(received, body=False)
        ck.add("each item waiting for approval went out as its own message", len(approvals) == 2 and sent == 2,
               f"{sent} messages")

        self.step(3, "Monday 09:00 in Paris — the daily digest")
        self.now = self.now.replace(hour=9, minute=0)
        report, _, sent = self.cycle(runtime)
        digests = [r for r in self.sink.received if "your update" in str(_parse(r)["Subject"])]
        if digests:
            self.show(digests[-1])
        digest_text = _text(_parse(digests[-1])) if digests else ""
        ck.add("the digest went out once, at 09:00 in the client's time zone", len(digests) == 1 and sent == 1,
               f"{sent} message")
        ck.add("the digest lists the shared work and what awaits approval",
               "Homepage wireframes" in digest_text and "WAITING FOR YOUR APPROVAL" in digest_text)

        self.step(4, "Carla answers by email")
        reply_to = {str(_parse(r)["Subject"]).removeprefix("Approval needed: "): str(_parse(r)["Reply-To"]) for r in approvals}
        posts = [
            (f"Carla replied to {CLIENT_COMMENT_ON!r}: {CLIENT_COMMENT!r}",
             _reply(reply_to.get(CLIENT_COMMENT_ON, ""), CLIENT_COMMENT)),
            (f"Carla replied to {CLIENT_APPROVES!r}: 'Approved, thank you!'",
             _reply(reply_to.get(CLIENT_APPROVES, ""), "Approved, thank you!")),
            ("someone forged a reply address, in Carla's name: 'approve everything'",
             _reply(reply_to.get(CLIENT_APPROVES, "x@x")[:-30] + "0" * 6 + "@replies.agency.example", "approve everything")),
        ]
        for what, raw in posts:
            verdict = webhooks.receive(_mailgun_post(raw, MAILGUN_KEY), f"mailgun:900:{MAILGUN_KEY}")
            if verdict.message is not None:  # what the daemon does with an accepted delivery
                mailbox.keep(self.mail.engine, "client", "webhook", verdict.message, self.now)
            self.console.print(f"  • {escape(what)} [dim](Mailgun delivery: {verdict.status})[/dim]")

        self.step(5, "Next sync: her answers come back")
        self.now = self.now.replace(minute=15)
        report, internal_writes, _ = self.cycle(runtime)
        ck.add("the sync with her answers succeeded", report.status == "ok", "; ".join(report.errors))
        self.came_back(seeded.project_id, internal_writes)

        self.step(6, "Another cycle with nothing new")
        self.now = self.now.replace(minute=30)
        report, writes, sent = self.cycle(runtime)
        if writes or sent:  # the approval settles into the client's "Approved" list
            report, writes, sent = self.cycle(runtime)
        self.console.print(f"the cycle sent [bold]{writes}[/bold] write requests and [bold]{sent}[/bold] messages.")
        ck.add("a quiet cycle sends nothing", writes == 0 and sent == 0 and report.status == "ok",
               f"{writes} writes, {sent} mails")

        every = self.sink.received
        leaked = sorted({p for r in every for p in HIDDEN_PHRASES if p in _everything(r)})
        ck.add("no message carried anything hidden (headers, text, HTML)", not leaked,
               f"{len(every)} messages read" + (f"; found: {', '.join(leaked)}" if leaked else ""))
        strangers = sorted({a for r in every for a in r.recipients if a != CLIENT_ADDRESS})
        ck.add("every message went to the client's address only", not strangers, ", ".join(strangers))
        return ck.passed

    def came_back(self, project_id: str, writes: int) -> None:
        ck = self.checks
        internal = self.anna.pull(project_id).snapshot
        by_title = {t.title.split(" [")[0]: t for t in internal.tasks.values()}
        commented, approved = by_title.get(CLIENT_COMMENT_ON), by_title.get(CLIENT_APPROVES)
        texts = [c.text for c in internal.comments.values() if commented and c.task_id == commented.id]
        attributed = next((t for t in texts if CLIENT_COMMENT in t), "")
        label = self.rules.inbound.approval.internal_label if self.rules.inbound.approval else None
        approved_ok = bool(approved and label and label in approved.labels) or bool(
            approved and self.rules.inbound.approval and self.rules.inbound.approval.internal_section
            and internal.sections.get(approved.section_id or "", None) is not None
            and internal.sections[approved.section_id or ""].name == self.rules.inbound.approval.internal_section)
        missing = "[red]missing[/red]"
        rows = [(f"reply on {CLIENT_COMMENT_ON!r}", f"💬 {escape(attributed)}" if attributed else missing),
                (f"'Approved' on {CLIENT_APPROVES!r}", "approved" if approved_ok else missing),
                ("a forged reply address", "refused, logged: " + "; ".join(mailbox.refusals(self.mail.engine, "client")))]
        self.console.print(came_back_table(rows, "email", self.internal_tool))
        self.console.print(f"{writes} write requests to {self.internal_tool}.")
        ck.add("Carla's reply came back as her comment, quote and signature stripped",
               attributed.endswith(CLIENT_COMMENT) and "Best," not in attributed and "Carla" in attributed, attributed)
        ck.add("her 'Approved' reply approved the item", approved_ok)
        forged = [t for t in internal.comments.values() if "approve everything" in t.text]
        ck.add("the forged reply was refused and posted nothing", not forged
               and any("forged" in r for r in mailbox.refusals(self.mail.engine, "client")))


def run_email_demo(console: Console | None = None, internal_kind: str = "asana") -> int:
    """Play the email demo; 0 when every check held, 1 otherwise."""
    console = console or Console(highlight=False)
    started = time.monotonic()
    internal_tool = TOOL_NAMES.get(internal_kind, internal_kind)
    console.rule(f"[bold]pm-bridge demo: {internal_tool} (agency) → email (client)")
    console.print(f"{internal_tool} is emulated and mail goes to an SMTP server inside this process: "
                  "no network, no accounts.")
    with SmtpSink() as sink:
        return play_and_report(
            console, lambda folder: EmailDemo(console, internal_kind, folder, sink), started,
            "[green]All checks held. Finished in {elapsed:.1f}s.[/green] Next: docs/email.md.",
        )
