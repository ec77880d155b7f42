"""Who is who across a link: people match by email, or through the link's ``people.map``.

A map value is the client account's email, or ``@username`` for a tool that
shows no email of its members (Trello never does; GitHub only when the person
made it public). Assignees and mentions use the same matching both ways, so a
person the client knows as ``@carla`` is assigned, mentioned and read back as
the same internal person. Nobody is ever invented: no match, no account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bridge.core.model import Person
from bridge.core.rules import PeopleRules
from bridge.richtext.audience import Audience
from bridge.richtext.mentions import person_key


def handle(person: Person) -> str | None:
    """``@username``, the form a map value names a person who shows no email by."""
    return f"@{person.username}".casefold() if person.username else None


def client_person(email: str, client_people: Iterable[Person], rules: PeopleRules) -> Person | None:
    """The client account of the internal person with ``email``."""
    if not email:
        return None
    target = rules.map.get(email, next((v for k, v in rules.map.items() if k.casefold() == email.casefold()), email))
    wanted = target.strip().casefold()
    if wanted.startswith("@"):
        return next((p for p in client_people if handle(p) == wanted), None)
    return next((p for p in client_people if p.email and p.email.strip().casefold() == wanted), None)


def internal_email(person: Person, rules: PeopleRules) -> str | None:
    """The internal email a client account stands for (its own email unless the map says otherwise)."""
    reverse = {v.strip().casefold(): k for k, v in rules.map.items()}
    if person.email and person.email.strip().casefold() in reverse:
        return reverse[person.email.strip().casefold()]
    if (at := handle(person)) and at in reverse:
        return reverse[at]
    return person.email or None


def client_audience(client_people: Mapping[str, Person], rules: PeopleRules, client_tool: str) -> Audience:
    """Whom the client's tool can be shown a mention of: internal email keys become client keys."""
    people = list(client_people.values())
    rename: dict[str, str] = {}
    for internal, _ in rules.map.items():
        found = client_person(internal, people, rules)
        if found is not None:
            rename[internal] = person_key(client_tool, found)
    return Audience.of(people, rename, client_tool)


def internal_audience(
    internal_people: Mapping[str, Person], client_people: Mapping[str, Person], rules: PeopleRules, client_tool: str
) -> Audience:
    """Whom the internal tool knows, for mentions in client input: client keys become internal emails."""
    rename: dict[str, str] = {}
    for person in client_people.values():
        email = internal_email(person, rules)
        if email:
            rename[person_key(client_tool, person)] = email
    return Audience.of(internal_people.values(), rename)
