"""What the alerting core works on: conditions seen, alerts to send, and the state kept between evaluations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["failing", "credentials", "guard", "conflicts", "webhook"]
KINDS: tuple[Kind, ...] = ("failing", "credentials", "guard", "conflicts", "webhook")


class Condition(BaseModel):
    """One kind of trouble of one link, as just observed: whether it holds, what is wrong, what to do."""

    model_config = ConfigDict(frozen=True)

    link: str
    kind: Kind
    active: bool
    detail: str = ""  # what is wrong, in a sentence or two (an error, the guard's reason, a count)
    action: str = ""  # what a person should do about it

    @property
    def key(self) -> str:
        return track_key(self.kind, self.link)


class Alert(BaseModel):
    """One message, the same for every channel: a subject line and a plain-text body."""

    model_config = ConfigDict(frozen=True)

    kind: Kind | Literal["summary", "test"]
    state: Literal["firing", "resolved", "summary", "test"]
    links: tuple[str, ...]  # the links it is about (a summary names every link it held back)
    subject: str
    body: str


class Track(BaseModel):
    """One (kind, link): whether its condition holds, and when the operator was last told."""

    active: bool = False
    since: float = 0.0  # when the condition started to hold (wall-clock seconds)
    last_sent: float | None = None  # the last firing alert for it, sent or held back by the hourly cap
    told: bool = False  # a firing alert of this episode went out, so its clearing is worth a message


class AlertState(BaseModel):
    """Everything the rate limits need, kept in the store and shared by every daemon (docs/alerts.md)."""

    tracks: dict[str, Track] = Field(default_factory=dict)  # track_key(kind, link) -> track
    sent: list[float] = Field(default_factory=list)  # when each message of the last hour went out
    suppressed: int = 0  # messages held back by the hourly cap since the last summary
    suppressed_links: list[str] = Field(default_factory=list)

    @classmethod
    def load(cls, raw: object) -> AlertState:
        """The stored state, or a fresh one when it is missing or was written by another version."""
        if not isinstance(raw, dict):
            return cls()
        try:
            return cls.model_validate(raw)
        except ValueError:
            return cls()


def track_key(kind: str, link: str) -> str:
    return f"{kind}:{link}"  # kinds hold no colon, so the first one splits it
