"""Kakao's account-status webhook at the service (`POST /auth/kakao/events`): Security Event
Tokens from the fake over real sockets, on SQLite and PostgreSQL; forgeries, replays, stale
and unknown events answer as documented and change nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import insert

from mock_kakao.testing import MockKakao
from mock_kakao.world.secevents import EVENT_TYPES, event_claims
from service.store import secevents as stored
from service.store.models import SecurityEvent
from tests.service.support import FULL_CONSENT_ID, FULL_CONSENT_TOKEN, RunningService

HOOK = "/auth/kakao/events"
SET = {"Content-Type": "application/secevent+jwt"}


@pytest.fixture
def service_overrides(mock_kakao: MockKakao) -> dict[str, Any]:
    return {
        "kakao_auth_url": mock_kakao.url,
        "kakao_issuer": mock_kakao.url,
        "kakao_app_keys": (mock_kakao.client_id,),
    }


@pytest.fixture
def hooked(service: RunningService, mock_kakao: MockKakao) -> RunningService:
    mock_kakao.update_app(account_status_webhook_url=service.url + HOOK)
    return service


async def signed_up(service: RunningService) -> str:
    answer = await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID, "김카카오", "k@example.com")
    assert answer.status == 201, answer.body
    return answer.body["token"]


async def me_status(service: RunningService, jwt_: str) -> int:
    return (await service.request("GET", "/users/me", authorization=f"Bearer {jwt_}")).status


async def send(mock_kakao: MockKakao, event: str, **fields: Any) -> dict[str, Any]:
    """The fake's delivery; the admin call blocks, so it runs in a thread (our loop serves)."""
    answer = await asyncio.to_thread(mock_kakao.send_event, FULL_CONSENT_ID, event, **fields)
    return answer["delivery"]


async def post(service: RunningService, token: str, headers: dict[str, str] = SET) -> Any:
    return await service.request("POST", HOOK, data=token, headers=headers)


def fake_signed(mock_kakao: MockKakao, **changes: Any) -> str:
    """A SET signed with the fake's own current key, with claims changed as a test needs:
    what only a genuine Kakao could send (an event type we do not know, odd claims)."""
    claims = event_claims(
        event="account-purged",
        user_id=FULL_CONSENT_ID,
        iss=mock_kakao.url,
        aud=mock_kakao.client_id,
        iat=int(mock_kakao.now()),
    )
    claims.update(changes)
    return mock_kakao._state.app.keys.sign(claims, typ="secevent+jwt")


@pytest.mark.parametrize("event", ["account-purged", "user-unlinked"])
async def test_an_event_from_the_fake_deletes_the_account_and_its_jwt_stops(
    hooked: RunningService, mock_kakao: MockKakao, event: str
) -> None:
    jwt_ = await signed_up(hooked)
    delivery = await send(mock_kakao, event)
    assert (delivery["status"], delivery["accepted"]) == (202, True), delivery
    assert await hooked.user_count() == 0
    assert await me_status(hooked, jwt_) == 401
    # the same SET again: a replay, answered 409, changing nothing
    replay = await post(hooked, delivery["token"])
    assert (replay.status, replay.body) == (409, {"message": "SECURITY_EVENT_REPLAYED"})


async def test_the_answer_says_what_was_done(hooked: RunningService, mock_kakao: MockKakao) -> None:
    await signed_up(hooked)
    token = fake_signed(mock_kakao)
    answer = await post(hooked, token)
    assert answer.status == 202
    assert answer.body["result"] == {
        "jti": jwt.decode(token, options={"verify_signature": False})["jti"],
        "event": EVENT_TYPES["account-purged"],
        "kakao_id": FULL_CONSENT_ID,
        "action": "deleted",
    }
    again = await post(hooked, fake_signed(mock_kakao))
    assert (again.status, again.body["result"]["action"]) == (202, "no_account")


