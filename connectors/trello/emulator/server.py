"""An in-memory Trello REST API (``https://api.trello.com/1``) for tests, the demo and ``pm-bridge emulate``.

Auth is Trello's: ``key`` + ``token`` query parameters, or
``Authorization: OAuth oauth_consumer_key="…", oauth_token="…"``. Rate limits
are the documented ones, 100 requests per 10 s per token and 300 per 10 s per
key, counted over a sliding window; a refusal is a 429 with the body the
rate-limit guide quotes and no ``Retry-After`` (the guide documents none).
Errors are the short text bodies Trello sends (``invalid token``,
``The requested resource was not found.``, ``invalid id``).
"""

from __future__ import annotations

import collections
import re
import threading
import time
from collections.abc import Callable

import httpx

from bridge.clock import Clock, RealClock
from connectors.emulation.toolkit import Emulator, EmuRequest, json_response
from connectors.trello.emulator import card_parts as parts
from connectors.trello.emulator import custom_fields, reads, writes
from connectors.trello.emulator.request import NOT_FOUND
from connectors.trello.emulator.store import Board, Card, Member, TrelloList, World, iso
from connectors.trello.emulator.webhooks import TrelloWebhooks

TOKEN_LIMIT = (100, 10.0)
# A fixed wall-clock origin for virtual clocks, so ids and dates are reproducible.
VIRTUAL_EPOCH = 1_700_000_000.0
_OAUTH_PARAM = re.compile(r'(oauth_[a-z_]+)="([^"]*)"')

Route = Callable[[World, EmuRequest], httpx.Response]


class _Window:
    """At most ``limit`` requests in any ``per`` seconds (a sliding log)."""

    def __init__(self, limit: int, per: float) -> None:
        self.limit, self.per = limit, per
        self.stamps: collections.deque[float] = collections.deque()

    def admit(self, now: float) -> bool:
        while self.stamps and self.stamps[0] <= now - self.per:
            self.stamps.popleft()
        if len(self.stamps) >= self.limit:
            return False
        self.stamps.append(now)
        return True


