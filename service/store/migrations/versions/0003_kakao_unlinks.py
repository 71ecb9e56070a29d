"""Remember, for a while, which Kakao users' accounts were deleted and when.

A sign-in checks the Kakao token first and writes the account after; a deletion (`DELETE
/users/me`, the unlink webhook, the admin API) that lands in between used to be undone by the
sign-in, re-creating an account for a person Kakao no longer vouches for. The sign-up now
refuses when this table holds a deletion of that Kakao user at or after the moment its Kakao
check began (see service.store.users). One row per Kakao user, its latest deletion; rows older
than users.UNLINK_MEMORY are pruned, so the table stays small.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kakao_unlinks",
        sa.Column("kakao_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("unlinked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kakao_unlinks_unlinked_at", "kakao_unlinks", ["unlinked_at"])


def downgrade() -> None:
    op.drop_table("kakao_unlinks")
