"""Checks one exchange with an emulator against the tool's reference spec.

A request must name a documented operation (path and method), send only documented
query parameters and body properties with values of the documented types, and
include the required ones. A 2xx JSON answer must match the response schema the
spec declares for that status, where it declares one.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from tests.spec.reference import Operation, Reference, reference

_SCALARS = {"integer": int, "number": float}
Query = tuple[tuple[str, tuple[str, ...]], ...]  # a hashable query, so repeated exchanges are checked once


def check_exchange(tool: str, method: str, path: str, query: Mapping[str, list[str]], content_type: str, body: bytes,
                   status: int, answer_type: str, answer: bytes, *, request: bool) -> list[str]:
    """Every departure from the spec of one exchange; ``request`` says whether to check the request too.

    Polling sends the same request and gets the same answer many times; both checks are memoised.
    """
    frozen: Query = tuple((k, tuple(v)) for k, v in sorted(query.items()))
    op, problems = _request(tool, method, path, frozen, content_type.split(";")[0], body)
    found = list(problems) if request else []
    if op is not None and 200 <= status < 300 and "json" in answer_type and answer:
        found += _answer(tool, op.name, status, answer, frozen)
    return found


@lru_cache(maxsize=4096)
def _request(tool: str, method: str, path: str, query: Query, content_type: str, body: bytes
             ) -> tuple[Operation | None, tuple[str, ...]]:
    op, found = check_request(reference(tool), method, path, {k: list(v) for k, v in query}, content_type, body)
    return op, tuple(found)


@lru_cache(maxsize=512)
def _answer(tool: str, op_name: str, status: int, answer: bytes, query: Query) -> tuple[str, ...]:
    ref = reference(tool)
    op = ref.operation(*op_name.split(" ", 1))
    return tuple(check_response(ref, op, status, "application/json", answer, {k: list(v) for k, v in query}))


def check_request(ref: Reference, method: str, path: str, query: Mapping[str, list[str]],
                  content_type: str, body: bytes) -> tuple[Operation | None, list[str]]:
    """The documented operation the request names, and every way it departs from the spec."""
    if path.startswith(ref.quirks.file_host_paths) and ref.quirks.file_host_paths:
        return None, []
    op, path_values, documented = ref.match(method, path)
    if op is None:
        what = "method" if documented else "path"
        return None, [f"{method} {path}: undocumented {what} (not in {ref.quirks.spec_file})"]
    found: list[str] = []
    for name, value in path_values.items():
        param = op.params.get(("path", name))
        if param is not None:
            found += _value(ref, value, param, f"path {name}")
    found += _query(ref, op, query)
    found += _body(ref, op, content_type, body)
    return op, [f"{op.name}: {problem}" for problem in found]


def check_response(ref: Reference, op: Operation, status: int, content_type: str, content: bytes,
                   query: Mapping[str, list[str]]) -> list[str]:
    if not 200 <= status < 300 or "json" not in content_type or not content:
        return []
    schema = ref.response_schema(op.method, op.template, status)
    if schema is None:
        return []
    try:
        value = json.loads(content)
    except ValueError:
        return []  # only the MALFORMED fault sends that, on purpose
    found = ref.walker.problems(value, schema, "response", extra=ref.answer_extras(op, query),
                                requested=_requested(ref, query))
    return [f"{op.name} -> {status}: {problem}" for problem in found]


def _requested(ref: Reference, query: Mapping[str, list[str]]) -> frozenset[str]:
    """Asana answers with the optional fields ``opt_fields`` asked for, at any depth."""
    if not ref.quirks.opt_field_paths:
        return frozenset()
    return frozenset(term for value in query.get("opt_fields", []) for path in value.split(",") for term in path.split("."))


def _query(ref: Reference, op: Operation, query: Mapping[str, list[str]]) -> list[str]:
    found: list[str] = []
    for name, values in query.items():
        if name in ref.query_credentials:
            continue
        param = op.params.get(("query", name))
        if param is None:
            found.append(f"undocumented query parameter {name!r}")
            continue
        for value in values:
            found += _value(ref, value, param, f"query {name}")
    body_fields = ref.quirks.body_as_query  # Trello: a required query parameter may come in the body instead
    found += [f"missing required query parameter {name!r}" for (where, name), param in op.params.items()
              if where == "query" and param.get("required") and name not in query and not body_fields]
    return found


def _body(ref: Reference, op: Operation, content_type: str, body: bytes) -> list[str]:
    spec_body = ref.resolve(op.spec.get("requestBody")) or {}
    media = spec_body.get("content", {})
    if not body:
        return ["missing required request body"] if spec_body.get("required") and not ref.quirks.body_as_query else []
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data" and op.name in ref.quirks.multipart:
        return []
    # Trello documents most writes' fields as query parameters; one that documents a body (a custom field
    # item) is checked against that body.
    if ref.quirks.body_as_query and not media and kind in ("application/json", "application/x-www-form-urlencoded"):
        return _body_as_query(ref, op, kind, body)
    if kind not in media and not any(k.endswith("/*") or k == "application/octet-stream" for k in media):
        return [f"request body of type {kind!r}; the spec documents {sorted(media) or 'none'}"]
    if kind != "application/json":
        return []  # files and form uploads: the media type is what the spec pins down
    try:
        value = json.loads(body)
    except ValueError:
        return ["the request body is not JSON"]
    schema: Any = ref.quirks.bodies.get(op.name) or media[kind].get("schema", {})
    documented = ref.quirks.body_extra.get(op.name)
    if documented:
        schema = {"allOf": [schema, {"properties": dict(documented)}]}
    # A request never carries properties the spec does not declare, whatever the tool's rules for answers.
    return ref.walker.problems(value, schema, "body") + _undeclared(ref, value, schema, "body")


def _body_as_query(ref: Reference, op: Operation, kind: str, body: bytes) -> list[str]:
    if kind == "application/json":
        try:
            fields: dict[str, Any] = json.loads(body)
        except ValueError:
            return ["the request body is not JSON"]
    else:
        fields = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items()}
    found: list[str] = []
    for name, value in fields.items():
        param = op.params.get(("query", name))
        if param is None:
            found.append(f"undocumented body field {name!r}")
        elif isinstance(value, str):
            found += _value(ref, value, param, f"body {name}")
        else:
            found += ref.walker.problems(value, param.get("schema", {}), f"body.{name}")
    return found


def _undeclared(ref: Reference, value: Any, schema: Any, where: str) -> list[str]:
    if ref.walker.rules.undeclared == "deep" or not isinstance(value, dict):
        return []  # the walk already reported them
    flat = ref.walker.flatten(schema)
    if not flat.properties or flat.additional:
        return []
    found = [f"{where}: undeclared property {key!r}" for key in value if key not in flat.properties]
    for key, item in value.items():
        if key in flat.properties:
            found += _undeclared(ref, item, flat.properties[key], f"{where}.{key}")
    return found


@lru_cache(maxsize=256)
def _heads(paths: tuple[Any, ...]) -> frozenset[str]:
    return frozenset(str(path).split(".")[0] for path in paths)


def _value(ref: Reference, raw: str, param: Mapping[str, Any], where: str) -> list[str]:
    """A query or path value is text; read it as the parameter's schema type before checking it."""
    schema = param.get("schema", {})
    flat = ref.walker.flatten(schema)
    if flat.alternatives:
        options = [option for _, group in flat.alternatives for option in group]
        failures = [_value(ref, raw, {"schema": option}, where) for option in options]
        return [] if any(not f for f in failures) else [f"{where}: {raw!r} matches none of the documented forms"]
    types = [t for t in flat.types if t != "null"]
    if "array" in types:
        items = flat.items or {}
        element = {"schema": items, "name": param.get("name")}
        return [p for part in raw.split(",") if part for p in _value(ref, part, element, where)]
    if flat.enum is not None and ref.quirks.field_lists and ("," in raw or raw == "all"):
        return [p for part in raw.split(",") if part != "all" for p in _value(ref, part, param, where)]
    if flat.enum is not None and ref.quirks.opt_field_paths and param.get("name") == "opt_fields":
        heads = _heads(tuple(flat.enum))
        return [] if raw.split(".")[0] in heads else [f"{where}: {raw!r} names no documented field"]
    if not types or "string" in types:
        return ref.walker.problems(raw, schema, where) if types or flat.enum is not None else []
    kind = types[0]
    if kind == "boolean":
        return [] if raw in ("true", "false") else [f"{where}: {raw!r} is not a boolean"]
    if kind in _SCALARS:
        try:
            number = _SCALARS[kind](raw)
        except ValueError:
            return [f"{where}: {raw!r} is not {'an integer' if kind == 'integer' else 'a number'}"]
        return ref.walker.problems(number, schema, where)
    return []  # object-typed parameters (Trello types some ``fields`` lists as whole objects)
