"""A fake person's shipping addresses (Kakao's 배송지) and how ``GET /v1/user/shipping_address``
pages through them.

Kakao's order (its SDK references, kakao-api.md "Shipping addresses"): the default address
first whatever its age, then the others newest ``updated_at`` first. A page holds
``page_size`` addresses (default 10); the next page is asked for with ``from_updated_at`` set
to the last address's ``updated_at`` and holds the addresses changed before it (0 or absent:
from the start). The default address is on the first page only. ``address_id`` asks for one.

Pure data and functions: the users file, the admin API and kapi read from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mock_kakao.files import validation as v
from mock_kakao.web.errors import InvalidInput

ADDRESS_TYPES: tuple[str, ...] = ("NEW", "OLD")  # road-name and lot-number addresses
ADDRESS_FIELDS = (
    "id",
    "name",
    "is_default",
    "updated_at",
    "type",
    "base_address",
    "detail_address",
    "receiver_name",
    "receiver_phone_number1",
    "receiver_phone_number2",
    "zone_number",
    "zip_code",
)
TEXT_FIELDS = ADDRESS_FIELDS[5:]
#: addresses one fake person may keep: Kakao's own cap is not documented; this bounds the users
#: file, the admin API and every page the fake builds
MAX_ADDRESSES = 100
MAX_TEXT_CHARS = 1000
DEFAULT_PAGE_SIZE = 10
#: the largest ``page_size`` the fake takes (Kakao names none; past the cap is its -2)
MAX_PAGE_SIZE = 100
#: 2024-01-01T00:00:00Z, the fake's default date, for an address the file gives no time
DEFAULT_UPDATED_AT = 1704067200
MAX_UPDATED_AT = 2**31 - 1


@dataclass(frozen=True)
class ShippingAddress:
    """One address, with Kakao's field names (``updated_at`` in unix seconds)."""

    id: int
    name: str | None = None
    is_default: bool = False
    updated_at: int = DEFAULT_UPDATED_AT
    type: str = "NEW"
    base_address: str | None = None
    detail_address: str | None = None
    receiver_name: str | None = None
    receiver_phone_number1: str | None = None
    receiver_phone_number2: str | None = None
    zone_number: str | None = None
    zip_code: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Kakao's shape: absent fields left out, as its fixtures show them."""
        return {key: value for key, value in asdict(self).items() if value is not None}


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = v.get_str(data, key, None, nullable=True)
    if value is not None and len(value) > MAX_TEXT_CHARS:
        raise InvalidInput(
            "INVALID_FIELD", f"shipping_addresses: {key} must be at most {MAX_TEXT_CHARS} chars"
        )
    return value


def parse_address(data: Any) -> ShippingAddress:
    data = v.expect_object(data, "a shipping address")
    v.reject_unknown(data, ADDRESS_FIELDS, "shipping address")
    return ShippingAddress(
        id=v.get_int(data, "id", minimum=1, maximum=v.MAX_USER_ID),
        name=_text(data, "name"),
        is_default=v.get_bool(data, "is_default", False),
        updated_at=v.get_int(
            data, "updated_at", DEFAULT_UPDATED_AT, minimum=0, maximum=MAX_UPDATED_AT
        ),
        type=v.get_choice(data, "type", ADDRESS_TYPES, "NEW"),
        **{key: _text(data, key) for key in TEXT_FIELDS},
    )


def parse_addresses(value: Any) -> tuple[ShippingAddress, ...]:
    """A user's ``shipping_addresses``: a list of distinct ids, at most one default."""
    if not isinstance(value, list):
        raise InvalidInput("INVALID_FIELD", "shipping_addresses must be a JSON list")
    if len(value) > MAX_ADDRESSES:
        raise InvalidInput("INVALID_FIELD", f"shipping_addresses: at most {MAX_ADDRESSES} per user")
    addresses = tuple(parse_address(item) for item in value)
    if len({address.id for address in addresses}) != len(addresses):
        raise InvalidInput("INVALID_FIELD", "shipping_addresses: an id appears twice")
    if sum(address.is_default for address in addresses) > 1:
        raise InvalidInput("INVALID_FIELD", "shipping_addresses: at most one is_default")
    return addresses


@dataclass(frozen=True)
class PageRequest:
    """What a caller asked for; every field already checked."""

    address_id: int | None = None
    from_updated_at: int = 0
    page_size: int = DEFAULT_PAGE_SIZE


def ordered(addresses: Sequence[ShippingAddress]) -> list[ShippingAddress]:
    """Kakao's order: the default first, then newest first (ties: the higher id first)."""
    return sorted(addresses, key=lambda a: (not a.is_default, -a.updated_at, -a.id))


def page(addresses: Sequence[ShippingAddress], asked: PageRequest) -> list[ShippingAddress]:
    """The addresses one call returns (see the module docstring)."""
    if asked.address_id is not None:
        return [address for address in addresses if address.id == asked.address_id]
    listed = ordered(addresses)
    if asked.from_updated_at > 0:
        listed = [a for a in listed if not a.is_default and a.updated_at < asked.from_updated_at]
    return listed[: asked.page_size]


def shipping_json(
    user_id: int,
    addresses: Sequence[ShippingAddress],
    asked: PageRequest,
    *,
    agreed: bool,
) -> dict[str, Any]:
    """The body of ``GET /v1/user/shipping_address``: without the person's agreement, no
    addresses at all and ``shipping_addresses_needs_agreement: true`` (Kakao's SDKs say the
    list is then null, and additional consent brings it). A person with no address has
    nothing to agree to (issue 20 rule 7): ``false`` and an empty list."""
    needs_agreement = bool(addresses) and not agreed
    body: dict[str, Any] = {
        "user_id": user_id,
        "shipping_addresses_needs_agreement": needs_agreement,
    }
    if not needs_agreement:
        body["shipping_addresses"] = [address.to_json() for address in page(addresses, asked)]
    return body
