"""``GET|PUT /_mock/state``: the fake's whole state (snapshot.py) exported and imported.

PUT checks the whole document before anything changes: a bad one is a 400 in the admin shape
and the state stays as it was. It replaces users, grants and tokens, consents, app settings,
the clock's offset and faults; authorization codes in flight are dropped. The signing keys are
not in the document (their private halves never leave through the admin API), nor the request
log or webhook deliveries (history, not state).
"""

from __future__ import annotations

from aiohttp import web

from mock_kakao.control.api import read_json
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world.snapshot import parse_snapshot

routes = web.RouteTableDef()


@routes.get("/_mock/state")
async def export_state(request: web.Request) -> web.Response:
    return json_response(request.app[STATE].snapshot().to_json())


@routes.put("/_mock/state")
async def import_state(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.restore(parse_snapshot(await read_json(request)))
    return json_response(state.snapshot().to_json())
