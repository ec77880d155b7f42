"""Setting an email side up: one link per email connection (refused otherwise, naming both links and the fix),
and ``pm-bridge webhooks inbound`` printing the URL to paste into the mail provider."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli.app import app
from bridge.config.load import load_config
from bridge.errors import ConfigError
from bridge.webhook_tokens import webhook_token

MASTER = "master-secret-for-inbound-urls-1"
POSTMARK_PASSWORD = "postmark-pass-never-printed"


def email_connection(name: str, provider: str | None, key: str = POSTMARK_PASSWORD) -> str:
    inbound = f"{{webhook: {{provider: {provider}, signing_key: {key}}}}}" if provider else "{}"
    return "".join(f"  {line}\n" for line in (
        f"{name}:", "  kind: email", "  email:", "    addresses: [carla@client.example]",
        "    from_address: updates@agency.example", "    reply_domain: replies.agency.example",
        "    signing_key: sign-key-for-tests-0123456789", f"    inbound: {inbound}"))


def config(tmp: Path, connections: str, links: dict[str, str]) -> Path:
    body = "".join(textwrap.indent(textwrap.dedent(f"""\
        {name}:
          internal: {{connection: agency, project: p-{name}}}
          client: {{connection: {conn}, project: {name} site}}
        """), "  ") for name, conn in links.items())
    path = tmp / "pm-bridge.yaml"
    path.write_text(f"state: sqlite:///{tmp}/state.db\nconnections:\n  agency: {{kind: memory, base_url: 'http://127.0.0.1:1', "
                    f"token: t}}\n{connections}links:\n{body}daemon:\n  webhook_secret: {MASTER}\n"
                    f"  public_url: https://bridge.example\n")
    return path


def test_two_links_on_one_email_connection_are_refused_naming_both_and_the_fix(tmp_path: Path) -> None:
    path = config(tmp_path, email_connection("client-mail", None), {"acme": "client-mail", "beta": "client-mail"})
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = f"{caught.value} {caught.value.hint or ''}"
    assert "links.acme and links.beta" in text and "'client-mail'" in text
    assert "connection of its own" in text


def test_an_email_connection_as_a_links_internal_side_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = config(tmp_path, email_connection("client-mail", None), {"acme": "client-mail"})
    text = path.read_text().replace("internal: {connection: agency,", "internal: {connection: client-mail,")
    path.write_text(text.replace("client: {connection: client-mail,", "client: {connection: agency,"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "links.acme.internal.connection" in str(caught.value) and "client side only" in str(caught.value)


def test_a_migration_refuses_an_email_endpoint(tmp_path: Path) -> None:
    from bridge.migrate.spec import parse_endpoint

    cfg = load_config(config(tmp_path, email_connection("client-mail", None), {"acme": "client-mail"}))
    with pytest.raises(ConfigError) as caught:
        parse_endpoint("client-mail:site", cfg, "--to")
    assert "email connection" in str(caught.value)
    with pytest.raises(ConfigError):
        parse_endpoint("email:site", cfg, "--from")
    assert parse_endpoint("agency:p1", cfg, "--from").kind == "memory"


def test_one_email_connection_per_link_loads(tmp_path: Path) -> None:
    connections = email_connection("mail-a", None) + email_connection("mail-b", None)
    cfg = load_config(config(tmp_path, connections, {"acme": "mail-a", "beta": "mail-b"}))
    assert sorted(cfg.links) == ["acme", "beta"]


def test_webhooks_inbound_prints_each_email_sides_provider_url(tmp_path: Path) -> None:
    connections = (email_connection("mail-a", "mailgun", "mailgun-key-never-printed")
                   + email_connection("mail-b", "postmark") + email_connection("mail-c", None))
    path = config(tmp_path, connections, {"acme": "mail-a", "beta": "mail-b", "gamma": "mail-c"})
    result = CliRunner().invoke(app, ["webhooks", "inbound", "--config", str(path)])
    assert result.exit_code == 0, result.output
    out = result.output
    acme = f"https://bridge.example/hooks/acme/client/{webhook_token(MASTER, 'acme', 'client')}"
    beta = f"https://postmark:<email.inbound.webhook.signing_key>@bridge.example/hooks/beta/client/" \
           f"{webhook_token(MASTER, 'beta', 'client')}"
    assert acme in out.split() and beta in out.split()
    assert "Mailgun" in out and "Postmark" in out
    assert "gamma/client (email): no inbound.webhook" in out
    # Only the URL's own per-link token: no provider key, no master secret.
    for secret in ("mailgun-key-never-printed", POSTMARK_PASSWORD, MASTER, "sign-key-for-tests"):
        assert secret not in out
    # One link only, when asked.
    only = CliRunner().invoke(app, ["webhooks", "inbound", "--config", str(path), "--link", "acme"])
    assert acme in only.output and "beta" not in only.output


def test_webhooks_register_points_email_sides_to_inbound(tmp_path: Path) -> None:
    path = config(tmp_path, email_connection("mail-a", "mailgun"), {"acme": "mail-a"})
    result = CliRunner().invoke(app, ["webhooks", "register", "--config", str(path), "--link", "acme"])
    assert "pm-bridge webhooks inbound --link acme" in result.output
