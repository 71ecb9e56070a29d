"""Tokens, grants and authorization codes: the records behind Kakao's opaque strings.

A *grant* is one "this person let this app in" event (an OAuth code exchange, a fixed token
from the users file, a token issued by the admin API). It owns the refresh token and the
consent; every access token minted from it, first or by refresh, points back at it. Logging out
or unlinking revokes grants, so all of their tokens stop working together.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_kakao.files import validation as v
from mock_kakao.web import errors
from mock_kakao.web.errors import InvalidInput
from mock_kakao.world.idtoken import OidcLogin
from mock_kakao.world.pkce import Challenge
from mock_kakao.world.users import Consent

ACCESS_TOKEN_TTL = 21599  # 6 h minus a second, as Kakao's REST flow answers
REFRESH_TOKEN_TTL = 5183999  # 2 months minus a second
REFRESH_ROTATION_WINDOW = 30 * 24 * 3600  # Kakao renews a refresh token with < 1 month left
AUTH_CODE_TTL = 600  # Kakao's codes are "short-lived"; ten minutes on the fake's clock

# What the fake may keep (issue 19 item 11): nothing it mints lives forever, and no client can
# make it keep more than a bounded amount per grant or per user.
#: an expired access or refresh token is forgotten this long after its expiry (fake's clock):
#: a client asking shortly after still gets Kakao's "expired" answer, later "does not exist"
EXPIRED_TOKEN_GRACE = 3600
#: minted (not fixed) access tokens one grant keeps; a refresh past it drops the oldest
MAX_ACCESS_TOKENS_PER_GRANT = 10
#: authorization codes in flight per user; a login past it drops that user's oldest code
MAX_CODES_PER_USER = 20
#: minted grants one user keeps per app (each holds a refresh token living two months); a code
#: exchange or token issue past it revokes that user's oldest such grant. Grants holding a
#: fixed token are neither counted nor dropped.
MAX_GRANTS_PER_USER = 20
#: how often (fake's clock) a mint looks for what has run out: the sweep is O(state)
PURGE_INTERVAL = 60

TOKEN_SPEC_FIELDS = (
    "access_token",
    "refresh_token",
    "expires_in",
    "refresh_token_expires_in",
    "app_id",
)


def seconds_left(deadline: float, now: float) -> int:
    """Whole seconds until ``deadline``, rounded up: a fresh token says 21599, as Kakao's do."""
    return math.ceil(deadline - now)


def new_secret() -> str:
    """An opaque, URL-safe string shaped like Kakao's (about 54 characters)."""
    return secrets.token_urlsafe(40)[:54]


#: keys the fingerprints `redact` shows; new each process, so a log excerpt cannot be used to
#: confirm a guessed token (the bundled ones are easy to guess) by hashing it
_FINGERPRINT_KEY = secrets.token_bytes(32)
FINGERPRINT_HEX_DIGITS = 6


