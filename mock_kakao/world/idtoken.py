"""What Kakao's id_token and OIDC userinfo say about a person: pure functions, no I/O.

A grant that came with an id_token remembers the login it came from (:class:`OidcLogin`: the
app key the authorize used, the login time, the ``nonce``), so the code exchange and every
refresh can mint one. The claims follow Kakao's real tokens (kakao-api.md, "ID token"):
``aud, sub, auth_time, iss, [nickname], exp, iat, [picture], [nonce], [email]``, in that order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mock_kakao.files import validation as v
from mock_kakao.web.errors import InvalidInput
from mock_kakao.world.consentitems import OPENID, scope_items
from mock_kakao.world.users import Consent, FakeUser

#: fields ``POST /_mock/users/{id}/tokens`` takes beside the token spec's
TOKEN_REQUEST_FIELDS = ("scope", "nonce")
MAX_NONCE_CHARS = 512


@dataclass(frozen=True)
class OidcLogin:
    """The login behind a grant that came with an id_token."""

    aud: str  # the app key the authorize used as client_id (admin tokens: the REST API key)
    auth_time: int
    nonce: str | None = None
    #: the authorize ``scope`` named ``openid``: the token answer's ``scope`` says so too
    openid_scope: bool = False


def requested_login(
    *, app_oidc: bool, scope: str | None, nonce: str | None, aud: str, now: float
) -> OidcLogin | None:
    """The login an id_token will describe, or None when Kakao would give no id_token.

    Kakao gives one only when the app has OpenID Connect on: with it off, no id_token is
    issued whatever the scope, ``openid`` included (kakao-api.md, "When id_token is returned",
    corrected in round 3 from Kakao's prerequisite page and devtalk 121888).
    """
    openid = OPENID in scope_items(scope)
    if not app_oidc:
        return None
    return OidcLogin(aud=aud, auth_time=int(now), nonce=nonce or None, openid_scope=openid)


def parse_token_request(data: Mapping[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
    """``data`` without ``scope``/``nonce``, and those two, checked (the admin token request)."""
    scope = v.get_str(data, "scope", None, nullable=True)
    nonce = v.get_str(data, "nonce", None, nullable=True)
    if scope is not None and any(item != OPENID for item in scope_items(scope)):
        raise InvalidInput("INVALID_FIELD", "scope: only 'openid' is supported here")
    if nonce is not None and not 0 < len(nonce) <= MAX_NONCE_CHARS:
        raise InvalidInput("INVALID_FIELD", f"nonce must be 1 to {MAX_NONCE_CHARS} characters")
    if nonce is not None and OPENID not in scope_items(scope):
        raise InvalidInput("INVALID_FIELD", 'nonce needs "scope": "openid"')
    rest = {key: value for key, value in data.items() if key not in TOKEN_REQUEST_FIELDS}
    return rest, scope, nonce


def shared_email(user: FakeUser, consent: Consent) -> str | None:
    """The email an id_token carries: consented to, valid and verified, else none."""
    if consent.email and user.email and user.is_email_valid and user.is_email_verified:
        return user.email
    return None


def shared_nickname(user: FakeUser, consent: Consent) -> str | None:
    return user.nickname if consent.nickname else None


def shared_picture(user: FakeUser, consent: Consent) -> str | None:
    """The thumbnail (Kakao's ``picture`` is the 110px one), when the image is shared: Kakao's
    default one for a person who set none, as ``/v2/user/me`` shows it."""
    if not consent.has("profile_image"):
        return None
    return user.image.thumbnail_image_url


def birthdate(user: FakeUser, consent: Consent) -> str | None:
    """userinfo's ``birthdate``: ``YYYY-MM-DD``, ``0000-MM-DD`` (birthday only) or ``YYYY``."""
    year = user.birthyear if consent.has("birthyear") else None
    day = user.birthday if consent.has("birthday") else None
    if day is not None:
        return f"{year or '0000'}-{day[:2]}-{day[2:]}"
    return year


def id_token_claims(
    user: FakeUser,
    consent: Consent,
    login: OidcLogin,
    *,
    iss: str,
    iat: int,
    exp: int,
    with_nonce: bool,
) -> dict[str, Any]:
    """The payload, in Kakao's claim order; optional claims only when shared."""
    claims: dict[str, Any] = {
        "aud": login.aud,
        "sub": str(user.id),
        "auth_time": login.auth_time,
        "iss": iss,
    }
    nickname = shared_nickname(user, consent)
    if nickname is not None:
        claims["nickname"] = nickname
    claims["exp"] = exp
    claims["iat"] = iat
    picture = shared_picture(user, consent)
    if picture is not None:
        claims["picture"] = picture
    if with_nonce and login.nonce is not None:
        claims["nonce"] = login.nonce
    email = shared_email(user, consent)
    if email is not None:
        claims["email"] = email
    return claims


def userinfo(user: FakeUser, consent: Consent) -> dict[str, Any]:
    """``GET /v1/oidc/userinfo``: ``sub`` always; the rest only as far as consent goes."""
    body: dict[str, Any] = {"sub": str(user.id)}
    if consent.has("name") and user.name is not None:
        body["name"] = user.name
    nickname = shared_nickname(user, consent)
    if nickname is not None:
        body["nickname"] = nickname
    picture = shared_picture(user, consent)
    if picture is not None:
        body["picture"] = picture
    if consent.email and user.email is not None:
        body["email"] = user.email
        body["email_verified"] = user.is_email_valid and user.is_email_verified
    if consent.has("gender") and user.gender is not None:
        body["gender"] = user.gender
    born = birthdate(user, consent)
    if born is not None:
        body["birthdate"] = born
    if consent.has("phone_number") and user.phone_number is not None:
        body["phone_number"] = user.phone_number
        body["phone_number_verified"] = True
    return body
