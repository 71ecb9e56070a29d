"""Fake Kakao accounts and how ``/v2/user/me`` renders one of them.

A user carries the person's whole ``kakao_account`` (profile, email, name, birthday, phone,
CI...) *and* the consent they give by default, item by item. A grant may narrow that consent
(the consent page lets the person untick optional items; additional consent and revoking
change it later), so rendering always takes the consent explicitly: consent belongs to a
grant, not to the person. What the app asks for (:mod:`mock_kakao.world.consentitems`) decides what
appears at all.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mock_kakao.files import validation as v
from mock_kakao.web.errors import InvalidInput
from mock_kakao.world.consentitems import DEFAULT_ITEMS, canonical_order, valid_item_id
from mock_kakao.world.serviceterms import Agreement, agreements_json, parse_agreements
from mock_kakao.world.shipping import ShippingAddress, parse_addresses

NicknameSource = Literal["both", "profile", "properties"]
NICKNAME_SOURCES: tuple[str, ...] = ("both", "profile", "properties")
BIRTHDAY_TYPES: tuple[str, ...] = ("SOLAR", "LUNAR")
GENDERS: tuple[str, ...] = ("female", "male")
#: Kakao's buckets (its docs say ``1~9``, its Flutter SDK ``0~9``: both are taken)
AGE_RANGES: tuple[str, ...] = (
    "0~9", "1~9", "10~14", "15~19", "20~29", "30~39", "40~49", "50~59", "60~69", "70~79",
    "80~89", "90~",
)  # fmt: skip
#: the properties every app has (deprecated twins of ``kakao_account.profile``)
DEFAULT_PROPERTIES: tuple[str, ...] = ("nickname", "profile_image", "thumbnail_image")
_PROPERTY_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_BIRTHYEAR = re.compile(r"\d{4}")
_BIRTHDAY = re.compile(r"(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")  # MMDD
#: the items whose agreement is set by their own old flag rather than ``consents``
FLAG_ITEMS = {"profile_nickname": "nickname_consent", "account_email": "email_consent"}
#: the user field an item shares; a person without it has nothing to share for that item:
#: Kakao never asks for it, and ``/v2/user/me`` shows ``<item>_needs_agreement: false`` with no
#: value (kakao-api.md, "Profile details", [IOSLEG]). ``profile_image`` is not here: a person
#: without a custom picture shares Kakao's default one.
ITEM_VALUE = {
    "profile_nickname": "nickname",
    "account_email": "email",
    "name": "name",
    "gender": "gender",
    "age_range": "age_range",
    "birthday": "birthday",
    "birthyear": "birthyear",
    "phone_number": "phone_number",
    "account_ci": "ci",
    "talk_message": "for_partner_uuid",
    "shipping_address": "shipping_addresses",  # no address: nothing to share
}
#: ``kakao_account`` items with plain values: (item, field prefix, the fields shared)
PLAIN_ITEMS = (
    ("name", "name", ("name",)),
    ("age_range", "age_range", ("age_range",)),
    ("birthyear", "birthyear", ("birthyear",)),
    ("birthday", "birthday", ("birthday", "birthday_type", "is_leap_month")),
    ("gender", "gender", ("gender",)),
    ("phone_number", "phone_number", ("phone_number",)),
    ("account_ci", "ci", ("ci", "ci_authenticated_at")),
)
DEFAULT_ITEM_IDS = tuple(item.id for item in DEFAULT_ITEMS)
#: Kakao's default profile picture, what a person who set none shows with ``is_default_image:
#: true`` (kakao-api.md, [DT115259]). The URLs are LIKELY: seen in third-party captures of
#: ``/v2/user/me`` and of id_tokens (2023-2024), not in Kakao's docs.
DEFAULT_PROFILE_IMAGE_URL = (
    "http://k.kakaocdn.net/dn/1G9kp/btsAot8liOn/8CWudi3uy07rvFNUkk3ER0/img_640x640.jpg"
)
DEFAULT_THUMBNAIL_IMAGE_URL = (
    "http://k.kakaocdn.net/dn/1G9kp/btsAot8liOn/8CWudi3uy07rvFNUkk3ER0/img_110x110.jpg"
)

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
    "thumbnail_image_url",
    "is_default_image",
    "is_default_nickname",
    "name",
    "age_range",
    "birthyear",
    "birthday",
    "birthday_type",
    "is_leap_month",
    "gender",
    "phone_number",
    "ci",
    "ci_authenticated_at",
    "has_signed_up",
    "synched_at",
    "for_partner_uuid",
    "consents",
    "properties",
    "shipping_addresses",
    "service_terms",
)


@dataclass(frozen=True)
class Consent:
    """The consent items a grant covers, by Kakao's ids (``profile_nickname``...)."""

    agreed: frozenset[str] = frozenset()

    @property
    def nickname(self) -> bool:
        return "profile_nickname" in self.agreed

    @property
    def email(self) -> bool:
        return "account_email" in self.agreed

    def has(self, item: str) -> bool:
        return item in self.agreed

    def with_items(self, items: Collection[str]) -> Consent:
        return Consent(self.agreed | frozenset(items))

    def without(self, items: Collection[str]) -> Consent:
        return Consent(self.agreed - frozenset(items))

    @property
    def scope(self) -> str:
        """The ``scope`` string of Kakao's token response for this consent."""
        return " ".join(canonical_order(self.agreed))