async def test_a_withdrawn_consent_shows_in_missing_consents_until_agreed_again(
    hooked: RunningService, mock_kakao: MockKakao
) -> None:
    await signed_up(hooked)
    assert (await hooked.look_up(FULL_CONSENT_TOKEN)).body["result"]["missing_consents"] == []
    delivery = await send(mock_kakao, "user-scope-withdraw", scopes=["account_email"])
    assert delivery["status"] == 202
    result = (await hooked.look_up(FULL_CONSENT_TOKEN)).body["result"]
    assert result["missing_consents"] == ["account_email"]
    assert result["is_user"] is True  # the account stays
    await send(mock_kakao, "user-scope-consent", scopes=["account_email"])
    assert (await hooked.look_up(FULL_CONSENT_TOKEN)).body["result"]["missing_consents"] == []


async def test_a_scope_the_service_does_not_use_changes_nothing(
    hooked: RunningService, mock_kakao: MockKakao
) -> None:
    mock_kakao.update_app(consent_items=["profile_nickname", "account_email", "gender"])
    token = fake_signed(
        mock_kakao,
        events={
            EVENT_TYPES["user-scope-withdraw"]: {
                "subject": {"subject_type": "iss-sub", "iss": mock_kakao.url, "sub": "4000000001"},
                "scope": "gender",
            }
        },
    )
    answer = await post(hooked, token)
    assert (answer.status, answer.body["result"]["action"]) == (202, "ignored")
    assert (await hooked.look_up(FULL_CONSENT_TOKEN)).body["result"]["missing_consents"] == []


async def test_user_linked_and_unknown_event_types_are_accepted_and_change_nothing(
    hooked: RunningService, mock_kakao: MockKakao
) -> None:
    jwt_ = await signed_up(hooked)
    assert (await send(mock_kakao, "user-linked"))["status"] == 202
    subject = {"subject_type": "iss-sub", "iss": mock_kakao.url, "sub": str(FULL_CONSENT_ID)}
    unknown = fake_signed(
        mock_kakao,
        events={"https://schemas.openid.net/secevent/caep/event-type/session-revoked": {
            "subject": subject
        }},
    )  # fmt: skip
    answer = await post(hooked, unknown)
    assert (answer.status, answer.body["result"]["action"]) == (202, "ignored")
    assert await me_status(hooked, jwt_) == 200
    replay = await post(hooked, unknown)
    assert replay.status == 409


