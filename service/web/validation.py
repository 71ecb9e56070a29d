"""Validation of the `POST /auth/kakao` body and of the Authorization header.

Plain functions raising ApiError, so the rules are tested without HTTP. The body is
`{"kakao_id": int, "user_name": str, "email": str | null}`, all three keys required.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from service.errors import ApiError
from service.kakao.profile import as_kakao_id, object_with_unique_members

MAX_USER_NAME = 50
MAX_NONCE = 255
MAX_LOCAL_PART = 64  # octets before the @ (RFC 5321 4.5.3.1.1)
REQUIRED_FIELDS = ("kakao_id", "user_name", "email")
#: validated addresses remembered (see _normalized_email); only addresses up to
#: MAX_CACHED_EMAIL characters are, so the cache stays under a few hundred KB whatever is sent
EMAIL_CACHE_SIZE = 1024
MAX_CACHED_EMAIL = 320
#: control characters, lone surrogates and line/paragraph separators; format characters
#: (Cf) stay allowed, because emoji sequences such as 🐻‍❄️ are joined by U+200D.
_FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
#: letters and symbols by category that every font draws as nothing: the Hangul fillers and
#: the braille blank, the usual way to make a "blank" nickname in Korean apps and games
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
#: embeddings, overrides, isolates and marks: they reorder how the text around them is shown
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
#: a subdivision flag such as 🏴󠁧󠁢󠁳󠁣󠁴󠁿: the black flag, a tag-spelled subdivision code
#: (lowercase letters and digits, UTS #51), the cancel tag; the only place tags belong
_SUBDIVISION_FLAG = re.compile(
    "\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{2,7}\U000e007f"
)
_TAGS = range(0xE0000, 0xE0080)
#: code points Unicode reserves for pictographs (Extended_Pictographic, UTS #51): unassigned in
#: this Python's Unicode database (see unicodedata.unidata_version) but emoji in a newer one
_FUTURE_EMOJI = (range(0x1F000, 0x1FB00), range(0x1FC00, 0x1FFFE))


@dataclass(frozen=True)
class SignInRequest:
    kakao_id: int
    user_name: str
    email: str | None
    #: optional: the nonce the frontend sent to Kakao's authorize, checked against the id_token's
    nonce: str | None = None


def parse_sign_in(body: bytes) -> SignInRequest:
    """The validated body, or ApiError with the first problem's code."""
    data = parse_json_object(body)
    if any(name not in data for name in REQUIRED_FIELDS):
        raise ApiError("KEYERROR")
    kakao_id = as_kakao_id(data["kakao_id"])
    if kakao_id is None:
        raise ApiError("INVALID_KAKAO_ID")
    return SignInRequest(
        kakao_id=kakao_id,
        user_name=clean_user_name(data["user_name"]),
        email=clean_email(data["email"]),
        nonce=clean_nonce(data.get("nonce")),
    )