@dataclass(frozen=True)
class ProfileImage:
    """The picture a person shares: their own, or Kakao's default one."""

    profile_image_url: str
    thumbnail_image_url: str
    is_default_image: bool


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
    profile_image_url: str | None = None  # None: Kakao's default picture
    connected_at: str = "2024-01-01T00:00:00Z"
    thumbnail_image_url: str | None = None  # None: the profile image's URL
    is_default_image: bool = False  # true anyway without profile_image_url
    is_default_nickname: bool = False
    name: str | None = None
    age_range: str | None = None
    birthyear: str | None = None
    birthday: str | None = None  # MMDD
    birthday_type: str = "SOLAR"
    is_leap_month: bool = False
    gender: str | None = None
    phone_number: str | None = None
    ci: str | None = None
    ci_authenticated_at: str | None = None
    has_signed_up: bool | None = None  # None: the app links on login (auto-link on): absent
    synched_at: str | None = None  # Kakao Sync's sign-up time; None: absent
    for_partner_uuid: str | None = None
    #: the default agreement per item, for items other than nickname and email (missing: agreed)
    consents: Mapping[str, bool] = field(default_factory=dict)
    #: custom user properties (Kakao's [사용자 프로퍼티]): shown for the keys the app added
    properties: Mapping[str, str] = field(default_factory=dict)
    #: Kakao's 배송지 (``GET /v1/user/shipping_address``, :mod:`mock_kakao.world.shipping`)
    shipping_addresses: tuple[ShippingAddress, ...] = ()
    #: the Kakao Sync service terms this person agreed to, by tag (serviceterms.py)
    service_terms: Mapping[str, Agreement] = field(default_factory=dict)

    def has_item(self, item: str) -> bool:
        """Whether this person has something to share for ``item`` (see ``ITEM_VALUE``)."""
        value_field = ITEM_VALUE.get(item)
        return value_field is None or getattr(self, value_field) not in (None, ())

    @property
    def image(self) -> ProfileImage:
        """The picture ``/v2/user/me`` and the id_token show: Kakao's default one (with
        ``is_default_image: true``) for a person who set none."""
        if self.profile_image_url is None:
            thumbnail = self.thumbnail_image_url or DEFAULT_THUMBNAIL_IMAGE_URL
            return ProfileImage(DEFAULT_PROFILE_IMAGE_URL, thumbnail, True)
        thumbnail = self.thumbnail_image_url or self.profile_image_url
        return ProfileImage(self.profile_image_url, thumbnail, self.is_default_image)

    def agrees_by_default(self, item: str) -> bool:
        flag = FLAG_ITEMS.get(item)
        return getattr(self, flag) if flag else self.consents.get(item, True)

    def default_consent(self, items: Collection[str] = DEFAULT_ITEM_IDS) -> Consent:
        """The consent this person gives to an app asking for ``items``, unless a grant
        says otherwise (the admin API's and the users file's tokens)."""
        return Consent(
            frozenset(i for i in items if self.has_item(i) and self.agrees_by_default(i))
        )

    @property
    def consent(self) -> Consent:
        """The default consent to an app asking for the default items."""
        return self.default_consent()

    def to_json(self) -> dict[str, Any]:
        body = dataclasses.asdict(self)
        body["consents"] = dict(self.consents)
        body["properties"] = dict(self.properties)
        body["shipping_addresses"] = [address.to_json() for address in self.shipping_addresses]
        body["service_terms"] = agreements_json(self.service_terms)
        return body


