"""run_all.py's data directory and its files (the service's key, the fake Kakao's signing keys,
the database): made private, and every way they can be broken is one line on stderr naming the
file, exit status 2, no traceback, the file left as it was (issue 10, item 5).

"Unreadable" and "not writable" are real: those runs are root without its capabilities
(tests/support/unprivileged.py), to which file modes apply.
"""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.test_run_all import (
    KAKAO_TOKEN,
    RUN_ALL,
    SIGN_UP,
    ZERO_PORTS,
    clean_env,
    http,
    run_all,
)
from tests.support import brokenfiles as broken
from tests.support.unprivileged import unprivileged

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "secret_key"
FAKE_KEYS = "mock_kakao_keys.json"  # the fake Kakao's id_token signing keys
DATABASE = "kakao_login.sqlite3"
#: the fake's key file cap (mock_kakao.world.signing.MAX_KEY_FILE_BYTES), the service key's is 4096
FAKE_KEYS_MAX = 1024 * 1024


def _under_a_regular_file(data: Path) -> Path:
    data.write_text("not a folder")
    return data / "var"


def _not_writable(data: Path) -> Path:
    data.mkdir(mode=0o500)
    return data


#: (the file in the data directory, how it is broken, words the line must contain, run
#: unprivileged); broken files are never rewritten
BROKEN_FILES: dict[str, tuple[str, Callable[[Path], None], str, bool]] = {
    **{
        f"{label} is {kind}": (name, *how)
        for label, name in (("key file", SECRET_KEY), ("fake's key file", FAKE_KEYS))
        for kind, how in broken.NOT_A_READABLE_FILE.items()
    },
    "key file is huge": (SECRET_KEY, broken.huge(10_000), "over 4096 bytes", False),
    "key file is empty": (SECRET_KEY, broken.empty, "is empty", False),
    "key file is short": (SECRET_KEY, broken.short, "needs at least 32", False),
    "key file is NUL bytes": (SECRET_KEY, broken.nul_bytes, "not printable text", False),
    "fake's key file is nested deeply": (
        FAKE_KEYS, broken.deeply_nested, "nested too deeply", False
    ),
    "fake's key file is huge": (
        FAKE_KEYS, broken.huge(FAKE_KEYS_MAX + 1), f"over {FAKE_KEYS_MAX} bytes", False
    ),
    "database is random bytes": (DATABASE, broken.random_bytes, "file is not a database", False),
}  # fmt: skip

#: (how the data directory itself is broken, returning the path the line names; words; unprivileged)
BROKEN_FOLDERS: dict[str, tuple[Callable[[Path], Path], str, bool]] = {
    "data directory under a regular file": (_under_a_regular_file, "Not a directory", False),
    "data directory not writable": (_not_writable, "cannot write", True),
}


def _refused_start(data_dir: Path, as_user: bool, *extra: str) -> str:
    """run_all's one line on stderr, having checked it exits 2 without a traceback."""
    command = [*RUN_ALL, "--no-browser", *ZERO_PORTS, f"--data-dir={data_dir}", *extra]
    result = subprocess.run(
        unprivileged(*command) if as_user else command,
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("run_all: ")
    assert "SECRET_KEY is not set" not in lines[0]
    return lines[0]


@pytest.mark.parametrize("case", BROKEN_FILES)
def test_a_broken_data_file_is_one_line_naming_it(tmp_path: Path, case: str) -> None:
    name, breaks, words, as_user = BROKEN_FILES[case]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    path = data_dir / name
    breaks(path)
    before = broken.fingerprint(path)
    line = _refused_start(data_dir, as_user)
    assert str(path) in line and words in line, line
    assert broken.fingerprint(path) == before  # never replaced nor rewritten


#: a --users file that is not one (it is read like a key file: never /dev/zero to the end, never
#: a wait on a FIFO); the line names it
BROKEN_USERS_FILES: dict[str, tuple[Callable[[Path], None], str, bool]] = {
    **broken.NOT_A_READABLE_FILE,
    "missing": (lambda path: None, "no such users file", False),
    "nested deeply": (broken.deeply_nested, "nested too deeply", False),
}


@pytest.mark.parametrize("case", BROKEN_USERS_FILES)
def test_a_broken_users_file_is_one_line_naming_it(tmp_path: Path, case: str) -> None:
    breaks, words, as_user = BROKEN_USERS_FILES[case]
    users = tmp_path / "users.json"
    breaks(users)
    line = _refused_start(tmp_path / "data", as_user, f"--users={users}")
    assert str(users) in line and words in line, line


@pytest.mark.parametrize("case", BROKEN_FOLDERS)
def test_a_broken_data_directory_is_one_line_naming_it(tmp_path: Path, case: str) -> None:
    breaks, words, as_user = BROKEN_FOLDERS[case]
    named = breaks(tmp_path / "data")
    line = _refused_start(named, as_user)
    assert str(named) in line and words in line, line


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_and_every_database_file_are_private(tmp_path: Path) -> None:
    with run_all(tmp_path) as run:
        token = {"Authorization": KAKAO_TOKEN}
        assert http("POST", f"{run.urls['service']}/auth/kakao", SIGN_UP, token)[0] == 201
        data = tmp_path / "data"
        database = data / "kakao_login.sqlite3"
        wal, shm = (database.with_name(database.name + suffix) for suffix in ("-wal", "-shm"))
        modes = {path.name: _mode(path) for path in (data, database, wal, shm)}
        modes["secret_key"] = _mode(data / "secret_key")
    assert modes == {
        "data": 0o700,
        "kakao_login.sqlite3": 0o600,
        "kakao_login.sqlite3-wal": 0o600,
        "kakao_login.sqlite3-shm": 0o600,
        "secret_key": 0o600,
    }


def test_a_key_file_others_can_read_is_one_warning(tmp_path: Path) -> None:
    key_file = tmp_path / "data" / "secret_key"
    key_file.parent.mkdir()
    key_file.write_text(broken.KEY + "\n")
    key_file.chmod(0o644)
    with run_all(tmp_path) as run:
        assert http("GET", f"{run.urls['service']}/healthz")[0] == 200
        stderr = run.stderr
    warned = [line for line in stderr.splitlines() if str(key_file) in line]
    assert len(warned) == 1, stderr
    assert " WARNING " in warned[0] and "mode 644" in warned[0]
