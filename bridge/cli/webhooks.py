"""``pm-bridge webhooks register|list|remove|inbound``: the webhooks that wake the daemon, managed through each
tool's API; ``inbound`` prints the URL an email side's mail provider posts replies to (docs/email.md).

Every link side gets one webhook whose URL is
``{public_url}/hooks/{link}/{side}/{token}``; the token derives from the master
secret (bridge/webhook_tokens.py), so nothing is stored for it. The master
secret is ``daemon.webhook_secret`` (or ``$PM_BRIDGE_WEBHOOK_SECRET``), the
public URL ``--public-url`` or ``daemon.public_url``. Tokens never appear in
the output: URLs are shown with ``…`` in their place.

Exit codes: 0 every side done; 1 a tool refused or failed for some side (the
others still ran); 2 a user error (config, no public URL or master secret).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bridge import secrets
from bridge.cli.app import EXIT_FAILED, EXIT_OK, ConfigOption, LinkOption, app, friendly
from bridge.config.load import load_config
from bridge.config.schema import Config
from bridge.core.ports import Webhook, WebhookRegistry
from bridge.errors import BridgeError, ConfigError
from bridge.runtime import SIDES, build_connectors, open_store, select_links, webhook_module
from bridge.store import Store
from bridge.webhook_tokens import callback_url, webhook_token

MASTER_ENV = "PM_BRIDGE_WEBHOOK_SECRET"

webhooks_app = typer.Typer(help="Register, list or remove the webhooks that wake `pm-bridge daemon`.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")

PublicUrlOption = Annotated[
    str | None, typer.Option("--public-url", help="how the tools reach the daemon (default: daemon.public_url)")
]


@dataclass
class Side:
    """One link side that can hold webhooks."""

    link: str
    side: str
    kind: str
    connection: str
    project: str
    registry: WebhookRegistry

    @property
    def label(self) -> str:
        return f"{self.link}/{self.side} ({self.kind})"

    @property
    def hook_path(self) -> str:
        return f"/hooks/{self.link}/{self.side}/"

    def ours(self, hook: Webhook, public_url: str | None) -> bool:
        """A webhook some run of this command made for this side (under ``public_url`` when known)."""
        if public_url:
            return hook.callback_url.startswith(public_url.rstrip("/") + self.hook_path)
        return self.hook_path in hook.callback_url


def secret_source(kind: str) -> str:
    """Which secret the tool's deliveries are checked against (its webhooks module says)."""
    module = webhook_module(kind)
    return str(module.SECRET_SOURCE) if module is not None else "none"


def stored_secret_key(side: str) -> str:
    return f"webhook_secret.{side}"


def masked(url: str, hook_path: str) -> str:
    """The URL with its token replaced: tokens are secrets."""
    head, found, _ = url.partition(hook_path)
    return f"{head}{hook_path}…" if found else url


def master_secret(cfg: Config) -> str:
    configured = cfg.daemon.webhook_secret
    master = configured.get_secret_value() if configured is not None else os.environ.get(MASTER_ENV, "")
    if not master:
        raise ConfigError("no webhook master secret", hint=f"set daemon.webhook_secret in the config (or ${MASTER_ENV})")
    secrets.register(master)
    return master


def public_base(cfg: Config, given: str | None) -> str:
    url = (given or cfg.daemon.public_url or "").rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            "no public URL for the webhooks" if not url else f"the public URL {url!r} is not http(s)",
            hint="pass --public-url https://bridge.example or set daemon.public_url",
        )
    return url


