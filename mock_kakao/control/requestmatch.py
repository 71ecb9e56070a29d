"""Which logged requests a test asked about, and, when none fit, which came closest and why.

One plain module, so the admin API's filter (``GET /_mock/requests?path=...``) and the test
helper (:meth:`~mock_kakao.testing.MockKakao.assert_requested`) cannot disagree about what
"matching" means. Both work on the log's JSON records (:meth:`LoggedRequest.to_json`), the only
form a test ever sees.

A failed assertion lists WireMock-style "near misses": the requests that matched the most
criteria, each with the criteria it failed, so a wrong user id or a 401 is read off the message
instead of being hunted for in the whole log.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Context, Decimal, InvalidOperation
from typing import Any, TypedDict

from mock_kakao.files import validation as v
from mock_kakao.web.errors import InvalidInput
from mock_kakao.world.requestlog import MAX_ENTRIES, format_time

#: How many near misses a failure message lists.
NEAR_MISSES = 5

Record = Mapping[str, Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_MIN_MS = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // _MS
_MAX_MS = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _MS
_NO_TRAPS = Context(traps=[])
_METHOD = re.compile(r"[A-Za-z]{1,20}")
_DIGITS = re.compile(r"[0-9]{1,19}")


class Criteria(TypedDict, total=False):
    """The filters as a test passes them to MockKakao's helpers (``None`` means any)."""

    method: str | None
    path: str | None
    user_id: int | None
    status: int | None
    since: float | datetime | str | None


@dataclass(frozen=True)
class RequestFilter:
    """What a test asks about; ``None`` means any. ``since`` is in ms on the fake's clock."""

    method: str | None = None
    path: str | None = None  # exact, or a prefix when it ends with "*"
    user_id: int | None = None
    status: int | None = None
    since_ms: int | None = None

    def mismatches(self, record: Record) -> list[str]:
        """Why ``record`` does not match, one reason per failed criterion (empty: it matches)."""
        reasons = []
        if self.method is not None and record["method"] != self.method:
            reasons.append(f"method differs (wanted {self.method})")
        if self.path is not None and not _path_matches(self.path, record["path"]):
            reasons.append(f"path differs (wanted {self.path})")
        if self.user_id is not None and record.get("user_id") != self.user_id:
            known = "user_id differs" if record.get("user_id") is not None else "no user"
            reasons.append(f"{known} (wanted {self.user_id})")
        if self.status is not None and record["status"] != self.status:
            known = "status differs" if record["status"] is not None else "no answer"
            reasons.append(f"{known} (wanted {self.status})")
        if self.since_ms is not None and _ms_of(record["time"]) < self.since_ms:
            reasons.append(f"too early (at {record['time']}, wanted at or after {self.since})")
        return reasons

    def matches(self, record: Record) -> bool:
        return not self.mismatches(record)

    @property
    def since(self) -> str | None:
        """``since_ms`` as the log writes times, for messages."""
        if self.since_ms is None:
            return None
        return format_time(_EPOCH + self.since_ms * _MS)

    def describe(self) -> str:
        given = {
            "method": self.method,
            "path": self.path,
            "user_id": self.user_id,
            "status": self.status,
            "since": self.since,
        }
        return (
            " ".join(f"{k}={val}" for k, val in given.items() if val is not None) or "any request"
        )


@dataclass(frozen=True)
class RequestQuery:
    """A parsed ``GET /_mock/requests`` query: the filter, then the most recent ``limit``."""

    filter: RequestFilter
    limit: int | None = None


def parse_query(pairs: Iterable[tuple[str, str]]) -> RequestQuery:
    """Read query parameters strictly: an unknown, repeated or malformed one is a 400.

    A typo such as ``user=`` or ``status=2OO`` must not silently widen the filter and let a
    test pass on the wrong requests.
    """
    given: dict[str, str] = {}
    for name, value in pairs:
        if name in given:
            raise InvalidInput("INVALID_FIELD", f"{name} is given more than once")
        given[name] = value
    v.reject_unknown(given, _PARSERS, "request filter")
    parsed = {}
    for name, value in given.items():
        if not value:
            raise InvalidInput("INVALID_FIELD", f"{name} must not be empty")
        parsed[name] = _PARSERS[name](value)
    limit = parsed.pop("limit", None)
    since_ms = parsed.pop("since", None)
    return RequestQuery(RequestFilter(**parsed, since_ms=since_ms), limit)


def to_query(**criteria: Any) -> dict[str, str]:
    """Python values (``datetime``, epoch float, int) as query text; ``None`` means not given."""
    query = {}
    for name, value in criteria.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            query[name] = value.isoformat()
        elif isinstance(value, float):
            query[name] = repr(value)
        else:
            query[name] = str(value)
    return query


def select(records: Sequence[Record], query: RequestQuery) -> list[Record]:
    """The matching records, oldest first; with ``limit``, only the most recent ones."""
    found = [record for record in records if query.filter.matches(record)]
    return found[-query.limit :] if query.limit is not None else found


