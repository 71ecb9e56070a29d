"""What the account-status webhook keeps: the `jti` of every Security Event Token received
(replays are refused) and the consent items people withdrew (see migration 0005).

Each write is its own short transaction, queued like the account deletions
(users.run_write). A `jti` is kept for `keep` (longer than any SET still accepted by its
`iat`), then pruned, so the table stays small whatever Kakao sends.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.store import users
from service.store.models import ConsentWithdrawal, SecurityEvent

_EVENTS = SecurityEvent.__table__
_WITHDRAWALS = ConsentWithdrawal.__table__


async def seen(engine: AsyncEngine, jti: str) -> bool:
    """Whether a SET with this `jti` was received before."""
    async with engine.connect() as connection:
        found = await connection.scalar(select(_EVENTS.c.jti).where(_EVENTS.c.jti == jti))
    return found is not None


async def remember(engine: AsyncEngine, jti: str, keep: timedelta) -> bool:
    """Record `jti`; False when it was already there (a replay that raced its original).
    Forgets those received more than `keep` ago."""
    insert = users.upsert_of(engine)

    async def transaction(connection: AsyncConnection, now: Any) -> bool:
        at = now()
        added = await connection.execute(
            insert(_EVENTS).values(jti=jti, received_at=at).on_conflict_do_nothing()
        )
        await connection.execute(delete(_EVENTS).where(_EVENTS.c.received_at < at - keep))
        return added.rowcount == 1

    return await users.run_write(engine, transaction)


async def withdraw(engine: AsyncEngine, kakao_id: int, scopes: Iterable[str]) -> None:
    """Record that `kakao_id` withdrew each of `scopes` (again: the latest time is kept)."""
    insert = users.upsert_of(engine)
    wanted = sorted(set(scopes))

    async def transaction(connection: AsyncConnection, now: Any) -> None:
        at: datetime = now()
        rows = [{"kakao_id": kakao_id, "scope": scope, "withdrawn_at": at} for scope in wanted]
        statement = insert(_WITHDRAWALS).values(rows)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=["kakao_id", "scope"],
                set_={"withdrawn_at": statement.excluded.withdrawn_at},
            )
        )

    if wanted:
        await users.run_write(engine, transaction)


async def agreed(engine: AsyncEngine, kakao_id: int, scopes: Iterable[str] | None) -> None:
    """Forget withdrawals of `scopes` by `kakao_id` (None: all of them, e.g. a new link)."""
    condition = _WITHDRAWALS.c.kakao_id == kakao_id
    if scopes is not None:
        condition = condition & _WITHDRAWALS.c.scope.in_(sorted(set(scopes)))

    async def transaction(connection: AsyncConnection, now: Any) -> None:
        await connection.execute(delete(_WITHDRAWALS).where(condition))

    await users.run_write(engine, transaction)
