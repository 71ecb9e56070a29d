"""Which event loop the service runs on: uvloop when it is installed, asyncio's own otherwise.

uvloop (libuv under asyncio's API) cut the service's CPU time per request by about a tenth in
the bench (see bench/README.md). It is optional: without it, or with `SERVICE_UVLOOP=0` in the
environment (or `python -m service --no-uvloop`), the service runs on asyncio's default loop,
with the same behaviour.

    from service.web.eventloop import run
    run(main())           # like asyncio.run(main()), on uvloop when available
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

#: set to 0/false/no/off to run on asyncio's own loop even when uvloop is installed
ENV_VAR = "SERVICE_UVLOOP"
_OFF = {"0", "false", "no", "off"}


def loop_factory(use_uvloop: bool | None = None) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's `new_event_loop` when wanted and installed, else None (asyncio's default).

    `use_uvloop=None` follows the `SERVICE_UVLOOP` environment variable (default: on).
    """
    if use_uvloop is None:
        use_uvloop = os.environ.get(ENV_VAR, "1").strip().lower() not in _OFF
    if not use_uvloop:
        return None
    try:
        import uvloop
    except ImportError:  # optional: asyncio's loop does the same job, a little slower
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T], *, use_uvloop: bool | None = None) -> T:
    """`asyncio.run(main)` on the loop `loop_factory` picks (asyncio.Runner takes a factory)."""
    with asyncio.Runner(loop_factory=loop_factory(use_uvloop)) as runner:
        return runner.run(main)


def loop_name() -> str:
    """The running loop's kind, for the start-up log line."""
    loop = asyncio.get_running_loop()
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
