"""The demo's story: an agency project seeded by Anna, and what Carla (the client) does with its mirror.

Everything is written through connectors holding the sandbox users' own
tokens, so the emulators see exactly what the real tools would see from a
person. ``pm-bridge emulate <tool> --seed`` seeds the same project.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bridge.core.ports import Connector, NewTask
from bridge.core.rules import AccessSource, ApprovalRule, InboundRules, LinkRules, MirrorRules, SectionRule
from connectors.emulation.sandbox import Sandbox

AGENCY_PROJECT = "Acme website"
CLIENT_PROJECT = "Acme x Agency"
SECTIONS = ["Discovery", "Design", "Build", "Internal QA"]
RENAMED = {"Design": "Design review"}
UNLOCKED = {"Discovery", "Design"}


@dataclass(frozen=True)
class SeedTask:
    key: str
    section: str
    title: str
    access: str = "automatic"  # none | client | automatic
    notes: str = ""
    done: bool = False
    due_in_days: int | None = None
    parent: str | None = None


TASKS = [
    SeedTask("kickoff", "Discovery", "Kickoff workshop", done=True,
             notes="Goals, audiences and success metrics agreed with Acme."),
    SeedTask("interviews", "Discovery", "Stakeholder interviews", due_in_days=7,
             notes="Five interviews with Acme's marketing and sales leads.\n---internal---\n"
                   "Budgeted 10h; Tom runs two of them for training."),
    SeedTask("pricing", "Discovery", "Competitor pricing teardown", access="none", notes="Our margin model against theirs."),
    SeedTask("wireframes", "Design", "Homepage wireframes", due_in_days=10,
             notes="Low-fidelity wireframes for the homepage and product page."),
    SeedTask("palette", "Design", "Brand colour palette", due_in_days=12,
             notes="Three palette options built on Acme's logo colours."),
    SeedTask("rates", "Design", "Freelancer rates for illustrations", access="none", notes="Quotes from three illustrators."),
    SeedTask("staging", "Build", "Set up staging server", notes="Provision the box and the deploy pipeline."),
    SeedTask("staging_login", "Build", "Send staging login to Acme", access="client", parent="staging"),
    SeedTask("staging_dns", "Build", "Configure DNS for staging", parent="staging"),
    SeedTask("cms", "Build", "CMS content entry", access="client", due_in_days=20,
             notes="Acme enters the product copy in the CMS."),
    SeedTask("deploy", "Build", "Fix flaky deploy script", notes="Retries on the asset upload step."),
    SeedTask("qa", "Internal QA", "Cross-browser QA pass", notes="Safari and Firefox, desktop and mobile."),
]

COMMENTS = [
    ("kickoff", "#client Thanks for a great workshop! The summary is in the task notes."),
    ("kickoff", "Logged 2.5h kickoff prep"),
    ("wireframes", "#client First draft is ready for your review."),
    ("wireframes", "Spent 6h so far, 2h over budget. Let's not mention it yet."),
    ("qa", "#client Safari issues found on the checkout page"),
]

FILES = [
    ("wireframes", "[client] wireframes.pdf", "https://files.agency.example/acme/wireframes.pdf"),
    ("wireframes", "budget.xlsx", "https://files.agency.example/acme/budget.xlsx"),
]

# Text that belongs to hidden items: none of it may ever appear in a request to the client's tool.
HIDDEN_PHRASES = [
    "Competitor pricing teardown", "margin model", "Freelancer rates", "Quotes from three illustrators",
    "Set up staging server", "Provision the box", "Configure DNS for staging", "Fix flaky deploy script",
    "Retries on the asset upload", "Cross-browser QA", "Safari", "Logged 2.5h", "over budget",
    "budget.xlsx", "Budgeted 10h", "Tom runs two", "Internal QA",
]

# What Carla does on the client side.
CLIENT_COMMENT_ON = "Homepage wireframes"
CLIENT_COMMENT = "Looks great! Could the hero image be bigger?"
CLIENT_APPROVES = "Brand colour palette"
CLIENT_REQUEST = "Add a newsletter signup"
CLIENT_REQUEST_NOTES = "Our marketing team would like a signup box in the footer."


def access_source(kind: str) -> AccessSource:
    """Asana keeps access in its "Client access" custom field; Basecamp (no labels) in a title marker; the rest in labels."""
    if kind == "asana":
        return AccessSource(type="custom_field")
    if kind == "basecamp":
        return AccessSource(type="title_marker", client="[client]", none="[internal]")
    return AccessSource(type="label")


def demo_rules(internal_kind: str) -> LinkRules:
    sections = {name: SectionRule(access="unlocked", rename=RENAMED.get(name)) for name in UNLOCKED}
    mirror = MirrorRules(sections=sections, access=access_source(internal_kind))
    if internal_kind == "basecamp":
        # No labels there: an approval moves the to-do to a list instead. That list must be
        # unlocked, or the approved task would be hidden from the client by its own approval.
        approval = ApprovalRule(internal_label=None, internal_section="Approved by client")
        sections["Approved by client"] = SectionRule(access="unlocked")
        mirror = mirror.model_copy(update={"sections": sections})
        return LinkRules(mirror=mirror, inbound=InboundRules(approval=approval))
    return LinkRules(mirror=mirror)


def _access_fields(source: AccessSource, title: str, access: str) -> dict[str, object]:
    """Task fields that state ``access`` where the link reads it (custom field, label or title marker)."""
    if access == "automatic":
        return {"title": title}
    marker = source.client if access == "client" else source.none
    if source.type == "custom_field":
        return {"title": title, "custom_fields": {source.field: access}}
    if source.type == "title_marker":
        return {"title": f"{title} {marker}"}
    return {"title": title, "labels": [marker]}


@dataclass
class Seeded:
    project_id: str
    ids: dict[str, str] = field(default_factory=dict)  # SeedTask.key -> task id
    skipped: list[str] = field(default_factory=list)  # what this tool cannot hold


def seed_agency_project(sandbox: Sandbox, anna: Connector, kind: str) -> Seeded:
    """Create the agency project and fill it as Anna would, through her own connector."""
    approval = demo_rules(kind).inbound.approval
    extra = [approval.internal_section] if approval and approval.internal_section else []
    project_id = sandbox.create_project(AGENCY_PROJECT, SECTIONS + extra)
    sandbox.setup_access_field(project_id)
    source = access_source(kind)
    seeded = Seeded(project_id)
    snapshot = anna.pull(project_id).snapshot
    sections = {s.name: s.id for s in snapshot.sections.values()}
    # Can a subtask carry its own access value in this tool?
    caps = anna.capabilities
    nested_access = {"custom_field": caps.custom_fields, "label": "labels" in caps.subtask_fields}.get(source.type, True)
    today = dt.date.today()
    for item in TASKS:
        fields = _access_fields(source, item.title, item.access)
        if item.parent and not caps.subtask_fields:
            seeded.skipped.append(f"{item.title!r} (a subtask: {kind} has none)")
            continue
        if item.parent and item.access != "automatic" and not nested_access:
            # The tool's subtasks cannot carry an access value: shared subtasks need a tool like Asana.
            seeded.skipped.append(f"{item.title!r} (a subtask cannot be marked for the client in {kind})")
            continue
        new = NewTask(
            notes=item.notes, done=item.done,
            section_id=None if item.parent else sections[item.section],
            parent_id=seeded.ids[item.parent] if item.parent else None,
            due=today + dt.timedelta(days=item.due_in_days) if item.due_in_days is not None else None,
            **fields,
        )
        seeded.ids[item.key] = anna.create_task(project_id, new).id
    for key, text in COMMENTS:
        anna.create_comment(project_id, seeded.ids[key], text)
    if anna.capabilities.attachments != "none":
        for key, name, url in FILES:
            anna.create_attachment(project_id, seeded.ids[key], name, url)
    return seeded


def play_client(carla: Connector, project_id: str, approved_section: str) -> list[str]:
    """Carla comments on a card, moves one to the approval list and files a new request; what she did, for the report."""
    snapshot = carla.pull(project_id).snapshot
    by_title = {task.title: task for task in snapshot.tasks.values() if task.parent_id is None}
    actions: list[str] = []
    commented = by_title[CLIENT_COMMENT_ON]
    carla.create_comment(project_id, commented.id, CLIENT_COMMENT)
    actions.append(f"commented on {CLIENT_COMMENT_ON!r}: {CLIENT_COMMENT!r}")
    approved = next(s.id for s in snapshot.sections.values() if s.name == approved_section)
    carla.update_task(project_id, by_title[CLIENT_APPROVES], {"section_id": approved})
    actions.append(f"moved {CLIENT_APPROVES!r} to {approved_section!r}")
    carla.create_task(project_id, NewTask(title=CLIENT_REQUEST, notes=CLIENT_REQUEST_NOTES, section_id=commented.section_id))
    actions.append(f"added a new card {CLIENT_REQUEST!r}")
    return actions
