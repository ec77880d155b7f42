"""`pm-bridge credentials rekey`: every stored token set sealed again with the first key, so the old
key can be dropped and every link keeps working; a row no given key opens is one error naming its
connection, and nothing is changed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from bridge.auth.credential import Credential
from bridge.auth.sealing import KEY_VARIABLE, Sealer
from bridge.auth.vault import Vault
from bridge.cli.app import app
from bridge.errors import ConfigError
from bridge.store.tables import credentials
from tests.auth.conftest import AsanaWorld
from tests.auth.test_staying_connected import client_titles, connected, link


def config_file(world: AsanaWorld, tmp_path: Path) -> Path:
    path = tmp_path / "pm-bridge.yaml"
    path.write_text(yaml.safe_dump({"state": world.store.engine.url.render_as_string(hide_password=False)}))
    return path


def sealed_rows(world: AsanaWorld) -> dict[str, str]:
    with world.store.engine.connect() as db:
        return {row.connection: row.sealed for row in db.execute(sa.select(credentials))}


def test_after_rekey_the_old_key_can_go_and_every_link_still_works(
    world: AsanaWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_key: str
) -> None:
    connected(world)  # sealed with the old key
    never = Credential(access_token="trello-token-never-renewed-0001")  # a token no renewal ever re-seals
    world.vault().save("board", "oauth", never)
    before = sealed_rows(world)
    new = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_VARIABLE, f"{new},{secret_key}")
    result = CliRunner().invoke(app, ["credentials", "rekey", "-c", str(config_file(world, tmp_path))])
    assert result.exit_code == 0, result.output
    assert "re-sealed" in result.output and "acme, board" in result.output
    after = sealed_rows(world)
    assert set(after) == {"acme", "board"} and all(after[name] != before[name] for name in after)
    assert never.access_token not in result.output and never.access_token not in str(after)

    monkeypatch.setenv(KEY_VARIABLE, new)  # the old key dropped
    assert Vault(world.store, Sealer.from_environment()).load("board").credential == never
    runtime = link(world)
    try:
        assert runtime.broken == {}
        report = runtime.engine.run(runtime.links["acme"])
        assert report.ok, report.errors
        assert "Homepage draft" in client_titles(world, runtime)
    finally:
        runtime.close()
    with pytest.raises(ConfigError, match="cannot be decrypted"):  # and the old key alone no longer opens them
        Vault(world.store, Sealer(secret_key)).load("acme")


def test_a_row_no_given_key_opens_is_named_and_nothing_changes(
    world: AsanaWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_key: str
) -> None:
    connected(world)
    lost = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_VARIABLE, lost)
    world.vault().save("zeta-board", "oauth", Credential(access_token="sealed-with-a-lost-key-0002"))
    before = sealed_rows(world)
    monkeypatch.setenv(KEY_VARIABLE, f"{Fernet.generate_key().decode()},{secret_key}")
    result = CliRunner().invoke(app, ["credentials", "rekey", "-c", str(config_file(world, tmp_path))])
    assert result.exit_code == 2, result.output
    assert "connection 'zeta-board'" in result.output and "cannot be decrypted with PM_BRIDGE_SECRET_KEY" in result.output
    assert "Traceback" not in result.output
    assert sealed_rows(world) == before  # all or nothing: acme is still on the old key
    assert Vault(world.store, Sealer(secret_key)).load("acme").credential.access_token


def test_rekey_without_a_key_says_so(world: AsanaWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_VARIABLE)
    result = CliRunner().invoke(app, ["credentials", "rekey", "-c", str(config_file(world, tmp_path))])
    assert result.exit_code == 2 and "PM_BRIDGE_SECRET_KEY is not set" in result.output


def test_rekey_on_each_store(store_url: str, monkeypatch: pytest.MonkeyPatch, secret_key: str) -> None:
    """The vault's rekey itself, on SQLite and PostgreSQL: all rows or none, versions kept."""
    from bridge.runtime import open_store

    store = open_store(store_url)
    try:
        old = Vault(store, Sealer(secret_key))
        saved = {name: old.save(name, "oauth", Credential(access_token=f"{name}-access-0001", refresh_token=f"{name}-r"))
                 for name in ("acme", "globex")}
        new = Fernet.generate_key().decode()
        both = Vault(store, Sealer(f"{new},{secret_key}"))
        assert both.rekey() == ["acme", "globex"]
        after = Vault(store, Sealer(new))
        for name, held in saved.items():
            assert after.load(name) == held  # same token set, same version: a daemon mid-renewal is not disturbed
        stranger = Vault(store, Sealer(Fernet.generate_key().decode()))
        with pytest.raises(ConfigError, match="connection 'acme'"):
            stranger.rekey()
        assert after.load("globex") == saved["globex"]  # nothing changed by the refused rekey
    finally:
        store.close()
