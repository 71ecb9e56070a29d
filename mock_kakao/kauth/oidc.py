"""Kakao's OpenID Connect surface: discovery, JWKS, id_tokens, tokeninfo, userinfo.

Every URL the discovery document lists points at the fake itself (the base URL the request
reached), while ``issuer`` is the app's configured issuer, by default that same base URL; so
code that pins ``https://kauth.kakao.com`` runs with ``--issuer https://kauth.kakao.com``.
The id_token minted here is added to ``/oauth/token`` answers (see :func:`add_id_token`) and
to the admin API's token answers.
"""

from __future__ import annotations

from typing import Any

import jwt
from aiohttp import web

from mock_kakao.kapi.user import authenticate
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.errors import KauthError
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world import idtoken
from mock_kakao.world.state import FakeKakao
from mock_kakao.world.tokens import AccessToken, TokenSpec, seconds_left

routes = web.RouteTableDef()

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"
#: the longest id_token tokeninfo reads; a real one is about 1 kB
MAX_ID_TOKEN_CHARS = 8192


def base_url_of(request: web.Request) -> str:
    """The fake as this client reaches it: scheme and Host of the request."""
    return f"{request.scheme}://{request.host}"


def discovery(issuer: str, base: str) -> dict[str, Any]:
    """Kakao's document, field by field, with the fake's own URLs."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/v1/oidc/userinfo",
        "jwks_uri": f"{base}{JWKS_PATH}",
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "request_uri_parameter_supported": False,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss",
            "aud",
            "sub",
            "auth_time",
            "exp",
            "iat",
            "nonce",
            "nickname",
            "picture",
            "email",
        ],
    }


def foreign_app_key(app_id: int) -> str:
    """The app key an id_token of another app names as ``aud`` (never the fake's own)."""
    return f"mock-rest-api-key-of-app-{app_id}"


def control_login(
    state: FakeKakao, spec: TokenSpec, scope: str | None, nonce: str | None
) -> idtoken.OidcLogin | None:
    """The login behind an admin-issued token: an id_token only when ``scope`` is ``openid``
    (the control API's own choice, whatever the app's OpenID Connect switch: it mints tokens
    for tests, it is no Kakao endpoint).

    Its ``aud`` is the REST API key; for a token of another app (``app_id``), that app's key,
    so a relying party can be tested against a token minted for someone else.
    """
    aud = state.app.settings.rest_api_key
    if spec.app_id is not None and spec.app_id != state.app_id:
        aud = foreign_app_key(spec.app_id)
    return idtoken.requested_login(
        app_oidc=idtoken.OPENID in idtoken.scope_items(scope),
        scope=scope,
        nonce=nonce,
        aud=aud,
        now=state.clock.now(),
    )


def mint_id_token(state: FakeKakao, access: AccessToken, iss: str, *, fresh: bool) -> str | None:
    """The id_token that goes with ``access``, or None when its grant came without one.

    ``exp`` is the access token's own expiry (Kakao: "the same lifetime"); the ``nonce`` is
    echoed on the login's first token only, not on refreshes.
    """
    login = access.grant.oidc
    if login is None:
        return None
    now = state.clock.now()
    iat = int(now)
    claims = idtoken.id_token_claims(
        state.users[access.user_id],
        state.consent_of(access),
        login,
        iss=iss,
        iat=iat,
        exp=iat + seconds_left(access.expires_at, now),
        with_nonce=fresh,
    )
    return state.app.keys.sign(claims)


def id_token_field(request: web.Request, access: AccessToken, *, fresh: bool) -> dict[str, str]:
    """``{"id_token": ...}`` when ``access``'s grant came with one, else ``{}``."""
    state = request.app[STATE]
    token = mint_id_token(state, access, state.app.issuer_for(base_url_of(request)), fresh=fresh)
    return {} if token is None else {"id_token": token}


def add_id_token(
    request: web.Request, access: AccessToken, body: dict[str, Any], *, fresh: bool
) -> None:
    """Put the id_token (if the grant has one) into a ``/oauth/token`` answer, and ``openid``
    into its scope when the authorize asked for it."""
    field = id_token_field(request, access, fresh=fresh)
    body.update(field)
    login = access.grant.oidc
    if field and fresh and login is not None and login.openid_scope and "scope" in body:
        body["scope"] = " ".join([*idtoken.scope_items(body["scope"]), idtoken.OPENID])


@routes.get(DISCOVERY_PATH)
async def openid_configuration(request: web.Request) -> web.Response:
    state = request.app[STATE]
    base = base_url_of(request)
    return json_response(discovery(state.app.issuer_for(base), base))


@routes.get(JWKS_PATH)
async def jwks(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return json_response(state.app.keys.jwks(state.clock.now()))


def invalid_token(description: str) -> KauthError:
    return KauthError(400, "invalid_token", description, "KOE400")


@routes.post("/oauth/tokeninfo")
async def tokeninfo(request: web.Request) -> web.Response:
    """The claims of one of the fake's id_tokens that still verifies, or 400 KOE400."""
    state = request.app[STATE]
    form = await request.post()
    token = form.get("id_token")
    if not isinstance(token, str) or not token:
        raise invalid_token("id_token is required")
    if len(token) > MAX_ID_TOKEN_CHARS:
        raise invalid_token("id_token is too long")
    try:
        claims = state.app.keys.verify(token, state.clock.now())
    except jwt.ExpiredSignatureError:
        raise invalid_token("id_token expired") from None
    except jwt.InvalidTokenError as exc:
        raise invalid_token(f"invalid id_token: {exc}") from None
    return json_response(claims)


@routes.get("/v1/oidc/userinfo")
async def oidc_userinfo(request: web.Request) -> web.Response:
    token, user = await authenticate(request)
    return json_response(idtoken.userinfo(user, request.app[STATE].consent_of(token)))
