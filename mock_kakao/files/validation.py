"""Tiny, strict readers for JSON objects coming from the users file or the admin API.

Strict on purpose: a typo such as ``"emial"`` or ``"times": "3"`` in a fault set up by a test
should fail loudly with a 400 naming the field, not be ignored and make the test lie.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mock_kakao.web.errors import InvalidInput

MISSING = object()
#: Kakao's user ids are signed 64-bit integers; a larger one is a user no real Kakao could have
MAX_USER_ID = 2**63 - 1
MAX_APP_ID = 2**63 - 1  # the same for app ids
#: the longest time span the fake accepts anywhere (a token's lifetime, the clock's offset from
#: real time), either way: ten years of 365 days keeps every date it computes a valid datetime
MAX_SPAN_SECONDS = 10 * 365 * 24 * 3600


def parse_id(text: object, maximum: int) -> int | None:
    """The id ``text`` spells in ASCII digits, from 1 to ``maximum``; else None.

    Never ``str.isdigit`` or ``int()`` alone: both take other scripts' digits (``٤``, ``４``),
    and ``int()`` also ``+4``, `` 4 `` and ``4_0``, so one id would have many spellings.
    """
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()):
        return None
    if len(text) > len(str(maximum)):  # before int(): a 5,000-digit id is int()'s ValueError
        return None
    value = int(text)
    return value if 1 <= value <= maximum else None


def expect_object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput("INVALID_FIELD", f"{what} must be a JSON object")
    return value


def reject_unknown(data: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput("UNKNOWN_FIELD", f"{what}: unknown field(s) {', '.join(unknown)}")


def get_int(
    data: Mapping[str, Any],
    key: str,
    default: Any = MISSING,
    *,
    minimum: int,
    maximum: int,
) -> Any:
    """An integer field within bounds (``true`` is not an integer here, whatever Python thinks).

    The bounds are required: every number the fake takes ends up in arithmetic or in a date,
    and an unbounded one (``10**400``) is an OverflowError there.
    """
    value = data.get(key, default)
    if value is MISSING:
        raise InvalidInput("MISSING_FIELD", f"{key} is required")
    if value is default and key not in data:
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("INVALID_FIELD", f"{key} must be an integer")
    if value < minimum:
        raise InvalidInput("INVALID_FIELD", f"{key} must be at least {minimum}")
    if value > maximum:
        raise InvalidInput("INVALID_FIELD", f"{key} must be at most {maximum}")
    return value


def get_number(data: Mapping[str, Any], key: str, *, minimum: float, maximum: float) -> int | float:
    """A required number within bounds (always bounded: an unbounded float meets ``inf``)."""
    value = data.get(key, MISSING)
    if value is MISSING:
        raise InvalidInput("MISSING_FIELD", f"{key} is required")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput("INVALID_FIELD", f"{key} must be a number")
    # Compared before any conversion: a huge int never becomes a float, NaN fails both tests.
    if not minimum <= value <= maximum:
        raise InvalidInput("INVALID_FIELD", f"{key} must be between {minimum} and {maximum}")
    return value


def get_bool(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise InvalidInput("INVALID_FIELD", f"{key} must be true or false")
    return value


def get_str(data: Mapping[str, Any], key: str, default: Any = MISSING, *, nullable: bool = False):
    value = data.get(key, default)
    if value is MISSING:
        raise InvalidInput("MISSING_FIELD", f"{key} is required")
    if value is None and nullable:
        return None
    if value is default and key not in data:
        return value
    if not isinstance(value, str):
        kind = "a string or null" if nullable else "a string"
        raise InvalidInput("INVALID_FIELD", f"{key} must be {kind}")
    return value


def get_optional_str(data: Mapping[str, Any], key: str, default: Any) -> Any:
    """An optional string field where ``null`` means "left out" (``default``), as the admin
    API documents for every optional string (issue 20 rule 10: ``label: null`` is no 400)."""
    value = data.get(key)
    return default if value is None else get_str(data, key, default)


def get_choice(data: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    """One of ``choices``; left out or ``null``, ``default``."""
    value = get_optional_str(data, key, default)
    if value not in choices:
        raise InvalidInput("INVALID_FIELD", f"{key} must be one of {', '.join(choices)}")
    return value


def get_list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InvalidInput("INVALID_FIELD", f"{key} must be a JSON list")
    return value
