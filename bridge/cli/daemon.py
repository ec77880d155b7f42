"""``pm-bridge daemon``: run every link on its interval and on webhooks until SIGTERM/SIGINT."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from bridge.cli.app import ConfigOption, LinkOption, app, friendly
from bridge.config.load import load_config


class LogFormat(StrEnum):
    human = "human"
    json = "json"


@app.command()
@friendly
def daemon(
    config: ConfigOption = None,
    link: LinkOption = None,
    host: Annotated[str | None, typer.Option(help="interface to listen on (default: daemon.host, 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port for webhooks, /healthz, /metrics (default: daemon.port, 8787)")] = None,
    log_format: Annotated[LogFormat, typer.Option("--log-format", help="human lines or JSON lines")] = LogFormat.human,
    log_level: Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR")] = "INFO",
) -> None:
    """Cycle each link on its interval and soon after webhook deliveries; serve /healthz and /metrics."""
    from bridge.daemon import Daemon
    from bridge.daemon.logs import configure

    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter("expected DEBUG, INFO, WARNING or ERROR", param_hint="--log-level")
    configure(log_format.value, log_level)
    cfg = load_config(config)
    Daemon(cfg, link or [], host=host, port=port).serve_until_signalled()
