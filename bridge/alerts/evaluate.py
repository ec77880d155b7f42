"""The alerting core (pure): conditions seen now + the stored state + the time -> alerts to send and the new state.

The rules (docs/alerts.md):

- A condition that starts to hold alerts at once; while it holds, it alerts again
  every ``min_interval``, never at every cycle. Firing alerts of one (kind, link)
  are always at least ``min_interval`` apart, also when the condition flaps.
- When a condition the operator was told about clears, one "resolved" message says
  so (unless ``resolved: false``).
- At most ``max_per_hour`` messages go out in any hour, all links and kinds
  together. What the cap holds back is counted; the first message once there is
  room again is a summary naming the links held back. A held-back firing alert
  still counts as sent for ``min_interval``, so a storm is summarised, not replayed.

Every text goes through :func:`bridge.secrets.redact`, so no registered secret or
token-shaped string reaches a channel.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from bridge import secrets
from bridge.alerts.model import Alert, AlertState, Condition, Kind, Track
from bridge.config.schema import AlertsConfig

WINDOW = 3600.0  # the hourly cap's sliding window, in seconds

_TITLE: dict[Kind, str] = {
    "failing": "is failing",
    "credentials": "cannot sign in",
    "guard": "was stopped by the removal guard",
    "conflicts": "has conflicts waiting for a decision",
    "webhook": "lost its webhook",
}
_CLEARED: dict[Kind, str] = {
    "failing": "is syncing again",
    "credentials": "signs in again",
    "guard": "runs again (the removal guard no longer stops it)",
    "conflicts": "has no conflict waiting past the limit any more",
    "webhook": "has a webhook delivering again",
}
_FOOTER = "-- pm-bridge alerts (docs/alerts.md). `pm-bridge status` shows every link."


@dataclass
class Evaluation:
    alerts: list[Alert] = field(default_factory=list)
    state: AlertState = field(default_factory=AlertState)


def evaluate(
    conditions: Iterable[Condition],
    state: AlertState,
    now: float,
    rules: AlertsConfig,
    links: Collection[str] | None = None,
) -> Evaluation:
    """What to send now, and the state to keep; the input state is not changed.

    ``links``, when given, are every link of the config: what is kept about any other
    link (one removed from the config) is dropped without a message.
    """
    sent = [at for at in state.sent if at > now - WINDOW]
    tracks = dict(state.tracks)
    if links is not None:
        known = set(links)
        tracks = {key: track for key, track in tracks.items() if key.split(":", 1)[1] in known}
    held, held_links = state.suppressed, set(state.suppressed_links)
    alerts: list[Alert] = []

    def offer(alert: Alert) -> bool:
        nonlocal held
        if len(sent) >= rules.max_per_hour:
            held += 1
            held_links.update(alert.links)
            return False
        sent.append(now)
        alerts.append(alert)
        return True

    if held and len(sent) < rules.max_per_hour:
        offer(summary(held, sorted(held_links)))
        held, held_links = 0, set()

    latest = {condition.key: condition for condition in conditions}  # the last word on each (kind, link)
    for key, condition in latest.items():
        track = tracks.get(key, Track())
        if condition.active:
            if not track.active:
                track = Track(active=True, since=now, last_sent=track.last_sent)
            due = track.last_sent is None or now - track.last_sent >= rules.min_interval
            if due:
                told = offer(firing(condition))
                track = track.model_copy(update={"last_sent": now, "told": track.told or told})
        elif track.active:
            if track.told and rules.resolved:
                offer(resolved(condition))
            track = Track(active=False, last_sent=track.last_sent)
        tracks[key] = track

    # Forget what no longer limits anything: a cleared condition whose last alert is older than min_interval.
    tracks = {
        key: track
        for key, track in tracks.items()
        if track.active or (track.last_sent is not None and now - track.last_sent < rules.min_interval)
    }
    new = AlertState(tracks=tracks, sent=sent, suppressed=held, suppressed_links=sorted(held_links))
    return Evaluation(alerts, new)


def firing(condition: Condition) -> Alert:
    link = condition.link
    subject = f"pm-bridge: link {link} {_TITLE[condition.kind]}"
    body = f"Link {link}: {condition.detail.rstrip('.')}.\n\nWhat to do: {condition.action}\n\n{_FOOTER}"
    return _alert(condition.kind, "firing", (link,), subject, body)


def resolved(condition: Condition) -> Alert:
    link = condition.link
    subject = f"pm-bridge: resolved: link {link} {_CLEARED[condition.kind]}"
    body = f"Link {link} {_CLEARED[condition.kind]}.\n\nWhat to do: nothing; this closes the earlier alert.\n\n{_FOOTER}"
    return _alert(condition.kind, "resolved", (link,), subject, body)


def summary(count: int, links: list[str]) -> Alert:
    names = ", ".join(links) or "(none named)"
    subject = f"pm-bridge: {count} more alert{'s' if count != 1 else ''} suppressed"
    body = (
        f"{count} more alert{'s were' if count != 1 else ' was'} held back by the hourly limit (alerts.max_per_hour) "
        f"for links: {names}.\n\nWhat to do: run `pm-bridge status` (or open the daemon's /healthz) to see what these "
        f"links need now; raise alerts.max_per_hour if such storms are expected.\n\n{_FOOTER}"
    )
    return _alert("summary", "summary", tuple(links), subject, body)


def trial(where: str) -> Alert:
    subject = "pm-bridge: test alert"
    body = (
        f"This is a test alert from `pm-bridge alerts test` ({where}). It names no link: nothing is wrong.\n\n"
        f"What to do: nothing; if you read this, alerts reach you through this channel.\n\n{_FOOTER}"
    )
    return _alert("test", "test", (), subject, body)


def _alert(kind: Kind | str, state: str, links: tuple[str, ...], subject: str, body: str) -> Alert:
    # One line of subject, whatever a link name or an error holds.
    clean = " ".join(secrets.redact(subject).split())
    return Alert.model_validate(
        {"kind": kind, "state": state, "links": links, "subject": clean, "body": secrets.redact(body)}
    )
