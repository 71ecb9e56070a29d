"""Our own JWTs (PyJWT, HS256): issued on sign-up/login, checked by `/users/me`.

Claims: `id` (our user id, as the original frontend reads it), `sub` (the same id as a string,
as RFC 7519 wants), `account_key` (the account's random key, see `belongs_to`), `iat`, `exp`,
`iss`. Decoding pins the algorithm, so a token that says `alg: none` or any other algorithm is
refused, requires every claim, and checks each claim's type strictly: PyJWT reads `exp` and
`iat` with `int()`, so it takes "123", 12.5 and true, and leaves `id` to us.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm

from service.errors import ApiError
from service.settings import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub"]
#: our ids are 64-bit signed and start at 1: anything else names no account (and 2**70 made
#: the database driver raise, a 500)
MAX_USER_ID = 2**63 - 1
#: account keys are ours (`users.new_account_key`: 32 hex digits); a claim longer than this is
#: not one of them
MAX_ACCOUNT_KEY_LENGTH = 64


class _HS256KeyCheckedOnce(HMACAlgorithm):
    """PyJWT's HS256, checking each key once instead of at every signature.

    PyJWT's key check (is it PEM, SSH, DER, a JWK?) cost 22 µs of the 60 µs of every
    `jwt.encode`, for a key that never changes: see bench/README.md.
    """

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        self._checked: dict[Any, bytes] = {}

    def prepare_key(self, key: str | bytes) -> bytes:
        checked = self._checked.get(key)
        if checked is None:
            if len(self._checked) > 16:  # keys come from settings; tests make a few
                self._checked.clear()
            checked = self._checked[key] = super().prepare_key(key)
        return checked


_SIGNER = jwt.PyJWS(algorithms=[])
_SIGNER.register_algorithm(ALGORITHM, _HS256KeyCheckedOnce())


@dataclass(frozen=True)
class Claims:
    user_id: int
    #: the account's key when the token was issued; compare with `belongs_to`
    account_key: str
    issued_at: int
    expires_at: int


def issue(user_id: int, account_key: str, settings: Settings, now: datetime) -> str:
    """A signed token for the account (`user_id`, `account_key`), valid for `jwt_ttl` seconds."""
    issued_at = int(now.timestamp())
    claims = {
        "id": user_id,
        "sub": str(user_id),
        "account_key": account_key,
        "iat": issued_at,
        "exp": issued_at + settings.jwt_ttl,
        "iss": settings.jwt_issuer,
    }
    # What jwt.encode does for these plain int and str claims, minus the key check.
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return _SIGNER.encode(payload, settings.secret_key, algorithm=ALGORITHM)


def decode(token: str, settings: Settings) -> Claims:
    """The claims of a token we issued; ApiError TOKEN_EXPIRED or INVALID_TOKEN otherwise.

    A token without `account_key` (issued before accounts had keys) is INVALID_TOKEN: its
    holder logs in again.
    """
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            issuer=settings.jwt_issuer,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        # PyJWT checks the signature before `exp`, so these are our claims, past `exp`: that
        # is TOKEN_EXPIRED only if they are well-typed (an `exp` of true or "1" is not a time).
        _checked(jwt.decode(token, options={"verify_signature": False}), settings)
        raise ApiError("TOKEN_EXPIRED") from None
    except jwt.InvalidTokenError:
        raise ApiError("INVALID_TOKEN") from None
    return _checked(claims, settings)


def belongs_to(claims: Claims, account_key: str) -> bool:
    """Whether the token was issued to the account whose stored key is `account_key`.

    The row id alone is not enough: an id can name another account later (a database reset
    while the secret key stays, or an id SQLite handed out again before migration 0002), but
    that account has another random key. Compared in constant time.
    """
    return hmac.compare_digest(claims.account_key.encode(), account_key.encode())


def _checked(claims: dict[str, Any], settings: Settings) -> Claims:
    """`claims` as Claims if every claim has exactly our type and range; else INVALID_TOKEN.

    `type(x) is int`, not isinstance: JSON's true and false are bools, which are ints too.
    """
    user_id = claims.get("id")
    account_key = claims.get("account_key")
    issued_at = claims.get("iat")
    expires_at = claims.get("exp")
    if (
        type(user_id) is not int
        or not 1 <= user_id <= MAX_USER_ID
        or claims.get("sub") != str(user_id)  # a str, equal to the id's digits
        or type(account_key) is not str
        or not 0 < len(account_key) <= MAX_ACCOUNT_KEY_LENGTH
        or not account_key.isascii()
        or type(issued_at) is not int
        or type(expires_at) is not int
        or type(claims.get("iss")) is not str
        or claims["iss"] != settings.jwt_issuer
    ):
        raise ApiError("INVALID_TOKEN")
    return Claims(user_id, account_key, issued_at, expires_at)
