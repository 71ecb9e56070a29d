"""What an app registers in Kakao's console, and how a request's URL is matched against it.

Since 2025-12-03 Kakao's console registers redirect URIs and web domains per app key
([앱] > [플랫폼 키] > [REST API 키] or [JavaScript 키]), and a ``redirect_uri`` must *equal* a
registered value (kakao-api.md, "Redirect URIs, web domains, keys"): no prefix, no "any
loopback URL". Logout redirect URIs are a list of their own (KOE007).

* **Redirect URIs** (per REST API key and per JavaScript key, and the logout list): the
  string sent equals a registered one, character for character. A native app key's login
  comes back to ``kakao<native app key>://oauth``, the scheme Kakao's SDKs register for it.
* **Web domains** (the JavaScript key's "JavaScript SDK domains"): a browser's ``Origin``
  header (or the ``client_origin`` Kakao's SDKs send to ``/oauth/token``) has the same scheme,
  host and port as a registered origin. An ``Origin`` header is a bare ``scheme://host[:port]``;
  anything else (``null``, a trailing slash, a path) is no origin a browser sends for a page,
  so it matches nothing.
* **Android key hashes and iOS bundle ids** (the native app key's platforms): what Kakao's
  SDKs send to ``/oauth/token`` as ``android_key_hash`` or ``ios_bundle_id`` equals a
  registered one exactly. A new app registers neither (no Android or iOS platform yet).

The default app registers the short lists below, as a person setting up a new app would:
the harness page's and the example's callbacks on run_all's default page port, and the
``http://localhost:3000`` callbacks of the common frameworks. Anything else is registered by a
flag, the users file's ``app`` section or ``PATCH /_mock/app``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit

from mock_kakao.web.errors import InvalidInput

DEFAULT_PORTS = {"http": 80, "https": 443}
#: an Android key hash is the base64 (standard alphabet, padded) of a SHA-1: 20 bytes
KEY_HASH_BYTES = 20
#: Apple's bundle id characters (letters, digits, hyphen, period), within its 155-character limit
_BUNDLE_ID = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
MAX_BUNDLE_ID_CHARS = 155
#: run_all's default harness page (harness_ui/config.py, ``--ui-port``), by both loopback names
_PAGES = ("http://127.0.0.1:8002", "http://localhost:8002")
#: the callbacks frameworks document for a local app on port 3000 (next-auth, passport-kakao,
#: django-allauth, fastapi-sso, @logto, a plain OAuth client)
FRAMEWORK_CALLBACKS = (
    "http://localhost:3000/oauth/callback",
    "http://localhost:3000/auth/kakao/callback",
    "http://localhost:3000/api/auth/callback/kakao",
    "http://localhost:3000/callback/kakao",
    "http://localhost:3000/kakao/callback",
    "http://localhost:3000/accounts/kakao/login/callback/",
)
#: the harness page's sign-in callback and the example's (both log in with the JavaScript key)
PAGE_CALLBACKS = tuple(
    f"{page}{path}" for page in _PAGES for path in ("/callback", "/example/callback.html")
)
#: what the default app's REST API key registers: server-side framework logins
DEFAULT_REST_API_REDIRECT_URIS = FRAMEWORK_CALLBACKS
#: what its JavaScript key registers: the page, the example, and frontends on port 3000
DEFAULT_JAVASCRIPT_REDIRECT_URIS = (*PAGE_CALLBACKS, *FRAMEWORK_CALLBACKS)
#: its JavaScript SDK domains: the pages above
DEFAULT_WEB_DOMAINS = (*_PAGES, "http://localhost:3000")
#: its logout redirect URIs ([카카오 로그인] > [로그아웃 리다이렉트 URI])
DEFAULT_LOGOUT_REDIRECT_URIS = (
    *(f"{page}/" for page in _PAGES),
    "http://localhost:3000/",
    "http://localhost:3000/logout",
)


def split_url(uri: str) -> SplitResult | None:
    """``uri``'s parts, or None when it has a bad port, userinfo or no host (never allowed)."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if "@" in parts.netloc or not parts.hostname:
        return None
    return parts


class Origin(NamedTuple):
    scheme: str
    hostname: str
    port: int


# -- redirect URIs -------------------------------------------------------------------------


def redirect_uri_registered(uri: str, registered_uris: Iterable[str]) -> bool:
    """Whether Kakao would redirect to ``uri``: it equals a registered URI exactly."""
    return bool(uri) and uri in tuple(registered_uris)


def native_redirect_uri(native_app_key: str) -> str:
    """Where a native app key's login comes back: the custom scheme its SDK registers."""
    return f"kakao{native_app_key}://oauth"


def parse_redirect_uri(value: str, field: str = "redirect_uris") -> str:
    """A registered redirect URI: an http(s) URL with a host and no fragment, kept as given
    (it is compared character for character)."""
    parts = split_url(value)
    if parts is None or parts.scheme not in DEFAULT_PORTS or "#" in value:
        raise InvalidInput(
            "INVALID_FIELD", f"{field}: not an http(s) URL without a fragment: {value!r}"
        )
    return value


# -- web domains ---------------------------------------------------------------------------


def _origin(parts: SplitResult) -> Origin:
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    return Origin(parts.scheme, parts.hostname or "", port)


def parse_origin(value: str) -> Origin | None:
    """A browser's ``Origin`` header as (scheme, host, port), or None if it names no page.

    Strict: exactly ``scheme://host[:port]`` (``null``, ``http://a/`` and ``http://a?`` are not
    origins), http or https, no userinfo.
    """
    parts = split_url(value)
    if parts is None or parts.scheme not in DEFAULT_PORTS:
        return None
    if value.lower() != f"{parts.scheme}://{parts.netloc}".lower():
        return None
    return _origin(parts)


def parse_web_domain(value: str, field: str = "web_domains") -> str:
    """A registered domain as the console takes it: an origin, a trailing slash forgiven."""
    candidate = value[:-1] if value.endswith("/") else value
    if parse_origin(candidate) is None:
        raise InvalidInput(
            "INVALID_FIELD",
            f"{field}: not an origin like http://localhost:3000 or https://app.example.com:"
            f" {value!r}",
        )
    return candidate.lower()


def origin_registered(origin: str, domains: Iterable[str]) -> bool:
    """Whether a page at ``origin`` may use the app's JavaScript key: a registered domain."""
    caller = parse_origin(origin)
    return caller is not None and any(parse_origin(domain) == caller for domain in domains)


# -- the native app key's platforms --------------------------------------------------------


def parse_android_key_hash(value: str, field: str = "android_key_hashes") -> str:
    """A registered Android key hash: base64 of a SHA-1 (``keytool ... | openssl sha1 -binary |
    openssl base64``), kept as given since Kakao's SDKs send it the same way."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_HASH_BYTES or base64.b64encode(raw).decode() != value:
        raise InvalidInput(
            "INVALID_FIELD",
            f"{field}: not a key hash (base64 of a SHA-1, 28 characters): {value!r}",
        )
    return value


def parse_ios_bundle_id(value: str, field: str = "ios_bundle_ids") -> str:
    """A registered iOS bundle id: dot-separated letters, digits and hyphens, as Apple's."""
    if len(value) > MAX_BUNDLE_ID_CHARS or not _BUNDLE_ID.fullmatch(value):
        raise InvalidInput(
            "INVALID_FIELD",
            f"{field}: not a bundle id (letters, digits, '-' and '.', e.g. com.example.app):"
            f" {value!r}",
        )
    return value
