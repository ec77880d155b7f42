"""What a migration copies from where to where: ``--from``/``--to`` endpoints and the options.

An endpoint is ``CONNECTION:PROJECT``. CONNECTION names a key of the config's
``connections``; a tool kind (``asana``, ``trello``, ...) is accepted too when
exactly one connection of that kind exists, so the common case of one
connection per tool reads naturally (``--from asana:1204 --to trello:5f3a``).
The project part may itself contain colons or slashes (GitHub's ``owner/repo``).
"""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel, ConfigDict

from bridge.config.connection import ToolKind
from bridge.config.schema import Config
from bridge.errors import ConfigError
from bridge.migrate.fields import parse_fields


class Endpoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    connection: str  # a key of the config's ``connections``
    kind: str  # the tool
    project: str

    def __str__(self) -> str:
        return f"{self.connection}:{self.project}"


class MigrationOptions(BaseModel):
    """The command line's choices, validated against the config."""

    model_config = ConfigDict(frozen=True)

    source: Endpoint
    target: Endpoint
    link: str | None = None  # apply this link's mirror filter
    only_shared: bool = False  # apply the default mirror filter
    keep_linked: str | None = None  # save the id pairs under this link for ongoing sync
    dry_run: bool = False
    # --fields: the custom fields to carry (bridge/migrate/fields.py): None for the filter's default
    # (every field when copying everything, the link's own otherwise), () for none, ("all",), or names.
    fields: tuple[str, ...] | None = None

    @property
    def migration_id(self) -> str:
        """The store's name for this migration: its pairs, journal and runs live under it."""
        return f"migrate:{self.source}->{self.target}"

    @property
    def pair_scope(self) -> str:
        """Where the id pairs are kept: the link's own name when the projects stay linked."""
        return self.keep_linked or self.migration_id


def parse_endpoint(text: str, config: Config, option: str) -> Endpoint:
    """``CONNECTION:PROJECT`` (or ``KIND:PROJECT`` when one connection has that kind) -> Endpoint."""
    name, sep, project = text.partition(":")
    name, project = name.strip(), project.strip()
    if not sep or not name or not project:
        raise ConfigError(f"{option} {text!r} is not CONNECTION:PROJECT",
                          hint=f"e.g. {option} agency-asana:1204567890 (a key under connections:, then the project id)")
    endpoint = _endpoint(name, project, text, config, option)
    if endpoint.kind == "email":
        # An email client's inbox is no project to copy from or into (docs/email.md).
        raise ConfigError(f"{option} {text!r} is an email connection, which a migration cannot read or write",
                          hint="migrate between project tools (asana, trello, github, basecamp)")
    return endpoint


def _endpoint(name: str, project: str, text: str, config: Config, option: str) -> Endpoint:
    if name in config.connections:
        return Endpoint(connection=name, kind=config.connections[name].kind, project=project)
    known = ", ".join(sorted(config.connections)) or "none configured"
    if name in get_args(ToolKind):
        same_kind = sorted(key for key, conn in config.connections.items() if conn.kind == name)
        if len(same_kind) == 1:
            return Endpoint(connection=same_kind[0], kind=name, project=project)
        if same_kind:
            raise ConfigError(f"{option} {text!r}: several connections are {name} ({', '.join(same_kind)})",
                              hint=f"name one of them, e.g. {option} {same_kind[0]}:{project}")
        raise ConfigError(f"{option} {text!r}: no connection of kind {name} in the config",
                          hint=f"add one under connections: (connections: {known})")
    raise ConfigError(f"{option} {text!r}: no connection named {name!r} in the config", hint=f"connections: {known}")


def resolve_options(
    config: Config,
    source: str,
    target: str,
    *,
    link: str | None = None,
    only_shared: bool = False,
    keep_linked: str | None = None,
    dry_run: bool = False,
    fields: str | None = None,
) -> MigrationOptions:
    """Validate the command line against the config; every problem is one ConfigError naming the option."""
    options = MigrationOptions(
        source=parse_endpoint(source, config, "--from"),
        target=parse_endpoint(target, config, "--to"),
        link=link,
        only_shared=only_shared,
        keep_linked=keep_linked,
        dry_run=dry_run,
        fields=parse_fields(fields),
    )
    if keep_linked and fields is not None:
        raise ConfigError(f"--keep-linked {keep_linked!r} carries the custom fields that link maps; --fields cannot "
                          "choose others",
                          hint=f"drop --fields, or name the fields under links.{keep_linked}.mirror.fields.custom")
    if options.source == options.target:
        raise ConfigError("--from and --to name the same project", hint="a migration copies one project into another")
    if link and only_shared:
        raise ConfigError("--link and --only-shared both choose a filter", hint="give one of them")
    for option, name in (("--link", link), ("--keep-linked", keep_linked)):
        if name and name not in config.links:
            raise ConfigError(f"{option} {name!r}: no link of that name in the config",
                              hint=f"links: {', '.join(config.links) or 'none configured'}")
    if keep_linked:
        _check_keep_linked(config, options, keep_linked)
    return options


def _check_keep_linked(config: Config, options: MigrationOptions, name: str) -> None:
    """The kept link must join exactly these two projects, the source as its internal side."""
    linked = config.links[name]
    internal = (linked.internal.connection, linked.internal.project)
    client = (linked.client.connection, linked.client.project)
    src = (options.source.connection, options.source.project)
    dst = (options.target.connection, options.target.project)
    if (internal, client) == (dst, src):
        raise ConfigError(f"--keep-linked {name!r}: the link's internal project is --to, but a kept link must run "
                          "from --from (its internal side) to --to (its client side)",
                          hint="swap --from and --to, or migrate without --keep-linked and let the link adopt the copies")
    if (internal, client) != (src, dst):
        raise ConfigError(f"--keep-linked {name!r}: the link joins {internal[0]}:{internal[1]} -> {client[0]}:{client[1]}, "
                          f"not {options.source} -> {options.target}",
                          hint=f"fix links.{name}.internal/client in the config, or --from/--to")
    if options.only_shared or (options.link and options.link != name):
        raise ConfigError(f"--keep-linked {name!r} copies what that link shares; --link/--only-shared cannot choose "
                          "another filter", hint=f"drop the other filter option (--keep-linked implies --link {name})")
