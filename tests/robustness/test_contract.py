"""The OpenAPI document is served, is valid, agrees with the code table, and is true.

"True" means: every (operation, status, code) it documents is reached here on the running
service, and every answer, reached on purpose, conforms to it.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from openapi_spec_validator import validate

from mock_kakao.world.kakaoapp import DEFAULT_ADMIN_KEY
from service import tokens
from service.errors import ERRORS
from service.store import db, users
from service.store import secevents as stored_events
from tests.robustness.conftest import ADMIN_TOKEN
from tests.robustness.contract import SPEC_PATH, Contract
from tests.robustness.support import CheckedService, http_request, sqlite_folder_gone
from tests.service.support import FULL_CONSENT_ID, FULL_CONSENT_TOKEN, running_service

#: in the code table but never answered through our handlers, only before routing, to
#: ambiguous framing (see the document's description and tests/robustness/test_framing.py),
#: so no operation lists it
UNREACHABLE = {"BAD_REQUEST"}
PATH_INDEPENDENT = {"NotFound": "NOT_FOUND", "MethodNotAllowed": "METHOD_NOT_ALLOWED"}
HUGE_DECLARED_BODY = {"Content-Length": str(40 * 1024 * 1024)}
_ADMIN_OPERATIONS = (
    ("GET", "/admin/accounts"),
    ("DELETE", "/admin/accounts/1"),
    ("DELETE", "/admin/accounts"),
)
HOOK = "/auth/kakao/unlink"
KAKAO_FAULTS = [
    {"kind": "malformed"},
    {"kind": "error", "status": 500, "code": -1},
    {"kind": "error", "status": 429, "code": -10},
    {"kind": "error", "status": 403, "code": -402, "msg": "insufficient scopes."},  # issue 21
    {"kind": "hang"},
]


def test_the_document_is_valid_openapi(contract: Contract) -> None:
    validate(contract.document)


async def test_the_service_serves_the_file(service: CheckedService) -> None:
    answer = await service.raw("GET", "/openapi.yaml", http_request("GET", "/openapi.yaml", {}))
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/yaml; charset=utf-8"
    assert answer.body == SPEC_PATH.read_text()


def test_every_code_has_the_status_of_the_code_table(contract: Contract) -> None:
    outcomes = contract.documented_codes()
    documented = {(status, code) for *_, status, code in outcomes if code and status >= 400}
    for name, code in PATH_INDEPENDENT.items():
        assert contract.codes_at(f"/components/responses/{name}") == [code]
        documented.add((ERRORS[code][0], code))
    assert documented == {(status, code) for code, (status, _) in ERRORS.items()} - {
        (ERRORS[code][0], code) for code in UNREACHABLE
    }


def test_the_description_table_is_the_code_table(contract: Contract) -> None:
    rows = re.findall(
        r"^\| ([A-Z_]+) \| (\d{3}) \|", contract.document["info"]["description"], re.M
    )
    assert {code: int(status) for code, status in rows} == {
        code: status for code, (status, _) in ERRORS.items() if code not in UNREACHABLE
    }


def _our_jwt(
    service: CheckedService, account: tokens.Claims, *, age: timedelta = timedelta()
) -> str:
    settings = service.running.settings
    return tokens.issue(account.user_id, account.account_key, settings, datetime.now(UTC) - age)


async def _reach_kakao_outcomes(service: CheckedService, mock_kakao: Any) -> None:
    """Both Kakao-calling operations under every kind of Kakao answer."""
    for fault in KAKAO_FAULTS:
        mock_kakao.set_faults([fault])
        await service.look_up(FULL_CONSENT_TOKEN)
        await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    mock_kakao.clear_faults()
    body = {"kakao_id": FULL_CONSENT_ID, "user_name": "이름", "email": None}
    for authorization in (None, "Bearer not-a-kakao-token"):
        await service.request("GET", "/auth/kakao", authorization=authorization)
        await service.request("POST", "/auth/kakao", authorization=authorization, body=body)
    other_app = mock_kakao.issue_token(FULL_CONSENT_ID, app_id=mock_kakao.app_id + 1)
    await service.sign_in(other_app["access_token"], FULL_CONSENT_ID)
    await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID + 1)


async def _reach_bad_bodies(service: CheckedService) -> None:
    auth = f"Bearer {FULL_CONSENT_TOKEN}"
    for data in (b"{", b'{"kakao_id": 1}', b'{"kakao_id": 0, "user_name": "a", "email": null}'):
        await service.request("POST", "/auth/kakao", authorization=auth, data=data)
    await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID, user_name=" ")
    await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID, email="not-an-address")
    await service.request("POST", "/auth/kakao", authorization=auth, data=b"x" * 65537)


async def _reach_our_tokens(service: CheckedService) -> None:
    created = await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    await service.look_up(FULL_CONSENT_TOKEN)  # now is_user
    await service.me(created.body["token"])
    account = tokens.decode(created.body["token"], service.running.settings)
    await service.me(_our_jwt(service, account, age=timedelta(days=1)))
    await service.me("not.a.jwt")
    await service.request("GET", "/users/me")
    await service.request("GET", "/users/me", authorization=created.body["token"])  # no Bearer


async def _reach_admin(service: CheckedService) -> None:
    """The admin API: a page, bad queries, wrong tokens, deleting one, none and all."""
    admin = f"Bearer {ADMIN_TOKEN}"
    await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    page = await service.request("GET", "/admin/accounts?limit=1", authorization=admin)
    await service.request("GET", "/admin/accounts?limit=0", authorization=admin)
    for authorization in (None, FULL_CONSENT_TOKEN, "Bearer not-the-admin-token"):
        await service.request("GET", "/admin/accounts", authorization=authorization)
        await service.request("DELETE", "/admin/accounts", authorization=authorization)
        await service.request("DELETE", "/admin/accounts/1", authorization=authorization)
    first = page.body["result"][0]["id"]
    await service.request("DELETE", f"/admin/accounts/{first}", authorization=admin)
    await service.request("DELETE", f"/admin/accounts/{first}", authorization=admin)
    await service.request("DELETE", "/admin/accounts", authorization=admin)


async def _reach_id_token_outcomes(service: CheckedService, mock_kakao: Any) -> None:
    """id_tokens: good, another app's, a nonce that does not match, and none accepted."""
    issued = mock_kakao.issue_token(FULL_CONSENT_ID, scope="openid", nonce="contract-nonce")
    id_token = issued["id_token"]
    await service.look_up(id_token)
    await service.sign_in(id_token, FULL_CONSENT_ID)
    other_app = mock_kakao.issue_token(
        FULL_CONSENT_ID, app_id=mock_kakao.app_id + 1, scope="openid"
    )
    await service.look_up(other_app["id_token"])
    await service.sign_in(other_app["id_token"], FULL_CONSENT_ID)
    body = {"kakao_id": FULL_CONSENT_ID, "user_name": "이름", "email": None}
    for nonce in ("another-nonce", 42):
        await service.request(
            "POST", "/auth/kakao", authorization=id_token, body={**body, "nonce": nonce}
        )
    settings = replace(service.running.settings, kakao_app_keys=())
    async with running_service(settings) as without_keys:
        unconfigured = CheckedService(without_keys, service.contract, service.seen)
        await unconfigured.look_up(id_token)
        await unconfigured.sign_in(id_token, FULL_CONSENT_ID)


