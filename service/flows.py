"""What each endpoint does, as plain async functions over the app's parts.

Handlers only read the request and write the answer; the decisions (which Kakao call, which
check, which status) live here so they read top to bottom in one place.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service import tokens, users
from service.db import database_errors
from service.errors import ApiError
from service.idtoken import IdTokenVerifier, looks_like_id_token
from service.kakao import KakaoClient
from service.settings import Settings
from service.validation import SignInRequest


class InFlight:
    """How many requests the application is handling right now.

    Shutdown waits for this to reach zero before it closes connections and the Kakao session,
    so a request already being answered gets its real answer instead of an empty reply.
    """

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def started(self) -> None:
        self.count += 1
        self._idle.clear()

    def finished(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self, seconds: float) -> bool:
        """True once no request is in flight; False if some still are after `seconds`."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True


@dataclass(frozen=True)
class Services:
    """The long-lived parts one application holds (one per process)."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    kakao: KakaoClient
    id_tokens: IdTokenVerifier
    in_flight: InFlight = field(default_factory=InFlight)


async def look_up(services: Services, kakao_token: str) -> dict[str, Any]:
    """`GET /auth/kakao`: who the Kakao user is and whether they have an account here.

    An id_token answers from its own verified claims; an access token asks kapi.
    """
    if looks_like_id_token(kakao_token):
        profile = (await services.id_tokens.verify(kakao_token)).profile()
    else:
        profile = await services.kakao.fetch_profile(kakao_token)
    async with database_errors():  # the engine, not a session: see service.users
        known = await users.is_user(services.engine, profile.kakao_id)
    return {
        "kakao_id": profile.kakao_id,
        "user_name": profile.user_name,
        "email": profile.email,
        "is_user": known,
        "email_verified": profile.email_verified,
        "missing_consents": list(profile.missing_consents),
    }


async def sign_in(services: Services, kakao_token: str, request: SignInRequest) -> tuple[bool, str]:
    """`POST /auth/kakao`: (created, our JWT) once Kakao confirms the token is this user's.

    The body's `kakao_id` is only a claim: the token's owner is Kakao's word, read from a
    verified id_token's `sub` (its `aud` one of our app keys) or from kapi's
    `access_token_info` (its `app_id` ours when `KAKAO_APP_ID` is set).
    """
    if looks_like_id_token(kakao_token):
        claims = await services.id_tokens.verify(kakao_token)
        owner = claims.kakao_id
        if request.nonce is not None and not claims.nonce_matches(request.nonce):
            raise ApiError("NONCE_MISMATCH")
    else:
        info = await services.kakao.fetch_token_info(kakao_token)
        expected_app = services.settings.kakao_app_id
        if expected_app is not None and info.app_id != expected_app:
            raise ApiError("TOKEN_FOR_ANOTHER_APP")
        owner = info.kakao_id
        if request.nonce is not None:
            raise ApiError("NONCE_MISMATCH")  # an access token carries no nonce to match
    if owner != request.kakao_id:
        raise ApiError("KAKAO_ID_MISMATCH")

    now = datetime.now(UTC)
    async with database_errors():  # the engine, not a session: see service.users
        user, created = await users.sign_up_or_log_in(
            services.engine,
            kakao_id=request.kakao_id,
            user_name=request.user_name,
            email=request.email,
            now=now,
        )
    return created, tokens.issue(user.id, user.account_key, services.settings, now)


async def current_user(services: Services, our_token: str) -> dict[str, Any]:
    """`GET /users/me`: the stored account our JWT names."""
    claims = tokens.decode(our_token, services.settings)
    async with database_errors(), services.sessions() as session:
        user = await users.get_user(session, claims.user_id)
    if user is None or not tokens.belongs_to(claims, user.account_key):
        # Signed by us, but the account is gone (e.g. the database was reset), or the id now
        # names another account: log in again.
        raise ApiError("INVALID_TOKEN")
    return {
        "id": user.id,
        "kakao_id": user.kakao_id,
        "user_name": user.user_name,
        "email": user.email,
        "created_at": user.created_at.isoformat(),
        "updated_at": user.updated_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat(),
    }
