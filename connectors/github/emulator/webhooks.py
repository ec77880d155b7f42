"""Sending the GitHub emulator's webhook deliveries.

The emulator already shapes and signs a delivery for every active hook on each
change (``GithubEmulator.emit``: ``X-GitHub-Event``, ``X-GitHub-Delivery``,
``X-Hub-Signature-256`` when the hook has a secret, a ``ping`` on creation);
this puts each one in the emulator's outbox, so it is really POSTed to the
hook's ``config.url`` when the outbox is drained.

Each delivery is tried once (the outbox's default policy, ``ONCE``): GitHub's
documentation says failed deliveries are not redelivered automatically (they
can be redelivered by hand, which this emulator does not offer), and nothing
in the reference kept here says otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.emulation.webhooks import Delivery

if TYPE_CHECKING:
    from connectors.github.emulator.server import Delivery as HookDelivery
    from connectors.github.emulator.server import GithubEmulator


def send_deliveries(emulator: GithubEmulator) -> None:
    """Queue every delivery ``emulator`` makes from now on."""

    def sink(delivery: HookDelivery) -> None:
        emulator.outbox.enqueue(Delivery(delivery.url, delivery.body, dict(delivery.headers), hook=str(delivery.hook_id)))

    emulator.delivery_sinks.append(sink)
