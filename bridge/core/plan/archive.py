"""Restoring a client copy the client archived, instead of creating a duplicate (issue 10).

A tool that can say "this task exists but is archived" (``Capabilities.restore``)
lists it in ``Snapshot.archived``. A mirrored task whose client copy sits there
is not missing: the planner asks for the copy back (``archived: False``), so it
keeps its id, its comments and its files, and the next cycle merges it as usual.

A done task stays done: where the archive took the copy's done state away (a
GitHub issue closed as not planned is no longer closed as completed), the
restore asks for it back too (``done: True``), so the next merge does not read
"not done" as the client's change.
Tools that cannot undo an archive through their API leave ``archived`` empty,
and a vanished copy is recreated as before.
"""

from __future__ import annotations

from bridge.core.link import Pair
from bridge.core.ops import ARCHIVED, Op
from bridge.core.plan.context import PlanContext


def restore_archived(ctx: PlanContext, pair: Pair, depth: int) -> bool:
    """Emit the restore of the pair's archived client copy; False when it is not archived."""
    if not ctx.client_caps.restore:
        return False
    archived = ctx.client.archived.get(pair.client_id or "")
    if archived is None:
        return False
    wanted = ctx.view.tasks.get(pair.key)
    fields: dict[str, bool] = {ARCHIVED: False}
    if wanted is not None and wanted.fields.get("done") is True and not archived.done:
        fields["done"] = True
    ctx.emit(
        Op(
            side="client",
            action="update",
            kind="task",
            key=pair.key,
            target_id=archived.id,
            fields=fields,
            base=pair.base,
            reason="restored: the client archived its copy",
            depth=depth,
        )
    )
    return True
