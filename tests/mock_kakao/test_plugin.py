"""The pytest plugin's fixtures, used as another project would use them."""

from __future__ import annotations

import json
import urllib.request

import pytest

from mock_kakao.testing import MockKakao

pytest_plugins = ["pytester"]  # runs an outside project's tests in a subprocess


def test_fixture_yields_a_running_fake(mock_kakao: MockKakao):
    assert mock_kakao.url.startswith("http://127.0.0.1:")
    assert mock_kakao.app_id == 10001
    mock_kakao.add_user(id=31337, nickname="플러그인", email="plugin@example.com")
    token = mock_kakao.issue_token(31337)["access_token"]
    request = urllib.request.Request(
        f"{mock_kakao.url}/v2/user/me", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request) as response:
        assert json.load(response)["kakao_account"]["email"] == "plugin@example.com"
    mock_kakao.add_fault("drop")
    assert mock_kakao.requests()[-1]["user_id"] == 31337


def test_fixture_resets_between_tests(mock_kakao: MockKakao):
    # The previous test's user, fault and log are gone.
    assert 31337 not in {user["id"] for user in mock_kakao.users()}
    assert mock_kakao.faults() == []
    assert mock_kakao.requests() == []


def test_session_server_is_shared(mock_kakao: MockKakao, mock_kakao_server: MockKakao):
    assert mock_kakao is mock_kakao_server


def test_context_manager_and_explicit_stop():
    kakao = MockKakao(app_id=20002)
    assert kakao.app_id == 20002
    with kakao:
        url = kakao.url
        assert kakao.users()
    kakao.stop()  # idempotent
    with pytest.raises(RuntimeError):
        kakao.url  # noqa: B018
    assert url.startswith("http://127.0.0.1:")


OUTSIDE_PROJECT_TESTS = """
import urllib.request

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def me(mock_kakao, token):
    request = urllib.request.Request(
        f"{mock_kakao.url}/v2/user/me", headers={"Authorization": f"Bearer {token}"}
    )
    with OPENER.open(request) as response:
        response.read()


def test_verified(mock_kakao):
    me(mock_kakao, "mock-token-full-consent")
    mock_kakao.assert_requested(method="GET", path="/v2/user/me", user_id=4000000001, times=1)
    assert len(mock_kakao.requests(user_id=4000000001, limit=1)) == 1


def test_wrong_user(mock_kakao):
    me(mock_kakao, "mock-token-no-email")
    mock_kakao.assert_requested(path="/v2/user/me", user_id=4000000001)
"""


def test_assert_requested_in_an_outside_project(pytester: pytest.Pytester):
    """A project that only installed the package: fixture by entry point, near miss on failure."""
    pytester.makepyfile(test_outside=OUTSIDE_PROJECT_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: expected at least one request matching path=/v2/user/me "
            "user_id=4000000001, found 0 among 1 logged",
            "*closest that did not match:",
            "*GET /v2/user/me user 4000000002 status 200 — user_id differs (wanted 4000000001)",
        ]
    )
