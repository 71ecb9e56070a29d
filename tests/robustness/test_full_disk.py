"""A full disk: writes fail, so `/healthz` must say 503 too, and nothing stored is lost
(issue 19 item 6; round 2 made the same promise for read-only files).

The disk is real and small: the service (SQLite) or PostgreSQL runs in a mount namespace of
its own (`unshare -m`, as root) with its data folder on a tmpfs of a few MB, so the host's
disks are never filled and the mount goes away with the process. The test reaches that folder
through `/proc/<pid>/root`, which resolves paths in the process's own mount namespace, and
fills it with a file until the kernel answers ENOSPC; removing the file frees the disk again.

PostgreSQL on a full disk still commits what fits in pages it already has (an UPDATE, a row
in a page with room); what needs a new page fails with SQLSTATE 53100 "could not extend file".
So there the test makes sign-up need one (the first account) and asserts the 503; `/healthz`
rewrites a row in place and stays 200 as long as such writes commit.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mock_kakao.testing import MockKakao
from tests.e2e.test_run_all import http
from tests.robustness.processes import ServiceProcess, service_process
from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    make_settings,
    running_service,
)
from tests.support.postgres import ThrowawayPostgres

DOWN = {"message": "DATABASE_UNAVAILABLE"}
#: room for the schema, a WAL and a few accounts; small, so filling it is quick
DISK_SIZE = "4m"
NEW_PERSON = 4100000001


def small_disk(folder: Path) -> list[str]:
    """A command prefix: a private mount namespace with a tmpfs of DISK_SIZE on `folder`."""
    mount = f'mount -t tmpfs -o size={DISK_SIZE},mode=0700 tmpfs "$0" && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, str(folder)]


def seen_by(process: ServiceProcess, path: Path) -> Path:
    """`path` as `process` sees it, in its mount namespace."""
    return Path(f"/proc/{process.process.pid}/root") / path.relative_to("/")


@contextmanager
def disk_filled(folder: Path) -> Iterator[None]:
    """Fill the filesystem under `folder` to the last byte, and free it again afterwards."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        while True:
            os.write(descriptor, b"\0" * (1 << 16))  # a short write first, then ENOSPC
    except OSError as error:
        assert error.errno == errno.ENOSPC, error
    finally:
        os.close(descriptor)
    try:
        yield
    finally:
        filler.unlink()


@contextmanager
def postgres_on_small_disk(size: str) -> Iterator[tuple[ThrowawayPostgres, Path]]:
    """A throwaway PostgreSQL whose whole folder is a tmpfs of `size` in a mount namespace
    held by a `sleep`; yields the server and the folder as this process reaches it."""
    server = ThrowawayPostgres()
    mount = (
        f'mount -t tmpfs -o size={size} tmpfs "$0" && chown postgres:postgres "$0" '
        '&& touch "$0/mounted" && exec sleep infinity'
    )
    holder = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, str(server.folder)]
    )
    try:
        folder = Path(f"/proc/{holder.pid}/root") / server.folder.relative_to("/")
        while not (folder / "mounted").exists():
            assert holder.poll() is None, "could not mount the small disk"
            time.sleep(0.05)
        server.command_prefix = ["nsenter", f"--mount=/proc/{holder.pid}/ns/mnt", "--"]
        with server:
            yield server, folder
    finally:
        holder.kill()
        holder.wait()


def stored_rows(process: ServiceProcess, database: Path) -> list[object]:
    """The file's integrity check and its accounts' Kakao ids, read inside the process's
    mount namespace (SQLite resolves `/proc/<pid>/root`, a magic link, to our own `/`)."""
    read = (
        "import json, sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
        "rows = db.execute('PRAGMA integrity_check').fetchall(); "
        "rows += db.execute('SELECT kakao_id FROM users ORDER BY id').fetchall(); "
        "print(json.dumps([row[0] for row in rows]))"
    )
    namespace = ["nsenter", f"--mount=/proc/{process.process.pid}/ns/mnt", "--"]
    command = [*namespace, sys.executable, "-c", read, str(database)]
    return json.loads(subprocess.run(command, check=True, capture_output=True).stdout)


def sign_in(url: str, token: str, kakao_id: int) -> tuple:
    body = {"kakao_id": kakao_id, "user_name": "김카카오", "email": None}
    return http("POST", f"{url}/auth/kakao", body, {"Authorization": f"Bearer {token}"})


def test_sqlite_on_a_full_disk_is_unhealthy_and_keeps_what_it_stored(
    tmp_path: Path, mock_kakao: MockKakao
) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    database = disk / "db" / "service.sqlite3"
    mock_kakao.add_user(id=NEW_PERSON, nickname="새사람")
    new_token = mock_kakao.issue_token(NEW_PERSON)["access_token"]

    with service_process(
        tmp_path / "service.log",
        kakao_url=mock_kakao.url,
        database_url=f"sqlite+aiosqlite:///{database}",
        prefix=small_disk(disk),
    ) as service:
        url = service.url
        assert sign_in(url, FULL_CONSENT_TOKEN, FULL_CONSENT_ID)[0] == 201

        with disk_filled(seen_by(service, disk)):
            assert os.statvfs(seen_by(service, disk)).f_bavail == 0
            assert sign_in(url, new_token, NEW_PERSON) == (503, DOWN)
            assert sign_in(url, FULL_CONSENT_TOKEN, FULL_CONSENT_ID) == (503, DOWN)
            assert http("GET", f"{url}/healthz") == (503, DOWN)
            looked_up = http(
                "GET",
                f"{url}/auth/kakao",
                headers={"Authorization": f"Bearer {FULL_CONSENT_TOKEN}"},
            )
            assert (looked_up[0], looked_up[1]["result"]["is_user"]) == (200, True)

        # Space again: healthy without a restart, and the account stored before is still there.
        assert http("GET", f"{url}/healthz") == (200, {"status": "ok"})
        assert sign_in(url, FULL_CONSENT_TOKEN, FULL_CONSENT_ID)[0] == 200
        assert sign_in(url, new_token, NEW_PERSON)[0] == 201
        assert stored_rows(service, database) == ["ok", FULL_CONSENT_ID, NEW_PERSON]
    output = service.output
    assert "Traceback" not in output
    assert "database or disk is full" in output


async def test_postgresql_on_a_full_disk_answers_503_not_500(mock_kakao: MockKakao) -> None:
    """A sign-up that needs a new page on a full disk: PostgreSQL's 53100 used to be a 500."""
    with postgres_on_small_disk("96m") as (server, folder):
        settings = make_settings(mock_kakao.url, server.create_database("fulldisk"))
        async with running_service(settings) as running:
            assert (await running.request("GET", "/healthz")).status == 200
            with disk_filled(folder):
                assert os.statvfs(folder).f_bavail == 0
                answer = await running.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
                assert (answer.status, answer.body) == (503, DOWN)
                looked_up = await running.request(
                    "GET", "/auth/kakao", authorization=f"Bearer {FULL_CONSENT_TOKEN}"
                )
                assert (looked_up.status, looked_up.body["result"]["is_user"]) == (200, False)
            # Room again: the failed sign-up left nothing behind, the next one succeeds.
            assert await running.user_count() == 0
            assert (await running.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).status == 201
            assert (await running.request("GET", "/healthz")).status == 200
            assert await running.user_count() == 1
