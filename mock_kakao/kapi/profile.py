"""``POST /v1/user/update_profile``: the app writes the person's custom user properties.

``properties`` is a JSON object string, ``{"grade": "gold"}`` (Kakao's SDKs send it so; the
JavaScript SDK turns its object into one). Values are strings. Each key must be one the app
added (``app.user_properties``), else Kakao's -201; the three built-in keys (``nickname``,
``profile_image``, ``thumbnail_image``) follow the person's Kakao profile since 2022-05-12 and
cannot be written (Kakao answers an error it does not name: the fake's is -2). Keys not given
keep their values. The answer is ``{"id": <user id>}``; ``/v2/user/me`` reads the values back.
Bearer only: the admin key may not call it (Kakao's list of admin-key APIs leaves it out).
"""

from __future__ import annotations

import json
from collections.abc import Collection

from aiohttp import web

from mock_kakao.kapi import adminkey
from mock_kakao.kapi.propertykeys import me_params, property_not_found
from mock_kakao.kapi.user import authenticate
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.errors import KapiError
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world.users import DEFAULT_PROPERTIES, with_properties

routes = web.RouteTableDef()

SHAPE = 'properties must be a JSON object of strings: {"key": "value"}'
BUILT_IN = (
    f"{', '.join(DEFAULT_PROPERTIES)} cannot be updated: "
    "they follow the Kakao profile since 2022-05-12"
)


def parse_properties(raw: str | None, custom: Collection[str], app_id: int) -> dict[str, str]:
    """The properties to write, checked in Kakao's spirit: shape (-2), built-in keys (-2),
    keys the app has not added (-201)."""
    if raw is None:
        raise KapiError(400, -2, "properties is required")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict) or not all(isinstance(text, str) for text in value.values()):
        raise KapiError(400, -2, SHAPE)
    if not value:
        raise KapiError(400, -2, "properties must name at least one key")
    if any(key in DEFAULT_PROPERTIES for key in value):
        raise KapiError(400, -2, BUILT_IN)
    missing = [key for key in value if key not in custom]
    if missing:
        raise property_not_found(missing, app_id)
    return value


@routes.post("/v1/user/update_profile")
async def update_profile(request: web.Request) -> web.Response:
    if adminkey.is_admin_call(request):
        adminkey.check_admin_key(request)  # the key checked, then -3: not an admin-key API
        raise KapiError(403, -3, adminkey.NOT_ALLOWED)
    _, user = await authenticate(request)
    state = request.app[STATE]
    params = await me_params(request)
    changes = parse_properties(
        params.get("properties"), state.app.settings.user_properties, state.app_id
    )
    state.users[user.id] = with_properties(user, changes)
    return json_response({"id": user.id})
