"""From what a cycle or a check saw to the conditions alerts are about (pure: no I/O, no clock).

Each function reports only the kinds it can judge: a cycle that failed on a
server error says nothing about the guard, and a credential refused says
nothing new about "failing" (the credentials alert is the better message), so
those kinds stay as they were (docs/alerts.md "What raises an alert").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from bridge.alerts.model import Condition
from bridge.config.schema import AlertsConfig
from bridge.errors import AuthError, BridgeError, CredentialsRevoked

Credential = Literal["revoked", "refused"]
# A cycle that got this far pulled both sides, so both credentials work and the guard let it run (or was confirmed).
_RAN = frozenset({"ok", "partial", "dry-run"})


def credential_trouble(cause: BaseException | None) -> Credential | None:
    """"revoked" when a refresh token was refused, "refused" for any other refused credential, else None."""
    if isinstance(cause, CredentialsRevoked):
        return "revoked"
    if isinstance(cause, AuthError):
        return "refused"
    return None


def cycle_conditions(
    rules: AlertsConfig,
    link: str,
    status: str,
    *,
    error: str | None = None,
    cause: BaseException | None = None,
    failures: int | None = None,
    connections: Iterable[str] = (),
) -> list[Condition]:
    """The conditions one finished cycle shows; ``failures`` (consecutive failed cycles) only where they are counted."""
    found: list[Condition] = []
    # With credential alerts off, a refused credential is one more failing cycle.
    credential = credential_trouble(cause) if status == "failed" and rules.credentials else None
    used = ", ".join(dict.fromkeys(connections))
    if rules.credentials:
        if credential is not None:
            found.append(_credentials(link, credential, error, cause, used))
        elif status in _RAN or status == "guarded":
            found.append(Condition(link=link, kind="credentials", active=False))
    if rules.failing_cycles and failures is not None and credential is None:
        if status == "failed" and failures >= rules.failing_cycles:
            found.append(
                Condition(
                    link=link,
                    kind="failing",
                    active=True,
                    detail=f"its last {failures} cycles failed in a row. Last error: {error or 'not recorded'}",
                    action=(
                        "read the error: a project that moved or was deleted means fixing links."
                        f"{link}.internal/client.project in the config; a tool that keeps failing usually recovers on its "
                        f"own (the daemon retries with a growing pause). `pm-bridge status` and /healthz show the link; "
                        f"`pm-bridge check --link {link}` tests its credentials and projects."
                    ),
                )
            )
        elif status != "failed":
            found.append(Condition(link=link, kind="failing", active=False))
    if rules.guard:
        if status == "guarded":
            found.append(
                Condition(
                    link=link,
                    kind="guard",
                    active=True,
                    detail=f"the removal guard stopped it and nothing was changed: {error or 'a mass removal'}",
                    action=(
                        "look at both projects. If the removals are intended, confirm them once with "
                        f"`pm-bridge sync --link {link} --confirm-removals` (stop the daemon first: it holds the link). "
                        "If not, restore what vanished or fix the link's project in the config; "
                        "the next cycle then runs normally."
                    ),
                )
            )
        elif status in _RAN:
            found.append(Condition(link=link, kind="guard", active=False))
    return found


def _credentials(link: str, credential: Credential, error: str | None, cause: BaseException | None, used: str) -> Condition:
    hint = cause.hint if isinstance(cause, BridgeError) else ""
    refused = cause.connection if isinstance(cause, AuthError) else None
    where = f" (connections {used})" if used else ""
    if refused:  # the error knows which one (an OAuth connection's): name it, not every connection of the link
        where = f" (connection {refused})"
    if credential == "revoked":
        detail = f"a tool refused its refresh token, so it cannot sign in any more{where}: {error or 'no detail'}"
        action = (hint or "run `pm-bridge connect <connection>` again for the connection named above") + (
            "; a running daemon uses the new token at its next cycle "
            "(one started while the token was refused needs `pm-bridge daemon reload`)."
        )
    else:
        detail = f"a tool refused its credential{where}: {error or 'no detail'}"
        action = (
            f"{hint or 'check the token in the config or .env'}. Put a working token in place, test it with "
            f"`pm-bridge check --link {link}`, then reload or restart the daemon (`pm-bridge daemon reload`)."
        )
    return Condition(link=link, kind="credentials", active=True, detail=detail, action=action)


def conflict_conditions(rules: AlertsConfig, link: str, opened: Iterable[dt.datetime], now: float) -> list[Condition]:
    """Whether conflicts flagged on ``link`` (opened at these times) have waited longer than ``conflicts_waiting``."""
    if not rules.conflicts_waiting:
        return []
    late = sorted(at for at in opened if now - at.timestamp() >= rules.conflicts_waiting)
    if not late:
        return [Condition(link=link, kind="conflicts", active=False)]
    hours = (now - late[0].timestamp()) / 3600
    count = f"{len(late)} conflict{'s' if len(late) > 1 else ''}"
    return [
        Condition(
            link=link,
            kind="conflicts",
            active=True,
            detail=(
                f"{count} flagged for review {'have' if len(late) > 1 else 'has'} waited more than "
                f"{_duration(rules.conflicts_waiting)} for a decision (the oldest since "
                f"{late[0].astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC, {hours:.0f} h ago); "
                "until decided, those fields stay as they are"
            ),
            action=(
                f"`pm-bridge conflicts list --link {link}` shows them; decide each with "
                "`pm-bridge conflicts resolve ID --take internal|client|value` and the next cycle writes the decision."
            ),
        )
    ]


def webhook_conditions(rules: AlertsConfig, link: str, lost: Iterable[str]) -> list[Condition]:
    """Whether ``link`` has sides whose webhook the daemon found lost and that no delivery has served since."""
    if not rules.webhook_lost:
        return []
    sides = sorted(lost)
    if not sides:
        return [Condition(link=link, kind="webhook", active=False)]
    named = " and ".join(f"{link}/{side}" for side in sides)
    return [
        Condition(
            link=link,
            kind="webhook",
            active=True,
            detail=(
                f"the tool lists no active webhook of the bridge for {named} (deactivated after failed deliveries, "
                "or deleted), so the daemon polls every listing of that side again: changes are still seen, at the "
                "cost of more requests a cycle"
            ),
            action=(
                f"make sure the daemon's public URL is reachable from the tool, then `pm-bridge webhooks register "
                f"--link {link}`; this alert resolves once a delivery comes again."
            ),
        )
    ]


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86400 and seconds % 86400 == 0:
        return f"{int(seconds // 86400)}d"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
