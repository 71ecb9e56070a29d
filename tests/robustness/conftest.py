"""Fixtures for the robustness suite: the contract, and the real service checked against it.

The in-process service runs on a SQLite file with a short Kakao timeout (so a `hang` becomes
KAKAO_TIMEOUT in half a second), with KAKAO_APP_ID set to the fake's app, KAKAO_ADMIN_KEY to its
admin key, id_tokens configured as run_all does and ADMIN_TOKEN set, so every code the contract
lists can be reached.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mock_kakao.world.kakaoapp import DEFAULT_ADMIN_KEY
from tests.robustness.contract import Contract
from tests.robustness.support import CheckedService
from tests.service.support import make_settings, running_service

KAKAO_TIMEOUT = 0.5
#: so the admin API exists and its codes can be reached too
ADMIN_TOKEN = "robustness-admin-token-" + "0123456789abcdef" * 2


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract.load()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file in a folder of its own, which `sqlite_folder_gone` can take away."""
    return f"sqlite+aiosqlite:///{tmp_path / 'db' / 'service.sqlite3'}"


@pytest.fixture
async def service(
    mock_kakao: Any, sqlite_url: str, contract: Contract
) -> AsyncIterator[CheckedService]:
    settings = make_settings(
        mock_kakao.url,
        sqlite_url,
        kakao_timeout=KAKAO_TIMEOUT,
        kakao_app_id=mock_kakao.app_id,
        # id_tokens as run_all configures them: the fake's keys, issuer and app key
        kakao_auth_url=mock_kakao.url,
        kakao_issuer=mock_kakao.url,
        kakao_app_keys=(mock_kakao.client_id,),
        admin_token=ADMIN_TOKEN,
        kakao_admin_key=DEFAULT_ADMIN_KEY,
    )
    async with running_service(settings) as running:
        yield CheckedService(running, contract)
