"""A refresh token the tool revokes, end to end: the daemon's /healthz turns degraded and exactly one email
(to a real SMTP server) says to run `pm-bridge connect <connection>`, naming no token; after connecting
again through the emulator's flow the link syncs and one "resolved" email follows. The same with
one-shot `pm-bridge sync`. No token appears in a message, the logs, the output or the store."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
import sqlalchemy as sa
import yaml

from bridge.config.schema import AlertsConfig
from bridge.daemon import Daemon
from bridge.runtime import build_runtime, open_store
from bridge.store import Store
from bridge.store.tables import metadata
from connectors.asana.emulator.oauth import ACCESS_TTL
from tests.alerts.conftest import Mailbox, alerts_config, mailbox  # noqa: F401  (the real SMTP server fixture)
from tests.auth.conftest import AsanaWorld
from tests.auth.test_staying_connected import connected
from tests.cli.test_emulate_oauth import DEFAULT_TTL, Served, browser, key, run, served  # noqa: F401  (fixtures)
from tests.daemon.conftest import WallClock


def store_text(store: Store) -> str:
    """Every row of every table, as text: what someone reading the database sees."""
    with store.engine.connect() as db:
        return "\n".join(str(row) for table in metadata.sorted_tables for row in db.execute(sa.select(table)))


def assert_hidden(tokens: Iterable[str], *texts: str) -> None:
    seen = [token for token in tokens if any(token in text for text in texts)]
    assert not seen, f"{len(seen)} token(s) in clear"


def raw_mail(box: Mailbox) -> str:
    return "\n".join(raw.decode(errors="replace") for raw in box.raw)


def test_the_daemon_alerts_once_on_a_revoked_refresh_token_and_once_when_connected_again(
    world: AsanaWorld, mailbox: Mailbox, all_logs: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    connected(world)
    internal = world.sandbox.create_project("Acme website", ["Design", "Build"])
    world.sandbox.setup_access_field(internal)
    world.sandbox.add_task(internal, "Homepage draft", section_id=world.sandbox.section_ids(internal)["Design"])
    client = world.sandbox.create_project("Acme x Agency", [])
    config = world.config(internal, client)
    config = config.model_copy(update={"alerts": AlertsConfig.model_validate(alerts_config(mailbox))})
    transports = {"agency": world.emulator.transport(), "acme": world.emulator.transport()}
    runtime = build_runtime(config, transports=transports, clock=world.clock, store=world.store)
    clock = WallClock()
    daemon = Daemon(config, runtime=runtime, clock=clock)
    try:
        assert daemon.runner.tick("acme") == "ok"
        first = world.vault().load("acme").credential
        world.issuer.revoke_refresh_tokens()  # the user removed the app in Asana
        world.clock.advance(ACCESS_TTL + 60)
        for _ in range(3):  # the link stays refused: one email, not one a cycle
            assert daemon.runner.tick("acme") == "failed"
            assert daemon.alerter.flush()
            clock.advance(600)
        assert daemon.health.report()["status"] == "degraded"
        assert daemon.health.report()["links"]["acme"]["state"] == "credentials_revoked"
        (alert,) = mailbox.messages
        assert str(alert["Subject"]) == "pm-bridge: link acme cannot sign in"
        body = alert.get_content()
        assert "(connection acme)" in body and "token can no longer be refreshed" in body
        assert "run `pm-bridge connect acme` to authorize again" in body

        daemon.stop()  # a restart while the token is refused: the link is built, and fails with the same error
        runtime = build_runtime(config, transports=transports, clock=world.clock, store=world.store)
        daemon = Daemon(config, runtime=runtime, clock=clock)
        assert "acme" not in runtime.broken
        clock.advance(3600)  # past the backoff the store remembers
        assert daemon.runner.tick("acme") == "failed"
        assert daemon.alerter.flush()
        assert len(mailbox.messages) == 1  # the alert state is in the store: the restart does not alert again
        assert daemon.health.report()["links"]["acme"]["state"] == "credentials_revoked"

        connected(world)  # `pm-bridge connect acme` again, through the emulator's authorize page
        clock.advance(3600)  # past the daemon's backoff; no reload: the next cycle reads the new token
        assert daemon.runner.tick("acme") == "ok"
        assert daemon.alerter.flush()
        assert [str(m["Subject"]) for m in mailbox.messages[1:]] == ["pm-bridge: resolved: link acme signs in again"]
        assert daemon.health.report()["status"] == "ok"
        history = [(e.kind, e.detail["state"], e.detail["channels"]) for e in world.store.audit_entries(event="alert")]
        assert history[::-1] == [("credentials", "firing", {"email": "sent"}), ("credentials", "resolved", {"email": "sent"})]
        second = world.vault().load("acme").credential
        tokens = [t for c in (first, second) for t in (c.access_token, c.refresh_token or "")]
        tokens += [*world.issuer.access, *world.issuer.refresh]
        assert "pm_bridge" in all_logs.text or "token can no longer be refreshed" in all_logs.text  # the logs were read
        assert_hidden(tokens, raw_mail(mailbox), all_logs.text, store_text(world.store), str(daemon.health.report()))
    finally:
        daemon.stop()


def test_sync_alerts_once_on_a_revoked_refresh_token_and_once_when_connected_again(
    served: Callable[[str], Served], browser: None, mailbox: Mailbox, all_logs: pytest.LogCaptureFixture,  # noqa: F811
) -> None:
    world = served("asana")
    body = yaml.safe_load(world.config.read_text())
    world.config.write_text(yaml.safe_dump({**body, "alerts": alerts_config(mailbox)}))
    code, output = run(world.config, "connect", "asana-local", "--timeout", "10")
    assert code == 0, output
    outputs = [output]
    code, output = run(world.config, "sync")
    assert code == 0 and mailbox.messages == [], output
    issuer = world.rehearsal.auth.issuer  # type: ignore[union-attr]
    issuer.revoke_refresh_tokens()
    world.clock.advance(DEFAULT_TTL + 60)
    for attempt in range(2):  # a cron job running sync again: still one email
        code, output = run(world.config, "sync")
        outputs.append(output)
        assert code == 1, output
        assert "pm-bridge connect asana-local" in output
        assert ("alert sent by email" in output) == (attempt == 0)
    (alert,) = mailbox.messages
    assert str(alert["Subject"]) == "pm-bridge: link rehearsal cannot sign in"
    assert "(connection asana-local)" in alert.get_content()
    assert "run `pm-bridge connect asana-local` to authorize again" in alert.get_content()

    code, output = run(world.config, "connect", "asana-local", "--timeout", "10")
    assert code == 0, output
    code, output = run(world.config, "sync")
    outputs.append(output)
    assert code == 0, output
    assert [str(m["Subject"]) for m in mailbox.messages[1:]] == ["pm-bridge: resolved: link rehearsal signs in again"]
    store = open_store(f"sqlite:///{world.config.parent / 'state.db'}")
    try:
        tokens = [*issuer.access, *issuer.refresh]
        assert_hidden(tokens, raw_mail(mailbox), all_logs.text, store_text(store), *outputs)
    finally:
        store.close()
