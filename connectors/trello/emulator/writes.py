"""Write handlers for boards' lists, cards and labels; each logs the action Trello would."""

from __future__ import annotations

from typing import Any

import httpx

from connectors.emulation.limits import enforce
from connectors.emulation.toolkit import EmuRequest, HttpError
from connectors.trello.emulator.request import (
    NOT_FOUND,
    board_by_id,
    board_for,
    card_for,
    check_id,
    flag,
    id_list,
    moment,
    ok,
    on_board,
    position,
    required,
    text,
)
from connectors.trello.emulator.store import COLORS, Board, Card, Label, TrelloList, World, iso
from connectors.trello.limits import FIELDS, TEXT_LIMITS

# What Trello refuses, per card field (connectors/trello/limits.py), and how.
CARD_LIMITS = {name: TEXT_LIMITS[kind] for name, kind in FIELDS.items()}


def refuse(name: str, limit: int) -> HttpError:
    return HttpError(400, f"invalid value for {name}")


# -- lists -------------------------------------------------------------------


def _create_list(world: World, req: EmuRequest, board: Board) -> httpx.Response:
    name = required(req, "name")
    siblings = [x.pos for x in world.lists.values() if x.id_board == board.id]
    pos = position(world, req, siblings)
    trello_list = TrelloList(world.object_id(), board.id, name, pos if pos is not None else world.bottom(siblings))
    world.lists[trello_list.id] = trello_list
    world.record(board, "createList", req.user or "", list=trello_list.ref())
    return ok(trello_list.render())


def create_list(world: World, req: EmuRequest) -> httpx.Response:
    return _create_list(world, req, board_by_id(world, req, required(req, "idBoard")))


def create_board_list(world: World, req: EmuRequest) -> httpx.Response:
    return _create_list(world, req, board_for(world, req, req.path_params["id"]))


def _change_list(world: World, req: EmuRequest, board: Board, trello_list: TrelloList, key: str, value: Any) -> None:
    attr = {"name": "name", "closed": "closed", "pos": "pos"}[key]
    old = getattr(trello_list, attr)
    if old == value:
        return
    setattr(trello_list, attr, value)
    world.record(board, "updateList", req.user or "", list={**trello_list.ref(), key: value}, old={key: old})


def update_list(world: World, req: EmuRequest) -> httpx.Response:
    board, trello_list = on_board(world, req, world.lists)
    name = text(req, "name")
    if name is not None:
        if not name or len(name) > 16384:
            raise HttpError(400, "invalid value for name")
        _change_list(world, req, board, trello_list, "name", name)
    closed = flag(req, "closed")
    if closed is not None:
        _change_list(world, req, board, trello_list, "closed", closed)
    siblings = [x.pos for x in world.lists.values() if x.id_board == board.id and x.id != trello_list.id]
    pos = position(world, req, siblings)
    if pos is not None:
        _change_list(world, req, board, trello_list, "pos", pos)
    return ok(trello_list.render())


def close_list(world: World, req: EmuRequest) -> httpx.Response:
    board, trello_list = on_board(world, req, world.lists)
    value = flag(req, "value")
    _change_list(world, req, board, trello_list, "closed", True if value is None else value)
    return ok(trello_list.render())


# -- cards -------------------------------------------------------------------


def _target_list(world: World, board_id: str | None, ident: str) -> TrelloList:
    trello_list = world.lists.get(ident)
    if trello_list is None or (board_id is not None and trello_list.id_board != board_id):
        raise HttpError(400, "invalid value for idList")
    return trello_list


def _checked_ids(world: World, board: Board, req: EmuRequest, name: str) -> list[str] | None:
    ids = id_list(req, name)
    if ids is None:
        return None
    known = set(board.members) if name == "idMembers" else {lb.id for lb in world.labels.values() if lb.id_board == board.id}
    if any(i not in known for i in ids):
        raise HttpError(400, f"invalid value for {name}")
    return list(dict.fromkeys(ids))


