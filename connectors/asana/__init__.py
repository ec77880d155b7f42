"""Asana: connector, emulator and sandbox."""

from connectors.asana.connector import DEFAULT_BASE_URL, AsanaConnector, build
from connectors.asana.emulator import AsanaEmulator as Emulator
from connectors.asana.sandbox import AsanaSandbox as Sandbox

__all__ = ["DEFAULT_BASE_URL", "AsanaConnector", "Emulator", "Sandbox", "build"]
