"""Reading an emulator's request log the way the tests count costs."""

from __future__ import annotations

import re
from collections import Counter

from connectors.emulation import Emulator

_GID = re.compile(r"/\d+")


def routes(emulator: Emulator) -> Counter[str]:
    """Requests by route, with gids folded (``GET /tasks/{gid}/stories``) so counts add up per endpoint."""
    return Counter(f"{r.method} {_GID.sub('/{gid}', r.path)}" for r in emulator.requests)
