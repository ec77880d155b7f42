"""Which rules a migration plans with: everything, the default filter, or a configured link's filter.

A migration reuses the mirror filter and the planner of the sync engine, with
the source as the "internal" side and the target as the "client" side. Copying
everything is expressed as rules under which everything is shared: every
section unlocked, no access label that could hide a task, a comment and file
marker that shares every item (bridge/markers.EVERY_ITEM), every field going out.
Nothing ever flows back: a migration never writes to its source.
"""

from __future__ import annotations

from enum import StrEnum

from bridge.config.schema import Config
from bridge.core.markers import EVERY_ITEM
from bridge.core.rules import AccessSource, FieldRules, InboundRules, LinkRules, MirrorRules, PeopleRules
from bridge.migrate.spec import MigrationOptions

# A label no task carries: under "copy everything" no label may hide or share a task.
_NO_LABEL = "\x00pm-bridge-migrate: no access label\x00"
# Where tasks without a section land on a target that needs one (a Trello card needs a list).
UNSORTED_SECTION = "No section"

NO_INBOUND = InboundRules(comments=False, approval=None, requests_section=None)

COPY_EVERYTHING = LinkRules(
    mirror=MirrorRules(
        default_section="unlocked",
        shared_section=UNSORTED_SECTION,
        access=AccessSource(type="label", client=_NO_LABEL, none=_NO_LABEL),
        comment_marker=EVERY_ITEM,
        file_marker=EVERY_ITEM,
        fields=FieldRules(
            title="to_client", notes="to_client", done="to_client", due="to_client", start="to_client",
            assignees="to_client", labels="to_client", notes_cut=None, labels_allowed=None,
        ),
        people=PeopleRules(unmatched="name"),
        subtasks=True,
    ),
    inbound=NO_INBOUND,
    max_removal_share=1.0,
)


class FilterMode(StrEnum):
    everything = "everything"  # no filter
    default = "default"  # --only-shared: the default mirror filter
    link = "link"  # --link NAME / --keep-linked NAME


def migration_rules(config: Config, options: MigrationOptions) -> tuple[LinkRules, FilterMode]:
    """The rules to plan with, and which kind of filter they are."""
    name = options.keep_linked or options.link
    if name:
        rules = config.links[name].rules()
        if options.keep_linked:
            # The pairs become the link's own: plan exactly as its sync would (the approval
            # section included), so the first sync afterwards finds nothing to create.
            return rules, FilterMode.link
        return rules.model_copy(update={"inbound": NO_INBOUND}), FilterMode.link
    if options.only_shared:
        return LinkRules(inbound=NO_INBOUND), FilterMode.default
    return COPY_EVERYTHING, FilterMode.everything
