"""Read a small file a person keeps (a key file) without letting its kind decide our fate.

``Path.read_bytes`` trusts the path: a symlink to ``/dev/zero`` reads until memory runs out, a
FIFO blocks ``open()`` forever (until a writer comes, which SIGTERM does not interrupt), and a
dangling symlink looks like "no file" so a caller makes a new one through it. Here only a
regular file is read, at most ``max_bytes`` of it, opened with ``O_NONBLOCK`` so a FIFO is
refused instead of waited on; every problem is :class:`FileProblem`, a short phrase the caller
puts on one line after the file's name.

Shared by the fake's signing-key file and the harness's service key (harness_ui.keyfile),
which may import the fake but not the other way round.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path


class FileProblem(Exception):
    """The file exists but cannot be used; ``str()`` is a phrase such as "it is a directory"."""


@dataclass(frozen=True)
class SmallFile:
    text: str
    #: the file's permission bits (callers warn about a secret others may read)
    mode: int


def read_text(path: Path, max_bytes: int) -> SmallFile | None:
    """The UTF-8 text of the regular file at ``path``; None when nothing is there at all.

    A dangling symlink is not "nothing": it is a FileProblem, so no caller writes through it.
    """
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        if path.is_symlink():
            raise FileProblem(
                f"it is a symlink to {os.readlink(path)}, which does not exist"
            ) from None
        return None
    except OSError as error:
        raise FileProblem(error.strerror or str(error)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileProblem("it is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem("it is not a regular file")
        raw = _read_at_most(fd, max_bytes + 1)
    except OSError as error:
        raise FileProblem(error.strerror or str(error)) from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        raise FileProblem(f"it is over {max_bytes} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileProblem(f"it is not UTF-8 text (byte {error.start})") from None
    return SmallFile(text, stat.S_IMODE(info.st_mode))


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
