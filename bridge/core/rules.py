"""A link's rules: what the client sees, what flows back, how conflicts resolve.

These are the validated, typed form of a link's ``mirror``/``inbound``/...
keys in the config file. Every default is the safe choice: sections locked,
fields one-way to the client, internal wins, removals archive.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from bridge.core.fields import PREFIX, FieldMap

Direction = Literal["to_client", "to_internal", "both", "none"]
SectionAccess = Literal["locked", "unlocked"]
ConflictPolicy = Literal["internal_wins", "client_wins", "newest_wins", "flag"]
RemovalMode = Literal["archive", "delete"]

_CLOSERS = "])}>"  # a title marker ending in one of these takes the client's name inside it


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccessSource(_Strict):
    """Where a task's ``none``/``client``/``automatic`` comes from on the internal side."""

    type: Literal["custom_field", "label", "title_marker"] = "label"
    field: str = "Client access"  # custom field name, for type custom_field
    client: str = "client"  # value, label or title marker meaning "shared" (with every client of the project)
    none: str = "internal"  # value, label or title marker meaning "hidden"
    # A label naming one client, e.g. "client:acme" (several clients on one project).
    client_prefix: str = Field(default="client:", min_length=1)

    def named_marker(self, client_name: str) -> str:
        """The label, title marker or field value that shares with one client by name."""
        if self.type == "custom_field":
            return client_name
        if self.type == "label":
            return f"{self.client_prefix}{client_name}"
        marker = self.client
        if marker and marker[-1] in _CLOSERS:  # "[client]" -> "[client:acme]"
            return f"{marker[:-1]}:{client_name}{marker[-1]}"
        return f"{marker}:{client_name}"


class SectionRule(_Strict):
    access: SectionAccess = "locked"
    rename: str | None = None  # the client-side name of an unlocked section