def valid_property_key(key: object) -> bool:
    """A custom user property key an app can add: a name, not one of the default three."""
    return (
        isinstance(key, str)
        and bool(_PROPERTY_KEY.fullmatch(key))
        and key not in DEFAULT_PROPERTIES
    )


def with_properties(user: FakeUser, changes: Mapping[str, str]) -> FakeUser:
    """``user`` after ``/v1/user/update_profile``: the keys given replaced, the others kept."""
    return dataclasses.replace(user, properties={**user.properties, **changes})


def _pattern(data: Mapping[str, Any], key: str, pattern: re.Pattern[str], base: Any, what: str):
    value = v.get_str(data, key, base, nullable=True)
    if value is not None and not pattern.fullmatch(value):
        raise InvalidInput("INVALID_FIELD", f"{key} must be {what}")
    return value


def _nullable_choice(data: Mapping[str, Any], key: str, choices: tuple[str, ...], base: Any):
    value = v.get_str(data, key, base, nullable=True)
    if value is not None and value not in choices:
        raise InvalidInput("INVALID_FIELD", f"{key} must be null or one of {', '.join(choices)}")
    return value


def _nullable_bool(data: Mapping[str, Any], key: str, base: bool | None) -> bool | None:
    value = data.get(key, base)
    if value is not None and not isinstance(value, bool):
        raise InvalidInput("INVALID_FIELD", f"{key} must be true, false or null")
    return value


def _consents(data: Mapping[str, Any], base: Mapping[str, bool]) -> dict[str, bool]:
    value = data.get("consents", base)
    value = v.expect_object(value, "consents")
    for item, agreed in value.items():
        if item in FLAG_ITEMS:
            raise InvalidInput(
                "INVALID_FIELD", f"consents: set {item} with {FLAG_ITEMS[item]} instead"
            )
        if not valid_item_id(item) or not isinstance(agreed, bool):
            raise InvalidInput(
                "INVALID_FIELD", f"consents: {item!r} must be a consent item id set to true/false"
            )
    return dict(value)


def _properties(data: Mapping[str, Any], base: Mapping[str, str]) -> dict[str, str]:
    value = data.get("properties")
    if value is None:  # null: left out
        return dict(base)
    value = v.expect_object(value, "properties")
    for key, text in value.items():
        if not valid_property_key(key) or not isinstance(text, str):
            raise InvalidInput(
                "INVALID_FIELD",
                f"properties: {key!r} must be a custom property key (letters, digits, _; not "
                f"{', '.join(DEFAULT_PROPERTIES)}) set to a string",
            )
    return dict(value)


