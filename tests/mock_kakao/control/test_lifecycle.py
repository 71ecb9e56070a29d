"""The unlink webhook: a person disconnects on Kakao's side and the fake calls the app as Kakao
does, to a real receiver over a real socket; every delivery is recorded."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from mock_kakao.testing import MockKakao, MockKakaoError
from mock_kakao.world.webhook import FAULT_PATH, REFERRER_TYPES
from tests.mock_kakao.helpers import FULL, FULL_ID, bearer


@dataclass
class Receiver:
    """An app's webhook endpoint: records each call; answers ``status`` after ``delay``."""

    url: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    redirect_to: str | None = None

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post() if request.method == "POST" else {}
        self.calls.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "form": dict(form),
                "authorization": request.headers.get("Authorization"),
                "content_type": request.headers.get("Content-Type"),
            }
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.redirect_to:
            raise web.HTTPFound(self.redirect_to)
        return web.Response(status=self.status, text="ignored")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    target = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", target.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    target.url = f"http://127.0.0.1:{runner.addresses[0][1]}/kakao/unlink"
    yield target
    await runner.cleanup()


async def disconnect(kakao: MockKakao, user_id: int = FULL_ID, **kwargs: Any) -> dict[str, Any]:
    """The admin call blocks until the receiver, served by this test's loop, has answered."""
    return await asyncio.to_thread(kakao.unlink_user, user_id, **kwargs)


async def kapi_status(kakao: MockKakao, token: str) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{kakao.url}/v2/user/me", headers=bearer(token)) as response,
    ):
        return response.status


async def test_post_delivery_is_a_form_with_the_admin_key(kakao, receiver) -> None:
    kakao.update_app(unlink_webhook_url=receiver.url)
    answer = await disconnect(kakao)
    assert receiver.calls == [
        {
            "method": "POST",
            "path": "/kakao/unlink",
            "query": {},
            "form": {
                "app_id": str(kakao.app_id),
                "user_id": str(FULL_ID),
                "referrer_type": "UNLINK_FROM_APPS",
            },
            "authorization": "KakaoAK mock-admin-key",
            "content_type": "application/x-www-form-urlencoded;charset=utf-8",
        }
    ]
    delivery = answer["webhook"]
    assert answer["id"] == FULL_ID and answer["referrer_type"] == "UNLINK_FROM_APPS"
    assert delivery["status"] == 200 and delivery["error"] is None
    assert {k: delivery[k] for k in ("method", "url", "app_id", "user_id")} == {
        "method": "POST",
        "url": receiver.url,
        "app_id": str(kakao.app_id),
        "user_id": str(FULL_ID),
    }
    assert kakao.webhooks() == [delivery]
    assert "mock-admin-key" not in json.dumps(kakao.webhooks())


@pytest.mark.parametrize("referrer_type", REFERRER_TYPES)
async def test_get_delivery_puts_the_fields_in_the_query(kakao, receiver, referrer_type) -> None:
    kakao.update_app(unlink_webhook_url=receiver.url + "?site=a", unlink_webhook_method="GET")
    await disconnect(kakao, referrer_type=referrer_type)
    (call,) = receiver.calls
    assert call["method"] == "GET" and call["form"] == {}
    assert call["query"] == {
        "site": "a",
        "app_id": str(kakao.app_id),
        "user_id": str(FULL_ID),
        "referrer_type": referrer_type,
    }
    assert call["authorization"] == "KakaoAK mock-admin-key"


async def test_the_user_is_unlinked_before_the_webhook(kakao, receiver) -> None:
    kakao.update_app(unlink_webhook_url=receiver.url)
    await disconnect(kakao)
    assert await kapi_status(kakao, FULL) == 401
    with pytest.raises(MockKakaoError) as again:
        await disconnect(kakao)
    assert (again.value.status, again.value.error) == (409, "NOT_LINKED")
    assert len(receiver.calls) == 1
    kakao.issue_token(FULL_ID)  # logs in again: linked again, can disconnect again
    await disconnect(kakao)
    assert len(receiver.calls) == 2


async def test_redirects_are_not_followed(kakao, receiver) -> None:
    receiver.redirect_to = receiver.url.replace("/kakao/unlink", "/elsewhere")
    kakao.update_app(unlink_webhook_url=receiver.url)
    delivery = (await disconnect(kakao))["webhook"]
    assert delivery["status"] == 302
    assert [call["path"] for call in receiver.calls] == ["/kakao/unlink"]


async def test_an_app_slower_than_3_seconds_is_a_failed_delivery(kakao, receiver) -> None:
    receiver.delay = 4.0
    kakao.update_app(unlink_webhook_url=receiver.url)
    delivery = (await disconnect(kakao))["webhook"]
    assert delivery["status"] is None and delivery["error"] == "no answer within 3 s"
    assert len(receiver.calls) == 1  # no retry


