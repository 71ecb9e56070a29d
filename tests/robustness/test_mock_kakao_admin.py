"""The fake's admin surface refuses what would corrupt its state, and stays on loopback.

Complements tests/mock_kakao: test_cli.py (`python -m mock_kakao` refuses a non-loopback host
without --allow-remote), test_admin.py (duplicate id, bad types, a token for a missing user)
and test_faults.py (bad kind, negative latency, times 0). What those did not cover is here.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from mock_kakao.testing import MockKakao

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def admin_raw(kakao: MockKakao, method: str, path: str, body: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        kakao.url + path, data=body.encode(), method=method,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_mock/users", '{"id": 5, "id": 6}'),
        ("/_mock/users", '{"id": 9223372036854775808}'),
        ("/_mock/users", '{"id": 18446744073709551616}'),
        ("/_mock/faults", '{"kind": "error", "kind": "drop"}'),
        ("/_mock/faults", '{"kind": "error", "user_id": 9223372036854775808}'),
        ("/_mock/faults", '{"kind": "latency", "latency_ms": 120001}'),
    ],
)
def test_input_that_would_corrupt_the_state_is_refused(
    mock_kakao: MockKakao, path: str, body: str
) -> None:
    users, faults = mock_kakao.users(), mock_kakao.faults()
    status, answer = admin_raw(mock_kakao, "POST", path, body)
    assert status == 400 and answer["error"] in {"INVALID_JSON", "INVALID_FIELD"}, answer
    assert (mock_kakao.users(), mock_kakao.faults()) == (users, faults)


def test_the_largest_kakao_id_is_fine(mock_kakao: MockKakao) -> None:
    assert mock_kakao.add_user(id=2**63 - 1)["id"] == 2**63 - 1


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
def test_the_library_refuses_a_non_loopback_host_unless_asked(host: str) -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        MockKakao(host=host)


def test_allow_remote_lets_it_bind() -> None:
    with MockKakao(host="0.0.0.0", allow_remote=True) as kakao:
        assert kakao.users()
