"""kauth.kakao.com's login pages: authorize → pick → consent → redirect, and ``/oauth/logout``.

The code they redirect with is exchanged at ``/oauth/token`` (:mod:`mock_kakao.kauth.token`).

The flow's parameters travel through the pages as hidden form fields, so the fake keeps no
per-login session; every step re-checks ``client_id`` and ``redirect_uri`` because a form can be
tampered with. ``prompt=none`` is auto-login, which Kakao offers only in KakaoTalk's in-app
browser (its User-Agent says ``KAKAOTALK``): elsewhere it never logs anyone in. A cookie
remembers who last logged in, which is what ``prompt=none`` needs there; it
is signed (HMAC-SHA256, a random key per process), since a bare user id would let anyone log in
silently as any linked user. ``login_hint`` never logs anyone in: it narrows the picker, and
with ``prompt=none`` it can only refuse a session that belongs to someone else.

Login CSRF: the picker gives the browser a random binding cookie, and every form carries
``form_token``, an HMAC of that cookie and of the flow's parameters. A page elsewhere can make
a browser submit a form but cannot read the cookie, so it cannot forge the token; a token from
another browser (or for other parameters) does not match. Restarting the fake forgets every
browser's login and invalidates open forms.

What one login may make the fake keep is bounded: every parameter has a length limit
(``PARAM_MAX_CHARS``), a form token lives an hour on the fake's clock and its decision is taken
once (a replayed decision is KOE001, not another code), and a user has at most
``MAX_CODES_PER_USER`` codes in flight (world/state.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from aiohttp import hdrs, web

from mock_kakao.files.validation import MAX_USER_ID, parse_id
from mock_kakao.kauth import pages
from mock_kakao.kauth.consent import agreed_terms, decided, terms_page_needed, what_to_ask
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.errors import FakeKakaoError
from mock_kakao.world.consentitems import items_to_ask, requested_items, unconfigured
from mock_kakao.world.idtoken import MAX_NONCE_CHARS
from mock_kakao.world.kakaoapp import LOGIN_KEYS
from mock_kakao.world.serviceterms import agreed_now, parse_tags, rfc3339, unknown_tags
from mock_kakao.world.state import FakeKakao
from mock_kakao.world.users import Consent, FakeUser

routes = web.RouteTableDef()

# What the pages carry from step to step (Kakao's authorize parameters).
FLOW_PARAMS = ("client_id", "redirect_uri", "response_type", "state", "scope", "nonce", "prompt")
FLOW_PARAMS += ("code_challenge", "code_challenge_method")  # PKCE (RFC 7636)
FLOW_PARAMS += ("service_terms",)  # Kakao Sync: the terms to ask agreement to, comma-separated
#: the JavaScript SDK sends ``serviceTerms`` under this name (kakao-api.md, the SDK's URL)
SDK_SERVICE_TERMS = "extra.service_terms"
# What of them the code keeps for the exchange: the id_token's scope and nonce, and PKCE.
CODE_PARAMS = ("scope", "nonce", "code_challenge", "code_challenge_method")
SESSION_COOKIE = "mock_kakao_session"
BROWSER_COOKIE = "mock_kakao_browser"
FORM_TOKEN = "form_token"
#: a login form's token works for an hour on the fake's clock, and its decision only once
FORM_TOKEN_TTL = 3600
#: the longest value of each parameter the pages carry (and a code keeps); Kakao's own limits
#: are not documented (kakao-api.md), so these are the fake's: generous for any real client
PARAM_MAX_CHARS = {
    "state": 2048,
    "redirect_uri": 2048,
    "scope": 1024,
    "nonce": MAX_NONCE_CHARS,
    "code_challenge": 128,  # RFC 7636 4.2: 43 to 128 characters
    "service_terms": 1024,
    SDK_SERVICE_TERMS: 1024,
}
OTHER_PARAM_MAX_CHARS = 256  # client_id, response_type, prompt, login_hint, ...
# The login pages and their subpaths: the only readers of the cookies (their Path), and
# navigations that answer no CORS (middleware).
LOGIN_PAGES = "/oauth/authorize"
# Sign the session cookie and the form tokens; never stored, so no file or log can leak a way
# to forge either.
_SESSION_KEY = secrets.token_bytes(32)
_FORM_KEY = secrets.token_bytes(32)
_BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
DENIED = {"error": "access_denied", "error_description": "User denied access"}
CONSENT_REQUIRED = {"error": "consent_required", "error_description": "user consent required."}
AUTO_LOGIN_UNSUPPORTED = {"error": "auto_login", "error_description": "NOT_SUPPORTED_BROWSER"}
LOGIN_REQUIRED = {"error": "login_required", "error_description": "user authentication required."}


class PageError(FakeKakaoError):
    """A kauth problem that shows Kakao's error page instead of redirecting."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def response(self) -> web.Response:
        return web.Response(
            status=400, text=pages.error(self.code, self.message), content_type="text/html"
        )


