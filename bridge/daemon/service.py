"""``pm-bridge daemon`` as one object: start the parts, serve, and stop gracefully.

Start-up order: presence and a first share of the free links, leases
heartbeat (which also shares the links out again between the live daemons),
scheduler, HTTP server. Shutdown (SIGTERM or SIGINT) reverses it so nothing
is lost: webhook deliveries get 503 (the tools retry), no new cycle starts,
cycles in flight finish and are recorded, the leases are released so the
other daemons take the links over at their next heartbeat instead of after
``lease_ttl``, then the server stops and the process exits 0.
"""

from __future__ import annotations

import errno
import faulthandler
import signal
import socket
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import FrameType

import uvicorn

from bridge import secrets
from bridge.alerts.alerter import Alerter
from bridge.alerts.model import Alert
from bridge.config.schema import Config
from bridge.daemon.balance import Balancer
from bridge.daemon.cycles import LinkRunner, LinkState
from bridge.daemon.health import Health
from bridge.daemon.hooks import Deliveries, secret_key, wakes
from bridge.daemon.leases import LeaseKeeper, daemon_id
from bridge.daemon.logs import log
from bridge.daemon.metrics import Metrics
from bridge.daemon.receiver import build_app
from bridge.daemon.scheduler import Scheduler
from bridge.daemon.webhook_watch import WebhookWatch
from bridge.errors import BridgeError
from bridge.runtime import SIDES, Runtime, build_runtime
from bridge.store.leases import LeaseClock

ALERTS_CHECK_EVERY = 60.0  # seconds between checks for conflicts waiting too long (at a heartbeat)


