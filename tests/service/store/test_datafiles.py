"""`python -m service` and its SQLite file: folder 0700, file 0600 (and so the -wal and -shm
files), and a folder it cannot create or write is one line naming it, exit status 2.

"Not writable" is real: that run is root without its capabilities
(tests/support/unprivileged.py), to which file modes apply.
"""

from __future__ import annotations

import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from service.store.datafiles import DataFileError, prepare_sqlite, sqlite_file
from tests.service.support import SECRET_KEY
from tests.service.test_settings import REPO, _service_env, _wait_for_health
from tests.support import brokenfiles as broken
from tests.support.postgres import free_port
from tests.support.unprivileged import unprivileged


def _start_refused(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=REPO,
        env=_service_env(SECRET_KEY=SECRET_KEY, KAKAO_APP_ID="10001"),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_data_directory_under_a_regular_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    folder = tmp_path / "file" / "var"
    url = f"sqlite+aiosqlite:///{folder}/service.sqlite3"
    result = _start_refused([sys.executable, "-m", "service", "--database-url", url])
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"service: cannot create the data directory {folder}: Not a directory"
    ]


def test_a_data_directory_it_cannot_write_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    folder.mkdir(mode=0o500)
    url = f"sqlite+aiosqlite:///{folder}/service.sqlite3"
    result = _start_refused(unprivileged(sys.executable, "-m", "service", "--database-url", url))
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"service: cannot write to the data directory {folder}: permission denied"
    ]


def test_a_database_file_that_is_not_a_database_is_one_line_naming_it(tmp_path: Path) -> None:
    database = tmp_path / "service.sqlite3"
    broken.random_bytes(database)
    before = broken.fingerprint(database)
    url = f"sqlite+aiosqlite:///{database}"
    result = subprocess.run(
        [sys.executable, "-m", "service", "--database-url", url],
        cwd=REPO,
        env=_service_env(SECRET_KEY=SECRET_KEY, KAKAO_APP_ID="10001", KAKAO_ADMIN_KEY="admin-key"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"service: cannot use the database file {database}: file is not a database"
    ]
    assert broken.fingerprint(database) == before


def test_the_folder_and_the_database_files_are_created_private(tmp_path: Path) -> None:
    database = tmp_path / "run" / "service.sqlite3"
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "service", "--port", str(port),
            "--database-url", f"sqlite+aiosqlite:///{database}",
        ],
        cwd=REPO,
        env=_service_env(SECRET_KEY=SECRET_KEY),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        _wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        modes = {
            path.name: stat.S_IMODE(path.stat().st_mode)
            for path in (database.parent, *database.parent.iterdir())
        }
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert modes == {
        "run": 0o700,
        "service.sqlite3": 0o600,
        "service.sqlite3-wal": 0o600,
        "service.sqlite3-shm": 0o600,
    }


def test_an_existing_folder_and_file_are_left_as_they_are(tmp_path: Path) -> None:
    database = tmp_path / "service.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o640)
    prepare_sqlite(f"sqlite+aiosqlite:///{database}")
    assert stat.S_IMODE(database.stat().st_mode) == 0o640


@pytest.mark.parametrize(
    "url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:", "postgresql+asyncpg://x/y"]
)
def test_other_databases_need_no_files(url: str) -> None:
    assert sqlite_file(url) is None


def test_a_database_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=f"the database file {tmp_path} is not a file"):
        prepare_sqlite(f"sqlite+aiosqlite:///{tmp_path}")
