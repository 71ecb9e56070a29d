"""One command for local development: fake Kakao + service + harness page, in one asyncio loop.

    python run_all.py            # the three servers on 8001 / 8000 / 8002, page opened
    python run_all.py --smoke    # the whole flow for every fake user, on free ports; CI runs it
    python run_all.py --help     # every flag and its environment variable

The logic lives in `harness_ui` (cli, stack, runner, smoke); this file is the entry point.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import NoReturn


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of `python run_all.py` and the `kakao-login-harness` console script; ends
    the process (see harness_ui.runner.exit_now)."""
    started = time.monotonic()
    # Imported here, not at the top, so the "ready in" time includes loading the three parts.
    from harness_ui.cli import run
    from harness_ui.runner import exit_now

    exit_now(run(argv, started))


if __name__ == "__main__":
    main()
