"""Restoring a client copy the client archived, instead of creating a duplicate (issue 10).

A tool that can say "this task exists but is archived" (``Capabilities.restore``)
lists it in ``Snapshot.archived``. A mirrored task whose client copy sits there
is not missing: the planner asks for the copy back (``RestoreTask``), so it
keeps its id, its comments and its files, and the next cycle merges it as usual.

A done task stays done: where the archive took the copy's done state away (a
GitHub issue closed as not planned is no longer closed as completed), the
restore asks for it back too (``RestoreTask.done``), so the next merge does not read
"not done" as the client's change.
Tools that cannot undo an archive through their API leave ``archived`` empty,
and a vanished copy is recreated as before.
"""

from __future__ import annotations

from bridge.core.link import Pair
from bridge.core.ops import RestoreTask
from bridge.core.plan.context import PlanContext


def restore_archived(ctx: PlanContext, pair: Pair, depth: int) -> None:
    """Emit the restore of the pair's archived client copy (the decision table found it archived)."""
    archived = ctx.client.archived[pair.client_id or ""]
    wanted = ctx.view.tasks.get(pair.key)
    done = wanted is not None and wanted.fields.get("done") is True and not archived.done
    ctx.emit(
        RestoreTask(
            key=pair.key,
            target_id=archived.id,
            done=done,
            base=pair.base,
            reason="restored: the client archived its copy",
            depth=depth,
        )
    )
