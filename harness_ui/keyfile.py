"""The service's JWT key for the harness: generated once into `--data-dir`, kept 0600.

Kept so that tokens survive a restart. Whatever is wrong with the file (a directory, a
dangling symlink, a FIFO, not UTF-8, unreadable, empty or too short) is one line naming the
file and the problem, and `run_all.py` exits 2: it is the developer's file to fix, not a bug.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from harness_ui.errors import StartupError
from service.datafiles import FILE_MODE, ensure_private_dir
from service.settings import MIN_SECRET_KEY_LENGTH

log = logging.getLogger(__name__)

#: a key file longer than this is not one we wrote (ours is 64 characters and a newline)
MAX_KEY_FILE_BYTES = 4096
REGENERATE = "delete it and run_all.py generates a new key"


def load_or_create_secret(path: Path) -> str:
    """The key in `path`, or a new one written there (folder 0700, file 0600) if there is none.

    Raises StartupError (DataFileError for the folder) with one line naming the path. Warns
    (one line) when other users may read the file: whoever has it can sign JWTs for anyone.
    """
    ensure_private_dir(path.parent)  # DataFileError (a SettingsError) names the folder
    try:
        return _read_key(path)
    except FileNotFoundError:
        if path.is_symlink():
            target = os.readlink(path)
            raise _cannot(path, f"it is a symlink to {target}, which does not exist") from None
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except OSError as error:
        message = f"run_all: cannot create the secret key file {path}: {error.strerror}"
        raise StartupError(message) from None
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secret + "\n")
    return secret


def _read_key(path: Path) -> str:
    """The stripped key text; FileNotFoundError when there is no file (or a dangling link)."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise _cannot(path, error.strerror) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise _cannot(path, f"it is {kind}")
    with os.fdopen(fd, "rb") as file:
        try:
            raw = file.read(MAX_KEY_FILE_BYTES + 1)
        except OSError as error:
            raise _cannot(path, error.strerror) from None
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise _cannot(path, f"it is over {MAX_KEY_FILE_BYTES} bytes, not a key; {REGENERATE}")
    try:
        key = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise _cannot(path, f"it is not UTF-8 text; {REGENERATE}") from None
    if not key:
        raise StartupError(f"run_all: the secret key file {path} is empty; {REGENERATE}")
    if len(key.encode()) < MIN_SECRET_KEY_LENGTH:
        raise StartupError(
            f"run_all: the secret key file {path} holds a {len(key.encode())}-byte key, HS256 "
            f"needs at least {MIN_SECRET_KEY_LENGTH}; {REGENERATE}"
        )
    if info.st_mode & 0o077:
        log.warning(
            "the secret key file %s has mode %o: other users may read it and sign JWTs for any "
            "account (chmod 600 it)",
            path,
            stat.S_IMODE(info.st_mode),
        )
    return key


def _cannot(path: Path, problem: str) -> StartupError:
    return StartupError(f"run_all: cannot read the secret key file {path}: {problem}")
