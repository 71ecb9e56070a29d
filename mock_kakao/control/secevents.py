"""The admin API for the account-status webhook: send a Security Event Token about a person,
and see the deliveries (see :mod:`mock_kakao.world.secevents`).

``POST /_mock/users/{id}/events`` ``{"event": "account-purged"}`` (also ``user-unlinked``,
``user-linked``, ``user-scope-consent`` and ``user-scope-withdraw``, the last two with
``scopes``: consent item ids of the app; an optional ``reason``) signs and POSTs one SET to the
app's ``account_status_webhook_url`` and answers once it is done, with the delivery (``null``
when the app has none). It only sends: the person's link and consent at the fake stay as they
are (``/_mock/users/{id}/unlink`` and kapi's revoke change those). ``GET
/_mock/security_events`` lists the deliveries; ``DELETE`` clears them.
"""

from __future__ import annotations

from aiohttp import web

from mock_kakao.control.api import read_json, user_id_of
from mock_kakao.files import validation as v
from mock_kakao.kauth.oidc import base_url_of
from mock_kakao.web.appkeys import ALLOW_REMOTE, STATE
from mock_kakao.web.errors import InvalidInput
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world import secevents
from mock_kakao.world.requestlog import iso_time

routes = web.RouteTableDef()

EVENT_FIELDS = ("event", "scopes", "reason")
MAX_REASON_CHARS = 64


def _scopes(body: dict, event: str, known: tuple[str, ...]) -> tuple[str, ...]:
    """The consent items a scope event names: one or more of the app's, each once."""
    if event not in secevents.SCOPE_EVENTS:
        if body.get("scopes") is not None:
            raise InvalidInput(
                "INVALID_FIELD", f"scopes is only for {' and '.join(secevents.SCOPE_EVENTS)}"
            )
        return ()
    scopes = v.get_list(body, "scopes")
    if not scopes or len(set(scopes)) != len(scopes) or not all(s in known for s in scopes):
        raise InvalidInput(
            "INVALID_FIELD",
            f"scopes must list distinct consent items of the app: {', '.join(known)}",
        )
    return tuple(scopes)


@routes.post("/_mock/users/{user_id}/events")
async def send_event(request: web.Request) -> web.Response:
    state = request.app[STATE]
    user_id = user_id_of(request)
    body = v.expect_object(await read_json(request), "the body")
    v.reject_unknown(body, EVENT_FIELDS, "event request")
    event = v.get_str(body, "event")
    if event not in secevents.EVENT_TYPES:
        raise InvalidInput(
            "INVALID_FIELD", f"event must be one of: {', '.join(secevents.EVENT_TYPES)}"
        )
    scopes = _scopes(body, event, tuple(item.id for item in state.app.consent_items))
    reason = v.get_optional_str(body, "reason", None)
    if reason is not None and not 0 < len(reason) <= MAX_REASON_CHARS:
        raise InvalidInput("INVALID_FIELD", f"reason must be 1 to {MAX_REASON_CHARS} characters")
    state.get_user(user_id)
    now = state.clock.now()
    claims = secevents.event_claims(
        event=event,
        user_id=user_id,
        iss=state.app.issuer_for(base_url_of(request)),
        aud=state.app.settings.rest_api_key,
        iat=int(now),
        scopes=scopes,
        reason=reason,
    )
    delivery = None
    url = state.app.account_status_webhook_url
    if url is not None:
        delivery = await secevents.deliver(
            url=url,
            keys=state.app.keys,
            claims=claims,
            event=event,
            user_id=user_id,
            decision=state.faults.take(secevents.FAULT_PATH, user_id, named_only=True),
            stamp=iso_time(now),
            allow_remote=request.app[ALLOW_REMOTE],
        )
        state.security_events.append(delivery)
    return json_response(
        {
            "id": user_id,
            "event": event,
            "jti": claims["jti"],
            "delivery": delivery.to_json() if delivery else None,
        }
    )


@routes.get("/_mock/security_events")
async def list_deliveries(request: web.Request) -> web.Response:
    return json_response({"security_events": request.app[STATE].security_events.to_json()})


@routes.delete("/_mock/security_events")
async def clear_deliveries(request: web.Request) -> web.Response:
    request.app[STATE].security_events.clear()
    return web.Response(status=204)
