"""kapi.kakao.com: the user API the backend calls with a person's access token, or with the
app's admin key and a ``target_id`` (see :mod:`mock_kakao.kapi.adminkey`)."""

from __future__ import annotations

from aiohttp import web

from mock_kakao.kapi import adminkey, propertykeys
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world.tokens import AccessToken, presented_token, seconds_left
from mock_kakao.world.users import FakeUser, render_me

routes = web.RouteTableDef()


async def authenticate(request: web.Request) -> tuple[AccessToken, FakeUser]:
    """Kakao's checks, in Kakao's order: a token presented (the header, else ``access_token``
    in the query or form), well formed, known, not expired."""
    header = request.headers.get("Authorization")
    param = None if header is not None else (await adminkey.parameters(request)).get("access_token")
    return request.app[STATE].authenticate(presented_token(header, param))


@routes.get("/v2/user/me")
@routes.post("/v2/user/me")
async def user_me(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if adminkey.is_admin_call(request):  # the admin key and a target id: what the person agreed
        user = await adminkey.target_user(request)
        consent = state.linked_consent(user.id) or state.default_consent(user.id)
    else:
        token, user = await authenticate(request)
        consent = state.consent_of(token)
    params = await propertykeys.me_params(request)
    custom = state.app.settings.user_properties
    keys = propertykeys.parse_property_keys(params.get("property_keys"), custom, state.app_id)
    secure = propertykeys.parse_secure_resource(params.get("secure_resource"))
    body = render_me(user, consent, state.item_ids, secure=secure, custom=custom)
    return json_response(propertykeys.select(body, keys))


@routes.get("/v1/user/access_token_info")
async def access_token_info(request: web.Request) -> web.Response:
    token, user = await authenticate(request)
    expires_in = seconds_left(token.expires_at, request.app[STATE].clock.now())
    return json_response({"id": user.id, "expires_in": expires_in, "app_id": token.grant.app_id})


@routes.post("/v1/user/logout")
async def logout(request: web.Request) -> web.Response:
    if adminkey.is_admin_call(request):
        user = await adminkey.target_user(request)
        request.app[STATE].logout_user(user.id)  # every token of the user, every device
        return json_response({"id": user.id})
    token, user = await authenticate(request)
    request.app[STATE].logout(token)
    return json_response({"id": user.id})


@routes.post("/v1/user/unlink")
async def unlink(request: web.Request) -> web.Response:
    """The app unlinks the person itself: Kakao sends no webhook for it."""
    if adminkey.is_admin_call(request):
        user = await adminkey.target_user(request)
        request.app[STATE].unlink_user(user.id)
        return json_response({"id": user.id})
    token, user = await authenticate(request)
    request.app[STATE].unlink(token)
    return json_response({"id": user.id})


@routes.get("/v1/user/ids")
async def user_ids(request: web.Request) -> web.Response:
    adminkey.check_admin_key(request)
    return json_response(adminkey.ids_page(request))
