"""The account lifecycle: `DELETE /users/me` (unlinking at Kakao with the admin key) and
Kakao's unlink webhook (`/auth/kakao/unlink`), on SQLite and PostgreSQL, against the fake."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlencode

import pytest

from mock_kakao.testing import MockKakao
from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    RunningService,
    make_settings,
    running_service,
)

ADMIN_KEY = "mock-admin-key"
APP_ID = 10001
HOOK = "/auth/kakao/unlink"
KAKAO = {"Authorization": f"KakaoAK {ADMIN_KEY}"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def service_overrides() -> dict[str, Any]:
    return {"kakao_admin_key": ADMIN_KEY, "kakao_app_id": APP_ID}


async def signed_up(service: RunningService, token: str = FULL_CONSENT_TOKEN) -> str:
    answer = await service.sign_in(token, FULL_CONSENT_ID, "김카카오", "kim@example.com")
    assert answer.status == 201, answer.body
    return answer.body["token"]


async def delete_me(service: RunningService, jwt: str) -> Any:
    return await service.request("DELETE", "/users/me", authorization=f"Bearer {jwt}")


async def me_status(service: RunningService, jwt: str) -> tuple[int, Any]:
    answer = await service.request("GET", "/users/me", authorization=f"Bearer {jwt}")
    return answer.status, answer.body


def notice(user_id: int = FULL_CONSENT_ID, app_id: int = APP_ID, **more: str) -> str:
    return urlencode(
        {
            "app_id": str(app_id),
            "user_id": str(user_id),
            "referrer_type": "UNLINK_FROM_APPS",
            **more,
        }
    )


async def webhook(service: RunningService, body: str, headers: dict[str, str] | None = None) -> Any:
    return await service.request("POST", HOOK, data=body, headers={**FORM, **(headers or KAKAO)})


def kakao_paths(mock_kakao: MockKakao) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in mock_kakao.requests()]


async def test_delete_me_unlinks_deletes_and_the_person_can_come_back(
    service: RunningService, mock_kakao: MockKakao
) -> None:
    jwt = await signed_up(service)
    old_id = (await me_status(service, jwt))[1]["result"]["id"]
    answer = await delete_me(service, jwt)
    assert (answer.status, answer.body) == (204, None)
    assert await me_status(service, jwt) == (401, {"message": "INVALID_TOKEN"})
    assert (await delete_me(service, jwt)).body == {"message": "INVALID_TOKEN"}
    assert await service.user_count() == 0
    assert "POST /v1/user/unlink" in kakao_paths(mock_kakao)
    assert mock_kakao.webhooks() == []  # Kakao does not call back an app that unlinked itself
    # unlinked at Kakao: the old Kakao token is dead too
    assert (await service.look_up(FULL_CONSENT_TOKEN)).body == {"message": "INVALID_TOKEN"}

    fresh = mock_kakao.issue_token(FULL_CONSENT_ID)["access_token"]  # logs in at Kakao again
    assert (await service.look_up(fresh)).body["result"]["is_user"] is False
    again = await signed_up(service, fresh)
    new_id = (await me_status(service, again))[1]["result"]["id"]
    assert new_id > old_id
    assert (await me_status(service, jwt))[0] == 401


async def test_delete_me_when_kakao_already_unlinked_the_person(
    service: RunningService, mock_kakao: MockKakao
) -> None:
    jwt = await signed_up(service)
    mock_kakao.unlink_user(FULL_CONSENT_ID)  # no webhook configured: the service never heard
    assert (await delete_me(service, jwt)).status == 204
    assert await service.user_count() == 0


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"kind": "error", "status": 503, "code": -9798}, 502, "KAKAO_UNAVAILABLE"),
        ({"kind": "error", "status": 429, "code": -10}, 503, "KAKAO_RATE_LIMITED"),
        ({"kind": "error", "status": 401, "code": -401, "msg": "invalid app key."},
         502, "INVALID_RESPONSE"),
        ({"kind": "malformed"}, 502, "INVALID_RESPONSE"),
    ],
)  # fmt: skip
async def test_delete_me_keeps_the_account_when_kakao_cannot_be_told(
    service: RunningService, mock_kakao: MockKakao, fault: dict, status: int, code: str
) -> None:
    jwt = await signed_up(service)
    mock_kakao.add_fault(**{**fault, "path": "/v1/user/unlink", "times": 1})
    answer = await delete_me(service, jwt)
    assert (answer.status, answer.body) == (status, {"message": code})
    assert (await me_status(service, jwt))[0] == 200
    assert (await delete_me(service, jwt)).status == 204  # a retry does both


async def test_a_wrong_admin_key_is_logged_as_ours_and_never_shown(
    mock_kakao: MockKakao, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(mock_kakao.url, database_url, kakao_admin_key="not-the-admin-key")
    async with running_service(settings) as service:
        jwt = await signed_up(service)
        answer = await delete_me(service, jwt)
        assert (answer.status, answer.body) == (502, {"message": "INVALID_RESPONSE"})
        assert (await me_status(service, jwt))[0] == 200
    assert "is KAKAO_ADMIN_KEY right?" in caplog.text
    assert "not-the-admin-key" not in caplog.text
    assert "not-the-admin-key" not in repr(settings)


async def test_without_an_admin_key_the_account_goes_and_the_log_says_kakao_was_not_told(
    mock_kakao: MockKakao, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(mock_kakao.url, database_url)
    async with running_service(settings) as service:
        jwt = await signed_up(service)
        assert (await delete_me(service, jwt)).status == 204
        assert await service.user_count() == 0
        assert "POST /v1/user/unlink" not in kakao_paths(mock_kakao)
        assert "KAKAO_ADMIN_KEY is not set: Kakao was not told" in caplog.text
        # and the webhook cannot be checked, so it is refused
        answer = await webhook(service, notice())
        assert (answer.status, answer.body) == (401, {"message": "INVALID_ADMIN_KEY"})


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_the_fakes_webhook_deletes_the_account(
    service: RunningService, mock_kakao: MockKakao, method: str
) -> None:
    jwt = await signed_up(service)
    mock_kakao.update_app(unlink_webhook_url=service.url + HOOK, unlink_webhook_method=method)
    answer = await asyncio.to_thread(mock_kakao.unlink_user, FULL_CONSENT_ID, "ACCOUNT_DELETE")
    assert answer["webhook"]["status"] == 200, answer
    assert await service.user_count() == 0
    assert (await me_status(service, jwt))[0] == 401


async def test_the_webhook_is_idempotent_and_fine_with_unknown_users(
    service: RunningService, mock_kakao: MockKakao, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await signed_up(service)
    mock_kakao.unlink_user(FULL_CONSENT_ID)
    first = await webhook(service, notice())
    assert (first.status, first.body) == (
        200,
        {"result": {"kakao_id": FULL_CONSENT_ID, "deleted": True}},
    )
    again = await webhook(service, notice())
    assert (again.status, again.body["result"]["deleted"]) == (200, False)
    unknown = await service.request("GET", f"{HOOK}?{notice(user_id=123)}", headers=KAKAO)
    assert (unknown.status, unknown.body["result"]["deleted"]) == (200, False)
    assert ADMIN_KEY not in caplog.text


async def test_a_replayed_webhook_keeps_the_account_of_a_person_who_came_back(
    service: RunningService, mock_kakao: MockKakao
) -> None:
    await signed_up(service)
    mock_kakao.unlink_user(FULL_CONSENT_ID)
    assert (await webhook(service, notice())).body["result"]["deleted"] is True
    fresh = mock_kakao.issue_token(FULL_CONSENT_ID)["access_token"]
    jwt = await signed_up(service, fresh)
    replayed = await webhook(service, notice())
    assert (replayed.status, replayed.body["result"]["deleted"]) == (200, False)
    assert (await me_status(service, jwt))[0] == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "KakaoAK"},
        {"Authorization": "KakaoAK wrong"},
        {"Authorization": f"KakaoAK {ADMIN_KEY}x"},
        {"Authorization": f"Bearer {ADMIN_KEY}"},
        {"Authorization": ADMIN_KEY},
        {"Authorization": f"KakaoAK {ADMIN_KEY[:-1]}"},
    ],
)
async def test_the_webhook_refuses_anyone_without_the_admin_key(
    service: RunningService, mock_kakao: MockKakao, headers: dict[str, str]
) -> None:
    await signed_up(service)
    mock_kakao.unlink_user(FULL_CONSENT_ID)
    answer = await service.request("POST", HOOK, data=notice(), headers={**FORM, **headers})
    assert (answer.status, answer.body) == (401, {"message": "INVALID_ADMIN_KEY"})
    assert await service.user_count() == 1
