"""The Asana connector: full and incremental pulls of one project, plus single-item writes.

Incremental pulls read ``GET /events?resource=<project>&sync=<token>``. The
cursor is a small JSON document of ours: the sync token, the connector's own
user gid (to recognise its own changes) and the workspace gid (for people and
tags), so a pull with nothing new costs exactly one request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import httpx

from bridge import secrets
from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from bridge.core.model import Snapshot
from bridge.core.ports import TASK_FIELDS, Capabilities, CheckResult, DetailFilter, PullResult, PullState, with_file_limit
from bridge.errors import ConfigError
from bridge.http import HttpClient, PacingPolicy, RequestStats, budget_for, pacing_for
from connectors.asana.incremental import Incremental
from connectors.asana.limits import TEXT_LIMITS
from connectors.asana.reader import AsanaReader
from connectors.asana.webhook_admin import AsanaWebhookAdmin
from connectors.asana.writes import AsanaWrites

DEFAULT_BASE_URL = "https://app.asana.com/api/1.0"
# Asana's standard limit for premium domains (docs/_rate-limits); free domains get 150.
DEFAULT_RATE = (1500.0, 60.0)
# Asana's rate-limits guide ("Concurrent request limits"): 50 reads and 15 writes in flight per
# token; 15 caps both, well above the engine's workers, so Asana's requests may overlap.
PACING = PacingPolicy(concurrency=15)
# Asana allows 50 concurrent GETs per token; four keeps a pull polite next to other work.
WORKERS = 4
CURSOR_VERSION = 1
# "Asana supports attachments up to 100MB per file" (docs/files.md).
FILE_LIMIT = 100 * 1024 * 1024

CAPABILITIES = Capabilities(
    tool="asana",
    text_limits=TEXT_LIMITS,
    task_fields=TASK_FIELDS,
    subtask_fields=frozenset({"title", "notes", "done", "due", "start", "assignees"}),
    nested_depth=1,
    comments=True,
    edit_comments=True,
    attachments="file",
    file_limit=FILE_LIMIT,
    removal=frozenset({"archive", "delete"}),
    custom_fields=True,
)


@dataclass(frozen=True)
class Cursor:
    sync: str
    user: str
    workspace: str
    # Tasks whose comments and attachments the last pulls skipped (the caller's
    # detail filter did not want them): read as soon as it does.
    undetailed: tuple[str, ...] = ()

    def dump(self) -> str:
        return json.dumps({"v": CURSOR_VERSION, **asdict(self)}, sort_keys=True)

    @classmethod
    def load(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        try:
            raw = json.loads(text)
            if raw.get("v") != CURSOR_VERSION:
                return None
            undetailed = tuple(str(gid) for gid in raw.get("undetailed", ()))
            return cls(str(raw["sync"]), str(raw["user"]), str(raw["workspace"]), undetailed)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


class AsanaConnector(AsanaWrites, AsanaWebhookAdmin):
    capabilities = CAPABILITIES

    def __init__(self, name: str, client: HttpClient) -> None:
        self.name = name
        self.client = client
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix=f"asana-{name}")
        self.reader = AsanaReader(client, self._pool)
        self._init_writes()

    @property
    def stats(self) -> RequestStats:
        return self.client.stats

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.client.close()

    def check(self, project_id: str) -> CheckResult:
        me = self.whoami()
        name, _ = self.reader.project(project_id)
        # The field definitions too: check names a mapped field the project lacks (docs/custom-fields.md).
        return CheckResult(user=me.name or me.email or me.id, project_name=name, fields=self.reader.fields(project_id))

    def pull(self, project_id: str, state: PullState | None = None) -> PullResult:
        cursor = Cursor.load(state.cursor if state else None)
        previous = state.snapshot if state else None
        wants = state.detail if state else None
        if cursor is None or previous is None or previous.project_id != project_id or not previous.complete:
            return self._full(project_id, None, wants)
        batch = self.reader.events(project_id, cursor.sync)
        if batch.expired:
            # The 412 handed us a token positioned before the listing we are about to do.
            return self._full(project_id, batch.sync, wants)
        undetailed = set(cursor.undetailed)
        snapshot: Snapshot | None = previous
        if batch.changes:
            snapshot = Incremental(self.reader, previous, cursor.workspace, cursor.user).apply(batch.changes)
            if snapshot is None:
                return self._full(project_id, batch.sync, wants)
            undetailed &= set(snapshot.tasks)
            if any(name not in snapshot.fields for task in snapshot.tasks.values() for name in task.custom_fields):
                # A task holds a field added to the project since the last full pull: learn its definition.
                snapshot.fields = self.reader.fields(project_id)
        assert snapshot is not None
        if undetailed:
            # Tasks the caller now wants (newly shared, or the rules changed) get their comments read.
            due = sorted(undetailed & set(wants(snapshot) if wants else snapshot.tasks))
            if due:
                snapshot = snapshot.model_copy(deep=True) if snapshot is previous else snapshot
                self.reader.add_activity(snapshot, due)
                undetailed -= set(due)
        moved = Cursor(batch.sync, cursor.user, cursor.workspace, tuple(sorted(undetailed))).dump()
        self._remember(snapshot)
        return PullResult(snapshot=snapshot, cursor=moved, full=False)

    def pull_parts(self, project_id: str) -> Iterator[Snapshot]:
        """The whole project in parts (bridge/core/ports.PartedPull), for a caller that starts on the first."""
        name, workspace = self.reader.project(project_id)
        yield from self.reader.parts(self.name, project_id, name, workspace)

    def _full(self, project_id: str, sync: str | None, wants: DetailFilter | None) -> PullResult:
        me = self.whoami()
        name, workspace = self.reader.project(project_id)
        if sync is None:
            # Taken before listing, so whatever changes during the listing shows up next time.
            sync = self.reader.sync_token(project_id)
        snapshot, skipped = self.reader.snapshot(self.name, project_id, name, workspace, wants)
        self._remember(snapshot)
        return PullResult(snapshot=snapshot, cursor=Cursor(sync, me.id, workspace, tuple(sorted(skipped))).dump(), full=True)


def build(
    name: str,
    config: ConnectionConfig,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
) -> AsanaConnector:
    if config.token is None or not config.token.get_secret_value():
        raise ConfigError(
            f"connection {name!r}: Asana needs a token",
            hint="set token to a personal access token or OAuth token (e.g. token: ${ASANA_TOKEN})",
        )
    token = config.token.get_secret_value()
    secrets.register(token)
    rate, per = (config.rate_limit.requests, config.rate_limit.per_seconds) if config.rate_limit else DEFAULT_RATE
    client = HttpClient(
        tool="asana",
        base_url=config.base_url or DEFAULT_BASE_URL,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        budget=budget_for("asana", token, rate, per, clock),
        pacing=pacing_for("asana", token, PACING, clock),
        transport=transport,
        clock=clock,
        timeout=config.timeout,
        max_wait=config.max_wait,
    )
    connector = AsanaConnector(name, client)
    connector.capabilities = with_file_limit(CAPABILITIES, config.max_file_mb)
    return connector
