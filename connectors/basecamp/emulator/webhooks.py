"""Sending the Basecamp emulator's webhook deliveries.

``EmulatorBase.changed`` builds the documented body (``{id, kind, details,
created_at, recording, creator}``) for every matching webhook; this queues it
in the emulator's outbox as a POST to the ``payload_url``, unsigned (Basecamp
documents no signature), and keeps the record that ``GET /webhooks/{id}.json``
lists under ``recent_deliveries`` (the 25 newest first, ``emulator_render``),
which gains its ``response`` once the delivery was attempted.

Retries are :data:`BASECAMP_DELIVERY`. The reference documents one record per
"event relay" with "the full request and response", so a retried delivery keeps
its one record, whose ``response`` is the latest attempt's.
"""

from __future__ import annotations

import datetime as dt
import http
import json
import uuid
from typing import TYPE_CHECKING, Any

from connectors.basecamp.emulator.render import stamp
from connectors.basecamp.emulator.store import Webhook
from connectors.emulation.webhooks import Attempt, Delivery, DeliveryPolicy, GiveUp

if TYPE_CHECKING:
    from connectors.basecamp.emulator.access import EmulatorBase

# sections/webhooks.md: "Basecamp will attempt to call the payload URL up to 10 times before
# deactivating the webhook. The duration between attempts will grow exponentially longer", and only
# a 2xx answer is a success. The first step is not documented: doubling from a minute is this
# emulator's choice (the tenth attempt comes about 8.5 hours after the first).
BASECAMP_DELIVERY = DeliveryPolicy(
    retry_delays=tuple(60.0 * 2**n for n in range(9)),
    max_attempts=10,
    on_give_up=GiveUp.DEACTIVATE,
)


def _follow_policy(emulator: EmulatorBase) -> None:
    """Make the outbox retry as Basecamp does and switch a webhook off when it gives up."""
    if emulator.outbox.policy is BASECAMP_DELIVERY:
        return
    hooks = emulator.store.webhooks

    def alive(hook_id: str) -> bool:
        hook = hooks.get(int(hook_id))
        return hook is not None and hook.active

    def retire(hook_id: str, how: GiveUp) -> None:
        with emulator.lock:
            hook = hooks.get(int(hook_id))
            if hook is not None and how is GiveUp.DEACTIVATE:
                hook.active = False
                hook.updated_at = emulator.store.now()

    emulator.outbox.policy, emulator.outbox.alive, emulator.outbox.retire = BASECAMP_DELIVERY, alive, retire


def queue_delivery(
    emulator: EmulatorBase, delivery_id: int, hook: Webhook, payload: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    """Queue ``payload`` for ``hook``; returns its ``recent_deliveries`` record."""
    _follow_policy(emulator)  # on the first delivery: the emulator's constructor is not this module's
    headers = {"Content-Type": "application/json", "User-Agent": "Basecamp3 Webhook", "X-Request-Id": str(uuid.uuid4())}
    record: dict[str, Any] = {"id": delivery_id, "created_at": stamp(at), "request": {"headers": headers, "body": payload}}

    def answered(attempt: Attempt) -> None:
        try:
            message = http.HTTPStatus(attempt.status).phrase
        except ValueError:
            message = attempt.error or "no answer"
        with emulator.lock:
            record["response"] = {
                "headers": {k.title(): v for k, v in attempt.headers.items()},
                "code": attempt.status,
                "message": message,
                "body": attempt.text,
            }

    emulator.outbox.enqueue(Delivery(hook.payload_url, json.dumps(payload).encode(), headers, hook=str(hook.id)), answered)
    return record
