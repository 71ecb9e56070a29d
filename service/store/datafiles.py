"""The files kept on disk: a private data directory and a private SQLite file.

Accounts (and, for the harness, the JWT key) are nobody else's business, so the folder is
created 0700 and the database file 0600 before SQLite opens it: SQLite itself would create the
file 0644, and it gives the `-wal` and `-shm` files the database file's mode. A folder that
cannot be created or written is a configuration mistake found at start, one line naming the
path (`DataFileError` is a `SettingsError`, so both entry points print it and exit 2), instead
of a traceback or a service that cannot open its database.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from service.settings import SettingsError

DIR_MODE = 0o700
FILE_MODE = 0o600


class DataFileError(SettingsError):
    """A data directory or file cannot be used; the message names it, on one line."""


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def ensure_private_dir(folder: Path) -> None:
    """Create `folder` 0700 if missing (an existing one keeps its mode); it must be writable.

    SQLite creates its `-wal` and `-shm` files beside the database, so a folder it cannot
    write is as fatal as a database file it cannot open.
    """
    try:
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except FileExistsError:
        raise DataFileError(f"the data directory {folder} is not a directory") from None
    except OSError as error:
        raise DataFileError(
            f"cannot create the data directory {folder}: {error.strerror}"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DataFileError(f"cannot write to the data directory {folder}: permission denied")


def prepare_sqlite(url: str) -> None:
    """For a SQLite file URL: its folder (see `ensure_private_dir`) and the file, 0600.

    An existing file is left as it is, even read-only: the service then starts and reads, and
    `/healthz` says 503 until the file is writable again (service.store.db.ping).
    """
    path = sqlite_file(url)
    if path is None:
        return
    ensure_private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))
    except FileExistsError:
        if not path.is_file():
            raise DataFileError(f"the database file {path} is not a file") from None
    except OSError as error:
        raise DataFileError(f"cannot create the database file {path}: {error.strerror}") from None
