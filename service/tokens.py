"""Our own JWTs (PyJWT, HS256): issued on sign-up/login, checked by `/users/me`.

Claims: `id` (our user id, as the original frontend reads it), `sub` (the same id as a string,
as RFC 7519 wants), `iat`, `exp`, `iss`. Decoding pins the algorithm, so a token that says
`alg: none` or any other algorithm is refused, and requires every claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import jwt

from service.errors import ApiError
from service.settings import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub"]


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
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


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
