"""The fake's admin surface refuses what would corrupt its state, and stays on loopback.

Complements tests/mock_kakao: test_cli.py (`python -m mock_kakao` refuses a non-loopback host
without --allow-remote), test_admin.py (duplicate id, bad types, a token for a missing user)
and test_faults.py (bad kind, negative latency, times 0). What those did not cover is here:
JSON no parser should let through (deep nesting, NaN, 1e400, invalid UTF-8, lone surrogates,
duplicate keys), numbers out of range in every field, a clock moved out of the years a date can
name, and a token value taken from its owner. test_fuzz_admin.py keeps the class shut.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from mock_kakao.testing import MockKakao
from mock_kakao.world.state import FakeKakao

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def admin_raw(
    kakao: MockKakao, method: str, path: str, body: str | bytes | None = None
) -> tuple[int, dict]:
    """One request on a real socket; the answer must be JSON (a plain-text 500 fails here)."""
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(
        kakao.url + path, data=data, method=method,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def kapi_me(kakao: MockKakao, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        kakao.url + "/v2/user/me", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def snapshot(kakao: MockKakao) -> tuple[list, list, float]:
    """Everything a refused request must leave as it was."""
    return kakao.users(), kakao.faults(), admin_raw(kakao, "GET", "/_mock/clock")[1]["offset"]


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


FULL = 4000000001
TOKENS = f"/_mock/users/{FULL}/tokens"
TEN_YEARS = 10 * 365 * 24 * 3600


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        # JSON the parser must refuse, of every kind
        ("PUT", "/_mock/faults", "[" * 100_000, "INVALID_JSON"),
        ("POST", "/_mock/users", '{"id": 5, "tokens": ' + "[" * 100_000, "INVALID_JSON"),
        ("POST", TOKENS, '{"expires_in": ' + str(10**400) + "}", "INVALID_JSON"),
        ("POST", TOKENS, '{"expires_in": 1e400}', "INVALID_JSON"),
        ("POST", TOKENS, '{"expires_in": NaN}', "INVALID_JSON"),
        ("POST", "/_mock/clock", '{"advance": Infinity}', "INVALID_JSON"),
        ("POST", "/_mock/clock", '{"advance": -Infinity}', "INVALID_JSON"),
        ("POST", "/_mock/clock", '{"advance": 1e308}', "INVALID_FIELD"),
        ("POST", "/_mock/users", b'{"id": 5, "label": "\xff"}', "INVALID_JSON"),
        ("POST", "/_mock/users", b'{"id": 5, "label": "\xed\xa0\x80"}', "INVALID_JSON"),
        ("POST", "/_mock/users", '{"id": 5, "label": "\\ud800"}', "INVALID_JSON"),
        ("POST", "/_mock/faults", '{"kind": "error", "msg": "\\udc00x"}', "INVALID_JSON"),
        ("PUT", "/_mock/faults", '[{"kind": "drop", "path": "/a\\ud83d"}]', "INVALID_JSON"),
        (
            "POST",
            "/_mock/users",
            '{"id": 5, "tokens": [{"app_id": 1, "app_id": 2}]}',
            "INVALID_JSON",
        ),
        ("PATCH", f"/_mock/users/{FULL}", '{"label": "a", "label": "b"}', "INVALID_JSON"),
        # every numeric field out of its range
        ("POST", TOKENS, '{"expires_in": ' + str(10**50) + "}", "INVALID_FIELD"),
        ("POST", TOKENS, f'{{"expires_in": {TEN_YEARS + 1}}}', "INVALID_FIELD"),
        ("POST", TOKENS, f'{{"expires_in": {-TEN_YEARS - 1}}}', "INVALID_FIELD"),
        ("POST", TOKENS, f'{{"refresh_token_expires_in": {TEN_YEARS + 1}}}', "INVALID_FIELD"),
        ("POST", TOKENS, '{"app_id": 9223372036854775808}', "INVALID_FIELD"),
        ("POST", "/_mock/users", '{"id": 5, "tokens": [{"expires_in": 1e3}]}', "INVALID_FIELD"),
        ("POST", "/_mock/faults", '{"kind": "drop", "times": 1000000001}', "INVALID_FIELD"),
        ("POST", "/_mock/faults", '{"kind": "error", "code": -2147483649}', "INVALID_FIELD"),
        ("POST", "/_mock/faults", '{"kind": "error", "status": 600}', "INVALID_FIELD"),
        ("POST", "/_mock/clock", '{"advance": 300000000000}', "INVALID_FIELD"),
        ("POST", "/_mock/clock", '{"advance": -300000000000}', "INVALID_FIELD"),
        ("POST", "/_mock/clock", f'{{"advance": {TEN_YEARS + 1}}}', "INVALID_FIELD"),
        ("POST", "/_mock/clock", f'{{"advance": {-TEN_YEARS - 0.5}}}', "INVALID_FIELD"),
        ("POST", "/_mock/clock", '{"advance": true}', "INVALID_FIELD"),
    ],
)
def test_bad_admin_input_is_a_400_in_the_admin_shape_and_changes_nothing(
    mock_kakao: MockKakao, method: str, path: str, body: str | bytes, code: str
) -> None:
    before = snapshot(mock_kakao)
    status, answer = admin_raw(mock_kakao, method, path, body)
    assert (status, answer["error"]) == (400, code), answer
    assert answer["detail"]
    assert snapshot(mock_kakao) == before
    assert kapi_me(mock_kakao, "mock-token-full-consent")[0] == 200


def test_a_body_over_the_limit_is_413_in_the_admin_shape(mock_kakao: MockKakao) -> None:
    body = '{"id": 5, "label": "' + "x" * (1024 * 1024) + '"}'
    status, answer = admin_raw(mock_kakao, "POST", "/_mock/users", body)
    assert (status, answer["error"]) == (413, "BODY_TOO_LARGE")


@pytest.mark.parametrize(
    "path", ["/_mock/users/4_000_000_001", "/_mock/users/%D9%A4", "/_mock/users/+4000000001"]
)
def test_a_user_id_is_ascii_digits(mock_kakao: MockKakao, path: str) -> None:
    assert admin_raw(mock_kakao, "GET", path)[1]["error"] == "USER_NOT_FOUND"


def test_the_clock_moves_up_to_ten_years_either_way_and_everything_keeps_working(
    mock_kakao: MockKakao,
) -> None:
    """At both ends of the range: tokens, kapi, new users and the request log all work."""
    for new_id, advance, offset in [(5, TEN_YEARS, TEN_YEARS), (6, -2 * TEN_YEARS, -TEN_YEARS)]:
        status, answer = admin_raw(mock_kakao, "POST", "/_mock/clock", f'{{"advance": {advance}}}')
        assert (status, answer["offset"]) == (200, offset)
        fresh = mock_kakao.issue_token(FULL)["access_token"]
        assert kapi_me(mock_kakao, fresh)[1]["id"] == FULL
        assert mock_kakao.add_user(id=new_id)["connected_at"]
        assert mock_kakao.requests()[-1]["status"] == 200
    status, answer = admin_raw(mock_kakao, "POST", "/_mock/clock", '{"advance": -1}')
    assert (status, answer["error"]) == (400, "INVALID_FIELD")
    assert admin_raw(mock_kakao, "POST", "/_mock/reset")[0] == 200
    assert admin_raw(mock_kakao, "GET", "/_mock/clock")[1]["offset"] == 0
    assert kapi_me(mock_kakao, "mock-token-full-consent")[0] == 200


def test_reset_never_reads_the_state_it_throws_away() -> None:
    """Even a clock no request can reach any more (set here directly) cannot break reset."""
    state = FakeKakao.from_file()
    bundled = set(state.users)
    state.add_user({"id": 4100000001, "nickname": "thrown away"})
    state.clock.offset = 1e300
    state.reset()
    assert state.clock.offset == 0 and set(state.users) == bundled
    assert state.authenticate("mock-token-full-consent")[1].id == FULL


@pytest.mark.parametrize(
    ("owner", "body"),
    [
        (FULL, '{"access_token": "mock-token-full-consent"}'),
        (FULL, '{"refresh_token": "mock-refresh-full-consent"}'),
        (FULL, '{"access_token": "mock-refresh-full-consent"}'),
        (FULL, '{"refresh_token": "mock-token-full-consent"}'),
        (None, '{"access_token": "same", "refresh_token": "same"}'),
    ],
)
def test_a_token_value_in_use_is_refused_and_stays_with_its_owner(
    mock_kakao: MockKakao, owner: int | None, body: str
) -> None:
    before = snapshot(mock_kakao)
    status, answer = admin_raw(mock_kakao, "POST", "/_mock/users/4000000002/tokens", body)
    assert (status, answer["error"]) == (409, "TOKEN_EXISTS"), answer
    assert snapshot(mock_kakao) == before
    if owner is not None:
        assert kapi_me(mock_kakao, "mock-token-full-consent")[1]["id"] == owner


def test_patch_cannot_reach_tokens(mock_kakao: MockKakao) -> None:
    body = '{"tokens": [{"access_token": "mock-token-full-consent"}]}'
    status, answer = admin_raw(mock_kakao, "PATCH", "/_mock/users/4000000002", body)
    assert (status, answer["error"]) == (400, "UNKNOWN_FIELD")
    assert kapi_me(mock_kakao, "mock-token-full-consent")[1]["id"] == FULL


@pytest.mark.parametrize(
    ("name", "text", "complaint"),
    [
        (
            "shared.json",
            '{"users": [{"id": 1, "tokens": [{"access_token": "t"}]},'
            ' {"id": 2, "tokens": [{"refresh_token": "t"}]}]}',
            "already in use",
        ),
        ("nan.json", '{"users": [{"id": 1, "tokens": [{"expires_in": NaN}]}]}', "NaN"),
        ("dupe-key.json", '{"users": [], "users": []}', "twice"),
        ("inf.toml", "[[users]]\nid = 1\n[[users.tokens]]\nexpires_in = inf\n", "expires_in"),
        (
            "big.toml",
            f"[[users]]\nid = 1\n[[users.faults]]\nkind = 'drop'\ntimes = {2**62}\n",
            "times",
        ),
    ],
)
def test_the_users_file_is_held_to_the_same_rules(
    tmp_path: Path, name: str, text: str, complaint: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match=complaint) as error:
        FakeKakao.from_file(path)
    assert name in str(error.value)
