"""The service's JWT key for the harness: generated once into `--data-dir`, kept 0600.

Kept so that tokens survive a restart. Whatever is wrong with the file (a directory, a
dangling symlink, a FIFO, a device, not UTF-8, unreadable, too big, empty, too short or
holding control characters) is one line naming the file and the problem, and `run_all.py`
exits 2: it is the developer's file to fix, not a bug. It is read by mock_kakao.files.safefile,
as the fake Kakao reads its signing keys.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from harness_ui.errors import StartupError
from mock_kakao.files import safefile
from service.settings import secret_key_problem
from service.store.datafiles import FILE_MODE, ensure_private_dir

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
    key = _read_key(path)
    if key is not None:
        return key
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except OSError as error:
        message = f"run_all: cannot create the secret key file {path}: {error.strerror}"
        raise StartupError(message) from None
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secret + "\n")
    return secret


def _read_key(path: Path) -> str | None:
    """The stripped key text; None when there is no file at all (not even a dangling link)."""
    try:
        found = safefile.read_text(path, MAX_KEY_FILE_BYTES)
    except safefile.FileProblem as problem:
        raise _cannot(path, f"{problem}; {REGENERATE}") from None
    if found is None:
        return None
    key = found.text.strip()
    if not key:
        raise StartupError(f"run_all: the secret key file {path} is empty; {REGENERATE}")
    problem = secret_key_problem(key)
    if problem:
        raise StartupError(f"run_all: the secret key file {path} {problem}; {REGENERATE}")
    if found.mode & 0o077:
        log.warning(
            "the secret key file %s has mode %o: other users may read it and sign JWTs for any "
            "account (chmod 600 it)",
            path,
            found.mode,
        )
    return key


def _cannot(path: Path, problem: str) -> StartupError:
    return StartupError(f"run_all: cannot read the secret key file {path}: {problem}")
