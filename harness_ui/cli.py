"""What `run_all.py` does: parse the flags, then serve or run the smoke check.

Start-up failures a person can fix (busy port, bad users file, bad setting) are one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Sequence

import logsafe
from harness_ui.config import config_from_args, parse_args
from harness_ui.errors import StartupError
from harness_ui.runner import serve, should_open_browser
from harness_ui.smoke import smoke_main

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def run(argv: Sequence[str] | None = None, started: float | None = None) -> int:
    started = time.monotonic() if started is None else started
    try:
        args = parse_args(argv)
        if args.smoke:  # prints its own table; the servers' logs would only bury it
            return asyncio.run(
                smoke_main(
                    args.users_file,
                    args.app_id,
                    args.host,
                    started,
                    allow_remote=args.allow_remote,
                )
            )
        config = config_from_args(args)
        # Request lines and warnings on stderr: paths only, and the fake redacts tokens; one
        # line each, whatever a request carried (see logsafe).
        logsafe.configure(logging.INFO, LOG_FORMAT)
        return asyncio.run(serve(config, should_open_browser(args.no_browser), started))
    except StartupError as error:
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before the loop's signal handlers exist
        return 130
