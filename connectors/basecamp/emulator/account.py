"""Projects, people, file attachments (uploads in a vault) and webhooks in the Basecamp emulator."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable

import httpx

from connectors.basecamp.emulator.access import EmulatorBase
from connectors.basecamp.emulator.http import body_of, no_content, paginate, path_id, respond, sanitize
from connectors.basecamp.emulator.store import WEBHOOK_TYPES, Blob, Upload, Vault, Webhook
from connectors.emulation.toolkit import EmuRequest, HttpError

Route = tuple[str, str, Callable[[EmuRequest], httpx.Response]]


class AccountRoutes(EmulatorBase):
    def account_routes(self) -> list[Route]:
        return [
            ("GET", "/projects.json", self.list_projects),
            ("GET", "/projects/{id}.json", self.get_project),
            ("GET", "/projects/{id}/people.json", self.project_people),
            ("GET", "/people.json", self.list_people),
            ("GET", "/people/{id}.json", self.get_person),
            ("GET", "/my/profile.json", self.my_profile),
            ("POST", "/attachments.json", self.create_attachment),
            # Not the API: the storage host an inline file's href points at (needs the same Bearer token).
            ("GET", "/blobs/{key}/download/{filename}", self.download_blob),
            ("GET", "/vaults/{id}.json", self.get_vault),
            ("GET", "/vaults/{id}/uploads.json", self.list_uploads),
            ("POST", "/vaults/{id}/uploads.json", self.create_upload),
            ("GET", "/uploads/{id}.json", self.get_upload),
            ("GET", "/webhooks/{id}.json", self.get_webhook),
            ("PUT", "/webhooks/{id}.json", self.update_webhook),
            ("DELETE", "/webhooks/{id}.json", self.delete_webhook),
        ]

    def bucket_routes(self) -> list[Route]:
        """Project-level collections that exist only in the project-scoped form."""
        return [
            ("GET", "/buckets/{bucket}/webhooks.json", self.list_webhooks),
            ("POST", "/buckets/{bucket}/webhooks.json", self.create_webhook),
        ]

    # -- projects and people -------------------------------------------------------

    def list_projects(self, req: EmuRequest) -> httpx.Response:
        status = (req.query.get("status") or ["active"])[-1]
        user = int(req.user or 0)
        projects = [p for p in self.store.projects.values() if user in p.people and p.status == status]
        projects.sort(key=lambda p: (p.created_at, p.id), reverse=True)
        render = self.render(req)
        return paginate(req, [render.project(p) for p in projects], geared=self.geared)

    def get_project(self, req: EmuRequest) -> httpx.Response:
        project = self.project(req, path_id(req))
        return respond(req, self.render(req).project(project), modified=project.updated_at)

    def project_people(self, req: EmuRequest) -> httpx.Response:
        project = self.project(req, path_id(req))
        return paginate(req, self.render(req).people(sorted(project.people)), geared=self.geared)

    def list_people(self, req: EmuRequest) -> httpx.Response:
        user = int(req.user or 0)
        visible = {pid for p in self.store.projects.values() if user in p.people for pid in p.people} | {user}
        return paginate(req, self.render(req).people(sorted(visible)), geared=self.geared)

    def get_person(self, req: EmuRequest) -> httpx.Response:
        person = self.store.people.get(path_id(req))
        if person is None:
            raise HttpError(404, "Not Found")
        return respond(req, self.render(req).person(person))

    def my_profile(self, req: EmuRequest) -> httpx.Response:
        return respond(req, self.render(req).person(self.me(req)))

    # -- attachments and uploads -------------------------------------------------------

    def create_attachment(self, req: EmuRequest) -> httpx.Response:
        name = (req.query.get("name") or [""])[-1]
        if not name or not req.size:
            raise HttpError(422, "name and a file body are required")
        if req.headers.get("content-length") != str(req.size):
            raise HttpError(411, "Content-Length is required and must match the body")
        ctype = req.headers.get("content-type", "application/octet-stream")
        stored = self.store.vault.put_chunks(req.chunks(), ctype)  # a large body is read from disk in chunks
        blob = Blob(id=self.store.new_id(), filename=name, content_type=ctype, byte_size=stored.size,
                    key=stored.sha256[:40], file=stored.key)
        self.store.blobs[blob.sgid] = blob
        static = f"https://3.basecamp-static.com/{self.render(req).api.rsplit('/', 1)[-1]}/blobs/{blob.key}"
        body = {
            "id": blob.id, "attachable_sgid": blob.sgid, "sgid": blob.sgid,
            "status_url": f"{self.render(req).api}/attachments/{blob.sgid}.json", "caption": None,
            "byte_size": blob.byte_size, "content_type": blob.content_type, "width": None, "height": None,
            "key": blob.key, "filename": blob.filename,
            "download_url": f"{static}/download/{urllib.parse.quote(blob.filename)}",
            "previewable": ctype.startswith("image/"), "preview_url": f"{static}/previews/full",
            "thumbnail_url": f"{static}/previews/card",
        }
        return respond(req, body, status=201)

    def download_blob(self, req: EmuRequest) -> httpx.Response:
        blob = next((b for b in self.store.blobs.values() if b.key == req.path_params["key"] and b.file), None)
        if blob is None or blob.file is None:
            raise HttpError(404, "Not Found")
        return self.store.vault.response(blob.file, blob.filename)

    def get_vault(self, req: EmuRequest) -> httpx.Response:
        vault = self.find(req, Vault)
        return respond(req, self.render(req).vault(vault), modified=vault.updated_at)

    def list_uploads(self, req: EmuRequest) -> httpx.Response:
        vault = self.find(req, Vault)
        return self.listing(req, [u for u in self.store.children(vault.id, Upload) if u.status == "active"])

    def create_upload(self, req: EmuRequest) -> httpx.Response:
        vault = self.find(req, Vault)
        body = body_of(req)
        blob = self.store.blobs.pop(str(body.get("attachable_sgid") or ""), None)
        if blob is None:
            raise HttpError(422, "attachable_sgid must name a new attachment")
        name = blob.filename
        base = body.get("base_name")
        if isinstance(base, str) and base:
            name = base + ("." + blob.filename.rsplit(".", 1)[1] if "." in blob.filename else "")
        now = self.store.now()
        upload = Upload(id=self.store.new_id(), type="Upload", bucket=vault.bucket, parent=vault.id,
                        creator=self.me(req).id, created_at=now, updated_at=now, filename=name,
                        content_type=blob.content_type, byte_size=blob.byte_size,
                        description=sanitize(str(body.get("description") or "")))
        self.store.add(upload)
        self.store.renumber(vault.id, Upload, upload)
        self.changed(req, upload, "created")
        return self.one(req, upload, 201)

    def get_upload(self, req: EmuRequest) -> httpx.Response:
        return self.one(req, self.find(req, Upload))

    # -- webhooks ------------------------------------------------------------------------

    def _webhook(self, req: EmuRequest) -> Webhook:
        hook = self.store.webhooks.get(path_id(req))
        if hook is None or str(hook.bucket) != req.path_params.get("bucket", str(hook.bucket)):
            raise HttpError(404, "Not Found")
        self._no_clients(req, hook.bucket)
        return hook

    def _no_clients(self, req: EmuRequest, bucket: int) -> None:
        self.project(req, bucket)
        if self.me(req).client:
            raise HttpError(403, "client users cannot manage webhooks")

    @staticmethod
    def _hook_fields(body: dict[str, object]) -> tuple[str, list[str]]:
        url = body.get("payload_url")
        if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme != "https" or not urllib.parse.urlsplit(url).netloc:
            raise HttpError(400, "payload_url must be an HTTPS URL")
        types = body.get("types", ["all"])
        if not isinstance(types, list) or not all(t == "all" or t in WEBHOOK_TYPES for t in types):
            raise HttpError(400, "types must be a list of recording types")
        return url, [str(t) for t in types] or ["all"]

    def list_webhooks(self, req: EmuRequest) -> httpx.Response:
        bucket = path_id(req, "bucket")
        self._no_clients(req, bucket)
        render = self.render(req)
        hooks = [h for h in self.store.webhooks.values() if h.bucket == bucket]
        return paginate(req, [render.webhook(h) for h in hooks], geared=self.geared)

    def create_webhook(self, req: EmuRequest) -> httpx.Response:
        bucket = path_id(req, "bucket")
        self._no_clients(req, bucket)
        url, types = self._hook_fields(body_of(req))
        now = self.store.now()
        hook = Webhook(id=self.store.new_id(), bucket=bucket, payload_url=url, types=types, created_at=now, updated_at=now)
        self.store.webhooks[hook.id] = hook
        return respond(req, self.render(req).webhook(hook, deliveries=True), status=201)

    def get_webhook(self, req: EmuRequest) -> httpx.Response:
        return respond(req, self.render(req).webhook(self._webhook(req), deliveries=True))

    def update_webhook(self, req: EmuRequest) -> httpx.Response:
        hook = self._webhook(req)
        body = body_of(req)
        hook.payload_url, hook.types = self._hook_fields(body)
        if isinstance(body.get("active"), bool):
            hook.active = bool(body["active"])
        hook.updated_at = self.store.now()
        return respond(req, self.render(req).webhook(hook, deliveries=True))

    def delete_webhook(self, req: EmuRequest) -> httpx.Response:
        hook = self._webhook(req)
        del self.store.webhooks[hook.id]
        return no_content()
