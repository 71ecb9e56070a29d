"""`python -m bench.uvloop_run MODULE [ARGS...]`: run `python -m MODULE` on uvloop's event loop.

For measuring "what would uvloop give the service?" without touching the service's code: the
bench's `--service-uvloop` starts the service through this. It works for any program that starts
its loop with `asyncio.run()`, which takes the loop from the policy set here.
"""

from __future__ import annotations

import asyncio
import runpy
import sys

import uvloop


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit("usage: python -m bench.uvloop_run MODULE [ARGS...]")
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
