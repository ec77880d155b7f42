"""Per-tool reading of the reference specs, as data: where each spec is known to differ from the real API.

Every entry names its source: the reference README (``tests/reference/README.md``), the
GitHub field notes (``github/spec/CURRENT_SPEC_NOTES.md``) or a tool's documentation pages.
When the spec and the documented behaviour of the real API disagree, the documented behaviour wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.spec.schema import Rules

_ID = {"$ref": "#/components/schemas/TrelloID"}
_NULLABLE_STRING = {"type": "string", "nullable": True}


@dataclass(frozen=True)
class ToolQuirks:
    spec_file: str
    rules: Rules = field(default_factory=Rules)
    # A path prefix of every spec template that the emulator strips before routing (Basecamp's account id).
    template_prefix: str = ""
    # Appended to every path parameter's pattern: Basecamp's documented URLs end in ".json"
    # (``/todos/1.json``) where the SDK's templates end in the bare parameter (``/todos/{todoId}``).
    param_suffix: str = ""
    # A documented alias prefix: Basecamp's legacy ``/buckets/{id}/...`` forms of the flat routes "remain
    # available and will continue to work in perpetuity" (bc3-api README, "flat routes").
    legacy_prefix: str = ""
    # Trello: "Query parameters may also be replaced with a JSON request body instead" (spec, POST /cards),
    # so body fields are checked as the operation's query parameters.
    body_as_query: bool = False
    # Trello: ``fields=all`` or a comma-separated list of the enum's names ("fields: all or a comma-separated list").
    field_lists: bool = False
    # Asana: an ``opt_fields`` path ``a.b.c`` names field ``b`` of the object in field ``a`` (_input-output-options,
    # "Selecting fields"); the spec's enum lists a sample of paths, so a path is accepted when its head is listed.
    opt_field_paths: bool = False
    # Operations the reduced spec lacks but the tool documents elsewhere: template -> path item.
    extra_paths: Mapping[str, Any] = field(default_factory=dict)
    # "METHOD template" -> query parameters (name -> schema) added or corrected.
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # "METHOD template" -> the operations whose query parameters it also takes (Trello's nested resources).
    nested: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # "METHOD template" -> request body properties documented outside the spec (docs pages, newer versions).
    body_extra: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # "METHOD template" -> {status: schema} where the real API answers with another shape than the spec says.
    answers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # "METHOD template" -> the JSON request body schema where the spec's cannot be met as the tool is used.
    bodies: Mapping[str, Any] = field(default_factory=dict)
    # Basecamp: the verbatim examples carry keys the SDK's schemas leave out (a to-do's ``completion``, a
    # project's ``color``); an answer may carry the top-level keys of the examples of its operation.
    examples_extend_answers: bool = False
    # "METHOD template" -> the "METHOD template" answering with the same representation (Basecamp: a create or an
    # update "will return ... the current JSON representation", a listing returns the objects GET returns one by one).
    answer_like: Mapping[str, str] = field(default_factory=dict)
    # "METHOD template" -> (query parameter, {its value: the "METHOD template" whose objects the listing returns}).
    typed_listings: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)
    # Path prefixes where the tool's file host answers, not its API: not described by the spec, so not checked
    # (Asana's download_url: "this URL may only be valid for two minutes", a signed link to its file storage).
    file_host_paths: tuple[str, ...] = ()
    # Operations whose parameters the spec declares "in: query" but documents as sent "as multipart/form-data"
    # (Trello's attachment ``file``): a multipart body is theirs to take.
    multipart: frozenset[str] = frozenset()


# README §3 "Spec caveats": Card has no dueComplete/start, idLabels and labels are swapped, Checklist
# declares only id, CheckItem.pos is typed string. The corrections follow the real API.
TRELLO_CORRECTIONS: dict[str, dict[str, Any]] = {
    "Card": {
        "idLabels": {"type": "array", "items": _ID},  # the API sends label ids here ...
        "labels": {"type": "array", "items": {"$ref": "#/components/schemas/Label"}},  # ... and Label objects here
        "dueComplete": {"type": "boolean"},
        "start": _NULLABLE_STRING,
        "due": _NULLABLE_STRING,  # null on a card without a due date
        "idChecklists": {"type": "array", "items": _ID},
    },
    "CheckItem": {"pos": {"type": "number"}},
    # Typed string in the spec; the API sends an object, or null on a board without a description.
    "Board": {"descData": {"type": "object", "nullable": True}, "idOrganization": _NULLABLE_STRING},
    "Attachment": {"bytes": {"type": "integer", "nullable": True}},  # a byte count, null for links
    "TrelloList": {"softLimit": _NULLABLE_STRING},  # null unless a limit is set
    "Label": {"color": {"$ref": "#/components/schemas/Color"}},
}

# CURRENT_SPEC_NOTES.md: fields the 2020 description predates but today's API documents.
_STATE_REASON = {"type": "string", "nullable": True, "enum": ["completed", "not_planned", "duplicate", "reopened", None]}
# The recorded exchanges (examples/recorded/paginate-issues.*, add-labels-to-issue.01) show issues with "body": null.
_BODY = {"type": "string", "nullable": True}
GITHUB_NEWER: dict[str, dict[str, Any]] = {
    "issue": {"state_reason": _STATE_REASON, "type": {"nullable": True}, "issue_field_values": {"type": "array"},
              "body": _BODY},
    "issue-simple": {"state_reason": _STATE_REASON, "body": _BODY},
}
# Not in the reduced spec, which keeps its answer schema (components/schemas/repository): "Get a repository".
_GITHUB_REPO = {"get": {"operationId": "repos/get", "responses": {"200": {"content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/repository"}}}}}}}
# Not in the reduced spec either, which keeps its answer schema (components/schemas/public-user, the second
# alternative of GET /user): "Get a user" (users/get-by-username), whose `email` is the public email.
_GITHUB_USER = {"get": {"operationId": "users/get-by-username", "responses": {"200": {"content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/public-user"}}}}}}}
_ISSUE_WRITE = {"state_reason": _STATE_REASON, "type": {"type": "string", "nullable": True},
                "issue_field_values": {"type": "array"}}

_TRELLO_IDS = {"type": "array", "items": _ID}
_TRELLO_PARAMS: dict[str, dict[str, Any]] = {
    # Typed as one TrelloID in the spec; the API takes a comma-separated list ("" clears), as POST /cards documents.
    "PUT /cards/{id}": {"idLabels": _TRELLO_IDS, "idMembers": _TRELLO_IDS},
    # Typed TrelloID in the spec; the value is the archived flag ("Archive or unarchive a list").
    "PUT /lists/{id}/closed": {"value": {"type": "boolean"}},
    # The nested-resource guide: a board's cards take the card filter of /boards/{id}/cards/{filter}.
    "GET /boards/{id}/cards": {"filter": {"type": "string",
                                          "enum": ["all", "closed", "complete", "incomplete", "none", "open", "visible"]}},
}
# Not in the spec: an upload's download route, the attachment's ``url`` ("Changes to attachment downloads": served
# only with the OAuth Authorization header), answering with the file's bytes.
_TRELLO_DOWNLOAD = {"get": {"operationId": "download-attachment", "responses": {"200": {"description": "the file"}}}}
# The spec's Create Attachment answer is an array; the API answers with the one attachment it created.
# The Custom Fields guide sets an item with {"value": {<type>: ...}} or {"idValue": option} and clears it with an
# empty value; the spec's two oneOf alternatives both match any object and type the value as an object only.
_TRELLO_ITEM_PARTS: dict[str, Any] = {
    "value": {"oneOf": [{"type": "string", "enum": [""]}, {"type": "object", "additionalProperties": False, "properties": {
        "text": {"type": "string"}, "checked": {"type": "boolean"}, "date": {"type": "string"}, "number": {"type": "number"}}}]},
    "idValue": {"type": "string"}}
_TRELLO_ITEM = {"type": "object", "additionalProperties": False, "properties": _TRELLO_ITEM_PARTS}
# "Update Multiple Custom Field items on Card": each item is the single-item body plus its field. The spec types
# idCustomField and idValue as 32 hex digits; Trello's ids are 24 (TrelloID, and the page's own example id).
_TRELLO_ITEMS = {"type": "object", "additionalProperties": False, "required": ["customFieldItems"], "properties": {
    "customFieldItems": {"type": "array", "items": {**_TRELLO_ITEM, "required": ["idCustomField"], "properties": {
        **_TRELLO_ITEM_PARTS, "idCustomField": {"$ref": "#/components/schemas/TrelloID"}}}}}}
_TRELLO_ANSWERS = {"POST /cards/{id}/attachments": {"200": {"$ref": "#/components/schemas/Attachment"}}}
# Asana's task create takes memberships as gids ("At task creation time, this array can be used to add the task to
# specific sections"); the spec reuses the answer's shape, with compact objects.
_ASANA_MEMBERSHIPS = {"memberships": {"type": "array", "items": {
    "type": "object", "properties": {"project": {"type": "string"}, "section": {"type": "string"}}}}}
_BC_COLOR = {"type": "string", "enum": ["white", "red", "orange", "yellow", "green", "blue", "aqua", "purple", "gray", "pink",
                                        "brown"]}
# sections/people.md: "GET /my/profile.json will return the current user's personal info. See Get person".
_BC_PROFILE = {"get": {"operationId": "GetMyProfile", "responses": {"200": {"content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/GetPersonResponseContent"}}}}}}}

# The OAuth token endpoints (docs/connect.md), which no reduced spec holds as a path: Asana names them
# only in securitySchemes.oauth2 (tokenUrl, refreshUrl), GitHub's installation tokens are newer than the
# 2020 description. The answers follow RFC 6749 5.1 and GitHub's "Create an installation access token".
_TOKEN_ANSWER = {"type": "object", "required": ["access_token", "token_type", "expires_in"], "properties": {
    "access_token": {"type": "string"}, "token_type": {"type": "string"}, "expires_in": {"type": "integer"},
    "refresh_token": {"type": "string"}}}
_FORM = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}
_ASANA_TOKEN = {"post": {"operationId": "oauth_token", "requestBody": _FORM, "responses": {"200": {"content": {
    "application/json": {"schema": _TOKEN_ANSWER}}}}}}
_GITHUB_INSTALLATION_TOKEN = {"post": {
    "operationId": "apps/create-installation-access-token",
    "parameters": [{"name": "installation_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
    "responses": {"201": {"content": {"application/json": {"schema": {
        "type": "object", "required": ["token", "expires_at"],
        "properties": {"token": {"type": "string"}, "expires_at": {"type": "string"}, "permissions": {"type": "object"},
                       "repository_selection": {"type": "string", "enum": ["all", "selected"]}}}}}}}}}

TOOLS: dict[str, ToolQuirks] = {
    "asana": ToolQuirks(
        "asana_oas.reduced.json",
        Rules(undeclared="deep", null_if_described=True, null_if_untyped=True,
              overrides={"TaskCreateRequest": _ASANA_MEMBERSHIPS}),
        opt_field_paths=True,
        extra_paths={"/-/oauth_token": _ASANA_TOKEN},
        file_host_paths=("/_files/",),  # connectors/asana/emulator/http.py APP_FILES
    ),
    "github": ToolQuirks(
        "api.github.com.2020-07-30.reduced.json",
        # oneOf alternatives overlap in this description (private-user has every property of public-user).
        Rules(undeclared="off", null_if_untyped=True, loose_one_of=True, overrides=GITHUB_NEWER),
        extra_paths={"/repos/{owner}/{repo}": _GITHUB_REPO, "/users/{username}": _GITHUB_USER,
                     "/app/installations/{installation_id}/access_tokens": _GITHUB_INSTALLATION_TOKEN},
        params={"GET /repos/{owner}/{repo}/issues": {"type": {"type": "string"}, "issue_field_values": {"type": "string"}}},
        body_extra={
            "POST /repos/{owner}/{repo}/issues": _ISSUE_WRITE | {"parent_issue_id": {"type": "integer"}},
            "PATCH /repos/{owner}/{repo}/issues/{issue_number}": _ISSUE_WRITE | {"duplicate_issue_id": {"type": "integer"}},
        },
    ),
    "trello": ToolQuirks(
        "trello-openapi.reduced.json",
        # The spec's MemberFields and ListFields enums list only "id"; the API takes any field of the object.
        Rules(undeclared="off", overrides=TRELLO_CORRECTIONS,
              replaced={"MemberFields": {"type": "string"}, "ListFields": {"type": "string"}}),
        body_as_query=True,
        field_lists=True,
        params=_TRELLO_PARAMS,
        nested={"GET /boards/{id}/cards": ("GET /cards/{id}",), "GET /boards/{id}/members": ("GET /members/{id}",)},
        answers=_TRELLO_ANSWERS,
        extra_paths={"/cards/{id}/attachments/{idAttachment}/download/{fileName}": _TRELLO_DOWNLOAD},
        multipart=frozenset({"POST /cards/{id}/attachments"}),
        bodies={"PUT /cards/{idCard}/customField/{idCustomField}/item": _TRELLO_ITEM,
                "PUT /cards/{idCard}/customFields": _TRELLO_ITEMS},
    ),
    "basecamp": ToolQuirks(
        "basecamp-sdk.openapi.reduced.json",
        Rules(undeclared="top", null_if_optional=True, null_if_untyped=True),
        template_prefix="/{accountId}",
        # An inline file's href: Basecamp's storage host, not its API (connectors/basecamp/emulator/account.py).
        file_host_paths=("/blobs/",),
        param_suffix=r"(?:\.json)?",
        legacy_prefix=r"/buckets/\d+",
        extra_paths={"/{accountId}/my/profile.json": _BC_PROFILE},
        # sections/todolist_groups.md: "Optional parameters: color".
        body_extra={"POST /{accountId}/todolists/{todolistId}/groups.json": {"color": _BC_COLOR}},
        examples_extend_answers=True,
        answer_like={
            "PUT /{accountId}/todos/{todoId}": "GET /{accountId}/todos/{todoId}",
            "POST /{accountId}/todolists/{todolistId}/todos.json": "GET /{accountId}/todos/{todoId}",
            "GET /{accountId}/todolists/{todolistId}/todos.json": "GET /{accountId}/todos/{todoId}",
            "POST /{accountId}/vaults/{vaultId}/uploads.json": "GET /{accountId}/uploads/{uploadId}",
        },
        # sections/recordings.md: the listing returns the recordings of the given type.
        typed_listings={"GET /{accountId}/projects/recordings.json": ("type", {
            "Todo": "GET /{accountId}/todos/{todoId}", "Comment": "GET /{accountId}/comments/{commentId}",
            "Todolist": "GET /{accountId}/todolists/{id}", "Upload": "GET /{accountId}/uploads/{uploadId}"})},
    ),
}
