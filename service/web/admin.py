"""The admin API's decisions: who may use it, and which page of accounts was asked for.

`/admin/accounts` lets a developer see and delete the service's accounts (to sign up again
without deleting the database by hand). It exists only when `ADMIN_TOKEN` is set, and answers
only `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from service.errors import ApiError
from service.tokens import MAX_USER_ID

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Page:
    """`limit` accounts whose ids are above `after` (0: from the first)."""

    limit: int = DEFAULT_PAGE_SIZE
    after: int = 0


def check_admin(authorization: Sequence[str], admin_token: str) -> None:
    """Pass only exactly one `Authorization: Bearer <admin_token>`; else INVALID_ADMIN_TOKEN.

    The scheme is required (unlike the Kakao token's): nothing sends this token raw. The
    comparison takes the same time wherever the first wrong byte is.
    """
    if len(authorization) != 1:
        raise ApiError("INVALID_ADMIN_TOKEN")
    scheme, _, token = authorization[0].strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.encode(errors="surrogateescape"), admin_token.encode()
    ):
        raise ApiError("INVALID_ADMIN_TOKEN")


def parse_page(arguments: Mapping[str, Sequence[bytes]]) -> Page:
    """`?limit=&after=` as a Page; anything else (a repeat, a non-number, out of range) is
    INVALID_QUERY, so a typo is never silently the first page. An empty value is the default:
    a client with no cursor yet sends `after=` (issue 19 item 7), and that means the start."""
    unknown = set(arguments) - {"limit", "after"}
    if unknown:
        raise ApiError("INVALID_QUERY")
    limit = _number(arguments, "limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    after = _number(arguments, "after", 0, 0, MAX_USER_ID)
    return Page(limit, after)


def account_id(text: str) -> int | None:
    """The id in `/admin/accounts/{id}` (digits, by the route), or None past any id we hand out."""
    value = int(text) if len(text) <= 19 else MAX_USER_ID + 1
    return value if 1 <= value <= MAX_USER_ID else None


def _number(
    arguments: Mapping[str, Sequence[bytes]], name: str, default: int, low: int, high: int
) -> int:
    values = arguments.get(name)
    if not values or values == [b""]:
        return default
    raw = values[0]
    if len(values) != 1 or not raw.isdigit() or len(raw) > 19 or not low <= int(raw) <= high:
        raise ApiError("INVALID_QUERY")
    return int(raw)
