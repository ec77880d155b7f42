"""Alerts reach a real SMTP server and a real incoming webhook; a dead channel is logged, never raised."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bridge import secrets
from bridge.alerts.alerter import Alerter
from bridge.alerts.conditions import cycle_conditions
from bridge.alerts.model import Condition
from bridge.config.schema import AlertsConfig
from bridge.errors import AuthError
from bridge.store import Store
from tests.alerts.conftest import SMTP_PASSWORD, SMTP_USER, Hook, Mailbox, alerts_config, free_port

TOKEN = "1/1204-asana-token-ABCDEF123456"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield store
    store.close()


def rules_for(mailbox: Mailbox | None = None, hook: Hook | None = None, **rules: object) -> AlertsConfig:
    config = AlertsConfig.model_validate(alerts_config(mailbox, hook, **rules))
    # What load_config does for every secret it reads (bridge/config/load.py: register_secrets).
    for secret in (config.email.password if config.email else None, config.webhook.url if config.webhook else None):
        if secret is not None:
            secrets.register(secret.get_secret_value())
    return config


def test_an_email_alert_names_the_link_says_what_to_do_and_holds_no_token(mailbox: Mailbox, store: Store) -> None:
    secrets.register(TOKEN)
    rules = rules_for(mailbox)
    alerter = Alerter(rules, store)
    refused = AuthError(f"asana: the server refused the credential (401) on GET /projects?access_token={TOKEN}",
                        hint="check the asana token in your config or .env")
    sent = alerter.after_cycle("acme", "failed", error=str(refused), cause=refused, failures=1, connections=["agency"])
    assert [a.kind for a in sent] == ["credentials"]
    (message,) = mailbox.messages
    assert message["Subject"] == "pm-bridge: link acme cannot sign in"
    assert message["From"] == "pm-bridge@agency.example" and message["To"] == "ops@agency.example, lead@agency.example"
    assert mailbox.envelopes == [("pm-bridge@agency.example", ["ops@agency.example", "lead@agency.example"])]
    assert mailbox.logins == [(SMTP_USER, SMTP_PASSWORD)]
    body = message.get_content()
    assert "Link acme: a tool refused its credential (connections agency)" in body
    assert "What to do: check the asana token in your config or .env" in body and "pm-bridge check --link acme" in body
    raw = b"".join(mailbox.raw).decode()
    assert TOKEN not in raw + body and SMTP_PASSWORD not in raw + body and "access_token=***" in body
    assert message["X-PM-Bridge-Alert"] == "credentials; firing; links=acme"


def test_the_webhook_gets_slack_compatible_json(hook: Hook, store: Store) -> None:
    alerter = Alerter(rules_for(hook=hook), store)
    alerter.after_cycle("acme", "guarded", error="this cycle would remove 5 of 6 mirrored tasks", failures=0)
    (body,) = hook.bodies
    assert list(body) == ["text"]
    text = body["text"]
    assert text.startswith("*pm-bridge: link acme was stopped by the removal guard*\n")
    assert "would remove 5 of 6" in text and "pm-bridge sync --link acme --confirm-removals" in text
    assert "sentinel-secret-7f3e" not in text
    # The guard cleared: one resolution, then silence.
    alerter.after_cycle("acme", "ok", failures=0)
    alerter.after_cycle("acme", "ok", failures=0)
    assert len(hook.bodies) == 2 and "resolved: link acme runs again" in hook.bodies[1]["text"]


def test_both_channels_get_each_alert_and_a_dead_one_is_logged_not_raised(
    mailbox: Mailbox, hook: Hook, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    hook.status = 500
    alerter = Alerter(rules_for(mailbox, hook), store)
    with caplog.at_level(logging.INFO, logger="pm_bridge.alerts"):
        sent = alerter.observe([Condition(link="acme", kind="failing", active=True, detail="boom", action="look")])
    assert len(sent) == 1 and len(mailbox.messages) == 1 and len(hook.bodies) == 1
    failed = [r for r in caplog.records if r.getMessage() == "alert not delivered"]
    assert [(r.channel, r.error) for r in failed] == [("webhook", "RuntimeError: the webhook answered 500")]  # type: ignore[attr-defined]
    assert hook.url not in caplog.text

    dead = rules_for(**{**alerts_config(), "email": {"host": "127.0.0.1", "port": free_port(), "starttls": False,
                                                     "from": "a@b.example", "to": ["c@d.example"]}})
    with caplog.at_level(logging.WARNING, logger="pm_bridge.alerts"):
        assert Alerter(dead, store).observe([Condition(link="beta", kind="guard", active=True)]) != []
    assert any("ConnectionRefusedError" in getattr(r, "error", "") for r in caplog.records)


def test_starttls_is_required_when_asked_so_no_password_goes_out_in_clear(mailbox: Mailbox, store: Store) -> None:
    section = alerts_config(mailbox)
    section["email"]["starttls"] = True  # the test server offers no STARTTLS
    outcome = Alerter(rules_for(**section), store).send_trial("unit test")
    assert outcome["email"] is not None and "STARTTLS" in outcome["email"]
    assert mailbox.logins == [] and mailbox.messages == []


def test_the_state_survives_a_restart_and_is_shared(mailbox: Mailbox, tmp_path: Path) -> None:
    """Two alerters on one store (two daemons, or one restarted): a condition is sent once."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = Store.open(url), Store.open(url)
    try:
        rules = rules_for(mailbox, failing_cycles=2)
        a, b = Alerter(rules, first), Alerter(rules, second)
        for alerter in (a, b, a, b):
            alerter.after_cycle("acme", "failed", error="500", failures=3)
        assert len(mailbox.messages) == 1
        b.after_cycle("acme", "ok", failures=0)
        a.after_cycle("acme", "ok", failures=0)
        assert [m["Subject"] for m in mailbox.messages][-1] == "pm-bridge: resolved: link acme is syncing again"
        assert len(mailbox.messages) == 2
    finally:
        first.close()
        second.close()


