"""Emulator routes for a task's activity (stories, attachments) and the ``/events`` stream."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable

import httpx

from connectors.asana.emulator.feed import SYNC_INVALID
from connectors.asana.emulator.http import APP_FILES as FILES
from connectors.asana.emulator.http import FILE_LIMIT, AsanaApi
from connectors.asana.emulator.model import Attachment, Story
from connectors.asana.emulator.records import (
    APP,
    attachment_compact,
    attachment_full,
    event_compact,
    field_tree,
    select,
    story_compact,
    story_full,
)
from connectors.asana.emulator.richtext import STORY_TAGS, plain_text, rich_of
from connectors.emulation import EmuRequest, HttpError
from connectors.emulation.files import multipart_parts
from connectors.emulation.toolkit import json_response

Handler = Callable[[EmuRequest], httpx.Response]


class ActivityRoutes(AsanaApi):
    def activity_routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/tasks/{gid}/stories", self.list_stories),
            ("POST", "/tasks/{gid}/stories", self.create_story),
            ("GET", "/stories/{gid}", self.get_story),
            ("PUT", "/stories/{gid}", self.update_story),
            ("DELETE", "/stories/{gid}", self.delete_story),
            ("GET", "/attachments", self.list_attachments),
            ("POST", "/attachments", self.create_attachment),
            ("GET", "/attachments/{gid}", self.get_attachment),
            ("DELETE", "/attachments/{gid}", self.delete_attachment),
            ("GET", "/events", self.events),
            # Not the API: the file host that an upload's temporary download_url points at.
            ("GET", FILES + "/{key}/{name}", self.download_file),
        ]

    # -- stories -------------------------------------------------------------------------

    def list_stories(self, req: EmuRequest) -> httpx.Response:
        task = self.store.task(req.path_params["gid"])
        stories = [s for s in self.store.stories.values() if s.task == task.gid]
        return self.page(req, stories, lambda s: story_full(self.store, s), lambda s: story_compact(self.store, s))

    def _text(self, data: dict[str, object]) -> tuple[str, str]:
        """(text, html_text) of a story write; the two stay each other's twin."""
        rich = rich_of(data, "text", "html_text", self.store.users, STORY_TAGS)
        text = plain_text(rich) if rich is not None else ""
        if rich is None or not text.strip():
            raise HttpError(400, "text: Missing input")
        return text, rich

    def create_story(self, req: EmuRequest) -> httpx.Response:
        task = self.store.task(req.path_params["gid"])
        text, rich = self._text(self.data(req))
        story = self.store.story_added(self.me(req), task, "comment_added", text)
        story.html_text = rich
        return self.one(req, story_full(self.store, story), 201)

    def _story(self, req: EmuRequest) -> Story:
        return self.store.story(req.path_params["gid"])

    def get_story(self, req: EmuRequest) -> httpx.Response:
        return self.one(req, story_full(self.store, self._story(req)))

    def update_story(self, req: EmuRequest) -> httpx.Response:
        story = self._story(req)
        text, rich = self._text(self.data(req))
        self.store.edit_story(self.me(req), story, text)
        story.html_text = rich
        return self.one(req, story_full(self.store, story))

    def delete_story(self, req: EmuRequest) -> httpx.Response:
        self.store.delete_story(self.me(req), self._story(req))
        return self.empty()

    # -- attachments ---------------------------------------------------------------------

    def list_attachments(self, req: EmuRequest) -> httpx.Response:
        parent = self.store.task(str(self.query(req, "parent", required=True)))
        found = [a for a in self.store.attachments.values() if a.task == parent.gid]
        return self.page(req, found, lambda a: self.attachment_record(req, a), attachment_compact)

    def create_attachment(self, req: EmuRequest) -> httpx.Response:
        ctype = req.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            raise HttpError(400, "file: Attachments must be sent as multipart/form-data")
        # A file part streams straight into the vault (connectors/emulation/files.py); dropped if refused.
        parts = {part.name: part for part in multipart_parts(ctype, req.chunks(), self.vault)}
        kept = [part.stored for part in parts.values() if part.stored is not None]
        try:
            fields = {name: part.text() for name, part in parts.items() if part.filename is None}
            if "parent" not in fields:
                raise HttpError(400, "parent: Missing input")
            task = self.store.task(fields["parent"])
            upload = parts.get("file")
            if fields.get("resource_subtype", "asana") == "asana":
                if upload is None or upload.stored is None or upload.filename is None:
                    raise HttpError(400, "file: Missing input")
                if upload.size > FILE_LIMIT:
                    raise HttpError(400, f"file: File is too large; the limit is {FILE_LIMIT // (1024 * 1024)}MB")
                kept.remove(upload.stored)
        finally:
            for unused in kept:
                self.vault.drop(unused.key)
        if fields.get("resource_subtype", "asana") == "asana":
            assert upload is not None and upload.stored is not None and upload.filename is not None
            stored = upload.stored
            attachment = self.store.add_attachment(self.me(req), task, fields.get("name") or upload.filename, "")
            attachment.subtype, attachment.file, attachment.size = "asana", stored.key, stored.size
            attachment.url = f"{APP}/app/asana/-/get_asset?asset_id={attachment.gid}"
            return self.one(req, self.attachment_record(req, attachment))
        if fields.get("resource_subtype") != "external":
            raise HttpError(400, "resource_subtype: Invalid value")
        for key in ("url", "name"):
            if not fields.get(key):
                raise HttpError(400, f"{key}: Missing input")
        attachment = self.store.add_attachment(self.me(req), task, fields["name"], fields["url"])
        return self.one(req, self.attachment_record(req, attachment))

    def get_attachment(self, req: EmuRequest) -> httpx.Response:
        return self.one(req, self.attachment_record(req, self.store.attachment(req.path_params["gid"])))

    def attachment_record(self, req: EmuRequest, attachment: Attachment) -> dict[str, object]:
        url = None
        if attachment.file is not None:
            name = urllib.parse.quote(attachment.name)
            url = f"{req.base_url}{FILES}/{attachment.file}/{name}?X-Amz-Signature={self.file_signature(attachment.file)}"
        return attachment_full(self.store, attachment, url)

    def download_file(self, req: EmuRequest) -> httpx.Response:
        key = req.path_params["key"]
        if key not in self.vault.files:
            raise HttpError(404, "NoSuchKey")
        return self.vault.response(key, urllib.parse.unquote(req.path_params["name"]))

    def delete_attachment(self, req: EmuRequest) -> httpx.Response:
        self.store.delete_attachment(self.me(req), self.store.attachment(req.path_params["gid"]))
        return self.empty()

    # -- events ----------------------------------------------------------------------------

    def events(self, req: EmuRequest) -> httpx.Response:
        resource = str(self.query(req, "resource", required=True))
        self.store.project(resource)
        sync = self.query(req, "sync")
        page = self.feed.read(resource, sync, lagging=req.lagging) if sync else None
        if page is None:
            body = {"errors": [{"message": SYNC_INVALID}], "sync": self.feed.fresh_token(resource)}
            return json_response(412, body)
        opt = self.query(req, "opt_fields")
        tree = field_tree(opt) if opt else None
        events = [select(e, tree, self.expand) if tree else event_compact(e) for e in page.events]
        return json_response(200, {"data": events, "sync": page.sync, "has_more": page.has_more})
