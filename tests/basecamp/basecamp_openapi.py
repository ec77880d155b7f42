"""A small checker of JSON payloads against the reduced Basecamp OpenAPI 3.1 spec and the verbatim examples.

It reports what an emulator could get wrong: property types (``nullable`` and
3.1 ``["string", "null"]`` unions), required properties, and, at the top level,
properties that neither the schema nor the official example of that object
declares (an emulator must not invent fields; the verbatim examples carry a
few keys the SDK's schemas leave out, such as a to-do's ``completion``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "api-reference" / "basecamp"
EXAMPLES = REFERENCE / "examples"

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


@cache
def spec() -> dict[str, Any]:
    return json.loads((REFERENCE / "spec" / "basecamp-sdk.openapi.reduced.json").read_text())


@cache
def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec()
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def response_schema(path: str, method: str, status: str) -> dict[str, Any] | None:
    """The schema a spec operation declares for ``status``; None when it declares no body."""
    operation = spec()["paths"][path][method.lower()]
    content = operation["responses"][status].get("content")
    if not content:
        return None
    return resolve(content["application/json"]["schema"])


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    types = list(declared) if isinstance(declared, list) else [declared] if declared else []
    if schema.get("nullable"):
        types.append("null")
    return types


def problems(value: Any, schema: dict[str, Any], where: str = "$", *, extra: frozenset[str] = frozenset(),
             top: bool = True) -> list[str]:
    """Every way ``value`` departs from ``schema``; ``extra`` names top-level keys allowed beyond it.

    A property the schema does not require may be ``null``: the verbatim examples show null bios,
    titles and dates the SDK types as plain strings.
    """
    schema = resolve(schema)
    types = _types(schema)
    if types and not any(isinstance(value, _TYPES[t]) and not (t in ("integer", "number") and isinstance(value, bool))
                         for t in types):
        return [f"{where}: {type(value).__name__} is not {'/'.join(types)}"]
    found: list[str] = []
    if isinstance(value, dict):
        props = schema.get("properties", {})
        found += [f"{where}: missing required {key!r}" for key in schema.get("required", []) if key not in value]
        if top:
            found += [f"{where}: undeclared property {key!r}" for key in value if key not in props and key not in extra]
        required = set(schema.get("required", []))
        for key, item in value.items():
            if key not in props:
                continue
            if item is not None:
                found += problems(item, props[key], f"{where}.{key}", top=False)
            elif key in required and "null" not in _types(resolve(props[key])):
                # An optional property may be null (the examples show null bios, titles, dates).
                found.append(f"{where}.{key}: null but required and not nullable")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += problems(item, schema["items"], f"{where}[{index}]", extra=extra, top=top)
    return found


def example_keys(*names: str) -> frozenset[str]:
    """Every key the named verbatim examples use at the top level (of the object or of each list item)."""
    keys: set[str] = set()
    for name in names:
        body = example(name)
        for item in body if isinstance(body, list) else [body]:
            keys |= set(item)
    return frozenset(keys)

