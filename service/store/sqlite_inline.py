"""SQLite statements run on the event loop itself, with the pool as the fallback.

Through aiosqlite every statement is a hand-off to the connection's thread and back. For the
hot statements (a lookup by a unique index, a one-row UPDATE) the hand-off costs thirty times
the statement: 0.65 ms of CPU per `is_user` through the pool against 0.02 ms on a plain sqlite3
connection (bench/README.md, "SQLite on the loop"). So the hot path runs them inline, on one
sqlite3 connection used only from the event loop's thread, and keeps the loop unblocked:

- `busy_timeout` is 0: a statement that would wait for the file's lock (another process
  writing, a `BEGIN EXCLUSIVE` in the sqlite3 shell) fails at once, and the caller runs it
  through the pool instead, which waits in aiosqlite's thread. So does any other error: the
  pool path then gives the answer it always gave (e.g. 503 DATABASE_UNAVAILABLE).
- autocommit: each statement is its own transaction, so no lock outlives a statement.
- `wal_autocheckpoint` is 0: a checkpoint syncs the file to disk, which must not happen on the
  loop. Every CHECKPOINT_EVERY inline writes the caller runs a passive checkpoint through the
  pool (see `users._checkpoint`), i.e. in aiosqlite's thread, and copies what was written
  meanwhile on the loop, so that it catches up. So some work is left on the loop, once per
  CHECKPOINT_EVERY writes: that short second pass (1.5-5 ms under the bench's load, its
  copying and syncs), and the first write after it,
  which starts the WAL afresh and syncs its 32-byte header (fdatasync here: 0.2 ms median,
  2.5 ms at worst). Doing those in a thread instead holds up every write of ours meanwhile,
  and a thread hand-off under load waits for a busy loop: tried twice (writes through the
  pool until one followed the checkpoint; the second pass in the pool under the write lock),
  it took the bench's POST p99 at 100 connections from ~130 ms to 0.8-1.1 s.
- closing: `aclose` before the pool is disposed, so the pool's last connection, not this one,
  runs the final checkpoint (closing the last connection checkpoints and syncs).
- the file is opened read-write, never created: a database that is gone stays gone.

Only for a file in WAL mode, where readers never wait for the writer: a `:memory:` database is
another database on every connection, and a file in rollback-journal mode makes readers wait.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from service.store.db import SQLITE_WAL_SIZE_LIMIT

log = logging.getLogger(__name__)

#: inline writes between two checkpoints; SQLite's own default is 1,000 WAL pages
CHECKPOINT_EVERY = 1000


class InlineSQLite:
    """One sqlite3 connection for the event loop's thread, opened on first use.

    `fetch` answers the rows, or None when the statement should go through the pool instead.
    `close` drops the connection (the engine's `dispose` does, through `users`); the next
    `fetch` opens it again.
    """

    def __init__(self, path: str) -> None:
        self.uri = Path(path).absolute().as_uri() + "?mode=rw"
        self._connection: sqlite3.Connection | None = None
        self._writes = 0
        #: off for good once the file turns out not to be in WAL mode
        self.enabled = True
        self._checkpoint: asyncio.Task[None] | None = None

    def fetch(self, sql: str, parameters: tuple[Any, ...]) -> list[Any] | None:
        """All rows of `sql`, committed; None if it failed, so the pool must run it."""
        if not self.enabled:
            return None
        try:
            connection = self._connection or self._open()
            if connection is None:
                return None
            return connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            # The primary code: SQLITE_BUSY_SNAPSHOT and the like are busy too. Errors of
            # Python's own (e.g. a stored text that is not UTF-8) have no code at all.
            code = getattr(error, "sqlite_errorcode", None)
            if code is None or code & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                # Not a lock to wait for: start afresh next time, and let the pool report it.
                log.debug("inline SQLite statement failed: %s", error)
                self._drop_connection()
            return None

    def wrote(self) -> bool:
        """Count one inline write; True when a checkpoint is due (then the count restarts)."""
        self._writes += 1
        if self._writes < CHECKPOINT_EVERY:
            return False
        self._writes = 0
        return True

    def checkpoint_in_background(self, checkpoint: Coroutine[Any, Any, None]) -> None:
        """Run `checkpoint` (through the pool) as a task, kept here until it is over."""
        if self._checkpoint is not None and not self._checkpoint.done():
            checkpoint.close()  # one at a time: the running one covers these writes as well
            return
        self._checkpoint = asyncio.get_running_loop().create_task(checkpoint)

    async def wait_for_checkpoint(self) -> None:
        """Until the background checkpoint, if any, is over (tests, and `aclose`)."""
        if self._checkpoint is not None and not self._checkpoint.done():
            await asyncio.wait([self._checkpoint])  # its outcome is the task's own business

    async def aclose(self) -> None:
        """Let a running checkpoint finish, then close: call before disposing of the pool."""
        await self.wait_for_checkpoint()
        self.close()

    def close(self) -> None:
        if self._checkpoint is not None and not self._checkpoint.done():
            self._checkpoint.cancel()
        self._drop_connection()

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _open(self) -> sqlite3.Connection | None:
        # check_same_thread=False only because the loop may not be the thread that built this
        # object; every call still comes from the loop's thread.
        connection = sqlite3.connect(
            self.uri, uri=True, timeout=0, isolation_level=None, check_same_thread=False
        )
        try:
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
            if mode != "wal":
                log.info("SQLite statements go through the pool: journal_mode is %s", mode)
                self.enabled = False
                connection.close()
                return None
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA wal_autocheckpoint=0")
            connection.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_SIZE_LIMIT}")
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection
