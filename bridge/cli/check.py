"""What ``pm-bridge check`` verifies besides each link's credentials and projects: the state store,
and connection settings a tool requires but cannot refuse until it is too late."""

from __future__ import annotations

import re
import urllib.parse

from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url

from bridge import secrets
from bridge.config.schema import Config, LinkConfig
from bridge.core.fields import FieldDef, field_def
from bridge.errors import BridgeError
from bridge.runtime import open_store

# An email address or a web address: what Basecamp accepts as the contact in a User-Agent.
_CONTACT = re.compile(r"[^\s()<>@]+@(?P<domain>[^\s()<>@]+\.[^\s()<>@]+)|https?://(?P<host>[^\s()/:]+)")


def check_state(console: Console, url: str) -> bool:
    """Open the state store as ``sync`` would (creating and migrating it); print the outcome naming ``state:``."""
    try:
        open_store(url).close()
    except BridgeError as exc:
        message = secrets.redact(str(exc.args[0]) if exc.args else type(exc).__name__)
        hint = f"\n    hint: {escape(secrets.redact(exc.hint))}" if exc.hint else ""
        console.print(f"[red]✗ state: {escape(message)}[/red]{hint}")
        return False
    console.print(f"[green]✓[/green] state {escape(_shown(url))}: opened, schema up to date")
    return True


def connection_warnings(config: Config, names: list[str]) -> list[str]:
    """Settings that work now but break a promise to a tool (each names the key to fix)."""
    warnings = []
    for name in sorted(set(names)):
        connection = config.connections[name]
        if connection.kind == "basecamp":
            problem = basecamp_agent_problem(connection.user_agent, real_api=connection.base_url is None)
            if problem:
                warnings.append(f"connections.{name}.user_agent: {problem}")
    return warnings


def basecamp_agent_problem(agent: str | None, *, real_api: bool) -> str | None:
    """Why ``agent`` fails Basecamp's rule (the app's name and a way to reach its operator), or None.

    Basecamp answers a request without a User-Agent 400 and uses the contact to warn an
    integration before blocking it; a made-up contact means that warning reaches no one.
    """
    advice = 'set it to your app\'s name and your own contact, e.g. "Acme Agency sync (ops@acme-agency.example)"'
    if not agent:
        return f"not set, so Basecamp is sent a placeholder contact (ops@example.invalid); {advice}"
    found = _CONTACT.search(agent)
    if found is None:
        return f"{agent!r} names no email address or web address to reach you; Basecamp requires one; {advice}"
    where = (found.group("domain") or found.group("host") or "").lower().rstrip(".")
    placeholder = where.endswith(".invalid") or (real_api and (where.endswith(".example") or where == "example.com"))
    if placeholder:
        return f"{agent!r} gives a placeholder contact ({where}), which reaches no one; {advice}"
    return None


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown by its scheme only
        return urllib.parse.urlsplit(url).scheme + "://..."


def field_problems(name: str, link: LinkConfig, side: str, fields: dict[str, FieldDef] | None) -> list[tuple[bool, str]]:
    """The fields the link names on ``side`` that the project does not define: (is it an error?, one line with its fix).

    ``fields`` is what the tool read (CheckResult.fields); None means the tool takes any field name
    (GitHub labels, Basecamp's footer), so there is nothing to check (docs/custom-fields.md). A mapped
    field is an error: it would never sync. A missing access field is a warning: every task then reads
    as "automatic", which sections alone may be meant to decide.
    """
    if fields is None:
        return []
    wanted: list[tuple[bool, str, str]] = []  # (error?, field name, the config key that names it)
    for key, rule in link.mirror.fields.custom.items():
        if side == "internal":
            wanted.append((True, rule.name, f"links.{name}.mirror.fields.custom.{key}" + (".name" if rule.name != key else "")))
        else:
            wanted.append((True, rule.to, f"links.{name}.mirror.fields.custom.{key}.to"))
    access = link.mirror.access
    if side == "internal" and access.type == "custom_field":
        wanted.append((False, access.field, f"links.{name}.mirror.access.field"))
    known = ", ".join(sorted(fields)) or "none"
    return [(error, f"link {name}, {side} side: the field {field!r} does not exist in the project (its fields: {known}); "
             f"add it there or fix {where}") for error, field, where in wanted if field_def(fields, field) is None]
