"""Our own JWTs (PyJWT, HS256): issued on sign-up/login, checked by `/users/me`.

Claims: `id` (our user id, as the original frontend reads it), `sub` (the same id as a string,
as RFC 7519 wants), `iat`, `exp`, `iss`. Decoding pins the algorithm, so a token that says
`alg: none` or any other algorithm is refused, and requires every claim.
"""

from __future__ import annotations

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
    issued_at: int
    expires_at: int


def issue(user_id: int, settings: Settings, now: datetime) -> str:
    """A signed token for `user_id`, valid for `settings.jwt_ttl` seconds from `now`."""
    issued_at = int(now.timestamp())
    claims = {
        "id": user_id,
        "sub": str(user_id),
        "iat": issued_at,
        "exp": issued_at + settings.jwt_ttl,
        "iss": settings.jwt_issuer,
    }
    # What jwt.encode does for these plain int and str claims, minus the key check.
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return _SIGNER.encode(payload, settings.secret_key, algorithm=ALGORITHM)


def decode(token: str, settings: Settings) -> Claims:
    """The claims of a token we issued; ApiError TOKEN_EXPIRED or INVALID_TOKEN otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            issuer=settings.jwt_issuer,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise ApiError("TOKEN_EXPIRED") from None
    except jwt.InvalidTokenError:
        raise ApiError("INVALID_TOKEN") from None

    user_id = claims.get("id")
    if type(user_id) is not int or claims["sub"] != str(user_id):
        raise ApiError("INVALID_TOKEN")
    return Claims(user_id=user_id, issued_at=claims["iat"], expires_at=claims["exp"])
