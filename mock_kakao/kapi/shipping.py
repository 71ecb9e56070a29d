"""``GET /v1/user/shipping_address``: the person's shipping addresses, a page at a time.

With the person's Bearer token, or with the app's admin key and ``target_id`` (one of the
admin key's documented APIs). The person must have agreed to the ``shipping_address`` item:
otherwise the answer says ``shipping_addresses_needs_agreement: true`` and lists nothing. An
app that does not ask for the item at all gets kapi's -402 (insufficient scopes, with the
``api_type`` and scopes of :mod:`mock_kakao.kapi.insufficient_scope`): no consent can bring
it. Paging is in :mod:`mock_kakao.world.shipping`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from aiohttp import web

from mock_kakao.kapi import insufficient_scope
from mock_kakao.kapi.propertykeys import me_params
from mock_kakao.kapi.scopes import subject
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.errors import KapiError
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world import shipping
from mock_kakao.world.users import Consent

routes = web.RouteTableDef()

ITEM = "shipping_address"
#: an integer, or (Kakao's Flutter SDK sends ``seconds / 1000`` as a Dart double) ``123.0``
_WHOLE = re.compile(r"[0-9]{1,19}(\.[0-9]{1,9})?")


def _int(params: Mapping[str, str], name: str, minimum: int, maximum: int) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not _WHOLE.fullmatch(raw):
        raise KapiError(400, -2, f"{name} must be a non-negative integer")
    value = int(raw.partition(".")[0])
    if not minimum <= value <= maximum:
        raise KapiError(400, -2, f"{name} must be between {minimum} and {maximum}")
    return value


def page_request(params: Mapping[str, str]) -> shipping.PageRequest:
    """The paging parameters, checked; Kakao's -2 for a bad one."""
    page_size = _int(params, "page_size", 1, shipping.MAX_PAGE_SIZE)
    return shipping.PageRequest(
        address_id=_int(params, "address_id", 1, 2**63 - 1),
        from_updated_at=_int(params, "from_updated_at", 0, 2**63 - 1) or 0,
        page_size=shipping.DEFAULT_PAGE_SIZE if page_size is None else page_size,
    )


@routes.get("/v1/user/shipping_address")
async def shipping_address(request: web.Request) -> web.Response:
    user, consent = await subject(request)
    asked = page_request(await me_params(request))
    if ITEM not in request.app[STATE].item_ids:
        # no consent of the person's can bring it: Kakao's -402 with the API's scope table row
        insufficient_scope.require(Consent(agreed=consent.agreed - {ITEM}), request.path)
    body = shipping.shipping_json(user.id, user.shipping_addresses, asked, agreed=consent.has(ITEM))
    return json_response(body)