def parse_profile(data: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """Read the profile fields present in ``data``, falling back to ``base`` for the others."""

    def text(key: str) -> str | None:
        return v.get_str(data, key, base[key], nullable=True)

    def flag(key: str) -> bool:
        return v.get_bool(data, key, base[key])

    return {
        "label": v.get_optional_str(data, "label", base["label"]),
        "nickname": text("nickname"),
        "email": text("email"),
        "nickname_consent": flag("nickname_consent"),
        "email_consent": flag("email_consent"),
        "is_email_valid": flag("is_email_valid"),
        "is_email_verified": flag("is_email_verified"),
        "nickname_source": v.get_choice(
            data, "nickname_source", NICKNAME_SOURCES, base["nickname_source"]
        ),
        "profile_image_url": text("profile_image_url"),
        "connected_at": v.get_optional_str(data, "connected_at", base["connected_at"]),
        "thumbnail_image_url": text("thumbnail_image_url"),
        "is_default_image": flag("is_default_image"),
        "is_default_nickname": flag("is_default_nickname"),
        "name": text("name"),
        "age_range": _nullable_choice(data, "age_range", AGE_RANGES, base["age_range"]),
        "birthyear": _pattern(data, "birthyear", _BIRTHYEAR, base["birthyear"], "YYYY"),
        "birthday": _pattern(data, "birthday", _BIRTHDAY, base["birthday"], "MMDD"),
        "birthday_type": v.get_choice(data, "birthday_type", BIRTHDAY_TYPES, base["birthday_type"]),
        "is_leap_month": flag("is_leap_month"),
        "gender": _nullable_choice(data, "gender", GENDERS, base["gender"]),
        "phone_number": text("phone_number"),
        "ci": text("ci"),
        "ci_authenticated_at": text("ci_authenticated_at"),
        "has_signed_up": _nullable_bool(data, "has_signed_up", base["has_signed_up"]),
        "synched_at": text("synched_at"),
        "for_partner_uuid": text("for_partner_uuid"),
        "consents": _consents(data, base["consents"]),
        "properties": _properties(data, base["properties"]),
        "shipping_addresses": parse_addresses(
            base["shipping_addresses"]
            if data.get("shipping_addresses") is None  # null: left out
            else data["shipping_addresses"]
        ),
        "service_terms": parse_agreements(
            base["service_terms"] if data.get("service_terms") is None else data["service_terms"],
            # an agreement without a time was made when the person linked the app
            default_at=v.get_optional_str(data, "connected_at", base["connected_at"]),
        ),
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


def _image(url: str, secure: bool) -> str:
    """``secure_resource=true`` asks for https image URLs."""
    return "https://" + url[len("http://") :] if secure and url.startswith("http://") else url


def render_me(
    user: FakeUser,
    consent: Consent,
    configured: Collection[str] = DEFAULT_ITEM_IDS,
    *,
    secure: bool = False,
    custom: Collection[str] = (),
) -> dict[str, Any]:
    """The body of ``GET /v2/user/me`` for ``user`` as seen through ``consent``, for an app
    asking for the ``configured`` items.

    Mirrors Kakao: an item the person did not agree to has no value fields and
    ``<item>_needs_agreement: true``; one the person has no value for has none either, and
    ``false``; an item the app does not ask for is not there at all;
    ``properties`` is the deprecated twin of ``kakao_account.profile`` that many apps still
    read, with the person's custom properties whose keys the app added (``custom``).
    """

    def shown(item: str) -> bool:
        return item in configured and user.has_item(item)

    def needs_agreement(item: str) -> bool:
        """Kakao asks only for what the person has: nothing to share, nothing to agree."""
        return user.has_item(item) and not consent.has(item)

    account: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    profile: dict[str, Any] = {}
    if "profile_nickname" in configured:
        account["profile_nickname_needs_agreement"] = needs_agreement("profile_nickname")
        if consent.nickname and user.nickname is not None:
            if user.nickname_source in ("both", "properties"):
                properties["nickname"] = user.nickname
            if user.nickname_source in ("both", "profile"):
                profile.update(nickname=user.nickname, is_default_nickname=user.is_default_nickname)
    if "profile_image" in configured:
        agreed = consent.has("profile_image")
        account["profile_image_needs_agreement"] = not agreed
        if agreed:
            picture = user.image
            image = _image(picture.profile_image_url, secure)
            thumbnail = _image(picture.thumbnail_image_url, secure)
            profile.update(
                thumbnail_image_url=thumbnail,
                profile_image_url=image,
                is_default_image=picture.is_default_image,
            )
            properties.update(profile_image=image, thumbnail_image=thumbnail)
    if profile:
        account["profile"] = profile
    properties.update((key, user.properties[key]) for key in custom if key in user.properties)

    if "account_email" in configured:
        account["has_email"] = user.email is not None  # deprecated, still sent (kakao-api.md)
        account["email_needs_agreement"] = needs_agreement("account_email")
        if consent.email and user.email is not None:
            account["is_email_valid"] = user.is_email_valid
            account["is_email_verified"] = user.is_email_verified
            account["email"] = user.email

    for item, prefix, fields in PLAIN_ITEMS:
        if item in configured:
            account[f"{prefix}_needs_agreement"] = needs_agreement(item)
            if shown(item) and consent.has(item):
                account.update(
                    (name, getattr(user, name))
                    for name in fields
                    if getattr(user, name) is not None
                )

    body: dict[str, Any] = {"id": user.id}
    if user.has_signed_up is not None:
        body["has_signed_up"] = user.has_signed_up
    body["connected_at"] = user.connected_at
    if user.synched_at is not None:
        body["synched_at"] = user.synched_at
    if properties:
        body["properties"] = properties
    body["kakao_account"] = account
    if shown("talk_message") and consent.has("talk_message"):
        body["for_partner"] = {"uuid": user.for_partner_uuid}
    return body
