"""The user store: sign up or log in, safely under concurrency.

Sign-up is `INSERT ... ON CONFLICT (kakao_id) DO NOTHING` followed by a re-read by `kakao_id`,
in one transaction. Of any number of simultaneous requests for one new Kakao user (in one
process or many over one PostgreSQL), exactly one insert wins; the others see its row and log
in. No SELECT-then-INSERT window, no IntegrityError to catch, no retry loop.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Insert, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import User


async def sign_up_or_log_in(
    session: AsyncSession,
    *,
    kakao_id: int,
    user_name: str,
    email: str | None,
    now: datetime,
) -> tuple[User, bool]:
    """The account for `kakao_id` and whether this call created it.

    A new account takes `user_name` and `email`; an existing one keeps its stored fields and
    only gets `last_login_at = now`. Commits before returning.
    """
    async with session.begin():
        inserted = await session.execute(
            _insert_ignoring_conflict(session, kakao_id, user_name, email, now).returning(User.id)
        )
        created = inserted.scalar_one_or_none() is not None
        if not created:
            await session.execute(
                update(User).where(User.kakao_id == kakao_id).values(last_login_at=now)
            )
        reread = select(User).where(User.kakao_id == kakao_id)
        reread = reread.execution_options(populate_existing=True)
        user = (await session.execute(reread)).scalar_one()
    return user, created


def _insert_ignoring_conflict(
    session: AsyncSession, kakao_id: int, user_name: str, email: str | None, now: datetime
) -> Insert:
    dialect = session.bind.dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise RuntimeError(f"unsupported database: {dialect} (use SQLite or PostgreSQL)")
    return (
        insert(User)
        .values(
            kakao_id=kakao_id,
            user_name=user_name,
            email=email or None,
            created_at=now,
            updated_at=now,
            last_login_at=now,
        )
        .on_conflict_do_nothing(index_elements=[User.kakao_id])
    )


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    """The account with our id `user_id`, if it (still) exists."""
    return await session.get(User, user_id)


async def get_user_by_kakao_id(session: AsyncSession, kakao_id: int) -> User | None:
    return (
        await session.execute(select(User).where(User.kakao_id == kakao_id))
    ).scalar_one_or_none()


async def is_user(session: AsyncSession, kakao_id: int) -> bool:
    """Whether the Kakao user already has an account here."""
    return bool(await session.scalar(select(exists().where(User.kakao_id == kakao_id))))
