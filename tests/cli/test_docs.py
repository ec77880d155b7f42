"""The README's two commands are the ones users and CI actually run."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/pm-bridge demo"
TESTS = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"


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