def forged(mock_kakao: MockKakao) -> str:
    """Kakao's claims and the kid of Kakao's current key, signed with another key."""
    kid = mock_kakao.signing_keys()[0]["kid"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = event_claims(
        event="account-purged",
        user_id=FULL_CONSENT_ID,
        iss=mock_kakao.url,
        aud=mock_kakao.client_id,
        iat=int(mock_kakao.now()),
    )
    return jwt.encode(claims, other, algorithm="RS256", headers={"kid": kid, "typ": "secevent+jwt"})


UNTRUSTED = {
    "forged": forged,
    "another app": lambda k: fake_signed(k, aud="another-apps-key"),
    "another issuer": lambda k: fake_signed(k, iss="https://evil.example"),
    "too old": lambda k: fake_signed(k, iat=int(k.now()) - 301),
    "from the future": lambda k: fake_signed(k, iat=int(k.now()) + 120),
    "an id_token's typ": lambda k: k._state.app.keys.sign(
        event_claims(
            event="account-purged",
            user_id=FULL_CONSENT_ID,
            iss=k.url,
            aud=k.client_id,
            iat=int(k.now()),
        )
    ),
    "a subject of another issuer": lambda k: fake_signed(
        k,
        events={
            EVENT_TYPES["account-purged"]: {
                "subject": {
                    "subject_type": "iss-sub",
                    "iss": "https://evil.example",
                    "sub": "4000000001",
                }
            }
        },
    ),
}


@pytest.mark.parametrize("make", UNTRUSTED.values(), ids=UNTRUSTED.keys())
async def test_a_set_we_cannot_trust_is_401_and_changes_nothing(
    hooked: RunningService, mock_kakao: MockKakao, make: Any
) -> None:
    jwt_ = await signed_up(hooked)
    answer = await post(hooked, make(mock_kakao))
    assert (answer.status, answer.body) == (401, {"message": "SECURITY_EVENT_NOT_TRUSTED"})
    assert await me_status(hooked, jwt_) == 200


def subject_event(k: MockKakao, subject: Any) -> str:
    return fake_signed(k, events={EVENT_TYPES["account-purged"]: {"subject": subject}})


MALFORMED = {
    "no jti": lambda k: fake_signed(k, jti=None),
    "a number as jti": lambda k: fake_signed(k, jti=7),
    "iat as a string": lambda k: fake_signed(k, iat=str(int(k.now()))),
    "two events": lambda k: fake_signed(
        k, events={EVENT_TYPES["account-purged"]: {}, EVENT_TYPES["user-unlinked"]: {}}
    ),
    "no events": lambda k: fake_signed(k, events={}),
    "no subject": lambda k: subject_event(k, None),
    "an email subject": lambda k: subject_event(k, {"subject_type": "email", "email": "a@b.c"}),
    "a sub with a zero first": lambda k: subject_event(
        k, {"subject_type": "iss-sub", "iss": k.url, "sub": "04000000001"}
    ),
    "a scope event without a scope": lambda k: fake_signed(
        k,
        events={
            EVENT_TYPES["user-scope-withdraw"]: {
                "subject": {"subject_type": "iss-sub", "iss": k.url, "sub": "4000000001"}
            }
        },
    ),
}


@pytest.mark.parametrize("make", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_set_not_of_kakaos_shape_is_400_and_changes_nothing(
    hooked: RunningService, mock_kakao: MockKakao, make: Any
) -> None:
    jwt_ = await signed_up(hooked)
    answer = await post(hooked, make(mock_kakao))
    assert (answer.status, answer.body) == (400, {"message": "INVALID_SECURITY_EVENT"})
    assert await me_status(hooked, jwt_) == 200


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ("not a jwt", SET),
        ("a.b.c", SET),
        (b"\xff\xfe.x.y", SET),
        ("", SET),
        (None, {"Content-Type": "application/jwt"}),
        (None, {}),
    ],
)
async def test_a_body_that_is_no_set_is_400(
    hooked: RunningService, mock_kakao: MockKakao, body: Any, headers: dict[str, str]
) -> None:
    jwt_ = await signed_up(hooked)
    answer = await post(hooked, fake_signed(mock_kakao) if body is None else body, headers)
    assert (answer.status, answer.body["message"]) in {
        (400, "INVALID_SECURITY_EVENT"),
        (401, "SECURITY_EVENT_NOT_TRUSTED"),  # a.b.c: a JWT's shape, and not Kakao's
    }
    assert await me_status(hooked, jwt_) == 200


@pytest.mark.parametrize("service_overrides", [{"kakao_app_keys": ()}])
async def test_without_our_app_keys_every_set_is_refused(
    service: RunningService, mock_kakao: MockKakao
) -> None:
    mock_kakao.update_app(account_status_webhook_url=service.url + HOOK)
    delivery = await send(mock_kakao, "account-purged")
    assert (delivery["status"], delivery["accepted"]) == (401, False)


async def test_a_fault_on_the_fakes_side_means_no_event_and_the_account_stays(
    hooked: RunningService, mock_kakao: MockKakao
) -> None:
    jwt_ = await signed_up(hooked)
    mock_kakao.add_fault("error", status=500, path="/_webhooks/account_status", times=1)
    assert (await send(mock_kakao, "account-purged"))["status"] is None
    assert await me_status(hooked, jwt_) == 200


async def test_a_jti_is_kept_once_and_pruned_when_older_than_any_set_accepted(
    service: RunningService,
) -> None:
    engine = service.app.settings["services"].engine
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    async with engine.begin() as connection:
        await connection.execute(
            insert(SecurityEvent).values(jti="from-an-hour-ago", received_at=long_ago)
        )
    assert await stored.seen(engine, "from-an-hour-ago")
    assert await stored.remember(engine, "fresh", timedelta(minutes=10)) is True
    assert await stored.remember(engine, "fresh", timedelta(minutes=10)) is False
    assert not await stored.seen(engine, "from-an-hour-ago")
    assert await stored.seen(engine, "fresh")
