"""The admin API for the account lifecycle on Kakao's side: a person disconnects the app (or
their Kakao account goes away), and the fake calls the app's unlink webhook.

``POST /_mock/users/{id}/unlink`` ``{"referrer_type": "ACCOUNT_DELETE"}`` (default
``UNLINK_FROM_APPS``) unlinks the user from the fake's app, revoking their tokens, then delivers
the webhook and answers once it is done, with the delivery (``null`` when the app has no webhook
URL), so a test needs no polling. ``GET /_mock/webhooks`` lists every delivery; ``DELETE``
clears the list. The fake keeps the Kakao user: they can log in (and sign up) again.
"""

from __future__ import annotations

from aiohttp import web

from mock_kakao.control.api import read_json, user_id_of
from mock_kakao.files import validation as v
from mock_kakao.web.appkeys import ALLOW_REMOTE, STATE
from mock_kakao.web.errors import ControlError
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world import webhook
from mock_kakao.world.requestlog import iso_time

routes = web.RouteTableDef()


@routes.post("/_mock/users/{user_id}/unlink")
async def disconnect(request: web.Request) -> web.Response:
    state = request.app[STATE]
    user_id = user_id_of(request)
    body = v.expect_object(await read_json(request, {}), "the body")
    v.reject_unknown(body, ("referrer_type",), "unlink request")
    referrer_type = v.get_choice(
        body, "referrer_type", webhook.REFERRER_TYPES, webhook.DEFAULT_REFERRER_TYPE
    )
    state.get_user(user_id)
    if not state.is_linked(user_id):
        raise ControlError(409, "NOT_LINKED", f"user {user_id} has not let app {state.app_id} in")
    state.unlink_user(user_id)  # done before the webhook, as Kakao does
    app = state.app
    delivery = None
    if app.unlink_webhook_url is not None:
        fields = {
            "app_id": str(state.app_id),
            "user_id": str(user_id),
            "referrer_type": referrer_type,
        }
        delivery = await webhook.deliver(
            url=app.unlink_webhook_url,
            method=app.unlink_webhook_method,
            admin_key=app.admin_key,
            fields=fields,
            decision=state.faults.take(webhook.FAULT_PATH, user_id, named_only=True),
            stamp=iso_time(state.clock.now()),
            allow_remote=request.app[ALLOW_REMOTE],
        )
        state.webhooks.append(delivery)
    return json_response(
        {
            "id": user_id,
            "referrer_type": referrer_type,
            "webhook": delivery.to_json() if delivery else None,
        }
    )


@routes.get("/_mock/webhooks")
async def list_webhooks(request: web.Request) -> web.Response:
    return json_response({"webhooks": request.app[STATE].webhooks.to_json()})


@routes.delete("/_mock/webhooks")
async def clear_webhooks(request: web.Request) -> web.Response:
    request.app[STATE].webhooks.clear()
    return web.Response(status=204)
