"""`python -m service` as a real child process, and counting the sockets it holds.

Used where the test must see what a deployment sees: separate processes over one database,
the sockets one process keeps open, everything it prints on stdout and stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.service.support import SECRET_KEY
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class ServiceProcess:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    @property
    def output(self) -> str:
        """Everything the process printed so far (stdout and stderr, interleaved)."""
        return self.log_path.read_text(errors="replace")

    def tcp_sockets(self) -> int:
        return tcp_socket_count(self.process.pid)


def _answers_health(url: str) -> bool:
    try:
        with _opener.open(url + "/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def service_process(
    log_path: Path,
    *,
    kakao_url: str,
    database_url: str,
    prefix: Sequence[str] = (),
    **settings: str,
) -> Iterator[ServiceProcess]:
    """A service process on a free port, logging at DEBUG into `log_path`, stopped afterwards.

    `settings` become environment variables (`kakao_timeout="0.5"` → `KAKAO_TIMEOUT=0.5`).
    `prefix` runs the service through a wrapper that ends by exec'ing it, so the pid is the
    service's (e.g. one that mounts a small disk first).
    """
    port = free_port()
    env = {
        **os.environ,
        "SECRET_KEY": SECRET_KEY,
        "KAKAO_API_URL": kakao_url,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        **{name.upper(): value for name, value in settings.items()},
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "service", "--log-level", "DEBUG"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    running = ServiceProcess(process, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers_health(running.url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the service did not start:\n{running.output[-3000:]}")
            time.sleep(0.1)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tcp_socket_count(pid: int) -> int:
    """How many TCP sockets (any state, listening included) process `pid` holds open.

    A process's descriptors name sockets only by inode (`socket:[1234]`); its network
    namespace's /proc/PID/net/tcp{,6} say which inodes are TCP sockets.
    """
    held = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed while we looked
        if target.startswith("socket:["):
            held.add(target[len("socket:[") : -1])
    tcp = set()
    for table in ("tcp", "tcp6"):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        tcp.update(line.split()[9] for line in lines)
    return len(held & tcp)
