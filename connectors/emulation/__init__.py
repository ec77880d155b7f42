"""One toolkit for every tool emulator: routing, auth, recording, rate limits, faults."""

from connectors.emulation.toolkit import (
    Emulator,
    EmuRequest,
    Fault,
    FaultRule,
    HttpError,
    Recorded,
)

__all__ = ["EmuRequest", "Emulator", "Fault", "FaultRule", "HttpError", "Recorded"]
