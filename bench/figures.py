"""A benchmark figure beside its floor or target (issue 15), and the table that shows them.

Every bench that holds a figure to a floor or target hands it over as a :class:`Figure`, so the
ratio, the "meets"/"MISSED" verdict and their wording are worked out here once: a figure meets its
target when the value is at most the target (ratio <= 1.00). bench/floors.py prints them all in
one table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str  # what was measured, with the size it was measured at
    value: float
    target: float  # the floor or target the value is held to
    unit: str = ""
    digits: int = 0  # decimals shown for the value and the target
    note: str = ""
    invalid: str = ""  # why the run did not measure what it should (e.g. a pull that missed changes), if it did not

    @property
    def ratio(self) -> float:
        return self.value / self.target

    @property
    def meets(self) -> bool:
        return self.value <= self.target

    @property
    def verdict(self) -> str:
        if self.invalid:
            return "INVALID"
        return "meets" if self.meets else "MISSED"

    def amount(self, value: float) -> str:
        return f"{value:,.{self.digits}f}" + (f" {self.unit}" if self.unit else "")


def ratio(value: float, target: float) -> str:
    """``value / target`` as the benches print it: ``1.00x``."""
    return f"{value / target:.2f}x"


def versus(value: float, target: float) -> str:
    """The tail a bench prints after a figure: its target, the ratio, and a loud mark when it misses."""
    return f"target {target:g}, ratio {value / target:.2f}" + ("" if value <= target else "  ** MISSED **")


COLUMNS = ("figure", "measured", "floor/target", "ratio", "", "note")


def table(figures: Sequence[Figure]) -> list[str]:
    """The figures as aligned rows under a header: figure, measured, floor/target, ratio, meets/MISSED, note."""
    rows = [COLUMNS] + [
        (f.name, f.amount(f.value), f.amount(f.target), f"{f.ratio:.2f}", f.verdict, "; ".join(filter(None, (f.invalid, f.note))))
        for f in figures
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS) - 1)]
    lines = []
    for row in rows:
        name, *numbers, verdict = row[:-1]
        cells = [name.ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(numbers, widths[1:-1], strict=True)]
        lines.append("  ".join([*cells, verdict.ljust(widths[-1]), row[-1]]).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return lines
