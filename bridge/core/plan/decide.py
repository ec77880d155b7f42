"""The one decision every mirrored item goes through, whatever its kind (docs/design.md "Decision table planner").

Sections, tasks, comments and files all ask the same questions of an item:
is it wanted on the client side (in the mirror view)? is it linked (a pair)?
is its linked client copy there, or in the tool's archive, or hanging off a card
that is? are both pulls complete? The answer is one of a few decisions; what a
decision means for a kind (the three-way merge of a task, the new text of a
comment) is the kind's own planner's business.

Field by field, "changed on each side" is then decided by the task merge
(bridge/core/plan/cycle.py), against the base each pair records.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple


class Decision(Enum):
    MERGE = "merge"  # both copies are there: bring the client copy up to date (three-way for tasks)
    RESTORE = "restore"  # the client archived its copy: take it out of the archive
    CREATE = "create"  # not on the client side: adopt an equal unlinked client item, else create one
    REMOVE = "remove"  # no longer wanted: remove the client copy
    FORGET = "forget"  # no longer wanted and already gone: drop the pair
    WAIT = "wait"  # cannot tell yet (an incomplete pull, a card being restored): do nothing this cycle


class Facts(NamedTuple):
    wanted: bool  # the mirror view holds the item
    linked: bool  # a pair links it to a client copy
    on_client: bool  # that copy is in the client snapshot
    archived: bool = False  # that copy sits in the client tool's archive
    host_archived: bool = False  # it hangs off a card whose copy sits there (it comes back with the card)
    internal_complete: bool = True
    client_complete: bool = True


def decide(f: Facts) -> Decision:
    if f.wanted:
        if f.linked and f.on_client:
            return Decision.MERGE
        if f.linked and f.archived:
            return Decision.RESTORE
        if f.linked and (f.host_archived or not f.client_complete):
            return Decision.WAIT  # missing from an incomplete pull is not deleted
        return Decision.CREATE
    if not f.linked or not f.internal_complete:
        return Decision.WAIT  # missing from an incomplete pull is not gone
    if f.on_client:
        return Decision.REMOVE
    return Decision.FORGET if f.client_complete else Decision.WAIT


class FieldMove(Enum):
    SEND = "send"  # the mirror's value goes to the client copy
    TAKE = "take"  # the client's value comes into the internal task
    KEEP = "keep"  # nothing moves: this field's direction does not carry the change
    RESOLVE = "resolve"  # both sides changed it: the link's conflict policy picks


def merge_field(internal_changed: bool, client_changed: bool, direction: str) -> FieldMove:
    """One field of a linked task whose two values differ, by what changed since the base and its direction."""
    if internal_changed and not client_changed:
        return FieldMove.SEND if direction in ("to_client", "both") else FieldMove.KEEP
    if client_changed and not internal_changed:
        # A field the mirror owns is put back.
        return FieldMove.TAKE if direction in ("to_internal", "both") else FieldMove.SEND
    # Both changed (or no base yet): a one-way field's owner wins without a conflict.
    return {"to_client": FieldMove.SEND, "to_internal": FieldMove.TAKE}.get(direction, FieldMove.RESOLVE)
