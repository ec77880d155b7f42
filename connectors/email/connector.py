"""A client who works by email: the Connector contract over a view the bridge keeps itself.

There is no remote tool. The "remote project" is the client's view as the emails have shown
it, kept in the state database (``bridge/store/mailbox.py``), so one-shot ``sync`` runs and
several daemons share it. The engine writes the mirror into it exactly as into any client tool
(the mirror filter and every privacy rule apply unchanged); each write also records what
changed, and the digest is rendered from those records. What the client sends back (replies,
approvals, requests), read from IMAP or a provider's webhook, enters the view at the next pull,
where the planner finds it as it finds a Trello comment or a card moved to "Approved".
See docs/email.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from sqlalchemy.engine import Connection, Engine

from bridge import secrets
from bridge.config.email import EmailSettings
from bridge.core.model import Attachment, Comment, Person, Section, Snapshot, Task
from bridge.core.ports import Capabilities, CheckResult, NewTask, PullResult, PullState, Removal
from bridge.errors import ConfigError, NotFound, Transient
from bridge.http.client import RequestStats
from bridge.store import Store, mailbox
from connectors.email import digest as digests
from connectors.email import imap, inbound, outbound, render, retry, tokens

TASK_FIELDS = frozenset({"title", "notes", "done", "section_id", "due", "start"})
CAPABILITIES = Capabilities(
    tool="email",
    task_fields=TASK_FIELDS,
    subtask_fields=frozenset(),  # a message has no nesting: a shared subtask travels as an item of its own
    comments=True,
    # The view's comment can change; a sent message cannot: an edited comment goes out again as new (update_comment).
    edit_comments=True,
    attachments="link",
    removal=frozenset({"archive", "delete"}),
    custom_fields=False,
)
KINDS: dict[str, type[Section | Task | Comment | Attachment]] = {
    "section": Section, "task": Task, "comment": Comment, "attachment": Attachment}
EPOCH = dt.date(1970, 1, 1)

log = logging.getLogger("pm_bridge.email")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class EmailConnector:
    capabilities = CAPABILITIES

    def __init__(self, name: str, settings: EmailSettings, state_url: str | None, *,
                 now: Callable[[], dt.datetime] = _utcnow, engine: Engine | None = None) -> None:
        self.name = name
        self.settings = settings
        self.state_url = state_url
        self.now = now  # wall time: the digest schedule is in the client's time zone
        self.stats = RequestStats()
        self._engine = engine
        self._store: Store | None = None
        self._preview: Connection | None = None  # a dry run's transaction, rolled back when its pull ends
        self._lock = threading.RLock()
        self._templates = render.environment(settings.templates)
        for secret in (settings.signing_key, settings.smtp and settings.smtp.password,
                       settings.inbound.imap and settings.inbound.imap.password,
                       settings.inbound.webhook and settings.inbound.webhook.signing_key):
            if secret:
                secrets.register(secret.get_secret_value())

    # -- the store ----------------------------------------------------------

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            if not self.state_url:
                raise ConfigError(f"connection {self.name!r} (email) has no state database to keep the client's view in",
                                  hint="set state: in the config")
            self._store = Store.open(self.state_url)
            self._engine = self._store.engine
        return self._engine

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._lock:
            if self._preview is not None:
                yield self._preview
                return
            with self.engine.begin() as db:
                yield db

    def _bind(self) -> Engine | Connection:
        return self._preview if self._preview is not None else self.engine

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
            self._engine = None

    def _next_id(self, db: Connection, project_id: str, prefix: str) -> str:
        number = int(mailbox.meta(db, self.name, project_id, "next_id") or 0) + 1
        mailbox.set_meta(db, self.name, project_id, "next_id", number)
        return f"{prefix}{number}"

    def _load(self, db: Connection, project_id: str, kind: str, item_id: str) -> Any:
        data = mailbox.item(db, self.name, project_id, kind, item_id)
        if data is None:
            raise NotFound(f"{kind} {item_id} is not in the email view of {project_id!r}")
        return KINDS[kind].model_validate_json(data)

    def _put(self, db: Connection, project_id: str, kind: str, item: Any) -> None:
        mailbox.put(db, self.name, project_id, kind, item.id, item.model_dump_json())
        self._bump(db, project_id)

    def _delete(self, db: Connection, project_id: str, kind: str, item_ids: list[str]) -> None:
        mailbox.delete(db, self.name, project_id, kind, item_ids)
        self._bump(db, project_id)

    def _bump(self, db: Connection, project_id: str) -> None:
        # The view's revision: the pull cursor, so a quiet cycle re-reads nothing (invariant 7).
        mailbox.set_meta(db, self.name, project_id, "rev", self._rev(db, project_id) + 1)

    def _rev(self, db: Connection, project_id: str) -> int:
        return int(mailbox.meta(db, self.name, project_id, "rev") or 0)

    def _record(self, db: Connection, project_id: str, kind: str, task_id: str, **data: Any) -> None:
        mailbox.record(db, self.name, project_id, kind, task_id, data, self.now())

    # -- reading ------------------------------------------------------------

    def check(self, project_id: str) -> CheckResult:
        """The store holds the view; the SMTP and IMAP servers take the configured logins."""
        self.engine  # noqa: B018 - opening the store: the view lives there
        if self.settings.smtp is not None:
            outbound.login(self.settings.smtp)
        if self.settings.inbound.imap is not None:
            imap.login(self.settings.inbound.imap)
        return CheckResult(user=self.settings.from_address, project_name=project_id)

    def view(self, project_id: str) -> Snapshot:
        snapshot = Snapshot(connection=self.name, project_id=project_id, project_name=project_id)
        for address in self.settings.addresses:
            snapshot.people[address] = Person(id=address, name=address, email=address)
        with self._lock:
            rows = mailbox.items(self._bind(), self.name, project_id)
        for kind, item_id, data in rows:
            getattr(snapshot, f"{kind}s")[item_id] = KINDS[kind].model_validate_json(data)
        return snapshot

    def pull(self, project_id: str, state: PullState | None = None) -> PullResult:
        self.stats.count("GET", "view")
        if state is not None and state.dry_run:
            return self._dry_pull(project_id)
        with self._tx() as db:
            if mailbox.meta(db, self.name, project_id, "started_at") is None:
                mailbox.set_meta(db, self.name, project_id, "started_at", self.now().isoformat())
        if self.settings.inbound.imap is not None:
            imap.poll(self.settings.inbound.imap, lambda raw: mailbox.keep(self.engine, self.name, "imap", raw, self.now()))
        self.take_inbox(project_id)
        with self._tx() as db:
            rev = self._rev(db, project_id)
        known = _revision(state, project_id)
        if state is not None and state.snapshot is not None and known == rev:
            return PullResult(snapshot=state.snapshot, cursor=state.cursor, full=False)
        # Reading the whole view is one query: an incremental pull re-reads it, but only when it changed.
        return PullResult(snapshot=self.view(project_id), cursor=f"rev:{rev}", full=known is None or known > rev)

    def _dry_pull(self, project_id: str) -> PullResult:
        """The view as a real pull would leave it, changing nothing anywhere (``sync --dry-run``): IMAP mail is
        peeked at (read-only, no flag set), and the inbox is taken in inside a transaction that is rolled back,
        so the plan shows what the waiting replies would do while the store, the mailbox and the client stay as
        they were (docs/email.md)."""
        peeked = imap.peek(self.settings.inbound.imap) if self.settings.inbound.imap is not None else []
        with self._lock, self.engine.connect() as db:
            transaction = db.begin()
            self._preview = db
            try:
                for raw in peeked:
                    mailbox.keep(db, self.name, "imap", raw, self.now())
                self.take_inbox(project_id)
                snapshot = self.view(project_id)
            finally:
                self._preview = None
                transaction.rollback()
        return PullResult(snapshot=snapshot, cursor=None, full=True)

    # -- inbound ------------------------------------------------------------

    def take_inbox(self, project_id: str) -> None:
        """Every message waiting in the inbox enters the view, or is refused and logged (never posted)."""
        today = (self.now().date() - EPOCH).days
        for row, source, raw in mailbox.pending(self._bind(), self.name):
            verdict = inbound.read(raw, self.settings, self.name, project_id, today)
            with self._tx() as db:
                refusal: str | None
                taken_id = None
                if isinstance(verdict, inbound.Refused):
                    refusal = verdict.reason
                elif verdict.message_id and mailbox.seen(db, self.name, verdict.message_id):
                    refusal = "a message already taken in (same Message-ID)"
                else:
                    refusal, taken_id = self._apply_reply(db, project_id, verdict), verdict.message_id
                if refusal is not None:
                    # The reason and the sender, never the body (docs/email.md, security).
                    sender = getattr(verdict, "sender", "") or "unknown"
                    log.warning("email %s: %s (from %s, via %s)", "would be refused (dry run)" if self._preview
                                is not None else "refused", refusal, sender, source,
                                extra={"connection": self.name, "source": source, "reason": refusal, "sender": sender})
                    mailbox.settle(db, row, mailbox.REFUSED, refusal)
                else:
                    mailbox.settle(db, row, mailbox.DONE, message_id=taken_id)

    def _apply_reply(self, db: Connection, project_id: str, reply: inbound.Reply) -> str | None:
        author = Person(id=reply.sender, name=reply.sender_name, email=reply.sender)
        now = self.now()
        if reply.kind == "request":
            section = self._request_section(db, project_id)
            task = Task(id=self._next_id(db, project_id, "t"), title=reply.title, notes=reply.text,
                        section_id=section, position=float(now.timestamp()), created_at=now)
            self._put(db, project_id, "task", task)
            return None
        assert reply.task_id is not None
        data = mailbox.item(db, self.name, project_id, "task", reply.task_id)
        if data is None:
            return "a reply to an item no longer shared"
        task = Task.model_validate_json(data)
        comment = Comment(id=self._next_id(db, project_id, "c"), task_id=task.id, text=reply.text, author=author,
                          created_at=now)
        self._put(db, project_id, "comment", comment)
        if reply.approve:
            task.section_id = self._section_named(db, project_id, self.settings.approved_section)
            self._put(db, project_id, "task", task)
        return None

    def _sections(self, db: Connection, project_id: str) -> list[Section]:
        rows = [Section.model_validate_json(data) for data in mailbox.of_kind(db, self.name, project_id, "section")]
        return sorted(rows, key=lambda s: (s.position, s.id))

    def _section_named(self, db: Connection, project_id: str, name: str) -> str:
        for section in self._sections(db, project_id):
            if section.name.casefold() == name.casefold():
                return section.id
        section = Section(id=self._next_id(db, project_id, "s"), name=name, position=1e9)
        self._put(db, project_id, "section", section)
        return section.id

    def _request_section(self, db: Connection, project_id: str) -> str:
        # The planner takes in a request from a list the mirror makes: any section of this view is one.
        sections = [s for s in self._sections(db, project_id) if s.name != self.settings.approved_section]
        return sections[0].id if sections else self._section_named(db, project_id, "Shared with you")

    # -- sections -----------------------------------------------------------

    def create_section(self, project_id: str, name: str) -> Section:
        self.stats.count("POST", "section")
        with self._tx() as db:
            section_id = self._next_id(db, project_id, "s")
            section = Section(id=section_id, name=name, position=float(section_id[1:]))
            self._put(db, project_id, "section", section)
        return section

    def update_section(self, project_id: str, section: Section, name: str) -> Section:
        self.stats.count("POST", "section")
        with self._tx() as db:
            stored: Section = self._load(db, project_id, "section", section.id)
            stored.name = name
            self._put(db, project_id, "section", stored)
        return stored

    def remove_section(self, project_id: str, section: Section, mode: Removal) -> None:
        self.stats.count("POST", "section")
        with self._tx() as db:
            self._delete(db, project_id, "section", [section.id])

    # -- tasks --------------------------------------------------------------

    def _awaits(self, db: Connection, project_id: str, task: Task) -> bool:
        if task.done or not task.section_id:
            return False
        names = {n.casefold() for n in self.settings.approval_sections}
        data = mailbox.item(db, self.name, project_id, "section", task.section_id)
        return data is not None and Section.model_validate_json(data).name.casefold() in names

    def create_task(self, project_id: str, task: NewTask) -> Task:
        self.stats.count("POST", "task")
        with self._tx() as db:
            task_id = self._next_id(db, project_id, "t")
            created = Task(id=task_id, title=task.title, notes=task.notes, done=task.done, section_id=task.section_id,
                           due=task.due, start=task.start, position=float(task_id[1:]), created_at=self.now())
            self._put(db, project_id, "task", created)
            self._record(db, project_id, "new", task_id)
            if self._awaits(db, project_id, created):
                self._record(db, project_id, "awaiting", task_id)
        return created

    def update_task(self, project_id: str, current: Task, changes: dict[str, Any]) -> Task:
        self.stats.count("POST", "task")
        with self._tx() as db:
            task: Task = self._load(db, project_id, "task", current.id)
            before = task.model_copy()
            for field, value in changes.items():
                if field in TASK_FIELDS:
                    setattr(task, field, value)
            task.modified_at = self.now()
            self._put(db, project_id, "task", task)
            if task.done and not before.done:
                self._record(db, project_id, "completed", task.id)
            if task.due != before.due:
                self._record(db, project_id, "due", task.id, old=before.due and before.due.isoformat(),
                             new=task.due and task.due.isoformat())
            if self._awaits(db, project_id, task) and not self._awaits(db, project_id, before):
                self._record(db, project_id, "awaiting", task.id)
        return task

    def remove_task(self, project_id: str, task: Task, mode: Removal) -> None:
        self.stats.count("POST", "task")
        view = self.view(project_id)
        with self._tx() as db:
            self._delete(db, project_id, "task", [task.id])
            self._delete(db, project_id, "comment", [c.id for c in view.comments_of(task.id)])
            self._delete(db, project_id, "attachment",
                           [a.id for a in view.attachments.values() if a.task_id == task.id])

    # -- comments and files -------------------------------------------------

    def create_comment(self, project_id: str, task_id: str, text: str) -> Comment:
        self.stats.count("POST", "comment")
        with self._tx() as db:
            self._load(db, project_id, "task", task_id)
            comment = Comment(id=self._next_id(db, project_id, "c"), task_id=task_id, text=text,
                              author=Person(id=self.settings.from_address, name=self.settings.from_name or "",
                                            email=self.settings.from_address),
                              created_at=self.now())
            self._put(db, project_id, "comment", comment)
            self._record(db, project_id, "comment", task_id, id=comment.id)
        return comment

    def update_comment(self, project_id: str, comment: Comment, text: str) -> Comment:
        """A message already sent cannot change: the view's comment takes the new text (keeping its id, so the
        pair holds and the edit lands in one cycle) and is recorded again, so the next digest sends it as new."""
        self.stats.count("POST", "comment")
        with self._tx() as db:
            stored: Comment = self._load(db, project_id, "comment", comment.id)
            stored.text, stored.created_at = text, self.now()
            self._put(db, project_id, "comment", stored)
            self._record(db, project_id, "comment", stored.task_id, id=stored.id)
        return stored

    def remove_comment(self, project_id: str, comment: Comment) -> None:
        self.stats.count("POST", "comment")
        with self._tx() as db:
            self._delete(db, project_id, "comment", [comment.id])

    def create_attachment(self, project_id: str, task_id: str, name: str, url: str) -> Attachment:
        self.stats.count("POST", "attachment")
        with self._tx() as db:
            self._load(db, project_id, "task", task_id)
            attachment = Attachment(id=self._next_id(db, project_id, "a"), task_id=task_id, name=name, url=url,
                                    created_at=self.now())
            self._put(db, project_id, "attachment", attachment)
            self._record(db, project_id, "file", task_id, id=attachment.id)
        return attachment

    def remove_attachment(self, project_id: str, attachment: Attachment) -> None:
        self.stats.count("POST", "attachment")
        with self._tx() as db:
            self._delete(db, project_id, "attachment", [attachment.id])

    # -- outgoing mail ------------------------------------------------------

    def reply_address(self, project_id: str, task_id: str) -> str:
        expires = (self.now().date() - EPOCH).days + self.settings.reply_token_days
        return tokens.reply_address(self.settings.signing_key.get_secret_value(), self.name, project_id, task_id,
                                    expires, self.settings.reply_domain)

    def cycle_finished(self, project_id: str) -> None:
        """After the cycle's writes: approval requests at once (``approve_now``), then the digest when due.

        A message the relay refuses is held and tried again with a growing pause (``retry``); the other
        messages still go. While any message is held the cycle fails with that error, after all its work is
        done, so the failure stays visible (``pm-bridge status``, the failing-cycles alert) without
        blocking anything else (docs/email.md, "When sending fails")."""
        self.send_approvals(project_id)
        self.send_digest_if_due(project_id)
        with self._tx() as db:
            held = list((mailbox.meta(db, self.name, project_id, "approvals_held") or {}).values())
            digest_hold = mailbox.meta(db, self.name, project_id, "digest_held")
        holds = held + ([digest_hold] if digest_hold else [])
        if holds:
            raise Transient(secrets.redact(retry.summary(holds)),
                            hint="check the client's addresses (email.addresses) and the relay's log")

    def _send(self, message: EmailMessage) -> None:
        self.stats.count("SMTP", "send")
        outbound.send(self.settings.smtp, message, self.settings.addresses)

    def _message_id(self, kind: str, number: int | None = None) -> str:
        """``<kind[-number.stamp].connection@reply domain>``; without a number, the stable id of a thread."""
        unique = f"-{number}.{int(self.now().timestamp())}" if number is not None else ""
        return f"<{kind}{unique}.{re.sub(r'[^A-Za-z0-9-]', '-', self.name)}@{self.settings.reply_domain}>"

    def send_approvals(self, project_id: str) -> int:
        with self._tx() as db:
            upto = int(mailbox.meta(db, self.name, project_id, "approvals_upto") or 0)
            held: dict[str, dict[str, Any]] = dict(mailbox.meta(db, self.name, project_id, "approvals_held") or {})
        pending = [c for c in mailbox.changes(self._bind(), self.name, project_id, upto) if c[1] == "awaiting"]
        if not pending and not held:
            return 0
        if not self.settings.approve_now:  # the digest lists them; switching approve_now on later sends no backlog
            with self._tx() as db:
                if pending:
                    mailbox.set_meta(db, self.name, project_id, "approvals_upto", pending[-1][0])
                mailbox.set_meta(db, self.name, project_id, "approvals_held", None)
            return 0
        view = self.view(project_id)
        waiting = {t.id for t in digests.awaiting_tasks(view, self.settings.approval_sections)}
        now = self.now()
        # A held request for an item no longer shared or waiting has nothing left to say: it is dropped.
        still = {key: hold for key, hold in held.items() if hold.get("task_id") in waiting}
        if still != held:
            held = still
            with self._tx() as db:
                mailbox.set_meta(db, self.name, project_id, "approvals_held", held or None)
        # Held ones (refused before) first, when their pause is over; then the new ones, in order.
        todo = [(int(key), str(hold["task_id"])) for key, hold in held.items()] + [(c[0], c[2]) for c in pending]
        sent = 0
        for change_id, task_id in todo:
            hold = held.get(str(change_id))
            if not retry.due(hold, now):
                continue
            if task_id in waiting:  # still shared and still waiting: otherwise nothing goes out
                task = view.tasks[task_id]
                section = view.sections.get(task.section_id or "")
                item = digests.DigestItem(task_id=task.id, title=task.title, section=section.name if section else "",
                                          reply_to=self.reply_address(project_id, task.id), due=task.due, notes=task.notes)
                message = render.approval_message(self.settings, self._templates, view.project_name, item,
                                                  self._message_id(f"approval-{task.id}", change_id), now)
                message["References"] = self._message_id(f"item-{task.id}")  # one thread per item in her mail program
                try:
                    self._send(message)
                    held.pop(str(change_id), None)
                    sent += 1
                except Transient as exc:  # this message waits; the others still go (docs/email.md)
                    held[str(change_id)] = retry.after_failure(hold, now, str(exc), task_id=task_id)
                    log.warning("email not delivered: %s", exc, extra={"connection": self.name, "item": task_id})
            else:
                held.pop(str(change_id), None)
            with self._tx() as db:  # one by one: a sent message is never sent twice
                if change_id > upto:
                    upto = change_id
                    mailbox.set_meta(db, self.name, project_id, "approvals_upto", change_id)
                mailbox.set_meta(db, self.name, project_id, "approvals_held", held or None)
        return sent

    def digest(self, project_id: str) -> tuple[digests.Digest, int]:
        """The digest of what changed since the last one, and the last change it covers."""
        with self._tx() as db:
            upto = int(mailbox.meta(db, self.name, project_id, "digest_upto") or 0)
        rows = mailbox.changes(self._bind(), self.name, project_id, upto)
        changes = [digests.Change(id=r[0], kind=r[1], task_id=r[2], data=r[3]) for r in rows]
        view = self.view(project_id)
        built = digests.build_digest(changes, view, self.settings.approval_sections,
                                     lambda task_id: self.reply_address(project_id, task_id))
        return built, (rows[-1][0] if rows else upto)

    def send_digest_if_due(self, project_id: str) -> bool:
        now = self.now()
        with self._tx() as db:
            since_text = mailbox.meta(db, self.name, project_id, "digest_at") or mailbox.meta(
                db, self.name, project_id, "started_at")
            hold = mailbox.meta(db, self.name, project_id, "digest_held")
        since = dt.datetime.fromisoformat(since_text) if since_text else now
        if not digests.digest_due(now, since, self.settings.schedule) or not retry.due(hold, now):
            return False
        built, upto = self.digest(project_id)
        if not built.empty:
            message = render.digest_message(self.settings, self._templates, built, since,
                                            self._message_id("digest", upto), now)
            try:
                self._send(message)
            except Transient as exc:  # held: tried again later, covering what changed meanwhile too
                with self._tx() as db:
                    mailbox.set_meta(db, self.name, project_id, "digest_held", retry.after_failure(hold, now, str(exc)))
                log.warning("email not delivered: %s", exc, extra={"connection": self.name, "item": "digest"})
                return False
        with self._tx() as db:
            mailbox.set_meta(db, self.name, project_id, "digest_at", now.isoformat())
            mailbox.set_meta(db, self.name, project_id, "digest_upto", upto)
            mailbox.set_meta(db, self.name, project_id, "digest_held", None)
        return not built.empty


def _revision(state: PullState | None, project_id: str) -> int | None:
    """The view revision a cursor names, or None when there is none to trust."""
    if state is None or state.snapshot is None or state.snapshot.project_id != project_id or not state.cursor:
        return None
    kind, _, number = state.cursor.partition(":")
    return int(number) if kind == "rev" and number.isdigit() else None