class FieldRules(_Strict):
    """Direction per field, plus how some fields are shaped on the way out."""

    title: Direction = "to_client"
    notes: Direction = "to_client"
    done: Direction = "both"
    due: Direction = "to_client"
    start: Direction = "to_client"
    assignees: Direction = "none"
    labels: Direction = "none"
    # Notes from the first line that reads as this marker on stay internal (bridge/core/markers.py).
    notes_cut: str | None = "---internal---"
    # When labels go out, only these do (None: all but the access labels).
    labels_allowed: list[str] | None = None
    # Custom fields the link carries, by internal field name (docs/custom-fields.md). A field not
    # named here never crosses, in either direction: privacy by default.
    custom: dict[str, FieldMap] = Field(default_factory=dict)

    @field_validator("custom", mode="before")
    @classmethod
    def _custom_names(cls, value: object) -> object:
        # ``Priority: Priority`` (a name) or ``Priority: {to: ..., direction: ..., values: ...}``, or a
        # list of ``{name: ..., to: ...}``; the key is the internal name, ``to`` defaults to it.
        if isinstance(value, list):
            value = {item.get("name") if isinstance(item, dict) else item: item for item in value}
        if not isinstance(value, dict):
            return value
        out: dict[object, object] = {}
        for name, spec in value.items():
            if isinstance(spec, str) or spec is None:
                spec = {"to": spec or name}
            if isinstance(spec, dict):  # ``name`` (the internal field's name) defaults to the key, ``to`` to the name
                internal = spec.get("name") or name
                spec = {"to": internal, **spec, "name": internal}
            out[name] = spec
        return out

    @field_validator("custom")
    @classmethod
    def _one_client_field_each(cls, value: dict[str, FieldMap]) -> dict[str, FieldMap]:
        seen: dict[str, str] = {}
        for name, rule in value.items():
            other = seen.setdefault(rule.to.casefold(), name)
            if other != name:
                raise ValueError(f"custom fields {other!r} and {name!r} both map to the client field {rule.to!r}")
        return value

    def custom_rule(self, key: str) -> FieldMap | None:
        """The custom field whose planner name (``cf:<client name>``) is ``key``."""
        return next((rule for rule in self.custom.values() if rule.key == key), None)

    @field_validator("notes_cut")
    @classmethod
    def _visible_cut(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty: write the cut line, e.g. ---internal--- (or null for no cut line)")
        return value

    def direction(self, name: str) -> Direction:
        if name.startswith(PREFIX):
            rule = self.custom_rule(name)
            return rule.direction if rule else "none"
        return "to_client" if name == "section_id" else getattr(self, name)


class PeopleRules(_Strict):
    """People are matched by email, or mapped explicitly; never invented."""

    map: dict[str, str] = Field(default_factory=dict)  # internal email -> client email
    unmatched: Literal["drop", "name"] = "drop"


class MirrorRules(_Strict):
    sections: dict[str, SectionRule] = Field(default_factory=dict)  # by internal section name
    default_section: SectionAccess = "locked"
    # The client-side section that holds shared tasks whose own section is locked
    # (a locked section's name is itself internal).
    shared_section: str = "Shared with you"
    access: AccessSource = AccessSource()
    comment_marker: str = "#client"
    file_marker: str = "[client]"
    fields: FieldRules = FieldRules()
    people: PeopleRules = PeopleRules()
    subtasks: bool = True
    # Prefix of comments the agency shares, e.g. "Anna (Agency): ..."; {name} is the author,
    # {date} the day the comment was written (YYYY-MM-DD).
    comment_attribution: str = "{name}: "
    # Who this link's client is, from ``links.<name>.client.name`` (not a ``mirror`` setting):
    # the name per-client markers use, and every client name of the same internal project.
    _client_name: str | None = PrivateAttr(default=None)
    _project_clients: tuple[str, ...] = PrivateAttr(default=())

    def for_client(self, name: str, project_clients: Iterable[str] = ()) -> MirrorRules:
        """These rules, read by the client ``name`` among the ``project_clients`` of the internal project."""
        copy = self.model_copy()
        copy._client_name = name
        copy._project_clients = tuple(project_clients) or (name,)
        return copy

    @property
    def client_name(self) -> str | None:
        return self._client_name

    @property
    def project_clients(self) -> tuple[str, ...]:
        return self._project_clients

    @property
    def several_clients(self) -> bool:
        """More than one client reads this internal project: sharing, requests and approvals say with whom."""
        return self.client_name is not None and len(self.project_clients) > 1

    @field_validator("comment_marker", "file_marker")
    @classmethod
    def _visible_marker(cls, value: str) -> str:
        # An empty marker would be "in" every text; a marker shares, so it must be something typed.
        if not value.strip():
            raise ValueError("must not be empty: write the tag that shares an item, e.g. #client or [client]")
        return value

    @field_validator("comment_attribution")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        try:
            value.format(name="", date="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"comment_attribution may use {{name}} and {{date}} only ({exc!s} is not one)") from None
        return value

    def section_rule(self, name: str) -> SectionRule:
        rule = self.sections.get(name)
        return rule if rule is not None else SectionRule(access=self.default_section)


class ApprovalRule(_Strict):
    """A client-side section meaning "approved", mapped to an internal label or section."""

    client_section: str = "Approved"
    internal_label: str | None = "client-approved"
    internal_section: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ApprovalRule:
        if not self.internal_label and not self.internal_section:
            raise ValueError("approval needs internal_label or internal_section")
        return self


class InboundRules(_Strict):
    comments: bool = True
    comment_prefix: str = "Client"  # internal copies read "Client Carla: ..."
    # Files the client adds to a mirrored card come back to the internal task: as files where the
    # internal tool takes uploads, else as links (docs/files.md).
    files: bool = True
    approval: ApprovalRule | None = ApprovalRule()
    # New client tasks land here, shared back to the client; None ignores them.
    requests_section: str | None = "Client requests"


class LinkRules(_Strict):
    mirror: MirrorRules = MirrorRules()
    inbound: InboundRules = InboundRules()
    conflict: ConflictPolicy = "internal_wins"
    removal: RemovalMode = "archive"
    # A cycle removing more than this share of the mirror stops for confirmation.
    max_removal_share: float = Field(default=0.5, ge=0.0, le=1.0)
    start: Literal["all", "new_only"] = "all"
    # Twin links: "internal" gives each mirrored internal task a link to its client-side copy
    # (an attachment, or a comment holding the link where the tool has no attachments).
    twin_links: Literal["none", "internal"] = "none"
    twin_link_name: str = Field(default="Client's copy", min_length=1)

    def approval_label(self) -> str | None:
        """The internal label meaning "approved by this link's client".

        With several clients on one internal project each client's approval is
        its own (``client-approved:acme``), so one client's approval never shows
        as "Approved" in another client's view.
        """
        approval = self.inbound.approval
        if approval is None or not approval.internal_label:
            return None
        if self.mirror.several_clients and self.mirror.client_name:
            return f"{approval.internal_label}:{self.mirror.client_name}"
        return approval.internal_label

    @model_validator(mode="after")
    def _twin_stays_internal(self) -> LinkRules:
        if self.mirror.file_marker and self.mirror.file_marker.casefold() in self.twin_link_name.casefold():
            raise ValueError(
                f"twin_link_name must not contain the file marker {self.mirror.file_marker!r}: the link would go out"
            )
        return self
