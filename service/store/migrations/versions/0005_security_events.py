"""Kakao's account-status webhook: the Security Event Tokens already received, and the consent
items people withdrew.

`security_events` holds each SET's `jti` once (service.kakao.secevents refuses a SET whose
`jti` is here: a replay), pruned once it is older than a SET the service still accepts.
`kakao_consent_withdrawals` holds, per Kakao user, the consent items Kakao said were withdrawn,
until Kakao says they were agreed again: `GET /auth/kakao` names them in `missing_consents`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_events",
        sa.Column("jti", sa.String(255), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_security_events_received_at", "security_events", ["received_at"])
    op.create_table(
        "kakao_consent_withdrawals",
        sa.Column("kakao_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kakao_consent_withdrawals")
    op.drop_table("security_events")
