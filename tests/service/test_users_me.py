"""`GET /users/me`: our JWT round trip, and every way a JWT is refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from service import tokens
from service.settings import Settings
from tests.service.support import FULL_CONSENT_ID, FULL_CONSENT_TOKEN, SECRET_KEY, RunningService


async def signed_up(service: RunningService) -> str:
    answer = await service.sign_in(
        FULL_CONSENT_TOKEN, FULL_CONSENT_ID, "김카카오", "kim.kakao@example.com"
    )
    assert answer.status == 201
    return answer.body["token"]


async def me(service: RunningService, authorization: str | None) -> tuple[int, object]:
    answer = await service.request("GET", "/users/me", authorization=authorization)
    return answer.status, answer.body


async def test_round_trip(service: RunningService) -> None:
    token = await signed_up(service)
    status, body = await me(service, f"Bearer {token}")
    assert status == 200
    stored = await service.stored_user(FULL_CONSENT_ID)
    assert stored is not None
    assert body == {
        "result": {
            "id": stored.id,
            "kakao_id": FULL_CONSENT_ID,
            "user_name": "김카카오",
            "email": "kim.kakao@example.com",
            "created_at": stored.created_at.isoformat(),
            "updated_at": stored.updated_at.isoformat(),
            "last_login_at": stored.last_login_at.isoformat(),
        }
    }
    assert (await me(service, token))[0] == 200  # raw, as the original frontend sends it


async def test_login_token_works_too(service: RunningService) -> None:
    await signed_up(service)
    login = await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    assert login.status == 200
    assert (await me(service, f"Bearer {login.body['token']}"))[0] == 200


async def test_expired(service: RunningService) -> None:
    token = await signed_up(service)
    claims = jwt.decode(token, options={"verify_signature": False})
    past = datetime.now(UTC) - timedelta(seconds=service.settings.jwt_ttl + 5)
    expired = tokens.issue(claims["id"], service.settings, past)
    assert await me(service, f"Bearer {expired}") == (401, {"message": "TOKEN_EXPIRED"})


@pytest.mark.parametrize("service_overrides", [{"jwt_ttl": 1}])
async def test_expired_by_a_short_jwt_ttl(service: RunningService) -> None:
    token = await signed_up(service)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1
    old = tokens.issue(claims["id"], service.settings, datetime.now(UTC) - timedelta(seconds=2))
    assert await me(service, f"Bearer {old}") == (401, {"message": "TOKEN_EXPIRED"})


async def test_wrong_signature(service: RunningService) -> None:
    token = await signed_up(service)
    user_id = jwt.decode(token, options={"verify_signature": False})["id"]
    other = Settings(secret_key="a-completely-different-key-" * 3)
    forged = tokens.issue(user_id, other, datetime.now(UTC))
    assert await me(service, f"Bearer {forged}") == (401, {"message": "INVALID_TOKEN"})


async def test_alg_none(service: RunningService) -> None:
    token = await signed_up(service)
    claims = jwt.decode(token, options={"verify_signature": False})

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    for unsigned in (
        f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.",
        f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}",
    ):
        assert await me(service, f"Bearer {unsigned}") == (401, {"message": "INVALID_TOKEN"})


async def test_wrong_issuer(service: RunningService) -> None:
    token = await signed_up(service)
    claims = jwt.decode(token, options={"verify_signature": False})
    foreign = jwt.encode({**claims, "iss": "someone-else"}, SECRET_KEY, algorithm="HS256")
    assert await me(service, f"Bearer {foreign}") == (401, {"message": "INVALID_TOKEN"})


async def test_a_valid_token_for_an_account_that_is_gone(service: RunningService) -> None:
    ghost = tokens.issue(987654, service.settings, datetime.now(UTC))
    assert await me(service, f"Bearer {ghost}") == (401, {"message": "INVALID_TOKEN"})


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "TOKEN_REQUIRED"),
        ("Bearer", "TOKEN_REQUIRED"),
        ("Bearer not-a-jwt", "INVALID_TOKEN"),
        (f"Bearer {FULL_CONSENT_TOKEN}", "INVALID_TOKEN"),  # a Kakao token is not ours
    ],
)
async def test_no_or_garbage_token(
    service: RunningService, authorization: str | None, code: str
) -> None:
    assert await me(service, authorization) == (401, {"message": code})
