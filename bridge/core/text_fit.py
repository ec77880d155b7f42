"""Fitting text into a tool's length limit: shorten a title or notes, split a comment.

Pure and deterministic, so the planner can compare what a tool holds with the
fitted form and a quiet cycle writes nothing (DESIGN invariant 4).
Lengths are counted in characters (code points), as the tools document them.

A cut falls on the last paragraph break, else line break, else space in the
second half of the room, so Markdown blocks stay whole where they can; only a
text with no break there is cut mid-word.
"""

from __future__ import annotations

# The visible note ending a shortened text. Outbound it names no internal URL: the client
# cannot open the agency's tool, and its links would show the agency's workspace ids.
SHORTENED_FOR_CLIENT = "… (shortened by pm-bridge; ask your agency for the rest)"
SHORTENED_TITLE = "… (shortened)"


def shortened_for_agency(tool: str) -> str:
    """The note on client input shortened for the internal tool: the full text stays in the client's tool."""
    return f"… (shortened by pm-bridge; the full text is in the client's {tool or 'tool'})"


def _cut(text: str, room: int) -> int:
    """Where to end a piece of at most ``room`` characters: just after a break, else at ``room``.

    The next piece never starts with whitespace: a tool may strip it, and the parts would
    then no longer join back to the text (a split comment rewritten every cycle).
    """
    if len(text) <= room:
        return len(text)
    end = _break(text, room)
    back = end
    while room // 2 < back < len(text) and text[back] in " \n":
        back -= 1
    # Backing off stops at half the room: a whitespace run longer than that is cut inside
    # (only such a run may start a part), so a long indent never makes hundreds of parts.
    return back if back < len(text) and text[back] not in " \n" else end


def _break(text: str, room: int) -> int:
    floor = room // 2
    for sep in ("\n\n", "\n", " "):
        at = text.rfind(sep, floor, room)
        if at > 0:
            end = at + len(sep)
            while end < len(text) and text[end] in " \n" and end < room:
                end += 1  # the whole whitespace run stays with this piece
            return end
    return room


def shorten(text: str, limit: int, note: str) -> str:
    """``text`` itself when it fits, else a head of it ending with ``note``, at most ``limit`` long.

    A single-line note (a title's) follows the head directly; a notes' note is a paragraph of its own.
    """
    if len(text) <= limit:
        return text
    glue = "" if note == SHORTENED_TITLE else "\n\n"
    room = limit - len(note) - len(glue)
    if room <= 0:
        return note[:limit]
    head = text[: _cut(text, room)].rstrip()
    return f"{head}{glue}{note}" if head else note[:limit]


def is_shortened(short: str, full: str) -> bool:
    """True when ``short`` is what :func:`shorten` makes of ``full`` for some limit (any of the notes)."""
    if short == full or len(short) >= len(full):
        return False
    for note in (SHORTENED_FOR_CLIENT, SHORTENED_TITLE):
        if short.endswith(note):
            head = short[: -len(note)].rstrip()
            return full.startswith(head)
    if "… (shortened by pm-bridge; the full text is in the client's " in short:
        head = short[: short.rindex("… (shortened by pm-bridge;")].rstrip()
        return full.startswith(head)
    return False


def _label(index: int, total: int) -> str:
    return f"({index}/{total})\n\n"


def split(text: str, limit: int) -> list[str]:
    """``text`` itself when it fits, else parts "(1/n)", "(2/n)"… each at most ``limit`` long.

    The parts' bodies are consecutive slices: :func:`join` gives ``text`` back exactly.
    A tool may drop a part's trailing whitespace; compare parts stripped.
    """
    if len(text) <= limit:
        return [text]
    total = 2
    while True:
        room = limit - len(_label(total, total))
        if room < 1:
            raise ValueError(f"a limit of {limit} characters leaves no room for a part label")
        bodies: list[str] = []
        rest = text
        while rest:
            end = _cut(rest, room)
            bodies.append(rest[:end])
            rest = rest[end:]
        if len(bodies) <= total:
            total = len(bodies)
            return [_label(i, total) + body for i, body in enumerate(bodies, 1)]
        total = len(bodies)


def join(parts: list[str]) -> str:
    """The text :func:`split` cut into ``parts``."""
    if len(parts) == 1:
        return parts[0]
    return "".join(part.split("\n\n", 1)[1] for part in parts)
