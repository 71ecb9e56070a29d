"""A throwaway PostgreSQL server for tests and benchmarks.

Real PostgreSQL, not a mock: it runs Debian's own `initdb` and `pg_ctl` in a temporary folder
and listens on a free loopback port. `initdb` refuses to run as root, so as root the folder is
handed to the `postgres` user and the binaries run under `runuser`.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def find_postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None when PostgreSQL is not installed."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for folder in reversed(candidates):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayPostgres:
    """Start with `start()`, use `url()`, end with `stop()` (which deletes every file)."""

    def __init__(self) -> None:
        bin_dir = find_postgres_bin()
        if bin_dir is None:
            raise RuntimeError(
                "PostgreSQL is not installed: run scripts/setup-test-env "
                "(Debian package 'postgresql')"
            )
        self.bin_dir = bin_dir
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="pg-throwaway-"))
        self.data = self.folder / "data"
        self._as_root = os.geteuid() == 0
        #: put before every command, e.g. `nsenter --mount=...` for a data folder on a disk
        #: mounted in another mount namespace
        self.command_prefix: list[str] = []

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        command = [*self.command_prefix, *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> ThrowawayPostgres:
        if self._as_root:
            shutil.chown(self.folder, user="postgres", group="postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=300 -c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            "-w",
            "start",
        )
        return self

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL (asyncpg driver)."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def pg_ctl(self, *args: str) -> None:
        """Run pg_ctl on this server's data folder: e.g. `("-m", "fast", "stop")`, then a start."""
        self._run("pg_ctl", "-D", str(self.data), "-w", *args)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
