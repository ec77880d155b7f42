"""GitHub people: a login's display name and public email, from ``GET /users/{username}``.

Listings (assignees, an issue's ``assignees``, a comment's ``user``) carry only
a login. The bridge matches people across tools by email, so each login is
looked up once in "Get a user", whose ``name`` and ``email`` (the *public*
email; null when the person keeps it private) are both nullable: the name falls
back to the login, a missing email stays ``None``. A 404 (a deleted account, a
login that never existed) keeps the login as the name; it is no error.

Who is looked up when (the pull decides, see :mod:`connectors.github.pull`):

* An incremental pull looks up only logins neither its previous snapshot nor
  this directory knows, so a cycle without change costs no lookup at all.
* A full pull looks every login up again. It is rare (first pull, a refused
  cursor), it rebuilds the snapshot from what GitHub holds now, and it is the
  only time a changed display name or public email is picked up. The lookups
  are conditional (``If-None-Match`` with the ETag of this process's previous
  answer), so a repeat is a 304, which GitHub does not count against the
  primary limit.

One directory serves every repository of a connector: users are global on GitHub.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterable, Mapping

from bridge.core.model import Person
from bridge.errors import Malformed
from bridge.http import HttpClient
from connectors.github import translate


def bare(login: str) -> Person:
    """A person known by login only."""
    return Person(id=login, name=login, username=login)


class UserDirectory:
    def __init__(self, client: HttpClient) -> None:
        self.client = client
        self._people: dict[str, Person] = {}
        self._lock = threading.Lock()

    def known(self, login: str) -> Person | None:
        with self._lock:
            return self._people.get(login)

    def person(self, login: str) -> Person:
        return self.known(login) or bare(login)

    def remember(self, people: Iterable[Person]) -> None:
        """People a previous pull resolved; what this directory looked up itself is fresher and stays."""
        with self._lock:
            for person in people:
                self._people.setdefault(person.id, person)

    def resolve(self, logins: Iterable[str], *, again: bool = False) -> dict[str, Person]:
        """The people of ``logins``, looking up those not known yet (every one with ``again``)."""
        out: dict[str, Person] = {}
        for login in dict.fromkeys(logins):
            known = None if again else self.known(login)
            out[login] = known or self._lookup(login)
        return out

    def _lookup(self, login: str) -> Person:
        response = self.client.request("GET", f"users/{urllib.parse.quote(login, safe='')}", etag=True, ok=(404,))
        if response.status == 404:
            person = bare(login)
        else:
            body = response.json()
            if not isinstance(body, Mapping):
                raise Malformed(f"github: GET /users/{login} did not return a user")
            person = translate.person(body)
            if person.id.casefold() != login.casefold():
                raise Malformed(f"github: GET /users/{login} answered with user {person.id!r}")
            # The listings spell the login; keep that spelling as the id every task and comment uses.
            person = person.model_copy(update={"id": login, "username": login})
        with self._lock:
            self._people[login] = person
        return person
