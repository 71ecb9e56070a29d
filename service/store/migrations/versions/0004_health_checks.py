"""A one-row table that `/healthz` writes to, so health proves that a write commits.

A check that only opens a write transaction and rolls it back passes on a full disk (nothing
needs new space), while every sign-up and log-in fails there. `service.store.db.ping` upserts
the row with the time in a committed transaction instead: on SQLite that appends to the WAL,
which fails with SQLITE_FULL when the disk has no room.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "health_checks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        # one row only: the check rewrites it, the table never grows
        sa.CheckConstraint("id = 1", name="ck_health_checks_one_row"),
    )


def downgrade() -> None:
    op.drop_table("health_checks")