def flow_params(source: Mapping[str, str]) -> dict[str, str]:
    """The flow's parameters of a query or form, each within its length (KOE001 if not)."""
    check_lengths(source)
    params = {key: source[key] for key in FLOW_PARAMS if source.get(key)}
    if "service_terms" not in params and source.get(SDK_SERVICE_TERMS):
        params["service_terms"] = source[SDK_SERVICE_TERMS]
    return params


def check_lengths(source: Mapping[str, str]) -> None:
    """Refuse a parameter longer than the fake keeps: what one login may make it store (a
    code keeps ``nonce`` and PKCE, every form carries ``state``) stays bounded."""
    for key in (*FLOW_PARAMS, "login_hint", SDK_SERVICE_TERMS):
        value = source.get(key)
        limit = PARAM_MAX_CHARS.get(key, OTHER_PARAM_MAX_CHARS)
        if isinstance(value, str) and len(value) > limit:
            raise PageError("KOE001", f"{key} is longer than {limit} characters")


def code_params(params: Mapping[str, str]) -> dict[str, str]:
    return {key: params[key] for key in CODE_PARAMS if key in params}


def check_client(state: FakeKakao, params: Mapping[str, str]) -> None:
    """The checks that decide whether redirecting back is safe at all.

    A login takes the REST API, JavaScript or native app key; the admin key is KOE008 (a key
    of the wrong type), anything else KOE101.
    """
    kind = state.app.key_kind(params.get("client_id"))
    if kind is None:
        raise PageError("KOE101", f"invalid client_id: {params.get('client_id', '')!r}")
    if kind not in LOGIN_KEYS:
        raise PageError(
            "KOE008",
            "this app key cannot log users in: use the REST API, JavaScript or native app key",
        )
    redirect_uri = params.get("redirect_uri", "")
    if "#" in redirect_uri:  # RFC 6749 3.1.2: the code would land in the fragment
        raise PageError("KOE006", f"redirect_uri must not contain a fragment: {redirect_uri!r}")
    if not state.app.redirect_uri_allowed(params.get("client_id"), redirect_uri):
        raise PageError("KOE006", f"redirect_uri not registered for this app key: {redirect_uri!r}")
    check_response_type(params.get("response_type", ""))
    check_scope(state, params)
    check_service_terms(state, params)


def check_response_type(response_type: str) -> None:
    """Kakao issues codes only: ``token`` (the implicit grant) is KOE202, anything else KOE201
    (kakao-api.md, "Authorize", errors)."""
    if response_type == "token":
        raise PageError("KOE202", "Unsupported response type: token (use response_type=code)")
    if response_type != "code":
        raise PageError("KOE201", f"Unsupported response type: {response_type}")


def check_scope(state: FakeKakao, params: Mapping[str, str]) -> None:
    """KOE205: ``scope`` names a consent item the app does not ask for."""
    missing = unconfigured(state.app.consent_items, params.get("scope"))
    if missing:
        raise PageError(
            "KOE205", f"consent items not configured for this app: {', '.join(missing)}"
        )


def check_service_terms(state: FakeKakao, params: Mapping[str, str]) -> None:
    """KOE205 too (the fake's choice: Kakao's answer is not documented): ``service_terms``
    names a tag the app does not use."""
    missing = unknown_tags(
        state.app.settings.service_terms, parse_tags(params.get("service_terms"))
    )
    if missing:
        raise PageError(
            "KOE205", f"service_terms not configured for this app: {', '.join(missing)}"
        )


