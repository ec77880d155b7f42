"""Asana: connector, emulator and sandbox."""

from connectors.asana.connector import DEFAULT_BASE_URL, AsanaConnector, build
from connectors.asana.emulator.sandbox import AsanaSandbox as Sandbox
from connectors.asana.emulator.server import AsanaEmulator as Emulator

__all__ = ["DEFAULT_BASE_URL", "AsanaConnector", "Emulator", "Sandbox", "build"]
