"""`pm-bridge alerts test` reaches each channel; `pm-bridge sync` alerts on a guard stop and a refused credential."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from bridge.cli.app import app
from connectors.emulation.sandbox import USERS
from tests.alerts.conftest import SMTP_PASSWORD, Hook, Mailbox, alerts_config
from tests.daemon.conftest import REVOKED, Tool

runner = CliRunner()


def write_config(folder: Path, alerts: dict[str, Any], links: dict[str, tuple[str, ...]] | None = None,
                 tool: Tool | None = None) -> Path:
    data: dict[str, Any] = {"state": f"sqlite:///{folder / 'state.db'}", "alerts": alerts}
    if tool is not None and links:
        data["connections"] = {
            "agency": {"kind": "memory", "base_url": tool.base_url, "token": USERS["bridge"].token},
            "revoked": {"kind": "memory", "base_url": tool.base_url, "token": REVOKED},
        }
        data["links"] = {
            name: {"internal": {"connection": "agency", "project": sides[0]},
                   "client": {"connection": sides[2] if len(sides) > 2 else "agency", "project": sides[1]},
                   "mirror": {"sections": {"Design": {"access": "unlocked"}}, "access": {"type": "label"}}}
            for name, sides in links.items()
        }
    path = folder / "pm-bridge.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_alerts_test_sends_to_each_channel(tmp_path: Path, mailbox: Mailbox, hook: Hook) -> None:
    config = write_config(tmp_path, alerts_config(mailbox, hook))
    result = runner.invoke(app, ["alerts", "test", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "✓ email: test alert sent to ops@agency.example, lead@agency.example through 127.0.0.1" in result.output
    assert "✓ webhook: test alert sent" in result.output
    (message,) = mailbox.messages
    assert message["Subject"] == "pm-bridge: test alert" and "What to do: nothing" in message.get_content()
    assert hook.bodies[0]["text"].startswith("*pm-bridge: test alert*")
    assert SMTP_PASSWORD not in result.output and hook.url not in result.output


def test_alerts_test_says_which_channel_failed(tmp_path: Path, mailbox: Mailbox, hook: Hook) -> None:
    hook.status = 404
    config = write_config(tmp_path, alerts_config(mailbox, hook))
    result = runner.invoke(app, ["alerts", "test", "-c", str(config)])
    assert result.exit_code == 1, result.output
    assert "✓ email" in result.output and "✗ webhook: RuntimeError: the webhook answered 404" in result.output
    assert "sentinel-secret-7f3e" not in result.output


def test_alerts_test_without_a_channel_is_a_user_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["alerts", "test", "-c", str(write_config(tmp_path, {}))])
    assert result.exit_code == 2, result.output
    assert "no alert channel is configured" in result.output and "alerts.email" in result.output


def test_an_invalid_alerts_section_names_the_key_without_echoing_the_secret(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"webhook": {"url": "hooks.example/T0/B0/not-a-url-secret"}, "min_interval": "soon"})
    result = runner.invoke(app, ["alerts", "test", "-c", str(config)])
    assert result.exit_code == 2, result.output
    assert "alerts.webhook.url" in result.output and "alerts.min_interval" in result.output
    assert "not-a-url-secret" not in result.output


def test_sync_alerts_on_a_refused_credential_and_a_guard_stop(tmp_path: Path, mailbox: Mailbox) -> None:
    tool = Tool()
    internal = tool.agency_project(shared=4)
    links = {
        "acme": (internal, tool.sandbox.create_project("Acme client", [])),
        "beta": (tool.agency_project(), tool.sandbox.create_project("Beta client", []), "revoked"),
    }
    config = str(write_config(tmp_path, alerts_config(mailbox), links, tool))
    first = runner.invoke(app, ["sync", "-c", config])
    assert first.exit_code == 1, first.output
    assert [m["Subject"] for m in mailbox.messages] == ["pm-bridge: link beta cannot sign in"]
    assert "alert sent by email: pm-bridge: link beta cannot sign in" in first.output
    assert REVOKED not in mailbox.messages[0].get_content()

    anna = tool.sandbox.connector("human")
    snapshot = anna.pull(internal).snapshot
    build = next(s.id for s in snapshot.sections.values() if s.name == "Build")
    for task in list(snapshot.tasks.values())[:3]:
        anna.update_task(internal, task, {"section_id": build})
    for _ in range(2):  # the second guard stop is the same condition: no second message
        assert runner.invoke(app, ["sync", "-c", config, "--link", "acme"]).exit_code == 3
    assert [m["Subject"] for m in mailbox.messages][1:] == ["pm-bridge: link acme was stopped by the removal guard"]
    assert "--confirm-removals" in mailbox.messages[1].get_content()
    confirmed = runner.invoke(app, ["sync", "-c", config, "--link", "acme", "--confirm-removals"])
    assert confirmed.exit_code == 0, confirmed.output
    (resolved,) = mailbox.messages[2:]
    assert resolved["Subject"] == "pm-bridge: resolved: link acme runs again (the removal guard no longer stops it)"


def test_a_config_reload_turns_alerts_on_in_a_running_daemon(tmp_path: Path, hook: Hook) -> None:
    from bridge.config.load import load_config
    from bridge.daemon import Daemon

    tool = Tool()
    links = {"beta": (tool.agency_project(), tool.sandbox.create_project("Beta client", []), "revoked")}
    path = write_config(tmp_path, {}, links, tool)
    daemon = Daemon(load_config(path), config_path=path)
    try:
        assert not daemon.alerter.enabled and daemon.runner.tick("beta") == "failed"
        write_config(tmp_path, alerts_config(hook=hook), links, tool)
        assert daemon.reload()
        daemon.runtime.store.set_link_meta("beta", **{"daemon.backoff": None})  # due again at once
        assert daemon.runner.tick("beta") == "failed"
        daemon.alerter.flush()
        assert [body["text"].splitlines()[0] for body in hook.bodies] == ["*pm-bridge: link beta cannot sign in*"]
    finally:
        daemon.stop()
