"""Fixtures for the service's tests: a database on each engine, and the running service.

`database_url` runs a test twice, on a SQLite file and on a real PostgreSQL database. A test
module that does not care about the database can override it with a SQLite-only fixture.
Per-test settings come from `service_overrides`, which a test parametrizes directly, e.g.
`@pytest.mark.parametrize("service_overrides", [{"kakao_app_id": 10001}])`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.support import RunningService, make_settings, running_service


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'service.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'service.sqlite3'}"


@pytest.fixture
def service_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def service(
    mock_kakao: Any, database_url: str, service_overrides: dict[str, Any]
) -> AsyncIterator[RunningService]:
    settings = make_settings(mock_kakao.url, database_url, **service_overrides)
    async with running_service(settings) as running:
        yield running
