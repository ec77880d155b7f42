"""Rebuild tests/reference from a full copy of the official API reference data.

    python tests/reference/reduce.py /path/to/api-reference

The tests never run this and never read the full copy: they read only what this script writes
beside it. Re-run it when the upstream data is refreshed, then run the spec tests
(tests/spec, tests/<tool>) and commit the result. See tests/reference/README.md.

What is kept, and why it is enough:

* Each OpenAPI description keeps every path the tests and the session-wide spec check
  (tests/spec/plugin.py) can meet. For Asana, GitHub and Basecamp that is every path of the
  upstream reduced description. For Trello, it is the resource families the connector and its
  emulator use (cards, boards, lists, ...); organisations, enterprises, plugins and the rest go.
* Components: every component a kept path references, every one tests/spec/quirks.py names,
  and (for the tools whose upstream copy was already reduced) every schema it kept.
* Prose goes: ``summary``, ``description`` (except where it mentions null: the Asana reading
  takes nullability from it, see tests/spec/schema.py ``null_if_described``), ``example(s)``,
  ``externalDocs`` and vendor ``x-*`` extensions. The validator reads none of them.
* Example payloads, recorded exchanges, webhook payloads and test vectors are copied unchanged.

The script ends by loading the result through tests/spec/reference.py, so a reduction that drops
something the spec check needs fails here rather than in the suite.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from tests.spec.quirks import TOOLS  # noqa: E402

# tool -> (source spec, spec file written here; must equal quirks.TOOLS[tool].spec_file)
SPECS = {
    "asana": ("asana/spec/asana_oas.reduced.json", "asana_oas.reduced.json"),
    "github": ("github/spec/api.github.com.2020-07-30.reduced.json", "api.github.com.2020-07-30.reduced.json"),
    "trello": ("trello/spec/trello-openapi.json", "trello-openapi.reduced.json"),
    "basecamp": ("basecamp/spec/basecamp-sdk.openapi.reduced.json", "basecamp-sdk.openapi.reduced.json"),
}
# Trello's description is the whole API; keep the resource families the bridge touches.
TRELLO_FAMILIES = {"actions", "boards", "cards", "checklists", "customFields", "labels", "lists", "members", "tokens", "webhooks"}
# Upstream already cut these to the operations the bridge uses; every schema they kept stays.
KEEP_ALL_SCHEMAS = {"asana", "github", "basecamp"}
# Schemas tests name directly, beyond what quirks.py refers to.
NAMED_BY_TESTS = {
    "asana": {"TaskResponse", "EventResponse", "ErrorResponse"},
    "github": {"label", "private-user", "public-user", "repository"},
    "trello": {"Card", "CheckItem"},
    "basecamp": {"GetPersonResponseContent"},
}
# Copied unchanged: (source, destination), both relative to the tool folder.
COPIED = {
    "asana": ["examples", "examples_current_oas", "LICENSE.developer-docs"],
    "github": ["examples/spec_2020", "examples/recorded", "examples/webhook_signature_test_vector.json",
               "webhooks/payload-examples", "spec/CURRENT_SPEC_NOTES.md", "LICENSE.rest-api-description",
               "LICENSE.octokit-webhooks", "LICENSE.octokit-fixtures"],
    "trello": ["examples", "spec/LICENSE.trellang-repo.md"],
    "basecamp": ["examples", "spec/LICENSE.basecamp-sdk", "sections/authentication.md"],  # Launchpad OAuth (tests/auth)
}
# Examples that are not strict JSON (they hold "..." placeholders); no test reads them.
SKIPPED_SUFFIXES = {".txt"}
PROSE = {"summary", "description", "example", "examples", "externalDocs"}
NAME_MAPS = {"properties", "schemas", "paths", "parameters", "responses", "headers", "securitySchemes",
             "requestBodies", "content"}


def strip(node: Any, parent: str = "") -> Any:
    """The node without prose; keys of name maps (a property called ``description``) are names, not prose."""
    if isinstance(node, list):
        return [strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if parent not in NAME_MAPS:
            if key.startswith("x-"):
                continue
            if key in PROSE and not (key == "description" and isinstance(value, str) and "null" in value.lower()):
                continue
        out[key] = strip(value, key)
    return out


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from refs(item)
    elif is_dataclass(node) and not isinstance(node, type):
        for f in fields(node):
            yield from refs(getattr(node, f.name))


def quirk_schemas(tool: str) -> set[str]:
    quirks = TOOLS[tool]
    named = {ref.rsplit("/", 1)[-1] for ref in refs(quirks) if ref.startswith("#/components/schemas/")}
    return named | set(quirks.rules.overrides) | set(quirks.rules.replaced)


def resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def reduce_spec(tool: str, document: dict[str, Any]) -> dict[str, Any]:
    paths = document["paths"]
    if tool == "trello":
        paths = {p: item for p, item in paths.items() if p.strip("/").split("/")[0] in TRELLO_FAMILIES}
    info = {k: v for k, v in document.get("info", {}).items() if k != "description"}
    info["x-reduced-by"] = "tests/reference/reduce.py: prose dropped" + (
        "; paths outside " + ", ".join(sorted(TRELLO_FAMILIES)) + " dropped" if tool == "trello" else "")
    kept: dict[str, Any] = {k: v for k, v in document.items() if k not in ("paths", "components", "info", "tags")}
    kept |= {"info": info, "paths": strip(paths, "paths")}
    components = strip(document.get("components", {}), "components")
    wanted = {f"#/components/schemas/{name}" for name in quirk_schemas(tool) | NAMED_BY_TESTS[tool]}
    if tool in KEEP_ALL_SCHEMAS:
        wanted |= {f"#/components/schemas/{name}" for name in components.get("schemas", {})}
    wanted |= {f"#/components/securitySchemes/{name}" for name in components.get("securitySchemes", {})}
    full = {**document, "components": components}
    todo = [*wanted, *refs(kept["paths"])]
    seen: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in seen or not ref.startswith("#/components/"):
            continue
        seen.add(ref)
        todo.extend(refs(resolve(full, ref)))
    reduced: dict[str, dict[str, Any]] = {}
    for ref in sorted(seen):
        _, _, kind, name = ref.split("/", 3)
        reduced.setdefault(kind, {})[name] = components[kind][name]
    kept["components"] = {kind: reduced[kind] for kind in components if kind in reduced}
    return kept


def copy(source: Path, target: Path) -> None:
    """Copy a file or a folder's files, contents only (the source is read-only; the copy must not be)."""
    files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
    for file in files:
        if file.suffix in SKIPPED_SUFFIXES:
            continue
        out = target / file.relative_to(source) if source.is_dir() else target
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, out)


