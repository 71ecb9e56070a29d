"""The account-status webhook: the fake POSTs Security Event Tokens (Shared Signals) to a real
receiver over a real socket, signed with the id_tokens' keys; every delivery is recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web

from mock_kakao.testing import MockKakao, MockKakaoError
from mock_kakao.world.secevents import EVENT_TYPES, FAULT_PATH
from tests.mock_kakao.helpers import FULL_ID


@dataclass
class Receiver:
    """An app's account-status endpoint: records each call, answers ``status``."""

    url: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 202

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append(
            {
                "method": request.method,
                "content_type": request.headers.get("Content-Type"),
                "body": await request.text(),
            }
        )
        return web.Response(status=self.status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    target = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", target.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    target.url = f"http://127.0.0.1:{runner.addresses[0][1]}/kakao/events"
    yield target
    await runner.cleanup()


async def send(kakao: MockKakao, event: str, user_id: int = FULL_ID, **fields: Any) -> Any:
    """The admin call blocks until the receiver, served by this test's loop, has answered."""
    return await asyncio.to_thread(kakao.send_event, user_id, event, **fields)


async def get_json(url: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        return await response.json()


async def verified(kakao: MockKakao, token: str) -> dict[str, Any]:
    """The SET's claims, checked as a receiver checks them: kauth's JWKS, RS256, iss, aud."""
    jwks = await get_json(f"{kakao.url}/.well-known/jwks.json")
    header = jwt.get_unverified_header(token)
    key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == header["kid"])
    assert header["typ"] == "secevent+jwt" and header["alg"] == "RS256"
    return jwt.decode(
        token, key.key, algorithms=["RS256"], audience=kakao.client_id, issuer=kakao.url
    )


@pytest.mark.parametrize("event", list(EVENT_TYPES))
async def test_each_event_is_a_signed_set_posted_to_the_app(kakao, receiver, event) -> None:
    kakao.update_app(account_status_webhook_url=receiver.url)
    extra = {"scopes": ["account_email"]} if "scope" in event else {}
    answer = await send(kakao, event, **extra)
    delivery = answer["delivery"]
    assert (delivery["status"], delivery["accepted"], delivery["error"]) == (202, True, None)
    assert (delivery["event"], delivery["event_type"]) == (event, EVENT_TYPES[event])
    [call] = receiver.calls
    assert (call["method"], call["content_type"]) == ("POST", "application/secevent+jwt")
    assert call["body"] == delivery["token"]
    claims = await verified(kakao, call["body"])
    assert list(claims) == ["iss", "aud", "iat", "jti", "events"]
    assert claims["jti"] == answer["jti"] == delivery["jti"]
    assert claims["iat"] == int(kakao.now())
    [(uri, body)] = claims["events"].items()
    assert uri == EVENT_TYPES[event]
    assert body["subject"] == {"subject_type": "iss-sub", "iss": kakao.url, "sub": str(FULL_ID)}
    assert body.get("scope") == ("account_email" if extra else None)
    assert kakao.security_events() == [delivery]


async def test_each_set_has_its_own_jti_and_a_reason_when_given(kakao, receiver) -> None:
    kakao.update_app(account_status_webhook_url=receiver.url)
    first = await send(kakao, "account-purged", reason="ACCOUNT_DELETE")
    second = await send(kakao, "account-purged")
    assert first["jti"] != second["jti"]
    bodies = [
        next(iter((await verified(kakao, c["body"]))["events"].values())) for c in receiver.calls
    ]
    assert [b.get("reason") for b in bodies] == ["ACCOUNT_DELETE", None]


async def test_an_answer_other_than_202_is_recorded_as_not_accepted(kakao, receiver) -> None:
    kakao.update_app(account_status_webhook_url=receiver.url)
    receiver.status = 200
    delivery = (await send(kakao, "user-linked"))["delivery"]
    assert (delivery["status"], delivery["accepted"]) == (200, False)


async def test_without_a_url_nothing_is_sent(kakao, receiver) -> None:
    answer = await send(kakao, "user-unlinked")
    assert answer["delivery"] is None and receiver.calls == []
    assert kakao.security_events() == []


async def test_a_fault_on_the_webhook_means_it_never_came(kakao, receiver) -> None:
    kakao.update_app(account_status_webhook_url=receiver.url)
    kakao.add_fault("error", status=500, path=FAULT_PATH, times=1)
    lost = (await send(kakao, "account-purged"))["delivery"]
    assert (lost["status"], lost["fault"], lost["accepted"]) == (None, "error", False)
    assert lost["error"] == "not sent: error fault" and receiver.calls == []
    assert (await send(kakao, "account-purged"))["delivery"]["status"] == 202


async def test_deliveries_are_cleared_by_delete_and_by_reset(kakao, receiver) -> None:
    kakao.update_app(account_status_webhook_url=receiver.url)
    await send(kakao, "user-linked")
    async with (
        aiohttp.ClientSession() as http,
        http.delete(f"{kakao.url}/_mock/security_events") as response,
    ):
        assert response.status == 204
    assert kakao.security_events() == []
    await send(kakao, "user-linked")
    kakao.reset()
    assert kakao.security_events() == []
    assert kakao.app()["account_status_webhook_url"] is None


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"event": "user-deleted"}, "event must be one of"),
        ({"event": "user-linked", "scopes": ["account_email"]}, "scopes is only for"),
        ({"event": "user-scope-withdraw"}, "scopes must list"),
        ({"event": "user-scope-withdraw", "scopes": ["no_such_item"]}, "scopes must list"),
        ({"event": "user-scope-consent", "scopes": ["account_email"] * 2}, "scopes must list"),
        ({"event": "user-linked", "reason": ""}, "reason must be"),
        ({"event": "user-linked", "color": "red"}, "color"),
    ],
)
def test_bad_event_requests_are_refused(kakao, fields, detail) -> None:
    event = fields.pop("event")
    with pytest.raises(MockKakaoError) as refused:
        kakao.send_event(FULL_ID, event, **fields)
    assert refused.value.status == 400 and detail in refused.value.body["detail"]


