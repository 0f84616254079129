"""Starting `desk serve` for a test and talking to it as integrations do (httpx, bearer tokens)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from desk.config import Settings, normalise_url
from desk.service import Desk
from desk.tokens import Tokens
from policies.policy import SHIPPED

# One token per kind of caller the shipped org.yaml has: an agent, a handler, a department
# head, a general manager, quality, an integration account; each test may add more.
CALLERS = ("li-na", "xiao-yu", "zhang-li", "he-ping", "ma-jing", "gao-yan", "hotline-12345", "shop-platform")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ApiServer:
    url: str
    home: Path
    database_url: str
    tokens: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    policy_dir: Path = SHIPPED

    def client(self, person: str | None = None, token: str | None = None, **kw: Any) -> httpx.Client:
        headers = {}
        if token or person:
            headers["Authorization"] = f"Bearer {token or self.tokens[person or '']}"
        return httpx.Client(base_url=f"{self.url}/api/v1", headers=headers, timeout=30, **kw)

    def desk(self) -> Desk:
        """The same database in this process, for checks the API does not offer."""
        return Desk.open(Settings(database_url=normalise_url(self.database_url), home=self.home,
                                  policy_dir=self.policy_dir, user=None))

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what was committed is all that is left."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def start(self) -> None:
        port = int(self.url.rsplit(":", 1)[1])
        log = (self.home / "serve.log").open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "desk", "serve", "--port", str(port)],
                                        env=self.env, stdout=log, stderr=subprocess.STDOUT)
        started = time.monotonic()
        while True:  # bounded: the server answers within seconds or the test fails, saying why
            if self.process.poll() is not None:
                raise AssertionError(f"desk serve exited with {self.process.returncode}: "
                                     f"{(self.home / 'serve.log').read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/v1/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() - started > 60:
                raise AssertionError("desk serve did not answer within 60 s")
            threading.Event().wait(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def start_api(database_url: str, home: Path, callers: tuple[str, ...] = CALLERS,
              policy_dir: Path | None = None, prefect_api: str | None = None) -> Iterator[ApiServer]:
    """`desk serve` on `database_url`, with the shipped policies unless `policy_dir` is given, and
    no Prefect server to hand long work to unless `prefect_api` names one."""
    env = {**os.environ, "DESK_HOME": str(home), "DESK_DATABASE_URL": database_url}
    for variable in ("DESK_USER", "DESK_POLICY_DIR", "DESK_NOTIFY_URL", "PREFECT_API_URL"):
        env.pop(variable, None)
    if policy_dir is not None:
        env["DESK_POLICY_DIR"] = str(policy_dir)
    if prefect_api is not None:
        env["PREFECT_API_URL"] = prefect_api
    server = ApiServer(url=f"http://127.0.0.1:{free_port()}", home=home, database_url=database_url, env=env,
                       policy_dir=policy_dir or SHIPPED)
    desk = server.desk()  # migrates the database before the server starts
    issuer = Tokens(desk.engine, desk.directory)
    server.tokens = {person: issuer.create(actor="ma-jing", person=person, now=datetime.now(UTC)).token
                     for person in callers}
    desk.engine.dispose()
    server.start()
    try:
        yield server
    finally:
        server.stop()
