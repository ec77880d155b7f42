"""GET handlers of the Trello emulator."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from connectors.emulation.toolkit import EmuRequest, HttpError
from connectors.trello.emulator import custom_fields
from connectors.trello.emulator.request import NOT_FOUND, board_for, card_for, check_id, fields, member_of, ok, on_board
from connectors.trello.emulator.store import OBJECT_ID, Action, Card, World

BOARD_DEFAULT_FIELDS = "name,desc,descData,closed,idOrganization,pinned,url,shortUrl,prefs,labelNames"
# How far (emulator seconds) a lagging actions feed trails behind the writes.
LAG_SECONDS = 5.0


def _arg(req: EmuRequest, name: str, default: str) -> str:
    return req.query.get(name, [default])[-1]


def _number(req: EmuRequest, name: str, default: int, low: int, high: int) -> int:
    raw = _arg(req, name, str(default))
    try:
        value = int(float(raw))
    except ValueError:
        raise HttpError(400, f"invalid value for {name}") from None
    if not low <= value <= high:
        raise HttpError(400, f"invalid value for {name}")
    return value


def get_board(world: World, req: EmuRequest) -> httpx.Response:
    board = board_for(world, req, req.path_params["id"])
    if "fields" not in req.query:
        req.query["fields"] = [BOARD_DEFAULT_FIELDS]
    rendered = fields(req, board.render())
    if _arg(req, "customFields", "false") == "true":  # the board's Custom Fields, nested (emulator/custom_fields.py)
        rendered["customFields"] = custom_fields.board_custom_fields_of(world, board.id)
    return ok(rendered)


def board_lists(world: World, req: EmuRequest) -> httpx.Response:
    board = board_for(world, req, req.path_params["id"])
    wanted = _arg(req, "filter", "open")
    lists = [x for x in world.lists.values() if x.id_board == board.id and _view(wanted, x.closed)]
    return ok([fields(req, x.render()) for x in sorted(lists, key=lambda x: x.pos)])


def _view(wanted: str, closed: bool) -> bool:
    if wanted == "all":
        return True
    if wanted == "closed":
        return closed
    if wanted in ("open", "visible"):
        return not closed
    if wanted == "none":
        return False
    raise HttpError(400, "invalid value for filter")


def _card_with_nested(world: World, req: EmuRequest, card: Card) -> dict[str, Any]:
    rendered = fields(req, world.render_card(card))
    if _arg(req, "attachments", "false") in ("true", "cover"):
        rendered["attachments"] = [a.render() for a in card.attachments]
    if _arg(req, "checklists", "none") == "all":
        rendered["checklists"] = [c.render() for c in sorted(card.checklists, key=lambda c: c.pos)]
    if _arg(req, "customFieldItems", "false") == "true":
        rendered["customFieldItems"] = custom_fields.card_items(world, card.id)
    if _arg(req, "members", "false") == "true":
        rendered["members"] = [world.members[m].brief() for m in card.id_members if m in world.members]
    return rendered


def board_cards(world: World, req: EmuRequest) -> httpx.Response:
    board = board_for(world, req, req.path_params["id"])
    wanted = req.path_params.get("filter") or _arg(req, "filter", "visible")
    cards = [c for c in world.cards.values() if c.id_board == board.id and _view(wanted, c.closed)]
    cards.sort(key=lambda c: (world.lists[c.id_list].pos if c.id_list in world.lists else 0.0, c.pos))
    return ok([_card_with_nested(world, req, c) for c in cards])


def list_cards(world: World, req: EmuRequest) -> httpx.Response:
    _, trello_list = on_board(world, req, world.lists)
    cards = sorted((c for c in world.cards.values() if c.id_list == trello_list.id and not c.closed), key=lambda c: c.pos)
    return ok([_card_with_nested(world, req, c) for c in cards])


def get_list(world: World, req: EmuRequest) -> httpx.Response:
    _, trello_list = on_board(world, req, world.lists)
    return ok(fields(req, trello_list.render()))


def board_labels(world: World, req: EmuRequest) -> httpx.Response:
    board = board_for(world, req, req.path_params["id"])
    limit = _number(req, "limit", 50, 0, 1000)
    labels = [lb.render() for lb in world.labels.values() if lb.id_board == board.id]
    return ok([fields(req, lb) for lb in labels[:limit]])


def get_label(world: World, req: EmuRequest) -> httpx.Response:
    _, label = on_board(world, req, world.labels)
    return ok(fields(req, label.render()))


def board_members(world: World, req: EmuRequest) -> httpx.Response:
    board = board_for(world, req, req.path_params["id"])
    return ok([fields(req, world.members[m].brief()) for m in board.members if m in world.members])


def board_checklists(world: World, req: EmuRequest) -> httpx.Response:
    board = board_for(world, req, req.path_params["id"])
    return ok([c.render() for c in world.checklists.values() if c.id_board == board.id])


def get_member(world: World, req: EmuRequest) -> httpx.Response:
    me = member_of(world, req)
    ident = req.path_params["id"]
    member = world.members.get(me if ident == "me" else ident)
    if member is None:
        member = next((m for m in world.members.values() if m.username == ident), None)
    if member is None:
        raise HttpError(404, NOT_FOUND)
    body: dict[str, Any] = {**member.as_creator(), "bio": "", "confirmed": True, "memberType": "normal",
                            "url": f"https://trello.com/{member.username}",
                            "idBoards": [b.id for b in world.boards.values() if member.id in b.members]}
    if member.id == me:  # Trello shows the email address only to its owner
        body["email"] = member.email
    return ok(fields(req, body))


def get_card(world: World, req: EmuRequest) -> httpx.Response:
    _, card = card_for(world, req, req.path_params["id"])
    return ok(_card_with_nested(world, req, card))


def card_checklists(world: World, req: EmuRequest) -> httpx.Response:
    _, card = card_for(world, req, req.path_params["id"])
    return ok([c.render() for c in sorted(card.checklists, key=lambda c: c.pos)])


def checklist_items(world: World, req: EmuRequest) -> httpx.Response:
    _, checklist = on_board(world, req, world.checklists)
    return ok(checklist.render()["checkItems"])


def card_check_item(world: World, req: EmuRequest) -> httpx.Response:
    _, card = card_for(world, req, req.path_params["id"])
    check_id(req.path_params["idCheckItem"])
    found = world.check_item(req.path_params["idCheckItem"])
    if found is None or found[0].id_card != card.id:
        raise HttpError(404, NOT_FOUND)
    return ok(found[1].render())


def card_attachments(world: World, req: EmuRequest) -> httpx.Response:
    _, card = card_for(world, req, req.path_params["id"])
    return ok([fields(req, a.render()) for a in card.attachments])


def card_attachment(world: World, req: EmuRequest) -> httpx.Response:
    _, card = card_for(world, req, req.path_params["id"])
    attachment = next((a for a in card.attachments if a.id == req.path_params["idAttachment"]), None)
    if attachment is None:
        raise HttpError(404, NOT_FOUND)
    return ok(fields(req, attachment.render()))


# -- actions ---------------------------------------------------------------


def _bound(value: str, name: str) -> tuple[str, str | float]:
    """``since``/``before`` take an ObjectId or a date ``YYYY-MM-DDThh:mm:ssZ``."""
    if OBJECT_ID.match(value):
        return "id", value.lower()
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HttpError(400, f"invalid value for {name}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return "date", parsed.timestamp()


def _stamp(action: Action) -> float:
    return dt.datetime.fromisoformat(action.date.replace("Z", "+00:00")).timestamp()


def _after(action: Action, bound: tuple[str, str | float]) -> bool:
    kind, value = bound
    return action.id > str(value) if kind == "id" else _stamp(action) > float(value)


def _before(action: Action, bound: tuple[str, str | float]) -> bool:
    kind, value = bound
    return action.id < str(value) if kind == "id" else _stamp(action) < float(value)


def _matches(action: Action, wanted: set[str]) -> bool:
    if "all" in wanted or action.type in wanted:
        return True
    # "updateCard:idList" style filters: one type, one changed field.
    old = action.data.get("old", {})
    return any(f"{action.type}:{key}" in wanted for key in old)


def render_actions(world: World, req: EmuRequest, actions: list[Action], default_filter: str, page_size: int) -> httpx.Response:
    wanted = {f.strip() for f in _arg(req, "filter", default_filter).split(",") if f.strip()}
    limit = _number(req, "limit", page_size, 0, 1000)
    page = _number(req, "page", 0, 0, 10_000)
    since = _bound(req.query["since"][-1], "since") if "since" in req.query else None
    before = _bound(req.query["before"][-1], "before") if "before" in req.query else None
    horizon = world.wall() - LAG_SECONDS if req.lagging else None
    chosen = [
        a for a in reversed(actions)
        if _matches(a, wanted)
        and (since is None or _after(a, since))
        and (before is None or _before(a, before))
        and (horizon is None or _stamp(a) <= horizon)
    ]
    window = chosen[page * limit:(page + 1) * limit]
    with_creator = _arg(req, "memberCreator", "true") != "false"
    return ok([world.render_action(a) if with_creator else a.render(None) for a in window])


def board_actions(world: World, req: EmuRequest) -> httpx.Response:
    board = board_for(world, req, req.path_params["id"])
    actions = [a for a in world.actions if a.id_board == board.id]
    return render_actions(world, req, actions, "all", 50)


def card_actions(world: World, req: EmuRequest) -> httpx.Response:
    _, card = card_for(world, req, req.path_params["id"])
    actions = [a for a in world.actions if a.data.get("card", {}).get("id") == card.id]
    return render_actions(world, req, actions, "commentCard,updateCard:idList", 50)
