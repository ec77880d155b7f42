"""``pm-bridge emulate``: one tool's emulator with the sandbox users, optionally seeded with the demo project."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import httpx
import yaml
from cryptography.fernet import Fernet
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from bridge.auth.credential import SKEW_SECONDS
from bridge.auth.sealing import KEY_VARIABLE
from bridge.clock import Clock
from bridge.demo import emulated_auth
from bridge.demo.emulated_auth import EmulatedAuth
from bridge.demo.seed import AGENCY_PROJECT, CLIENT_PROJECT, demo_rules, seed_agency_project, setup_client_fields
from bridge.demo.view import TOOL_NAMES
from bridge.errors import ConfigError
from connectors.emulation import serve as serving
from connectors.emulation.sandbox import USERS, Sandbox, Who
from connectors.emulation.toolkit import Emulator
from connectors.registry import tool_module

DEFAULT_PORTS = {"asana": 8701, "trello": 8702, "github": 8703, "basecamp": 8704}


def emulated_tool(kind: str) -> ModuleType:
    """The tool's package, if this version ships its emulator and sandbox."""
    module: ModuleType = tool_module(kind)
    if not all(hasattr(module, name) for name in ("Emulator", "Sandbox", "build")):
        raise ConfigError(f"the {kind} emulator is not available in this version", hint="try asana or trello")
    return module


def sandbox_for(kind: str, clock: Clock | None = None) -> Sandbox:
    module = emulated_tool(kind)
    sandbox: Sandbox = module.Sandbox(module.Emulator(clock=clock), clock)
    return sandbox


@dataclass
class Rehearsal:
    kind: str
    base_url: str
    sandbox: Sandbox
    projects: dict[str, str] = field(default_factory=dict)  # description -> project id
    notes: list[str] = field(default_factory=list)
    auth: EmulatedAuth | None = None  # `--oauth`: the tool's authorization is served too (bridge/demo/emulated_auth.py)

    @property
    def emulator(self) -> Emulator:
        return self.sandbox.emulator

    def handle(self, request: httpx.Request) -> httpx.Response:
        """What the served port answers: the tool's API, and with ``--oauth`` its authorization (Launchpad too)."""
        if self.auth is None:
            return self.emulator.handle(request)
        return self.auth.handle(self.emulator, request)


def prepare(kind: str, host: str, port: int, *, seed: bool, clock: Clock | None = None, oauth_ttl: float | None = None,
            redirect_port: int = 8765, folder: Path | None = None) -> Rehearsal:
    """The emulator (not yet serving) with its users and, with ``seed``, the demo projects.

    With ``oauth_ttl``, the tool's authorization is switched on with tokens lasting that many seconds,
    and the printed config connects through it (``folder`` keeps a GitHub App's private key).
    """
    sandbox = sandbox_for(kind, clock)
    base_url = serving.served_url(sandbox.emulator, host, port)
    sandbox.emulator.base_url = base_url
    rehearsal = Rehearsal(kind, base_url, sandbox)
    if oauth_ttl is not None:
        rehearsal.auth = emulated_auth.enable(kind, sandbox, base_url, ttl=oauth_ttl, redirect_port=redirect_port,
                                              folder=folder or Path(tempfile.mkdtemp(prefix="pm-bridge-emulate-")))
    if seed:
        seeded = seed_agency_project(sandbox, sandbox.connector("human"), kind, uploads=False)
        rehearsal.projects[f"{AGENCY_PROJECT} (agency project, seeded by Anna)"] = seeded.project_id
        client_project = sandbox.create_project(CLIENT_PROJECT, [])
        setup_client_fields(sandbox, client_project)  # the Priority field the demo's link maps
        rehearsal.projects[f"{CLIENT_PROJECT} (empty client project)"] = client_project
        rehearsal.notes += [f"not seeded: {skip}" for skip in seeded.skipped]
    return rehearsal


def serve(rehearsal: Rehearsal, host: str, port: int, console: Console | None = None) -> None:
    """Serve the prepared emulator over HTTP until Ctrl+C."""
    if rehearsal.auth is None:
        serving.serve(rehearsal.emulator, host, port)
        return
    rehearsal.auth.say = (console or Console(highlight=False)).print
    try:
        serving.serve(rehearsal.emulator, host, port, handler=rehearsal.handle)
    finally:
        key = rehearsal.auth.connection.get("private_key_path")
        if isinstance(key, str):  # the GitHub App's key was made for this run only
            shutil.rmtree(Path(key).parent, ignore_errors=True)


def _secret(sandbox: Sandbox, who: Who, name: str) -> str | None:
    """One of a user's tool-specific credentials (Trello's API key and app secret), if the tool has it."""
    value = sandbox.extra_credentials(who).get(name)
    return value.get_secret_value() if hasattr(value, "get_secret_value") else None


def _credentials(sandbox: Sandbox) -> list[str]:
    lines = []
    for who, user in USERS.items():
        key = _secret(sandbox, who, "key")
        shown = f"token: {user.token}" + (f", key: {key}" if key else "")
        lines.append(f"  {who:<7} {user.name:<13} {shown}")
    return lines