def redirect_back(params: Mapping[str, str], answer: Mapping[str, str]) -> web.HTTPFound:
    """302 to the app's redirect_uri with ``answer`` (and ``state``) in its query string."""
    query = dict(answer)
    if params.get("state"):
        query["state"] = params["state"]
    uri = params["redirect_uri"]
    if not query:
        return web.HTTPFound(uri)
    separator = "&" if "?" in uri else "?"
    return web.HTTPFound(uri + separator + urlencode(query, quote_via=quote))


def hinted_user(state: FakeKakao, hint: str | None) -> FakeUser | None:
    """The user a ``login_hint`` names: by email (any case) or by id."""
    if not hint:
        return None
    hint = hint.strip().lower()
    for user in state.users.values():
        if hint == str(user.id) or (user.email and hint == user.email.lower()):
            return user
    return None


def _session_mac(user_id: str) -> str:
    return hmac.new(_SESSION_KEY, user_id.encode(), hashlib.sha256).hexdigest()


def session_cookie(user_id: int) -> str:
    """The cookie value naming ``user_id``: ``<id>.<hmac>``, unforgeable without the key."""
    return f"{user_id}.{_session_mac(str(user_id))}"


def session_user_id(cookie: str) -> int | None:
    """The user id a session cookie vouches for; None when it is missing, malformed or forged."""
    user_id, _, mac = cookie.rpartition(".")
    if not hmac.compare_digest(mac.encode(), _session_mac(user_id).encode()):
        return None
    return _int(user_id)


def session_user(state: FakeKakao, request: web.Request) -> FakeUser | None:
    user_id = session_user_id(request.cookies.get(SESSION_COOKIE, ""))
    return state.users.get(user_id) if user_id is not None else None


def set_cookie(response: web.StreamResponse, name: str, value: str) -> None:
    """A cookie only the login pages get, that no script reads and no cross-site POST sends."""
    response.set_cookie(name, value, path=LOGIN_PAGES, httponly=True, samesite="Lax")


def browser_id(request: web.Request) -> str:
    """This browser's binding cookie, or a fresh one for the picker to set."""
    value = request.cookies.get(BROWSER_COOKIE, "")
    return value if _BROWSER_ID.fullmatch(value) else secrets.token_urlsafe(32)


def _form_mac(browser: str, params: Mapping[str, str], expires: str, nonce: str) -> str:
    message = json.dumps([browser, [params.get(key, "") for key in FLOW_PARAMS], expires, nonce])
    return hmac.new(_FORM_KEY, message.encode(), hashlib.sha256).hexdigest()


def form_token(state: FakeKakao, browser: str, params: Mapping[str, str]) -> str:
    """The ``form_token`` of a flow's forms: ``<expiry>.<nonce>.<hmac>``, tying them to one
    browser, to these parameters and to an expiry on the fake's clock; the nonce makes each
    picker's token its own, so its decision can be spent once (:func:`spend_form_token`)."""
    expires = str(int(state.clock.now()) + FORM_TOKEN_TTL)
    nonce = secrets.token_urlsafe(12)
    return f"{expires}.{nonce}.{_form_mac(browser, params, expires, nonce)}"


def _refused_form() -> PageError:
    return PageError(
        "KOE001", "this login form is not from this browser (or the fake restarted): start again"
    )


def check_form_token(
    state: FakeKakao, request: web.Request, params: Mapping[str, str], sent: object
) -> tuple[str, float]:
    """Refuse a form this browser was not given (login CSRF) or whose hour has passed: KOE001,
    like any bad parameter. The token's nonce and expiry, for :func:`spend_form_token`."""
    browser = request.cookies.get(BROWSER_COOKIE, "")
    expires, _, rest = sent.partition(".") if isinstance(sent, str) else ("", "", "")
    nonce, _, mac = rest.partition(".")
    expected = _form_mac(browser, params, expires, nonce).encode()
    sent_mac = mac.encode("utf-8", "replace")
    if not _BROWSER_ID.fullmatch(browser) or not hmac.compare_digest(sent_mac, expected):
        raise _refused_form()
    deadline = float(expires)  # signed by us: digits
    if deadline <= state.clock.now():
        raise PageError("KOE001", "this login form has expired: start again")
    return nonce, deadline


