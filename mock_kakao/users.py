"""Fake Kakao accounts and how ``/v2/user/me`` renders one of them.

A user carries the person's profile *and* the consent they gave by default. A token may narrow
that consent (the account picker lets the person untick optional items), so rendering always
takes the consent explicitly: consent belongs to a grant, not to the person.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mock_kakao import validation as v

NicknameSource = Literal["both", "profile", "properties"]
NICKNAME_SOURCES: tuple[str, ...] = ("both", "profile", "properties")

# Keys of the user object that are plain profile fields (shared by the file, POST and PATCH).
PROFILE_FIELDS = (
    "label",
    "nickname",
    "email",
    "nickname_consent",
    "email_consent",
    "is_email_valid",
    "is_email_verified",
    "nickname_source",
    "profile_image_url",
    "connected_at",
)


@dataclass(frozen=True)
class Consent:
    """Which optional items a grant covers (Kakao's ``profile_nickname`` and ``account_email``)."""

    nickname: bool = True
    email: bool = True

    @property
    def scope(self) -> str:
        """The ``scope`` string of Kakao's token response for this consent."""
        scopes = ["profile_nickname"] if self.nickname else []
        return " ".join([*scopes, "account_email"] if self.email else scopes)


@dataclass(frozen=True)
class FakeUser:
    """One fake Kakao account, as the users file and the admin API describe it."""

    id: int
    label: str = ""
    nickname: str | None = None
    email: str | None = None
    nickname_consent: bool = True
    email_consent: bool = True
    is_email_valid: bool = True
    is_email_verified: bool = True
    nickname_source: NicknameSource = "both"
    profile_image_url: str | None = None
    connected_at: str = "2024-01-01T00:00:00Z"

    @property
    def consent(self) -> Consent:
        """The consent this person gives unless a grant says otherwise."""
        return Consent(nickname=self.nickname_consent, email=self.email_consent)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def parse_profile(data: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """Read the profile fields present in ``data``, falling back to ``base`` for the others."""
    return {
        "label": v.get_str(data, "label", base["label"]),
        "nickname": v.get_str(data, "nickname", base["nickname"], nullable=True),
        "email": v.get_str(data, "email", base["email"], nullable=True),
        "nickname_consent": v.get_bool(data, "nickname_consent", base["nickname_consent"]),
        "email_consent": v.get_bool(data, "email_consent", base["email_consent"]),
        "is_email_valid": v.get_bool(data, "is_email_valid", base["is_email_valid"]),
        "is_email_verified": v.get_bool(data, "is_email_verified", base["is_email_verified"]),
        "nickname_source": v.get_choice(
            data, "nickname_source", NICKNAME_SOURCES, base["nickname_source"]
        ),
        "profile_image_url": v.get_str(
            data, "profile_image_url", base["profile_image_url"], nullable=True
        ),
        "connected_at": v.get_str(data, "connected_at", base["connected_at"]),
    }


def new_user(data: Mapping[str, Any], *, connected_at: str) -> FakeUser:
    """A user from a users-file entry or ``POST /_mock/users`` (only ``id`` is required)."""
    user_id = v.get_int(data, "id", minimum=1, maximum=v.MAX_USER_ID)
    defaults = FakeUser(id=user_id, label=f"User {user_id}", connected_at=connected_at)
    return FakeUser(id=user_id, **parse_profile(data, defaults.to_json()))


def patched(user: FakeUser, data: Mapping[str, Any]) -> FakeUser:
    """``user`` with the fields of a ``PATCH /_mock/users/{id}`` body applied."""
    v.reject_unknown(data, PROFILE_FIELDS, "PATCH body (id, tokens and faults are not patchable)")
    return dataclasses.replace(user, **parse_profile(data, user.to_json()))


def render_me(user: FakeUser, consent: Consent) -> dict[str, Any]:
    """The body of ``GET /v2/user/me`` for ``user`` as seen through ``consent``.

    Mirrors Kakao: an item the person did not agree to has no value fields and
    ``<item>_needs_agreement: true``; ``properties`` is the deprecated twin of
    ``kakao_account.profile`` that many apps still read.
    """
    nickname = user.nickname if consent.nickname else None
    account: dict[str, Any] = {"profile_nickname_needs_agreement": not consent.nickname}
    properties: dict[str, Any] = {}

    if nickname is not None and user.nickname_source in ("both", "properties"):
        properties["nickname"] = nickname
    if nickname is not None and user.nickname_source in ("both", "profile"):
        account["profile"] = {"nickname": nickname, "is_default_nickname": False}
    if user.profile_image_url is not None:
        account["profile_image_needs_agreement"] = False
        profile = account.setdefault("profile", {})
        profile.update(
            thumbnail_image_url=user.profile_image_url,
            profile_image_url=user.profile_image_url,
            is_default_image=False,
        )
        properties.update(
            profile_image=user.profile_image_url, thumbnail_image=user.profile_image_url
        )

    account["has_email"] = user.email is not None
    account["email_needs_agreement"] = not consent.email
    if consent.email and user.email is not None:
        account["is_email_valid"] = user.is_email_valid
        account["is_email_verified"] = user.is_email_verified
        account["email"] = user.email

    body: dict[str, Any] = {"id": user.id, "connected_at": user.connected_at}
    if properties:
        body["properties"] = properties
    body["kakao_account"] = account
    return body
