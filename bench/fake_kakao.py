"""Run the fake Kakao for the bench: `python -m bench.fake_kakao --port P [--uvloop]`.

Same app as `python -m mock_kakao` (built through its public `create_app`), with the bundled
users, but without aiohttp's per-request access log: under thousands of requests a second that
log line is a measurable share of the fake's CPU, and the fake must not be what limits the
measurement. `--uvloop` is there for the same reason, should the fake's CPU ever saturate.
"""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

from mock_kakao.app import create_app
from mock_kakao.world.state import FakeKakao


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--app-id", type=int, default=10001)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop's event loop")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    app = create_app(FakeKakao.from_file(None, app_id=args.app_id))
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None, loop=loop)


if __name__ == "__main__":
    main()
