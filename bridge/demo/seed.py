"""The demo's story: an agency project seeded by Anna, and what Carla (the client) does with its mirror.

Everything is written through connectors holding the sandbox users' own
tokens, so the emulators see exactly what the real tools would see from a
person. ``pm-bridge emulate <tool> --seed`` seeds the same project.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from dataclasses import dataclass, field

from bridge.core.ports import Connector, FileTransfer, NewTask
from bridge.core.rules import AccessSource, ApprovalRule, FieldRules, InboundRules, LinkRules, MirrorRules, SectionRule
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

# Custom fields (docs/custom-fields.md): the link maps Priority, both ways, through a value map;
# Margin is Anna's own field, which the link does not name, so it must never leave the agency.
PRIORITY = "Priority"
PRIORITY_MAP = {"High": "P1", "Low": "P3"}
MARGIN, MARGIN_VALUE = "Margin", "38 pct"
FIELD_VALUES = {"wireframes": {PRIORITY: "High", MARGIN: MARGIN_VALUE}, "palette": {PRIORITY: "Low"}}

# Files that hold bytes (docs/files.md), both on the shared wireframes task: the marked deliverable
# goes out as a file (as a link where a tool holds no files); the unmarked cost sheet stays home.
DELIVERABLE_ON = "wireframes"
DELIVERABLE = "[client] homepage-concept.png"
COST_SHEET = "cost-sheet.pdf"
COST_SHEET_BYTES = b"%PDF-1.4\n% INTERNAL COSTS: 62h at 95 EUR, 2h over budget\n%%EOF\n"
FILE_URL = "https://files.agency.example/acme/"

# Text that belongs to hidden items: none of it may ever appear in a request to the client's tool.
HIDDEN_PHRASES = [
    "Competitor pricing teardown", "margin model", "Freelancer rates", "Quotes from three illustrators",
    "Set up staging server", "Provision the box", "Configure DNS for staging", "Fix flaky deploy script",
    "Retries on the asset upload", "Cross-browser QA", "Safari", "Logged 2.5h", "over budget",
    "budget.xlsx", "Budgeted 10h", "Tom runs two", "Internal QA",
    MARGIN, MARGIN_VALUE, COST_SHEET, "INTERNAL COSTS",
]

# What Carla does on the client side.
CLIENT_COMMENT_ON = "Homepage wireframes"
CLIENT_COMMENT = "Looks great! Could the hero image be bigger?"
CLIENT_APPROVES = "Brand colour palette"
CLIENT_REQUEST = "Add a newsletter signup"
CLIENT_REQUEST_NOTES = "Our marketing team would like a signup box in the footer."
CLIENT_PRIORITY = "P3"  # Carla lowers the wireframes' priority: Anna gets "Low"
CLIENT_FILE = "hero-feedback.png"


def png(width: int, height: int, seed: int = 0) -> bytes:
    """A small mock-up picture (a header, a hero, three columns), built here so the demo ships no binary."""

    def pixel(x: int, y: int) -> bytes:
        if y < height // 8:
            return bytes((30, 40 + seed * 60, 90))  # header bar
        if y < height // 2 and width // 10 < x < width * 9 // 10:
            return bytes((200 - y % 40, 120 + seed * 40, 60 + x % 50))  # hero image
        if y > height * 3 // 5 and (x * 3 // width) != ((x + 4) * 3 // width):
            return b"\xff\xff\xff"  # gutters
        return bytes((235, 235 - (x * 3 // width) * 20, 225 + seed * 10))

    rows = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")


DELIVERABLE_BYTES = png(240, 150)
CLIENT_FILE_BYTES = png(120, 80, seed=1)


def access_source(kind: str) -> AccessSource:
    """Asana keeps access in its "Client access" custom field; Basecamp (no labels) in a title marker; the rest in labels."""
    if kind == "asana":
        return AccessSource(type="custom_field")
    if kind == "basecamp":
        return AccessSource(type="title_marker", client="[client]", none="[internal]")
    return AccessSource(type="label")


def with_custom_fields(rules: LinkRules) -> LinkRules:
    """The story's link also maps Priority both ways, High/Low as P1/P3 (docs/custom-fields.md)."""
    spec = {PRIORITY: {"to": PRIORITY, "direction": "both", "values": PRIORITY_MAP}}
    fields = rules.mirror.fields.model_copy(update={"custom": FieldRules(custom=spec).custom})
    return rules.model_copy(update={"mirror": rules.mirror.model_copy(update={"fields": fields})})


def setup_client_fields(sandbox: Sandbox, project_id: str) -> None:
    """Carla's project defines the mapped field where her tool defines fields (Asana, Trello)."""
    sandbox.add_custom_field(project_id, PRIORITY, "enum", tuple(PRIORITY_MAP.values()))


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


def seed_agency_project(sandbox: Sandbox, anna: Connector, kind: str, uploads: bool = True) -> Seeded:
    """Create the agency project and fill it as Anna would, through her own connector.

    ``uploads=False`` leaves out the two uploaded files: a served Basecamp emulator hands out file
    links on Basecamp's storage host, which only the in-process transports reach.
    """
    approval = demo_rules(kind).inbound.approval
    extra = [approval.internal_section] if approval and approval.internal_section else []
    project_id = sandbox.create_project(AGENCY_PROJECT, SECTIONS + extra)
    sandbox.setup_access_field(project_id)
    sandbox.add_custom_field(project_id, PRIORITY, "enum", tuple(PRIORITY_MAP))
    sandbox.add_custom_field(project_id, MARGIN, "text")
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
        if item.key in FIELD_VALUES:
            custom = fields.get("custom_fields")
            fields["custom_fields"] = (custom if isinstance(custom, dict) else {}) | FIELD_VALUES[item.key]
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
        for name, content in ((DELIVERABLE, DELIVERABLE_BYTES), (COST_SHEET, COST_SHEET_BYTES)) if uploads else ():
            attach_file(anna, project_id, seeded.ids[DELIVERABLE_ON], name, content)
    return seeded


def attach_file(person: Connector, project_id: str, task_id: str, name: str, content: bytes) -> bool:
    """Upload a file as a person would; where the tool holds no files (GitHub), attach a link. True: uploaded."""
    if isinstance(person, FileTransfer) and person.capabilities.attachments == "file":
        kind = "image/png" if name.endswith(".png") else "application/pdf"
        person.upload_attachment(project_id, task_id, name, iter([content]), len(content), kind)
        return True
    person.create_attachment(project_id, task_id, name, FILE_URL + name.split()[-1])
    return False


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
