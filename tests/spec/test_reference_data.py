"""The reference data is part of the repository: a fresh clone runs every contract check, none skips."""

from __future__ import annotations

import re
from pathlib import Path

from tests.spec.plugin import MONITOR
from tests.spec.quirks import TOOLS
from tests.spec.reference import ROOT, reference

REPO = Path(__file__).resolve().parents[2]
# A path to the full collection beside a checkout, however a test might spell it.
OUTSIDE = re.compile(r"/work/" + r"shared|\.\./" + r"shared|\"shared\" */ *\"api-" + r"reference\"|\.parents\[[3-9]\]")


def test_every_reference_lives_in_the_repository() -> None:
    assert ROOT == REPO / "tests" / "reference"
    for tool in TOOLS:
        spec = reference(tool)
        assert (ROOT / tool / "spec" / TOOLS[tool].spec_file).is_file()
        assert spec.routes and spec.document["components"]["schemas"], tool
        assert (ROOT / tool / "examples").is_dir(), tool


def test_the_spec_check_watches_every_tool() -> None:
    assert MONITOR.tools == set(TOOLS)


def test_no_test_reads_outside_the_repository() -> None:
    offenders = [f"{path.relative_to(REPO)}:{number}"
                 for path in sorted((REPO / "tests").rglob("*.py"))
                 for number, line in enumerate(path.read_text().splitlines(), 1) if OUTSIDE.search(line)]
    assert offenders == []
