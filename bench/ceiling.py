"""The ceiling: the least a Tornado process can do per request, measured like our service.

It answers GET and POST with a small JSON body of the same shape as our GET /auth/kakao, with
no Kakao call and no database, on Tornado's default asyncio loop. Our service can only approach
this number; the ratio says how much of Tornado's budget our own code spends.

Run alone: `python -m bench.ceiling --port 8100`.
"""

from __future__ import annotations

import argparse
import asyncio

import tornado.web

_RESULT = {
    "result": {"kakao_id": 4000000001, "user_name": "ceiling", "email": None, "is_user": True}
}


class CeilingHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write(_RESULT)

    def post(self) -> None:
        self.write(_RESULT)


class HealthHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write({"status": "ok"})


def make_app() -> tornado.web.Application:
    # Tornado logs every request at INFO, but only once logging is configured; it is not here,
    # matching a service that logs nothing per request.
    return tornado.web.Application([(r"/auth/kakao", CeilingHandler), (r"/healthz", HealthHandler)])


async def serve(host: str, port: int) -> None:
    make_app().listen(port, address=host)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
