"""Fixtures: an Asana sandbox with OAuth on a virtual clock, the secret key, a state store and its vault."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bridge.auth.sealing import KEY_VARIABLE, Sealer
from bridge.auth.vault import Vault
from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig, OAuthClient
from bridge.config.schema import Config
from bridge.runtime import open_store, token_client, wall_clock
from bridge.store import Store
from connectors.asana import Emulator, Sandbox
from connectors.asana.emulator.oauth import enable_oauth
from connectors.emulation.oauth import TokenIssuer

CLIENT_ID, CLIENT_SECRET = "asana-app-1", "asana-app-secret-s3cr3t"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_VARIABLE, key)
    return key


@dataclass
class AsanaWorld:
    clock: VirtualClock
    sandbox: Sandbox
    issuer: TokenIssuer
    store: Store
    port: int

    @property
    def emulator(self) -> Emulator:
        return self.sandbox.emulator

    def connection(self, **oauth: object) -> ConnectionConfig:
        host = self.emulator.base_url.rsplit("/api/", 1)[0]
        client = OAuthClient(client_id=CLIENT_ID, client_secret=SecretStr(CLIENT_SECRET), redirect_port=self.port,
                             authorize_url=f"{host}/-/oauth_authorize", token_url=f"{host}/-/oauth_token", **oauth)  # type: ignore[arg-type]
        return ConnectionConfig(kind="asana", base_url=self.emulator.base_url, auth="oauth", oauth=client)

    def vault(self) -> Vault:
        return Vault(self.store, Sealer.from_environment())

    def http(self):  # noqa: ANN201 - an httpx.Client on the emulator
        return token_client(self.connection(), self.emulator.transport())

    def epoch(self):  # noqa: ANN201
        return wall_clock(self.clock)

    def config(self, internal: str, client: str) -> Config:
        return Config.model_validate({
            "state": str(self.store.engine.url.render_as_string(hide_password=False)),
            "connections": {"agency": self.sandbox.connection("human"), "acme": self.connection()},
            "links": {"acme": {"internal": {"connection": "agency", "project": internal},
                               "client": {"connection": "acme", "project": client},
                               "mirror": {"sections": {"Design": {"access": "unlocked"}}}}},
        })


@pytest.fixture
def world(tmp_path: Path) -> Iterator[AsanaWorld]:
    clock = VirtualClock()
    sandbox = Sandbox(Emulator(clock=clock), clock=clock)
    issuer = enable_oauth(sandbox.emulator, sandbox.user_ids["bridge"])
    issuer.register(CLIENT_ID, CLIENT_SECRET)
    store = open_store(f"sqlite:///{os.path.join(tmp_path, 'state.db')}")
    try:
        yield AsanaWorld(clock, sandbox, issuer, store, free_port())
    finally:
        store.close()


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog
