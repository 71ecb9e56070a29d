"""``GET|PUT /_mock/state`` and the saver, over a real socket: every mutating path reaches the
state file, an export imports back exactly, and a bad import changes nothing."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from harness_ui.config import StackConfig
from harness_ui.stack import start_stack
from mock_kakao.app import start_server
from mock_kakao.world.kakaoapp import AppSettings, KakaoApp
from mock_kakao.world.persist import StateSaver, keys_file_for, open_state
from mock_kakao.world.state import FakeKakao
from tests.mock_kakao.helpers import FULL, FULL_ID, exchange_code, pick_user

ADMIN_KEY = {"Authorization": "KakaoAK mock-admin-key"}
SECOND_ID = 4000000002
DEADLINE_SECONDS = 10.0


@dataclass
class Running:
    url: str
    http: aiohttp.ClientSession
    saver: StateSaver
    path: Path
    client_id: str = "mock-rest-api-key"

    def authorize_url(self, redirect_uri: str, **params: str) -> str:
        query = {"client_id": self.client_id, "redirect_uri": redirect_uri, "response_type": "code"}
        return f"{self.url}/oauth/authorize?{urlencode({**query, **params})}"

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.http.request(method, self.url + path, **kwargs) as answer:
            assert answer.status < 300, (method, path, answer.status, await answer.text())
            return await answer.json() if answer.status != 204 else None

    def saved(self) -> dict[str, Any]:
        return json.loads(self.path.read_text("utf-8"))

    async def saved_when(self, condition: Callable[[dict[str, Any]], bool], what: str) -> None:
        """Wait for the file to show ``condition`` (the deadline only bounds a failure)."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not condition(self.saved()):
            assert time.monotonic() < deadline, f"the state file never showed {what}"
            await asyncio.sleep(0.01)


@pytest.fixture
async def fake(tmp_path: Path) -> AsyncIterator[Running]:
    path = tmp_path / "state.json"
    state = FakeKakao.from_file(None, app=KakaoApp(keys_file=keys_file_for(path)))
    saver = open_state(state, path, interval=0.01)
    runner, url = await start_server(state, "127.0.0.1", 0)
    saver.start()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield Running(url, http, saver, path)
    await runner.cleanup()
    await saver.close()


def users_of(doc: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {user["id"]: user for user in doc["users"]}


def access_tokens(doc: dict[str, Any]) -> set[str]:
    return {t["access_token"] for grant in doc["grants"] for t in grant["access_tokens"]}


def linked(doc: dict[str, Any]) -> set[int]:
    return {link["user_id"] for link in doc["linked"]}


async def test_every_mutating_path_is_saved(fake: Running) -> None:
    await fake.call("POST", "/_mock/users", json={"id": 55, "nickname": "오오"})
    await fake.saved_when(lambda doc: 55 in users_of(doc), "a new user")
    await fake.call("PATCH", "/_mock/users/55", json={"label": "patched"})
    await fake.saved_when(lambda doc: users_of(doc)[55]["label"] == "patched", "a PATCH")

    issued = await fake.call("POST", "/_mock/users/55/tokens", json={"scope": "openid"})
    await fake.saved_when(lambda doc: issued["access_token"] in access_tokens(doc), "a token")

    redirect = await pick_user(fake.http, fake, SECOND_ID, consent=("nickname",))  # type: ignore[arg-type]
    status, exchanged = await exchange_code(fake.http, fake, redirect.query["code"])  # type: ignore[arg-type]
    assert status == 200
    await fake.saved_when(
        lambda doc: any(
            g["consent"] == {"agreed": ["profile_nickname"]}
            and exchanged["access_token"] in {t["access_token"] for t in g["access_tokens"]}
            for g in doc["grants"]
        ),
        "a code exchange with its consent",
    )

    form = {
        "grant_type": "refresh_token",
        "client_id": fake.client_id,
        "refresh_token": exchanged["refresh_token"],
    }
    refreshed = await fake.call("POST", "/oauth/token", data=form)
    await fake.saved_when(lambda doc: refreshed["access_token"] in access_tokens(doc), "refresh")

    bearer = {"Authorization": f"Bearer {refreshed['access_token']}"}
    await fake.call("POST", "/v1/user/logout", headers=bearer)
    await fake.saved_when(lambda doc: refreshed["access_token"] not in access_tokens(doc), "logout")

    await fake.call("POST", "/v1/user/unlink", headers={"Authorization": f"Bearer {FULL}"})
    await fake.saved_when(lambda doc: FULL_ID not in linked(doc), "unlink")

    revoke = {"target_id_type": "user_id", "target_id": "55"}
    await fake.call("POST", "/v1/user/logout", headers=ADMIN_KEY, data=revoke)
    await fake.saved_when(lambda doc: issued["access_token"] not in access_tokens(doc), "revoke")

    await fake.call("POST", "/_mock/users/4000000003/unlink", json={})
    await fake.saved_when(lambda doc: 4000000003 not in linked(doc), "a disconnection")

    await fake.call("DELETE", "/_mock/users/55")
    await fake.saved_when(lambda doc: 55 not in users_of(doc), "a deletion")

    await fake.call("PATCH", "/_mock/app", json={"oidc": False})
    await fake.saved_when(lambda doc: doc["app"]["oidc"] is False, "PATCH /_mock/app")

    keys_file = keys_file_for(fake.path)
    before = keys_file.read_bytes()
    rotated = await fake.call("POST", "/_mock/keys/rotate", json={})
    assert keys_file.read_bytes() != before and rotated["kid"] in keys_file.read_text("utf-8")

    await fake.call("POST", "/_mock/clock", json={"advance": 50})
    await fake.saved_when(lambda doc: doc["clock"]["offset"] == 50, "the clock")

    fault = {"kind": "error", "path": "/v2/user/me", "times": 2}
    await fake.call("POST", "/_mock/faults", json=fault)
    shown = {**fault, "status": 500, "code": -1, "msg": "internal error"}
    await fake.saved_when(lambda doc: doc["faults"] == [shown], "a fault")
    async with fake.http.get(fake.url + "/v2/user/me", headers=bearer) as answer:
        assert answer.status == 500  # the fault answered, and counted down
    await fake.saved_when(lambda doc: doc["faults"] == [{**shown, "times": 1}], "a countdown")
    await fake.call("PUT", "/_mock/faults", json=[{"kind": "drop"}])
    await fake.saved_when(lambda doc: doc["faults"] == [{"kind": "drop"}], "PUT faults")
    await fake.call("DELETE", "/_mock/faults")
    await fake.saved_when(lambda doc: doc["faults"] == [], "cleared faults")

    await fake.call("POST", "/_mock/reset")
    await fake.saved_when(
        lambda doc: doc["clock"]["offset"] == 0 and FULL in access_tokens(doc), "a reset"
    )


async def test_export_reset_import_round_trips_exactly(fake: Running) -> None:
    await fake.call("POST", "/_mock/users", json={"id": 77, "email": "s@example.com"})
    await fake.call("POST", "/_mock/users/77/tokens", json={"scope": "openid", "nonce": "n"})
    await fake.call("PATCH", "/_mock/app", json={"client_secret": "s3cret", "oidc": False})
    await fake.call("POST", "/_mock/clock", json={"advance": -3600.5})
    await fake.call("POST", "/_mock/faults", json={"kind": "latency", "latency_ms": 5, "times": 9})
    await fake.call("POST", "/v1/user/unlink", headers={"Authorization": f"Bearer {FULL}"})
    exported = await fake.call("GET", "/_mock/state")

    await fake.call("POST", "/_mock/reset")
    assert await fake.call("GET", "/_mock/state") != exported
    assert await fake.call("PUT", "/_mock/state", json=exported) == exported
    assert await fake.call("GET", "/_mock/state") == exported
    await fake.saved_when(lambda doc: doc == exported, "the import")
    token = next(g for g in exported["grants"] if g["user_id"] == 77)["access_tokens"][0]
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    me = await fake.call("GET", "/v2/user/me", headers=headers)
    assert me["kakao_account"]["email"] == "s@example.com"


BAD_IMPORTS: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "not an object": (lambda doc: [doc], "INVALID_FIELD"),
    "unknown part": (lambda doc: {**doc, "codes": []}, "UNKNOWN_FIELD"),
    "missing part": (lambda doc: {k: v for k, v in doc.items() if k != "grants"}, "MISSING_FIELD"),
    "other version": (lambda doc: {**doc, "version": 2}, "INVALID_FIELD"),
    "clock too far": (lambda doc: {**doc, "clock": {"offset": 1e12}}, "INVALID_FIELD"),
    "bad app": (lambda doc: {**doc, "app": {"web_domains": ["ftp://x"]}}, "INVALID_FIELD"),
    "equal keys": (
        lambda doc: {**doc, "app": {"rest_api_key": "k", "javascript_key": "k"}},
        "INVALID_FIELD",
    ),
    "user twice": (lambda doc: {**doc, "users": doc["users"] * 2}, "INVALID_FIELD"),
    "user field typo": (
        lambda doc: {**doc, "users": [{**doc["users"][0], "emial": "x"}]},
        "UNKNOWN_FIELD",
    ),
    "user without connected_at": (lambda doc: {**doc, "users": [{"id": 1}]}, "MISSING_FIELD"),
    "grant of no user": (lambda doc: {**doc, "users": []}, "INVALID_FIELD"),
    "link of no user": (
        lambda doc: {**doc, "grants": [], "users": doc["users"][:1]},
        "INVALID_FIELD",
    ),
    "token twice": (
        lambda doc: {**doc, "grants": doc["grants"] + doc["grants"][:1]},
        "INVALID_FIELD",
    ),
    "bad consent": (
        lambda doc: {**doc, "linked": [{"user_id": FULL_ID, "consent": {"agreed": ["Not An Id"]}}]},
        "INVALID_FIELD",
    ),
    "consent not a list": (
        lambda doc: {**doc, "linked": [{"user_id": FULL_ID, "consent": {"agreed": "x"}}]},
        "INVALID_FIELD",
    ),
    "negative expiry": (
        lambda doc: {
            **doc,
            "grants": [{**doc["grants"][0], "refresh_expires_at": -1}, *doc["grants"][1:]],
        },
        "INVALID_FIELD",
    ),
    "bad oidc": (
        lambda doc: {
            **doc,
            "grants": [{**doc["grants"][0], "oidc": {"aud": "", "auth_time": 1}}],
        },
        "INVALID_FIELD",
    ),
    "bad fault": (lambda doc: {**doc, "faults": [{"kind": "explode"}]}, "INVALID_FIELD"),
}


@pytest.mark.parametrize("case", sorted(BAD_IMPORTS))
async def test_a_bad_import_is_400_and_changes_nothing(fake: Running, case: str) -> None:
    change, code = BAD_IMPORTS[case]
    await fake.call("POST", "/_mock/clock", json={"advance": 10})
    before = await fake.call("GET", "/_mock/state")
    async with fake.http.put(fake.url + "/_mock/state", json=change(copy.deepcopy(before))) as r:
        assert r.status == 400
        body = await r.json()
    assert body["error"] == code and body["detail"]
    assert await fake.call("GET", "/_mock/state") == before


async def test_an_import_that_is_not_json_is_400(fake: Running) -> None:
    before = await fake.call("GET", "/_mock/state")
    headers = {"Content-Type": "application/json"}
    async with fake.http.put(fake.url + "/_mock/state", data=b"{", headers=headers) as answer:
        assert (answer.status, (await answer.json())["error"]) == (400, "INVALID_JSON")
    assert await fake.call("GET", "/_mock/state") == before


PINNED_KEY = "pinned-admin-key"
IMPORTED_KEY = "imported-admin-key"


async def admin_ids_status(http: aiohttp.ClientSession, url: str, key: str) -> int:
    """What ``/v1/user/ids`` (it takes only the admin key) answers to ``key``."""
    headers = {"Authorization": f"KakaoAK {key}"}
    async with http.get(url + "/v1/user/ids", headers=headers) as answer:
        return answer.status


async def test_an_import_does_not_replace_a_pinned_admin_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KAKAO_ADMIN_KEY pins the fake's admin key as run_all starts it: an import naming another
    keeps the pinned one (now and after a restart), says so, and never saves the other."""
    monkeypatch.setenv("KAKAO_ADMIN_KEY", PINNED_KEY)
    config = StackConfig(data_dir=tmp_path, service_port=0, kakao_port=0, ui_port=0)
    async with aiohttp.ClientSession() as http:
        async with await start_stack(config) as running:
            url = running.kakao_url
            async with http.get(url + "/_mock/state") as answer:
                exported = await answer.json()
            # (run_all pins oidc on for the page's OpenID Connect sign-in; the client secret
            # is not pinned)
            changed = {"admin_key": IMPORTED_KEY, "client_secret": "imported-secret"}
            doc = {**exported, "app": {**exported["app"], **changed}}
            async with http.put(url + "/_mock/state", json=doc) as answer:
                assert answer.status == 200
                assert answer.headers["Mock-Kakao-Pinned"] == "admin_key"
                body = await answer.json()
            assert body["app"]["admin_key"] == PINNED_KEY
            # what is not pinned is imported
            assert body["app"]["client_secret"] == "imported-secret"
            assert await admin_ids_status(http, url, PINNED_KEY) == 200
            assert await admin_ids_status(http, url, IMPORTED_KEY) == 401
            # An import that leaves the pinned value as it is says nothing.
            async with http.put(url + "/_mock/state", json=body) as answer:
                assert answer.status == 200 and "Mock-Kakao-Pinned" not in answer.headers
        assert IMPORTED_KEY not in config.kakao_state_path.read_text("utf-8")
        async with await start_stack(config) as running:
            assert await admin_ids_status(http, running.kakao_url, PINNED_KEY) == 200
            assert await admin_ids_status(http, running.kakao_url, IMPORTED_KEY) == 401
            async with http.get(running.kakao_url + "/_mock/app") as answer:
                assert (await answer.json())["client_secret"] == "imported-secret"


def test_only_pinned_settings_that_would_change_are_named() -> None:
    app = KakaoApp(admin_key=PINNED_KEY, client_secret="pinned-secret", oidc=False)
    imported = AppSettings(admin_key=IMPORTED_KEY, oidc=False, rest_api_key="another-rest-key")
    # oidc is pinned but not changed; rest_api_key is changed but not pinned; the secret,
    # left out of the import, would go back to its default (off).
    assert app.pins_overridden(imported) == ("admin_key", "client_secret")
    kept = app.under_pins(imported)
    assert (kept.admin_key, kept.client_secret, kept.rest_api_key) == (
        PINNED_KEY,
        "pinned-secret",
        "another-rest-key",
    )
