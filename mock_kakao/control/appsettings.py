"""The admin API for the fake's app: its settings (keys, registered URLs, OIDC switch, unlink
webhook) and signing keys (``/_mock/app``, ``/_mock/keys``), so key rotation, another key, a
client secret, an app without OpenID Connect or the webhook can be tested."""

from __future__ import annotations

from aiohttp import web

from mock_kakao.control.api import read_json
from mock_kakao.files import validation as v
from mock_kakao.kauth.oidc import base_url_of
from mock_kakao.web.appkeys import ALLOW_REMOTE, STATE
from mock_kakao.web.errors import InvalidInput
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world import webhook
from mock_kakao.world.kakaoapp import (
    DEFAULT_KEEP_OLD_SECONDS,
    MAX_KEEP_OLD_SECONDS,
    WEBHOOK_URL_FIELDS,
    parse_app_section,
)

routes = web.RouteTableDef()

#: what ``POST /_mock/keys/rotate`` takes
ROTATE_FIELDS = ("keep_old_seconds",)


@routes.get("/_mock/app")
async def get_app(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return json_response(state.app.to_json(base_url_of(request), state.clock.now()))


@routes.patch("/_mock/app")
async def update_app(request: web.Request) -> web.Response:
    """``{"oidc": false}``, ``{"web_domains": [...]}``, ``{"unlink_webhook_url": ...}``,
    ``{"consent_items": [...]}``...: the console's settings, until the next reset."""
    state = request.app[STATE]
    changes = parse_app_section(await read_json(request))
    for name in WEBHOOK_URL_FIELDS:
        url = changes.get(name)
        if url is not None and not webhook.may_call(url, request.app[ALLOW_REMOTE]):
            raise InvalidInput("INVALID_FIELD", webhook.not_local(name))
    state.app.update(changes)
    return json_response(state.app.to_json(base_url_of(request), state.clock.now()))


@routes.get("/_mock/keys")
async def list_keys(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return json_response({"keys": state.app.keys.to_control_json(state.clock.now())})


@routes.post("/_mock/keys/rotate")
async def rotate_keys(request: web.Request) -> web.Response:
    """A new signing key; the old one stays in the JWKS for ``keep_old_seconds`` (fake clock)."""
    state = request.app[STATE]
    body = v.expect_object(await read_json(request, {}), "the body")
    v.reject_unknown(body, ROTATE_FIELDS, "rotate request")
    keep = v.get_int(
        body, "keep_old_seconds", DEFAULT_KEEP_OLD_SECONDS, minimum=0, maximum=MAX_KEEP_OLD_SECONDS
    )
    now = state.clock.now()
    key = state.app.keys.rotate(now, keep)
    return json_response({"kid": key.kid, "keys": state.app.keys.to_control_json(now)}, status=201)
