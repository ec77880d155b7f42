"""Write handlers for what hangs off a card: checklists, check items, comments, attachments."""

from __future__ import annotations

import urllib.parse
from typing import Any

import httpx

from connectors.emulation.files import multipart_parts
from connectors.emulation.toolkit import EmuRequest, HttpError
from connectors.trello.emulator.request import (
    NO_PERMISSION,
    NOT_FOUND,
    card_for,
    check_id,
    flag,
    ok,
    on_board,
    position,
    required,
    text,
)
from connectors.trello.emulator.store import Attachment, Board, Card, CheckItem, Checklist, World, iso
from connectors.trello.limits import TEXT_LIMITS


def _where(world: World, card: Card) -> dict[str, Any]:
    return world.lists[card.id_list].ref() if card.id_list in world.lists else {"id": card.id_list}


# -- checklists and check items -----------------------------------------------


def create_checklist(world: World, req: EmuRequest) -> httpx.Response:
    board, card = card_for(world, req, req.path_params["id"])
    name = text(req, "name") or "Checklist"
    pos = position(world, req, [c.pos for c in card.checklists])
    checklist = Checklist(world.object_id(), board.id, card.id, name,
                          pos if pos is not None else world.bottom([c.pos for c in card.checklists]))
    world.checklists[checklist.id] = checklist
    card.checklists.append(checklist)
    world.touch(card)
    world.record(board, "addChecklistToCard", req.user or "", card=card.ref(), checklist=checklist.ref())
    return ok(checklist.render())


def create_check_item(world: World, req: EmuRequest) -> httpx.Response:
    board, checklist = on_board(world, req, world.checklists)
    card = world.cards[checklist.id_card]
    name = required(req, "name")
    siblings = [i.pos for i in checklist.items]
    pos = position(world, req, siblings)
    item = CheckItem(world.object_id(), checklist.id, name, pos if pos is not None else world.bottom(siblings),
                     "complete" if flag(req, "checked") else "incomplete")
    checklist.items.append(item)
    world.touch(card)
    world.record(board, "createCheckItem", req.user or "", card=card.ref(), checklist=checklist.ref(), checkItem=item.ref())
    return ok(item.render())


def _item_on_card(world: World, req: EmuRequest, card_key: str, item_key: str) -> tuple[Board, Card, Checklist, CheckItem]:
    board, card = card_for(world, req, req.path_params[card_key])
    check_id(req.path_params[item_key])
    found = world.check_item(req.path_params[item_key])
    if found is None or found[0].id_card != card.id:
        raise HttpError(404, NOT_FOUND)
    return board, card, found[0], found[1]


def update_check_item(world: World, req: EmuRequest) -> httpx.Response:
    board, card, checklist, item = _item_on_card(world, req, "id", "idCheckItem")
    refs = {"card": card.ref(), "checklist": checklist.ref()}
    name = text(req, "name")
    if name is not None and name != item.name:
        if not name or len(name) > 16384:
            raise HttpError(400, "invalid value for name")
        old, item.name = item.name, name
        world.record(board, "updateCheckItem", req.user or "", checkItem=item.ref(), old={"name": old}, **refs)
    state = text(req, "state")
    if state is not None:
        if state not in ("complete", "incomplete"):
            raise HttpError(400, "invalid value for state")
        if state != item.state:
            item.state = state
            world.record(board, "updateCheckItemStateOnCard", req.user or "", checkItem=item.ref(), **refs)
    pos = position(world, req, [i.pos for i in checklist.items if i.id != item.id])
    if pos is not None and pos != item.pos:
        old_pos, item.pos = item.pos, pos
        world.record(board, "updateCheckItem", req.user or "", checkItem={**item.ref(), "pos": pos}, old={"pos": old_pos}, **refs)
    world.touch(card)
    return ok(item.render())


def _delete_item(world: World, req: EmuRequest, board: Board, card: Card, checklist: Checklist,
                 item: CheckItem) -> httpx.Response:
    checklist.items.remove(item)
    world.touch(card)
    world.record(board, "deleteCheckItem", req.user or "", card=card.ref(), checklist=checklist.ref(), checkItem=item.ref())
    return ok({"limits": {}})


def delete_card_check_item(world: World, req: EmuRequest) -> httpx.Response:
    return _delete_item(world, req, *_item_on_card(world, req, "id", "idCheckItem"))


def delete_checklist_item(world: World, req: EmuRequest) -> httpx.Response:
    board, checklist = on_board(world, req, world.checklists)
    item = next((i for i in checklist.items if i.id == req.path_params["idCheckItem"]), None)
    if item is None:
        raise HttpError(404, NOT_FOUND)
    return _delete_item(world, req, board, world.cards[checklist.id_card], checklist, item)


# -- comments ------------------------------------------------------------------


def create_comment(world: World, req: EmuRequest) -> httpx.Response:
    board, card = card_for(world, req, req.path_params["id"])
    body = required(req, "text", max_len=TEXT_LIMITS["comment"])
    world.touch(card)
    action = world.record(board, "commentCard", req.user or "", text=body, card=card.ref(), list=_where(world, card))
    return ok(world.render_action(action))


