"""Which surviving mutants share more: each one is run on a corpus of leak scenarios.

Run by bench/mutation.sh from the scratch tree after mutmut. Every scenario hides the
word SECRET_ (in notes below a formatted cut line, in near-miss comments and files, in
hidden tasks); the original code must keep it out of the client view. A surviving
mutant under which SECRET_ reaches the view of any scenario shares more: it is listed,
and the exit status is 1. A scenario that already leaks on the original code is reported
as a leak of the code itself (exit status 1 too) and left out of the mutant check.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path("mutants").resolve()))  # the trampolined copy mutmut made

from mutmut.mutation.data import SourceFileMutationData  # noqa: E402
from mutmut.stats import status_by_exit_code  # noqa: E402
from mutmut.utils.file_utils import walk_mutatable_files  # noqa: E402

from bridge.core.mirror import mirror  # noqa: E402
from bridge.core.model import Attachment, Comment, Person, Section, Snapshot, Task  # noqa: E402
from bridge.core.ports import Capabilities  # noqa: E402
from bridge.core.rules import AccessSource, FieldRules, LinkRules, MirrorRules, PeopleRules, SectionRule  # noqa: E402

SECRET = "SECRET_"
ANNA = Person(id="u-anna", name="Anna Agency", email="anna@agency.example")
BOB = Person(id="u-bob", name="Bob SECRET_ Builder", email="bob@agency.example")
CUTS = [
    "---internal---",
    "*---internal---*",
    "**---internal---**",
    "`---internal---`",
    "_---internal---_",
    "---INTERNAL---",
    "  ---internal---  ",
    "\u00a0---internal---\u00a0",
    "- ---internal---",
    "1. ---internal---",
    "# ---internal---",
    "> ---internal---",
    "**---Internal---**",
]
# Cut lines inside other blocks of the canonical Markdown every connector hands over.
BLOCKS = [
    "Public\n\n```\n---internal---\nSECRET_\n```",
    "Public\n\n```js\ncode\n---internal---\nSECRET_\n```",
    "Public\n\n    ---internal---\n    SECRET_",
    "Public<br>---internal---<br>SECRET_",
    "Public<br />\n---internal---\nSECRET_",
    "Public\n\n<p>---internal---</p>\n\nSECRET_",
    "Public\n\n&#45;--internal---\n\nSECRET_",
    "Public\n\n[---internal---](https://example.com)\n\nSECRET_",
    "Public\n\n![---internal---](https://example.com/x.png)\n\nSECRET_",
    "- a\n  - ---internal---\n- SECRET_",
    "> a\n> ---internal---\n> SECRET_",
    "Public\n\n## ---internal---\n\nSECRET_",
    "Public  \n---internal---  \nSECRET_",
    "Public\n\n--- internal ---\n\nSECRET_",
]
NEAR_MISSES = ["#Client", "#CLIENT", "#clientele", "# client", "x#client", "#client_x", "#clients"]


def world(notes: str = "Public", **task_fields: object) -> Snapshot:
    snap = Snapshot(connection="internal", project_id="p")
    for index, name in enumerate(("Design", "Payroll")):
        snap.sections[f"s-{index}"] = Section(id=f"s-{index}", name=name, position=float(index))
    snap.people = {p.id: p for p in (ANNA, BOB)}
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    snap.tasks["t"] = Task(id="t", title="Homepage", section_id="s-0", notes=notes, modified_at=when, **task_fields)
    snap.tasks["h"] = Task(id="h", title="Payroll SECRET_", section_id="s-1", notes="SECRET_", modified_at=when)
    snap.tasks["hs"] = Task(id="hs", title="SECRET_ sub", parent_id="h", modified_at=when)
    hidden = "SECRET_ hidden [internal]"  # hidden by its label, or by its title marker
    snap.tasks["x"] = Task(id="x", title=hidden, section_id="s-0", labels=["internal", "client"], modified_at=when)
    return snap


def rules(**kw: object) -> LinkRules:
    return LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}, **kw))


Scenario = tuple[str, Callable[[], Snapshot], LinkRules]


def scenarios() -> list[Scenario]:
    found: list[Scenario] = []
    for cut in CUTS:
        for eol in ("\n", "\r\n", "\r"):
            notes = f"Public{eol}{eol}{cut}{eol}{eol}SECRET_ below"
            found.append((f"notes cut {cut!r} {eol!r}", functools.partial(world, notes), rules()))
        if cut.strip()[:2] not in ("- ", "1.", "# ", "> "):
            listed = f"- one\n- {cut.strip()}\n- SECRET_"
            found.append((f"notes cut in a list {cut!r}", functools.partial(world, listed), rules()))
        found.append((f"comment cut {cut!r}", functools.partial(_with_comment, f"#client Public\n\n{cut}\n\nSECRET_"), rules()))
    for index, notes in enumerate(BLOCKS):
        found.append((f"notes block {index} {notes!r}", functools.partial(world, notes), rules()))
        comment = "#client " + notes.replace("Public", "Hello [site](https://example.com)", 1)
        found.append((f"comment block {index} {comment!r}", functools.partial(_with_comment, comment), rules()))
        headed = f"# Hi\n\n#client {notes}"
        found.append((f"comment block {index} after a heading", functools.partial(_with_comment, headed), rules()))
    for miss in NEAR_MISSES:
        found.append((f"comment {miss!r}", functools.partial(_with_comment, f"{miss} SECRET_ talk"), rules()))
        name = f"{miss.replace('#client', '[client]')} SECRET_.pdf"
        found.append((f"file {miss!r}", functools.partial(_with_file, name), rules()))
    for name in ("[Client] SECRET_.pdf", "[CLIENT] SECRET_.pdf", "SECRET_.pdf"):
        found.append((f"file {name!r}", functools.partial(_with_file, name), rules()))
    found.append(("fields none", functools.partial(world, "Public", labels=["SECRET_"], assignees=["u-bob"]), rules()))
    found.append(
        (
            "unmatched names dropped",
            functools.partial(world, "Public", assignees=["u-bob"]),
            rules(fields=FieldRules(assignees="to_client"), people=PeopleRules(unmatched="drop")),
        )
    )
    found.append(("title marker", world, rules(access=AccessSource(type="title_marker", client="[client]", none="[internal]"))))
    return found


def _with_comment(text: str) -> Snapshot:
    snap = world()
    snap.comments["c"] = Comment(id="c", task_id="t", text=text, author=ANNA)
    snap.comments["hc"] = Comment(id="hc", task_id="h", text="#client SECRET_ on a hidden task", author=ANNA)
    return snap


def _with_file(name: str) -> Snapshot:
    snap = world()
    snap.attachments["a"] = Attachment(id="a", task_id="t", name=name, url="https://files.example/SECRET_")
    return snap


def leaks(scenario: Scenario) -> bool:
    _, build, link = scenario
    try:
        view = mirror(build(), {}, link, Capabilities())
    except Exception:  # a crash shares nothing
        return False
    return SECRET in view.model_dump_json()


def clear_caches() -> None:
    for module in [m for name, m in sys.modules.items() if name.startswith("bridge")]:
        for value in list(vars(module).values()):
            if hasattr(value, "cache_clear"):
                value.cache_clear()


def survivors(equivalents: set[tuple[str, str]]) -> list[str]:
    sys.path.insert(0, str(Path(__file__).parent))
    from mutation_report import function_of, mutated_lines  # noqa: PLC0415
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # noqa: PLC0415

    alive = []
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        for key, code in data.exit_code_by_key.items():
            if status_by_exit_code[code] in ("killed", "caught by type check", "timeout"):
                continue
            if (function_of(key), mutated_lines(get_diff_for_mutant(key, path=path))) not in equivalents:
                alive.append(key)
    return sorted(alive)


def main() -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    from mutation_report import read_equivalents  # noqa: PLC0415

    equivalents = set(read_equivalents(Path(__file__).parent / "mutation_equivalents.txt"))
    corpus = scenarios()
    os.environ["MUTANT_UNDER_TEST"] = ""
    clean = [s for s in corpus if not leaks(s)]
    code_leaks = [name for name, _, _ in corpus if all(name != c[0] for c in clean)]
    for name in code_leaks:
        print(f"LEAK in the code itself (no mutant): scenario {name}")
    sharing = []
    for key in survivors(equivalents):
        os.environ["MUTANT_UNDER_TEST"] = key
        clear_caches()
        hit = next((s[0] for s in clean if leaks(s)), None)
        if hit:
            sharing.append(key)
            print(f"SHARES MORE: {key} (scenario: {hit})")
    os.environ["MUTANT_UNDER_TEST"] = ""
    clear_caches()
    print(f"leak scenarios: {len(clean)} of {len(corpus)} hold on the code; surviving mutants that share more: {len(sharing)}")
    return 1 if sharing or code_leaks else 0


if __name__ == "__main__":
    sys.exit(main())
