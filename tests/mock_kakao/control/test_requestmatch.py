"""Request verification: ``GET /_mock/requests`` filters and ``MockKakao.assert_requested``.

Over real sockets: the traffic below goes to the running fake, the filters through its admin
API. The matching rules themselves are plain functions, checked last without HTTP.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mock_kakao.control.requestmatch import RequestFilter, near_misses, parse_query, verdict
from mock_kakao.testing import MockKakao, MockKakaoError
from tests.mock_kakao.helpers import FULL, FULL_ID, bearer

NO_EMAIL = "mock-token-no-email"
NO_EMAIL_ID = 4000000002
EXPIRED = "mock-token-expired"
EXPIRED_ID = 4000000008
SEOUL = timezone(timedelta(hours=9))


async def make_traffic(http, kakao: MockKakao) -> None:
    """Six requests whose log entries every test below filters (oldest first)."""
    calls = [
        ("GET", "/v2/user/me", FULL),  # 200, user 1
        ("GET", "/v2/user/me", NO_EMAIL),  # 200, user 2
        ("POST", "/v1/user/logout", FULL),  # 200, user 1
        ("GET", "/v2/user/me", EXPIRED),  # 401, user 8
        ("GET", "/v1/user/access_token_info", "not-a-token"),  # 401, no user
        ("POST", "/oauth/token", None),  # 401 (no client), no user
    ]
    for method, path, token in calls:
        headers = bearer(token) if token else {}
        async with http.request(method, kakao.url + path, headers=headers) as response:
            await response.read()


def summary(entries: list[dict]) -> list[tuple]:
    return [(e["method"], e["path"], e.get("user_id"), e["status"]) for e in entries]


async def get_requests(http, kakao: MockKakao, query: str) -> tuple[int, dict]:
    async with http.get(f"{kakao.url}/_mock/requests?{query}") as response:
        return response.status, await response.json()


ALL = [
    ("GET", "/v2/user/me", FULL_ID, 200),
    ("GET", "/v2/user/me", NO_EMAIL_ID, 200),
    ("POST", "/v1/user/logout", FULL_ID, 200),
    ("GET", "/v2/user/me", EXPIRED_ID, 401),
    ("GET", "/v1/user/access_token_info", None, 401),
    ("POST", "/oauth/token", None, 401),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL),
        ("method=POST", [ALL[2], ALL[5]]),
        ("method=post", [ALL[2], ALL[5]]),  # methods are case-insensitive
        ("path=/v2/user/me", [ALL[0], ALL[1], ALL[3]]),
        ("path=/v1/user/*", [ALL[2], ALL[4]]),  # a trailing * is a prefix
        ("path=/v2/user", []),  # otherwise exact
        (f"user_id={FULL_ID}", [ALL[0], ALL[2]]),
        ("status=401", [ALL[3], ALL[4], ALL[5]]),
        ("status=200", [ALL[0], ALL[1], ALL[2]]),
        ("limit=2", ALL[-2:]),  # the most recent two, still oldest first
        ("limit=1000", ALL),
        (f"method=GET&path=/v2/user/me&user_id={FULL_ID}&status=200", [ALL[0]]),
        ("method=GET&status=200", [ALL[0], ALL[1]]),
        ("path=/v2/user/me&limit=2", [ALL[1], ALL[3]]),  # limit applies after the filter
        (f"user_id={FULL_ID}&status=401", []),
    ],
)
async def test_each_filter_and_their_combinations(http, kakao, query, expected):
    await make_traffic(http, kakao)
    status, body = await get_requests(http, kakao, query)
    assert status == 200
    assert summary(body["requests"]) == expected


async def test_filtered_entries_keep_every_record_field(http, kakao):
    await make_traffic(http, kakao)
    [entry] = kakao.requests(method="POST", user_id=FULL_ID)
    assert set(entry) == {"method", "path", "status", "latency_ms", "token", "user_id", "time"}
    # a short prefix and a keyed fingerprint (which token), never the token itself
    assert re.fullmatch(r"mock-t…[0-9a-f]{6}", entry["token"]) and FULL not in entry["token"]
    kakao.add_fault("error", status=503, code=-9798, msg="maintenance", times=1)
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(FULL)) as response:
        assert response.status == 503
    assert kakao.requests(status=503)[0]["fault"] == "error"


async def test_since_takes_epoch_seconds_or_iso_on_the_fakes_clock(http, kakao):
    await make_traffic(http, kakao)
    # An hour later on the fake's clock: the first batch is unambiguously before `since`.
    since = kakao.advance_clock(3600)
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(NO_EMAIL)) as response:
        assert response.status == 200
    later = [("GET", "/v2/user/me", NO_EMAIL_ID, 200)]
    iso_utc = datetime.fromtimestamp(since, UTC).isoformat().replace("+00:00", "Z")
    iso_seoul = datetime.fromtimestamp(since, SEOUL).isoformat()
    for value in (repr(since), iso_utc, iso_seoul.replace("+", "%2B")):
        status, body = await get_requests(http, kakao, f"since={value}")
        assert status == 200, body
        assert summary(body["requests"]) == later, value
    assert summary(kakao.requests(since=since)) == later
    assert summary(kakao.requests(since=datetime.fromtimestamp(since, SEOUL))) == later
    assert summary(kakao.requests(since=since - 7200)) == [*ALL, *later]
    # Inclusive: a logged time given back as `since` keeps its own request.
    last = kakao.requests()[-1]
    assert summary(kakao.requests(since=last["time"])) == later


def test_now_is_the_fakes_clock(kakao):
    before = kakao.now()
    assert kakao.advance_clock(60) >= before + 60
    assert kakao.now() >= before + 60


@pytest.mark.parametrize(
    ("query", "code", "detail"),
    [
        ("method=G%20T", "INVALID_FIELD", "method must be an HTTP method"),
        ("method=", "INVALID_FIELD", "method must not be empty"),
        ("path=v2/user/me", "INVALID_FIELD", "path must start with /"),
        ("path=/v2/user/me%3Fa%3D1", "INVALID_FIELD", "must not carry a query"),
        ("path=/v2/*/me", "INVALID_FIELD", "at its end"),
        ("user_id=abc", "INVALID_FIELD", "user_id must be an integer"),
        ("user_id=0", "INVALID_FIELD", "user_id must be an integer from 1"),
        ("user_id=-5", "INVALID_FIELD", "user_id must be an integer"),
        ("user_id=99999999999999999999", "INVALID_FIELD", "user_id must be an integer"),
        ("status=2OO", "INVALID_FIELD", "status must be an integer from 100 to 599"),
        ("status=99", "INVALID_FIELD", "status must be an integer from 100 to 599"),
        ("status=200&status=401", "INVALID_FIELD", "status is given more than once"),
        ("since=yesterday", "INVALID_FIELD", "since must be epoch seconds or an ISO 8601"),
        ("since=2024-05-01T09:00:00", "INVALID_FIELD", "since needs a time zone"),
        ("since=nan", "INVALID_FIELD", "since must be a time between"),
        ("since=inf", "INVALID_FIELD", "since must be a time between"),
        ("since=1e999999999", "INVALID_FIELD", "since must be a time between"),
        ("since=9999-12-31T23:59:59-01:00", "INVALID_FIELD", "since must be a time between"),
        ("since=%FF", "INVALID_FIELD", "since must be epoch seconds"),
        ("limit=0", "INVALID_FIELD", "limit must be an integer from 1 to 1000"),
        ("limit=1001", "INVALID_FIELD", "limit must be an integer from 1 to 1000"),
        ("limit=1.5", "INVALID_FIELD", "limit must be an integer"),
        ("user=4000000001", "UNKNOWN_FIELD", "unknown field(s) user"),
    ],
)
async def test_bad_filter_values_are_400_in_the_admin_shape(http, kakao, query, code, detail):
    await make_traffic(http, kakao)
    status, body = await get_requests(http, kakao, query)
    assert status == 400
    assert body["error"] == code and detail in body["detail"]


def test_helper_passes_bad_filters_on_as_errors(kakao):
    with pytest.raises(MockKakaoError) as bad:
        kakao.requests(status=42)
    assert bad.value.status == 400 and bad.value.error == "INVALID_FIELD"
    with pytest.raises(MockKakaoError) as naive:
        kakao.assert_requested(since=datetime(2024, 5, 1))
    assert naive.value.status == 400 and "time zone" in naive.value.body["detail"]
    with pytest.raises(TypeError):
        kakao.assert_requested(path="/v2/user/me", times="2")
    with pytest.raises(ValueError, match="at least 0"):
        kakao.assert_requested(path="/v2/user/me", times=-1)


async def test_assert_requested_passes_and_returns_the_matches(http, kakao):
    await make_traffic(http, kakao)
    matched = kakao.assert_requested(path="/v2/user/me", user_id=FULL_ID)
    assert summary(matched) == [ALL[0]]
    kakao.assert_requested(path="/v2/user/me", times=3)
    kakao.assert_requested(method="GET", status=401, times=2)
    kakao.assert_requested(path="/oauth/*", status=401, times=1)
    kakao.assert_requested(path="/v1/user/unlink", times=0)
    kakao.assert_requested(times=6)


async def test_assert_requested_failure_lists_near_misses_and_why(http, kakao):
    await make_traffic(http, kakao)
    with pytest.raises(AssertionError) as failure:
        kakao.assert_requested(method="GET", path="/v2/user/me", user_id=4000000003, status=200)
    message = str(failure.value)
    lines = message.splitlines()
    assert lines[0] == (
        "expected at least one request matching method=GET path=/v2/user/me "
        "user_id=4000000003 status=200, found 0 among 6 logged"
    )
    assert lines[1] == "closest that did not match:"
    # Most criteria matched first (3 of 4), newest first among equals; at most five.
    assert lines[2:] == [
        "  GET /v2/user/me user 4000000002 status 200 — user_id differs (wanted 4000000003)",
        "  GET /v2/user/me user 4000000001 status 200 — user_id differs (wanted 4000000003)",
        "  GET /v2/user/me user 4000000008 status 401 — "
        "user_id differs (wanted 4000000003), status differs (wanted 200)",
        "  GET /v1/user/access_token_info status 401 — path differs (wanted /v2/user/me), "
        "no user (wanted 4000000003), status differs (wanted 200)",
        "  POST /v1/user/logout user 4000000001 status 200 — method differs (wanted GET), "
        "path differs (wanted /v2/user/me), user_id differs (wanted 4000000003)",
    ]


async def test_assert_requested_times_is_exact(http, kakao):
    await make_traffic(http, kakao)
    with pytest.raises(AssertionError) as too_many:
        kakao.assert_requested(path="/v2/user/me", status=200, times=1)
    assert str(too_many.value).splitlines() == [
        "expected exactly 1 request(s) matching path=/v2/user/me status=200, "
        "found 2 among 6 logged",
        "matching (most recent last):",
        "  GET /v2/user/me user 4000000001 status 200",
        "  GET /v2/user/me user 4000000002 status 200",
    ]
    with pytest.raises(AssertionError) as too_few:
        kakao.assert_requested(method="POST", path="/v1/user/logout", times=2)
    message = str(too_few.value)
    assert "expected exactly 2 request(s) matching method=POST path=/v1/user/logout" in message
    assert "found 1 among 6 logged" in message
    assert "  POST /v1/user/logout user 4000000001 status 200\n" in message
    assert "  POST /oauth/token status 401 — path differs (wanted /v1/user/logout)" in message
    with pytest.raises(AssertionError, match="expected exactly 0 request"):
        kakao.assert_requested(path="/oauth/token", times=0)


async def test_assert_requested_with_since_explains_too_early(http, kakao):
    await make_traffic(http, kakao)
    since = kakao.advance_clock(3600)
    with pytest.raises(AssertionError) as failure:
        kakao.assert_requested(path="/oauth/token", since=since)
    assert "— too early (at " in str(failure.value)
    assert "wanted at or after " in str(failure.value)


def test_assert_requested_on_an_empty_log_says_so(kakao):
    with pytest.raises(AssertionError, match=r"found 0 among 0 logged \(the log is empty"):
        kakao.assert_requested(path="/v2/user/me")


# -- the plain functions, without HTTP -----------------------------------------------------


def record(time: str = "2024-05-01T00:00:00.123Z", **fields) -> dict:
    return {"method": "GET", "path": "/v2/user/me", "status": 200, "time": time, **fields}


def test_since_compares_at_the_logs_millisecond_precision():
    stamp = datetime(2024, 5, 1, tzinfo=UTC).timestamp()
    same_ms = parse_query([("since", repr(stamp + 0.1239))]).filter
    assert same_ms.matches(record())  # logged .123, asked for .1239: the same millisecond
    next_ms = parse_query([("since", "2024-05-01T09:00:00.124+09:00")]).filter
    assert next_ms.mismatches(record()) == [
        "too early (at 2024-05-01T00:00:00.123Z, wanted at or after 2024-05-01T00:00:00.124Z)"
    ]


def test_near_misses_rank_by_criteria_matched_then_recency():
    wanted = RequestFilter(method="GET", path="/v2/user/me", user_id=1, status=200)
    records = [record(user_id=1, status=500)]  # 3 of 4
    records += [record(path="/x", method="POST", user_id=1)] * 2  # 2 of 4
    records += [record(path=f"/other{i}", method="POST", status=None) for i in range(6)]
    records += [record(user_id=2)]  # 3 of 4, newest
    misses = near_misses(records, wanted)
    assert len(misses) == 5
    assert misses[0] == "GET /v2/user/me user 2 status 200 — user_id differs (wanted 1)"
    assert misses[1] == "GET /v2/user/me user 1 status 500 — status differs (wanted 200)"
    assert misses[2].startswith("POST /x user 1 status 200 — ")
    assert misses[4] == (
        "POST /other5 no answer — method differs (wanted GET), path differs (wanted "
        "/v2/user/me), no user (wanted 1), no answer (wanted 200)"
    )
    assert verdict(records, wanted, None).count("\n  ") == 5
    assert verdict([*records, record(user_id=1)], wanted, None) == ""


def test_helpers_refuse_unknown_filters(kakao):
    with pytest.raises(MockKakaoError) as typo:
        kakao.assert_requested(path="/v2/user/me", time=1)
    assert typo.value.error == "UNKNOWN_FIELD"
    with pytest.raises(MockKakaoError) as server_typo:
        kakao.requests(user=FULL_ID)
    assert server_typo.value.error == "UNKNOWN_FIELD"
    with pytest.raises(TypeError, match="no limit"):
        kakao.assert_requested(path="/v2/user/me", limit=1)
