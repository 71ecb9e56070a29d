"""The request log the admin API shows: what was asked, what was answered, no secrets.

Tokens appear only as :func:`~mock_kakao.world.tokens.redact` prefixes and paths never carry their
query string (``/oauth/authorize?code=...`` would leak a code), so the log is safe to display in
the harness page or paste into a bug report.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

MAX_ENTRIES = 1000


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    status: int | None  # None: no HTTP answer at all (a ``drop`` fault, or the client left)
    latency_ms: float
    token: str | None  # tokens.redact: prefix and fingerprint, e.g. "mock-t…3fa2c1"
    user_id: int | None
    time: str  # ISO 8601, UTC, on the fake's clock
    fault: str | None = None  # the kind of fault that shaped the answer, if any

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for optional in ("user_id", "fault"):
            if out[optional] is None:
                del out[optional]
        return out


class RequestLog:
    """The most recent :data:`MAX_ENTRIES` kapi/kauth requests, oldest first."""

    def __init__(self) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=MAX_ENTRIES)

    def append(self, entry: LoggedRequest) -> None:
        self._entries.append(entry)

    def clear(self) -> None:
        self._entries.clear()

    def to_json(self) -> list[dict[str, Any]]:
        return [entry.to_json() for entry in self._entries]


def iso_time(timestamp: float) -> str:
    return format_time(datetime.fromtimestamp(timestamp, UTC))


def format_time(moment: datetime) -> str:
    """A UTC time as the log writes it: ISO 8601, milliseconds, ``Z``."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
