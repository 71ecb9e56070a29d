"""``/v2/user/me``'s request parameters: ``property_keys`` (a partial fetch) and
``secure_resource`` (https image URLs), read from the query of a GET or the form of a POST.

``property_keys`` is a JSON array such as ``["kakao_account.email"]``. A key names one item
and brings its flags along (``kakao_account.email`` also returns ``email_needs_agreement``,
``is_email_valid`` and ``is_email_verified``, as Kakao documents); the prefix forms
``kakao_account.`` and ``properties.`` bring all of their part. ``id`` and ``connected_at``
always come back. A key the fake does not know is refused with kapi's -2, so a typo in a
client does not pass as "the person has no such value"; ``properties.<key>`` for a key the app
has not added is Kakao's -201 (issue 20 rule 8), a custom one it added is read like the rest.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from aiohttp import web

from mock_kakao.web.errors import KapiError
from mock_kakao.world.users import DEFAULT_PROPERTIES

#: each documented key and the ``kakao_account`` fields it selects
ACCOUNT_KEYS: dict[str, tuple[str, ...]] = {
    "kakao_account.profile": (
        "profile_needs_agreement",
        "profile_nickname_needs_agreement",
        "profile_image_needs_agreement",
        "profile",
    ),
    "kakao_account.email": (
        "has_email",
        "email_needs_agreement",
        "is_email_valid",
        "is_email_verified",
        "email",
    ),
    "kakao_account.name": ("name_needs_agreement", "name"),
    "kakao_account.age_range": ("age_range_needs_agreement", "age_range"),
    "kakao_account.birthyear": ("birthyear_needs_agreement", "birthyear"),
    "kakao_account.birthday": (
        "birthday_needs_agreement",
        "birthday",
        "birthday_type",
        "is_leap_month",
    ),
    "kakao_account.gender": ("gender_needs_agreement", "gender"),
    "kakao_account.phone_number": ("phone_number_needs_agreement", "phone_number"),
    "kakao_account.ci": ("ci_needs_agreement", "ci", "ci_authenticated_at"),
}
PROPERTY_KEYS = ("properties.nickname", "properties.profile_image", "properties.thumbnail_image")
TOP_LEVEL_KEYS = ("id", "has_signed_up", "synched_at", "for_partner.uuid")
PREFIXES = ("kakao_account.", "properties.", "for_partner.")
KNOWN_KEYS = frozenset((*ACCOUNT_KEYS, *PROPERTY_KEYS, *TOP_LEVEL_KEYS, *PREFIXES))
ALWAYS = ("id", "connected_at")


def bad_parameter(message: str) -> KapiError:
    return KapiError(400, -2, message)


async def me_params(request: web.Request) -> dict[str, str]:
    """The query's parameters, then (a POST) the form's, which win."""
    params = dict(request.query)
    if request.method == "POST":
        form = await request.post()
        params.update((key, value) for key, value in form.items() if isinstance(value, str))
    return params


def parse_property_keys(
    raw: str | None, custom: Collection[str] = (), app_id: int = 0
) -> frozenset[str] | None:
    """The keys asked for; None when the parameter is absent (everything). ``custom``: the
    property keys the app added; ``app_id`` names the app in -201's message."""
    if raw is None:
        return None
    try:
        keys = json.loads(raw)
    except ValueError:
        keys = None
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise bad_parameter(
            'property_keys must be a JSON array of strings: ["kakao_account.email"]'
        )
    properties = [key for key in keys if key.startswith("properties.") and key != "properties."]
    unknown = sorted(set(keys) - KNOWN_KEYS - set(properties))
    if unknown:
        raise bad_parameter(f"invalid property_keys: {', '.join(unknown)}")
    missing = [
        name
        for name in dict.fromkeys(key.removeprefix("properties.") for key in properties)
        if name not in DEFAULT_PROPERTIES and name not in custom
    ]
    if missing:
        raise property_not_found(missing, app_id)
    return frozenset(keys)


def property_not_found(missing: Collection[str], app_id: int) -> KapiError:
    """Kakao's -201 for property keys the app has not added (read with ``property_keys`` or
    written with ``/v1/user/update_profile``), in its words."""
    return KapiError(
        400, -201, f"user property not found ([{', '.join(missing)}] for appId={app_id})"
    )


def parse_secure_resource(raw: str | None) -> bool:
    if raw is None or raw.lower() == "false":
        return False
    if raw.lower() == "true":
        return True
    raise bad_parameter("secure_resource must be true or false")


def select(body: Mapping[str, Any], keys: frozenset[str] | None) -> dict[str, Any]:
    """``body`` narrowed to ``keys`` (and ``id``, ``connected_at``); all of it for None."""
    if keys is None:
        return dict(body)
    picked = {key: body[key] for key in body if key in ALWAYS or key in keys}
    account = body.get("kakao_account", {})
    wanted = {
        field
        for key, fields in ACCOUNT_KEYS.items()
        if key in keys or "kakao_account." in keys
        for field in fields
    }
    narrowed = {field: value for field, value in account.items() if field in wanted}
    if narrowed:
        picked["kakao_account"] = narrowed
    properties = {
        name: value
        for name, value in body.get("properties", {}).items()
        if f"properties.{name}" in keys or "properties." in keys
    }
    if properties:
        picked["properties"] = properties
    if "for_partner" in body and ({"for_partner.uuid", "for_partner."} & keys):
        picked["for_partner"] = body["for_partner"]
    return {key: picked[key] for key in body if key in picked}
