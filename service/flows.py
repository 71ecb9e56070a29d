"""What each endpoint does, as plain async functions over the app's parts.

Handlers only read the request and write the answer; the decisions (which Kakao call, which
check, which status) live here so they read top to bottom in one place.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from logsafe import escape
from service import tokens
from service.errors import ApiError
from service.kakao import secevents
from service.kakao.client import KakaoClient
from service.kakao.idtoken import IdTokenVerifier, looks_like_id_token
from service.kakao.profile import KakaoProfile
from service.kakao.serviceterms import missing_terms
from service.kakao.unlink_webhook import UnlinkNotice
from service.settings import Settings
from service.store import secevents as stored_events
from service.store import users
from service.store.db import HealthProbe, database_errors
from service.store.models import User
from service.web.admin import Page
from service.web.validation import SignInRequest

log = logging.getLogger(__name__)


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
    health: HealthProbe
    in_flight: InFlight = field(default_factory=InFlight)


async def look_up(services: Services, kakao_token: str) -> dict[str, Any]:
    """`GET /auth/kakao`: who the Kakao user is and whether they have an account here.

    An id_token answers from its own verified claims; an access token asks kapi, and with
    `KAKAO_APP_ID` set must be our app's as in `sign_in`, or any app's tokens would learn who
    has an account here.
    """
    id_token = looks_like_id_token(kakao_token)
    if id_token:
        profile = (await services.id_tokens.verify(kakao_token)).profile()
    else:
        profile = await _profile_for_our_app(services, kakao_token)
    missing_terms = await _missing_service_terms(
        services, None if id_token else kakao_token, profile.kakao_id
    )
    async with database_errors():  # the engine, not a session: see service.store.users
        # what Kakao's account-status webhook said was withdrawn counts as missing too
        known, withdrawn = await users.look_up(services.engine, profile.kakao_id)
    missing = dict.fromkeys((*profile.missing_consents, *withdrawn))
    return {
        "kakao_id": profile.kakao_id,
        "user_name": profile.user_name,
        "email": profile.email,
        "is_user": known,
        "email_verified": profile.email_verified,
        "missing_consents": list(missing),
        "missing_service_terms": missing_terms,
    }


async def _missing_service_terms(
    services: Services, access_token: str | None, kakao_id: int
) -> list[str]:
    """The Kakao Sync terms `KAKAO_REQUIRED_SERVICE_TERMS` names that the person has not
    agreed to (none required: Kakao is not asked). An access token asks as the person (after
    the app check, so another app's token learns nothing); an id_token's person is asked about
    with the admin key (settings make sure there is one)."""
    required = services.settings.kakao_required_service_terms
    if not required:
        return []
    if access_token is not None:
        agreed = await services.kakao.fetch_agreed_service_terms(token=access_token)
    else:
        agreed = await services.kakao.fetch_agreed_service_terms(kakao_id=kakao_id)
    return missing_terms(required, agreed)


async def _profile_for_our_app(services: Services, kakao_token: str) -> KakaoProfile:
    """The access token's profile, once kapi says (when `KAKAO_APP_ID` is set) it is ours.

    Both questions go to kapi at once, so the check costs no second round trip. Either one
    failing fails the lookup; the app check's answer comes first (another app's token is
    TOKEN_FOR_ANOTHER_APP whatever `/v2/user/me` said), as in `sign_in`.
    """
    expected_app = services.settings.kakao_app_id
    if expected_app is None:
        return await services.kakao.fetch_profile(kakao_token)
    info, profile = await asyncio.gather(
        services.kakao.fetch_token_info(kakao_token),
        services.kakao.fetch_profile(kakao_token),
        return_exceptions=True,  # both finished, neither left running nor unretrieved
    )
    if isinstance(info, BaseException):
        raise info
    if info.app_id != expected_app:
        raise ApiError("TOKEN_FOR_ANOTHER_APP")
    if isinstance(profile, BaseException):
        raise profile
    return profile


async def sign_in(services: Services, kakao_token: str, request: SignInRequest) -> tuple[bool, str]:
    """`POST /auth/kakao`: (created, our JWT) once Kakao confirms the token is this user's.

    The body's `kakao_id` is only a claim: the token's owner is Kakao's word, read from a
    verified id_token's `sub` (its `aud` one of our app keys) or from kapi's
    `access_token_info` (its `app_id` ours when `KAKAO_APP_ID` is set). If the account is
    deleted while Kakao is being asked, Kakao's yes predates the deletion and no longer counts:
    INVALID_TOKEN, and nothing is written (see users.KakaoCheckOutdated).
    """
    vouched_at = datetime.now(UTC)  # before asking Kakao: see users.sign_up_or_log_in
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
    try:
        async with database_errors():  # the engine, not a session: see service.store.users
            user, created = await users.sign_up_or_log_in(
                services.engine,
                kakao_id=request.kakao_id,
                user_name=request.user_name,
                email=request.email,
                now=now,
                vouched_at=vouched_at,
            )
    except users.KakaoCheckOutdated:
        log.info("sign-in of Kakao user %d refused: its account was deleted meanwhile", owner)
        raise ApiError("INVALID_TOKEN") from None
    return created, tokens.issue(user.id, user.account_key, services.settings, now)


async def account_of(services: Services, our_token: str) -> User:
    """The stored account our JWT names; INVALID_TOKEN / TOKEN_EXPIRED otherwise."""
    claims = tokens.decode(our_token, services.settings)
    async with database_errors(), services.sessions() as session:
        user = await users.get_user(session, claims.user_id)
    if user is None or not tokens.belongs_to(claims, user.account_key):
        # Signed by us, but the account is gone (deleted, or the database was reset), or the
        # id now names another account: log in again.
        raise ApiError("INVALID_TOKEN")
    return user


async def delete_me(services: Services, our_token: str) -> None:
    """`DELETE /users/me`: unlink the person at Kakao (admin key), then delete the account.

    Kakao first: if it cannot be told (down, slow), the account stays and the answer says why,
    so a retry does both; a person Kakao already unlinked (-101) is deleted all the same.
    Without KAKAO_ADMIN_KEY the account is deleted and the log says Kakao was not told.
    """
    user = await account_of(services, our_token)
    if services.settings.kakao_admin_key is None:
        log.warning(
            "KAKAO_ADMIN_KEY is not set: Kakao was not told that account %d (Kakao user %d) "
            "was deleted; the person stays linked to the app at Kakao",
            user.id,
            user.kakao_id,
        )
    else:
        await services.kakao.unlink(user.kakao_id)
    async with database_errors():
        await users.delete_account(services.engine, user.id)
    log.info("account %d (Kakao user %d) deleted by its owner", user.id, user.kakao_id)


async def kakao_unlinked(services: Services, notice: UnlinkNotice) -> bool:
    """The unlink webhook (its key already checked): delete the account of the Kakao user
    who left, if there is one and Kakao confirms they are unlinked; whether one was deleted.

    Kakao signs nothing and sends no timestamp, so a recorded call could be replayed after
    the person came back and signed up again: asking Kakao (admin key) first keeps that
    account. Idempotent: a second call finds no account.
    """
    expected_app = services.settings.kakao_app_id
    if expected_app is not None and notice.app_id != expected_app:
        raise ApiError("APP_ID_MISMATCH")
    referrer = escape(notice.referrer_type or "-")
    async with database_errors(), services.sessions() as session:
        user = await users.get_user_by_kakao_id(session, notice.kakao_id)
    if user is None:
        log.info("unlink webhook (%s): Kakao user %d has no account", referrer, notice.kakao_id)
        return False
    if await services.kakao.is_linked(notice.kakao_id):
        log.warning(
            "unlink webhook (%s) for Kakao user %d, who Kakao says is linked: a replayed or "
            "stale call; account %d kept",
            referrer,
            notice.kakao_id,
            user.id,
        )
        return False
    async with database_errors():
        deleted = await users.delete_account(services.engine, user.id)
    log.info(
        "unlink webhook (%s): account %d of Kakao user %d deleted", referrer, user.id, user.kakao_id
    )
    return deleted


#: how long a SET's jti is kept: past it, the SET's iat is too old to be accepted anyway
JTI_MEMORY = timedelta(seconds=2 * (secevents.MAX_AGE_SECONDS + secevents.MAX_FUTURE_SECONDS))


async def account_event(
    services: Services, body: bytes, content_type: str | None
) -> dict[str, Any]:
    """The account-status webhook: verify the SET (service.kakao.secevents), refuse a `jti`
    seen before (SECURITY_EVENT_REPLAYED, nothing changed), act, remember the `jti`.

    user-unlinked and account-purged delete the account as the unlink webhook does (its JWTs
    stop, a sign-in Kakao vouched for before cannot re-create it); a withdrawal of a consent
    item the service uses is recorded for `GET /auth/kakao`, a consent or a new link forgets
    it; other events, and event types we do not know, are accepted and change nothing. Each
    action is idempotent, so a duplicate racing its original past the `jti` check does no
    harm; the `jti` is recorded after acting, so a failed action can be sent again.
    """
    secevents.check_media_type(content_type)
    event = await secevents.verify(services.id_tokens, body)
    engine = services.engine
    async with database_errors():
        if await stored_events.seen(engine, event.jti):
            raise ApiError("SECURITY_EVENT_REPLAYED")
        action = await _act_on(services, event)
        await stored_events.remember(engine, event.jti, JTI_MEMORY)
    log.info(
        "account-status webhook: %s for Kakao user %d: %s",
        escape(event.event_type),
        event.kakao_id,
        action,
    )
    return {
        "jti": event.jti,
        "event": event.event_type,
        "kakao_id": event.kakao_id,
        "action": action,
    }


async def _act_on(services: Services, event: secevents.SecurityEvent) -> str:
    """What `event` does here: `deleted`, `no_account`, `recorded` or `ignored`."""
    engine = services.engine
    used = tuple(scope for scope in event.scopes if scope in secevents.USED_SCOPES)
    if event.event_type in (secevents.USER_UNLINKED, secevents.ACCOUNT_PURGED):
        await stored_events.agreed(engine, event.kakao_id, None)
        async with services.sessions() as session:
            user = await users.get_user_by_kakao_id(session, event.kakao_id)
        if user is None:
            return "no_account"
        return "deleted" if await users.delete_account(engine, user.id) else "no_account"
    if event.event_type == secevents.USER_LINKED:
        await stored_events.agreed(engine, event.kakao_id, None)  # a new consent screen
        return "recorded"
    if event.event_type == secevents.SCOPE_WITHDRAW and used:
        await stored_events.withdraw(engine, event.kakao_id, used)
        return "recorded"
    if event.event_type == secevents.SCOPE_CONSENT and used:
        await stored_events.agreed(engine, event.kakao_id, used)
        return "recorded"
    return "ignored"


async def current_user(services: Services, our_token: str) -> dict[str, Any]:
    """`GET /users/me`: the stored account our JWT names."""
    user = await account_of(services, our_token)
    return account_json(user)


def account_json(user: User) -> dict[str, Any]:
    """An account as `/users/me` and `/admin/accounts` show it (never its account_key)."""
    return {
        "id": user.id,
        "kakao_id": user.kakao_id,
        "user_name": user.user_name,
        "email": user.email,
        "created_at": user.created_at.isoformat(),
        "updated_at": user.updated_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat(),
    }


async def list_accounts(services: Services, page: Page) -> dict[str, Any]:
    """`GET /admin/accounts`: one page by id, and the `after` of the next (null: the last)."""
    async with database_errors():
        accounts = await users.list_accounts(
            services.engine, limit=page.limit + 1, after=page.after
        )
    shown = accounts[: page.limit]
    more = len(accounts) > page.limit
    return {
        "result": [account_json(user) for user in shown],
        "next": shown[-1].id if more else None,
    }


async def delete_account(services: Services, user_id: int | None) -> None:
    """`DELETE /admin/accounts/{id}`: NOT_FOUND when there is no such account."""
    if user_id is None:
        raise ApiError("NOT_FOUND")
    async with database_errors():
        deleted = await users.delete_account(services.engine, user_id)
    if not deleted:
        raise ApiError("NOT_FOUND")


async def delete_all_accounts(services: Services) -> int:
    """`DELETE /admin/accounts`: how many accounts there were."""
    async with database_errors():
        return await users.delete_all_accounts(services.engine)
