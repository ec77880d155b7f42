"""Sending the Basecamp emulator's webhook deliveries.

``EmulatorBase.changed`` builds the documented body (``{id, kind, details,
created_at, recording, creator}``) for every matching webhook; this queues it
in the emulator's outbox as a POST to the ``payload_url``, unsigned (Basecamp
documents no signature), and keeps the record that ``GET /webhooks/{id}.json``
lists under ``recent_deliveries``, which gains its ``response`` once the
delivery was attempted.
"""

from __future__ import annotations

import datetime as dt
import http
import json
import uuid
from typing import Any

from connectors.basecamp.emulator_render import stamp
from connectors.basecamp.emulator_store import Webhook
from connectors.emulation.toolkit import Emulator
from connectors.emulation.webhooks import Attempt, Delivery


def queue_delivery(emulator: Emulator, delivery_id: int, hook: Webhook, payload: dict[str, Any],
                   at: dt.datetime) -> dict[str, Any]:
    """Queue ``payload`` for ``hook``; returns its ``recent_deliveries`` record."""
    headers = {"Content-Type": "application/json", "User-Agent": "Basecamp3 Webhook", "X-Request-Id": str(uuid.uuid4())}
    record: dict[str, Any] = {"id": delivery_id, "created_at": stamp(at), "request": {"headers": headers, "body": payload}}

    def answered(attempt: Attempt) -> None:
        try:
            message = http.HTTPStatus(attempt.status).phrase
        except ValueError:
            message = attempt.error or "no answer"
        with emulator.lock:
            record["response"] = {"headers": {k.title(): v for k, v in attempt.headers.items()}, "code": attempt.status,
                                  "message": message, "body": ""}

    emulator.outbox.enqueue(Delivery(hook.payload_url, json.dumps(payload).encode(), headers, hook=str(hook.id)), answered)
    return record