async def test_an_unreachable_app_is_recorded_not_retried(kakao) -> None:
    kakao.update_app(unlink_webhook_url="http://127.0.0.1:9/unlink")
    delivery = (await disconnect(kakao))["webhook"]
    assert delivery["status"] is None and "ClientConnectorError" in delivery["error"]
    assert len(kakao.webhooks()) == 1


async def test_an_error_answer_is_recorded(kakao, receiver) -> None:
    receiver.status = 500
    kakao.update_app(unlink_webhook_url=receiver.url)
    assert (await disconnect(kakao))["webhook"]["status"] == 500


async def test_without_a_webhook_url_only_the_unlink_happens(kakao) -> None:
    answer = await disconnect(kakao)
    assert answer["webhook"] is None and kakao.webhooks() == []
    assert await kapi_status(kakao, FULL) == 401


@pytest.mark.parametrize("kind", ["drop", "error", "hang", "malformed"])
async def test_a_fault_naming_the_webhook_stops_the_delivery(kakao, receiver, kind) -> None:
    kakao.update_app(unlink_webhook_url=receiver.url)
    kakao.add_fault(kind, path=FAULT_PATH, times=1)
    delivery = (await disconnect(kakao))["webhook"]
    assert delivery["status"] is None and delivery["fault"] == kind
    assert delivery["error"] == f"not sent: {kind} fault"
    assert receiver.calls == []
    assert await kapi_status(kakao, FULL) == 401  # the unlink itself happened


async def test_latency_delays_and_global_faults_leave_deliveries_alone(kakao, receiver) -> None:
    kakao.update_app(unlink_webhook_url=receiver.url)
    kakao.add_fault("error", status=503, code=-9798, msg="maintenance")  # global: kapi only
    kakao.add_fault("latency", path=FAULT_PATH, latency_ms=50)
    delivery = (await disconnect(kakao))["webhook"]
    assert delivery["status"] == 200 and delivery["fault"] == "latency"
    assert delivery["latency_ms"] >= 50


async def test_bad_requests_are_refused(kakao) -> None:
    for body, status, code in (
        ({"referrer_type": "BORED"}, 400, "INVALID_FIELD"),
        ({"why": "x"}, 400, "UNKNOWN_FIELD"),
    ):
        with pytest.raises(MockKakaoError) as refused:
            await asyncio.to_thread(kakao._admin, "POST", f"/_mock/users/{FULL_ID}/unlink", body)
        assert (refused.value.status, refused.value.error) == (status, code)
    with pytest.raises(MockKakaoError) as missing:
        await disconnect(kakao, 123)
    assert (missing.value.status, missing.value.error) == (404, "USER_NOT_FOUND")


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"unlink_webhook_url": "ftp://x/"}, "unlink_webhook_url"),
        ({"unlink_webhook_url": "http:///nohost"}, "unlink_webhook_url"),
        ({"unlink_webhook_method": "PUT"}, "unlink_webhook_method"),
        ({"admin_key": "has space"}, "admin_key"),
        ({"admin_key": ""}, "admin_key"),
    ],
)
def test_app_settings_are_checked(kakao, changes, detail) -> None:
    with pytest.raises(MockKakaoError) as refused:
        kakao.update_app(**changes)
    assert refused.value.status == 400 and detail in refused.value.body["detail"]


