"""The ``/_mock/`` admin API: JSON in and out, a clear 4xx for every kind of bad input.

Handlers only translate HTTP to :class:`~mock_kakao.world.state.FakeKakao` calls; validation lives
in the parsers shared with the users file, so the file and the API accept exactly the same things.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from mock_kakao.control.requestmatch import parse_query, select
from mock_kakao.files import strictjson
from mock_kakao.files import validation as v
from mock_kakao.kauth import oidc
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.errors import ControlError, InvalidInput
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world import idtoken
from mock_kakao.world.faults import parse_fault, parse_faults
from mock_kakao.world.tokens import TOKEN_SPEC_FIELDS, parse_token_spec, seconds_left

routes = web.RouteTableDef()

_MISSING_BODY = object()
MAX_ID_DIGITS = len(str(v.MAX_USER_ID))
#: this API's OpenAPI document, served at /_mock/openapi.yaml and fuzzed by the tests
OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")


async def read_json(request: web.Request, default: Any = _MISSING_BODY) -> Any:
    """The request's JSON body (see strictjson); ``default`` when there is none and that is
    allowed. Only an empty body is none: whitespace alone is not JSON, so it is INVALID_JSON."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ControlError(
            413,
            "BODY_TOO_LARGE",
            f"admin request bodies are at most {request.client_max_size} bytes",
        ) from None
    if not raw:
        if default is _MISSING_BODY:
            raise InvalidInput("INVALID_JSON", "a JSON body is required")
        return default
    return strictjson.loads(raw)


def user_id_of(request: web.Request) -> int:
    """The path's user id: ASCII digits only (see ``parse_id``)."""
    user_id = v.parse_id(request.match_info["user_id"], v.MAX_USER_ID)
    if user_id is None:
        raise ControlError(404, "USER_NOT_FOUND", "user ids are integers")
    return user_id


@routes.get("/_mock/openapi.yaml")
async def get_openapi(request: web.Request) -> web.Response:
    """The admin API's own contract (read per request: tiny, and never stale while editing)."""
    document = OPENAPI_PATH.read_text("utf-8")
    return web.Response(text=document, content_type="application/yaml", charset="utf-8")


@routes.get("/_mock/config")
async def get_config(request: web.Request) -> web.Response:
    return json_response(request.app[STATE].config_json())


@routes.get("/_mock/users")
async def list_users(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return json_response({"users": state.users_json()})


@routes.post("/_mock/users")
async def create_user(request: web.Request) -> web.Response:
    state = request.app[STATE]
    user = state.add_user(await read_json(request))
    return json_response(state.user_json(user), status=201)


@routes.get("/_mock/users/{user_id}")
async def get_user(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return json_response(state.user_json(state.get_user(user_id_of(request))))


@routes.patch("/_mock/users/{user_id}")
async def update_user(request: web.Request) -> web.Response:
    state = request.app[STATE]
    user = state.update_user(user_id_of(request), await read_json(request))
    return json_response(state.user_json(user))


@routes.delete("/_mock/users/{user_id}")
async def delete_user(request: web.Request) -> web.Response:
    request.app[STATE].delete_user(user_id_of(request))
    return web.Response(status=204)


@routes.post("/_mock/users/{user_id}/tokens")
async def issue_token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    user_id = user_id_of(request)
    body = v.expect_object(await read_json(request, {}), "the body")
    body, scope, nonce = idtoken.parse_token_request(body)  # "scope": "openid", "nonce"
    v.reject_unknown(body, TOKEN_SPEC_FIELDS, "token request")
    spec = parse_token_spec(body)
    token = state.issue_token(user_id, spec, oidc=oidc.control_login(state, spec, scope, nonce))
    now = state.clock.now()
    return json_response(
        {
            "access_token": token.value,
            "refresh_token": token.grant.refresh_token,
            "token_type": "bearer",
            "expires_in": seconds_left(token.expires_at, now),
            "refresh_token_expires_in": seconds_left(token.grant.refresh_expires_at, now),
            "app_id": token.grant.app_id,
            **oidc.id_token_field(request, token, fresh=True),
        },
        status=201,
    )


@routes.get("/_mock/faults")
async def list_faults(request: web.Request) -> web.Response:
    return json_response({"faults": request.app[STATE].faults.to_json()})


@routes.put("/_mock/faults")
async def replace_faults(request: web.Request) -> web.Response:
    faults = request.app[STATE].faults
    faults.replace(parse_faults(await read_json(request)))
    return json_response({"faults": faults.to_json()})


@routes.post("/_mock/faults")
async def add_fault(request: web.Request) -> web.Response:
    """Append one fault: unlike PUT, no read-modify-write race between two helpers."""
    faults = request.app[STATE].faults
    faults.add(parse_fault(await read_json(request)))
    return json_response({"faults": faults.to_json()}, status=201)


@routes.delete("/_mock/faults")
async def clear_faults(request: web.Request) -> web.Response:
    request.app[STATE].faults.replace([])
    return web.Response(status=204)


@routes.get("/_mock/requests")
async def list_requests(request: web.Request) -> web.Response:
    """The log, narrowed by ``?method=&path=&user_id=&status=&since=&limit=`` (all optional)."""
    query = parse_query(request.query.items())
    return json_response({"requests": select(request.app[STATE].log.to_json(), query)})


@routes.delete("/_mock/requests")
async def clear_requests(request: web.Request) -> web.Response:
    request.app[STATE].log.clear()
    return web.Response(status=204)


@routes.post("/_mock/reset")
async def reset(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.reset()
    return json_response({"users": len(state.users), "now": state.clock.now()})


@routes.get("/_mock/clock")
async def get_clock(request: web.Request) -> web.Response:
    clock = request.app[STATE].clock
    return json_response({"now": clock.now(), "offset": clock.offset})


@routes.post("/_mock/clock")
async def advance_clock(request: web.Request) -> web.Response:
    body = v.expect_object(await read_json(request), "the body")
    v.reject_unknown(body, ("advance",), "clock request")
    clock = request.app[STATE].clock
    limit = 2 * v.MAX_SPAN_SECONDS  # from one end of the clock's range to the other
    now = clock.advance(v.get_number(body, "advance", minimum=-limit, maximum=limit))
    return json_response({"now": now, "offset": clock.offset})