@contextmanager
def sides_of(cfg: Config, links: list[str] | None, console: Console, failures: list[str]) -> Iterator[list[Side]]:
    """The link sides of the selected links whose tool manages webhooks; connectors close afterwards."""
    names = select_links(cfg, links or [])
    used = [getattr(cfg.links[n], s).connection for n in names for s in SIDES]
    connectors, failed = build_connectors(cfg, used)
    found: list[Side] = []
    try:
        for name in names:
            for side in SIDES:
                where = getattr(cfg.links[name], side)
                kind = cfg.connections[where.connection].kind
                label = f"{name}/{side} ({kind})"
                if where.connection in failed:
                    console.print(f"[red]✗ {escape(label)}: {escape(failed[where.connection])}[/red]")
                    failures.append(label)
                    continue
                connector = connectors[where.connection]
                if kind == "email":  # the mail provider is set up by hand: ``webhooks inbound`` prints its URL
                    console.print(f"– {escape(label)}: set up by hand in the mail provider; "
                                  f"`pm-bridge webhooks inbound --link {escape(name)}` prints the URL to paste")
                    continue
                if not isinstance(connector, WebhookRegistry):
                    console.print(f"– {escape(label)}: no webhooks for this tool; the daemon polls it every interval")
                    continue
                found.append(Side(name, side, kind, where.connection, where.project, connector))
        yield found
    finally:
        for connector in connectors.values():
            connector.close()


class StateStore:
    """The state store, opened only when a side needs it (tools that hand over a secret at the handshake)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._store: Store | None = None

    def __call__(self) -> Store:
        if self._store is None:
            self._store = open_store(self.url)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def each_side(cfg: Config, links: list[str] | None, console: Console, act: Callable[[Side, StateStore], str]) -> list[str]:
    """Run ``act`` on each webhook-capable side of the selected links and print what it says; a tool's refusal
    fails that side only. Returns the sides that failed."""
    failures: list[str] = []
    state = StateStore(cfg.state)
    with sides_of(cfg, links, console, failures) as sides:
        try:
            for side in sides:
                try:
                    message = act(side, state)
                except BridgeError as exc:
                    text = secrets.redact(str(exc.args[0]) if exc.args else type(exc).__name__)
                    console.print(f"[red]✗ {escape(side.label)}: {escape(text)}[/red]")
                    if exc.hint:
                        console.print(f"    [dim]hint: {escape(secrets.redact(exc.hint))}[/dim]")
                    failures.append(side.label)
                    continue
                console.print(f"✓ {escape(side.label)}: {escape(secrets.redact(message))}")
        finally:
            state.close()
    return failures


def _finish(failures: list[str]) -> None:
    raise typer.Exit(EXIT_FAILED if failures else EXIT_OK)


@webhooks_app.command("register")
@friendly
def register(config: ConfigOption = None, link: LinkOption = None, public_url: PublicUrlOption = None) -> None:
    """Create each link side's webhook (replacing stale ones); the daemon must already be reachable."""
    cfg = load_config(config)
    master, base = master_secret(cfg), public_base(cfg, public_url)

    def act(side: Side, state: StateStore) -> str:
        token = webhook_token(master, side.link, side.side)
        secrets.register(token)
        url = callback_url(base, side.link, side.side, token)
        source = secret_source(side.kind)
        if source == "app_secret" and cfg.connections[side.connection].webhook_secret is None:
            raise ConfigError(
                f"connection {side.connection!r} has no webhook_secret, so deliveries could not be verified",
                hint="set webhook_secret to the app's OAuth secret (Trello: the Power-Up's admin page, next to the API key)",
            )
        existing = [h for h in side.registry.list_webhooks(side.project) if side.ours(h, base)]
        held = state().link_meta(side.link).get(stored_secret_key(side.side)) if source == "handshake" else "not needed"
        current = [h for h in existing if h.callback_url == url]
        if current and held:
            return f"already registered ({current[0].id})"
        for hook in existing:  # stale: another token, or a handshake secret the daemon no longer holds
            side.registry.remove_webhook(side.project, hook.id)
        if source == "handshake":
            # The daemon accepts a handshake only while it holds no secret for the side.
            state().set_link_meta(side.link, **{stored_secret_key(side.side): None})
        hook = side.registry.register_webhook(side.project, url, token)
        replaced = f", replaced {len(existing)}" if existing else ""
        return f"registered {hook.id} → {masked(hook.callback_url, side.hook_path)}{replaced}"

    _finish(each_side(cfg, link, Console(highlight=False, soft_wrap=True), act))


