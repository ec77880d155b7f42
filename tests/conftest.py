"""Fixtures shared across the test suite: where a state store lives, and serving an ASGI app on a socket."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

POSTGRES_ENV = "PM_BRIDGE_TEST_POSTGRES_URL"

# Every exchange with a tool emulator, in every test, is checked against the tool's API reference.
pytest_plugins = ["tests.spec.plugin"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """A URL for an empty state store: a SQLite file, or a fresh schema on the test PostgreSQL.

    The PostgreSQL variant skips when PM_BRIDGE_TEST_POSTGRES_URL is unset and fails
    when it is set but the server cannot be reached.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{os.path.join(tmp_path, 'state.db')}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL variant: set {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    schema = f"pmb_test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(base, poolclass=NullPool)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        admin.dispose()
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL cannot be reached: {error.orig}", pytrace=False)
    # Every connection of the store under test sees only this schema, so parallel runs never collide.
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


StartServer = Callable[[object, socket.socket], None]


@pytest.fixture
def asgi_servers() -> Iterator[StartServer]:
    """``start(app, listener)``: serve an ASGI app on a bound socket in a thread, once it is up; stopped at the end."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: object, listener: socket.socket) -> None:
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))  # type: ignore[arg-type]
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
        thread.start()
        running.append((server, thread))
        while not server.started:
            time.sleep(0.01)

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(5)
