"""Fixtures for the client contract tests: the plugin's fake, and the Node clients' folder."""

from __future__ import annotations

import pytest

from mock_kakao.testing import MockKakao
from tests.clients.support import NODE_DIR, node_modules_ready


@pytest.fixture
def kakao(mock_kakao: MockKakao) -> MockKakao:
    """The plugin's shared fake, reset to its defaults before each test."""
    return mock_kakao


@pytest.fixture
def node_clients() -> None:
    """The Node clients must be installed (``npm ci`` in tests/clients/node): a clear failure,
    never a skip, so a machine without them cannot pass the contract silently."""
    assert node_modules_ready(), (
        f"run scripts/setup-test-env: no node or no {NODE_DIR}/node_modules"
    )
