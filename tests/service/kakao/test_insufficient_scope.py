"""Issue 21 item 4 at the service: kapi's 403 -402 (insufficient scopes) is a documented answer.

A person's token lacking a consent item a call needs is the caller's to fix (additional consent
at Kakao, ``scope=`` on authorize), so the person's calls (GET and POST /auth/kakao) answer 403
INSUFFICIENT_SCOPE, never a 500 nor a 502. On an admin-key call (DELETE /users/me) it is
Kakao refusing our own request: 502 INVALID_RESPONSE, and the account stays. SQLite only: the
database plays no part.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.service.support import FULL_CONSENT_ID, FULL_CONSENT_TOKEN, RunningService

ADMIN_KEY = "mock-admin-key"
#: what an ``error`` fault answers: Kakao's -402 (its fixture's msg; the scopes ride along at
#: Kakao, the service needs only the code)
INSUFFICIENT = {"kind": "error", "status": 403, "code": -402, "msg": "insufficient scopes."}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def service_overrides() -> dict[str, Any]:
    return {"kakao_admin_key": ADMIN_KEY, "kakao_app_id": 10001}


@pytest.mark.parametrize("path", ["/v2/user/me", "/v1/user/access_token_info"])
async def test_look_up_answers_insufficient_scope(
    service: RunningService, mock_kakao: Any, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    mock_kakao.set_faults([{**INSUFFICIENT, "path": path}])
    with caplog.at_level(logging.INFO):
        answer = await service.look_up(FULL_CONSENT_TOKEN)
    assert (answer.status, answer.body) == (403, {"message": "INSUFFICIENT_SCOPE"})
    assert FULL_CONSENT_TOKEN not in caplog.text


async def test_sign_in_answers_insufficient_scope_and_writes_nothing(
    service: RunningService, mock_kakao: Any
) -> None:
    mock_kakao.set_faults([{**INSUFFICIENT, "path": "/v1/user/access_token_info"}])
    answer = await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    assert (answer.status, answer.body) == (403, {"message": "INSUFFICIENT_SCOPE"})
    assert await service.user_count() == 0


async def test_a_402_on_our_admin_key_call_is_kakaos_refusal_and_the_account_stays(
    service: RunningService, mock_kakao: Any
) -> None:
    signed = await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID, "김카카오")
    assert signed.status == 201, signed.body
    mock_kakao.set_faults([{**INSUFFICIENT, "path": "/v1/user/unlink"}])
    jwt = signed.body["token"]
    answer = await service.request("DELETE", "/users/me", authorization=f"Bearer {jwt}")
    assert (answer.status, answer.body) == (502, {"message": "INVALID_RESPONSE"})
    assert await service.user_count() == 1