async def webhook(
    service: CheckedService, method: str, fields: dict[str, Any], key: str = DEFAULT_ADMIN_KEY
) -> Any:
    """Kakao's unlink webhook call, GET (query) or POST (form body)."""
    headers = {"Authorization": f"KakaoAK {key}"}
    if method == "GET":
        answer = await service.running.request(
            "GET", f"{HOOK}?{urlencode(fields)}", headers=headers
        )
        service.check("GET", HOOK, answer)  # the path without its query
        return answer
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return await service.request("POST", HOOK, data=urlencode(fields), headers=headers)


def notice(app_id: Any = None, user_id: Any = FULL_CONSENT_ID) -> dict[str, Any]:
    return {"app_id": app_id, "user_id": user_id, "referrer_type": "UNLINK_FROM_APPS"}


async def _reach_lifecycle(service: CheckedService, mock_kakao: Any) -> None:
    """DELETE /users/me and the unlink webhook, under every kind of Kakao answer."""
    app_id = mock_kakao.app_id
    jwt = (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).body["token"]
    for method in ("GET", "POST"):
        await webhook(service, method, notice(app_id), key="wrong")
        await webhook(service, method, notice(app_id, "x"))
        await webhook(service, method, notice(app_id + 1))
        for fault in KAKAO_FAULTS:  # the account exists: Kakao is asked before deleting
            mock_kakao.set_faults([{**fault, "path": "/v2/user/me"}])
            await webhook(service, method, notice(app_id))
        mock_kakao.clear_faults()
        await webhook(service, method, notice(app_id))  # linked: a stale call, nothing deleted
    for fault in KAKAO_FAULTS:
        mock_kakao.set_faults([{**fault, "path": "/v1/user/unlink"}])
        await service.request("DELETE", "/users/me", authorization=f"Bearer {jwt}")
    mock_kakao.clear_faults()
    account = tokens.decode(jwt, service.running.settings)
    await service.request("DELETE", "/users/me")
    await service.request("DELETE", "/users/me", authorization="Bearer not.a.jwt")
    expired = _our_jwt(service, account, age=timedelta(days=1))
    await service.request("DELETE", "/users/me", authorization=f"Bearer {expired}")
    deleted = await service.request("DELETE", "/users/me", authorization=f"Bearer {jwt}")
    assert deleted.status == 204
    mock_kakao.reset()  # the person's fixed token again: it died with the unlink


