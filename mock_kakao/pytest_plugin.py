"""pytest plugin: a fake Kakao per test session, reset before every test that asks for it.

Registered as the ``mock_kakao`` pytest11 entry point, so any project that installs this
package gets the fixtures. Configure with ini options ``mock_kakao_users`` (a users file) and
``mock_kakao_app_id``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_kakao.testing import MockKakao


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("mock_kakao_users", "users file (JSON or TOML) for the mock_kakao fixtures")
    parser.addini("mock_kakao_app_id", "app_id of the fake Kakao's tokens (default 10001)")


@pytest.fixture(scope="session")
def mock_kakao_server(pytestconfig: pytest.Config) -> Iterator[MockKakao]:
    """One fake Kakao for the whole run, on a free loopback port."""
    users = pytestconfig.getini("mock_kakao_users") or None
    app_id = pytestconfig.getini("mock_kakao_app_id")
    with MockKakao(users_file=users, app_id=int(app_id) if app_id else None) as kakao:
        yield kakao


@pytest.fixture
def mock_kakao(mock_kakao_server: MockKakao) -> MockKakao:
    """The shared fake, reset to its users file (users, tokens, faults, clock, log).

    Verify what the code under test asked Kakao with ``mock_kakao.assert_requested(...)``.
    """
    mock_kakao_server.reset()
    return mock_kakao_server
