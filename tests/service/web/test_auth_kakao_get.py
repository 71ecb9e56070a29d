"""`GET /auth/kakao` against the fake Kakao: every bundled consent case, every token problem."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.service.support import FULL_CONSENT_ID, FULL_CONSENT_TOKEN, RunningService

LONG_NAME = "세상에서가장긴닉네임을가진카카오친구🐻‍❄️🍜✨행복하세요"

# token -> the result the service must give for the bundled user behind it
BUNDLED_CASES: dict[str, dict[str, Any]] = {
    "mock-token-full-consent": {
        "kakao_id": 4000000001,
        "user_name": "김카카오",
        "email": "kim.kakao@example.com",
        "email_verified": True,
        "missing_consents": [],
    },
    "mock-token-no-email": {
        "kakao_id": 4000000002,
        "user_name": "이서연",
        "email": None,
        "email_verified": False,
        "missing_consents": ["account_email"],
    },
    "mock-token-invalid-email": {
        "kakao_id": 4000000003,
        "user_name": "박민준",
        "email": "old.park@example.com",
        "email_verified": False,
        "missing_consents": [],
    },
    "mock-token-unverified-email": {
        "kakao_id": 4000000004,
        "user_name": "최지우",
        "email": "choi.jiwoo@example.com",
        "email_verified": False,
        "missing_consents": [],
    },
    "mock-token-properties-nickname": {
        "kakao_id": 4000000005,
        "user_name": "정하늘",
        "email": "jung.haneul@example.com",
        "email_verified": True,
        "missing_consents": [],
    },
    "mock-token-no-nickname": {
        "kakao_id": 4000000006,
        "user_name": None,
        "email": "kang.doyun@example.com",
        "email_verified": True,
        "missing_consents": ["profile_nickname"],
    },
    "mock-token-long-name": {
        "kakao_id": 4000000007,
        "user_name": LONG_NAME,
        "email": "long.name@example.com",
        "email_verified": True,
        "missing_consents": [],
    },
}


@pytest.mark.parametrize("token", list(BUNDLED_CASES))
async def test_each_bundled_consent_case(service: RunningService, token: str) -> None:
    answer = await service.look_up(token)
    assert answer.status == 200
    result = {**BUNDLED_CASES[token], "is_user": False, "missing_service_terms": []}
    assert answer.body == {"result": result}


async def test_is_user_turns_true_after_sign_up(service: RunningService) -> None:
    assert (await service.look_up(FULL_CONSENT_TOKEN)).body["result"]["is_user"] is False
    assert (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).status == 201
    assert (await service.look_up(FULL_CONSENT_TOKEN)).body["result"]["is_user"] is True


@pytest.mark.parametrize(
    "authorization",
    [FULL_CONSENT_TOKEN, f"Bearer {FULL_CONSENT_TOKEN}", f"bearer {FULL_CONSENT_TOKEN}"],
)
async def test_token_raw_or_bearer(service: RunningService, authorization: str) -> None:
    answer = await service.request("GET", "/auth/kakao", authorization=authorization)
    assert answer.status == 200
    assert answer.body["result"]["kakao_id"] == FULL_CONSENT_ID


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer   "])
async def test_no_token(service: RunningService, authorization: str | None) -> None:
    answer = await service.request("GET", "/auth/kakao", authorization=authorization)
    assert (answer.status, answer.body) == (401, {"message": "TOKEN_REQUIRED"})


async def test_a_token_kakao_never_issued(service: RunningService, mock_kakao: Any) -> None:
    answer = await service.look_up("no-such-token")
    assert (answer.status, answer.body) == (401, {"message": "INVALID_TOKEN"})
    assert [r["path"] for r in mock_kakao.requests()] == ["/v2/user/me"]


async def test_a_token_that_cannot_be_a_kakao_token_is_not_sent_on(
    service: RunningService, mock_kakao: Any
) -> None:
    answer = await service.look_up("x" * 5000)
    assert (answer.status, answer.body) == (401, {"message": "INVALID_TOKEN"})
    assert mock_kakao.requests() == []


async def test_the_bundled_expired_token(service: RunningService) -> None:
    answer = await service.look_up("mock-token-expired")
    assert (answer.status, answer.body) == (401, {"message": "INVALID_TOKEN"})


async def test_a_token_that_expires_on_the_fakes_clock(
    service: RunningService, mock_kakao: Any
) -> None:
    token = mock_kakao.issue_token(FULL_CONSENT_ID, expires_in=60)["access_token"]
    assert (await service.look_up(token)).status == 200
    mock_kakao.advance_clock(61)
    answer = await service.look_up(token)
    assert (answer.status, answer.body) == (401, {"message": "INVALID_TOKEN"})


async def test_a_revoked_token(service: RunningService, mock_kakao: Any) -> None:
    token = mock_kakao.issue_token(FULL_CONSENT_ID)["access_token"]
    assert (await service.look_up(token)).status == 200
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{mock_kakao.url}/v1/user/logout", headers={"Authorization": f"Bearer {token}"}
        ) as logout,
    ):
        assert logout.status == 200
    for answer in (await service.look_up(token), await service.sign_in(token, FULL_CONSENT_ID)):
        assert (answer.status, answer.body) == (401, {"message": "INVALID_TOKEN"})
    assert await service.user_count() == 0


async def test_a_user_added_to_the_fake(service: RunningService, mock_kakao: Any) -> None:
    mock_kakao.add_user(id=2**63 - 1, nickname="Ünïcödé", email=None)
    token = mock_kakao.issue_token(2**63 - 1)["access_token"]
    answer = await service.look_up(token)
    assert answer.status == 200
    assert answer.body["result"] == {
        "kakao_id": 2**63 - 1,
        "user_name": "Ünïcödé",
        "email": None,
        "is_user": False,
        "email_verified": False,
        "missing_consents": [],
        "missing_service_terms": [],
    }


@pytest.mark.parametrize("service_overrides", [{"kakao_app_id": 10001}])
async def test_with_kakao_app_id_another_apps_token_is_refused(
    service: RunningService, mock_kakao: Any
) -> None:
    # issue 19 item 3: as POST does; else `is_user` answers any other app's tokens
    foreign = mock_kakao.issue_token(FULL_CONSENT_ID, app_id=20002)["access_token"]
    assert (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).status == 201
    mock_kakao.clear_requests()
    answer = await service.look_up(foreign)
    assert (answer.status, answer.body) == (401, {"message": "TOKEN_FOR_ANOTHER_APP"})
    # the two questions are asked side by side, once each
    assert sorted(r["path"] for r in mock_kakao.requests()) == [
        "/v1/user/access_token_info",
        "/v2/user/me",
    ]
    ours = await service.look_up(FULL_CONSENT_TOKEN)
    assert ours.status == 200 and ours.body["result"]["is_user"] is True


@pytest.mark.parametrize("service_overrides", [{"kakao_app_id": 10001}])
@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"kind": "error", "status": 503, "code": -9798}, 502, "KAKAO_UNAVAILABLE"),
        ({"kind": "error", "status": 401, "code": -401}, 401, "INVALID_TOKEN"),
        ({"kind": "malformed"}, 502, "INVALID_RESPONSE"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/user/access_token_info", "/v2/user/me"])
async def test_with_kakao_app_id_either_kakao_answer_failing_fails_the_lookup(
    service: RunningService,
    mock_kakao: Any,
    fault: dict[str, Any],
    status: int,
    code: str,
    path: str,
) -> None:
    mock_kakao.set_faults([{**fault, "path": path}])
    answer = await service.look_up(FULL_CONSENT_TOKEN)
    assert (answer.status, answer.body) == (status, {"message": code})


async def test_without_kakao_app_id_only_the_profile_is_asked(
    service: RunningService, mock_kakao: Any
) -> None:
    foreign = mock_kakao.issue_token(FULL_CONSENT_ID, app_id=20002)["access_token"]
    mock_kakao.clear_requests()
    assert (await service.look_up(foreign)).status == 200
    assert [r["path"] for r in mock_kakao.requests()] == ["/v2/user/me"]


@pytest.mark.parametrize("service_overrides", [{"kakao_app_id": 10001, "kakao_timeout": 0.5}])
async def test_with_kakao_app_id_both_questions_are_asked_at_once(
    service: RunningService, mock_kakao: Any
) -> None:
    # While the app check hangs (until the service gives up), the profile is already asked:
    # asked one after the other, the lookup would wait for the two round trips in turn.
    mock_kakao.set_faults([{"kind": "hang", "path": "/v1/user/access_token_info"}])
    answer = await service.look_up(FULL_CONSENT_TOKEN)
    assert (answer.status, answer.body) == (504, {"message": "KAKAO_TIMEOUT"})
    assert [r["status"] for r in mock_kakao.requests(path="/v2/user/me")] == [200]
