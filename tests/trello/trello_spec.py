"""The copied Trello OpenAPI spec and its composed examples, plus a validator for the subset of
JSON Schema the spec uses (type, nullable, properties, required, items, oneOf/anyOf, enum, pattern, $ref).

``format`` is not checked: the spec says ``format: date`` for fields the API sends as date-times.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

# shared/ sits beside the repository checkout (see COMMON.md), on developer machines and in CI.
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "api-reference" / "trello"
EXAMPLES = REFERENCE / "examples"

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "object": (dict,), "array": (list,),
}


@cache
def spec() -> dict[str, Any]:
    return json.loads((REFERENCE / "spec" / "trello-openapi.json").read_text())


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def schema(name: str) -> dict[str, Any]:
    return copy.deepcopy(spec()["components"]["schemas"][name])


def corrected(name: str) -> dict[str, Any]:
    """A schema with the spec's known errors fixed to what the real API sends (README caveats)."""
    found = schema(name)
    props = found.get("properties", {})
    if name == "Card":
        # Swapped in the spec: the API sends idLabels as ids and labels as Label objects.
        props["idLabels"] = {"type": "array", "items": {"$ref": "#/components/schemas/TrelloID"}}
        props["labels"] = {"type": "array", "items": {"$ref": "#/components/schemas/Label"}}
        # Missing from the spec's Card.
        props["dueComplete"] = {"type": "boolean"}
        props["start"] = {"type": "string", "nullable": True}
        props["due"] = {"type": "string", "nullable": True}
        props["idChecklists"] = {"type": "array", "items": {"$ref": "#/components/schemas/TrelloID"}}
    if name == "CheckItem":
        props["pos"] = {"type": "number"}  # typed string in the spec; the API sends a number
    if name == "Board":
        props["descData"] = {"type": "object", "nullable": True}  # typed string in the spec; the API sends an object or null
        props["idOrganization"] = {"type": "string", "nullable": True}
    if name == "Attachment":
        props["bytes"] = {"type": "integer", "nullable": True}  # a byte count, null for links
    if name == "TrelloList":
        props["softLimit"] = {"type": "string", "nullable": True}  # null unless a limit is set; the spec forgets nullable
    if name == "Label":
        props["color"] = {"$ref": "#/components/schemas/Color"}
    return found


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"].rsplit("/", 1)[-1]
        extra = {k: v for k, v in node.items() if k not in ("$ref", "type")}
        node = {**spec()["components"]["schemas"][ref], **extra}
    return node


def errors(value: Any, node: dict[str, Any], where: str = "$") -> list[str]:
    node = _resolve(node)
    if value is None:
        return [] if node.get("nullable") or node.get("enum") and None in node["enum"] else [f"{where}: null not allowed"]
    for key in ("oneOf", "anyOf"):
        if key in node:
            matching = [alt for alt in node[key] if not errors(value, alt, where)]
            if not matching or (key == "oneOf" and len(matching) > 1):
                return [f"{where}: {len(matching)} of {key} alternatives match"]
            return []
    kind = node.get("type")
    if kind and (not isinstance(value, _TYPES[kind]) or (kind in ("integer", "number") and isinstance(value, bool))):
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    if "enum" in node and value not in node["enum"]:
        return [f"{where}: {value!r} not in enum"]
    if "pattern" in node and isinstance(value, str) and not re.search(node["pattern"], value):
        return [f"{where}: {value!r} does not match {node['pattern']}"]
    out: list[str] = []
    if isinstance(value, dict):
        out += [f"{where}: missing {key}" for key in node.get("required", []) if key not in value]
        for key, sub in node.get("properties", {}).items():
            if key in value:
                out += errors(value[key], sub, f"{where}.{key}")
    if isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            out += errors(item, node["items"], f"{where}[{index}]")
    return out
