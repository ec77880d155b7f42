"""The hold of a refused message: a growing pause, capped, and due once it is over."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from connectors.email import retry

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def test_the_pause_doubles_from_one_minute_and_the_hold_keeps_what_it_is_about() -> None:
    first = retry.after_failure(None, NOW, "550 gone", task_id="t1")
    assert first["attempts"] == 1 and first["task_id"] == "t1"
    assert dt.datetime.fromisoformat(first["next_at"]) == NOW + dt.timedelta(minutes=1)
    second = retry.after_failure(first, NOW, "550 still gone")
    assert dt.datetime.fromisoformat(second["next_at"]) == NOW + dt.timedelta(minutes=2)
    assert second["task_id"] == "t1" and second["error"] == "550 still gone"
    assert not retry.due(second, NOW + dt.timedelta(seconds=119)) and retry.due(second, NOW + dt.timedelta(minutes=2))
    assert retry.due(None, NOW)


@given(st.integers(min_value=1, max_value=200))
def test_the_pause_never_exceeds_six_hours_and_never_shrinks(attempts: int) -> None:
    hold = None
    waits = []
    for _ in range(attempts):
        hold = retry.after_failure(hold, NOW, "x")
        waits.append(dt.datetime.fromisoformat(hold["next_at"]) - NOW)
    assert all(a <= b for a, b in zip(waits, waits[1:], strict=False))
    assert waits[-1] <= retry.LONGEST
