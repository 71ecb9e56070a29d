"""Helpers shared by the browser tests."""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness_ui.stack import RunningStack

#: A laptop screen: what the page must be legible on, and the README screenshot's width.
VIEWPORT = {"width": 1440, "height": 900}


def admin(stack: RunningStack, method: str, path: str, body: object = None) -> object:
    """Call the fake's admin API directly, to set the scene a test starts from."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{stack.kakao_url}/_mock{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=5) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


@contextlib.contextmanager
def other_site(html: str, host: str = "127.0.0.2") -> Iterator[str]:
    """A page ``html`` served on another origin than the stack's (127.0.0.2 is neither a
    registered web domain nor the same site); yields its URL."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
