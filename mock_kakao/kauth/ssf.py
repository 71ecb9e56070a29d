"""kauth's Shared Signals transmitter configuration, ``/.well-known/sse-configuration``.

Kakao publishes it (kakao-api.md, section 1, CONFIRMED): the issuer of its Security Event
Tokens, where their keys are (the id_tokens' JWKS) and that delivery is push. The SETs
themselves are :mod:`mock_kakao.world.secevents`.
"""

from __future__ import annotations

from aiohttp import web

from mock_kakao.kauth.oidc import base_url_of
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world import secevents

routes = web.RouteTableDef()


@routes.get(secevents.CONFIGURATION_PATH)
async def transmitter_configuration(request: web.Request) -> web.Response:
    state = request.app[STATE]
    base = base_url_of(request)
    return json_response(secevents.configuration(state.app.issuer_for(base), base))