def redact(token: str | None) -> str | None:
    """The only form in which a token may leave the process outside the admin API.

    A short prefix (what kind of token) and a keyed fingerprint (which one): every bundled
    token starts `mock-t`, so the prefix alone could not tell them apart. The fingerprint is
    an HMAC under a per-process key, cut to 24 bits: the same token shows the same way for
    the life of the process, and it gives away nothing of the token.
    """
    if not token:
        return None
    digest = hmac.new(_FINGERPRINT_KEY, token.encode(errors="surrogatepass"), hashlib.sha256)
    return token[: min(6, len(token) // 3)] + "…" + digest.hexdigest()[:FINGERPRINT_HEX_DIGITS]


def presented_token(header: str | None, param: str | None) -> str:
    """The access token a kapi call presents, or Kakao's refusal (issue 20 rule 6).

    ``Authorization: Bearer <token>`` (scheme in any case); with no ``Authorization`` header at
    all, the ``access_token`` parameter (query or form), as passport-kakao sends it and Kakao
    takes it. No token anywhere, an empty header or another scheme is Kakao's 401 ``no
    authentication key!``; a Bearer value with spaces in it is a malformed header (400 -2).
    """
    if header is None:
        if not param:
            raise errors.no_authentication_key()
        return param
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise errors.no_authentication_key()
    if any(c.isspace() for c in token):
        raise errors.malformed_authorization()
    return token


def bearer_token(header: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (scheme in any case), or None if malformed."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


@dataclass
class Grant:
    user_id: int
    app_id: int
    refresh_token: str
    refresh_expires_at: float
    # None: follow the user's own consent flags (so PATCHing a user shows at once on its tokens).
    consent: Consent | None = None
    # The login an id_token describes: set when the grant came with one (refreshes mint more).
    oidc: OidcLogin | None = None
    # Its access tokens' lifetime, refreshes included: it depends on the key the login used.
    access_ttl: int = ACCESS_TOKEN_TTL
    # The refresh token's value was given (users file, admin API): never purged, as a test
    # that pinned a value must keep finding it. A renewal replaces the value, and the mark.
    fixed: bool = False
    # One of its access tokens has a given value (fixed): the per-user cap never drops it.
    holds_fixed: bool = False
    # Minted access token values, oldest first: what the per-grant cap drops.
    minted: deque[str] = field(default_factory=deque, repr=False, compare=False)


@dataclass
class AccessToken:
    value: str
    grant: Grant
    expires_at: float
    fixed: bool = False  # its value was given: never purged nor dropped by the cap

    @property
    def user_id(self) -> int:
        return self.grant.user_id

    def to_control_json(self, now: float) -> dict[str, Any]:
        """The token as the admin API shows it -- in full: that API is loopback-only."""
        left = seconds_left(self.expires_at, now)
        return {
            "access_token": self.value,
            "refresh_token": self.grant.refresh_token,
            "expires_in": left,
            "expired": left <= 0,
            "app_id": self.grant.app_id,
        }


@dataclass(frozen=True)
class AuthCode:
    """A single-use authorization code and everything the token exchange must check."""

    value: str
    user_id: int
    client_id: str
    redirect_uri: str
    consent: Consent
    expires_at: float
    oidc: OidcLogin | None = None  # the exchange answers with an id_token
    pkce: Challenge | None = None  # the exchange needs the matching code_verifier
    access_ttl: int = ACCESS_TOKEN_TTL  # by the key the authorize used (kakaoapp.py)


@dataclass(frozen=True)
class TokenSpec:
    """A token requested by the users file, ``POST /_mock/users`` or ``.../tokens``."""

    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int = ACCESS_TOKEN_TTL
    refresh_token_expires_in: int = REFRESH_TOKEN_TTL
    app_id: int | None = None


def parse_token_spec(data: Any) -> TokenSpec:
    data = v.expect_object(data, "a token")
    v.reject_unknown(data, TOKEN_SPEC_FIELDS, "token")
    return TokenSpec(
        access_token=_nonempty(data, "access_token"),
        refresh_token=_nonempty(data, "refresh_token"),
        expires_in=_lifetime(data, "expires_in", ACCESS_TOKEN_TTL),
        refresh_token_expires_in=_lifetime(data, "refresh_token_expires_in", REFRESH_TOKEN_TTL),
        app_id=v.get_int(data, "app_id", None, minimum=1, maximum=v.MAX_APP_ID),
    )


def _lifetime(data: Mapping[str, Any], key: str, default: int) -> int:
    """Seconds a token lives (≤ 0: already expired), at most ten years either way."""
    return v.get_int(data, key, default, minimum=-v.MAX_SPAN_SECONDS, maximum=v.MAX_SPAN_SECONDS)


def _nonempty(data: Mapping[str, Any], key: str) -> str | None:
    value = v.get_str(data, key, None, nullable=True)
    if value is not None and (not value or any(c.isspace() for c in value)):
        raise InvalidInput("INVALID_FIELD", f"{key} must be a non-empty string without spaces")
    return value


def surplus_grants(grants: list[Grant]) -> list[Grant]:
    """The grants of one user and app past MAX_GRANTS_PER_USER, oldest first.

    ``grants`` come oldest first; fixed grants and those holding a fixed access token are
    neither counted nor returned, so a value a test pinned keeps working however many logins
    follow.
    """
    countable = [grant for grant in grants if not (grant.fixed or grant.holds_fixed)]
    return countable[: max(0, len(countable) - MAX_GRANTS_PER_USER)]


def forgettable(expires_at: float, now: float) -> bool:
    """Whether a token that expired at ``expires_at`` is past its grace and may be forgotten."""
    return expires_at + EXPIRED_TOKEN_GRACE <= now


class SingleUse:
    """Marks spent once each, each forgotten at its own expiry (a form token's single use).

    Only what was spent is kept, and only until it could no longer be presented anyway, so the
    set is bounded by what was used within one lifetime.
    """

    def __init__(self) -> None:
        self._spent: dict[str, float] = {}

    def spend(self, mark: str, expires_at: float) -> bool:
        """True the first time ``mark`` is spent, False ever after (until it expires)."""
        if mark in self._spent:
            return False
        self._spent[mark] = expires_at
        return True

    def purge(self, now: float) -> None:
        self._spent = {mark: at for mark, at in self._spent.items() if at > now}

    def __len__(self) -> int:
        return len(self._spent)