def test_no_channel_means_no_work(store: Store) -> None:
    alerter = Alerter(AlertsConfig(), store)
    assert not alerter.enabled
    assert alerter.after_cycle("acme", "guarded") == [] and store.alert_state() == (0, None)
    assert cycle_conditions(AlertsConfig(), "acme", "guarded")  # the conditions exist; only sending is off


def test_every_delivery_is_in_the_audit_log_with_each_channel_outcome(
    mailbox: Mailbox, store: Store, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from bridge.cli.app import app

    dead = {"url": f"http://127.0.0.1:{free_port()}/hooks/sentinel-secret-7f3e"}  # nothing listens there
    rules = rules_for(mailbox, failing_cycles=1)
    rules = rules.model_copy(update={"webhook": AlertsConfig.model_validate({"webhook": dead}).webhook})
    alerter = Alerter(rules, store)
    alerter.after_cycle("acme", "failed", error="asana: server error 503", failures=1)
    alerter.after_cycle("acme", "ok", failures=0)
    alerter.send_trial("here")  # a test message names no link: not in the history
    entries = store.audit_entries(event="alert")[::-1]
    assert [(e.link, e.kind, e.detail["state"]) for e in entries] == [
        ("acme", "failing", "firing"), ("acme", "failing", "resolved")
    ]
    assert entries[0].detail["subject"] == "pm-bridge: link acme is failing"
    assert entries[0].detail["channels"]["email"] == "sent"
    assert entries[0].detail["channels"]["webhook"].startswith("not sent: ")
    assert "sentinel-secret-7f3e" not in str(entries)

    config = tmp_path / "pm-bridge.yaml"
    config.write_text(f"state: {store.engine.url.render_as_string(hide_password=False)}\nlinks: {{}}\n")
    shown = CliRunner().invoke(app, ["log", "-c", str(config)])
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.output.splitlines() if " acme alert" in line]
    assert len(lines) == 2, shown.output
    assert "failing firing: pm-bridge: link acme is failing; email sent; webhook not sent: " in lines[0]
    assert "failing resolved: pm-bridge: resolved: link acme is syncing again; email sent" in lines[1]
