"""`GET /users/me`: our JWT round trip, and every way a JWT is refused, including a JWT that
outlived its account: ids are never reused, and the JWT's account key must be the row's."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from sqlalchemy import delete

from service import tokens
from service.settings import Settings
from service.store.models import User
from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    SECRET_KEY,
    WRONG_CLAIMS,
    RunningService,
    make_settings,
    running_service,
    signed_claims,
)


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
    # Only the Kakao token may come raw (the original frontend sends it so); ours needs Bearer.
    assert await me(service, token) == (401, {"message": "INVALID_TOKEN"})
    assert (await me(service, f"bearer  {token}"))[0] == 200  # the scheme in any case


async def test_login_token_works_too(service: RunningService) -> None:
    await signed_up(service)
    login = await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    assert login.status == 200
    assert (await me(service, f"Bearer {login.body['token']}"))[0] == 200


async def test_expired(service: RunningService) -> None:
    token = await signed_up(service)
    claims = jwt.decode(token, options={"verify_signature": False})
    past = datetime.now(UTC) - timedelta(seconds=service.settings.jwt_ttl + 5)
    expired = tokens.issue(claims["id"], claims["account_key"], service.settings, past)
    assert await me(service, f"Bearer {expired}") == (401, {"message": "TOKEN_EXPIRED"})


@pytest.mark.parametrize("service_overrides", [{"jwt_ttl": 1}])
async def test_expired_by_a_short_jwt_ttl(service: RunningService) -> None:
    token = await signed_up(service)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1
    past = datetime.now(UTC) - timedelta(seconds=2)
    old = tokens.issue(claims["id"], claims["account_key"], service.settings, past)
    assert await me(service, f"Bearer {old}") == (401, {"message": "TOKEN_EXPIRED"})


async def test_wrong_signature(service: RunningService) -> None:
    token = await signed_up(service)
    claims = jwt.decode(token, options={"verify_signature": False})
    other = Settings(secret_key="a-completely-different-key-" * 3)
    forged = tokens.issue(claims["id"], claims["account_key"], other, datetime.now(UTC))
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
    ghost = tokens.issue(987654, "some-account-key", service.settings, datetime.now(UTC))
    assert await me(service, f"Bearer {ghost}") == (401, {"message": "INVALID_TOKEN"})


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "TOKEN_REQUIRED"),
        ("Bearer", "TOKEN_REQUIRED"),
        ("Bearer not-a-jwt", "INVALID_TOKEN"),
        (f"Bearer {FULL_CONSENT_TOKEN}", "INVALID_TOKEN"),  # a Kakao token is not ours
        (FULL_CONSENT_TOKEN, "INVALID_TOKEN"),
        ("Basic dXNlcjpwYXNz", "INVALID_TOKEN"),
        ("   ", "TOKEN_REQUIRED"),
    ],
)
async def test_no_or_garbage_token(
    service: RunningService, authorization: str | None, code: str
) -> None:
    assert await me(service, authorization) == (401, {"message": code})


# A JWT that outlived its account opens no other account.

OTHER_ID = 4000000002  # the fake's "no email consent" user
OTHER_TOKEN = "mock-token-no-email"


async def delete_account(service: RunningService, kakao_id: int) -> None:
    async with service.services.sessions() as session, session.begin():
        await session.execute(delete(User).where(User.kakao_id == kakao_id))


async def test_a_deleted_account_s_jwt_does_not_open_the_next_account(
    service: RunningService,
) -> None:
    alices = await signed_up(service)
    await delete_account(service, FULL_CONSENT_ID)
    bob = await service.sign_in(OTHER_TOKEN, OTHER_ID, "Bob")
    assert bob.status == 201
    assert await me(service, f"Bearer {alices}") == (401, {"message": "INVALID_TOKEN"})
    status, body = await me(service, f"Bearer {bob.body['token']}")
    assert status == 200 and body["result"]["kakao_id"] == OTHER_ID  # type: ignore[index]


@pytest.fixture
def another_database_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A second, empty database on the same engine: the first one reset."""
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / 'reset.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"reset_{uuid.uuid4().hex[:12]}")


async def test_after_a_database_reset_an_old_jwt_opens_nothing(
    mock_kakao: Any, database_url: str, another_database_url: str
) -> None:
    """A new database, the same secret key: ids start again at 1, Alice's JWT must not fit."""
    async with running_service(make_settings(mock_kakao.url, database_url)) as before:
        alices = await signed_up(before)
    async with running_service(make_settings(mock_kakao.url, another_database_url)) as after:
        bob = await after.sign_in(OTHER_TOKEN, OTHER_ID, "Bob")
        assert bob.status == 201
        assert tokens.decode(bob.body["token"], after.settings).user_id == (
            tokens.decode(alices, after.settings).user_id
        )  # the very id Alice's JWT names
        assert await me(after, f"Bearer {alices}") == (401, {"message": "INVALID_TOKEN"})


async def test_a_jwt_with_another_account_key_is_refused(service: RunningService) -> None:
    """Signed with the real key, the right id, another account's key: as a reused id would be."""
    claims = jwt.decode(await signed_up(service), options={"verify_signature": False})
    other_key = jwt.encode({**claims, "account_key": "another-accounts-key00"}, SECRET_KEY)
    assert await me(service, f"Bearer {other_key}") == (401, {"message": "INVALID_TOKEN"})
    same = jwt.encode(claims, SECRET_KEY)
    assert (await me(service, f"Bearer {same}"))[0] == 200


async def test_a_jwt_from_before_account_keys_is_refused(service: RunningService) -> None:
    """Tokens issued before account keys carry none: their holders log in again."""
    claims = jwt.decode(await signed_up(service), options={"verify_signature": False})
    del claims["account_key"]
    old = jwt.encode(claims, SECRET_KEY)
    assert await me(service, f"Bearer {old}") == (401, {"message": "INVALID_TOKEN"})


@pytest.mark.parametrize("changes", WRONG_CLAIMS.values(), ids=WRONG_CLAIMS.keys())
async def test_a_claim_of_the_wrong_type_or_range_is_invalid(
    service: RunningService, changes: dict[str, object]
) -> None:
    claims = jwt.decode(await signed_up(service), options={"verify_signature": False})
    token = signed_claims(service.settings, claims["id"], claims["account_key"], **changes)
    assert await me(service, f"Bearer {token}") == (401, {"message": "INVALID_TOKEN"})
