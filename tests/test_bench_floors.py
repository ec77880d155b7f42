"""bench/floors.py: every issue-15 figure beside its floor or target, as a ratio, in one table (docs/benchmarks.md).

The full run takes minutes; these run its summary on tiny sizes (one connector project of 20
tasks, a 200-task planner) and the figures of the other benches on runs made up here.
"""

from __future__ import annotations

import re

import pytest

from bench import daemon_bench, floors, migrate_bench
from bench.figures import Figure, table

TINY = ["--skip", "migrate", "--skip", "daemon", "--tool", "trello", "--tool", "basecamp",
        "--connector-tasks", "20", "--planner-tasks", "200", "--repeat", "1"]


def summary_rows(output: str) -> dict[str, list[str]]:
    """The summary table's rows by figure name: measured, floor/target, ratio, verdict, note."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("figure "))
    rows: dict[str, list[str]] = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        name, *cells = re.split(r"\s{2,}", line)
        rows[name] = cells
    return rows


def test_one_run_prints_each_figure_beside_its_floor_as_a_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    assert floors.main(TINY) == 0
    output = capsys.readouterr().out
    rows = summary_rows(output)
    tools = ("trello", "basecamp", "basecamp+hook")
    expected = [f"planner {cycle} (200 tasks, 3 fields, best of 1)" for cycle in ("first cycle", "steady state")]
    expected += [f"{figure}, {tool} (20 tasks)" for figure in ("idle pull requests", "reads after 10 changed") for tool in tools]
    assert list(rows) == expected
    for name, (measured, target, ratio, verdict, *_note) in rows.items():
        value, floor = (float(cell.split()[0]) for cell in (measured, target))
        # The ratio is of the unrounded value: allow the printed value's rounding and the ratio's own.
        shown = measured.split()[0]
        decimals = len(shown.partition(".")[2])
        assert float(ratio) == pytest.approx(value / floor, abs=0.006 + 0.5 * 10**-decimals / floor), name
        assert verdict == ("meets" if value <= floor else "MISSED"), name
    assert rows["idle pull requests, trello (20 tasks)"][:4] == ["1 req", "1 req", "1.00", "meets"]
    assert rows["reads after 10 changed, trello (20 tasks)"][:4] == ["2 req", "2 req", "1.00", "meets"]
    # Basecamp polled is held to its API's three listings, and its ratio to the floor is shown beside;
    # the webhook-led run is held to the floor.
    polled = rows["idle pull requests, basecamp (20 tasks)"]
    assert polled[:4] == ["3 req", "3 req", "1.00", "meets"]
    assert "3.00x the issue's floor 1" in polled[4]
    assert rows["idle pull requests, basecamp+hook (20 tasks)"][:4] == ["1 req", "1 req", "1.00", "meets"]
    assert rows["reads after 10 changed, basecamp+hook (20 tasks)"][1] == "2 req"
    assert re.search(r"Time per part: planner [0-9.]+ s, connector [0-9.]+ s; total [0-9.]+ s", output)
    assert "NOT THE ISSUE'S SIZES" in output


def test_a_figure_over_its_target_is_missed_and_one_that_measured_nothing_is_invalid() -> None:
    lines = table([
        Figure("over", 3, 1, "req"),
        Figure("under", 0.12, 0.15, "s", 2),
        Figure("empty", 1, 2, "req", invalid="read only 0 of 10 edits"),
    ])
    assert [re.split(r"\s{2,}", line)[1:] for line in lines[2:]] == [
        ["3 req", "1 req", "3.00", "MISSED"],
        ["0.12 s", "0.15 s", "0.80", "meets"],
        ["1 req", "2 req", "0.50", "INVALID", "read only 0 of 10 edits"],
    ]


def test_the_migration_is_held_to_its_slower_floor_times_the_target() -> None:
    run = migrate_bench.MigrationRun(migrate_bench.MigrationSetup(), "ok", {"task": 2000}, asana_requests=4024,
                                     asana_429=0, trello_requests=8020, trello_429=5, elapsed=811.0, wall=90.0,
                                     first_write=1.4, source_read=107.0)
    [figure] = migrate_bench.figures(run)
    assert figure.target == pytest.approx(1.05 * 802.0)  # Trello's 8,020 writes at 10/s are the slower floor
    assert figure.meets and figure.ratio == pytest.approx(811.0 / 842.1, abs=1e-3)
    assert "802.0 s (writing" in figure.note and "1.011 x that floor" in figure.note


def test_a_poll_slip_seen_on_fewer_polls_than_links_is_not_a_figure() -> None:
    scale = daemon_bench.ScaleRun(links=1000, interval=120, exit_code=0, rss_started=115.0, rss_synced=145.0,
                                  rss_peak=155.0, rss_end=150.0, synced_seconds=50.0, first_requests=8002, polls=400,
                                  late=0, worst_slip=0.001)
    latency = daemon_bench.LatencyRun(links=100, debounce=0.0, gap=0.5, samples=[float(ms) for ms in range(1, 101)])
    rss, slip, p95 = daemon_bench.figures(scale, latency)
    assert (rss.value, rss.target, rss.meets) == (155.0, 250.0, True)
    assert slip.verdict == "INVALID" and "only 400 of 1000" in slip.invalid
    assert (p95.value, p95.target) == (95.0, 500.0)
