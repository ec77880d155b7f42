"""``pm-bridge demo --clients 2``: one internal project, two clients in two different tools.

Anna shares some work with every client, some with one client by name; Acme's
and Globex's people each comment, ask for something new (Acme also approves).
The demo ends with its own check: neither client's tool received anything
hidden from it, nor anything the other client wrote, and one client's approval
never shows as approved to the other (docs/mirror-rules.md "Several clients on one project").
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bridge.clock import VirtualClock
from bridge.config.schema import Config, LinkConfig
from bridge.core.ports import Connector, NewTask
from bridge.core.rules import LinkRules
from bridge.demo.emulate import sandbox_for
from bridge.demo.seed import (
    CLIENT_APPROVES,
    CLIENT_COMMENT,
    CLIENT_REQUEST,
    CLIENT_REQUEST_NOTES,
    HIDDEN_PHRASES,
    access_source,
    demo_rules,
    play_client,
    seed_agency_project,
)
from bridge.demo.story import Checks, play_and_report
from bridge.demo.view import TOOL_NAMES
from bridge.errors import ConfigError
from bridge.runtime import Runtime, build_runtime
from bridge.sync.progress import Progress
from connectors.emulation.sandbox import Sandbox

# Work Anna shares with one client by name: each must reach that client only.
FOR_ACME = "Acme brand refresh"  # in an unlocked section: the name still keeps it from Globex
FOR_GLOBEX = "Globex press kit"  # in a locked section, shared by name
GLOBEX_COMMENT = "Our launch date moves to May 3, keep it quiet"
GLOBEX_REQUEST = "Localise the site into German"
GLOBEX_REQUEST_NOTES = "Our Berlin office will review the copy."


@dataclass
class Client:
    name: str
    kind: str
    sandbox: Sandbox
    person: Connector
    project: str = ""

    @property
    def tool(self) -> str:
        return TOOL_NAMES.get(self.kind, self.kind)


def _seen(requests: Sequence[object], phrases: list[str]) -> list[str]:
    """Phrases found in any request, read raw and URL/form-decoded."""
    found: set[str] = set()
    for request in requests:
        text = str(getattr(request, "text", "") or "")
        readable = text + "\n" + urllib.parse.unquote_plus(text)
        found |= {phrase for phrase in phrases if phrase in readable}
    return sorted(found)


class ClientsDemo:
    def __init__(self, console: Console, internal_kind: str, client_kinds: tuple[str, str], folder: Path) -> None:
        if internal_kind == "basecamp":
            raise ConfigError(
                "demo --clients 2 needs an internal tool with labels or custom fields",
                hint="use --internal asana, trello or github (Basecamp approvals are sections, one per client)",
            )
        self.console = console
        self.clock = VirtualClock()
        self.internal_kind = internal_kind
        self.agency = sandbox_for(internal_kind, self.clock)
        self.anna = self.agency.connector("human", "anna")
        self.clients = [
            Client(name, kind, sb := sandbox_for(kind, self.clock), sb.connector("client", "carla"))
            for name, kind in zip(("acme", "globex"), client_kinds, strict=True)
        ]
        self.rules = demo_rules(internal_kind)
        self.state_url = f"sqlite:///{folder / 'state.db'}"
        self.checks = Checks()
        self.runtime: Runtime | None = None

    def build_runtime(self, internal_project: str) -> Runtime:
        """Two links on one internal project, through a Config as a user's file would give them."""
        rules = {name: getattr(self.rules, name) for name in LinkRules.model_fields}
        links = {
            c.name: LinkConfig.model_validate(
                {
                    "internal": {"connection": "agency", "project": internal_project},
                    "client": {"connection": c.name, "project": c.project},
                    **rules,
                }
            )
            for c in self.clients
        }
        connections = {"agency": self.agency.connection("bridge")} | {
            c.name: c.sandbox.connection("bridge") for c in self.clients
        }
        config = Config(state=self.state_url, connections=connections, links=links)
        transports = {"agency": self.agency.emulator.transport()} | {c.name: c.sandbox.emulator.transport() for c in self.clients}
        return build_runtime(config, listeners=[Progress(self.console)], transports=transports, clock=self.clock)

    def sync_all(self, runtime: Runtime) -> bool:
        return all(runtime.engine.run(runtime.links[c.name]).ok for c in self.clients)

    def step(self, number: int, text: str) -> None:
        self.console.print()
        self.console.rule(f"[bold]{number}. {text}", align="left")

    def seed(self) -> str:
        seeded = seed_agency_project(self.agency, self.anna, self.internal_kind)
        project = seeded.project_id
        source = access_source(self.internal_kind)
        if source.type == "custom_field":
            self._add_client_options(project, source.field)
        sections = {s.name: s.id for s in self.anna.pull(project).snapshot.sections.values()}
        for title, section, client in ((FOR_ACME, "Design", "acme"), (FOR_GLOBEX, "Build", "globex")):
            marker = source.named_marker(client)
            fields: dict[str, object] = (
                {"custom_fields": {source.field: marker}} if source.type == "custom_field" else {"labels": [marker]}
            )
            self.anna.create_task(project, NewTask(title=title, section_id=sections[section], **fields))
        return project

    def _add_client_options(self, project: str, field_name: str) -> None:
        """Anna adds an option per client to the access field (docs/mirror-rules.md "Several clients on one project")."""
        from connectors.asana.emulator.model import EnumOption

        emulator = self.agency.emulator
        with emulator.lock:
            store = emulator.store  # type: ignore[attr-defined]
            for gid in store.project(project).field_settings:
                custom = store.fields[gid]
                if custom.name == field_name:
                    custom.options += [EnumOption(store.new_gid(), c.name, "blue") for c in self.clients]

    def play(self) -> bool:
        ck = self.checks
        acme, globex = self.clients
        self.step(1, f"Anna sets up one project in {TOOL_NAMES.get(self.internal_kind, self.internal_kind)} for two clients")
        project = self.seed()
        for client in self.clients:
            client.project = client.sandbox.create_project(f"{client.name.title()} x Agency", [])
        self.console.print(
            f"{FOR_ACME!r} is shared with acme only, {FOR_GLOBEX!r} with globex only; "
            f"acme works in {acme.tool}, globex in {globex.tool}."
        )
        runtime = self.runtime = self.build_runtime(project)

        self.step(2, "First sync of both links")
        ck.add("first sync of both links succeeded", self.sync_all(runtime))

        self.step(3, "Each client works in its own tool")
        approval = self.rules.inbound.approval.client_section if self.rules.inbound.approval else "Approved"
        for action in play_client(acme.person, acme.project, approval):
            self.console.print(f"  • acme {action}")
        snap = globex.person.pull(globex.project).snapshot
        card = next(t for t in snap.tasks.values() if t.parent_id is None)
        globex.person.create_comment(globex.project, card.id, f"#client {GLOBEX_COMMENT}")
        globex.person.create_task(
            globex.project, NewTask(title=GLOBEX_REQUEST, notes=GLOBEX_REQUEST_NOTES, section_id=card.section_id)
        )
        self.console.print(f"  • globex commented on {card.title!r} (typing #client) and asked for {GLOBEX_REQUEST!r}")

        self.step(4, "Two more syncs: input comes back, each to its own client")
        ck.add("later syncs succeeded", self.sync_all(runtime) and self.sync_all(runtime))
        self.check(project)
        return ck.passed

    def check(self, project: str) -> None:
        ck = self.checks
        acme, globex = self.clients
        written = {
            "acme": [CLIENT_COMMENT, CLIENT_REQUEST, CLIENT_REQUEST_NOTES, FOR_ACME],
            "globex": [GLOBEX_COMMENT, GLOBEX_REQUEST, GLOBEX_REQUEST_NOTES, FOR_GLOBEX],
        }
        for client, other in ((acme, globex), (globex, acme)):
            requests = list(client.sandbox.emulator.requests)
            leaked = _seen(requests, HIDDEN_PHRASES)
            ck.add(
                f"nothing hidden reached {client.name}'s {client.tool}",
                not leaked,
                f"{len(requests)} requests read" + (f"; found: {', '.join(leaked)}" if leaked else ""),
            )
            foreign = _seen(requests, written[other.name])
            ck.add(
                f"nothing of {other.name}'s reached {client.name}'s {client.tool}",
                not foreign,
                ", ".join(foreign) if foreign else f"{len(requests)} requests read",
            )
        acme_snap = acme.person.pull(acme.project).snapshot
        globex_snap = globex.person.pull(globex.project).snapshot
        for client, snap, mine in (
            (acme, acme_snap, (FOR_ACME, CLIENT_REQUEST)),
            (globex, globex_snap, (FOR_GLOBEX, GLOBEX_REQUEST)),
        ):
            titles = {t.title for t in snap.tasks.values()}
            ck.add(
                f"{client.name} sees what is shared with it by name, and its own request",
                set(mine) <= titles,
                ", ".join(sorted(set(mine) - titles)),
            )
        approved = {
            s.id
            for s in globex_snap.sections.values()
            if s.name == (self.rules.inbound.approval.client_section if self.rules.inbound.approval else "")
        }
        shown = [t.title for t in globex_snap.tasks.values() if t.section_id in approved]
        ck.add(
            f"acme's approval of {CLIENT_APPROVES!r} is not globex's",
            CLIENT_APPROVES not in shown,
            ", ".join(shown) or "globex's approval list is empty",
        )
        internal = self.anna.pull(project).snapshot
        came = [t for t in internal.tasks.values() if t.title.startswith((CLIENT_REQUEST, GLOBEX_REQUEST))]
        ck.add("both requests came back to the agency", len(came) == 2, ", ".join(t.title for t in came))

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.close()
        self.anna.close()
        for client in self.clients:
            client.person.close()


def other_tool(first: str) -> str:
    """The second client's tool: a different one from the first client's."""
    return "basecamp" if first != "basecamp" else "trello"


def run_clients_demo(console: Console | None = None, internal_kind: str = "asana", client_kind: str = "trello") -> int:
    """Play the two-client demo; 0 when every check held, 1 otherwise."""
    console = console or Console(highlight=False)
    started = time.monotonic()
    kinds = (client_kind, other_tool(client_kind))
    console.rule(
        f"[bold]pm-bridge demo: one {TOOL_NAMES.get(internal_kind, internal_kind)} project, "
        f"two clients ({TOOL_NAMES.get(kinds[0], kinds[0])} and {TOOL_NAMES.get(kinds[1], kinds[1])})"
    )
    return play_and_report(
        console,
        lambda folder: ClientsDemo(console, internal_kind, kinds, folder),
        started,
        "[green]All checks held: neither client saw the other's input or anything hidden. Finished in {elapsed:.1f}s.[/green]",
    )
