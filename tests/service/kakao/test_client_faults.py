"""Every fault of the fake Kakao, on both Kakao calls, mapped to the designed answer.

GET /auth/kakao calls /v2/user/me (and, with KAKAO_APP_ID set, /v1/user/access_token_info beside
it: test_auth_kakao_get.py); POST calls /v1/user/access_token_info. The database plays
no part here, so these run on SQLite only.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    RunningService,
    make_settings,
    running_service,
)
from tests.support.postgres import free_port


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def service_overrides() -> dict[str, Any]:
    return {"kakao_timeout": 0.5}  # so a hang turns into KAKAO_TIMEOUT quickly


ENDPOINTS = {"GET": "/v2/user/me", "POST": "/v1/user/access_token_info"}

# (fault, status, code)
FAULTS: list[tuple[dict[str, Any], int, str]] = [
    ({"kind": "hang"}, 504, "KAKAO_TIMEOUT"),
    ({"kind": "error", "status": 401, "code": -401, "msg": "this access token does not exist"},
     401, "INVALID_TOKEN"),
    ({"kind": "error", "status": 400, "code": -2, "msg": "bad parameter"}, 401, "INVALID_TOKEN"),
    ({"kind": "error", "status": 400, "code": -1, "msg": "internal error"},
     502, "KAKAO_UNAVAILABLE"),
    ({"kind": "error", "status": 500, "code": -1}, 502, "KAKAO_UNAVAILABLE"),
    ({"kind": "error", "status": 502, "code": 0, "msg": "bad gateway"}, 502, "KAKAO_UNAVAILABLE"),
    ({"kind": "error", "status": 503, "code": -9798, "msg": "service under maintenance"},
     502, "KAKAO_UNAVAILABLE"),
    ({"kind": "error", "status": 429, "code": -10, "msg": "API limit has been exceeded."},
     503, "KAKAO_RATE_LIMITED"),
    ({"kind": "error", "status": 400, "code": -10, "msg": "API limit has been exceeded."},
     503, "KAKAO_RATE_LIMITED"),
    ({"kind": "error", "status": 403, "code": -3, "msg": "API not enabled"},
     502, "INVALID_RESPONSE"),
    ({"kind": "error", "status": 403, "code": -402, "msg": "insufficient scopes."},
     403, "INSUFFICIENT_SCOPE"),  # issue 21 item 4: the person's to fix, additional consent
    ({"kind": "malformed"}, 502, "INVALID_RESPONSE"),
    ({"kind": "drop"}, 502, "KAKAO_UNAVAILABLE"),
]  # fmt: skip


async def call(service: RunningService, method: str) -> Any:
    if method == "GET":
        return await service.look_up(FULL_CONSENT_TOKEN)
    return await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)


@pytest.mark.parametrize("method", list(ENDPOINTS))
@pytest.mark.parametrize(
    ("fault", "status", "code"),
    FAULTS,
    ids=[f"{f['kind']}-{f.get('status', '')}" for f, *_ in FAULTS],
)
async def test_fault_is_mapped(
    service: RunningService,
    mock_kakao: Any,
    method: str,
    fault: dict[str, Any],
    status: int,
    code: str,
) -> None:
    mock_kakao.set_faults([{**fault, "path": ENDPOINTS[method]}])
    answer = await call(service, method)
    assert (answer.status, answer.body) == (status, {"message": code})
    if code == "KAKAO_RATE_LIMITED":
        assert answer.headers["Retry-After"] == "1"
    else:
        assert "Retry-After" not in answer.headers
    assert await service.user_count() == 0


@pytest.mark.parametrize("method", list(ENDPOINTS))
async def test_latency_within_the_timeout_is_fine(
    service: RunningService, mock_kakao: Any, method: str
) -> None:
    mock_kakao.set_faults([{"kind": "latency", "latency_ms": 200, "path": ENDPOINTS[method]}])
    answer = await call(service, method)
    assert answer.status in (200, 201)
    assert [r["latency_ms"] >= 200 for r in mock_kakao.requests()] == [True]


@pytest.mark.parametrize("method", list(ENDPOINTS))
async def test_a_fault_for_the_next_call_only(
    service: RunningService, mock_kakao: Any, method: str
) -> None:
    mock_kakao.add_fault("error", status=503, code=-9798, times=1)
    assert (await call(service, method)).message == "KAKAO_UNAVAILABLE"
    assert (await call(service, method)).status in (200, 201)


async def test_a_fault_for_another_user_does_not_touch_this_one(
    service: RunningService, mock_kakao: Any
) -> None:
    mock_kakao.add_fault("error", status=401, code=-401, user_id=4000000002)
    assert (await service.look_up(FULL_CONSENT_TOKEN)).status == 200
    assert (await service.look_up("mock-token-no-email")).message == "INVALID_TOKEN"


@pytest.mark.parametrize("method", list(ENDPOINTS))
async def test_kakao_not_listening_is_unavailable(
    mock_kakao: Any, sqlite_url: str, method: str
) -> None:
    settings = make_settings(f"http://127.0.0.1:{free_port()}", sqlite_url)
    async with running_service(settings) as service:
        answer = await call(service, method)
    assert (answer.status, answer.body) == (502, {"message": "KAKAO_UNAVAILABLE"})


async def test_tokens_never_reach_the_logs(
    service: RunningService, mock_kakao: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token = mock_kakao.issue_token(FULL_CONSENT_ID)["access_token"]
    caplog.set_level(logging.DEBUG)
    await service.look_up(token)
    await service.sign_in(token, FULL_CONSENT_ID)
    for fault, *_ in FAULTS:
        mock_kakao.set_faults([fault])
        await service.look_up(token)
        await service.sign_in(token, FULL_CONSENT_ID)
    await service.look_up("x" * 5000)
    ours = [r for r in caplog.records if not r.name.startswith("mock_kakao")]
    assert ours, "the service logged nothing at all"
    assert not [r for r in ours if token in r.getMessage() or token in (r.exc_text or "")]


async def test_a_cookie_from_one_users_call_never_reaches_the_next() -> None:
    """A Kakao (or a proxy in front of it) that sets a cookie: the next call must not carry it."""
    from aiohttp import web

    from service.kakao.client import KakaoClient

    cookies_seen: list[str | None] = []

    async def me(request: web.Request) -> web.Response:
        cookies_seen.append(request.headers.get("Cookie"))
        response = web.json_response({"id": 1000 + len(cookies_seen)})
        response.set_cookie("session", "of-the-previous-user")
        return response

    app = web.Application()
    app.router.add_get("/v2/user/me", me)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "localhost", port).start()
    # a host name, as Kakao's: aiohttp's default jar never keeps cookies of an IP address
    client = KakaoClient(f"http://localhost:{port}", timeout=5)
    try:
        first = await client.fetch_profile("token-of-user-a")
        second = await client.fetch_profile("token-of-user-b")
    finally:
        await client.close()
        await runner.cleanup()
    assert (first.kakao_id, second.kakao_id) == (1001, 1002)
    assert cookies_seen == [None, None]
