"""Connectors: the only code that knows a tool's HTTP API."""
