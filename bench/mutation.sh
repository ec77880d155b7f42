#!/usr/bin/env bash
# Mutation testing of the privacy rules (docs/conformance.md "Mutation testing of the privacy rules").
#
#   .venv/bin/pip install 'mutmut==3.8.1' && bash bench/mutation.sh [TREE]
#
# Copies TREE (default: this checkout, uncommitted edits included) to a scratch directory,
# mutates the modules that decide what a client sees (bench/mutation.cfg) and kills the
# mutants with the fast core tests (tests/core). Prints the score per module and every
# surviving mutant; documented equivalent mutants (bench/mutation_equivalents.txt) are left
# out of the score. Then runs every survivor on a corpus of leak scenarios (bench/mutation_leaks.py)
# and names those that let hidden text reach the client view. Exit status 1 when a module scores
# below MUTATION_THRESHOLD (95) or a survivor shares more.
# Not part of pytest or CI: about 3-5 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
tree="$(cd "${1:-$repo}" && pwd)"
venv="${MUTATION_VENV:-$repo/.venv}"
work="${MUTATION_WORKDIR:-${TMPDIR:-/tmp}/pm-bridge-mutation}"
jobs="${MUTATION_JOBS:-2}"

if [ ! -x "$venv/bin/mutmut" ]; then
  echo "mutmut is not installed in $venv: run  $venv/bin/pip install 'mutmut==3.8.1'" >&2
  exit 2
fi
case "$work" in /|"$tree"|"$repo") echo "MUTATION_WORKDIR must be a scratch directory, not $work" >&2; exit 2;; esac

rm -rf "$work"
mkdir -p "$work"
# Tracked and new (not ignored) files, as they are in the working tree.
(cd "$tree" && git ls-files -z --cached --others --exclude-standard | xargs -0 -r cp --parents -t "$work" 2>/dev/null || true)
cp "$here/mutation.cfg" "$work/setup.cfg"  # mutmut reads setup.cfg when pyproject.toml has no [tool.mutmut]

cd "$work"
echo "mutating $tree (scratch copy: $work, log: $work/mutmut.log)"
status=0
"$venv/bin/mutmut" run --max-children "$jobs" >mutmut.log 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  tail -n 30 mutmut.log | tr '\r' '\n' | tail -n 15 >&2
  echo "mutmut run failed (exit $status); see $work/mutmut.log" >&2
  exit "$status"
fi
tr '\r' '\n' <mutmut.log | grep -E 'mutations/second' || true
score=0
"$venv/bin/python" "$here/mutation_report.py" --equivalents "$here/mutation_equivalents.txt" \
  --threshold "${MUTATION_THRESHOLD:-95}" || score=$?
echo
echo "== which survivors share more (bench/mutation_leaks.py: hidden text reaching the client view)"
leaks=0
"$venv/bin/python" "$here/mutation_leaks.py" || leaks=$?
[ "$score" -eq 0 ] && [ "$leaks" -eq 0 ]
