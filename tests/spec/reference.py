"""One tool's API reference: its OpenAPI document, its operations as a route table, its examples.

``reference("asana")`` is built once per process (the specs are parsed and their
routes compiled on first use) and shared by the session-wide traffic check and
the per-tool tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from tests.spec.quirks import TOOLS, ToolQuirks
from tests.spec.schema import Schema, Walker

# The reduced copies tests/reference/reduce.py writes; tests read nothing outside the repository.
ROOT = Path(__file__).resolve().parents[1] / "reference"
METHODS = ("get", "put", "post", "delete", "patch", "head")


@dataclass
class Operation:
    method: str
    template: str  # the spec's path key
    spec: dict[str, Any]
    params: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (in, name) -> parameter

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


@dataclass
class Route:
    regex: re.Pattern[str]
    operations: dict[str, Operation]  # by upper-case method
    literal: int  # characters outside {params}: more specific templates are tried first


class Reference:
    def __init__(self, tool: str, quirks: ToolQuirks) -> None:
        self.tool = tool
        self.quirks = quirks
        self.root = ROOT / tool
        self.examples = self.root / "examples"
        self.document: dict[str, Any] = json.loads((self.root / "spec" / quirks.spec_file).read_text())
        self.walker = Walker(self.document, quirks.rules)
        self._walkers: dict[tuple[bool, bool], Walker] = {}
        self.routes = self._compile()
        self._operations = {op.name: op for route in self.routes for op in route.operations.values()}
        self._matched: dict[tuple[str, str], tuple[Operation | None, dict[str, str], bool]] = {}
        self.query_credentials = frozenset(
            scheme["name"] for scheme in self.document.get("components", {}).get("securitySchemes", {}).values()
            if scheme.get("type") == "apiKey" and scheme.get("in") == "query"
        )

    # -- schemas ----------------------------------------------------------------

    def schema(self, name: str) -> Schema:
        return self.walker.component(name)

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = self.walker.resolve(node["$ref"])
        return node

    def problems(self, value: Any, schema: Schema, where: str = "$", *, extra: frozenset[str] = frozenset(),
                 strict: bool = True, as_published: bool = False) -> list[str]:
        """Every way ``value`` departs from ``schema`` under the tool's rules.

        ``strict=False`` ignores undeclared properties (older examples against a newer spec);
        ``as_published`` reads the spec without the corrections in quirks.py (to show a caveat is real).
        """
        return self._walker(strict, as_published).problems(value, schema, where, extra=extra)

    def component(self, name: str) -> dict[str, Any]:
        """A component schema exactly as the spec publishes it."""
        found: dict[str, Any] = self.document["components"]["schemas"][name]
        return found

    def _walker(self, strict: bool, as_published: bool) -> Walker:
        if strict and not as_published:
            return self.walker
        key = (strict, as_published)
        if key not in self._walkers:
            rules = replace(self.quirks.rules, undeclared=self.quirks.rules.undeclared if strict else "off")
            if as_published:
                rules = replace(rules, overrides={}, replaced={})
            self._walkers[key] = Walker(self.document, rules)
        return self._walkers[key]

    def operation(self, method: str, template: str) -> Operation:
        found = self._operations.get(f"{method.upper()} {template}")
        if found is None:
            raise KeyError(f"{self.tool}: no operation {method.upper()} {template}")
        return found

    def response_schema(self, method: str, template: str, status: int | str) -> Schema | None:
        """The JSON schema the spec declares for one response; None when it declares no JSON body."""
        op = self.operation(method, template)
        corrected = self.quirks.answers.get(op.name, {}).get(str(status))
        if corrected is not None:
            return corrected
        response = self.resolve(op.spec.get("responses", {}).get(str(status)))
        content = (response or {}).get("content", {}).get("application/json")
        return content["schema"] if content and "schema" in content else None

    def example(self, name: str) -> Any:
        """A fresh copy of one example payload (callers may change it)."""
        return json.loads((self.examples / name).read_text())

    def example_keys(self, *names: str) -> frozenset[str]:
        """Every key the named examples use at the top level (of the object, or of each list item)."""
        keys: set[str] = set()
        for name in names:
            body = self.example(name)
            for item in body if isinstance(body, list) else [body]:
                keys |= set(item)
        return frozenset(keys)

    def answer_extras(self, op: Operation, query: Mapping[str, list[str]]) -> frozenset[str]:
        """Top-level keys an answer may carry beyond its schema: those of the official examples of the operation."""
        if not self.quirks.examples_extend_answers:
            return frozenset()
        typed = self.quirks.typed_listings.get(op.name)
        if typed is not None:  # a generic listing answers with full objects of the type the query names
            param, by_type = typed
            target = by_type.get((query.get(param) or [""])[-1])
            if target is None:
                return frozenset()
            item = self.operation(*target.split(" ", 1))
            schema = self.response_schema(item.method, item.template, 200)
            declared = frozenset(self.walker.flatten(schema).properties) if schema else frozenset()
            return declared | self.answer_extras(item, {})
        own = self._examples_by_operation().get(op.name, frozenset())
        like = self.quirks.answer_like.get(op.name)
        return own | self.answer_extras(self.operation(*like.split(" ", 1)), {}) if like else own

    @cache  # noqa: B019 - one Reference per tool lives for the whole process
    def _examples_by_operation(self) -> dict[str, frozenset[str]]:
        index_file = self.examples / "_index.json"
        found: dict[str, set[str]] = {}
        for name, entry in json.loads(index_file.read_text()).items():
            path = entry.get("path") or ""
            if entry.get("kind") != "Response" or not entry.get("method") or not path.startswith("/"):
                continue
            op, _, _ = self.match(entry["method"], path.split("?")[0])
            if op is not None:
                found.setdefault(op.name, set()).update(self.example_keys(name))
        return {name: frozenset(keys) for name, keys in found.items()}

    # -- routes -----------------------------------------------------------------

    def match(self, method: str, path: str) -> tuple[Operation | None, dict[str, str], bool]:
        """The operation for a request, its path parameters, and whether the path is documented at all."""
        key = (method.upper(), path)
        if key not in self._matched:
            if len(self._matched) > 20_000:  # ids make paths unique; keep the memo bounded
                self._matched.clear()
            self._matched[key] = self._match(*key)
        return self._matched[key]

    def _match(self, method: str, path: str) -> tuple[Operation | None, dict[str, str], bool]:
        for route in self.routes:
            found = route.regex.match(path)
            if found:
                return route.operations.get(method), found.groupdict(), True
        return None, {}, False

    def _compile(self) -> list[Route]:
        routes: list[Route] = []
        paths = dict(self.document["paths"])
        paths.update(self.quirks.extra_paths)
        legacy = f"(?:{self.quirks.legacy_prefix})?" if self.quirks.legacy_prefix else ""
        for template, item in paths.items():
            local = template.removeprefix(self.quirks.template_prefix)
            pattern = re.sub(r"\\\{(\w+)\\\}", rf"(?P<\1>[^/]+?){self.quirks.param_suffix}", re.escape(local.rstrip("/")))
            shared = [self.resolve(p) for p in item.get("parameters", [])]
            operations: dict[str, Operation] = {}
            for method in METHODS:
                if method not in item:
                    continue
                spec = item[method]
                params = {(p["in"], p["name"]): p for p in shared}
                params.update({(p["in"], p["name"]): p for p in (self.resolve(r) for r in spec.get("parameters", []))})
                operations[method.upper()] = Operation(method.upper(), template, spec, params)
            literal = len(re.sub(r"\{\w+\}", "", local))
            routes.append(Route(re.compile(f"^{legacy}{pattern}/?$"), operations, literal))
        routes.sort(key=lambda r: -r.literal)
        self._amend({op.name: op for route in routes for op in route.operations.values()})
        return routes

    def _amend(self, operations: dict[str, Operation]) -> None:
        """Apply the tool's documented parameter corrections (quirks.params, quirks.nested) to the compiled operations."""
        for name, sources in self.quirks.nested.items():
            for source in sources:
                for key, inherited in operations[source].params.items():
                    if key[0] == "query":
                        operations[name].params.setdefault(key, inherited)
        for name, added in self.quirks.params.items():
            for param_name, schema in added.items():
                operations[name].params[("query", param_name)] = {"name": param_name, "in": "query", "schema": schema}


@cache
def reference(tool: str) -> Reference:
    return Reference(tool, TOOLS[tool])
