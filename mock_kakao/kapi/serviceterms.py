"""Kakao Sync's service-terms APIs: ``GET /v2/user/service_terms``, its revoke and upgrade, and
the older ``GET /v1/user/service/terms`` (kakao-api.md, "Kakao Sync service terms").

Who is asked about is the Bearer token's user, or, with the app's admin key, ``target_id``'s
(:mod:`mock_kakao.kapi.adminkey`; the older API is not on the admin key's list, so the key gets
its 403 -3 there). The decisions are :mod:`mock_kakao.world.serviceterms`'s.
"""

from __future__ import annotations

from aiohttp import web

from mock_kakao.kapi import adminkey
from mock_kakao.kapi.user import authenticate
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world import serviceterms
from mock_kakao.world.users import FakeUser

routes = web.RouteTableDef()


async def person(request: web.Request) -> FakeUser:
    """The Bearer token's user, or the admin key's ``target_id``."""
    if adminkey.is_admin_call(request):
        return await adminkey.target_user(request)
    _, user = await authenticate(request)
    return user


@routes.get("/v2/user/service_terms")
async def service_terms(request: web.Request) -> web.Response:
    state = request.app[STATE]
    user = await person(request)
    params = await adminkey.parameters(request)
    body = serviceterms.service_terms_json(
        user.id,
        state.app.settings.service_terms,
        user.service_terms,
        result=params.get("result"),
        tags=params.get("tags"),
        app_id=state.app_id,
    )
    return json_response(body)


@routes.post("/v2/user/revoke/service_terms")
async def revoke_service_terms(request: web.Request) -> web.Response:
    state = request.app[STATE]
    user = await person(request)
    params = await adminkey.parameters(request)
    left, gone = serviceterms.revoked(
        state.app.settings.service_terms, user.service_terms, params.get("tags"), state.app_id
    )
    state.set_service_terms(user.id, left)
    return json_response({"id": user.id, "revoked_service_terms": gone})


@routes.post("/v2/user/upgrade/service_terms")
async def upgrade_service_terms(request: web.Request) -> web.Response:
    """The service records an agreement it collected itself (``agreed_by: KAPI``)."""
    state = request.app[STATE]
    user = await person(request)
    params = await adminkey.parameters(request)
    now = serviceterms.rfc3339(state.clock.now())
    agreements, agreed = serviceterms.upgraded(
        state.app.settings.service_terms, user.service_terms, params.get("tags"), now
    )
    state.set_service_terms(user.id, agreements)
    return json_response({"id": user.id, "agreed_service_terms": agreed})


@routes.get("/v1/user/service/terms")
async def legacy_service_terms(request: web.Request) -> web.Response:
    state = request.app[STATE]
    user = await person(request)
    body = serviceterms.legacy_terms_json(
        user.id,
        state.app.settings.service_terms,
        user.service_terms,
        extra=request.query.get("extra"),
        since=user.connected_at,
    )
    return json_response(body)