def spend_form_token(
    state: FakeKakao, request: web.Request, params: Mapping[str, str], sent: object
) -> None:
    """:func:`check_form_token`, and the form's decision is taken: a replay is KOE001 (one
    form cannot mint a code per POST)."""
    nonce, deadline = check_form_token(state, request, params, sent)
    if not state.spend_once(f"form:{nonce}", expires_at=deadline):
        raise PageError("KOE001", "this login form was already used: start again")


def login_silently(
    state: FakeKakao, request: web.Request, params: Mapping[str, str]
) -> web.HTTPFound:
    """``prompt=none`` in KakaoTalk's in-app browser: a code for a member (this browser's
    session) only, else Kakao's error redirect (``consent_required`` for a non-member).

    A ``login_hint`` naming someone other than the session's user is ``login_required`` too.
    """
    user = session_user(state, request)
    hinted = hinted_user(state, request.query.get("login_hint"))
    if user is None or (hinted is not None and hinted.id != user.id):
        return redirect_back(params, LOGIN_REQUIRED)
    consent = state.linked_consent(user.id)
    named = requested_items(params.get("scope"))
    if (
        consent is None
        or (named and items_to_ask(state.app.consent_items, params.get("scope"), consent.agreed))
        or terms_page_needed(state, user, params.get("service_terms"))
    ):
        return redirect_back(params, CONSENT_REQUIRED)
    code = state.issue_code(
        user.id,
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        consent=consent,
        **code_params(params),
    )
    return redirect_back(params, {"code": code.value})


#: what KakaoTalk's in-app browser puts in its User-Agent (kakao-api.md, "Authorize")
KAKAOTALK_MARK = "KAKAOTALK"


def in_kakaotalk(user_agent: str) -> bool:
    """Whether the browser is KakaoTalk's in-app one: the only place Kakao logs in silently."""
    return KAKAOTALK_MARK in user_agent


def auto_login_refusal(*, js_sdk: bool, user_agent: str) -> Mapping[str, str] | None:
    """What ``prompt=none`` answers outside KakaoTalk's in-app browser, or None inside it.

    Kakao offers auto-login only there (kakao-api.md, "Authorize", CONFIRMED); the JavaScript
    SDK then refuses with ``auto_login``/``NOT_SUPPORTED_BROWSER`` (CONFIRMED). What a REST
    ``prompt=none`` gets elsewhere is unconfirmed: the fake answers ``login_required``, the
    stricter answer (never a code, never a page a test could walk to a code) and one of the
    errors Kakao documents for the authorize redirect.
    """
    if in_kakaotalk(user_agent):
        return None
    return AUTO_LOGIN_UNSUPPORTED if js_sdk else LOGIN_REQUIRED


def from_js_sdk(query: Mapping[str, str]) -> bool:
    """Whether the fake's JavaScript SDK sent this login (its ``ka`` says ``sdk_type/javascript``).

    The real SDK refuses ``prompts: 'none'`` outside KakaoTalk's in-app browser; the fake's
    sends it here instead of answering itself, so that refusal comes after kauth's own checks
    (an unregistered redirect URI is the KOE006 page, never a redirect), and kauth tells
    KakaoTalk's browser (its User-Agent) from the others (:func:`auto_login_refusal`).
    """
    ka = query.get("ka", "")
    return ka.startswith("sdk/") and " sdk_type/javascript " in ka


def html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html")


