"""``pm-bridge daemon``: run every link on its interval and on webhooks until SIGTERM/SIGINT; ``daemon reload``.

Exit codes of ``daemon``: 0 stopped by a signal; 2 a user error (config, port in use).
Exit codes of ``daemon reload``: 0 the running daemon(s) were signalled; 2 the new config is not valid
(nothing signalled: the daemons keep running on their config) or no daemon runs with this config file.
"""

from __future__ import annotations

import os
import signal
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bridge.cli.app import ConfigOption, LinkOption, app, friendly
from bridge.config.load import find_config, load_config
from bridge.errors import BridgeError


class LogFormat(StrEnum):
    human = "human"
    json = "json"


daemon_app = typer.Typer()  # its help is the callback's docstring
app.add_typer(daemon_app, name="daemon", invoke_without_command=True)


@daemon_app.callback(invoke_without_command=True)
@friendly
def daemon(
    ctx: typer.Context,
    config: ConfigOption = None,
    link: LinkOption = None,
    host: Annotated[str | None, typer.Option(help="interface to listen on (default: daemon.host, 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port for webhooks, /healthz, /metrics (default: daemon.port, 8787)")] = None,
    log_format: Annotated[LogFormat, typer.Option("--log-format", help="human lines or JSON lines")] = LogFormat.human,
    log_level: Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR")] = "INFO",
) -> None:
    """Cycle each link on its interval and soon after webhook deliveries; serve /, /healthz and /metrics.

    SIGHUP (or `pm-bridge daemon reload`) reads the config file again and applies it without a restart.
    """
    if ctx.invoked_subcommand is not None:
        return
    from bridge.daemon import Daemon
    from bridge.daemon.logs import configure

    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter("expected DEBUG, INFO, WARNING or ERROR", param_hint="--log-level")
    configure(log_format.value, log_level)
    path = find_config(config)
    cfg = load_config(path)
    Daemon(cfg, link or [], host=host, port=port, config_path=path).serve_until_signalled()


@daemon_app.command("reload")
@friendly
def reload_command(config: ConfigOption = None) -> None:
    """Check the config file, then tell the daemons running on it to apply it (SIGHUP) without a restart."""
    from bridge.daemon.reload import running_daemons

    path = find_config(config)
    load_config(path)  # a config the daemon would refuse is refused here, where the person sees why
    found = running_daemons(path)
    if not found:
        raise BridgeError(
            f"no running pm-bridge daemon uses {path}",
            hint=f"start one with: pm-bridge daemon --config {path}",
        )
    console = Console(highlight=False, soft_wrap=True)
    for daemon in found:
        try:
            os.kill(daemon.pid, signal.SIGHUP)
        except PermissionError:
            raise BridgeError(f"not allowed to signal the daemon (pid {daemon.pid})",
                              hint="run `pm-bridge daemon reload` as the user the daemon runs as") from None
        console.print(f"asked daemon pid {daemon.pid} (port {daemon.port}) to reload {escape(str(path))}; "
                      "its log says whether the new config applied")
