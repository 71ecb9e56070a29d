"""``GET|PUT /_mock/state``: the fake's whole state (snapshot.py) exported and imported.

PUT checks the whole document before anything changes: a bad one is a 400 in the admin shape
and the state stays as it was. It replaces users, grants and tokens, consents, app settings,
the clock's offset and faults; authorization codes in flight are dropped. App settings pinned by
a flag or environment variable keep their values (kakaoapp.py); the answer's
``Mock-Kakao-Pinned`` header names those the document tried to change. The signing keys are
not in the document (their private halves never leave through the admin API), nor the request
log or webhook deliveries (history, not state).
"""

from __future__ import annotations

from aiohttp import web

from mock_kakao.control.api import read_json
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world.snapshot import parse_snapshot

#: names the pinned settings an import tried to change; they kept their pinned values. Not in
#: the body, which stays a state document that imports back as it is.
PINNED_HEADER = "Mock-Kakao-Pinned"

routes = web.RouteTableDef()


@routes.get("/_mock/state")
async def export_state(request: web.Request) -> web.Response:
    return json_response(request.app[STATE].snapshot().to_json())


@routes.put("/_mock/state")
async def import_state(request: web.Request) -> web.Response:
    state = request.app[STATE]
    overridden = state.import_snapshot(parse_snapshot(await read_json(request)))
    answer = json_response(state.snapshot().to_json())
    if overridden:
        answer.headers[PINNED_HEADER] = ",".join(overridden)
    return answer
