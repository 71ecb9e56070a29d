"""Create the users table.

Revision ID: 0001
Revises:
Create Date: 2024-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("kakao_id", sa.BigInteger(), nullable=False),
        sa.Column("user_name", sa.String(50), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kakao_id", name="uq_users_kakao_id"),
        # The service stores a missing email as NULL, never as ''.
        sa.CheckConstraint("email IS NULL OR email <> ''", name="ck_users_email_not_empty"),
    )


def downgrade() -> None:
    op.drop_table("users")