def test_an_unknown_user_is_404(kakao) -> None:
    with pytest.raises(MockKakaoError) as refused:
        kakao.send_event(123, "user-linked")
    assert (refused.value.status, refused.value.error) == (404, "USER_NOT_FOUND")


@pytest.mark.parametrize("url", ["http://192.0.2.1/events", "https://app.example.com/events"])
def test_a_url_off_this_machine_is_refused(kakao, url) -> None:
    with pytest.raises(MockKakaoError) as refused:
        kakao.update_app(account_status_webhook_url=url)
    assert (refused.value.status, refused.value.error) == (400, "INVALID_FIELD")
    assert "account_status_webhook_url" in refused.value.body["detail"]
    assert "--allow-remote" in refused.value.body["detail"]


def test_the_url_is_normalised_as_the_unlink_webhooks_is(kakao) -> None:
    changed = kakao.update_app(account_status_webhook_url="http://127。0。0。1:9/e v")
    assert changed["account_status_webhook_url"] == "http://127.0.0.1:9/e%20v"
    with pytest.raises(MockKakaoError) as refused:
        kakao.update_app(account_status_webhook_url="ftp://127.0.0.1/e")
    assert refused.value.status == 400


def test_the_url_comes_from_the_users_file_and_reset_restores_it(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    users.write_text('[app]\naccount_status_webhook_url = "http://127.0.0.1:1/events"\n')
    with MockKakao(users) as kakao:
        assert kakao.app()["account_status_webhook_url"] == "http://127.0.0.1:1/events"
        kakao.update_app(account_status_webhook_url=None)
        assert kakao.app()["account_status_webhook_url"] is None
        kakao.reset()
        assert kakao.app()["account_status_webhook_url"] == "http://127.0.0.1:1/events"


async def test_an_off_machine_url_from_the_file_is_never_called(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    users.write_text(
        '[app]\naccount_status_webhook_url = "http://127.1:9/events"\n[[users]]\nid = 7\n'
    )
    with MockKakao(users) as kakao:
        delivery = (await send(kakao, "account-purged", user_id=7))["delivery"]
        assert delivery["status"] is None and "--allow-remote" in delivery["error"]


async def test_the_transmitter_configuration_is_kakaos(kakao) -> None:
    document = await get_json(f"{kakao.url}/.well-known/sse-configuration")
    assert document == {
        "issuer": kakao.url,
        "jwks_uri": f"{kakao.url}/.well-known/jwks.json",
        "delivery_methods_supported": "http://schemas.openid.net/secevent/risc/delivery-method/push",
    }
