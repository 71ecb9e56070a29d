"""run_all.py's data directory and key file: made private, and every way they can be broken
is one line on stderr naming the file, exit status 2, no traceback (issue 10, item 5).

"Unreadable" and "not writable" are real: those runs are root without its capabilities
(tests/support/unprivileged.py), to which file modes apply.
"""

from __future__ import annotations

import os
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
from tests.support.unprivileged import unprivileged

ROOT = Path(__file__).resolve().parents[2]
KEY = "k" * 48


def _directory(data: Path) -> Path:
    (data / "secret_key").mkdir(parents=True)
    return data / "secret_key"


def _not_utf8(data: Path) -> Path:
    data.mkdir()
    (data / "secret_key").write_bytes(b"\xff\xfe" + b"k" * 40)
    return data / "secret_key"


def _dangling_symlink(data: Path) -> Path:
    data.mkdir()
    (data / "secret_key").symlink_to(data / "nowhere")
    return data / "secret_key"


def _fifo(data: Path) -> Path:
    data.mkdir()
    os.mkfifo(data / "secret_key")
    return data / "secret_key"


def _unreadable(data: Path) -> Path:
    data.mkdir()
    (data / "secret_key").write_text(KEY)
    (data / "secret_key").chmod(0)
    return data / "secret_key"


def _empty(data: Path) -> Path:
    data.mkdir()
    (data / "secret_key").write_text("\n")
    return data / "secret_key"


def _short(data: Path) -> Path:
    data.mkdir()
    (data / "secret_key").write_text("short\n")
    return data / "secret_key"


def _under_a_regular_file(data: Path) -> Path:
    data.write_text("not a folder")
    return data / "var"


def _not_writable(data: Path) -> Path:
    data.mkdir(mode=0o500)
    return data


#: (how the data directory is broken, words the line must contain, run unprivileged)
BROKEN: dict[str, tuple[Callable[[Path], Path], str, bool]] = {
    "key file is a directory": (_directory, "it is a directory", False),
    "key file is not UTF-8": (_not_utf8, "not UTF-8", False),
    "key file is a dangling symlink": (_dangling_symlink, "which does not exist", False),
    "key file is a FIFO": (_fifo, "not a regular file", False),
    "key file is unreadable": (_unreadable, "Permission denied", True),
    "key file is empty": (_empty, "is empty", False),
    "key file is short": (_short, "needs at least 32", False),
    "data directory under a regular file": (_under_a_regular_file, "Not a directory", False),
    "data directory not writable": (_not_writable, "cannot write", True),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_data_directory_is_one_line_naming_the_file(tmp_path: Path, case: str) -> None:
    breaks, words, as_user = BROKEN[case]
    named = breaks(tmp_path / "data")
    data_dir = named.parent if named.name == "secret_key" else named
    command = [*RUN_ALL, "--no-browser", *ZERO_PORTS, f"--data-dir={data_dir}"]
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
    assert str(named) in lines[0] and words in lines[0]
    assert "SECRET_KEY is not set" not in lines[0]


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
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o644)
    with run_all(tmp_path) as run:
        assert http("GET", f"{run.urls['service']}/healthz")[0] == 200
        stderr = run.stderr
    warned = [line for line in stderr.splitlines() if str(key_file) in line]
    assert len(warned) == 1, stderr
    assert " WARNING " in warned[0] and "mode 644" in warned[0]