def test_webhook_settings_come_from_the_users_file_flags_and_reset(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    users.write_text(
        '[app]\nunlink_webhook_url = "http://127.0.0.1:1/hook"\nunlink_webhook_method = "GET"\n'
    )
    with MockKakao(users) as kakao:
        app = kakao.app()
        assert (app["unlink_webhook_url"], app["unlink_webhook_method"]) == (
            "http://127.0.0.1:1/hook",
            "GET",
        )
        kakao.update_app(unlink_webhook_url=None)
        assert kakao.app()["unlink_webhook_url"] is None
        kakao.reset()
        assert kakao.app()["unlink_webhook_url"] == "http://127.0.0.1:1/hook"
    with MockKakao(users, unlink_webhook_url="http://127.0.0.1:2/x") as kakao:
        kakao.reset()
        assert kakao.app()["unlink_webhook_url"] == "http://127.0.0.1:2/x"
        assert kakao.app()["unlink_webhook_method"] == "GET"


async def test_reset_forgets_deliveries(kakao, receiver) -> None:
    kakao.update_app(unlink_webhook_url=receiver.url)
    await disconnect(kakao)
    kakao.reset()
    assert kakao.webhooks() == []
    assert kakao.app()["unlink_webhook_url"] is None


# The webhook is the fake's one outgoing call: it stays on this machine unless the fake runs
# with allow_remote. None of these tests sends anything off it: a refused URL is never called,
# and the delivery check below uses a spelling of 127.0.0.1 (`127.1`) the rule refuses.
OFF_MACHINE = [
    "http://192.0.2.1/unlink",  # TEST-NET-1
    "https://app.example.com/unlink",
    "http://127.0.0.1@app.example.com/unlink",  # userinfo: the host is app.example.com
    "http://127.1:9/unlink",  # not spelled as a loopback address: refused, not resolved
]


@pytest.mark.parametrize("url", OFF_MACHINE)
def test_a_webhook_url_off_this_machine_is_refused(kakao, url) -> None:
    with pytest.raises(MockKakaoError) as refused:
        kakao.update_app(unlink_webhook_url=url)
    assert (refused.value.status, refused.value.error) == (400, "INVALID_FIELD")
    assert "--allow-remote" in refused.value.body["detail"]
    assert kakao.app()["unlink_webhook_url"] is None


@pytest.mark.parametrize("url", ["http://localhost:9/a", "http://[::1]:9/a", "http://127.0.0.2:9/"])
def test_a_webhook_url_on_this_machine_is_taken(kakao, url) -> None:
    assert kakao.update_app(unlink_webhook_url=url)["unlink_webhook_url"] == url


def test_allow_remote_takes_any_webhook_url() -> None:
    with MockKakao(allow_remote=True) as kakao:
        changed = kakao.update_app(unlink_webhook_url=OFF_MACHINE[0])
        assert changed["unlink_webhook_url"] == OFF_MACHINE[0]


async def test_a_url_from_the_file_or_a_flag_off_this_machine_is_not_called() -> None:
    with MockKakao(unlink_webhook_url=OFF_MACHINE[-1]) as kakao:
        delivery = (await disconnect(kakao))["webhook"]
        assert delivery["status"] is None and delivery["error"].startswith("not sent: ")
        assert "--allow-remote" in delivery["error"]
        assert await kapi_status(kakao, FULL) == 401  # the unlink itself happened


def spelled_otherwise(url: str, host: str) -> str:
    """``url`` (on 127.0.0.1) with its host spelled as ``host``."""
    return url.replace("127.0.0.1", host, 1)


@pytest.mark.parametrize(
    "host",
    [
        "①②⑦.0.0.1",  # circled digits
        "127。0。0。1",  # ideographic full stops
        "１２７．０．０．１",  # fullwidth digits and full stops
    ],
)
async def test_a_webhook_url_is_stored_shown_and_called_as_idna_maps_it(
    kakao, receiver, host
) -> None:
    """What the admin API shows is what is called (issue 19 item 10)."""
    shown = kakao.update_app(unlink_webhook_url=spelled_otherwise(receiver.url, host))
    assert shown["unlink_webhook_url"] == receiver.url
    assert kakao.app()["unlink_webhook_url"] == receiver.url
    await disconnect(kakao)
    [delivery] = kakao.webhooks()
    assert (delivery["url"], delivery["status"]) == (receiver.url, 200)
    assert len(receiver.calls) == 1


def test_a_webhook_urls_path_and_query_are_kept_as_they_are_sent(kakao) -> None:
    shown = kakao.update_app(unlink_webhook_url="http://127.0.0.1:9/훅 x?site=é")
    assert shown["unlink_webhook_url"] == "http://127.0.0.1:9/%ED%9B%85%20x?site=%C3%A9"


@pytest.mark.parametrize(
    "url",
    [
        "http://xn--zz.localhost/",  # not valid punycode: no host to call
        "http://a\u200b.localhost/",  # a character IDNA refuses
        "http://exa mple.localhost/",
        "http://%31%32%37.0.0.1/",  # a host no resolver would take
        "http://a..localhost/",
        "http://١٢٧.0.0.1/",  # Arabic-Indic digits: IDNA makes a name, not 127.0.0.1
    ],
)
def test_a_webhook_url_that_does_not_normalise_to_an_allowed_host_is_refused(kakao, url) -> None:
    with pytest.raises(MockKakaoError) as refused:
        kakao.update_app(unlink_webhook_url=url)
    assert (refused.value.status, refused.value.error) == (400, "INVALID_FIELD")
    assert "unlink_webhook_url" in refused.value.body["detail"]
    assert kakao.app()["unlink_webhook_url"] is None


def test_a_users_files_webhook_url_is_normalised_too(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    users.write_text('[app]\nunlink_webhook_url = "http://127。0。0。1:1/hook"\n', "utf-8")
    with MockKakao(users) as kakao:
        assert kakao.app()["unlink_webhook_url"] == "http://127.0.0.1:1/hook"


def test_with_allow_remote_a_webhook_url_must_still_normalise() -> None:
    """--allow-remote lifts the this-machine rule, not the need for a host a client can call."""
    with MockKakao(allow_remote=True) as kakao:
        for url in ["http://xn--zz.example/", "http://exa mple.example/", "http://a..example/"]:
            with pytest.raises(MockKakaoError) as refused:
                kakao.update_app(unlink_webhook_url=url)
            assert (refused.value.status, refused.value.error) == (400, "INVALID_FIELD")
        shown = kakao.update_app(unlink_webhook_url="http://Ｅxample。com/hook")
        assert shown["unlink_webhook_url"] == "http://example.com/hook"