def clean_nonce(value: object) -> str | None:
    """An optional nonce: absent or null, else a string of 1..MAX_NONCE printable ASCII."""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_NONCE:
        raise ApiError("INVALID_NONCE")
    if not (value.isascii() and value.isprintable()):
        raise ApiError("INVALID_NONCE")
    return value


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Strict UTF-8 JSON (RFC 8259) whose top level is an object, or ApiError INVALID_JSON.

    Stricter than `json.loads`: a key given twice is refused rather than "the last one wins",
    because another parser in front of us (a proxy, a WAF, the frontend's logging) may keep the
    first one and so check or record a different account than we sign in. `NaN` and
    `Infinity` are not JSON and are refused too. Nesting too deep for the parser
    (RecursionError) is malformed input, not a crash.
    """
    try:
        data = json.loads(
            body.decode("utf-8"),
            object_pairs_hook=object_with_unique_members,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError("INVALID_JSON") from None
    if not isinstance(data, dict):
        raise ApiError("INVALID_JSON")
    return data


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def clean_user_name(value: object) -> str:
    """NFC, trimmed; 1 to 50 characters (code points) of any script, at least one visible.

    NFC first, so the name is stored and measured in one form whatever the keyboard sent
    (macOS and some Korean IMEs send Hangul as decomposed jamo: three code points a syllable).
    """
    if not isinstance(value, str):
        raise ApiError("INVALID_USER_NAME")
    name = unicodedata.normalize("NFC", value).strip()
    if not 1 <= len(name) <= MAX_USER_NAME or not _honest_name(name):
        raise ApiError("INVALID_USER_NAME")
    return name


def clean_email(value: object) -> str | None:
    """None for null or blank (stored as NULL); else a syntactically valid address.

    Syntax only (no DNS lookup): the person typed it, Kakao may not have verified it, and
    the service must work offline. Returns email-validator's normalized form.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError("INVALID_EMAIL")
    if not value.strip():
        return None
    if not _printable(value):
        raise ApiError("INVALID_EMAIL")
    address = value.strip()
    if len(address) <= MAX_CACHED_EMAIL:
        normalized = _cached_normalized_email(address)
    else:
        normalized = _normalized_email(address)
    if normalized is None:
        raise ApiError("INVALID_EMAIL")
    return normalized


def _normalized_email(address: str) -> str | None:
    """email-validator's normalized form of `address`, or None when it is not valid."""
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    # email-validator checks the 64-octet limit on the local part (RFC 5321) only in strict
    # mode since 2.2; no mail server delivers past it, so it is checked here on every version.
    if len(result.local_part.encode()) > MAX_LOCAL_PART:
        return None
    return result.normalized


def single_header(values: list[str]) -> str | None:
    """The one value of a header that must not repeat (None when absent).

    Tornado joins repeated headers with commas; two `Authorization` headers would reach Kakao
    as one "token" `a,b`, and which of the two a proxy in front of us checked is anyone's
    guess. So two are refused as INVALID_TOKEN, like `Bearer a b`, before anyone is asked.
    """
    if len(values) > 1:
        raise ApiError("INVALID_TOKEN")
    return values[0] if values else None


def bearer_token(authorization: str | None) -> str:
    """The token in an Authorization header: raw (`<token>`) or `Bearer <token>`."""
    parts = (authorization or "").split()
    if parts and parts[0].lower() == "bearer":
        parts = parts[1:]
    if not parts:
        raise ApiError("TOKEN_REQUIRED")
    if len(parts) != 1:
        raise ApiError("INVALID_TOKEN")
    return parts[0]


def jwt_bearer_token(authorization: str | None) -> str:
    """Our JWT from `Authorization: Bearer <jwt>` only (RFC 6750); a raw one is INVALID_TOKEN.

    The Kakao token is taken raw because the original frontend sends it so (`bearer_token`);
    our JWT is new, nothing ever sent it raw, and a header without its scheme is more likely
    a mistake (say, a Kakao token sent to the wrong endpoint) than a client to humour.
    """
    parts = (authorization or "").split()
    if parts and parts[0].lower() != "bearer":
        raise ApiError("INVALID_TOKEN")
    return bearer_token(authorization)


def _honest_name(name: str) -> bool:
    """Whether `name` shows something, and shows it as it is stored.

    A name is what other people see, so it is refused when it would look empty (only
    zero-width or format characters, Hangul fillers, a lone combining mark) or could show
    something other than its text: bidirectional controls reorder it (U+202E makes `gpj.exe`
    read `exe.jpg`), tag characters hide text nobody sees, and noncharacters, private-use and
    unassigned code points have no agreed glyph. Format characters stay allowed otherwise
    (U+200D joins emoji, U+200C is needed in Persian), and so do tags inside a subdivision
    flag. Python's Unicode database trails emoji releases, so code points reserved for
    pictographs count as assigned (and visible): a phone's newest emoji is not refused.
    """
    visible = False
    for char in _SUBDIVISION_FLAG.sub("\U0001f3f4", name):
        code, category = ord(char), unicodedata.category(char)
        if category == "Cn" and any(code in block for block in _FUTURE_EMOJI):
            category = "So"
        if (
            category in _FORBIDDEN_CATEGORIES
            or category in ("Cn", "Co")
            or char in _BIDI_CONTROLS
            or code in _TAGS
            or 0xFDD0 <= code <= 0xFDEF
            or code & 0xFFFE == 0xFFFE
        ):
            return False
        visible = visible or (category[0] in "LNPS" and char not in _BLANK_GLYPHS)
    return visible


def _printable(text: str) -> bool:
    return not any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in text)


#: a pure function, and email-validator costs more CPU than the rest of a log-in, which sends
#: the same address every time
_cached_normalized_email = functools.lru_cache(maxsize=EMAIL_CACHE_SIZE)(_normalized_email)
