"""An emulator of the Basecamp 4 API (to-dos of a project), checked against ``tests/reference/basecamp``.

Paths are ``/{account_id}/….json`` with flat routes (``/todos/{id}.json``) and
their legacy ``/buckets/{project}/…`` twins. Requests need
``Authorization: Bearer <token>`` and a ``User-Agent`` (400 without one, as the
README says); a body must come with a JSON ``Content-Type`` (415 otherwise).
An inactive account answers every request with 404 and ``Reason: Account Inactive``.
"""

from __future__ import annotations

import httpx

from bridge.clock import Clock
from connectors.basecamp.emulator.account import AccountRoutes
from connectors.basecamp.emulator.http import error_body
from connectors.basecamp.emulator.recordings import RecordingRoutes
from connectors.basecamp.emulator.store import ACCOUNT_ID, Project, Todolist, Todoset, Vault
from connectors.basecamp.emulator.todos import TodoRoutes
from connectors.emulation.bodies import SpooledBody
from connectors.emulation.toolkit import EmuRequest, Recorded, json_response

_NO_ACCOUNT = "/__unknown_account__"
# Collections that exist only account-wide: no /buckets/{project}/ twin.
_ACCOUNT_WIDE = ("/projects", "/people", "/my/", "/attachments.json")


class BasecampEmulator(TodoRoutes, RecordingRoutes, AccountRoutes):
    def __init__(self, *, clock: Clock | None = None, latency: float = 0.0,
                 rate_limit: tuple[float, float] | None | bool = True, geared: bool = False) -> None:
        super().__init__(clock=clock, latency=latency, rate_limit=rate_limit, geared=geared)
        self.base_url = "https://3.basecampapi.invalid"
        self.inactive = False  # flip to emulate an expired trial or a suspended account
        # The recordings listing comes first: /projects/{id}.json would otherwise claim it.
        flat = self.recording_routes() + self.account_routes() + self.todo_routes()
        self.routes(flat)
        self.routes(self.bucket_routes())
        self.routes((m, f"/buckets/{{bucket}}{p}", h) for m, p, h in flat if not p.startswith(_ACCOUNT_WIDE))

    # -- the Emulator hooks -----------------------------------------------------

    def strip_prefix(self, path: str) -> str:
        prefix = f"/{ACCOUNT_ID}"
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix):] or "/"
        return _NO_ACCOUNT + path

    def authenticate(self, request: EmuRequest) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        person = self.store.person_for_token(token.strip())
        if person is None and self.oauth is not None:
            return self.oauth.user_for(token.strip())  # Launchpad's tokens (emulator/launchpad.py)
        return str(person.id) if person else None

    def error_response(self, status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return json_response(status, error_body(status, message), headers)

    def rate_limited_response(self, retry_after: float) -> httpx.Response:
        seconds = max(1, round(retry_after))
        body = {"error": "Too Many Requests", "message": "API rate limit exceeded", "retry_after": seconds}
        return json_response(429, body, {"Retry-After": str(seconds)})

    def _answer(self, request: httpx.Request, record: Recorded, path: str, query: dict[str, list[str]],
                body: bytes, spooled: SpooledBody | None = None) -> httpx.Response:
        if not request.headers.get("user-agent", "").strip():
            return self.error_response(400, "Bad Request: send a User-Agent naming your application and a contact")
        if self.inactive:
            return self.error_response(404, "Account Inactive", {"Reason": "Account Inactive"})
        ctype = request.headers.get("content-type", "")
        if body and request.method in ("POST", "PUT") and path != "/attachments.json" and "json" not in ctype:
            return self.error_response(415, "Unsupported Media Type: send Content-Type: application/json")
        return super()._answer(request, record, path, query, body, spooled)

    # -- seeding (used by the sandbox) ---------------------------------------------

    def add_person(self, name: str, email: str, token: str | None, *, client: bool = False, admin: bool = False) -> str:
        with self.lock:
            person = self.store.add_person(name, email, token, client=client, admin=admin, employee=not client)
            return str(person.id)

    def add_project(self, name: str, people: list[str], sections: list[str], creator: str, description: str = "") -> str:
        """A project with its dock tools and one to-do list per section, in order."""
        with self.lock:
            store = self.store
            now = store.now()
            ids = {tool: store.new_id() for tool in ("project", "board", "todoset", "vault", "schedule")}
            project = Project(id=ids["project"], name=name, description=description, created_at=now, updated_at=now,
                              people=[int(p) for p in people], todoset=ids["todoset"], vault=ids["vault"],
                              message_board=ids["board"], schedule=ids["schedule"])
            store.projects[project.id] = project
            owner = int(creator)
            store.add(Todoset(id=ids["todoset"], type="Todoset", bucket=project.id, parent=None, creator=owner,
                              created_at=now, updated_at=now, position=2))
            store.add(Vault(id=ids["vault"], type="Vault", bucket=project.id, parent=None, creator=owner,
                            created_at=now, updated_at=now, position=3))
            for number, section in enumerate(sections, start=1):
                store.add(Todolist(id=store.new_id(), type="Todolist", bucket=project.id, parent=ids["todoset"],
                                   creator=owner, created_at=now, updated_at=now, position=number, name=section))
            return str(project.id)

    def grant(self, project_id: str, person_id: str) -> None:
        with self.lock:
            people = self.store.projects[int(project_id)].people
            if int(person_id) not in people:
                people.append(int(person_id))