def create_card(world: World, req: EmuRequest) -> httpx.Response:
    ident = text(req, "idList")
    if not ident:
        raise HttpError(400, "invalid value for idList")
    check_id(ident)
    trello_list = _target_list(world, None, ident)
    board = board_for(world, req, trello_list.id_board)
    name = text(req, "name", "") or ""
    desc = text(req, "desc", "") or ""
    enforce({"name": name, "desc": desc}, CARD_LIMITS, refuse)
    siblings = [c.pos for c in world.cards.values() if c.id_list == trello_list.id and not c.closed]
    pos = position(world, req, siblings)
    card = Card(world.object_id(), board.id, trello_list.id, name, pos if pos is not None else world.bottom(siblings),
                world.next_short(), world.short_link(), iso(world.wall()), desc=desc)
    card.due = moment(req, "due")[1]
    card.start = moment(req, "start")[1]
    card.due_complete = bool(flag(req, "dueComplete"))
    card.id_members = _checked_ids(world, board, req, "idMembers") or []
    card.id_labels = _checked_ids(world, board, req, "idLabels") or []
    world.cards[card.id] = card
    world.record(board, "createCard", req.user or "", card=card.ref(), list=trello_list.ref())
    return ok(world.render_card(card))


def _card_change(world: World, req: EmuRequest, board: Board, card: Card, key: str, old: Any, new: Any) -> None:
    """One ``updateCard`` action per changed field, with the old value in ``data.old``."""
    data: dict[str, Any] = {"card": {**card.ref(), key: new}, "old": {key: old}}
    if key == "idList":
        data["listBefore"] = world.lists[old].ref() if old in world.lists else {"id": old}
        data["listAfter"] = world.lists[new].ref()
    else:
        data["list"] = world.lists[card.id_list].ref() if card.id_list in world.lists else {"id": card.id_list}
    world.record(board, "updateCard", req.user or "", **data)


def _set_members_and_labels(world: World, req: EmuRequest, board: Board, card: Card) -> None:
    where = world.lists[card.id_list].ref() if card.id_list in world.lists else {"id": card.id_list}
    members = _checked_ids(world, board, req, "idMembers")
    if members is not None:
        for kind, ids in (("removeMemberFromCard", [m for m in card.id_members if m not in members]),
                          ("addMemberToCard", [m for m in members if m not in card.id_members])):
            for ident in ids:
                person = {"id": ident, "name": world.members[ident].full_name if ident in world.members else ""}
                world.record(board, kind, req.user or "", card=card.ref(), idMember=ident, member=person, list=where)
        card.id_members = members
    labels = _checked_ids(world, board, req, "idLabels")
    if labels is not None:
        for kind, ids in (("removeLabelFromCard", [i for i in card.id_labels if i not in labels]),
                          ("addLabelToCard", [i for i in labels if i not in card.id_labels])):
            for ident in ids:
                label = world.labels.get(ident) or Label(ident, board.id, "", None)
                world.record(board, kind, req.user or "", card=card.ref(), label=label.render(), text=label.name, list=where)
        card.id_labels = labels


def update_card(world: World, req: EmuRequest) -> httpx.Response:
    board, card = card_for(world, req, req.path_params["id"])
    changes: list[tuple[str, str, Any]] = []
    for key, attr in (("name", "name"), ("desc", "desc")):
        value = text(req, key)
        if value is not None:
            if key == "name" and not value:
                raise HttpError(400, f"invalid value for {key}")
            enforce({key: value}, CARD_LIMITS, refuse)
            changes.append((key, attr, value))
    for key, attr in (("closed", "closed"), ("dueComplete", "due_complete")):
        value_flag = flag(req, key)
        if value_flag is not None:
            changes.append((key, attr, value_flag))
    for key in ("due", "start"):
        given, when = moment(req, key)
        if given:
            changes.append((key, key, when))
    new_list = text(req, "idList")
    if new_list:
        check_id(new_list)
        changes.append(("idList", "id_list", _target_list(world, board.id, new_list).id))
    target = new_list or card.id_list
    siblings = [c.pos for c in world.cards.values() if c.id_list == target and c.id != card.id and not c.closed]
    pos = position(world, req, siblings)
    if pos is not None:
        changes.append(("pos", "pos", pos))
    _set_members_and_labels(world, req, board, card)
    for key, attr, value in changes:
        old = getattr(card, attr)
        if old != value:
            setattr(card, attr, value)
            _card_change(world, req, board, card, key, old, value)
    world.touch(card)
    return ok(world.render_card(card))


