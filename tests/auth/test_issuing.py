"""The emulators' token issuer and the client's reading of refusals: codes are single-use, a wrong
client secret is a config error (no new approval needed), a refused refresh token is a revoked one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from bridge.auth.credential import Credential
from bridge.errors import ConfigError, CredentialsRevoked
from connectors.asana.auth import AUTH
from tests.auth.conftest import AsanaWorld

BACK = "http://127.0.0.1:1/callback"


def code_for(world: AsanaWorld) -> str:
    return world.issuer.authorize("asana-app-1", BACK, None)[1].split("code=")[1]


def test_a_code_is_spent_once(world: AsanaWorld) -> None:
    code = code_for(world)
    AUTH.exchange(world.connection(), code, BACK, world.http(), 0.0)
    with pytest.raises(CredentialsRevoked, match="authorization code"):
        AUTH.exchange(world.connection(), code, BACK, world.http(), 0.0)


def test_a_code_expires_and_must_come_back_to_the_same_redirect(world: AsanaWorld) -> None:
    with pytest.raises(CredentialsRevoked, match="redirect_uri"):
        AUTH.exchange(world.connection(), code_for(world), "http://127.0.0.1:2/other", world.http(), 0.0)
    code = code_for(world)
    world.clock.advance(601)
    with pytest.raises(CredentialsRevoked, match="expired"):
        AUTH.exchange(world.connection(), code, BACK, world.http(), 0.0)


def test_an_authorize_request_to_a_foreign_redirect_is_refused(world: AsanaWorld) -> None:
    assert world.issuer.authorize("asana-app-1", "https://evil.example/cb", "s")[0] == 400
    assert world.issuer.authorize("someone-else", BACK, "s")[0] == 400


def test_a_wrong_client_secret_is_a_config_error_and_not_a_revocation(world: AsanaWorld) -> None:
    held = AUTH.exchange(world.connection(), code_for(world), BACK, world.http(), 0.0)
    wrong = world.connection().model_copy(update={"oauth": world.connection().oauth.model_copy(  # type: ignore[union-attr]
        update={"client_secret": SecretStr("not-the-secret")})})
    with pytest.raises(ConfigError, match="client_id/client_secret") as caught:
        AUTH.renew(wrong, held, world.http(), 0.0)
    assert "not-the-secret" not in str(caught.value)
    assert AUTH.renew(world.connection(), held, world.http(), 0.0).access_token != held.access_token  # still good


@given(expires=st.floats(0, 1e9), now=st.floats(0, 1e9), skew=st.floats(0, 3600))
def test_a_token_is_due_exactly_within_the_skew_of_its_expiry(expires: float, now: float, skew: float) -> None:
    assert Credential(access_token="t", expires_at=expires).due(now, skew) == (now >= expires - skew)
    assert not Credential(access_token="t").due(now, skew)  # no expiry: never due
