"""``POST /v2/api/talk/memo/default/send``: KakaoTalk's "send to me" message, the API of Kakao's
own -402 fixture (issue 21 item 4), so additional consent can be exercised end to end.

The fake sends nothing: it checks the token, the ``talk_message`` consent
(:mod:`mock_kakao.kapi.insufficient_scope`) and that ``template_object`` is a JSON object, and
answers ``{"result_code": 0}``; the request log shows the call. Kakao's template rules (object
types, links) are not checked.
"""

from __future__ import annotations

import json

from aiohttp import web

from mock_kakao.kapi import insufficient_scope
from mock_kakao.kapi.propertykeys import me_params
from mock_kakao.kapi.user import authenticate
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.errors import KapiError
from mock_kakao.web.jsonresp import json_response

routes = web.RouteTableDef()

MEMO_PATH = "/v2/api/talk/memo/default/send"


def check_template(raw: str | None) -> None:
    """Kakao's bad-parameter -2 unless ``template_object`` is a JSON object string."""
    try:
        template = json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        template = None
    if not isinstance(template, dict):
        raise KapiError(400, -2, "template_object must be a JSON object string")


@routes.post(MEMO_PATH)
async def send_memo(request: web.Request) -> web.Response:
    token, _user = await authenticate(request)
    insufficient_scope.require(request.app[STATE].consent_of(token), MEMO_PATH)
    check_template((await me_params(request)).get("template_object"))
    return json_response({"result_code": 0})