def _label_action(world: World, req: EmuRequest, board: Board, card: Card, kind: str, label: Label) -> None:
    where = world.lists[card.id_list].ref() if card.id_list in world.lists else {"id": card.id_list}
    world.record(board, kind, req.user or "", card=card.ref(), label=label.render(), text=label.name, list=where)
    world.touch(card)


def add_card_label(world: World, req: EmuRequest) -> httpx.Response:
    """``POST /cards/{id}/idLabels?value=<label id>``: one label more; answers the card's label ids."""
    board, card = card_for(world, req, req.path_params["id"])
    ident = text(req, "value")
    label = world.labels.get(ident or "")
    if not ident or label is None or label.id_board != board.id:
        raise HttpError(400, "invalid value for value")
    if label.id in card.id_labels:
        raise HttpError(400, "that label is already on the card")
    card.id_labels.append(label.id)
    _label_action(world, req, board, card, "addLabelToCard", label)
    return ok(list(card.id_labels))


def remove_card_label(world: World, req: EmuRequest) -> httpx.Response:
    """``DELETE /cards/{id}/idLabels/{idLabel}``: one label less."""
    board, card = card_for(world, req, req.path_params["id"])
    ident = req.path_params["idLabel"]
    check_id(ident)
    if ident not in card.id_labels:
        raise HttpError(404, NOT_FOUND)
    card.id_labels.remove(ident)
    label = world.labels.get(ident) or Label(ident, board.id, "", None)
    _label_action(world, req, board, card, "removeLabelFromCard", label)
    return ok({"_value": None})


def delete_card(world: World, req: EmuRequest) -> httpx.Response:
    board, card = card_for(world, req, req.path_params["id"])
    where = world.lists[card.id_list].ref() if card.id_list in world.lists else {"id": card.id_list}
    for checklist in card.checklists:
        world.checklists.pop(checklist.id, None)
    del world.cards[card.id]
    gone = {"id": card.id, "idShort": card.id_short, "shortLink": card.short_link}
    world.record(board, "deleteCard", req.user or "", card=gone, list=where)
    return ok({"limits": {}})


# -- labels ------------------------------------------------------------------


def _color(value: str | None, *, required_: bool) -> str | None:
    if value in (None, "", "null"):
        if value is None and required_:
            raise HttpError(400, "invalid value for color")
        return None
    if value not in COLORS:
        raise HttpError(400, "invalid value for color")
    return value


def _create_label(world: World, req: EmuRequest, board: Board) -> httpx.Response:
    name = text(req, "name", "") or ""
    if len(name) > 16384:
        raise HttpError(400, "invalid value for name")
    label = Label(world.object_id(), board.id, name, _color(text(req, "color"), required_=True))
    world.labels[label.id] = label
    world.record(board, "createLabel", req.user or "", label=label.render())
    return ok(label.render())


def create_label(world: World, req: EmuRequest) -> httpx.Response:
    return _create_label(world, req, board_by_id(world, req, required(req, "idBoard")))


def create_board_label(world: World, req: EmuRequest) -> httpx.Response:
    return _create_label(world, req, board_for(world, req, req.path_params["id"]))


def update_label(world: World, req: EmuRequest) -> httpx.Response:
    board, label = on_board(world, req, world.labels)
    old: dict[str, Any] = {}
    name = text(req, "name")
    if name is not None and name != label.name:
        old["name"], label.name = label.name, name
    if text(req, "color") is not None:
        color = _color(text(req, "color"), required_=False)
        if color != label.color:
            old["color"], label.color = label.color, color
    if old:
        world.record(board, "updateLabel", req.user or "", label=label.render(), old=old)
    return ok(label.render())


def delete_label(world: World, req: EmuRequest) -> httpx.Response:
    board, label = on_board(world, req, world.labels)
    del world.labels[label.id]
    for card in world.cards.values():
        if label.id in card.id_labels:
            card.id_labels.remove(label.id)
    world.record(board, "deleteLabel", req.user or "", label={"id": label.id})
    return ok({})
