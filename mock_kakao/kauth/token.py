"""kauth.kakao.com's ``/oauth/token``: an authorization code or a refresh token for tokens.

The code comes from the login pages (:mod:`mock_kakao.kauth.login`); PKCE and the code's
single use are checked where the code is kept (:mod:`mock_kakao.world.state`), the id_token is
added by :mod:`mock_kakao.kauth.oidc`.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import hdrs, web

from mock_kakao.kauth.oidc import add_id_token
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.errors import KauthError, misconfigured
from mock_kakao.web.jsonresp import json_response
from mock_kakao.world.kakaoapp import KeyKind
from mock_kakao.world.state import FakeKakao
from mock_kakao.world.tokens import seconds_left

routes = web.RouteTableDef()


async def token_params(request: web.Request) -> dict[str, str]:
    """The parameters of ``POST /oauth/token``: its form body and its query string, merged.

    Kakao reads both (many clients put everything in the query string). A parameter given
    twice with different values is refused (RFC 6749 3.2: none may be sent twice) rather than
    silently resolved one way or the other; the same value twice is harmless.
    """
    form = await request.post()
    params: dict[str, str] = {}
    for source in (request.query, form):
        for key, value in source.items():
            if not isinstance(value, str):  # a file part: no parameter of this endpoint
                continue
            if params.setdefault(key, value) != value:
                raise KauthError(
                    400, "invalid_request", f"{key} is sent twice with different values", "KOE001"
                )
    return params


def check_token_client(state: FakeKakao, params: Mapping[str, str]) -> None:
    """The token endpoint's client: the REST API key (and the client secret when it is on), or
    the JavaScript or native app key with the platform Kakao's SDKs send for it.

    An unknown ``client_id`` is KOE101 ``Not exist client_id [<value>]`` (``[null]`` when
    none is sent); the admin key is KOE010 "Bad client credentials": the app exists, so "not
    exist" would be false. Both are 401, as ``invalid_client`` is in RFC 6749 5.2 and in the
    one Kakao fixture seen. The JavaScript key without a registered ``client_origin``, or the
    native app key without a registered ``android_key_hash``/``ios_bundle_id``, is KOE009
    ``misconfigured`` (kakao-api.md, "Redirect URIs, web domains, keys"). The client secret is
    the REST API key's: Kakao's SDKs never send one.
    """
    client_id = params.get("client_id")
    kind = state.app.key_kind(client_id)
    if kind is None:
        shown = "null" if client_id is None else client_id
        raise KauthError(401, "invalid_client", f"Not exist client_id [{shown}]", "KOE101")
    if kind in (KeyKind.JAVASCRIPT, KeyKind.NATIVE):
        if not state.app.token_platform_ok(kind, params):
            raise misconfigured()
        return
    if kind is not KeyKind.REST or not state.app.client_secret_ok(params.get("client_secret")):
        raise KauthError(401, "invalid_client", "Bad client credentials", "KOE010")


def check_browser_origin(state: FakeKakao, origin: str | None) -> None:
    """A browser's token request must come from one of the app's web domains (KOE009).

    Kakao checks the web site a browser request comes from (kakao-api.md: ``client_origin``
    and the ``misconfigured`` answer). Without it a page anywhere could make a browser POST
    here with ``mode: "no-cors"`` (no preflight): it cannot read the answer, but the fake
    would mint a token per POST. A request without ``Origin`` is a server's: never checked.
    """
    if origin is not None and not state.app.origin_registered(origin):
        raise misconfigured()


@routes.post("/oauth/token")
async def token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    check_browser_origin(state, request.headers.get(hdrs.ORIGIN))
    form = await token_params(request)
    check_token_client(state, form)
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        access = state.redeem_code(
            form.get("code", ""),
            redirect_uri=form.get("redirect_uri"),
            code_verifier=form.get("code_verifier"),
        )
        grant = access.grant
        now = state.clock.now()
        body = {
            "access_token": access.value,
            "token_type": "bearer",
            "refresh_token": grant.refresh_token,
            "expires_in": seconds_left(access.expires_at, now),
            "scope": state.consent_of(access).scope,
            "refresh_token_expires_in": seconds_left(grant.refresh_expires_at, now),
        }
        add_id_token(request, access, body, fresh=True)
    elif grant_type == "refresh_token":
        access, renewed = state.refresh(form.get("refresh_token", ""))
        now = state.clock.now()
        body = {
            "access_token": access.value,
            "token_type": "bearer",
            "expires_in": seconds_left(access.expires_at, now),
        }
        if renewed:  # Kakao sends a new refresh token only when < 1 month of it is left
            body["refresh_token"] = access.grant.refresh_token
            body["refresh_token_expires_in"] = seconds_left(access.grant.refresh_expires_at, now)
        add_id_token(request, access, body, fresh=False)
    else:
        raise KauthError(
            400, "unsupported_grant_type", f"grant_type={grant_type} is not supported", "KOE001"
        )
    response = json_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response
