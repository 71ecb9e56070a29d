"""Kakao's two error dialects, and the admin API's own, written down in one place.

kapi.kakao.com answers ``{"msg": ..., "code": <negative int>}``; kauth.kakao.com answers
``{"error": ..., "error_description": ..., "error_code": "KOE###"}``. Every handler, and the
``error`` fault, builds its body here so the fake cannot drift into two slightly different
spellings of the same error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

# kapi messages, spelled exactly as Kakao's SDK fixtures spell them.
TOKEN_NOT_FOUND = "this access token does not exist"
TOKEN_EXPIRED = "this access token is already expired"
MALFORMED_AUTHORIZATION = "invalid authorization header format"
NO_AUTHENTICATION_KEY = "no authentication key!"  # Kakao's words (devtalk 134883)
#: the challenge Kakao's kapi 401s carry (kakao-api.md: the older REST reference's example)
KAPI_CHALLENGE = "Bearer error=invalid_token"
DOMAIN_MISMATCHED = "domain mismatched! caller={origin}. check out registered web domains."
# kauth's KOE009 (kakao-api.md: a wrong key hash, bundle id or origin at /oauth/token)
MISCONFIGURED = "invalid android_key_hash or ios_bundle_id or web_site_url"
INSUFFICIENT_SCOPES = "insufficient scopes."  # -402, Kakao's fixture's words


#: paths kauth.kakao.com serves (the rest of the fake's non-admin paths are kapi's)
KAUTH_PREFIXES = ("/oauth/", "/.well-known/")


def is_kauth(path: str) -> bool:
    """Whether ``path`` is kauth's, whose errors take the OAuth shape rather than kapi's."""
    return path.startswith(KAUTH_PREFIXES)


class FakeKakaoError(Exception):
    """An error a handler raises; the error middleware answers with :meth:`response`."""

    def response(self) -> web.Response:
        raise NotImplementedError


class KapiError(FakeKakaoError):
    """A kapi failure that becomes ``status`` with ``{"msg", "code"}`` (raised by handlers);
    ``extra`` fields follow them, as -402's ``api_type`` and scopes do."""

    def __init__(
        self, status: int, code: int, msg: str, extra: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {msg}")
        self.status = status
        self.code = code
        self.msg = msg
        self.extra = dict(extra or {})

    def response(self) -> web.Response:
        return kapi_error(self.status, self.code, self.msg, self.extra)


class KauthError(FakeKakaoError):
    """A kauth (OAuth) failure that becomes ``status`` with Kakao's OAuth error body."""

    def __init__(self, status: int, error: str, description: str, error_code: str) -> None:
        super().__init__(f"{status} {error_code} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description
        self.error_code = error_code

    def response(self) -> web.Response:
        return kauth_error(self.status, self.error, self.description, self.error_code)


class ControlError(FakeKakaoError):
    """Bad input to the ``/_mock/`` API: ``status`` with ``{"error": CODE, "detail": ...}``."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail

    def response(self) -> web.Response:
        return web.json_response({"error": self.code, "detail": self.detail}, status=self.status)


class InvalidInput(ControlError):
    """A 400 for a malformed field, raised by the parsers shared by the users file and admin API."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(400, code, detail)


def kapi_error(
    status: int, code: int, msg: str, extra: Mapping[str, Any] | None = None
) -> web.Response:
    """The answer kapi.kakao.com sends, e.g. 401 ``{"msg": "...", "code": -401}``: a 401 with
    Kakao's ``WWW-Authenticate`` challenge, so a client reading the header sees what Kakao's
    sends."""
    headers = {"WWW-Authenticate": KAPI_CHALLENGE} if status == 401 else None
    body = {"msg": msg, "code": code, **(extra or {})}
    return web.json_response(body, status=status, headers=headers)


def kauth_error(status: int, error: str, description: str, error_code: str) -> web.Response:
    """The body kauth.kakao.com sends, e.g. 400 ``{"error": "invalid_grant", ...}``."""
    body = {"error": error, "error_description": description, "error_code": error_code}
    return web.json_response(body, status=status)


def token_not_found() -> KapiError:
    return KapiError(401, -401, TOKEN_NOT_FOUND)


def token_expired() -> KapiError:
    return KapiError(401, -401, TOKEN_EXPIRED)


def no_authentication_key() -> KapiError:
    """No key at all: no ``Authorization`` (nor ``access_token``), or one without a token."""
    return KapiError(401, -401, NO_AUTHENTICATION_KEY)


def malformed_authorization() -> KapiError:
    return KapiError(400, -2, MALFORMED_AUTHORIZATION)


def domain_mismatched(origin: str) -> KapiError:
    """A browser call from a page whose origin is not one of the app's web domains."""
    return KapiError(401, -401, DOMAIN_MISMATCHED.format(origin=origin))


def insufficient_scopes(
    api_type: str, required_scopes: list[str], allowed_scopes: list[str]
) -> KapiError:
    """-402: the call needs consent items the token's grant lacks (Kakao's fixture's body)."""
    extra = {
        "api_type": api_type,
        "required_scopes": required_scopes,
        "allowed_scopes": allowed_scopes,
    }
    return KapiError(403, -402, INSUFFICIENT_SCOPES, extra)


def misconfigured() -> KauthError:
    """KOE009: a token request from a platform (here: a web page) the app has not registered."""
    return KauthError(401, "misconfigured", MISCONFIGURED, "KOE009")
