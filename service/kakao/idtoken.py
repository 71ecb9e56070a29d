"""Kakao's OpenID Connect id_tokens, verified here against Kakao's published keys.

An id_token is Kakao's signed statement of who logged in, for which app, until when. Checking
it locally needs Kakao's public keys (its JWKS) and nothing else, so once the keys are cached a
login costs no call to Kakao and goes on while kapi is slow or down.

What is checked, in order: the token's shape and size; the header's `alg` is RS256 (pinned:
`none`, HS256 signed with the public key and every other algorithm are refused before any key
is looked at); no member named twice in the header or the payload; its `kid` names one of
Kakao's keys; the signature; `iss`; `exp` and `iat` within LEEWAY_SECONDS; the audience (see
`check_audience`: our app keys only, else TOKEN_FOR_ANOTHER_APP); `sub` a Kakao id.
PyJWT does the JOSE; this module only decides which keys and claims to trust.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt

from service.errors import ApiError
from service.kakao.profile import KakaoProfile, as_kakao_id, object_with_unique_members

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
#: Kakao's id_tokens are about 1 KB; anything far larger is not one and is not parsed.
MAX_ID_TOKEN_LENGTH = 8 * 1024
#: clock skew tolerated on `exp` and `iat` between Kakao's clock and ours
LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat"]


def looks_like_id_token(token: str) -> bool:
    """Whether `token` is a JWT (an id_token) rather than one of Kakao's opaque access tokens.

    A JWT is three base64url parts whose first decodes to a JSON object naming an `alg`. Kakao's
    access tokens are opaque strings; one that happens to contain two dots fails the header test
    and so is still asked about at kapi, never trusted as a JWT.
    """
    if token.count(".") != 2 or len(token) > MAX_ID_TOKEN_LENGTH:
        return False
    header = _header_of(token.partition(".")[0])
    return header is not None and isinstance(header.alg, str)


@dataclass(frozen=True)
class _Header:
    """What is read from an id_token's JOSE header before it is verified: which key, which
    algorithm. Unverified: `jwt.decode` reads the same bytes again and checks them."""

    alg: Any
    kid: Any
    typ: Any
    #: no member is named twice (else the token is refused: see object_with_unique_members)
    unique: bool


@functools.lru_cache(maxsize=64)
def _header_of(segment: str) -> _Header | None:
    """The header whose base64url part is `segment`, parsed by PyJWT; None if it is not one.

    Why: PyJWT (2.15) checks every character of all three parts in Python each time it loads a
    token, ~35 µs for a Kakao id_token, and `get_unverified_header(token)` loads all of it:
    telling the token apart, then finding its key, cost two such loads beside `jwt.decode`'s
    own (bench/README.md). Given only the header part (empty payload and signature), PyJWT
    parses just that. Kakao's headers repeat (one per signing key), so they are cached; the
    cache is bounded, and a header nobody has sent before costs what it did.
    """
    try:
        header = jwt.get_unverified_header(f"{segment}..")
    except jwt.InvalidTokenError:
        return None
    # PyJWT has checked the segment's alphabet and JSON; its json.loads kept the last of two
    # `alg`s or `kid`s, so the same bytes are parsed once more, refusing names given twice.
    try:
        json.loads(
            jwt.utils.base64url_decode(segment), object_pairs_hook=object_with_unique_members
        )
    except ValueError:
        unique = False
    else:
        unique = True
    return _Header(
        alg=header.get("alg"), kid=header.get("kid"), typ=header.get("typ"), unique=unique
    )


class _UniqueMembersJWT(jwt.PyJWT):
    """PyJWT, but a payload naming a member twice (`{"sub": "1", "sub": "4000000001"}`) is a
    DecodeError rather than the last one winning. `_decode_payload` is PyJWT's documented hook
    for decoding payloads differently (PyJWT 2.7+)."""

    def _decode_payload(self, decoded: dict[str, Any]) -> dict[str, Any]:
        try:
            payload = json.loads(decoded["payload"], object_pairs_hook=object_with_unique_members)
        except (ValueError, RecursionError) as error:
            raise jwt.DecodeError(f"Invalid payload string: {error}") from None
        if not isinstance(payload, dict):
            raise jwt.DecodeError("Invalid payload string: must be a json object")
        return payload


_JWT = _UniqueMembersJWT()


@dataclass(frozen=True)
class IdTokenClaims:
    """What the service uses of a verified id_token."""

    kakao_id: int
    nickname: str | None
    email: str | None
    nonce: str | None

    def profile(self) -> KakaoProfile:
        """The same profile `/v2/user/me` gives: Kakao puts `email` in an id_token only when
        the address is valid and verified, so its presence is the verification."""
        return KakaoProfile(
            kakao_id=self.kakao_id,
            user_name=self.nickname,
            email=self.email,
            email_verified=self.email is not None,
            missing_consents=self.missing_consents(),
        )

    def missing_consents(self) -> tuple[str, ...]:
        """What an id_token can tell: a claim the service uses is absent. It does not say why:
        a missing `email` is also an unverified address, and asking again for an item already
        agreed only shows Kakao's consent screen with nothing new on it."""
        missing = ["profile_nickname"] if self.nickname is None else []
        return (*missing, "account_email") if self.email is None else tuple(missing)

    def nonce_matches(self, nonce: str) -> bool:
        return self.nonce is not None and hmac.compare_digest(self.nonce.encode(), nonce.encode())


JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


class KakaoKeys:
    """Kakao's signing keys by `kid`, fetched from its JWKS and cached.

    - The first verification fetches the set; later ones use the cache.
    - A `kid` not in the cache (Kakao rotated its keys) refetches, but at most once per
      `refetch_interval` seconds: made-up kids cannot make us hammer Kakao, which blocks
      clients that fetch its JWKS too often.
    - After `max_age` seconds the set is refetched on next use, so a key Kakao withdrew stops
      being trusted; if that refetch fails, the last good set keeps working.
    - Callers arriving during a fetch share it.
    """

    def __init__(
        self,
        fetch: JwksFetcher,
        *,
        refetch_interval: float,
        max_age: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._refetch_interval = refetch_interval
        self._max_age = max_age
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._last_error: ApiError | None = None
        self._pending: asyncio.Future[None] | None = None
        #: how many times the JWKS was fetched (for the tests and the bench)
        self.fetches = 0

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key named `kid`, or None when Kakao publishes no such key.

        Raises ApiError (KAKAO_UNAVAILABLE, KAKAO_TIMEOUT, INVALID_RESPONSE) only when no key
        set has ever been fetched.
        """
        now = self._clock()
        if self._keys is None or now - self._fetched_at >= self._max_age or kid not in self._keys:
            await self._refresh(now)
        if self._keys is None:
            raise self._last_error or ApiError("KAKAO_UNAVAILABLE")
        return self._keys.get(kid)

    async def _refresh(self, now: float) -> None:
        if self._pending is not None:
            await asyncio.shield(self._pending)
            return
        if self._attempted_at is not None and now - self._attempted_at < self._refetch_interval:
            return  # fetched (or tried) moments ago: answer from what we have
        self._attempted_at = now
        self._pending = asyncio.get_running_loop().create_future()
        try:
            self.fetches += 1
            keys = parse_jwks(await self._fetch())
        except ApiError as error:
            self._last_error = error
            if self._keys is not None:
                log.warning("kakao JWKS refresh failed (%s): keeping the cached keys", error.code)
        else:
            self._keys, self._fetched_at, self._last_error = keys, self._clock(), None
        finally:
            self._pending.set_result(None)
            self._pending = None


def parse_jwks(data: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    """The RS256 signing keys of a JWKS document by `kid`; INVALID_RESPONSE if it has none.

    Entries that are not RSA signing keys with a `kid` are skipped, not fatal: Kakao may publish
    other keys beside them one day.
    """
    entries = data.get("keys")
    keys: dict[str, jwt.PyJWK] = {}
    if isinstance(entries, list):
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
                continue
            if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
                continue
            if entry.get("alg", ALGORITHM) != ALGORITHM:
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM)
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
                continue
    if not keys:
        log.warning("kakao JWKS had no usable RS256 key")
        raise ApiError("INVALID_RESPONSE")
    return keys


class IdTokenVerifier:
    """Verifies Kakao id_tokens for our app keys (`KAKAO_APP_KEYS`) and issuer."""

    def __init__(self, keys: KakaoKeys, *, issuer: str, audiences: tuple[str, ...]) -> None:
        self.keys = keys
        self._issuer = issuer
        self._audiences = list(audiences)

    async def verify(self, token: str) -> IdTokenClaims:
        claims = await self.verified_claims(token, required=REQUIRED_CLAIMS)
        return claims_of(claims)

    async def verified_claims(
        self,
        token: str,
        *,
        required: list[str],
        typ: str | None = None,
        own_checks: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """The claims of a JWT Kakao signed for one of our app keys: id_tokens and Security
        Event Tokens alike (service.kakao.secevents), so both trust the same keys the same
        way. `typ`: the header's `typ` it must carry (None: any). INVALID_TOKEN,
        TOKEN_FOR_ANOTHER_APP or ID_TOKEN_NOT_ACCEPTED otherwise; `exp` and `iat`, when
        present, are checked with LEEWAY_SECONDS; PyJWT's checks of the claims in `own_checks`
        (`iat`, `jti`) are off: the caller checks those its own way."""
        if not self._audiences:
            # Without our app keys any app's tokens would pass: refuse them all, clearly.
            raise ApiError("ID_TOKEN_NOT_ACCEPTED")
        if len(token) > MAX_ID_TOKEN_LENGTH or token.count(".") != 2:
            raise ApiError("INVALID_TOKEN")
        header = _header_of(token.partition(".")[0])
        if header is None:
            raise ApiError("INVALID_TOKEN")
        kid = header.kid
        if header.alg != ALGORITHM or not isinstance(kid, str) or not header.unique:
            raise ApiError("INVALID_TOKEN")
        if typ is not None and header.typ != typ:
            raise ApiError("INVALID_TOKEN")
        key = await self.keys.key(kid)
        if key is None:
            raise ApiError("INVALID_TOKEN")
        try:
            claims = _JWT.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                # PyJWT takes any audience list that names one of ours: check_audience decides
                options={
                    "require": required,
                    "verify_aud": False,
                    **{f"verify_{name}": False for name in own_checks},
                },
            )
        except jwt.InvalidTokenError:
            raise ApiError("INVALID_TOKEN") from None
        check_audience(claims, self._audiences)
        return claims

    @property
    def issuer(self) -> str:
        return self._issuer


def check_audience(claims: dict[str, Any], ours: list[str]) -> None:
    """Pass only a token meant for us alone (OpenID Connect Core 3.1.3.7).

    Kakao's `aud` is one string, our app key; a list is taken only when every member is one of
    our keys, and then `azp` must name the one it was issued to. An `azp` is always ours. A
    token that names another app is TOKEN_FOR_ANOTHER_APP (another app may hold and replay it);
    an `aud` or `azp` of no such shape, or several audiences with no `azp`, INVALID_TOKEN.
    """
    aud, azp = claims["aud"], claims.get("azp")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not audiences:
        raise ApiError("INVALID_TOKEN")
    if not all(isinstance(name, str) for name in audiences):
        raise ApiError("INVALID_TOKEN")
    if azp is not None and not isinstance(azp, str):
        raise ApiError("INVALID_TOKEN")
    if any(name not in ours for name in audiences) or (azp is not None and azp not in ours):
        raise ApiError("TOKEN_FOR_ANOTHER_APP")
    if len(audiences) > 1 and azp is None:
        raise ApiError("INVALID_TOKEN")


def claims_of(claims: dict[str, Any]) -> IdTokenClaims:
    """The claims we use, typed strictly: PyJWT coerces `exp` and `iat` with int(), we don't."""
    for name in ("exp", "iat"):
        if type(claims[name]) is not int:
            raise ApiError("INVALID_TOKEN")
    if "auth_time" in claims and type(claims["auth_time"]) is not int:
        raise ApiError("INVALID_TOKEN")
    sub = claims["sub"]
    if not (isinstance(sub, str) and 0 < len(sub) <= 19 and sub.isascii() and sub.isdigit()):
        raise ApiError("INVALID_TOKEN")
    kakao_id = as_kakao_id(int(sub))
    if kakao_id is None or str(kakao_id) != sub:  # no leading zeros: one id, one spelling
        raise ApiError("INVALID_TOKEN")
    return IdTokenClaims(
        kakao_id=kakao_id,
        nickname=_optional_text(claims, "nickname"),
        email=_optional_text(claims, "email"),
        nonce=_optional_str(claims, "nonce"),  # exactly as sent: compared, never shown
    )


def _optional_str(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError("INVALID_TOKEN")
    return value


def _optional_text(claims: dict[str, Any], name: str) -> str | None:
    """A shown value (nickname, email): a blank one is no value, as in service.kakao.profile."""
    value = _optional_str(claims, name)
    return value if value and value.strip() else None
