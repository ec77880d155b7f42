"""``pm-bridge credentials rekey``: seal every stored token set again with the first key (docs/connect.md).

While rotating, ``PM_BRIDGE_SECRET_KEY`` holds the new key first and the old one after it. Rows
that renew are re-sealed on their own; this seals every row at once (a Trello ``never`` token, a
connection not in use), so the old key can be dropped right after.

Exit codes: 0 every row re-sealed; 2 a user error (config, no key, a row no given key opens: nothing changed).
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from bridge.auth.sealing import KEY_VARIABLE, Sealer
from bridge.auth.vault import Vault
from bridge.cli.app import ConfigOption, app, friendly
from bridge.config.load import find_config, load_config
from bridge.runtime import open_store

credentials_app = typer.Typer(help="Stored credentials of connect (docs/connect.md).", no_args_is_help=True)
app.add_typer(credentials_app, name="credentials")


@credentials_app.command("rekey")
@friendly
def rekey(config: ConfigOption = None) -> None:
    """Seal every stored credential again with the first key of PM_BRIDGE_SECRET_KEY."""
    cfg = load_config(find_config(config))
    sealer = Sealer.from_environment()
    store = open_store(cfg.state)
    try:
        done = Vault(store, sealer).rekey()
    finally:
        store.close()
    console = Console(soft_wrap=True, highlight=False)
    if not done:
        console.print("No stored credentials: nothing to re-seal.")
        return
    console.print(f"[green]✓ re-sealed with the first key of {KEY_VARIABLE}[/green]: {escape(', '.join(done))}")
    console.print(f"Every other key can now be removed from {KEY_VARIABLE}.")
