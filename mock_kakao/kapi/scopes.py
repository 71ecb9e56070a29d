"""``GET /v2/user/scopes`` and ``POST /v2/user/revoke/scopes``: what a person agreed to share
with the app, and taking some of it back.

Who is asked about comes from :func:`subject`: the Bearer token's user and that grant's
consent. Kakao also takes the app's admin key with ``target_id_type=user_id&target_id=``
(issue 13); that is one more branch in :func:`subject` (the user named by ``target_id``, with
the consent the app remembers for them, ``FakeKakao.linked_consent``), nothing else changes.
"""

from __future__ import annotations

from aiohttp import web

from mock_kakao.kapi import adminkey
from mock_kakao.kapi.propertykeys import me_params
from mock_kakao.kapi.user import authenticate
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.errors import KapiError
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world import consentitems
from mock_kakao.world.users import Consent, FakeUser

routes = web.RouteTableDef()


async def subject(request: web.Request) -> tuple[FakeUser, Consent]:
    """The user these endpoints are about and the consent they gave: the Bearer token's, or,
    with the admin key, ``target_id``'s (what they agreed to the app)."""
    state = request.app[STATE]
    if adminkey.is_admin_call(request):
        user = await adminkey.target_user(request)
        return user, state.linked_consent(user.id) or state.default_consent(user.id)
    token, user = await authenticate(request)
    return user, state.consent_of(token)


def requested_scopes(params: dict[str, str]) -> list[str]:
    scopes = consentitems.parse_scope_list(params.get("scopes"))
    if scopes is None:
        raise KapiError(400, -2, 'scopes must be a JSON array such as ["account_email"]')
    return scopes


def check_revocable(items: tuple[consentitems.ConsentItem, ...], agreed: Consent, ids: list[str]):
    """Kakao's two refusals: a required item (-3), an id not agreed to or unknown (-2)."""
    required = [i for i in ids if i in consentitems.required_ids(items) and agreed.has(i)]
    if required:
        raise KapiError(
            403,
            -3,
            f"[{', '.join(required)}] is not revocable. "
            "check out if it's set as required on developers.kakao.com",
        )
    unknown = [i for i in ids if not agreed.has(i)]
    if unknown or not ids:
        raise KapiError(
            400,
            -2,
            "There is no scopes to revoke. "
            f"check out if given scope id([{', '.join(unknown or ids)}]) is correct again.",
        )


@routes.get("/v2/user/scopes")
async def user_scopes(request: web.Request) -> web.Response:
    user, consent = await subject(request)
    only = requested_scopes(await me_params(request))
    items = request.app[STATE].app.consent_items
    return json_response(consentitems.scopes_json(user.id, items, consent.agreed, only))


@routes.post("/v2/user/revoke/scopes")
async def revoke_scopes(request: web.Request) -> web.Response:
    state = request.app[STATE]
    user, consent = await subject(request)
    ids = requested_scopes(await me_params(request))
    check_revocable(state.app.consent_items, consent, ids)
    state.revoke_consent(user.id, ids)
    remaining = consent.without(ids)
    return json_response(
        consentitems.scopes_json(user.id, state.app.consent_items, remaining.agreed)
    )
