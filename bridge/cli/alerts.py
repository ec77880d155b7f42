"""``pm-bridge alerts test``: send one test alert to each configured channel, so an operator knows alerts reach them.

The test message bypasses the rate limits and the shared alert state (it names no
link and raises nothing): it only proves the SMTP settings and the webhook URL work.

Exit codes: 0 every channel took the message; 1 a channel failed (its error is printed);
2 a user error (config invalid, or no channel configured).
"""

from __future__ import annotations

import socket

import typer
from rich.console import Console
from rich.markup import escape

from bridge.alerts.alerter import deliver
from bridge.alerts.channels import channels_for
from bridge.alerts.evaluate import trial
from bridge.cli.app import EXIT_FAILED, EXIT_OK, ConfigOption, app, friendly
from bridge.config.load import find_config, load_config
from bridge.errors import ConfigError

alerts_app = typer.Typer(help="Check where alerts go (docs/alerts.md).", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("test")
@friendly
def send_test(config: ConfigOption = None) -> None:
    """Send a test alert to each channel under alerts: (email, webhook) and say which ones took it."""
    path = find_config(config)
    cfg = load_config(path)
    channels = channels_for(cfg.alerts)
    if not channels:
        raise ConfigError(
            f"{path}: no alert channel is configured",
            hint="add alerts.email and/or alerts.webhook to the config (docs/alerts.md)",
        )
    console = Console(highlight=False, soft_wrap=True)
    outcome = deliver(channels, trial(f"host {socket.gethostname()}, config {path}"))
    email, webhook = cfg.alerts.email, cfg.alerts.webhook
    where = {
        "email": f"to {', '.join(email.to)} through {email.host}:{email.port}" if email else "",
        "webhook": "to the incoming webhook",
    }
    for name, error in outcome.items():
        if error is None:
            console.print(f"[green]✓[/green] {name}: test alert sent {escape(where[name])}")
        else:
            console.print(f"[red]✗ {name}: {escape(error)}[/red]")
    if webhook is None and email is not None:
        console.print("  no alerts.webhook configured (optional)", style="dim")
    raise typer.Exit(EXIT_OK if all(error is None for error in outcome.values()) else EXIT_FAILED)
