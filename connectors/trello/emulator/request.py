"""Reading a request the way Trello does: parameters, ids, permissions and its error texts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

import httpx

from connectors.emulation.toolkit import EmuRequest, HttpError, json_response
from connectors.trello.emulator.store import OBJECT_ID, SHORT_LINK, Board, Card, World, iso

# Trello answers most errors with a short text/plain body, not JSON.
NOT_FOUND = "The requested resource was not found."
INVALID_ID = "invalid id"
NO_PERMISSION = "unauthorized permission requested"


def ok(body: Any) -> httpx.Response:
    return json_response(200, body)


def text(req: EmuRequest, name: str, default: str | None = None) -> str | None:
    """A write parameter from the query string, a form body or a JSON body."""
    return req.arg(name, default)


def required(req: EmuRequest, name: str, *, max_len: int = 16384) -> str:
    value = req.arg(name)
    if value is None or value == "" or len(value) > max_len:
        raise HttpError(400, f"invalid value for {name}")
    return value


def flag(req: EmuRequest, name: str) -> bool | None:
    value = req.arg(name)
    if value is None:
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise HttpError(400, f"invalid value for {name}")


def id_list(req: EmuRequest, name: str) -> list[str] | None:
    """A comma-separated id list (query/form) or a JSON array (JSON body)."""
    value = req.arg(name)
    if value is None:
        return None
    if value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            raise HttpError(400, f"invalid value for {name}") from None
    else:
        items = [part.strip() for part in value.split(",")]
    ids = [str(item) for item in items if str(item)]
    if any(not OBJECT_ID.match(i) for i in ids):
        raise HttpError(400, f"invalid value for {name}")
    return ids


def moment(req: EmuRequest, name: str) -> tuple[bool, str | None]:
    """(given?, ISO date-time or None) for ``due``/``start``; a bare date means midnight UTC."""
    value = req.arg(name)
    if value is None:
        body = req.json_body()
        return (isinstance(body, dict) and name in body), None  # a JSON null clears the date
    if value in ("", "null"):
        return True, None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HttpError(400, f"invalid value for {name}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return True, iso(parsed.timestamp())


def position(world: World, req: EmuRequest, positions: list[float], name: str = "pos") -> float | None:
    value = req.arg(name)
    if value is None:
        return None
    try:
        return world.position(value, positions)
    except ValueError:
        raise HttpError(400, f"invalid value for {name}") from None


def check_id(ident: str, *, short_ok: bool = False) -> None:
    if OBJECT_ID.match(ident) or (short_ok and SHORT_LINK.match(ident)):
        return
    raise HttpError(400, INVALID_ID)


def fields(req: EmuRequest, rendered: dict[str, Any], name: str = "fields") -> dict[str, Any]:
    """Apply a ``fields=a,b`` projection; ``id`` always stays, ``all`` keeps everything."""
    wanted = req.query.get(name, ["all"])[-1]
    if wanted == "all":
        return rendered
    keep = {f.strip() for f in wanted.split(",")} | {"id"}
    return {k: v for k, v in rendered.items() if k in keep}


def board_for(world: World, req: EmuRequest, ident: str) -> Board:
    check_id(ident, short_ok=True)
    board = world.board(ident)
    if board is None:
        raise HttpError(404, NOT_FOUND)
    if req.user not in board.members:
        raise HttpError(401, NO_PERMISSION)
    return board


class _OnBoard(Protocol):
    @property
    def id_board(self) -> str: ...


Owned = TypeVar("Owned", bound=_OnBoard)


def on_board(world: World, req: EmuRequest, table: Mapping[str, Owned]) -> tuple[Board, Owned]:
    """The object the path's ``id`` names in ``table`` (a list, label, checklist), and its board the caller may see."""
    check_id(req.path_params["id"])
    found = table.get(req.path_params["id"])
    if found is None:
        raise HttpError(404, NOT_FOUND)
    return board_for(world, req, found.id_board), found


def board_by_id(world: World, req: EmuRequest, ident: str) -> Board:
    """The board a ``idBoard`` write parameter names (400 rather than 404 when unknown)."""
    if not OBJECT_ID.match(ident) and not SHORT_LINK.match(ident):
        raise HttpError(400, "invalid value for idBoard")
    board = world.board(ident)
    if board is None:
        raise HttpError(400, "invalid value for idBoard")
    if req.user not in board.members:
        raise HttpError(401, NO_PERMISSION)
    return board


def card_for(world: World, req: EmuRequest, ident: str) -> tuple[Board, Card]:
    check_id(ident, short_ok=True)
    card = world.card(ident)
    if card is None:
        raise HttpError(404, NOT_FOUND)
    return board_for(world, req, card.id_board), card


def member_of(world: World, req: EmuRequest) -> str:
    if req.user is None or req.user not in world.members:
        raise HttpError(401, "invalid token")
    return req.user
