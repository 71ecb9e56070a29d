"""Ways a file a person keeps can be broken, shared by the tests of every start-up that reads one.

Each breaker puts something bad at `path` (its folder exists). `fingerprint` tells whether the
program touched it afterwards: a key file that cannot be read must never be overwritten.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

KEY = "k" * 48
#: nesting deeper than Python's JSON parser can recurse (RecursionError, not ValueError)
DEEP = 100_000


def directory(path: Path) -> None:
    path.mkdir()


def not_utf8(path: Path) -> None:
    path.write_bytes(b"\xff\xfe" + b"k" * 40)


def dangling_symlink(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere")


def fifo(path: Path) -> None:
    os.mkfifo(path)


def dev_zero(path: Path) -> None:
    """Endless bytes: a reader without a size limit eats memory until it is killed."""
    path.symlink_to("/dev/zero")


def unreadable(path: Path) -> None:
    path.write_text(KEY)
    path.chmod(0)


def empty(path: Path) -> None:
    path.write_text("\n")


def short(path: Path) -> None:
    path.write_text("short\n")


def nul_bytes(path: Path) -> None:
    path.write_bytes(b"\0" * 40)


def deeply_nested(path: Path) -> None:
    path.write_text("[" * DEEP)


def huge(size: int) -> Callable[[Path], None]:
    """A regular file of `size` bytes (spaces: valid text, so only its size is wrong)."""

    def write(path: Path) -> None:
        path.write_bytes(b" " * size)

    return write


def random_bytes(path: Path) -> None:
    """4 KB that are not a SQLite database (nor anything else)."""
    path.write_bytes(random.Random(0).randbytes(4096))


#: what a key file can be instead of a readable file: (breaker, words the error must contain,
#: needs a process that file modes apply to: tests/support/unprivileged.py)
NOT_A_READABLE_FILE: dict[str, tuple[Callable[[Path], None], str, bool]] = {
    "a directory": (directory, "it is a directory", False),
    "not UTF-8": (not_utf8, "not UTF-8", False),
    "a dangling symlink": (dangling_symlink, "which does not exist", False),
    "a FIFO": (fifo, "not a regular file", False),
    "/dev/zero": (dev_zero, "not a regular file", False),
    "unreadable": (unreadable, "Permission denied", True),
}


def fingerprint(path: Path) -> tuple[int, ...] | str:
    """What `path` is, without reading it: replaced or rewritten, this changes."""
    info = path.lstat()
    if path.is_symlink():
        return os.readlink(path)
    return (info.st_ino, info.st_mode, info.st_size, info.st_mtime_ns)