class Daemon:
    def __init__(
        self,
        config: Config,
        link_names: Iterable[str] = (),
        *,
        host: str | None = None,
        port: int | None = None,
        runtime: Runtime | None = None,
        owner: str | None = None,
        clock: LeaseClock | None = None,
        config_path: Path | None = None,
    ) -> None:
        """``clock`` (wall-clock seconds) times backoff; tests pass one they can move.

        ``config_path``: the file a reload (SIGHUP, :meth:`reload`) reads again.
        """
        settings = config.daemon
        self.config = config
        self.config_path = config_path
        self.link_names = list(link_names)
        self.host = host or settings.host
        self.port = settings.port if port is None else port
        self.metrics = Metrics()
        if runtime is None:
            runtime = build_runtime(config, link_names, listeners=[self.metrics.listener], webhook_led=True)
        else:
            runtime.engine.listeners.append(self.metrics.listener)
            runtime.engine.webhook_led = True  # this process takes the deliveries in
        self.runtime = runtime
        self.keeper = LeaseKeeper(runtime.store, owner or daemon_id(), settings.lease_ttl)
        self.runner = LinkRunner(runtime, self.keeper, self.metrics, settings, clock=clock)
        # Delivered from a thread of its own: a slow mail server never holds a cycle or the heartbeat.
        self.alerter = Alerter(config.alerts, runtime.store, now=lambda: self.runner.clock.now(), background=True)
        self.runner.alerter = self.alerter
        self.alerter.on_delivery.append(self._count_alert)
        self._alerts_checked = float("-inf")
        self.scheduler = Scheduler(self.runner, settings)
        self.balancer = Balancer(self.keeper, self.runner.links, idle=self.runner.between_cycles, next_run=self._next_run)
        self.deliveries = Deliveries(config, runtime.store, self.scheduler.trigger, self.metrics)
        self.runner.watch = WebhookWatch(lambda: self.runner.runtime.store, self.metrics, master=self.deliveries.master,
                                         public_url=settings.public_url, now=self.runner.clock.now,
                                         alerter=self.alerter)
        self.health = Health(self.runner, self.scheduler.next_run, self.runner.clock.now())
        self.app = build_app(
            self.deliveries,
            lambda: self.health.report(self.stopping),
            lambda: self.metrics.render(self.health.refresh_gauges),
            public_url=settings.public_url,
            stopping=lambda: self.stopping,
            page=self._page,
            page_admitted=self._page_admitted,
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._signalled = threading.Event()
        self._reload_asked = threading.Event()
        self._wake = threading.Event()
        self._reloading = threading.Lock()
        self._stopped = False

    @property
    def stopping(self) -> bool:
        return self.runner.stopping.is_set()

    def start(self) -> None:
        """Begin scheduling and serving; raises a BridgeError when the port cannot be bound."""
        self._register_secrets()
        listener = self._bind()
        self.port = listener.getsockname()[1]
        self.keeper.announce(self.runner.links)
        self.balancer.rebalance()  # the links it takes run at the scheduler's first polls, moments from now
        self.keeper.start(on_beat=self._beat)
        self.scheduler.start()
        config = uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [listener]}, name="pm-bridge-http")
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            time.sleep(0.01)
        log().info(
            "daemon started",
            extra={"owner": self.keeper.owner, "listen": f"http://{self.host}:{self.port}", "links": len(self.runner.links)},
        )

    def _bind(self) -> socket.socket:
        listener = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.host, self.port))
        except OSError as exc:
            listener.close()
            busy = exc.errno == errno.EADDRINUSE
            raise BridgeError(
                f"cannot listen on {self.host}:{self.port}: {'the port is already in use' if busy else exc.strerror}",
                hint="set daemon.port in the config or pass --port N",
            ) from None
        listener.listen(128)
        listener.setblocking(False)
        return listener

    def _register_secrets(self) -> None:
        """Tokens in webhook URLs and secrets tools handed over must never reach a log line."""
        if self.deliveries.master is not None:
            secrets.register(self.deliveries.master)
        if self.config.daemon.status_token is not None:
            secrets.register(self.config.daemon.status_token.get_secret_value())
        for token in self.deliveries.tokens():
            secrets.register(token)
        for link in self.runner.links:
            meta = self.runtime.store.link_meta(link)
            for side in SIDES:
                stored = meta.get(secret_key(side))
                if isinstance(stored, str):
                    secrets.register(stored)

    def _page(self) -> str:
        from bridge.daemon.page import render
        from bridge.sync.waiting import open_records

        report = self.health.report(self.stopping)
        return render(report, open_records(self.runtime.store, list(self.runner.links)))

    def _page_admitted(self, query_token: str | None, authorization: str | None) -> bool:
        from bridge.daemon.page import admitted

        token = self.config.daemon.status_token
        return admitted(self.host, token.get_secret_value() if token else None, query_token, authorization)

    def _next_run(self, link: str) -> float | None:
        when = self.scheduler.next_run(link)
        return None if when is None else when.timestamp()

    def _beat(self) -> None:
        """After each lease renewal: share the links out again, run the ones taken, and the ones woken elsewhere."""
        if self.stopping:
            return
        # A taken link runs at once: its daemon may have died mid-cycle, or it may be due.
        for link in self.balancer.rebalance().taken:
            self.scheduler.trigger(link, "takeover", delay=0)
        for link, stamp in wakes(self.runtime.store, sorted(self.keeper.owned)).items():
            if stamp > self.runner.state[link].last_started:
                self.scheduler.trigger(link, "webhook")
        if self.runner.clock.now() - self._alerts_checked >= ALERTS_CHECK_EVERY:
            self.check_alerts()

    def _count_alert(self, alert: Alert, outcome: dict[str, str | None]) -> None:
        for channel, error in outcome.items():
            self.metrics.add("pm_bridge_alerts_total", kind=alert.kind, channel=channel, outcome="failed" if error else "sent")

    def check_alerts(self) -> None:
        """The periodic alerts check: conflicts left waiting on the links held here, and a summary held back by the cap.

        Only the links this daemon holds: each link has one daemon, so no two daemons judge the same link.
        """
        self._alerts_checked = self.runner.clock.now()
        if not self.alerter.enabled:
            return
        try:
            self.alerter.check_conflicts(sorted(self.keeper.owned & set(self.runner.links)), configured=self.config.links)
        except Exception as exc:  # never let alerting stop the heartbeat
            log().warning("alerts not checked", extra={"error": secrets.redact(f"{type(exc).__name__}: {exc}")})

    def reload(self) -> bool:
        """Read the config file again and apply it live; False (old config kept, error logged) if it is not valid."""
        from bridge.daemon.reload import reload

        with self._reloading:
            if self.stopping:
                return False
            return reload(self)

    def swap(self, runtime: Runtime, links: list[str], removed: list[str]) -> None:
        """Run ``links`` on ``runtime`` from now on (called by a reload, holding the changed links' cycle locks)."""
        runner = self.runner
        runner.runtime = runtime
        self.config = runtime.config
        self.deliveries.config = runtime.config
        for name in links:
            runner.state.setdefault(name, LinkState())
            runner.lock(name)
        runner.links[:] = links
        for name in removed:
            if name in self.keeper.owned:
                self.keeper.release(name)
        self.scheduler.refresh()
        self.balancer.links = list(links)
        self.keeper.announce(links)
        self.alerter.reconfigure(runtime.config.alerts, runtime.store)
        self._register_secrets()
        for link in self.balancer.rebalance().taken:
            self.scheduler.trigger(link, "takeover", delay=0)

    def stop(self) -> None:
        """Graceful: no new cycles, in-flight cycles finish and are recorded, leases released, server closed."""
        if self._stopped:
            return
        self._stopped = True
        running = [name for name, seen in self.runner.state.items() if seen.running]
        log().info("stopping: waiting for running cycles", extra={"running": running})
        self.runner.stopping.set()
        self.scheduler.shutdown()
        self.keeper.stop()
        self.keeper.release_all()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.alerter.close(timeout=10)  # the alerts the last cycles raised go out before the process ends
        self.runtime.close()
        log().info("daemon stopped", extra={"owner": self.keeper.owner})

    def serve_until_signalled(self) -> None:
        """Run until SIGTERM or SIGINT (from the main thread), then stop gracefully; SIGHUP reloads the config."""

        def on_signal(number: int, _frame: FrameType | None) -> None:
            if number == signal.SIGHUP:
                self._reload_asked.set()
            else:
                if self._signalled.is_set():
                    log().warning("already stopping; waiting for running cycles to finish", extra={"signal": number})
                self._signalled.set()
            self._wake.set()

        signals = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        previous = {sig: signal.signal(sig, on_signal) for sig in signals}
        faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: every thread's stack, for a hang
        pid_file: Path | None = None
        try:
            self.start()
            if self.config_path is not None:
                from bridge.daemon.reload import write_pid

                pid_file = write_pid(self.config_path, self.port)  # how `pm-bridge daemon reload` finds this process
            while not self._signalled.is_set():
                self._wake.wait(0.5)
                self._wake.clear()
                if self._reload_asked.is_set() and not self._signalled.is_set():
                    self._reload_asked.clear()
                    self.reload()
                if self._thread is not None and not self._thread.is_alive():
                    raise BridgeError("the daemon's HTTP server stopped unexpectedly", hint="see the log lines above")
        finally:
            self.stop()
            if pid_file is not None:
                pid_file.unlink(missing_ok=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
