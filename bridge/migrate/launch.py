"""From a loaded config and the command line's options to a migration ready to run (and its cleanup)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx

from bridge.clock import Clock
from bridge.config.schema import Config
from bridge.errors import ConfigError
from bridge.migrate.filters import migration_rules
from bridge.migrate.report import MigrationListener
from bridge.migrate.run import Endpoints, Migration
from bridge.migrate.spec import MigrationOptions
from bridge.runtime import build_connectors, open_store
from bridge.store import Store


@contextmanager
def prepared(
    config: Config,
    options: MigrationOptions,
    *,
    listeners: list[MigrationListener] | None = None,
    workers: int = 4,
    transports: Mapping[str, httpx.BaseTransport] | None = None,
    clock: Clock | None = None,
    store: Store | None = None,
) -> Iterator[Migration]:
    """A :class:`Migration` on the config's connections and state store, closed afterwards."""
    rules, mode = migration_rules(config, options)
    names = [options.source.connection, options.target.connection]
    own_store = store is None
    the_store = store or open_store(config.state)
    connectors, failed = build_connectors(config, names, transports=transports, clock=clock)
    try:
        if failed:
            raise ConfigError("; ".join(dict.fromkeys(failed.values())))
        ends = Endpoints(connectors[options.source.connection], connectors[options.target.connection])
        yield Migration(the_store, options, rules, mode, ends, listeners=listeners, workers=workers)
    finally:
        for connector in connectors.values():
            connector.close()
        if own_store:
            the_store.close()
