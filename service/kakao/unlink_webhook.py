"""Kakao's unlink webhook as it reaches us: who may call it and what it says.

Kakao calls the app when a person disconnects it or their Kakao account goes away, with
`Authorization: KakaoAK <admin key>` and `app_id`, `user_id`, `referrer_type` in the query
(GET) or a form body (POST). The key is the only proof the call is Kakao's: it is compared in
constant time, before anything else is read, and never logged. Kakao signs nothing and sends no
timestamp, so a recorded call can be replayed; service.flows therefore asks Kakao whether the
person is really unlinked before deleting anything.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import parse_qs

from service.errors import ApiError
from service.kakao.profile import as_kakao_id

SCHEME = "kakaoak"
#: more fields than Kakao sends (four at most); a body of thousands is refused unparsed
MAX_FIELDS = 16
#: the longest referrer_type kept for the log; Kakao's are ~25 characters
MAX_REFERRER_LENGTH = 64


@dataclass(frozen=True)
class UnlinkNotice:
    app_id: int
    kakao_id: int
    referrer_type: str | None


def check_admin_key(authorization: str | None, admin_key: str | None) -> None:
    """INVALID_ADMIN_KEY unless `authorization` is `KakaoAK <admin_key>` (scheme in any case)."""
    scheme, _, key = (authorization or "").strip().partition(" ")
    if admin_key is None or scheme.lower() != SCHEME:
        raise ApiError("INVALID_ADMIN_KEY")
    if not hmac.compare_digest(key.strip().encode(), admin_key.encode()):
        raise ApiError("INVALID_ADMIN_KEY")


def parse_notice(raw: bytes | str) -> UnlinkNotice:
    """The fields of a query string or form body; INVALID_WEBHOOK when they are not Kakao's."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise ApiError("INVALID_WEBHOOK") from None
    if any(len(values) > 1 for values in fields.values()):
        raise ApiError("INVALID_WEBHOOK")  # which of two user_ids is meant is anyone's guess
    app_id = _id(fields.get("app_id"))
    kakao_id = _id(fields.get("user_id"))
    if app_id is None or kakao_id is None:
        raise ApiError("INVALID_WEBHOOK")
    referrer = fields.get("referrer_type", [None])[0]
    return UnlinkNotice(app_id, kakao_id, referrer[:MAX_REFERRER_LENGTH] if referrer else None)


def _id(values: list[str] | None) -> int | None:
    """Kakao's ids are sent as decimal strings: digits only (no sign, no spaces), 64-bit."""
    if not values or not values[0].isascii() or not values[0].isdigit() or len(values[0]) > 19:
        return None
    return as_kakao_id(int(values[0]))