@routes.get("/oauth/authorize")
async def authorize(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    params = flow_params(request.query)
    check_client(state, params)
    if params.get("prompt") == "none":
        refusal = auto_login_refusal(
            js_sdk=from_js_sdk(request.query),
            user_agent=request.headers.get(hdrs.USER_AGENT, ""),
        )
        if refusal is not None:
            raise redirect_back(params, refusal)
        raise login_silently(state, request, params)
    hinted = hinted_user(state, request.query.get("login_hint"))
    users = [hinted] if hinted else list(state.users.values())
    # A signed-in browser's account comes first in line, unless the app asks to log in anew.
    current = None if params.get("prompt") == "login" else session_user(state, request)
    preselected = hinted or current
    browser = browser_id(request)
    fields = {**params, FORM_TOKEN: form_token(state, browser, params)}
    response = html(pages.picker(users, fields, preselected.id if preselected else None))
    set_cookie(response, BROWSER_COOKIE, browser)
    return response


@routes.get("/oauth/authorize/consent")
async def consent_page(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    params = flow_params(request.query)
    check_client(state, params)
    check_form_token(state, request, params, request.query.get(FORM_TOKEN))
    user = state.users.get(_int(request.query.get("user_id")))
    if user is None:
        raise PageError("KOE001", "unknown user_id: pick an account on the previous page")
    # Additional consent for items all agreed already still shows the page (with nothing to
    # tick), as the fake always shows its pages: a client's page-walking code keeps working.
    ask = what_to_ask(state, user, params.get("scope"), params.get("service_terms"))
    fields = {**params, FORM_TOKEN: request.query[FORM_TOKEN]}
    return html(
        pages.consent(
            user, fields, ask.items, ask.ticked, additional=ask.additional, terms=ask.terms
        )
    )


def approved(
    state: FakeKakao, params: Mapping[str, str], user: FakeUser, consent: Consent
) -> web.HTTPFound:
    """The redirect back with a code for ``consent``; the browser is now signed in as ``user``."""
    code = state.issue_code(
        user.id,
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        consent=consent,
        **code_params(params),
    )
    found = redirect_back(params, {"code": code.value})
    set_cookie(found, SESSION_COOKIE, session_cookie(user.id))
    return found


@routes.post("/oauth/authorize/decision")
async def decision(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    form = await request.post()
    params = flow_params({k: v for k, v in form.items() if isinstance(v, str)})
    check_client(state, params)
    spend_form_token(state, request, params, form.get(FORM_TOKEN))
    if form.get("decision") == "cancel":
        raise redirect_back(params, DENIED)
    user = state.users.get(_int(form.get("user_id")))
    if form.get("decision") != "approve" or user is None:
        raise PageError("KOE001", "the login form was incomplete: start again")
    ask = what_to_ask(state, user, params.get("scope"), params.get("service_terms"))
    ticked = [value for value in form.getall("consent", []) if isinstance(value, str)]
    terms = [value for value in form.getall("service_term", []) if isinstance(value, str)]
    agreed = agreed_terms(ask, terms)
    if agreed:  # Kakao Sync: recorded as the consent screen's (agreed_by KAUTH)
        at = rfc3339(state.clock.now())
        state.set_service_terms(user.id, agreed_now(user.service_terms, agreed, at, "KAUTH"))
    raise approved(state, params, user, decided(ask, ticked))


def _int(value: object) -> int | None:
    """A user id from a form or cookie: ASCII digits only, so one id has one spelling."""
    return parse_id(value, MAX_USER_ID)


@routes.get("/oauth/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """Logout with the Kakao account: this browser's Kakao session ends, no token is revoked
    (that is ``/v1/user/logout``), and the browser goes back to ``logout_redirect_uri``.

    ``logout_redirect_uri`` must equal one of the app's logout redirect URIs, a list of its own
    (not the login's redirect URIs); anything else is Kakao's KOE007 page, never a redirect.
    """
    state = request.app[STATE]
    if request.query.get("client_id") != state.app.settings.rest_api_key:
        raise PageError("KOE101", f"invalid client_id: {request.query.get('client_id', '')!r}")
    target = request.query.get("logout_redirect_uri", "")
    if not state.app.logout_redirect_uri_allowed(target):
        raise PageError("KOE007", f"logout_redirect_uri not registered for this app: {target!r}")
    found = redirect_back({"redirect_uri": target, "state": request.query.get("state", "")}, {})
    found.del_cookie(SESSION_COOKIE, path=LOGIN_PAGES)
    raise found
