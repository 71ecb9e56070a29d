"""HarnessStack: fake Kakao + service + page in a background thread, for tests (ours or a
frontend team's), over real sockets on free loopback ports.

Its own thread and event loop let it serve sync tests (Playwright's sync API), async tests and
other threads alike, and live for a whole pytest session.

    with HarnessStack(data_dir=tmp_path) as stack:
        page.goto(stack.ui_url)
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from harness_ui.config import StackConfig
from harness_ui.stack import RunningStack, start_stack

START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0


class HarnessStack:
    """The whole stack on free ports; a throwaway SQLite database in `data_dir`."""

    def __init__(
        self, data_dir: Path, users_file: Path | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.config = StackConfig(
            host=host,
            service_port=0,
            kakao_port=0,
            ui_port=0,
            data_dir=data_dir,
            users_file=users_file,
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="harness", daemon=True)
        self._stack: RunningStack | None = None

    @property
    def stack(self) -> RunningStack:
        if self._stack is None:
            raise RuntimeError("HarnessStack is not running: call start() or use it as a context")
        return self._stack

    def start(self) -> RunningStack:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(start_stack(self.config), self._loop)
        try:
            self._stack = future.result(START_TIMEOUT)
        except BaseException:
            self._stop_loop()
            raise
        return self._stack

    def stop(self) -> None:
        if self._stack is not None:
            asyncio.run_coroutine_threadsafe(self._stack.stop(), self._loop).result(STOP_TIMEOUT)
            self._stack = None
        self._stop_loop()

    def _stop_loop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(STOP_TIMEOUT)
        self._loop.close()

    def __enter__(self) -> RunningStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