def _comment_for(world: World, req: EmuRequest) -> tuple[Board, Card, Any]:
    board, card = card_for(world, req, req.path_params["id"])
    check_id(req.path_params["idAction"])
    action = next((a for a in world.actions if a.id == req.path_params["idAction"]), None)
    if action is None or action.type != "commentCard" or action.data.get("card", {}).get("id") != card.id:
        raise HttpError(404, NOT_FOUND)
    if action.id_member_creator != req.user:  # only the author may edit or delete a comment
        raise HttpError(401, NO_PERMISSION)
    return board, card, action


def update_comment(world: World, req: EmuRequest) -> httpx.Response:
    board, card, action = _comment_for(world, req)
    body = required(req, "text", max_len=TEXT_LIMITS["comment"])
    old = action.data["text"]
    action.data["text"] = body
    action.data["dateLastEdited"] = iso(world.wall())
    world.record(board, "updateComment", req.user or "", action={"id": action.id, "text": body}, old={"text": old},
                 card=card.ref())
    return ok(world.render_action(action))


def delete_comment(world: World, req: EmuRequest) -> httpx.Response:
    board, card, action = _comment_for(world, req)
    world.actions.remove(action)
    world.record(board, "deleteComment", req.user or "", action={"id": action.id}, card=card.ref())
    return ok({"limits": {}})


# -- attachments -----------------------------------------------------------------


def create_attachment(world: World, req: EmuRequest) -> httpx.Response:
    board, card = card_for(world, req, req.path_params["id"])
    if req.headers.get("content-type", "").startswith("multipart/form-data"):
        return _upload(world, req, board, card)
    url = text(req, "url")
    if not url or not url.startswith(("http://", "https://")):
        raise HttpError(400, "invalid value for url")
    name = text(req, "name") or url
    if len(name) > 256:
        raise HttpError(400, "invalid value for name")
    attachment = Attachment(world.object_id(), card.id, name, url, req.user or "", iso(world.wall()),
                            world.bottom([a.pos for a in card.attachments]))
    card.attachments.append(attachment)
    world.touch(card)
    world.record(board, "addAttachmentToCard", req.user or "", card=card.ref(), attachment=attachment.ref(),
                 list=_where(world, card))
    return ok(attachment.render())


def _upload(world: World, req: EmuRequest, board: Board, card: Card) -> httpx.Response:
    """A file upload: multipart with ``file`` (and optional ``name``, ``mimeType``)."""
    # A file part streams straight into the vault (connectors/emulation/files.py); dropped if refused.
    parts = {part.name: part for part in multipart_parts(req.headers["content-type"], req.chunks(), world.vault)}
    upload = parts.get("file")
    kept = [part.stored for part in parts.values() if part.stored is not None]
    try:
        if upload is None or upload.stored is None or upload.filename is None:
            raise HttpError(400, "invalid value for file")
        if upload.size > world.file_limit:
            raise HttpError(413, "request entity too large")
        kept.remove(upload.stored)
    finally:
        for unused in kept:
            world.vault.drop(unused.key)
    name = parts["name"].text() if "name" in parts else upload.filename
    mime = parts["mimeType"].text() if "mimeType" in parts else upload.content_type
    stored = world.vault.retype(upload.stored.key, mime)
    attachment_id = world.object_id()
    url = f"{req.base_url}/1/cards/{card.id}/attachments/{attachment_id}/download/{urllib.parse.quote(upload.filename)}"
    attachment = Attachment(attachment_id, card.id, name, url, req.user or "", iso(world.wall()),
                            world.bottom([a.pos for a in card.attachments]), stored, upload.filename)
    card.attachments.append(attachment)
    world.touch(card)
    world.record(board, "addAttachmentToCard", req.user or "", card=card.ref(), attachment=attachment.ref(),
                 list=_where(world, card))
    return ok(attachment.render())


def download_attachment(world: World, req: EmuRequest) -> httpx.Response:
    """An upload's bytes; Trello serves them only with the OAuth Authorization header, not key and token
    in the query ("Changes to attachment downloads", docs/files.md)."""
    if not req.headers.get("authorization", "").lower().startswith("oauth "):
        raise HttpError(401, "unauthorized permission requested")
    _, card = card_for(world, req, req.path_params["id"])
    attachment = next((a for a in card.attachments if a.id == req.path_params["idAttachment"]), None)
    if attachment is None or attachment.file is None:
        raise HttpError(404, NOT_FOUND)
    return world.vault.response(attachment.file.key, attachment.file_name or attachment.name)


def delete_attachment(world: World, req: EmuRequest) -> httpx.Response:
    board, card = card_for(world, req, req.path_params["id"])
    check_id(req.path_params["idAttachment"])
    attachment = next((a for a in card.attachments if a.id == req.path_params["idAttachment"]), None)
    if attachment is None:
        raise HttpError(404, NOT_FOUND)
    card.attachments.remove(attachment)
    world.touch(card)
    world.record(board, "deleteAttachmentFromCard", req.user or "", card=card.ref(),
                 attachment={"id": attachment.id, "name": attachment.name}, list=_where(world, card))
    return ok({"limits": {}})