def describe_request(record: Record) -> str:
    """One log record as a line, e.g. ``GET /v2/user/me user 4000000002 status 200``."""
    parts = [record["method"], record["path"]]
    if record.get("user_id") is not None:
        parts.append(f"user {record['user_id']}")
    parts.append(f"status {record['status']}" if record["status"] is not None else "no answer")
    if record.get("fault"):
        parts.append(f"(fault {record['fault']})")
    return " ".join(parts)


def near_misses(records: Sequence[Record], request_filter: RequestFilter) -> list[str]:
    """Up to :data:`NEAR_MISSES` non-matching records, most criteria matched (then newest) first."""
    missed = [
        (len(reasons), -index, record, reasons)
        for index, record in enumerate(records)
        if (reasons := request_filter.mismatches(record))
    ]
    missed.sort(key=lambda item: item[:2])
    return [
        f"{describe_request(record)} — {', '.join(reasons)}"
        for _, _, record, reasons in missed[:NEAR_MISSES]
    ]


def verdict(records: Sequence[Record], request_filter: RequestFilter, times: int | None) -> str:
    """Why the log fails ``times`` (None: at least once; an int: exactly); "" when it passes."""
    matched = [record for record in records if request_filter.matches(record)]
    if (len(matched) >= 1) if times is None else (len(matched) == times):
        return ""
    wanted = "at least one request" if times is None else f"exactly {times} request(s)"
    lines = [
        f"expected {wanted} matching {request_filter.describe()}, "
        f"found {len(matched)} among {len(records)} logged"
    ]
    if not records:
        lines[0] += " (the log is empty: it holds kapi and kauth requests, not /_mock/)"
    if matched:
        lines.append("matching (most recent last):")
        lines.extend(f"  {describe_request(record)}" for record in matched[-NEAR_MISSES:])
    misses = near_misses(records, request_filter)
    if misses and (times is None or len(matched) < times):
        lines.append("closest that did not match:")
        lines.extend(f"  {line}" for line in misses)
    return "\n".join(lines)


def _path_matches(wanted: str, path: str) -> bool:
    if wanted.endswith("*"):
        return path.startswith(wanted[:-1])
    return path == wanted


def _parse_method(text: str) -> str:
    if not _METHOD.fullmatch(text):
        raise InvalidInput("INVALID_FIELD", f"method must be an HTTP method such as GET: {text!r}")
    return text.upper()


def _parse_path(text: str) -> str:
    if not text.startswith("/"):
        raise InvalidInput("INVALID_FIELD", f"path must start with /: {text!r}")
    if "?" in text or "#" in text:
        raise InvalidInput(
            "INVALID_FIELD", "path must not carry a query or fragment: the log never records one"
        )
    if "*" in text[:-1]:
        raise InvalidInput("INVALID_FIELD", "path may hold one *, at its end (a prefix match)")
    return text


def _parse_int(text: str, name: str, minimum: int, maximum: int) -> int:
    if not _DIGITS.fullmatch(text) or not minimum <= int(text) <= maximum:
        raise InvalidInput(
            "INVALID_FIELD", f"{name} must be an integer from {minimum} to {maximum}: {text!r}"
        )
    return int(text)


def _parse_since(text: str) -> int:
    """Epoch seconds (``1700000000.5``) or ISO 8601 with a zone; in whole ms, rounded down.

    The log keeps milliseconds, so a request in the same millisecond as ``since`` counts.
    """
    try:
        ms = _NO_TRAPS.multiply(Decimal(text), 1000)  # an overflow gives Infinity, refused below
    except InvalidOperation:
        ms = Decimal((_iso_moment(text) - _EPOCH) // _MS)
    # Compared as a Decimal first: int() of "1e99999" would build a huge number.
    if not ms.is_finite() or not _MIN_MS <= ms <= _MAX_MS:
        raise InvalidInput(
            "INVALID_FIELD", f"since must be a time between the years 1 and 9999 UTC: {text!r}"
        )
    return int(ms.to_integral_value(rounding=ROUND_FLOOR))


def _iso_moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "INVALID_FIELD",
            f"since must be epoch seconds or an ISO 8601 time such as "
            f"2024-05-01T09:00:00Z: {text!r}",
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput(
            "INVALID_FIELD", f"since needs a time zone (Z or +09:00), or epoch seconds: {text!r}"
        )
    return moment


def _ms_of(stamp: str) -> int:
    return (datetime.fromisoformat(stamp) - _EPOCH) // _MS


_PARSERS: dict[str, Callable[[str], Any]] = {
    "method": _parse_method,
    "path": _parse_path,
    "user_id": lambda text: _parse_int(text, "user_id", 1, v.MAX_USER_ID),
    "status": lambda text: _parse_int(text, "status", 100, 599),
    "since": _parse_since,
    "limit": lambda text: _parse_int(text, "limit", 1, MAX_ENTRIES),
}
#: the query parameters ``GET /_mock/requests`` takes (its OpenAPI document must name each)
QUERY_FIELDS = tuple(_PARSERS)
