"""Start, wait for and stop the processes under test.

Every process gets its own session (process group), so stopping it also stops what it forked
(gunicorn's workers) without touching anything else on this shared machine. Output goes to a log
file, never to a pipe nobody reads: a full pipe would stall the server mid-measurement.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nobody listens on right now (the usual bind-to-0 trick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProcessFailed(RuntimeError):
    """A process under test exited or never became ready; the message ends with its log."""


class ManagedProcess:
    """One server process: `start()`, `wait_http(url)`, `stop()` (or use it as a context)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_dir: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_dir / f"{name}.log"
        self.env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended, None while it runs (or never ran)."""
        return None if self._popen is None else self._popen.poll()

    @property
    def pid(self) -> int:
        if self._popen is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._popen.pid

    def start(self) -> ManagedProcess:
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                self.argv,
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_http(self, url: str, timeout: float = 30.0) -> None:
        """Block until `url` answers 200, or fail with the process's log if it dies first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._popen is not None and self._popen.poll() is not None:
                raise ProcessFailed(self._failure(f"exited with {self._popen.returncode}"))
            try:
                with urllib.request.urlopen(url, timeout=1.0) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise ProcessFailed(self._failure(f"did not answer {url} within {timeout:.0f} s"))

    def wait_exit(self, timeout: float = 60.0) -> None:
        """Block until a one-shot command ends; fail with its log unless it exited 0."""
        if self._popen is None:
            raise RuntimeError(f"{self.name} was never started")
        try:
            returncode = self._popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise ProcessFailed(self._failure(f"did not finish within {timeout:.0f} s")) from None
        if returncode != 0:
            raise ProcessFailed(self._failure(f"exited with {returncode}"))

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the whole process group, then SIGKILL what is left after `grace` seconds."""
        if self._popen is None or self._popen.poll() is not None:
            return
        pgid = self._popen.pid  # start_new_session: the group id is the leader's pid
        os.killpg(pgid, signal.SIGTERM)
        try:
            self._popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self._popen.wait()

    def _failure(self, what: str, lines: int = 30) -> str:
        """`what` happened to this process, followed by the end of its log."""
        try:
            tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            tail = []
        return f"{self.name} {what}\n--- last lines of {self.log_path} ---\n" + "\n".join(tail)

    def __enter__(self) -> ManagedProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_on_free_port(
    build: Callable[[int], ManagedProcess], ready_path: str, timeout: float, attempts: int = 3
) -> tuple[ManagedProcess, str]:
    """Start `build(port)` on a free port and wait until `ready_path` answers 200.

    Returns the process and its base URL. A free port can be taken by another program between
    our check and the server's bind (this machine is shared), so a server that exits before it
    answers is tried again on another port.
    """
    for attempt in range(1, attempts + 1):
        port = free_port()
        process = build(port).start()
        base_url = f"http://127.0.0.1:{port}"
        try:
            process.wait_http(base_url + ready_path, timeout=timeout)
        except ProcessFailed:
            process.stop()
            if attempt == attempts or process.returncode is None:
                raise
            continue
        except BaseException:
            process.stop()
            raise
        return process, base_url
    raise AssertionError("unreachable")


def python_module(module: str, *args: str) -> list[str]:
    """argv for `python -m module args...` with this very interpreter."""
    return [sys.executable, "-m", module, *args]