class TrelloEmulator(Emulator):
    tool = "trello"

    def __init__(self, *, clock: Clock | None = None, latency: float = 0.0,
                 rate_limit: tuple[float, float] | None | bool = True) -> None:
        super().__init__(clock=clock, latency=latency, rate_limit=False)
        # The toolkit's single bucket is off: Trello counts per token and per key.
        if rate_limit is False or rate_limit is None:
            self.token_limit: tuple[int, float] | None = None
        elif rate_limit is True:
            self.token_limit = TOKEN_LIMIT
        else:
            self.token_limit = (int(rate_limit[0]), float(rate_limit[1]))
        self.key_limit = None if self.token_limit is None else (self.token_limit[0] * 3, self.token_limit[1])
        self._windows: dict[str, _Window] = {}
        self._auth_failure = threading.local()
        epoch = time.time() - self.clock.now() if isinstance(self.clock, RealClock) else VIRTUAL_EPOCH
        self.world = World(self.clock, epoch)
        self.base_url = "https://trello.emulator.invalid/1"  # never the real host, even by mistake
        self.webhooks = TrelloWebhooks(self)
        self._register()

    # -- seeding (used by the sandbox and tests) ------------------------------

    def add_key(self, key: str) -> None:
        with self.lock:
            self.world.keys.add(key)

    def add_member(self, full_name: str, username: str, email: str, token: str) -> str:
        with self.lock:
            member = Member(self.world.object_id(), full_name, username, email)
            self.world.members[member.id] = member
            self.world.tokens[token] = member.id
            return member.id

    def add_board(self, name: str, members: list[str], lists: list[str] | None = None) -> str:
        with self.lock:
            world = self.world
            board = Board(world.object_id(), name, world.short_link(), members[0], members=list(members))
            world.boards[board.id] = board
            world.record(board, "createBoard", members[0])
            for index, list_name in enumerate(lists or []):
                trello_list = TrelloList(world.object_id(), board.id, list_name, (index + 1) * 65536.0 - 1)
                world.lists[trello_list.id] = trello_list
                world.record(board, "createList", members[0], list=trello_list.ref())
            return board.id

    def add_board_member(self, board_id: str, member: str, by: str) -> None:
        """``member`` joins the board, added by ``by`` (logged as Trello logs it: ``addMemberToBoard``)."""
        with self.lock:
            board = self.world.boards[board_id]
            if member not in board.members:
                board.members.append(member)
                self.world.record(board, "addMemberToBoard", by, idMemberAdded=member, memberType="normal")

    def seed_card(self, list_id: str, name: str, member: str, desc: str = "") -> str:
        """A card created as if by ``member`` (with its action), without going through HTTP."""
        with self.lock:
            world = self.world
            trello_list = world.lists[list_id]
            board = world.boards[trello_list.id_board]
            siblings = [c.pos for c in world.cards.values() if c.id_list == list_id]
            card = Card(world.object_id(), board.id, list_id, name, world.bottom(siblings), world.next_short(),
                        world.short_link(), iso(world.wall()), desc=desc)
            world.cards[card.id] = card
            world.record(board, "createCard", member, card=card.ref(), list=trello_list.ref())
            return card.id

    # -- toolkit hooks -------------------------------------------------------

    def strip_prefix(self, path: str) -> str:
        if path == "/1" or path.startswith("/1/"):
            return path[2:] or "/"
        return path

    def handle(self, request: httpx.Request) -> httpx.Response:
        self._auth_failure.reason = "invalid token"
        return super().handle(request)

    def authenticate(self, request: EmuRequest) -> str | None:
        key = request.query.get("key", [None])[-1]
        token = request.query.get("token", [None])[-1]
        header = request.headers.get("authorization", "")
        if header.lower().startswith("oauth "):
            params = dict(_OAUTH_PARAM.findall(header))
            key = key or params.get("oauth_consumer_key")
            token = token or params.get("oauth_token")
        with self.lock:
            if not key or key not in self.world.keys:
                self._auth_failure.reason = "invalid key"
                return None
            member = self.world.tokens.get(token or "")
        if member is None and self.oauth is not None:
            member = self.oauth.user_for(token or "")  # tokens from /1/authorize, which expire
        if member is None:
            self._auth_failure.reason = "invalid token"
        return member

    def credential(self, request: EmuRequest) -> str:
        key = request.query.get("key", [""])[-1]
        token = request.query.get("token", [""])[-1]
        header = request.headers.get("authorization", "")
        if header.lower().startswith("oauth "):
            params = dict(_OAUTH_PARAM.findall(header))
            key, token = key or params.get("oauth_consumer_key", ""), token or params.get("oauth_token", "")
        return f"{key}\x00{token}"

    def error_response(self, status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
        if status == 401 and message == "Not Authorized":
            message = getattr(self._auth_failure, "reason", "invalid token")
        elif status == 404:
            message = NOT_FOUND
        headers = {"content-type": "text/plain; charset=utf-8", **(headers or {})}
        return httpx.Response(status, content=message.encode(), headers=headers)

    def rate_limited_response(self, retry_after: float, scope: str = "token") -> httpx.Response:
        code = "API_KEY_LIMIT_EXCEEDED" if scope == "key" else "API_TOKEN_LIMIT_EXCEEDED"
        return json_response(429, {"error": code, "message": "Rate limit exceeded"})

    def _admit(self, req: EmuRequest) -> httpx.Response | None:
        if self.token_limit is None or self.key_limit is None:
            return None
        key, _, token = self.credential(req).partition("\x00")
        now = self.clock.now()
        token_window = self._windows.setdefault(f"token:{token}", _Window(*self.token_limit))
        if not token_window.admit(now):
            return self.rate_limited_response(0.0, "token")
        if not self._windows.setdefault(f"key:{key}", _Window(*self.key_limit)).admit(now):
            token_window.stamps.pop()
            return self.rate_limited_response(0.0, "key")
        return None

    # -- routes ----------------------------------------------------------------

    def _bind(self, route: Route) -> Callable[[EmuRequest], httpx.Response]:
        def handler(req: EmuRequest) -> httpx.Response:
            refused = self._admit(req)
            return refused if refused is not None else route(self.world, req)

        return handler

    def _register(self) -> None:
        table: list[tuple[str, str, Route]] = [
            ("GET", "/members/{id}", reads.get_member),
            ("GET", "/boards/{id}", reads.get_board),
            ("GET", "/boards/{id}/lists", reads.board_lists),
            ("POST", "/boards/{id}/lists", writes.create_board_list),
            ("GET", "/boards/{id}/cards", reads.board_cards),
            ("GET", "/boards/{id}/cards/{filter}", reads.board_cards),
            ("GET", "/boards/{id}/labels", reads.board_labels),
            ("POST", "/boards/{id}/labels", writes.create_board_label),
            ("GET", "/boards/{id}/members", reads.board_members),
            ("GET", "/boards/{id}/checklists", reads.board_checklists),
            ("GET", "/boards/{id}/actions", reads.board_actions),
            ("POST", "/lists", writes.create_list),
            ("GET", "/lists/{id}", reads.get_list),
            ("PUT", "/lists/{id}", writes.update_list),
            ("PUT", "/lists/{id}/closed", writes.close_list),
            ("GET", "/lists/{id}/cards", reads.list_cards),
            ("POST", "/cards", writes.create_card),
            ("GET", "/cards/{id}", reads.get_card),
            ("PUT", "/cards/{id}", writes.update_card),
            ("DELETE", "/cards/{id}", writes.delete_card),
            ("POST", "/cards/{id}/idLabels", writes.add_card_label),
            ("DELETE", "/cards/{id}/idLabels/{idLabel}", writes.remove_card_label),
            ("GET", "/cards/{id}/actions", reads.card_actions),
            ("POST", "/cards/{id}/actions/comments", parts.create_comment),
            ("PUT", "/cards/{id}/actions/{idAction}/comments", parts.update_comment),
            ("DELETE", "/cards/{id}/actions/{idAction}/comments", parts.delete_comment),
            ("GET", "/cards/{id}/checklists", reads.card_checklists),
            ("POST", "/cards/{id}/checklists", parts.create_checklist),
            ("GET", "/cards/{id}/checkItem/{idCheckItem}", reads.card_check_item),
            ("PUT", "/cards/{id}/checkItem/{idCheckItem}", parts.update_check_item),
            ("DELETE", "/cards/{id}/checkItem/{idCheckItem}", parts.delete_card_check_item),
            ("GET", "/checklists/{id}/checkItems", reads.checklist_items),
            ("POST", "/checklists/{id}/checkItems", parts.create_check_item),
            ("DELETE", "/checklists/{id}/checkItems/{idCheckItem}", parts.delete_checklist_item),
            ("GET", "/cards/{id}/attachments", reads.card_attachments),
            ("POST", "/cards/{id}/attachments", parts.create_attachment),
            ("GET", "/cards/{id}/attachments/{idAttachment}", reads.card_attachment),
            ("DELETE", "/cards/{id}/attachments/{idAttachment}", parts.delete_attachment),
            ("GET", "/cards/{id}/attachments/{idAttachment}/download/{fileName}", parts.download_attachment),
            ("POST", "/labels", writes.create_label),
            ("GET", "/labels/{id}", reads.get_label),
            ("PUT", "/labels/{id}", writes.update_label),
            ("DELETE", "/labels/{id}", writes.delete_label),
        ]
        table += custom_fields.TABLE
        table += self.webhooks.table()
        for method, pattern, route in table:
            self.add_route(method, pattern, self._bind(route))


__all__ = ["TrelloEmulator"]
