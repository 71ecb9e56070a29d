"""The database schema as typed SQLAlchemy 2.0 models (the migrations make the same tables)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

#: SQLite only auto-increments an `INTEGER PRIMARY KEY`; PostgreSQL gets a 64-bit sequence.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    PostgreSQL keeps the offset (`timestamptz`); SQLite keeps none and hands back naive values,
    which this reads as UTC, so callers always compare aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    """One account per Kakao user (Kakao ids are per app, so per deployment).

    An id is never handed out twice: SQLite's AUTOINCREMENT (without it SQLite reuses the
    highest id once its row is deleted) and PostgreSQL's sequence only count up. `account_key`
    is random per account and goes into our JWT, so a token opens only the account it was
    issued to, even if its id names another one later (a database reset with the same key).
    """

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("kakao_id", name="uq_users_kakao_id"),
        CheckConstraint("email IS NULL OR email <> ''", name="ck_users_email_not_empty"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kakao_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    user_name: Mapped[str] = mapped_column(String(50), nullable=False)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: see the class's docstring; made by `users.new_account_key`, never changed
    account_key: Mapped[str] = mapped_column(String(64), nullable=False)

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, kakao_id={self.kakao_id!r})"


class HealthCheck(Base):
    """The one row `/healthz` rewrites, so health proves a write commits (migration 0004)."""

    __tablename__ = "health_checks"
    __table_args__ = (CheckConstraint("id = 1", name="ck_health_checks_one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class KakaoUnlink(Base):
    """The latest deletion of a Kakao user's account, kept for users.UNLINK_MEMORY.

    A sign-up whose Kakao check began at or before `unlinked_at` is refused, so a sign-in that
    raced the deletion cannot re-create the account (see service.store.users).
    """

    __tablename__ = "kakao_unlinks"
    __table_args__ = (Index("ix_kakao_unlinks_unlinked_at", "unlinked_at"),)

    kakao_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    unlinked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class SecurityEvent(Base):
    """A Security Event Token already received, by its `jti` (migration 0005): a SET whose
    `jti` is here is a replay. Pruned once older than any SET still accepted."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_received_at", "received_at"),)

    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ConsentWithdrawal(Base):
    """A consent item a Kakao user withdrew, as Kakao's account-status webhook said, until it
    says the item was agreed again (migration 0005)."""

    __tablename__ = "kakao_consent_withdrawals"

    kakao_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
