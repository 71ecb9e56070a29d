"""`POST /auth/kakao`: sign up, log in, and no logging in as somebody else."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    SECRET_KEY,
    RunningService,
)


async def test_sign_up_then_log_in(service: RunningService) -> None:
    first = await service.sign_in(
        FULL_CONSENT_TOKEN, FULL_CONSENT_ID, "  김카카오 ", "k@example.com"
    )
    assert first.status == 201
    assert first.body["message"] == "CREATE_ACCOUNT"
    claims = jwt.decode(
        first.body["token"], SECRET_KEY, algorithms=["HS256"], issuer="kakao-login-harness"
    )
    stored = await service.stored_user(FULL_CONSENT_ID)
    assert stored is not None
    assert (stored.user_name, stored.email) == ("김카카오", "k@example.com")
    assert claims["id"] == stored.id and claims["sub"] == str(stored.id)
    assert claims["exp"] - claims["iat"] == 3600

    second = await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID, "새이름", "new@example.com")
    assert second.status == 200
    assert second.body["message"] == "LOGIN_SUCCESS"
    assert jwt.decode(second.body["token"], options={"verify_signature": False})["id"] == stored.id
    again = await service.stored_user(FULL_CONSENT_ID)
    assert again is not None
    assert (again.user_name, again.email) == ("김카카오", "k@example.com")  # unchanged
    assert again.last_login_at >= stored.last_login_at
    assert await service.user_count() == 1


@pytest.mark.parametrize("email", [None, ""])
async def test_no_email_is_stored_as_null(service: RunningService, email: str | None) -> None:
    answer = await service.sign_in("mock-token-no-email", 4000000002, "이서연", email)
    assert answer.status == 201
    stored = await service.stored_user(4000000002)
    assert stored is not None and stored.email is None


async def test_long_korean_and_emoji_name(service: RunningService) -> None:
    name = "세상에서가장긴닉네임을가진카카오친구🐻‍❄️🍜✨행복하세요"
    answer = await service.sign_in("mock-token-long-name", 4000000007, name, None)
    assert answer.status == 201
    stored = await service.stored_user(4000000007)
    assert stored is not None and stored.user_name == name


async def test_forged_kakao_id_is_refused_and_creates_nothing(
    service: RunningService, mock_kakao: Any
) -> None:
    # A valid token of user ...01, claiming to be user ...02.
    answer = await service.sign_in(FULL_CONSENT_TOKEN, 4000000002)
    assert (answer.status, answer.body) == (403, {"message": "KAKAO_ID_MISMATCH"})
    assert await service.user_count() == 0
    assert [r["path"] for r in mock_kakao.requests()] == ["/v1/user/access_token_info"]


@pytest.mark.parametrize("service_overrides", [{"kakao_app_id": 10001}])
async def test_a_token_for_another_app_is_refused(service: RunningService, mock_kakao: Any) -> None:
    foreign = mock_kakao.issue_token(FULL_CONSENT_ID, app_id=20002)["access_token"]
    answer = await service.sign_in(foreign, FULL_CONSENT_ID)
    assert (answer.status, answer.body) == (401, {"message": "TOKEN_FOR_ANOTHER_APP"})
    assert await service.user_count() == 0
    assert (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).status == 201


async def test_without_kakao_app_id_the_app_is_not_checked(
    service: RunningService, mock_kakao: Any
) -> None:
    foreign = mock_kakao.issue_token(FULL_CONSENT_ID, app_id=20002)["access_token"]
    assert (await service.sign_in(foreign, FULL_CONSENT_ID)).status == 201


async def test_an_expired_kakao_token(service: RunningService) -> None:
    answer = await service.sign_in("mock-token-expired", 4000000008)
    assert (answer.status, answer.body) == (401, {"message": "INVALID_TOKEN"})
    assert await service.user_count() == 0


async def test_no_token(service: RunningService) -> None:
    body = {"kakao_id": FULL_CONSENT_ID, "user_name": "a", "email": None}
    answer = await service.request("POST", "/auth/kakao", body=body)
    assert (answer.status, answer.body) == (401, {"message": "TOKEN_REQUIRED"})


VALID = {"kakao_id": FULL_CONSENT_ID, "user_name": "김카카오", "email": "kim@example.com"}

BAD_BODIES: list[tuple[bytes, str]] = [
    (b"", "INVALID_JSON"),
    (b"{not json", "INVALID_JSON"),
    (b"[1, 2]", "INVALID_JSON"),
    (b'{"kakao_id": 1, "user_name": "\xff", "email": null}', "INVALID_JSON"),
    (json.dumps({"user_name": "a", "email": None}).encode(), "KEYERROR"),
    (json.dumps({"kakao_id": 1, "email": None}).encode(), "KEYERROR"),
    (json.dumps({"kakao_id": 1, "user_name": "a"}).encode(), "KEYERROR"),
    (json.dumps({**VALID, "kakao_id": str(FULL_CONSENT_ID)}).encode(), "INVALID_KAKAO_ID"),
    (json.dumps({**VALID, "kakao_id": True}).encode(), "INVALID_KAKAO_ID"),
    (json.dumps({**VALID, "kakao_id": 4000000001.0}).encode(), "INVALID_KAKAO_ID"),
    (json.dumps({**VALID, "kakao_id": -1}).encode(), "INVALID_KAKAO_ID"),
    (json.dumps({**VALID, "kakao_id": 2**63}).encode(), "INVALID_KAKAO_ID"),
    (json.dumps({**VALID, "user_name": "   "}).encode(), "INVALID_USER_NAME"),
    (json.dumps({**VALID, "user_name": "가" * 51}).encode(), "INVALID_USER_NAME"),
    (json.dumps({**VALID, "user_name": None}).encode(), "INVALID_USER_NAME"),
    (json.dumps({**VALID, "email": "not-an-email"}).encode(), "INVALID_EMAIL"),
    (json.dumps({**VALID, "email": 12}).encode(), "INVALID_EMAIL"),
]


@pytest.mark.parametrize(("raw", "code"), BAD_BODIES)
async def test_bad_bodies(service: RunningService, mock_kakao: Any, raw: bytes, code: str) -> None:
    answer = await service.request(
        "POST", "/auth/kakao", authorization=FULL_CONSENT_TOKEN, data=raw
    )
    assert (answer.status, answer.body) == (400, {"message": code})
    assert mock_kakao.requests() == []  # refused before asking Kakao
    assert await service.user_count() == 0


async def test_a_body_over_64_kib_is_413(service: RunningService) -> None:
    for size in (64 * 1024 + 1, 10 * 1024 * 1024):
        answer = await service.request(
            "POST", "/auth/kakao", authorization=FULL_CONSENT_TOKEN, data=b" " * size
        )
        assert (answer.status, answer.body) == (413, {"message": "BODY_TOO_LARGE"})


async def test_a_chunked_body_over_64_kib_is_413(service: RunningService) -> None:
    async def chunks() -> Any:
        for _ in range(200):
            yield b" " * 1024

    answer = await service.request(
        "POST", "/auth/kakao", authorization=FULL_CONSENT_TOKEN, data=chunks()
    )
    assert (answer.status, answer.body) == (413, {"message": "BODY_TOO_LARGE"})


async def test_a_body_of_exactly_64_kib_is_read(service: RunningService) -> None:
    raw = json.dumps(VALID).encode()
    raw = raw + b" " * (64 * 1024 - len(raw))
    answer = await service.request(
        "POST", "/auth/kakao", authorization=FULL_CONSENT_TOKEN, data=raw
    )
    assert answer.status == 201
