"""Insufficient scope: which kapi APIs need which consent items, and Kakao's 403 -402 for a
call whose grant lacks one (issue 21 item 4).

Kakao answers such a call with its fixture's body (kakao-api.md, "kapi errors", [FLTFIX])::

    {"msg": "insufficient scopes.", "code": -402, "api_type": "TALK_MEMO_DEFAULT_SEND",
     "required_scopes": ["talk_message"], "allowed_scopes": ["profile", "account_email"]}

and the app sends the person to additional consent (``scope=<required_scopes>`` on
/oauth/authorize); the new token's call then succeeds. ``/v2/user/me`` is not here: an item
not agreed is ``<item>_needs_agreement: true`` there, never -402.

An endpoint that needs an item calls :func:`require` with the consent it authenticated
(``FakeKakao.consent_of(token)``, or ``linked_consent`` for an admin-key call) and its own
path, after the token checks and before reading its parameters::

    insufficient_scope.require(consent, request.path)

A new API that needs an item adds its row to :data:`API_SCOPES`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mock_kakao.web.errors import insufficient_scopes
from mock_kakao.world.consentitems import canonical_order
from mock_kakao.world.users import Consent


@dataclass(frozen=True)
class ApiScope:
    """What one API needs: Kakao's name for it in -402's ``api_type``, and its items."""

    api_type: str
    scopes: tuple[str, ...]


#: path → what it needs. TALK_MEMO_DEFAULT_SEND is Kakao's fixture's; the shipping-address
#: API's ``api_type`` is not documented anywhere found (UNCONFIRMED, README says so).
API_SCOPES: dict[str, ApiScope] = {
    "/v2/api/talk/memo/default/send": ApiScope("TALK_MEMO_DEFAULT_SEND", ("talk_message",)),
    "/v1/user/shipping_address": ApiScope("USER_SHIPPING_ADDRESS", ("shipping_address",)),
}


def missing_scopes(consent: Consent, path: str) -> list[str]:
    """The items ``path`` needs that ``consent`` lacks (none for an API that needs none)."""
    needed = API_SCOPES.get(path)
    return [] if needed is None else [item for item in needed.scopes if not consent.has(item)]


def require(consent: Consent, path: str) -> None:
    """Kakao's 403 -402 unless ``consent`` covers every item ``path`` needs.

    ``required_scopes`` names only the items missing, so an app can pass it to ``scope=`` as
    it is; ``allowed_scopes`` is what the grant covers, in the console's order."""
    missing = missing_scopes(consent, path)
    if missing:
        allowed = canonical_order(consent.agreed)
        raise insufficient_scopes(API_SCOPES[path].api_type, missing, allowed)