def build(source: Path) -> None:
    for tool, (spec_source, spec_name) in SPECS.items():
        assert TOOLS[tool].spec_file == spec_name, f"quirks.py reads {TOOLS[tool].spec_file} for {tool}"
        folder = HERE / tool
        if folder.exists():
            shutil.rmtree(folder)
        document = json.loads((source / spec_source).read_text())
        reduced = reduce_spec(tool, document)
        dangling = [ref for ref in refs(reduced) if ref.startswith("#/")
                    and not _resolves(reduced, ref)]
        assert not dangling, f"{tool}: dangling references {dangling[:5]}"
        (folder / "spec").mkdir(parents=True)
        (folder / "spec" / spec_name).write_text(json.dumps(reduced, indent=0, ensure_ascii=False) + "\n")
        for item in COPIED[tool]:
            copy(source / tool / item, folder / item)
        print(f"{tool}: {len(document['paths'])} -> {len(reduced['paths'])} paths, "
              f"{len(document['components'].get('schemas', {}))} -> {len(reduced['components'].get('schemas', {}))} schemas")


def _resolves(document: dict[str, Any], ref: str) -> bool:
    try:
        resolve(document, ref)
    except (KeyError, TypeError):
        return False
    return True


def check() -> None:
    """Load every reduced spec the way the tests do: routes compile and the quirks' corrections apply."""
    from tests.spec.reference import reference

    for tool in SPECS:
        spec = reference(tool)
        for name in quirk_schemas(tool) | NAMED_BY_TESTS[tool]:
            spec.walker.flatten(spec.schema(name))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not (Path(argv[1]) / "SOURCES.json").exists():
        print("usage: python tests/reference/reduce.py <api-reference folder holding SOURCES.json>", file=sys.stderr)
        return 2
    build(Path(argv[1]))
    check()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
