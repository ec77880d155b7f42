"""One walker for the JSON Schema subset the four OpenAPI descriptions use.

Covered: ``$ref`` (JSON pointers into the spec), ``allOf`` (merged), ``oneOf``/``anyOf``,
``type`` (a name, or an OpenAPI 3.1 list such as ``["string", "null"]``), ``nullable``, ``enum``,
``pattern``, ``required``, ``properties``, ``additionalProperties`` and ``items``. ``format`` is not
checked: Trello's spec says ``format: date`` for fields the API sends as date-times.

How strict the walk is differs per tool and lives in :class:`Rules` (filled in ``quirks.py``):
whether undeclared properties count, and which nulls the prose of a spec allows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Schema = Mapping[str, Any]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


@dataclass(frozen=True)
class Rules:
    """How one tool's spec is read; every field is a documented gap between the spec and the API."""

    # "deep": every object with declared properties rejects others; "top": only the outermost one; "off": never.
    undeclared: Literal["deep", "top", "off"] = "off"
    # Asana documents some nulls only in prose ("will be `null` if ...").
    null_if_described: bool = False
    # Basecamp's verbatim examples show null bios, titles and dates the SDK types as plain strings.
    null_if_optional: bool = False
    # A schema type with no declared type still means "some value"; GitHub writes nullable refs that way.
    null_if_untyped: bool = False
    # oneOf read as anyOf, for descriptions whose alternatives overlap.
    loose_one_of: bool = False
    # Component name -> properties that replace the spec's (known spec errors, newer fields).
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Component name -> a schema used instead of the spec's whole component.
    replaced: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass
class Flat:
    """A schema with its ``$ref`` and ``allOf`` parts merged into one node."""

    types: tuple[str, ...] = ()
    nullable: bool = False
    enum: list[Any] | None = None
    pattern: re.Pattern[str] | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: Any = None
    additional: bool = False  # additionalProperties allows other keys
    alternatives: list[tuple[str, list[Any]]] = field(default_factory=list)  # ("oneOf"|"anyOf", schemas)
    python_types: tuple[type, ...] | None = None  # what isinstance() must accept; None when untyped
    refuses_bool: bool = False  # integer/number without boolean: bool is an int subclass in Python

    def seal(self) -> Flat:
        """Precompute the type test; the walk runs it for every value of every answer."""
        kinds = [t for t in self.types if t != "null"]
        if kinds:
            self.python_types = tuple(t for kind in kinds for t in _TYPES.get(kind, (object,)))
            self.refuses_bool = "boolean" not in kinds and any(k in ("integer", "number") for k in kinds)
        return self


class Walker:
    """Validates JSON values against the schemas of one spec document; flattening is cached per schema node."""

    def __init__(self, document: Mapping[str, Any], rules: Rules) -> None:
        self.document = document
        self.rules = rules
        self._flat: dict[int, Flat] = {}
        self._keep: list[Any] = []  # schema nodes built here (overrides) must outlive their id() in the cache

    def resolve(self, ref: str) -> Any:
        node: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def component(self, name: str) -> Schema:
        return {"$ref": f"#/components/schemas/{name}"}

    def flatten(self, schema: Schema) -> Flat:
        found = self._flat.get(id(schema))
        if found is None:
            found = Flat()
            self._merge(found, schema)
            self._flat[id(schema)] = found.seal()
            self._keep.append(schema)
        return found

    def _merge(self, flat: Flat, schema: Schema) -> None:
        if "$ref" in schema:
            ref = schema["$ref"]
            name = ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else ""
            self._merge(flat, self.rules.replaced.get(name) or self.resolve(ref))
            flat.properties.update(self.rules.overrides.get(name, {}))
        for part in schema.get("allOf", []):
            self._merge(flat, part)
        declared = schema.get("type")
        if declared:
            flat.types = tuple(declared) if isinstance(declared, list) else (declared,)
        described_null = self.rules.null_if_described and "null" in str(schema.get("description", "")).lower()
        flat.nullable = flat.nullable or bool(schema.get("nullable")) or described_null or "null" in flat.types
        if "enum" in schema:
            flat.enum = list(schema["enum"])
        if "pattern" in schema:
            flat.pattern = re.compile(schema["pattern"])
        flat.properties.update(schema.get("properties", {}))
        flat.required.update(schema.get("required", []))
        if "items" in schema:
            flat.items = schema["items"]
        extra = schema.get("additionalProperties")
        if extra is not None and extra is not False:
            flat.additional = True
        flat.alternatives += [(key, list(schema[key])) for key in ("oneOf", "anyOf") if key in schema]

    def problems(self, value: Any, schema: Schema, where: str = "$", *, top: bool = True,
                 extra: frozenset[str] = frozenset(), requested: frozenset[str] = frozenset()) -> list[str]:
        """Every way ``value`` departs from ``schema``; empty when it conforms.

        ``extra`` names keys the outermost object may carry beyond its schema (e.g. keys of an official example);
        ``requested`` names keys any object may carry because the request asked for them (Asana's ``opt_fields``).
        """
        flat = self.flatten(schema)
        if value is None:
            return self._null(flat, where)
        for kind, options in flat.alternatives:
            matching = sum(1 for option in options
                           if not self.problems(value, option, where, top=top, extra=extra, requested=requested))
            if matching == 0 or (kind == "oneOf" and matching > 1 and not self.rules.loose_one_of):
                return [f"{where}: {matching} of the {kind} alternatives match"]
        if flat.python_types is not None and (
                not isinstance(value, flat.python_types) or (flat.refuses_bool and value.__class__ is bool)):
            kinds = "/".join(t for t in flat.types if t != "null")
            return [f"{where}: expected {kinds}, got {type(value).__name__}"]
        if flat.enum is not None and value not in flat.enum:
            return [f"{where}: {value!r} not in enum {flat.enum}"]
        if flat.pattern is not None and isinstance(value, str) and not flat.pattern.search(value):
            return [f"{where}: {value!r} does not match {flat.pattern.pattern}"]
        if isinstance(value, dict):
            return self._object(value, flat, where, top, extra, requested)
        if isinstance(value, list) and flat.items is not None:
            found: list[str] = []
            for index, item in enumerate(value):
                found += self.problems(item, flat.items, f"{where}[{index}]", top=top, extra=extra, requested=requested)
            return found
        return []

    def _null(self, flat: Flat, where: str) -> list[str]:
        if flat.nullable or (flat.enum is not None and None in flat.enum):
            return []
        if self.rules.null_if_untyped and not flat.types:
            return []
        return [f"{where}: null but not nullable"]

    def _object(self, value: dict[str, Any], flat: Flat, where: str, top: bool, extra: frozenset[str],
                requested: frozenset[str]) -> list[str]:
        found = [f"{where}: missing required {name!r}" for name in sorted(flat.required - set(value))]
        strict = self.rules.undeclared == "deep" or (self.rules.undeclared == "top" and top)
        for key, item in value.items():
            sub = flat.properties.get(key)
            if sub is None:
                if strict and flat.properties and not flat.additional and key not in extra and key not in requested:
                    found.append(f"{where}: undeclared property {key!r}")
                continue
            if item is None and self.rules.null_if_optional and key not in flat.required:
                continue
            found += self.problems(item, sub, f"{where}.{key}", top=False, requested=requested)
        return found
