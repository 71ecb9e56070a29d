"""Alembic environment.

The service runs migrations itself (`service.store.db.migrate`), handing over an open connection in
`config.attributes["connection"]`. Run by hand (`alembic -c ...`), it connects to
`DATABASE_URL` (or `sqlalchemy.url`) with the same async engine the service uses.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from service.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # Python's sqlite3 opens a transaction only before INSERT, UPDATE and DELETE, so each
        # CREATE, ALTER and DROP committed on its own: a migration that failed half-way (0002
        # rebuilds the table) left half a schema. One transaction for all of it; deferred (not
        # IMMEDIATE), so a schema already at head is only read and a read-only file still
        # starts. The connection is fresh from the pool: no transaction is open yet.
        connection.exec_driver_sql("BEGIN")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    from service.settings import DEFAULT_DATABASE_URL
    from service.store.db import create_engine

    url = config.get_main_option("sqlalchemy.url") or os.environ.get(
        "DATABASE_URL", DEFAULT_DATABASE_URL
    )
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_with)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")

connection = config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    asyncio.run(run_standalone())
