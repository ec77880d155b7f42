"""Emulator routes around the tasks: workspaces, users, projects, sections, tags, custom field settings."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from connectors.asana.emulator.http import AsanaApi
from connectors.asana.emulator.model import Section
from connectors.asana.emulator.records import field_setting, project_full, section_full, tag_full, user_full
from connectors.emulation import EmuRequest, HttpError

Handler = Callable[[EmuRequest], httpx.Response]


class WorkspaceRoutes(AsanaApi):
    def workspace_routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/workspaces", self.list_workspaces),
            ("GET", "/workspaces/{gid}", self.get_workspace),
            ("GET", "/users", self.list_users),
            ("GET", "/workspaces/{gid}/users", self.list_users),
            ("GET", "/users/{gid}", self.get_user),
            ("GET", "/projects/{gid}", self.get_project),
            ("GET", "/projects/{gid}/custom_field_settings", self.list_field_settings),
            ("GET", "/projects/{gid}/sections", self.list_sections),
            ("POST", "/projects/{gid}/sections", self.create_section),
            ("GET", "/sections/{gid}", self.get_section),
            ("PUT", "/sections/{gid}", self.update_section),
            ("DELETE", "/sections/{gid}", self.delete_section),
            ("GET", "/tags", self.list_tags),
            ("POST", "/tags", self.create_tag),
            ("GET", "/workspaces/{gid}/tags", self.list_tags),
            ("POST", "/workspaces/{gid}/tags", self.create_tag),
            ("GET", "/tags/{gid}", self.get_tag),
        ]

    def _workspace(self, gid: str | None) -> None:
        if gid is not None and gid != self.store.workspace.gid:
            raise HttpError(404, f"workspace: Unknown object: {gid}")

    def list_workspaces(self, req: EmuRequest) -> httpx.Response:
        ws = self.store.workspace
        return self.page(req, [ws], lambda w: {**w.ref(), "email_domains": [], "is_organization": False}, lambda w: w.ref())

    def get_workspace(self, req: EmuRequest) -> httpx.Response:
        self._workspace(req.path_params["gid"])
        return self.one(req, {**self.store.workspace.ref(), "email_domains": [], "is_organization": False})

    def list_users(self, req: EmuRequest) -> httpx.Response:
        self._workspace(req.path_params.get("gid") or self.query(req, "workspace"))
        # Asana sorts user lists by user id.
        users = sorted(self.store.users.values(), key=lambda u: int(u.gid))
        return self.page(req, users, lambda u: user_full(self.store, u), lambda u: u.ref())

    def get_user(self, req: EmuRequest) -> httpx.Response:
        gid = req.path_params["gid"]
        user = self.store.users[self.me(req)] if gid == "me" else self.store.user(gid)
        return self.one(req, user_full(self.store, user))

    # -- projects and sections ---------------------------------------------------------

    def get_project(self, req: EmuRequest) -> httpx.Response:
        return self.one(req, project_full(self.store, self.store.project(req.path_params["gid"])))

    def list_field_settings(self, req: EmuRequest) -> httpx.Response:
        project = self.store.project(req.path_params["gid"])

        def full(gid: str) -> dict[str, object]:
            return field_setting(self.store, project, gid)

        return self.page(req, list(project.field_settings), full, full)

    def list_sections(self, req: EmuRequest) -> httpx.Response:
        project = self.store.project(req.path_params["gid"])
        sections = [self.store.sections[gid] for gid in project.sections]
        return self.page(req, sections, lambda s: section_full(self.store, s), Section.ref)

    def create_section(self, req: EmuRequest) -> httpx.Response:
        project = self.store.project(req.path_params["gid"])
        data = self.data(req)
        name = data.get("name")
        if not isinstance(name, str):
            raise HttpError(400, "name: Missing input")
        section = self.store.create_section(self.me(req), project, name, data.get("insert_before"), data.get("insert_after"))
        return self.one(req, section_full(self.store, section), 201)

    def get_section(self, req: EmuRequest) -> httpx.Response:
        return self.one(req, section_full(self.store, self.store.section(req.path_params["gid"])))

    def update_section(self, req: EmuRequest) -> httpx.Response:
        section = self.store.section(req.path_params["gid"])
        name = self.data(req).get("name")
        if not isinstance(name, str):
            raise HttpError(400, "name: Missing input")
        self.store.rename_section(self.me(req), section, name)
        return self.one(req, section_full(self.store, section))

    def delete_section(self, req: EmuRequest) -> httpx.Response:
        self.store.delete_section(self.me(req), self.store.section(req.path_params["gid"]))
        return self.empty()

    # -- tags ------------------------------------------------------------------------------

    def list_tags(self, req: EmuRequest) -> httpx.Response:
        workspace = req.path_params.get("gid") or self.query(req, "workspace")
        self._workspace(workspace)
        tags = list(self.store.tags.values())
        return self.page(req, tags, lambda t: tag_full(self.store, t), lambda t: t.ref())

    def create_tag(self, req: EmuRequest) -> httpx.Response:
        data = self.data(req)
        workspace = req.path_params.get("gid") or data.get("workspace")
        if not workspace:
            raise HttpError(400, "workspace: Missing input")
        self._workspace(str(workspace))
        tag = self.store.create_tag(self.me(req), str(data.get("name") or ""))
        return self.one(req, tag_full(self.store, tag), 201)

    def get_tag(self, req: EmuRequest) -> httpx.Response:
        return self.one(req, tag_full(self.store, self.store.tag(req.path_params["gid"])))
