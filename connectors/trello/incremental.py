"""Incremental pulls: replay the board's actions since the cursor onto the previous snapshot.

One request (``GET /boards/{id}/actions?since=<newest seen>&filter=all``) when
nothing happened. Otherwise comment actions are applied from their data,
removals (``deleteCard``, archiving, ``deleteCheckItem``...) too, and each card
touched by someone else is re-read once with its checklists and attachments:
one card alone through ``GET /cards/{id}``, two or more through the board's
cards in one ``GET /boards/{id}/cards`` (one request against the rate limit,
where ``/batch`` would take one per ten cards).
Our own actions about items the previous snapshot already holds are skipped
(the engine recorded those writes); our own creates that it lacks are fetched.

Text is read with the previous snapshot's board members; when this pass reads
the members again, the comments it replayed are read again with them, and the
cards it re-reads come after, so no mention is read against a stale member list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bridge import richtext
from bridge.core.model import Snapshot
from bridge.core.ports import PullResult, PullState
from bridge.errors import Invalid, NotFound
from bridge.richtext import People
from connectors.trello import translate
from connectors.trello.pull import (
    CARD_FIELDS,
    CARD_NESTED,
    BoardPull,
    Cursor,
    actions_pages,
    archive_card,
    drop_card,
    drop_orphans,
)

# Past this many cards whose older comments are read one card at a time (cards that reappear), a full
# pull is cheaper.
MAX_COMMENT_READS = 50

CARD_ACTIONS = frozenset({
    "createCard", "updateCard", "copyCard", "moveCardToBoard", "addMemberToCard", "removeMemberFromCard",
    "addLabelToCard", "removeLabelFromCard", "addChecklistToCard", "removeChecklistFromCard", "updateChecklist",
    "createCheckItem", "updateCheckItem", "updateCheckItemStateOnCard", "addAttachmentToCard",
    "convertToCardFromCheckItem", "updateCustomFieldItem",
})
CREATES = frozenset({"createCard", "copyCard", "convertToCardFromCheckItem"})
LIST_ACTIONS = frozenset({"createList", "updateList", "moveListToBoard", "moveListFromBoard"})
MEMBER_ACTIONS = frozenset({"addMemberToBoard", "removeMemberFromBoard", "makeNormalMemberOfBoard", "makeAdminOfBoard",
                            "makeObserverOfBoard", "updateMember"})
# A label rename or removal changes the label names of every card carrying it.
# So do a custom field's rename, its options and its removal (connectors/trello/fields.py).
FULL_PULL_ACTIONS = frozenset({"updateLabel", "deleteLabel", "createCustomField", "updateCustomField",
                               "deleteCustomField"})


@dataclass
class Replay:
    snapshot: Snapshot
    me: str
    people: People
    reread: dict[str, None] = field(default_factory=dict)  # card ids, in order
    texts: dict[str, str] = field(default_factory=dict)  # comment id -> its text as Trello sent it, this pass
    created: set[str] = field(default_factory=set)
    lists: bool = False
    members: bool = False
    full: bool = False

    def present(self, kind: str, data: dict[str, Any]) -> bool:
        """Does the previous snapshot already hold the item this action is about?"""
        if kind in ("createCheckItem", "updateCheckItem", "updateCheckItemStateOnCard"):
            return str((data.get("checkItem") or {}).get("id")) in self.snapshot.tasks
        if kind == "addAttachmentToCard":
            return str((data.get("attachment") or {}).get("id")) in self.snapshot.attachments
        return str((data.get("card") or {}).get("id")) in self.snapshot.tasks

    def apply(self, action: dict[str, Any]) -> None:
        kind = str(action.get("type", ""))
        data = action.get("data") or {}
        mine = action.get("idMemberCreator") == self.me
        card_id = str((data.get("card") or {}).get("id") or "")
        if kind in ("commentCard", "updateComment", "deleteComment"):
            self.comment(kind, action, data)
        elif kind in ("deleteCard", "moveCardFromBoard"):
            self.reread.pop(card_id, None)
            drop_card(self.snapshot, card_id)
        elif kind == "updateCard" and "closed" in (data.get("old") or {}) and (data.get("card") or {}).get("closed") is True:
            self.reread.pop(card_id, None)
            archive_card(self.snapshot, card_id)
        elif kind == "updateCard" and "closed" in (data.get("old") or {}) and card_id:
            self.reread[card_id] = None  # back from the archive, ours or not: its check items and links come back too
        elif kind == "deleteCheckItem":
            self.snapshot.tasks.pop(str((data.get("checkItem") or {}).get("id")), None)
        elif kind == "deleteAttachmentFromCard":
            self.snapshot.attachments.pop(str((data.get("attachment") or {}).get("id")), None)
        elif kind in CARD_ACTIONS and card_id:
            if kind in CREATES:
                self.created.add(card_id)
            if not (mine and self.present(kind, data)):
                self.reread[card_id] = None
        elif kind in LIST_ACTIONS:
            self.list_change(kind, data, mine)
        elif kind in MEMBER_ACTIONS:
            self.members = True
        elif kind in FULL_PULL_ACTIONS:
            self.full = True
        elif kind == "updateBoard" and (data.get("board") or {}).get("name"):
            self.snapshot.project_name = str(data["board"]["name"])

    def comment(self, kind: str, action: dict[str, Any], data: dict[str, Any]) -> None:
        comments = self.snapshot.comments
        if kind == "commentCard":
            item = translate.comment(action, self.people)
            comments[item.id] = item
            self.texts[item.id] = str(data.get("text") or "")
            return
        target = str((data.get("action") or {}).get("id"))
        if kind == "deleteComment":
            comments.pop(target, None)
        elif target in comments:
            text = (data.get("action") or {}).get("text")
            if isinstance(text, str):
                self.texts[target] = text
                comments[target] = comments[target].model_copy(
                    update={"text": richtext.read("trello", text, self.people), "version": action.get("date")})

    def reread_texts(self, people: People) -> None:
        """The comments this pass replayed, read again with a new member list."""
        self.people = people
        for comment_id, text in self.texts.items():
            if comment_id in self.snapshot.comments:
                held = self.snapshot.comments[comment_id]
                self.snapshot.comments[comment_id] = held.model_copy(update={"text": richtext.read("trello", text, people)})

    def list_change(self, kind: str, data: dict[str, Any], mine: bool) -> None:
        listed = data.get("list") or {}
        list_id = str(listed.get("id") or "")
        old = data.get("old") or {}
        if kind == "updateList" and "closed" in old:
            if listed.get("closed") is True:
                self.snapshot.sections.pop(list_id, None)
                drop_orphans(self.snapshot)
            else:
                self.full = True  # an unarchived list brings back cards we never read
            return
        if kind == "moveListToBoard":
            self.full = True
            return
        if not (mine and list_id in self.snapshot.sections):
            self.lists = True


def incremental(puller: BoardPull, board: str, state: PullState) -> PullResult:
    cursor = Cursor.load(state.cursor, board)
    if cursor is None or state.snapshot is None or state.snapshot.project_id != board:
        return puller.full(board)
    params: dict[str, Any] = {"filter": "all"}
    if cursor.since:
        params["since"] = cursor.since
    try:
        actions = actions_pages(puller.api, board, params)
    except Invalid:
        return puller.full(board)  # Trello refused the cursor: start over
    if not actions:
        return PullResult(snapshot=state.snapshot, cursor=state.cursor, full=False)
    replay = Replay(state.snapshot.model_copy(deep=True), cursor.me, translate.mentionable(state.snapshot.people.values()))
    for action in reversed(actions):  # oldest first
        replay.apply(action)
    before = set(state.snapshot.tasks)
    reappearing = {c for c in replay.reread if c not in before and c not in replay.created}
    if replay.full or len(reappearing) > MAX_COMMENT_READS:
        return puller.full(board)
    snapshot = replay.snapshot
    if replay.lists:
        lists = puller.api.many(f"boards/{board}/lists", {"filter": "open", "fields": "name,pos,closed"})
        snapshot.sections = {s.id: s for s in map(translate.section, lists)}
        drop_orphans(snapshot)
    if replay.members:
        members = puller.api.many(f"boards/{board}/members", {"fields": "fullName,username"})
        snapshot.people = {p.id: p for p in map(translate.person, members)}
        replay.reread_texts(translate.mentionable(snapshot.people.values()))
    cards = read_cards(puller, board, list(replay.reread))
    for card_id in replay.reread:
        reread_card(puller, snapshot, card_id, cards.get(card_id), replay.people, fetch_comments=card_id in reappearing)
    held = snapshot.tasks.keys() | snapshot.archived.keys()
    for orphan in [c.id for c in snapshot.comments.values() if c.task_id not in held]:
        del snapshot.comments[orphan]
    newest = str(actions[0].get("id") or cursor.since or "")
    return PullResult(snapshot=snapshot, cursor=Cursor(board, newest or None, cursor.me).dump(), full=False)


def read_cards(puller: BoardPull, board: str, card_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The cards' current state, by id; a card missing is deleted (or on another board)."""
    params = {"fields": CARD_FIELDS, **CARD_NESTED}
    if len(card_ids) == 1:
        try:
            return {card_ids[0]: puller.api.obj(f"cards/{card_ids[0]}", params)}
        except NotFound:
            return {}
    if not card_ids:
        return {}
    # Archived cards too, as the full pull reads them: an archived card is kept to restore it.
    wanted = set(card_ids)
    listed = puller.api.many(f"boards/{board}/cards", {"filter": "all", **params})
    return {str(raw.get("id")): raw for raw in listed if str(raw.get("id")) in wanted}


def reread_card(
    puller: BoardPull, snapshot: Snapshot, card_id: str, raw: dict[str, Any] | None, people: People, *, fetch_comments: bool
) -> None:
    if raw is None:
        drop_card(snapshot, card_id)
        return
    if not puller.put_card(snapshot, raw, people) or not fetch_comments:
        return
    # A card that reappears (unarchived, moved in) brings comments older than the cursor.
    for action in puller.api.many(f"cards/{card_id}/actions", {"filter": "commentCard", "limit": 1000}):
        item = translate.comment(action, people)
        snapshot.comments[item.id] = item
