"""``pm-bridge daemon``: scheduled and webhook-triggered cycles, leases shared through the store, health and metrics."""

from bridge.daemon.service import Daemon

__all__ = ["Daemon"]
