"""The mass-removal guard (docs/design.md invariant 9): big removals wait for a person's yes."""

from __future__ import annotations

from bridge.core.model import Snapshot
from bridge.core.ops import Plan

# Below this many removals a cycle never trips on share alone: hiding two of
# three tasks is an everyday edit, not an accident.
MIN_REMOVALS = 3


def check_removals(plan: Plan, internal: Snapshot, client: Snapshot, max_share: float) -> str | None:
    """Why this plan must not run without confirmation, or None when it may."""
    if plan.mirrored and not internal.tasks:
        return f"the internal project is suddenly empty while {plan.mirrored} tasks are mirrored"
    if plan.mirrored >= MIN_REMOVALS and not client.tasks:
        return (
            f"the client project is suddenly empty while {plan.mirrored} tasks are mirrored"
            " (was it cleared, or does the link point at the wrong project?)"
        )
    if plan.removals >= MIN_REMOVALS and plan.mirrored and plan.removals / plan.mirrored > max_share:
        share = round(100 * plan.removals / plan.mirrored)
        limit = round(100 * max_share)
        return f"this cycle would remove {plan.removals} of {plan.mirrored} mirrored tasks ({share}%, limit {limit}%)"
    return None