def print_instructions(console: Console, rehearsal: Rehearsal) -> None:
    """Where the emulator listens, who can sign in, and the config lines that point at it."""
    tool = TOOL_NAMES.get(rehearsal.kind, rehearsal.kind)
    # Trello signs webhook deliveries with the app's OAuth secret: `webhooks register` and the daemon need it.
    app_secret = _secret(rehearsal.sandbox, "bridge", "webhook_secret")
    lines = [f"[bold]{tool} emulator[/bold] at {rehearsal.base_url}", "", "Sandbox users (tokens are only valid here):"]
    lines += [escape(line) for line in _credentials(rehearsal.sandbox)]
    if app_secret:
        lines += ["", f"App secret (signs webhook deliveries): {escape(app_secret)}"]
    if rehearsal.projects:
        lines += ["", "Projects:"] + [f"  {escape(name)}: {pid}" for name, pid in rehearsal.projects.items()]
    lines += [f"  [dim]{escape(note)}[/dim]" for note in rehearsal.notes]
    if rehearsal.auth is not None:
        lines += ["", *[escape(line) for line in connect_steps(rehearsal)]]
    console.print(Panel("\n".join(lines), title="pm-bridge emulate", expand=False))
    # Printed plainly, not in the panel, so it can be copied as it is.
    console.print("Put this in your config (the bridge signs in as its own user):")
    console.print(escape(config_block(rehearsal)), soft_wrap=True)
    console.print("Press Ctrl+C to stop; nothing is saved.", style="dim")


# Basecamp asks every integration to name itself and a contact in its User-Agent, and uses
# that contact to warn before blocking it; `pm-bridge check` warns about a placeholder one.
SHOWN_USER_AGENT = "Acme Agency sync (ops@acme-agency.example)"
_AGENT_NOTE = "  # your app's name and YOUR contact: Basecamp writes to it before blocking an integration"


def connect_steps(rehearsal: Rehearsal) -> list[str]:
    """How to rehearse ``pm-bridge connect`` against this emulator (``--oauth``)."""
    assert rehearsal.auth is not None
    name = f"{rehearsal.kind}-local"
    issuer = rehearsal.auth.issuer
    steps = [f"Authorization is on: access tokens last {issuer.access_ttl:.0f} s here "
             f"(pm-bridge renews {SKEW_SECONDS:.0f} s ahead); this window logs each one issued or renewed."]
    if not os.environ.get(KEY_VARIABLE):
        steps.append(f"1. export {KEY_VARIABLE}={Fernet.generate_key().decode()}   # a key for this rehearsal")
    else:
        steps.append(f"1. {KEY_VARIABLE} is set: stored tokens are sealed with it")
    if rehearsal.kind == "github":
        steps.append(f"2. pm-bridge connect {name}   (no browser: it mints the first installation token)")
    else:
        steps.append(f"2. pm-bridge connect {name}   (or --paste: open the address, paste back where it went)")
    if rehearsal.kind == "trello":  # no renewal: it is used until it runs out
        later = f"{issuer.access_ttl:.0f} s or more later: it has run out, connect again"
    else:
        later = f"{issuer.access_ttl - SKEW_SECONDS:.0f} s or more later: it is renewed first"
    steps.append(f"3. pm-bridge sync   (and again {later})")
    return steps + [f"Note: {note}" for note in rehearsal.auth.notes]


def config_block(rehearsal: Rehearsal) -> str:
    """The YAML that points a config at this emulator: the connection and, when seeded, a link between its projects.

    Complete as it stands: written into a config file, ``pm-bridge check`` passes against the running emulator.
    """
    name = f"{rehearsal.kind}-local"
    connection: dict[str, object] = {"kind": rehearsal.kind, "base_url": rehearsal.base_url,
                                     "token": USERS["bridge"].token}
    for key, value in rehearsal.sandbox.extra_credentials("bridge").items():
        connection[key] = value.get_secret_value() if hasattr(value, "get_secret_value") else value
    if "user_agent" in connection:
        connection["user_agent"] = SHOWN_USER_AGENT
    if rehearsal.auth is not None:  # `pm-bridge connect` gets the token: none in the config
        del connection["token"]
        connection |= rehearsal.auth.connection
    lines = ["connections:", f"  {name}:"]
    for key, value in connection.items():
        if isinstance(value, dict):
            lines.append(f"    {key}:")
            lines += [f"      {inner}: {item if isinstance(item, int) else _scalar(str(item))}" for inner, item in value.items()]
            continue
        lines.append(f"    {key}: {_scalar(str(value))}" + (_AGENT_NOTE if key == "user_agent" else ""))
    projects = list(rehearsal.projects.values())
    if len(projects) == 2:
        link = {"internal": {"connection": name, "project": projects[0]},
                "client": {"connection": name, "project": projects[1]},
                **demo_rules(rehearsal.kind).model_dump(mode="json", exclude_defaults=True)}
        lines += ["links:", textwrap.indent(yaml.safe_dump({"rehearsal": link}, sort_keys=False), "  ").rstrip()]
    return "\n".join(lines)


def _scalar(text: str) -> str:
    """``text`` as a YAML value: bare where YAML reads it back as the same text, quoted otherwise (an all-digit id)."""
    return text if "#" not in text and yaml.safe_load(text) == text else json.dumps(text)
