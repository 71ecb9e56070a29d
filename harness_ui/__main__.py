"""`python -m harness_ui`: the page alone, for a service and a fake Kakao started elsewhere
(`python -m service`, `python -m mock_kakao`). `run_all.py` is the usual way to start all three.
"""

from __future__ import annotations

import argparse
import os

from aiohttp import web

from harness_ui.config import DEFAULT_APP_ID
from harness_ui.server import create_app
from mock_kakao.kakaoapp import DEFAULT_JAVASCRIPT_KEY
from mock_kakao.server import IDLE_TIMEOUT
from mock_kakao.state import DEFAULT_REST_API_KEY


def main(argv: list[str] | None = None) -> None:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m harness_ui", description=__doc__)
    parser.add_argument("--host", default=env("HARNESS_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("HARNESS_UI_PORT", "8002")))
    parser.add_argument(
        "--service-url", default=env("HARNESS_SERVICE_URL", "http://127.0.0.1:8000")
    )
    parser.add_argument("--kakao-url", default=env("HARNESS_KAKAO_URL", "http://127.0.0.1:8001"))
    parser.add_argument("--app-id", type=int, default=int(env("HARNESS_APP_ID", DEFAULT_APP_ID)))
    parser.add_argument(
        "--client-id",
        default=env("HARNESS_CLIENT_ID", DEFAULT_REST_API_KEY),
        help="the fake's REST API key, for the redirect flow (default: the fake's default)",
    )
    parser.add_argument(
        "--javascript-key",
        default=env("HARNESS_JAVASCRIPT_KEY", DEFAULT_JAVASCRIPT_KEY),
        help="the fake's JavaScript key, for Kakao.init (default: the fake's default)",
    )
    args = parser.parse_args(argv)
    app = create_app(
        args.service_url, args.kakao_url, args.app_id, args.client_id, args.javascript_key
    )
    web.run_app(app, host=args.host, port=args.port, print=None, keepalive_timeout=IDLE_TIMEOUT)


if __name__ == "__main__":
    main()
