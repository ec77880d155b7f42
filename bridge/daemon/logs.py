"""The daemon's log: one line per event, human-readable or JSON lines, never a secret.

Every record, ours or a library's (uvicorn, APScheduler, httpx), passes
:class:`RedactingFilter` on the way out, which runs the fully formatted
message through :func:`bridge.secrets.redact`. Webhook URL tokens and the
master webhook secret are registered with the redactor when the daemon
starts, so even a library logging a request path cannot leak one. The same
filter escapes control characters (:func:`printable`), so a request path
holding ``%0A`` cannot start a forged line in either format.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import threading
import unicodedata
from collections.abc import Callable, Hashable
from typing import Any, Literal, TextIO

from bridge import secrets

LogFormat = Literal["human", "json"]
LOGGER = "pm_bridge.daemon"

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is a field of the event.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "color_message"}


def log() -> logging.Logger:
    return logging.getLogger(LOGGER)


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")}


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` on one line: control, format and line-separator characters written as escapes.

    Both formats show the same text, so a value reads the same in a JSON line and a human one.
    """
    if text.isprintable():
        return text
    return "".join(_ESCAPES.get(ch) or (_escape(ch) if _unprintable(ch) else ch) for ch in text)


def _unprintable(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def clipped(text: str, limit: int = 100) -> str:
    """Request-derived text cut to ``limit`` characters: a path can be kilobytes long."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RedactingFilter(logging.Filter):
    """Freeze the message (args applied) and its extra fields, escaped, with every known secret removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = printable(secrets.redact(record.getMessage()))
        record.args = None
        for key, value in fields_of(record).items():
            if isinstance(value, str):
                setattr(record, key, printable(secrets.redact(value)))
        if record.exc_info and record.exc_info[1] is not None:
            # A traceback is long and may quote request data: keep its last line only, redacted.
            exc = record.exc_info[1]
            record.msg += printable(f" ({type(exc).__name__}: {secrets.redact(str(exc))})")
            record.exc_info = None
            record.exc_text = None
        return True


class HumanFormatter(logging.Formatter):
    """``2024-05-06 07:08:09 INFO  cycle finished  link=acme status=ok``"""

    def format(self, record: logging.LogRecord) -> str:
        stamp = dt.datetime.fromtimestamp(record.created).strftime("%Y-%m-%d %H:%M:%S")
        extras = " ".join(f"{key}={_plain(value)}" for key, value in fields_of(record).items())
        line = f"{stamp} {record.levelname:<7} {record.getMessage()}"
        return f"{line}  {extras}" if extras else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(fields_of(record))
        return json.dumps(entry, default=str, ensure_ascii=False)


def _plain(value: object) -> str:
    text = printable(str(value))
    return json.dumps(text, ensure_ascii=False) if (not text or any(ch in text for ch in ' ="')) else text


class Throttle:
    """At most one line per key per ``every`` seconds; the next line tells how many were held back."""

    def __init__(self, every: float, now: Callable[[], float]) -> None:
        self.every = every
        self.now = now
        self._lock = threading.Lock()
        self._seen: dict[Hashable, tuple[float, int]] = {}  # key -> (when its last line went out, held back since)

    def admit(self, key: Hashable) -> int | None:
        """None: hold this line back; otherwise write it, noting this many held back since the last one."""
        now = self.now()
        with self._lock:
            last = self._seen.get(key)
            if last is not None and now - last[0] < self.every:
                self._seen[key] = (last[0], last[1] + 1)
                return None
            self._seen[key] = (now, 0)
            return last[1] if last is not None else 0


def configure(fmt: LogFormat = "human", level: str = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Send every logger's records through one redacting handler on ``stream`` (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else HumanFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries log through their own handlers unless told to propagate to ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler"):
        library = logging.getLogger(name)
        library.handlers = []
        library.propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request would bury the daemon's own
    # "Running job ..." for every tick, "Added job ..." for every trigger, and the migration chatter at start-up.
    for chatty in ("apscheduler", "alembic"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    return handler
