"""Score of the last ``bench/mutation.sh`` run: per module, and every surviving mutant.

Run from the scratch tree (the script does): it reads mutmut's result files under
``mutants/`` and the documented equivalent mutants (``bench/mutation_equivalents.txt``).
An equivalent mutant is one no test can kill because the program behaves the same;
it is left out of the score only when it is listed there with its reason.
Exit status 1 when a module scores below the threshold or an undocumented mutant survives
in a line that decides visibility.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import walk_mutatable_files


def mutated_lines(diff: str) -> str:
    """The mutant's stable identity: its changed lines, ``<removed> => <added>``, stripped (line numbers move)."""
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    removed = " / ".join(line[1:].strip() for line in changed if line[0] == "-" and line[1:].strip())
    added = " / ".join(line[1:].strip() for line in changed if line[0] == "+" and line[1:].strip())
    return f"{removed} => {added}"


def function_of(key: str) -> str:
    """``bridge.core.mirror.x_cut_notes__mutmut_5`` -> ``bridge.core.mirror.cut_notes`` (methods: ``Class.method``)."""
    base = key.split("__mutmut_")[0]
    if ".xǁ" in base:  # mutmut spells a method as module.xǁClassǁmethod
        module, _, method = base.partition(".xǁ")
        return f"{module}.{method.replace('ǁ', '.')}"
    module, _, name = base.rpartition(".")
    return f"{module}.{name.removeprefix('x_')}"


def read_equivalents(path: Path) -> dict[tuple[str, str], str]:
    """Blocks of ``<module.function>`` / ``  mutant: <line>`` / ``  why: <reason>``."""
    found: dict[tuple[str, str], str] = {}
    function = mutant = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        if not line or line.lstrip().startswith("#"):
            continue
        if not raw.startswith(" "):
            function = line.strip()
        elif line.strip().startswith("mutant:"):
            mutant = line.strip()[len("mutant:") :].strip()
        elif line.strip().startswith("why:"):
            reason = line.strip()[len("why:") :].strip()
            if not (function and mutant and reason):
                raise SystemExit(f"{path}: an equivalent needs a function, a mutant line and a reason (near {line!r})")
            found[(function, mutant)] = reason
            mutant = ""
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--equivalents", type=Path, required=True)
    parser.add_argument("--threshold", type=float, default=95.0)
    args = parser.parse_args()
    equivalents = read_equivalents(args.equivalents)
    used: set[tuple[str, str]] = set()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    survivors: list[tuple[str, str, str]] = []
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        by_function_then_number = sorted(
            data.exit_code_by_key.items(), key=lambda kv: (kv[0].split("__mutmut_")[0], int(kv[0].rsplit("_", 1)[1]))
        )
        for key, code in by_function_then_number:
            status = status_by_exit_code[code]
            module = str(path)
            if status in ("killed", "caught by type check", "timeout"):
                counts[module]["killed"] += 1
                continue
            diff = get_diff_for_mutant(key, path=path)
            ident = (function_of(key), mutated_lines(diff))
            if ident in equivalents:
                used.add(ident)
                counts[module]["equivalent"] += 1
                continue
            counts[module]["alive"] += 1
            survivors.append((module, key, f"[{status}]  mutant: {ident[1]}"))
    failed = False
    print(f"{'module':34} {'mutants':>8} {'killed':>7} {'equiv.':>7} {'alive':>6} {'score':>7}")
    for module in sorted(counts):
        c = counts[module]
        scored = c["killed"] + c["alive"]
        score = 100.0 * c["killed"] / scored if scored else 100.0
        failed |= score < args.threshold
        print(f"{module:34} {scored + c['equivalent']:8} {c['killed']:7} {c['equivalent']:7} {c['alive']:6} {score:6.1f}%")
    total_k = sum(c["killed"] for c in counts.values())
    total_a = sum(c["alive"] for c in counts.values())
    print(f"{'all':34} {'':8} {total_k:7} {len(used):7} {total_a:6} {100.0 * total_k / max(1, total_k + total_a):6.1f}%")
    for _module, key, text in survivors:
        print(f"\n--- surviving {key} ({function_of(key)})\n{text}")
    stale = set(equivalents) - used
    for function, mutant in sorted(stale):
        print(f"\nnote: listed equivalent not seen this run (code changed?): {function}: {mutant}")
    return 1 if failed or survivors and args.threshold >= 100 else (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main())
