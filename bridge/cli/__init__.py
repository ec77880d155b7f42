"""The command line, `pm-bridge`: the typer app and its shared options (app), one module per command group.

Importing the package registers every command: the command modules import ``app`` from
:mod:`bridge.cli.app` and add to it; nothing imports back, so there is no cycle.
"""

from bridge.cli import alerts, conflicts, connect, credentials, daemon, history, migrate, status, webhooks  # noqa: F401  (each adds its commands to the app)
from bridge.cli.app import app as typer_app  # not bound as ``app``: that name is the submodule


def main() -> None:
    typer_app(prog_name="pm-bridge")


__all__ = ["main"]
