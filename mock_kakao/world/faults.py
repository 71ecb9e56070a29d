"""Injected faults: what they are, which requests they hit, and the ``times`` countdown.

Pure bookkeeping, no I/O: the middleware asks :meth:`FaultBook.take` what to do with a request
and then does it. Keeping the decision here makes "which fault wins" testable without sockets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from mock_kakao.files import validation as v
from mock_kakao.web.errors import InvalidInput

FaultKind = Literal["latency", "hang", "error", "malformed", "drop"]
FAULT_KINDS: tuple[str, ...] = ("latency", "hang", "error", "malformed", "drop")
FAULT_FIELDS = ("kind", "user_id", "path", "times", "latency_ms", "status", "code", "msg")

#: as long as a ``hang`` lasts at most (faultplay.HANG_CAP_SECONDS): longer is a hang, say so
MAX_LATENCY_MS = 120_000
#: a countdown longer than any test runs; leave ``times`` out for "until cleared"
MAX_TIMES = 1_000_000_000
#: kapi's codes are small negative integers; an error fault's code is a signed 32-bit one
MAX_CODE = 2**31 - 1

# What an ``error`` fault answers when the test gives only some of status/code/msg.
DEFAULT_ERROR = (500, -1, "internal error")


@dataclass
class Fault:
    """One fault. ``times`` is what is left of "the next N matching requests" (None: forever)."""

    kind: FaultKind
    user_id: int | None = None
    path: str | None = None
    times: int | None = None
    latency_ms: int = 0
    status: int = DEFAULT_ERROR[0]
    code: int | str = DEFAULT_ERROR[1]
    msg: str = DEFAULT_ERROR[2]

    def matches(self, path: str, user_id: int | None, *, named_only: bool = False) -> bool:
        if self.path is not None and self.path != path:
            return False
        if named_only and self.path is None:
            return False
        return self.user_id is None or self.user_id == user_id

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for key in ("user_id", "path", "times"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.kind == "latency":
            out["latency_ms"] = self.latency_ms
        if self.kind == "error":
            out.update(status=self.status, code=self.code, msg=self.msg)
        return out


def parse_fault(data: Any, *, user_id: int | None = None) -> Fault:
    """A fault from JSON; ``user_id`` is implied when the fault sits inside a users-file user."""
    data = v.expect_object(data, "a fault")
    v.reject_unknown(data, FAULT_FIELDS, "fault")
    kind = v.get_str(data, "kind")
    if kind not in FAULT_KINDS:
        raise InvalidInput("INVALID_FIELD", f"kind must be one of {', '.join(FAULT_KINDS)}")
    path = v.get_str(data, "path", None, nullable=True)
    if path is not None and not path.startswith("/"):
        raise InvalidInput("INVALID_FIELD", "path must start with / (an exact path, no query)")
    if path is not None and path.startswith("/_mock/"):
        raise InvalidInput("INVALID_FIELD", "faults never apply to the admin API (/_mock/)")
    if kind == "latency" and "latency_ms" not in data:
        raise InvalidInput("MISSING_FIELD", "latency_ms is required for a latency fault")
    code = data.get("code")
    code = DEFAULT_ERROR[1] if code is None else code  # null: left out
    if isinstance(code, bool) or not isinstance(code, int | str):
        raise InvalidInput("INVALID_FIELD", "code must be an integer (kapi) or a string (KOE###)")
    if isinstance(code, int):
        code = v.get_int({"code": code}, "code", minimum=-MAX_CODE - 1, maximum=MAX_CODE)
    return Fault(
        kind=kind,  # type: ignore[arg-type]
        user_id=v.get_int(data, "user_id", user_id, minimum=1, maximum=v.MAX_USER_ID),
        path=path,
        times=v.get_int(data, "times", None, minimum=1, maximum=MAX_TIMES),
        latency_ms=v.get_int(data, "latency_ms", 0, minimum=0, maximum=MAX_LATENCY_MS),
        status=v.get_int(data, "status", DEFAULT_ERROR[0], minimum=100, maximum=599),
        code=code,
        msg=v.get_optional_str(data, "msg", DEFAULT_ERROR[2]),
    )


def parse_faults(data: Any, *, user_id: int | None = None) -> list[Fault]:
    if not isinstance(data, list):
        raise InvalidInput("INVALID_FIELD", "faults must be a JSON list of fault objects")
    return [parse_fault(item, user_id=user_id) for item in data]


@dataclass(frozen=True)
class Decision:
    """What to do with one request: wait ``delay_ms``, then apply ``fault`` (None: answer)."""

    delay_ms: int = 0
    fault: Fault | None = None


class FaultBook:
    """The active faults, in the order they were set."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._faults = list(faults)

    def __iter__(self) -> Iterator[Fault]:
        return iter(self._faults)

    def replace(self, faults: Iterable[Fault]) -> None:
        self._faults = list(faults)

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def remove_user(self, user_id: int) -> None:
        self._faults = [f for f in self._faults if f.user_id != user_id]

    def to_json(self) -> list[dict[str, Any]]:
        return [fault.to_json() for fault in self._faults]

    def take(self, path: str, user_id: int | None, *, named_only: bool = False) -> Decision:
        """Decide for one request and count it against the faults that applied.

        Every matching ``latency`` fault adds its delay; the first matching fault of any other
        kind is the outcome, and the faults after it are untouched (they did not apply).
        ``named_only``: only faults naming ``path`` apply (the fake's own webhook deliveries,
        which a global "Kakao is down" switch must not silence).
        """
        delay = 0
        outcome: Fault | None = None
        for fault in list(self._faults):
            if not fault.matches(path, user_id, named_only=named_only):
                continue
            if fault.kind == "latency":
                delay += fault.latency_ms
            elif outcome is None:
                outcome = fault
            else:
                continue
            self._count_down(fault)
        return Decision(delay_ms=delay, fault=outcome)

    def _count_down(self, fault: Fault) -> None:
        if fault.times is None:
            return
        fault.times -= 1
        if fault.times <= 0:
            self._faults.remove(fault)
