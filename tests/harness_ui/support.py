"""Helpers shared by the browser tests."""

from __future__ import annotations

import json
import urllib.request

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
