"""Turn Kakao's `/v2/user/me` JSON into the fields our frontend needs.

Only `id` is always present: anything the person did not consent to is simply absent (with
`<item>_needs_agreement: true` beside it), and `properties` is deprecated but still sent. So
every lookup here tolerates a missing or wrongly typed value and answers `None`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_KAKAO_ID = 2**63 - 1
#: the consent items whose fields the service reads, keyed by the flag `/v2/user/me` sets
#: when the person has not agreed (`profile` is the old combined nickname-and-image item)
USED_CONSENTS = {
    "profile_nickname_needs_agreement": "profile_nickname",
    "profile_needs_agreement": "profile",
    "email_needs_agreement": "account_email",
}


@dataclass(frozen=True)
class KakaoProfile:
    kakao_id: int
    user_name: str | None
    email: str | None
    email_verified: bool
    #: Kakao's ids of the consent items the service uses that the person has not agreed to:
    #: what a frontend asks for again with `Kakao.Auth.authorize({scope: ...})`
    missing_consents: tuple[str, ...] = ()


def object_with_unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object (as `json.loads`'s `object_pairs_hook`) that names each member once.

    Why: `json.loads` keeps the last of two `sub`s, another parser (a proxy, a WAF, the
    frontend's logging) may keep the first, and then each checks a different person. Used for
    request bodies (service.web.validation) and id_tokens (service.kakao.idtoken).
    """
    data = dict(pairs)
    if len(data) != len(pairs):
        raise ValueError("a member is given twice in a JSON object")
    return data


def as_kakao_id(value: object) -> int | None:
    """A Kakao user id: a positive 64-bit integer (JSON `true` is not one)."""
    if type(value) is int and 0 < value <= MAX_KAKAO_ID:
        return value
    return None


def parse_profile(data: dict[str, Any]) -> KakaoProfile | None:
    """The profile in `data`, or None when it has no usable `id`."""
    kakao_id = as_kakao_id(data.get("id"))
    if kakao_id is None:
        return None
    account = _object(data.get("kakao_account"))
    profile = _object(account.get("profile"))
    properties = _object(data.get("properties"))
    email = _text(account.get("email"))
    return KakaoProfile(
        kakao_id=kakao_id,
        user_name=_text(profile.get("nickname")) or _text(properties.get("nickname")),
        email=email,
        # Kakao's word that the address works and belongs to this person; both, or neither.
        email_verified=email is not None
        and account.get("is_email_valid") is True
        and account.get("is_email_verified") is True,
        missing_consents=tuple(
            item for flag, item in USED_CONSENTS.items() if account.get(flag) is True
        ),
    )


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    """A non-blank string, else None (Kakao never means `""` as a real nickname or email)."""
    if isinstance(value, str) and value.strip():
        return value
    return None
