"""The daemon's read-only status page at ``/``: links, last runs, errors, conflicts waiting, next runs.

Server-rendered HTML, no script. Every value from the config, the store or a
tool is escaped. Who may see it (docs/console.md): anyone who can reach the
daemon when it listens on a loopback interface and ``daemon.status_token`` is
unset; otherwise only a request carrying the token (``?token=`` or
``Authorization: Bearer``); without a configured token an exposed daemon
serves no page at all.
"""

from __future__ import annotations

import hmac
import html
import json
from typing import Any

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def needs_token(host: str, token: str | None) -> bool:
    return token is not None or not (host in LOOPBACK or host.startswith("127."))


def admitted(host: str, token: str | None, query_token: str | None, authorization: str | None) -> bool:
    if not needs_token(host, token):
        return True
    if token is None:
        return False
    offered = query_token or (authorization[7:] if authorization and authorization.lower().startswith("bearer ") else "")
    return hmac.compare_digest(offered.encode(), token.encode())


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _value(value: Any) -> str:
    return _e(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem; color: #1d2329; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #dde2e6; vertical-align: top; }
th { background: #f3f5f7; } .ok { color: #1a7f37; } .failing, .backing_off { color: #b42318; } .running { color: #0b61a4; }
.credentials_revoked { color: #b42318; }
.error { color: #b42318; white-space: pre-wrap; } .muted { color: #66707a; } code { font-size: .9em; }
"""


def render(report: dict[str, Any], conflicts: list[dict[str, Any]]) -> str:
    """The page for ``report`` (the daemon's /healthz report) and the open conflicts' records."""
    rows = []
    for name, link in report["links"].items():
        error = link.get("last_error") or {}
        rows.append(
            "<tr class='link'>"
            f"<td class='name'>{_e(name)}</td>"
            f"<td class='{_e(link['state'])}'>{_e(link['state'].replace('_', ' '))}</td>"
            f"<td>{_e(link.get('last_status') or 'never run')}</td>"
            f"<td>{_e(link.get('last_success') or '–')}</td>"
            f"<td class='error'>{_e(error.get('message') or '')}"
            + (f" <span class='muted'>({_e(error.get('at'))})</span>" if error else "")
            + "</td>"
            f"<td>{_e(link.get('next_run') or '–')}</td>"
            f"<td>{_e(format(link.get('interval') or 0, 'g'))} s</td>"
            "</tr>"
        )
    links_table = (
        "<table id='links'><tr><th>link</th><th>state</th><th>last run</th><th>last success</th>"
        "<th>last error</th><th>next run</th><th>interval</th></tr>" + "".join(rows) + "</table>"
        if rows else "<p>No links run here.</p>"
    )
    waiting = []
    for c in conflicts:
        item = f"{c['kind']} {c['title']!r}" if c.get("title") else f"{c['kind']} {c['key']}"
        decision = c.get("decision")
        decided = f"take {decision['take']} (by {decision['by']}), applies at the next cycle" if decision else "waiting"
        waiting.append(
            "<tr class='conflict'>"
            f"<td>{_e(c['id'])}</td><td>{_e(c['link'])}</td><td>{_e(item)}</td><td>{_e(c['field'])}</td>"
            f"<td>{_value(c['internal'])}</td><td>{_value(c['client'])}</td><td>{_e(c['since'])}</td><td>{_e(decided)}</td>"
            "</tr>"
        )
    conflicts_table = (
        "<table id='conflicts'><tr><th>id</th><th>link</th><th>item</th><th>field</th><th>internal</th>"
        "<th>client</th><th>since</th><th>decision</th></tr>" + "".join(waiting) + "</table>"
        "<p class='muted'>Resolve with <code>pm-bridge conflicts resolve ID --take internal|client|value</code>.</p>"
        if waiting else "<p id='no-conflicts'>No conflicts waiting.</p>"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta http-equiv='refresh' content='30'><title>pm-bridge status</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>pm-bridge: <span id='status' class='{_e(report['status'])}'>{_e(report['status'])}</span></h1>"
        f"<p class='muted'>daemon {_e(report['daemon'])} · up {_e(round(report['uptime_seconds']))} s · "
        f"{_e(report['daemons'])} daemon(s) share these links · times in UTC · refreshes every 30 s</p>"
        f"<h2>Links</h2>{links_table}<h2>Conflicts waiting</h2>{conflicts_table}</body></html>"
    )