EVENTS = "/auth/kakao/events"
SET = {"Content-Type": "application/secevent+jwt"}
#: where the fake's SETs go when a test only wants them signed (the discard port: refused)
NOWHERE = "http://127.0.0.1:9/events"


async def fresh_set(mock_kakao: Any, event: str = "account-purged") -> str:
    """A SET the fake signed (its delivery to NOWHERE fails; the token is in its record)."""
    mock_kakao.update_app(account_status_webhook_url=NOWHERE)
    answer = await asyncio.to_thread(mock_kakao.send_event, FULL_CONSENT_ID, event)
    return answer["delivery"]["token"]


async def post_event(service: CheckedService, token: str | bytes) -> Any:
    return await service.request("POST", EVENTS, data=token, headers=SET)


async def _reach_account_events(
    service: CheckedService, mock_kakao: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The account-status webhook: accepted, replayed, malformed, untrusted, a bug, and
    Kakao's JWKS unreachable in every way (a service that never fetched it, per fault)."""
    await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    token = await fresh_set(mock_kakao)
    await post_event(service, token)
    await post_event(service, token)
    await post_event(service, "not a set")
    await post_event(service, "a.b.c")
    await service.request("POST", EVENTS, data=token, headers={"Content-Type": "text/plain"})
    await post_event(service, b"x" * 65537)
    with monkeypatch.context() as patch:
        patch.setattr(stored_events, "seen", _bug)
        await post_event(service, await fresh_set(mock_kakao))
    token = await fresh_set(mock_kakao)
    for fault in KAKAO_FAULTS:
        mock_kakao.set_faults([{**fault, "path": "/.well-known/jwks.json"}])
        async with running_service(service.running.settings) as cold:
            await post_event(CheckedService(cold, service.contract, service.seen), token)
    mock_kakao.clear_faults()


def _bug(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("a bug")


async def _reach_everything_else(service: CheckedService) -> None:
    paths = ("/auth/kakao", "/auth/kakao/unlink", EVENTS, "/users/me", "/healthz", "/openapi.yaml")
    for path in (*paths, "/admin/accounts", "/admin/accounts/1"):
        await service.request("OPTIONS", path, headers={"Origin": "http://127.0.0.1:8002"})
        await service.request("OPTIONS", path, headers={"Origin": "http://elsewhere.example"})
        for method in ("GET", "POST", "DELETE", "OPTIONS"):
            await service.raw(method, path, http_request(method, path, HUGE_DECLARED_BODY))
    await service.request("GET", "/healthz")
    await service.raw("GET", "/openapi.yaml", http_request("GET", "/openapi.yaml", {}))
    await service.request("GET", "/nowhere")
    await service.request("PUT", "/users/me")


async def _reach_database_outage(service: CheckedService, jwt: str, token: str) -> None:
    admin = f"Bearer {ADMIN_TOKEN}"
    async with sqlite_folder_gone(service):
        for method, path in _ADMIN_OPERATIONS:
            await service.request(method, path, authorization=admin)
        await service.request("GET", "/healthz")
        await service.me(jwt)
        await service.look_up(FULL_CONSENT_TOKEN)
        await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
        await service.request("DELETE", "/users/me", authorization=f"Bearer {jwt}")
        for method in ("GET", "POST"):
            await webhook(service, method, notice(service.running.settings.kakao_app_id))
        await post_event(service, token)


async def _reach_bugs(service: CheckedService, jwt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """INTERNAL_ERROR needs a bug; each store call is made to raise one in turn."""

    def bug(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    for module, name in (
        (users, "look_up"),
        (users, "sign_up_or_log_in"),
        (users, "get_user"),
        (users, "get_user_by_kakao_id"),
        (db, "ping"),  # what /healthz's HealthProbe calls
        (users, "list_accounts"),
        (users, "delete_all_accounts"),
        (users, "delete_account"),  # last: Kakao has unlinked the person by then
    ):
        with monkeypatch.context() as patch:
            patch.setattr(module, name, bug)
            for method, path in _ADMIN_OPERATIONS:
                await service.request(method, path, authorization=f"Bearer {ADMIN_TOKEN}")
            await service.look_up(FULL_CONSENT_TOKEN)
            await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
            await service.me(jwt)
            await service.request("GET", "/healthz")
            for method in ("GET", "POST"):
                await webhook(service, method, notice(service.running.settings.kakao_app_id))
            if name in ("get_user", "delete_account"):  # else Kakao would unlink the person
                await service.request("DELETE", "/users/me", authorization=f"Bearer {jwt}")


async def test_every_documented_code_is_reached_and_conforms(
    service: CheckedService, mock_kakao: Any, contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _reach_kakao_outcomes(service, mock_kakao)
    await _reach_bad_bodies(service)
    await _reach_our_tokens(service)
    await _reach_id_token_outcomes(service, mock_kakao)
    await _reach_admin(service)
    await _reach_everything_else(service)
    await _reach_lifecycle(service, mock_kakao)
    await _reach_account_events(service, mock_kakao, monkeypatch)
    jwt = (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).body["token"]
    await _reach_database_outage(service, jwt, await fresh_set(mock_kakao, "user-linked"))
    await _reach_bugs(service, jwt, monkeypatch)

    reached = {(method, path, status, code) for method, path, status, code in service.seen}
    missing = contract.documented_codes() - reached
    assert not missing, f"documented but never reached: {sorted(missing)}"
    assert ("GET", "/nowhere", 404, "NOT_FOUND") in reached
    assert ("PUT", "/users/me", 405, "METHOD_NOT_ALLOWED") in reached
    print(f"\ncontract: {service.seen.total()} answers checked, {len(reached)} distinct outcomes")
