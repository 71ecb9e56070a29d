"""JSON exactly as the admin API and the users file accept it: RFC 8259, nothing Python adds.

``json.loads`` alone lets through what later turns into a 500 or a lie: ``NaN``/``Infinity``
and ``1e400`` (an infinite float) reach arithmetic on the clock; a ``\\ud800`` escape becomes a
lone surrogate that can be stored but never sent back (UTF-8 cannot encode it, so every later
``GET`` of that user answers 500); ``{"id": 5, "id": 6}`` silently keeps the last key; nesting
deeper than the parser's stack raises RecursionError, not ValueError. All of these are
:class:`~mock_kakao.web.errors.InvalidInput` ``INVALID_JSON`` here, with a detail that says which.

Deliberately not shared with ``service.web.validation``: the fake is a package of its own that
must not import the service it stands in front of.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from mock_kakao.web.errors import InvalidInput

#: longer integers are refused before Python's own 4300-digit guard, whose message names
#: a ``sys`` setting; no field of the admin API takes more than 20 digits
MAX_INT_DIGITS = 100
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class _Refused(ValueError):
    """A parse hook's refusal, with the detail the client gets."""


def loads(raw: bytes | str, what: str = "the body") -> Any:
    """``raw`` parsed, or InvalidInput INVALID_JSON naming the problem (and ``what`` it was)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise _invalid(what, f"it is not UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_without_duplicate_keys,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_short_int,
        )
    except RecursionError:
        raise _invalid(what, "it is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or a hook's _Refused
        raise _invalid(what, str(exc)) from None
    _refuse_lone_surrogates(value, what)
    return value


def _invalid(what: str, why: str) -> InvalidInput:
    return InvalidInput("INVALID_JSON", f"{what} is not valid JSON: {why}")


def _without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`{"id": 5, "id": 6}` is refused: silently keeping the last would make a test lie."""
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _Refused("a key appears twice in one object")
    return data


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:20]} is too large")
    return value


def _short_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"an integer has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _refuse_lone_surrogates(value: Any, what: str) -> None:
    """Walk the parsed value (iteratively: it may be as deep as the parser allowed)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                raise _invalid(what, "a string has a lone surrogate (\\ud800-\\udfff) escape")
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
