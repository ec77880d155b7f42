"""``pm-bridge webhooks register|list|remove`` against the four emulators served over loopback HTTP.

A stand-in for the daemon (tests/webhooks/conftest.py: Receiver) answers the
emulators' handshakes, HEAD checks and deliveries in-process, keeping Asana's
secret in the state store as the daemon does.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli.app import app
from bridge.core.ports import NewTask, Webhook, WebhookRegistry
from bridge.store import Store
from bridge.webhook_tokens import webhook_token
from connectors import asana, basecamp, github, trello
from connectors.emulation.sandbox import Sandbox
from connectors.emulation.webhooks import to_receiver
from tests.cli.conftest import link_yaml
from tests.webhooks.conftest import MASTER, PUBLIC, Receiver, Served, serve

TOOLS = ("asana", "trello", "github", "basecamp")
_names = itertools.count(1)


@pytest.fixture(scope="module")
def tools() -> Iterator[dict[str, Served]]:
    servers = {"asana": serve(asana.Sandbox()), "trello": serve(trello.Sandbox()), "github": serve(github.Sandbox()),
               "basecamp": serve(basecamp.Sandbox())}
    yield servers
    for one in servers.values():
        one.stop()


def connection_yaml(name: str, sandbox: Sandbox, *, app_secret: bool = True) -> str:
    config = sandbox.connection("bridge")
    lines = [f"  {name}:", f"    kind: {config.kind}", f"    base_url: {config.base_url}"]
    for key in ("token", "key", "webhook_secret"):
        value = getattr(config, key)
        if value is not None and (key != "webhook_secret" or app_secret):
            lines.append(f"    {key}: {value.get_secret_value()}")
    lines += [f"    {key}: '{getattr(config, key)}'" for key in ("account_id", "user_agent") if getattr(config, key)]
    return "\n".join(lines) + "\n"


@dataclass
class Bed:
    """Two links over the four served tools: acme (asana → trello) and beta (github → basecamp)."""

    config: Path
    tools: dict[str, Served]
    projects: dict[str, str]
    receiver: Receiver
    store: Store

    def hooks(self, kind: str) -> list[Webhook]:
        connector = self.tools[kind].sandbox.connector("bridge")
        assert isinstance(connector, WebhookRegistry)
        return connector.list_webhooks(self.projects[kind])

    def change_everywhere(self) -> None:
        for kind in TOOLS:
            self.tools[kind].sandbox.connector("human").create_task(self.projects[kind], NewTask(title="webhook me"))


@pytest.fixture
def bed(tools: dict[str, Served], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bed]:
    n = next(_names)
    projects = {kind: served.sandbox.create_project(f"Project {kind} {n}", ["Design"]) for kind, served in tools.items()}
    connections = "".join(connection_yaml(kind, served.sandbox) for kind, served in tools.items())
    links = link_yaml("acme", ("asana", projects["asana"]), ("trello", projects["trello"]))
    links += link_yaml("beta", ("github", projects["github"]), ("basecamp", projects["basecamp"]))
    config = tmp_path / "pm-bridge.yaml"
    config.write_text(f"state: sqlite:///state.db\nconnections:\n{connections}links:\n" +
                      "".join(f"  {line}\n" for line in links.splitlines()))
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    receiver = Receiver({"acme/internal": "asana", "acme/client": "trello", "beta/internal": "github",
                         "beta/client": "basecamp"}, store=store)
    trello_secret = tools["trello"].sandbox.connection().webhook_secret
    assert trello_secret is not None
    receiver.app_secrets["acme/client"] = trello_secret.get_secret_value()
    for served in tools.values():
        served.sandbox.emulator.outbox.use(to_receiver(receiver))
    monkeypatch.setenv("PM_BRIDGE_WEBHOOK_SECRET", MASTER)
    try:
        yield Bed(config, tools, projects, receiver, store)
    finally:
        store.close()


def run(bed: Bed, *args: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "240"}).invoke(app, ["webhooks", *args, "--config", str(bed.config)])
    return result.exit_code, result.output


def tokens() -> list[str]:
    return [webhook_token(MASTER, link, side) for link in ("acme", "beta") for side in ("internal", "client")]


def test_register_list_remove_and_deliveries_reach_the_receiver(bed: Bed) -> None:
    code, out = run(bed, "register", "--public-url", PUBLIC)
    assert code == 0, out
    assert out.count("registered") == 4 and "✓ acme/internal (asana)" in out and "✓ beta/client (basecamp)" in out
    assert not any(token in out for token in tokens()) and MASTER not in out
    assert all(len(bed.hooks(kind)) == 1 for kind in TOOLS)
    assert isinstance(bed.store.link_meta("acme").get("webhook_secret.internal"), str)  # Asana's handshake went through

    code, out = run(bed, "register", "--public-url", PUBLIC)
    assert code == 0 and out.count("already registered") == 4, out
    assert all(len(bed.hooks(kind)) == 1 for kind in TOOLS)

    for served in bed.tools.values():
        served.sandbox.emulator.deliver_pending()
    bed.receiver.verdicts.clear()
    bed.change_everywhere()
    for served in bed.tools.values():
        assert all(a.status == 200 for a in served.sandbox.emulator.deliver_pending())
    assert set(bed.receiver.triggered()) == {"acme/internal", "acme/client", "beta/internal", "beta/client"}

    code, out = run(bed, "list", "--public-url", PUBLIC)
    assert code == 0, out
    assert out.count("/hooks/") == 4 and out.count(" yes ") >= 4 and not any(token in out for token in tokens())

    code, out = run(bed, "remove", "--public-url", PUBLIC)
    assert code == 0 and out.count("removed 1") == 4, out
    assert all(bed.hooks(kind) == [] for kind in TOOLS)
    assert bed.store.link_meta("acme").get("webhook_secret.internal") is None


def test_a_new_master_secret_replaces_the_stale_webhooks(bed: Bed, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(bed, "register", "--public-url", PUBLIC, "--link", "beta")[0] == 0
    monkeypatch.setenv("PM_BRIDGE_WEBHOOK_SECRET", MASTER + "-rotated")
    code, out = run(bed, "register", "--public-url", PUBLIC, "--link", "beta")
    assert code == 0 and out.count("replaced 1") == 2, out
    hook = bed.hooks("github")[0]
    assert hook.callback_url.endswith(webhook_token(MASTER + "-rotated", "beta", "internal"))
    assert bed.hooks("asana") == []  # --link beta left acme alone
    assert run(bed, "remove", "--public-url", PUBLIC, "--link", "beta")[0] == 0


def test_user_errors_name_the_missing_setting(bed: Bed, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(bed, "register")
    assert code == 2 and "no public URL" in out and "--public-url" in out
    monkeypatch.delenv("PM_BRIDGE_WEBHOOK_SECRET")
    code, out = run(bed, "register", "--public-url", PUBLIC)
    assert code == 2 and "daemon.webhook_secret" in out
    code, out = run(bed, "register", "--public-url", "ftp://bridge.test")
    assert code == 2
    assert all(bed.hooks(kind) == [] for kind in TOOLS)


def test_a_tool_refusal_fails_that_side_only(bed: Bed) -> None:
    # Basecamp takes only HTTPS payload URLs; the others accept this one.
    code, out = run(bed, "register", "--public-url", "http://bridge.test")
    assert code == 1, out
    assert "✗ beta/client (basecamp)" in out and out.count("registered") == 3
    assert bed.hooks("basecamp") == [] and len(bed.hooks("github")) == 1
    assert run(bed, "remove", "--public-url", "http://bridge.test")[0] == 0


def test_trello_without_an_app_secret_is_refused_before_registering(bed: Bed) -> None:
    text = bed.config.read_text()
    secret = bed.tools["trello"].sandbox.connection().webhook_secret
    assert secret is not None
    bed.config.write_text(text.replace(f"    webhook_secret: {secret.get_secret_value()}\n", ""))
    code, out = run(bed, "register", "--public-url", PUBLIC, "--link", "acme")
    assert code == 1 and "✗ acme/client (trello)" in out and "webhook_secret" in out, out
    assert bed.hooks("trello") == [] and len(bed.hooks("asana")) == 1
    assert run(bed, "remove", "--public-url", PUBLIC, "--link", "acme")[0] == 0
