"""Custom fields on GitHub: a label ``Name: value`` per field (docs/custom-fields.md "GitHub").

Why labels and not a line in the issue body: a label is what GitHub users already filter, sort and
triage by (``label:"priority: high"``), the client changes it in one click without editing the
description, and it stays out of the body, whose text the notes sync owns, so a field never shows as
a notes change and a notes edit never loses a field. The ``status: `` labels that hold sections use
the same ``name: value`` form.

A label reads as a field when it has a name, a colon, a space and a value (``priority: high``);
``client:acme`` (no space) stays a label. A field holds one label; where someone put several labels
of one field on an issue, their values read as one multi-value (sorted, ", "-joined). GitHub caps a
label name at 50 characters: a longer value is refused before any write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bridge.core.fields import joined
from bridge.errors import Invalid

FIELD_LABEL = re.compile(r"^(?P<name>[^:]*[^:\s]):\s+(?P<value>\S.*)$")
MAX_LABEL = 50  # GitHub: "name: The name of the label ... (max 50 characters)"


def split_labels(names: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """An issue's labels (section labels already out) as (plain labels, {field name: value})."""
    labels: list[str] = []
    values: dict[str, list[str]] = {}
    for name in names:
        found = FIELD_LABEL.match(name)
        if found is None:
            labels.append(name)
            continue
        field = found["name"].strip()
        key = next((k for k in values if k.casefold() == field.casefold()), field)
        values.setdefault(key, []).append(" ".join(found["value"].split()))
    # One label is its value as it stands (text may hold a comma); several are one multi-value.
    out = {name: parts[0] if len(parts) == 1 else value for name, parts in values.items()
           if (value := joined(parts)) is not None}
    return labels, out


def label(field: str, value: str) -> str:
    name = f"{field}: {value}"
    if len(name) > MAX_LABEL:
        raise Invalid(f"github: the label {name!r} is longer than GitHub's {MAX_LABEL} characters",
                      hint="map the value to a shorter one under the link's mirror.fields.custom values")
    return name


def field_labels(values: Mapping[str, str | None]) -> list[str]:
    """The labels that hold these field values (none for a cleared field)."""
    return [label(field, value) for field, value in values.items() if value]


def relabelled(held: Mapping[str, str], patch: Mapping[str, str | None]) -> tuple[list[str], list[str]]:
    """(labels before, labels after) of the fields a patch names, for an add/remove relabel."""
    named = {field.casefold() for field in patch}
    before = [label(field, value) for field, value in held.items() if field.casefold() in named]
    return before, field_labels(patch)
