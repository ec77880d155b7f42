"""Tool emulators served over real HTTP on 127.0.0.1 from this process, for daemons running as subprocesses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from bridge.core.ports import Connector, NewTask
from bridge.demo.emulate import sandbox_for
from connectors.emulation.sandbox import USERS, Sandbox
from connectors.emulation.serve import asgi_app

PM_BRIDGE = str(Path(sys.executable).with_name("pm-bridge"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServedTool:
    kind: str
    latency: float = 0.0
    sandbox: Sandbox = field(init=False)
    _server: uvicorn.Server = field(init=False)
    _thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.sandbox = sandbox_for(self.kind)
        emulator = self.sandbox.emulator
        emulator.limit = None  # several daemons and the test share the sandbox users' rate budget
        emulator.latency = self.latency
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        prefix = urllib.parse.urlsplit(emulator.base_url).path.rstrip("/")
        emulator.base_url = f"http://127.0.0.1:{port}{prefix}"
        self._server = uvicorn.Server(uvicorn.Config(asgi_app(emulator), log_config=None, access_log=False, lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [listener]}, daemon=True)
        self._thread.start()
        while not self._server.started:
            time.sleep(0.01)

    @property
    def base_url(self) -> str:
        return str(self.sandbox.emulator.base_url)

    def connection_yaml(self, name: str) -> str:
        extra = self.sandbox.extra_credentials("bridge").get("key")
        key = f", key: {extra.get_secret_value()}" if hasattr(extra, "get_secret_value") else ""
        return f"  {name}: {{kind: {self.kind}, base_url: {self.base_url}, token: {USERS['bridge'].token}{key}}}\n"

    def person(self, who: str = "human") -> Connector:
        return self.sandbox.connector(who)  # type: ignore[arg-type]

    def agency_project(self, name: str, shared: int) -> str:
        project = self.sandbox.create_project(name, ["Design", "Build"])
        self.sandbox.setup_access_field(project)
        for n in range(shared):
            self.add_task(project, f"{name} task {n}")
        return project

    def add_task(self, project: str, title: str) -> None:
        anna = self.person()
        sections = {s.name: s.id for s in anna.pull(project).snapshot.sections.values()}
        anna.create_task(project, NewTask(title=title, section_id=sections["Design"]))

    def titles(self, project: str) -> list[str]:
        return [t.title for t in self.person("client").pull(project).snapshot.tasks.values()]

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)


def write_config(path: Path, state: str, connections: str, links: dict[str, tuple[str, str]], interval: int,
                 daemon: dict[str, Any]) -> Path:
    """A config whose links go from the ``agency`` connection to the ``client`` one."""
    body = "".join(
        textwrap.dedent(f"""\
          {name}:
            internal: {{connection: agency, project: "{internal}"}}
            client: {{connection: client, project: "{client}"}}
            interval: {interval}
            mirror: {{sections: {{Design: {{access: unlocked}}}}, access: {{type: custom_field}}}}
        """)
        for name, (internal, client) in links.items()
    )
    settings = "".join(f"  {key}: {value}\n" for key, value in daemon.items())
    path.write_text(f"state: {state}\nconnections:\n{connections}links:\n{textwrap.indent(body, '  ')}daemon:\n{settings}")
    return path


@dataclass
class DaemonProcess:
    """A real ``pm-bridge daemon`` subprocess; its log goes to a file (a pipe could fill up and block it)."""

    config: Path
    port: int
    log_format: str = "json"
    process: subprocess.Popen[bytes] = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.config.with_name(f"daemon-{self.port}.log")
        command = [PM_BRIDGE, "daemon", "--config", str(self.config), "--port", str(self.port), "--log-format", self.log_format]
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=environment)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def terminate(self, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(5)

    def output(self) -> str:
        return self.log.read_text(errors="replace")
