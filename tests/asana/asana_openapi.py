"""A small checker of JSON payloads against the reduced Asana OpenAPI spec.

It covers what the emulator could get wrong: property types (with
``nullable``, or null allowed by the property's description), ``enum`` values, required properties, and properties the
schema does not declare at all (an emulator must not invent fields).
``$ref`` and ``allOf`` are resolved; that is all the reduced spec uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "api-reference" / "asana"

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
}


@dataclass
class Flat:
    type: str | None = None
    nullable: bool = False
    enum: list[Any] | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: Any = None


@cache
def spec() -> dict[str, Any]:
    return json.loads((REFERENCE / "spec" / "asana_oas.reduced.json").read_text())


def _resolve(ref: str) -> Any:
    node: Any = spec()
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def flatten(schema: Any) -> Flat:
    flat = Flat()
    _merge(flat, schema)
    return flat


def _merge(flat: Flat, schema: Any) -> None:
    if "$ref" in schema:
        _merge(flat, _resolve(schema["$ref"]))
    for part in schema.get("allOf", []):
        _merge(flat, part)
    flat.type = schema.get("type", flat.type)
    # Some fields are documented as null-able only in prose (EventResponse.parent: "will be `null`...").
    described_null = "null" in str(schema.get("description", "")).lower()
    flat.nullable = flat.nullable or bool(schema.get("nullable")) or described_null
    flat.enum = schema.get("enum", flat.enum)
    flat.properties.update(schema.get("properties", {}))
    flat.required.update(schema.get("required", []))
    flat.items = schema.get("items", flat.items)


def problems(value: Any, schema: Any, where: str = "$", *, strict: bool = True) -> list[str]:
    """Every way ``value`` departs from ``schema``; empty when it conforms.

    ``strict`` also reports properties the schema does not declare.
    """
    flat = flatten(schema)
    if value is None:
        return [] if flat.nullable or flat.type is None else [f"{where}: null but not nullable"]
    wrong_type = flat.type is not None and not isinstance(value, _TYPES[flat.type])
    if wrong_type or (flat.type in ("integer", "number") and isinstance(value, bool)):
        return [f"{where}: expected {flat.type}, got {type(value).__name__}"]
    if flat.enum is not None and value not in flat.enum:
        return [f"{where}: {value!r} not in enum {flat.enum}"]
    found: list[str] = []
    if isinstance(value, dict) and (flat.properties or flat.type == "object"):
        found += [f"{where}: missing required {name!r}" for name in sorted(flat.required - set(value))]
        for key, item in value.items():
            if key not in flat.properties:
                if flat.properties and strict:
                    found.append(f"{where}: undeclared property {key!r}")
                continue
            found += problems(item, flat.properties[key], f"{where}.{key}", strict=strict)
    if isinstance(value, list) and flat.items is not None:
        for index, item in enumerate(value):
            found += problems(item, flat.items, f"{where}[{index}]", strict=strict)
    return found


def response_schema(path: str, method: str, status: int) -> Any:
    """The JSON schema the spec declares for one operation's response."""
    operation = spec()["paths"][path][method.lower()]
    response = operation["responses"][str(status)]
    if "$ref" in response:
        response = _resolve(response["$ref"])
    return response["content"]["application/json"]["schema"]


def schema(name: str) -> Any:
    return {"$ref": f"#/components/schemas/{name}"}
