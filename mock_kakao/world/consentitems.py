"""The app's consent items (Kakao console: [카카오 로그인] > [동의항목]) and what ``scope`` asks.

An app declares which items it asks people for: each has an id (``account_email``), a display
name, a type (``PRIVACY`` for personal data, ``SERVICE`` for a permission such as
``talk_message``) and whether it is required. An item the app did not declare never appears in
``/v2/user/me``, and naming one in ``scope`` is KOE205, as at Kakao. The users file declares
them as ``app.consent_items``; without it the app asks for nickname, profile image and email,
all optional (what the fake did before items could be declared).

Pure functions and data only: the pages, kapi and the state all read from here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mock_kakao.files import validation as v
from mock_kakao.web.errors import InvalidInput

ItemType = Literal["PRIVACY", "SERVICE"]
ITEM_TYPES: tuple[str, ...] = ("PRIVACY", "SERVICE")
OPENID = "openid"
ITEM_FIELDS = ("id", "display_name", "type", "required")
_ITEM_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SCOPE_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class ConsentItem:
    """One consent item the app asks for."""

    id: str
    display_name: str
    type: ItemType = "PRIVACY"
    required: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "display_name": self.display_name,
            "type": self.type,
            "required": self.required,
        }


#: Kakao's items the fake knows how to render, in the order Kakao's console lists them; an app
#: may declare others (``friends``...): they appear in scopes and on the consent page only.
CATALOGUE: dict[str, ConsentItem] = {
    item.id: item
    for item in (
        ConsentItem("profile_nickname", "닉네임"),
        ConsentItem("profile_image", "프로필 사진"),
        ConsentItem("account_email", "카카오계정(이메일)"),
        ConsentItem("name", "이름"),
        ConsentItem("gender", "성별"),
        ConsentItem("age_range", "연령대"),
        ConsentItem("birthday", "생일"),
        ConsentItem("birthyear", "출생 연도"),
        ConsentItem("phone_number", "카카오계정(전화번호)"),
        ConsentItem("shipping_address", "배송지정보"),
        ConsentItem("account_ci", "CI(연계정보)"),
        ConsentItem("talk_message", "카카오톡 메시지 전송", "SERVICE"),
    )
}
#: an app whose users file declares no ``consent_items``
DEFAULT_ITEMS: tuple[ConsentItem, ...] = tuple(
    CATALOGUE[item] for item in ("profile_nickname", "profile_image", "account_email")
)


def canonical_order(item_ids: Iterable[str]) -> list[str]:
    """Item ids in the catalogue's order, unknown ones after, alphabetically."""
    known = list(CATALOGUE)
    return sorted(
        set(item_ids),
        key=lambda item: (known.index(item), "") if item in known else (len(known), item),
    )


def valid_item_id(item_id: object) -> bool:
    return isinstance(item_id, str) and bool(_ITEM_ID.fullmatch(item_id)) and item_id != OPENID


def parse_item(data: Any) -> ConsentItem:
    """``"account_email"`` or ``{"id": "account_email", "required": true, ...}``."""
    if isinstance(data, str):
        data = {"id": data}
    data = v.expect_object(data, "a consent item")
    v.reject_unknown(data, ITEM_FIELDS, "consent item")
    item_id = v.get_str(data, "id")
    if not valid_item_id(item_id):
        raise InvalidInput(
            "INVALID_FIELD",
            f"consent item id {item_id!r}: lower-case letters, digits and _ (not 'openid')",
        )
    known = CATALOGUE.get(item_id, ConsentItem(item_id, item_id))
    display_name = v.get_optional_str(data, "display_name", known.display_name)
    if not display_name.strip():
        raise InvalidInput("INVALID_FIELD", f"{item_id}: display_name must not be blank")
    return ConsentItem(
        id=item_id,
        display_name=display_name,
        type=v.get_choice(data, "type", ITEM_TYPES, known.type),  # type: ignore[arg-type]
        required=v.get_bool(data, "required", False),
    )


def parse_consent_items(data: Any) -> tuple[ConsentItem, ...]:
    """The users file's ``app.consent_items``: a list of item ids or item objects."""
    if not isinstance(data, list):
        raise InvalidInput("INVALID_FIELD", "app.consent_items must be a JSON list")
    items = tuple(parse_item(entry) for entry in data)
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise InvalidInput("INVALID_FIELD", "app.consent_items: an item is declared twice")
    return items


def scope_items(scope: str | None) -> list[str]:
    """Kakao's scope parameter: comma-separated per its docs, space-separated per its SDKs."""
    return [item for item in _SCOPE_SEPARATORS.split(scope or "") if item]


def requested_items(scope: str | None) -> list[str]:
    """The consent items a ``scope`` names (``openid`` is a protocol switch, not an item)."""
    return [item for item in scope_items(scope) if item != OPENID]


def unconfigured(items: Sequence[ConsentItem], scope: str | None) -> list[str]:
    """The items ``scope`` names that the app does not ask for: Kakao's KOE205."""
    configured = {item.id for item in items}
    return [item for item in requested_items(scope) if item not in configured]


def items_to_ask(
    items: Sequence[ConsentItem], scope: str | None, remembered: Collection[str] | None
) -> list[ConsentItem]:
    """What the consent page asks: every item on a first login (``remembered`` None) or when
    ``scope`` names no item; else, additional consent, only the named items not yet agreed."""
    named = requested_items(scope)
    if remembered is None or not named:
        return list(items)
    return [item for item in items if item.id in named and item.id not in remembered]


def required_ids(items: Iterable[ConsentItem]) -> set[str]:
    return {item.id for item in items if item.required}


def parse_scope_list(raw: str | None) -> list[str] | None:
    """``scopes`` of ``/v2/user/scopes``: a JSON array (the SDKs) or comma-separated (the
    table); None when it is neither (a -2 for the caller)."""
    if raw is None:
        return []
    text = raw.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return None
        return [item.strip() for item in value if item.strip()]
    return scope_items(text)


def scope_entry(item: ConsentItem, *, agreed: bool, using: bool) -> dict[str, Any]:
    """One element of ``scopes``, in Kakao's key order; ``revocable`` only when agreed."""
    entry: dict[str, Any] = {
        "id": item.id,
        "display_name": item.display_name,
        "type": item.type,
        "using": using,
        "agreed": agreed,
    }
    if agreed:
        entry["revocable"] = not item.required
    return entry


def scopes_json(
    user_id: int,
    items: Sequence[ConsentItem],
    agreed: Collection[str],
    only: Collection[str] | None = None,
) -> dict[str, Any]:
    """``GET /v2/user/scopes``: the app's items, then items agreed earlier that the app no
    longer asks for (``using: false``); narrowed to ``only`` when given."""
    configured = {item.id for item in items}
    entries = [scope_entry(item, agreed=item.id in agreed, using=True) for item in items]
    for item_id in canonical_order(set(agreed) - configured):
        former = CATALOGUE.get(item_id, ConsentItem(item_id, item_id))
        entries.append(scope_entry(former, agreed=True, using=False))
    if only:
        entries = [entry for entry in entries if entry["id"] in only]
    return {"id": user_id, "scopes": entries}


def items_json(items: Iterable[ConsentItem]) -> list[dict[str, Any]]:
    return [item.to_json() for item in items]
