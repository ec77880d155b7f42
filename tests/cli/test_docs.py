"""The README's two commands are the ones users and CI actually run; the README stays a guide, docs/ holds the rest."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

import bridge.cli  # noqa: F401  (importing the package registers every command)
from bridge.cli.app import app
from bridge.config.schema import Config

REPO = Path(__file__).resolve().parents[2]
DEMO = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/pm-bridge demo"
TESTS = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
README_MAX_BYTES = 20 * 1024
DOCS = sorted((REPO / "docs").glob("*.md"))


def test_readme_opens_with_the_demo_and_test_commands() -> None:
    readme = (REPO / "README.md").read_text()
    head = readme[: readme.index("## ")]
    assert DEMO in head and TESTS in head


def test_ci_runs_exactly_the_readme_test_command() -> None:
    script = (REPO / ".ci" / "run").read_text().splitlines()
    assert script[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in script
    assert "export PM_BRIDGE_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test" in script
    assert "export HYPOTHESIS_PROFILE=ci" in script
    commands = [line for line in script if line and not line.startswith(("#", "export ", "set ", "cd "))]
    # Before it, only the guarded install of the browser the status page's test drives (CI only, when missing).
    assert commands[-1] == TESTS and all(line.startswith('if [ "${CI:-}" = true ]') for line in commands[:-1])


def test_readme_stays_a_guide_that_links_every_docs_page() -> None:
    readme = (REPO / "README.md").read_bytes()
    assert len(readme) <= README_MAX_BYTES, f"README.md is {len(readme)} bytes; move reference material to docs/"
    unlinked = [page.name for page in DOCS if f"](docs/{page.name}" not in readme.decode()]
    assert not unlinked, f"README.md's contents list misses {unlinked}"


def _prose(markdown: str) -> str:
    """The text outside code blocks and code spans, where a ``[x](y)`` is a real link."""
    without_blocks = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", without_blocks)


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes."""
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M), re.M):
        found.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))
    return found


def test_every_relative_link_in_the_docs_reaches_its_file_and_heading() -> None:
    broken = []
    for page in [REPO / "README.md", *DOCS]:
        for target in re.findall(r"\]\(([^)\s]+)\)", _prose(page.read_text())):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file.read_text()):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, broken


def _config_keys(model: type[BaseModel]) -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        keys.add(field.alias or name)
        for kind in [field.annotation, *typing.get_args(field.annotation)]:
            for inner in [kind, *typing.get_args(kind)]:
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    keys |= _config_keys(inner)
    return keys


def test_every_config_key_is_documented_in_the_readme_or_docs() -> None:
    text = "\n".join(page.read_text() for page in [REPO / "README.md", *DOCS])
    missing = sorted(
        key for key in _config_keys(Config) if not re.search(rf"`[^`\n]*\b{key}\b[^`\n]*`|^\s*{key}:|[{{,] ?{key}:", text, re.M)
    )
    assert not missing, f"config keys documented nowhere: {missing}"


def test_every_command_is_in_the_readme_command_table() -> None:
    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("## Commands and exit codes") :]
    names = [command.name or command.callback.__name__.replace("_", "-") for command in app.registered_commands]
    names += [group.name for group in app.registered_groups if group.name]
    missing = [name for name in names if f"`pm-bridge {name}" not in table]
    assert names and not missing, f"commands missing from the README's table: {missing}"
