"""Give every account a random key for our JWTs, and never hand out an id twice on SQLite.

Without AUTOINCREMENT, SQLite gives a new row the highest id plus one, so deleting the newest
account handed its id to the next sign-up, and a JWT naming that id opened the new account.
SQLite only adds AUTOINCREMENT by rebuilding the table: a new table, every row copied (ids
kept), the old one dropped. env.py runs all of it in one transaction. PostgreSQL's sequence
(`BIGSERIAL`, from 0001) already never goes back, so there the table only gets the column.

`account_key` is random per account and our JWTs carry it (see service.tokens.belongs_to), so a
token opens only the account it was issued to, even after a database reset that keeps the
secret key. Existing accounts get a key here; tokens issued before have none and are refused:
their holders log in again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-20
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: the rebuilt table's name until the old one is dropped
_NEW = "_users_0002"
_COPIED = "id, kakao_id, user_name, email, created_at, updated_at, last_login_at, account_key"


def _account_key() -> str:
    # As service.store.users.new_account_key makes them; written out here because a migration must
    # keep doing what it did when the application's code changes.
    return secrets.token_hex(16)


def upgrade() -> None:
    op.add_column("users", sa.Column("account_key", sa.String(64), nullable=True))
    connection = op.get_bind()
    ids = connection.execute(sa.text("SELECT id FROM users")).scalars().all()
    if ids:
        connection.execute(
            sa.text("UPDATE users SET account_key = :key WHERE id = :id"),
            [{"id": user_id, "key": _account_key()} for user_id in ids],
        )
    if connection.dialect.name == "sqlite":
        _rebuild_with_autoincrement()
    else:
        op.alter_column("users", "account_key", existing_type=sa.String(64), nullable=False)


def _rebuild_with_autoincrement() -> None:
    """SQLite's way to change a table (https://sqlite.org/lang_altertable.html#otheralter).

    Copying the ids into the AUTOINCREMENT table starts its counter at the highest one.
    """
    op.create_table(
        _NEW,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kakao_id", sa.BigInteger(), nullable=False),
        sa.Column("user_name", sa.String(50), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_key", sa.String(64), nullable=False),
        sa.UniqueConstraint("kakao_id", name="uq_users_kakao_id"),
        sa.CheckConstraint("email IS NULL OR email <> ''", name="ck_users_email_not_empty"),
        sqlite_autoincrement=True,
    )
    op.execute(f"INSERT INTO {_NEW} ({_COPIED}) SELECT {_COPIED} FROM users")
    op.drop_table("users")
    op.rename_table(_NEW, "users")


def downgrade() -> None:
    # 0001's schema but for AUTOINCREMENT, which SQLite keeps: ids stay never reused.
    op.drop_column("users", "account_key")