@webhooks_app.command("list")
@friendly
def list_(config: ConfigOption = None, link: LinkOption = None, public_url: PublicUrlOption = None) -> None:
    """Each link side's webhooks as the tool lists them; "ours" marks the ones this command manages."""
    cfg = load_config(config)
    base = (public_url or cfg.daemon.public_url or "").rstrip("/") or None
    console = Console(highlight=False, soft_wrap=True)
    table = Table(title="Webhooks", title_justify="left")
    for column in ("link", "side", "tool", "id", "active", "ours", "url"):
        table.add_column(column, overflow="fold")

    def act(side: Side, _state: StateStore) -> str:
        hooks = side.registry.list_webhooks(side.project)
        for hook in hooks:
            mine = side.ours(hook, base)
            table.add_row(
                side.link,
                side.side,
                side.kind,
                hook.id,
                "yes" if hook.active else "no",
                "yes" if mine else "",
                escape(secrets.redact(masked(hook.callback_url, side.hook_path) if mine else hook.callback_url)),
            )
        return f"{len(hooks)} webhook(s)"

    failures = each_side(cfg, link, console, act)
    console.print(table)
    _finish(failures)


@webhooks_app.command("remove")
@friendly
def remove(config: ConfigOption = None, link: LinkOption = None, public_url: PublicUrlOption = None) -> None:
    """Delete the webhooks this command made for each link side (others are left alone)."""
    cfg = load_config(config)
    base = (public_url or cfg.daemon.public_url or "").rstrip("/") or None

    def act(side: Side, state: StateStore) -> str:
        ours = [h for h in side.registry.list_webhooks(side.project) if side.ours(h, base)]
        for hook in ours:
            side.registry.remove_webhook(side.project, hook.id)
        if secret_source(side.kind) == "handshake":
            state().set_link_meta(side.link, **{stored_secret_key(side.side): None})
        # No webhook serves the side now: its pulls ask every listing again (docs/daemon.md#webhook-led-polling).
        state().unserve_hints(side.link, side.side)
        return f"removed {len(ours)}" if ours else "nothing to remove"

    _finish(each_side(cfg, link, Console(highlight=False, soft_wrap=True), act))


# Where each provider's inbound-webhook setting lives, and the one thing to paste (docs/email.md, step 4).
PROVIDER_SETUP = {
    "postmark": "Postmark: Servers → your server → Inbound stream → Settings → Webhook URL (include the raw email)",
    "mailgun": 'Mailgun: Receiving → Create route → forward("<url>") (use store(notify=...) for body-mime)',
    "sendgrid": 'SendGrid: Settings → Inbound Parse → Add Host & URL ("POST the raw, full MIME message")',
}


def inbound_url(base: str, master: str, link: str, provider: str) -> str:
    """The URL to paste into the provider: the side's token is part of it by design (it is how the daemon routes
    and first filters a delivery); Postmark's basic-auth password is shown as a placeholder, never printed."""
    url = callback_url(base, link, "client", webhook_token(master, link, "client"))
    if provider == "postmark":
        scheme, _, rest = url.partition("://")
        url = f"{scheme}://postmark:<email.inbound.webhook.signing_key>@{rest}"
    return url


@webhooks_app.command("inbound")
@friendly
def inbound(config: ConfigOption = None, link: LinkOption = None, public_url: PublicUrlOption = None) -> None:
    """Print, for each email client side with an inbound webhook, the URL to paste into the mail provider."""
    cfg = load_config(config)
    master, base = master_secret(cfg), public_base(cfg, public_url)
    console = Console(highlight=False, soft_wrap=True)
    shown = 0
    for name in select_links(cfg, link or []):
        where = cfg.links[name].client
        connection = cfg.connections[where.connection]
        if connection.kind != "email":
            continue
        hook = connection.email.inbound.webhook if connection.email is not None else None
        if hook is None:
            console.print(f"– {escape(name)}/client (email): no inbound.webhook (replies come by IMAP, if configured)")
            continue
        # Printed on purpose (the user must paste it), so not through the redactor.
        console.print(f"{escape(name)}/client (email, {hook.provider}):")
        console.print(f"  {escape(PROVIDER_SETUP[hook.provider])}")
        console.print(f"  {escape(inbound_url(base, master, name, hook.provider))}")
        shown += 1
    if not shown:
        console.print("no email client side with an inbound webhook in the selected links")
    raise typer.Exit(EXIT_OK)
