"""Fixtures shared by every part's tests.

Nothing here skips: the README's test command installs PostgreSQL and Chromium first, so a
missing one is a broken machine and its tests must fail, in CI and on a desk alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.support.postgres import ThrowawayPostgres

_database_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    """One real PostgreSQL server for the whole run, on a free loopback port."""
    with ThrowawayPostgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: ThrowawayPostgres) -> str:
    """A fresh, empty database on the shared server (SQLAlchemy URL, asyncpg driver)."""
    return postgres_server.create_database(f"test_{next(_database_names)}")
