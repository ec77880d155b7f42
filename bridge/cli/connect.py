"""``pm-bridge connect <connection>``: authorize pm-bridge with the tool, once (docs/connect.md).

Runs the tool's documented authorization (Asana and Basecamp OAuth 2, Trello's authorize page, a
GitHub App's installation token) and keeps the token set in the state store, sealed with
``PM_BRIDGE_SECRET_KEY``. Every daemon sharing the store uses and renews it from then on.

Exit codes: 0 connected; 2 a user error (config, key, the tool refused).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bridge.auth.flows import connect, redirect_uri
from bridge.auth.sealing import Sealer
from bridge.auth.vault import Vault
from bridge.cli.app import ConfigOption, app, friendly
from bridge.config.load import find_config, load_config
from bridge.errors import ConfigError
from bridge.runtime import open_store, token_client, tool_auth, wall_clock


@app.command("connect")
@friendly
def connect_command(
    connection: Annotated[str, typer.Argument(help="the connection to authorize (a key of connections:)")],
    config: ConfigOption = None,
    paste: Annotated[bool, typer.Option("--paste", help="no browser here: paste back the address the browser went to")] = False,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="print the address instead of opening a browser")] = False,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the browser")] = 300.0,
) -> None:
    """Authorize pm-bridge with a connection's tool and keep the token, sealed, in the state store."""
    cfg = load_config(find_config(config))
    if connection not in cfg.connections:
        raise ConfigError(f"no connection named {connection!r} in the config",
                          hint=f"connections: {', '.join(cfg.connections) or 'none configured'}")
    settings = cfg.connections[connection]
    if settings.auth == "token":
        raise ConfigError(f"connection {connection!r} uses a personal token from the config (auth: token): nothing to connect",
                          hint=f"set connections.{connection}.auth to oauth (or github_app) first; see docs/connect.md")
    console = Console(soft_wrap=True, highlight=False)
    sealer = Sealer.from_environment()  # before the browser: a missing key should not cost the user an approval
    tool = tool_auth(settings.kind)
    store = open_store(cfg.state)
    try:
        if tool.interactive:
            console.print(f"Redirect URI to register with the {settings.kind} app: {redirect_uri(settings)}")
        held = connect(connection, settings, tool, Vault(store, sealer), token_client(settings, None), wall_clock(None),
                       paste=paste, open_browser=not (paste or no_browser), ask=input,
                       say=lambda text: console.print(escape(text)), timeout=timeout)
    finally:
        store.close()
    expires = held.credential.expires_at
    until = (f"; the access token is renewed before {dt.datetime.fromtimestamp(expires, dt.UTC):%Y-%m-%d %H:%M} UTC"
             if expires else "")
    console.print(f"[green]✓ {escape(connection)} ({settings.kind}) is connected[/green]: the token is stored sealed "
                  f"in the state store{until}.")
