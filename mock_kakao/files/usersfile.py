"""Reading the users file (``--users``, ``MOCK_KAKAO_USERS``): JSON, or TOML by its name.

Read through :mod:`mock_kakao.files.safefile` like the key files: a users file symlinked to
``/dev/zero`` must not eat memory, nor a FIFO hang the start. Every way the file can be
unusable is a :class:`UsersFileError` naming it, which the fake and run_all print as one line
and exit 2 on: the person who wrote the file fixes it.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from mock_kakao.files import safefile, strictjson
from mock_kakao.web.errors import InvalidInput

#: a users file is people and their settings: tens of thousands of them fit in 16 MiB
MAX_USERS_FILE_BYTES = 16 * 1024 * 1024
BUNDLED = "default_users.json"


class UsersFileError(ValueError):
    """The users file cannot be used: the fake refuses to start (one line, exit 2)."""


def load_document(path: str | Path | None) -> dict[str, Any]:
    """The users file as a dict, or the bundled users when ``path`` is None."""
    if path is None:
        return strictjson.loads(resources.files("mock_kakao.files").joinpath(BUNDLED).read_bytes())
    path = Path(path)
    try:
        found = safefile.read_text(path, MAX_USERS_FILE_BYTES)
    except safefile.FileProblem as problem:
        raise UsersFileError(f"{path}: cannot read the users file: {problem}") from None
    if found is None:
        raise UsersFileError(f"{path}: no such users file")
    document = _parse(path, found.text)
    if not isinstance(document, dict):
        raise UsersFileError(f"{path}: the users file must be an object with a 'users' list")
    return document


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() != ".toml":
        try:
            return strictjson.loads(text, what="the users file")
        except InvalidInput as exc:
            raise UsersFileError(f"{path}: {exc.detail}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsersFileError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses into nested arrays and tables
        raise UsersFileError(f"{path}: not valid TOML: it is nested too deeply") from None
