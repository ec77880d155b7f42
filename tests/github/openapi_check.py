"""A small validator for the OpenAPI 3.0 schema subset GitHub's description uses.

Enough for type, nullable, required, properties, items, enum, oneOf/anyOf/allOf
and $ref; formats are not checked. The project carries no jsonschema
dependency, and this keeps the emulator checked against the official file.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "api-reference" / "github"
SPEC_FILE = REFERENCE / "spec" / "api.github.com.2020-07-30.reduced.json"

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_FILE.read_text())
    return loaded


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec()
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def component(name: str) -> dict[str, Any]:
    return resolve({"$ref": f"#/components/schemas/{name}"})


def response_schema(method: str, path: str, status: int) -> dict[str, Any] | None:
    """The documented JSON schema of one response, or None when it has no body."""
    operation = spec()["paths"][path][method.lower()]
    response = resolve(operation["responses"][str(status)])
    content = response.get("content", {}).get("application/json")
    return content["schema"] if content else None


def errors(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema``; empty when it conforms."""
    schema = resolve(schema)
    if value is None:
        return [] if schema.get("nullable") or not _declares_type(schema) else [f"{where}: null where not nullable"]
    found: list[str] = []
    for part in schema.get("allOf", []):
        found += errors(value, part, where)
    for key in ("oneOf", "anyOf"):
        if key in schema and all(errors(value, option, where) for option in schema[key]):
            found.append(f"{where}: matches none of {key}")
    kind = schema.get("type")
    if kind:
        allowed = _TYPES[kind]
        if not isinstance(value, allowed) or (kind in ("integer", "number") and isinstance(value, bool)):
            return found + [f"{where}: {type(value).__name__} where {kind} is documented"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{where}: required {name!r} missing")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                found += errors(value[name], sub, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += errors(item, schema["items"], f"{where}[{i}]")
    return found


def _declares_type(schema: dict[str, Any]) -> bool:
    if "type" in schema:
        return True
    return any(_declares_type(resolve(s)) for s in schema.get("allOf", []))
