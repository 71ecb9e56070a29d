"""``--state FILE``: the fake's state (snapshot.py) loaded at start and saved when it changes.

Saving is debounced: a :class:`StateSaver` looks at most once per ``interval`` (1 s) whether the
state's :attr:`~mock_kakao.world.state.FakeKakao.version` moved (every request bumps it, before and
after), and if so writes the document only when its bytes differ from the last ones written;
it writes once more at exit. So no mutating path can be missed (the saver compares what is
there, not what a handler says it changed), an idle fake writes nothing, and a ``kill -9``
loses at most the last second. Every write is atomic (atomicfile.py), mode 0600.

The event loop is shared with the service under run_all, so a periodic save only takes the
snapshot there (detached, immutable, and bounded: world/state.py purges and caps what it keeps);
encoding it and writing the file happen in a worker thread (``asyncio.to_thread``), one at a time.

A state file that exists but cannot be used (unreadable, not a regular file, not JSON, not a
valid state) stops the start with one line naming it (:class:`StateFileError`); it is never
overwritten. One that does not exist is created from the users file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import stat
import threading
from pathlib import Path

from mock_kakao.files import strictjson
from mock_kakao.files.atomicfile import remove_leftovers, write_atomic
from mock_kakao.web.errors import ControlError
from mock_kakao.world.snapshot import Snapshot, parse_snapshot
from mock_kakao.world.state import FakeKakao

SAVE_INTERVAL = 1.0

log = logging.getLogger(__name__)


class StateFileError(ValueError):
    """The state file exists but cannot be used: the fake refuses to start (one line, exit 2)."""


def keys_file_for(state_path: Path) -> Path:
    """Where ``--state`` keeps the signing keys when no ``--keys-file`` is given: beside it.

    The state itself never holds the private keys (``GET /_mock/state`` must not show them).
    """
    return state_path.with_name(f"{state_path.stem}.keys.json")


def encode(snapshot: Snapshot) -> bytes:
    return (json.dumps(snapshot.to_json(), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def read_state(path: Path) -> tuple[Snapshot, bytes] | None:
    """The checked state in ``path`` and its bytes; None when there is no such file."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        if path.is_symlink():
            target = os.readlink(path)
            raise StateFileError(f"{path}: a symlink to {target}, which does not exist") from None
        return None
    except OSError as exc:
        raise StateFileError(f"{path}: cannot read it: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise StateFileError(f"{path}: not a regular file")
    with os.fdopen(fd, "rb") as file:
        try:
            raw = file.read()
        except OSError as exc:
            raise StateFileError(f"{path}: cannot read it: {exc.strerror}") from None
    try:
        return parse_snapshot(strictjson.loads(raw)), raw
    except ControlError as exc:
        raise StateFileError(f"{path}: not a valid state: {exc.detail}") from None


class StateSaver:
    """Keeps ``path`` equal to ``state``'s snapshot (see the module docstring)."""

    def __init__(
        self,
        state: FakeKakao,
        path: Path,
        *,
        interval: float = SAVE_INTERVAL,
        written: bytes | None = None,
    ) -> None:
        self.state = state
        self.path = path
        self.interval = interval
        self._written = written
        self._seen: int | None = None
        self._task: asyncio.Task[None] | None = None
        # One write at a time: a periodic save still in its thread when close() saves.
        self._lock = threading.Lock()

    def save(self) -> None:
        """Write the state now if it differs from the file (OSError when it cannot)."""
        version = self.state.version
        self._write_if_changed(self.state.snapshot())
        self._seen = version

    async def save_off_loop(self) -> None:
        """:meth:`save`, with only the snapshot taken on the loop: the disk is a thread's."""
        version = self.state.version
        await asyncio.to_thread(self._write_if_changed, self.state.snapshot())
        self._seen = version

    def _write_if_changed(self, snapshot: Snapshot) -> None:
        with self._lock:
            data = encode(snapshot)
            if data != self._written:
                write_atomic(self.path, data)
                self._written = data

    def start(self) -> None:
        """Save in the background from now on (call from the server's event loop)."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.state.version != self._seen:
                try:
                    await self.save_off_loop()
                except OSError as exc:
                    self._warn(exc)

    def _save_or_warn(self) -> None:
        try:
            self.save()
        except OSError as exc:
            self._warn(exc)

    def _warn(self, exc: OSError) -> None:
        """A full disk must not stop the fake; the next change retries."""
        log.warning("cannot save the state to %s: %s", self.path, exc.strerror)

    async def close(self) -> None:
        """Stop saving in the background, then save a last time (at exit)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._save_or_warn()


def open_state(state: FakeKakao, path: Path, *, interval: float = SAVE_INTERVAL) -> StateSaver:
    """Load ``path`` into ``state`` (flags beat its app settings) or keep the users file's
    state, and write it at once, so a folder that cannot be written is found at start."""
    remove_leftovers(path)
    loaded = read_state(path)
    written = None
    if loaded is not None:
        snapshot, written = loaded
        try:
            overridden = state.import_snapshot(snapshot)
        except ControlError as exc:
            raise StateFileError(f"{path}: with the flags given: {exc.detail}") from None
        if overridden:  # names only: these are keys and secrets
            log.info("%s: kept the pinned %s (flags/environment win)", path, ", ".join(overridden))
    saver = StateSaver(state, path, interval=interval, written=written)
    try:
        saver.save()
    except OSError as exc:
        raise StateFileError(f"{path}: cannot write it: {exc.strerror}") from None
    return saver
