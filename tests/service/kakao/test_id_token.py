"""GET and POST /auth/kakao with Kakao id_tokens from the real fake Kakao, over real sockets.

The fake signs id_tokens with its own RSA keys and publishes them at its JWKS; the service is
pointed at it as it would be at kauth.kakao.com. Verification of each claim in isolation is in
test_id_token_verifier.py; here the whole path runs, and the fake's request log shows what the
service asked Kakao.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    RunningService,
    make_settings,
    running_service,
)

NO_EMAIL_ID = 4000000002
NONCE = "n-0S6_WzA2Mj"


def oidc_settings(mock_kakao: Any, **overrides: Any) -> dict[str, Any]:
    """The settings run_all gives the service: the fake's kauth, issuer and app key."""
    values = {
        "kakao_auth_url": mock_kakao.url,
        "kakao_issuer": mock_kakao.url,
        "kakao_app_keys": (mock_kakao.client_id,),
        "kakao_app_id": mock_kakao.app_id,
    }
    values.update(overrides)
    return values


@pytest.fixture
def service_overrides(mock_kakao: Any, request: pytest.FixtureRequest) -> dict[str, Any]:
    """run_all's settings, changed by a test marked with `changed(...)`."""
    return oidc_settings(mock_kakao, **getattr(request, "param", {}))


@pytest.fixture
async def sqlite_service(
    mock_kakao: Any, sqlite_url: str, service_overrides: dict[str, Any]
) -> AsyncIterator[RunningService]:
    settings = make_settings(mock_kakao.url, sqlite_url, **service_overrides)
    async with running_service(settings) as running:
        yield running


def changed(**changes: Any) -> Any:
    """Run a test with these settings changed from run_all's."""
    return pytest.mark.parametrize("service_overrides", [changes], indirect=True)


def id_token(mock_kakao: Any, user_id: int = FULL_CONSENT_ID, **fields: Any) -> str:
    fields.setdefault("nonce", NONCE)
    return mock_kakao.issue_token(user_id, scope="openid", **fields)["id_token"]


def kakao_calls(mock_kakao: Any) -> list[str]:
    return [f"{entry['method']} {entry['path']}" for entry in mock_kakao.requests()]


async def test_an_id_token_signs_up_and_logs_in_without_asking_kapi(
    service: RunningService, mock_kakao: Any
) -> None:
    token = id_token(mock_kakao)
    mock_kakao.clear_requests()

    looked_up = await service.look_up(token)
    assert looked_up.status == 200, looked_up.body
    assert looked_up.body["result"] == {
        "kakao_id": FULL_CONSENT_ID,
        "user_name": "김카카오",
        "email": "kim.kakao@example.com",
        "is_user": False,
        "email_verified": True,
        "missing_consents": [],
    }
    created = await service.sign_in(token, FULL_CONSENT_ID, email="kim.kakao@example.com")
    assert (created.status, created.message) == (201, "CREATE_ACCOUNT")
    again = await service.sign_in(token, FULL_CONSENT_ID)
    assert (again.status, again.message) == (200, "LOGIN_SUCCESS")
    assert (await service.look_up(token)).body["result"]["is_user"] is True
    me = await service.request("GET", "/users/me", authorization=f"Bearer {again.body['token']}")
    assert me.body["result"]["kakao_id"] == FULL_CONSENT_ID
    assert kakao_calls(mock_kakao) == ["GET /.well-known/jwks.json"]


async def test_raw_and_bearer_id_tokens_are_the_same(
    sqlite_service: RunningService, mock_kakao: Any
) -> None:
    token = id_token(mock_kakao)
    raw = await sqlite_service.request("GET", "/auth/kakao", authorization=token)
    assert raw.status == 200 and raw.body == (await sqlite_service.look_up(token)).body


async def test_without_email_consent_the_email_is_null_and_unverified(
    sqlite_service: RunningService, mock_kakao: Any
) -> None:
    result = (await sqlite_service.look_up(id_token(mock_kakao, NO_EMAIL_ID))).body["result"]
    assert (result["kakao_id"], result["email"], result["email_verified"]) == (
        NO_EMAIL_ID,
        None,
        False,
    )


async def test_the_body_is_bound_to_sub_and_to_the_nonce(
    sqlite_service: RunningService, mock_kakao: Any
) -> None:
    token = id_token(mock_kakao)
    forged = await sqlite_service.sign_in(token, NO_EMAIL_ID)
    assert (forged.status, forged.message) == (403, "KAKAO_ID_MISMATCH")

    def body(nonce: Any) -> dict[str, Any]:
        return {"kakao_id": FULL_CONSENT_ID, "user_name": "김", "email": None, "nonce": nonce}

    async def post(kakao_token: str, nonce: Any) -> tuple[int, str | None]:
        answer = await sqlite_service.request(
            "POST", "/auth/kakao", authorization=f"Bearer {kakao_token}", body=body(nonce)
        )
        return answer.status, answer.message

    assert await post(token, "another-nonce") == (403, "NONCE_MISMATCH")
    assert await post(FULL_CONSENT_TOKEN, NONCE) == (403, "NONCE_MISMATCH")
    assert await post(id_token(mock_kakao, nonce=None), NONCE) == (403, "NONCE_MISMATCH")
    for bad in ("", 42, ["n"], "x" * 256, "논스"):
        assert await post(token, bad) == (400, "INVALID_NONCE")
    assert await sqlite_service.user_count() == 0
    assert await post(token, NONCE) == (201, "CREATE_ACCOUNT")
    assert await post(token, None) == (200, "LOGIN_SUCCESS")


async def test_a_hundred_logins_fetch_the_keys_once_and_ask_kakao_nothing_else(
    sqlite_service: RunningService, mock_kakao: Any
) -> None:
    token = id_token(mock_kakao)
    mock_kakao.clear_requests()
    for index in range(50):
        assert (await sqlite_service.look_up(token)).status == 200
        expected = 201 if index == 0 else 200
        assert (await sqlite_service.sign_in(token, FULL_CONSENT_ID)).status == expected
    calls = kakao_calls(mock_kakao)
    print(f"\n100 id_token logins: {len(calls)} request(s) to the fake Kakao: {calls}")
    assert calls == ["GET /.well-known/jwks.json"]


async def test_logins_go_on_while_kapi_and_the_jwks_are_down(
    sqlite_service: RunningService, mock_kakao: Any
) -> None:
    token = id_token(mock_kakao)
    assert (await sqlite_service.look_up(token)).status == 200  # the keys are now cached
    mock_kakao.set_faults(
        [
            {"kind": "error", "status": 503, "code": -9798, "msg": "maintenance"},
            {"kind": "error", "status": 503, "path": "/.well-known/jwks.json"},
        ]
    )
    assert (await sqlite_service.look_up(token)).status == 200
    assert (await sqlite_service.sign_in(token, FULL_CONSENT_ID)).status == 201
    looked_up = await sqlite_service.look_up(FULL_CONSENT_TOKEN)
    assert (looked_up.status, looked_up.message) == (502, "KAKAO_UNAVAILABLE")
    signed_in = await sqlite_service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    assert (signed_in.status, signed_in.message) == (502, "KAKAO_UNAVAILABLE")


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"kind": "error", "status": 503}, "KAKAO_UNAVAILABLE"),
        ({"kind": "malformed"}, "INVALID_RESPONSE"),
        ({"kind": "drop"}, "KAKAO_UNAVAILABLE"),
    ],
)
async def test_with_no_keys_yet_a_jwks_outage_is_kakaos_error(
    sqlite_service: RunningService, mock_kakao: Any, fault: dict[str, Any], code: str
) -> None:
    token = id_token(mock_kakao)
    mock_kakao.set_faults([{**fault, "path": "/.well-known/jwks.json"}])
    answer = await sqlite_service.look_up(token)
    assert (answer.status, answer.message) == (502, code)


@changed(kakao_jwks_refetch_interval=0)
async def test_a_rotated_signing_key_is_fetched_and_the_old_one_still_verifies(
    sqlite_service: RunningService, mock_kakao: Any
) -> None:
    old = id_token(mock_kakao)
    assert (await sqlite_service.look_up(old)).status == 200
    new_kid = mock_kakao.rotate_keys(keep_old_seconds=3600)
    new = id_token(mock_kakao)
    assert jwt.get_unverified_header(new)["kid"] == new_kid
    mock_kakao.clear_requests()
    assert (await sqlite_service.look_up(new)).status == 200
    assert (await sqlite_service.look_up(old)).status == 200
    assert kakao_calls(mock_kakao) == ["GET /.well-known/jwks.json"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(NO_EMAIL_ID)
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _signed_by_another_key(token: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(token)["kid"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, other, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})


def _alg_none(token: str) -> str:
    payload = token.split(".")[1]
    kid = jwt.get_unverified_header(token)["kid"]
    none_header = _b64(json.dumps({"kid": kid, "typ": "JWT", "alg": "none"}).encode())
    return f"{none_header}.{payload}."


async def test_forged_and_stale_id_tokens_are_refused(
    sqlite_service: RunningService, mock_kakao: Any
) -> None:
    good = id_token(mock_kakao)
    cases = {
        "tampered payload": _tampered(good),
        "another RSA key under the fake's kid": _signed_by_another_key(good),
        "alg none": _alg_none(good),
        "expired": id_token(mock_kakao, expires_in=-3600),
        "huge": good + "A" * 10_000,
    }
    for name, token in cases.items():
        looked_up = await sqlite_service.look_up(token)
        assert (looked_up.status, looked_up.message) == (401, "INVALID_TOKEN"), name
        signed_in = await sqlite_service.sign_in(token, FULL_CONSENT_ID)
        assert (signed_in.status, signed_in.message) == (401, "INVALID_TOKEN"), name
    assert await sqlite_service.user_count() == 0


async def test_another_apps_id_token_is_refused_as_such(
    sqlite_service: RunningService, mock_kakao: Any
) -> None:
    token = id_token(mock_kakao, app_id=mock_kakao.app_id + 1)
    answer = await sqlite_service.look_up(token)
    assert (answer.status, answer.message) == (401, "TOKEN_FOR_ANOTHER_APP")


@changed(kakao_issuer="https://kauth.kakao.com")
async def test_an_id_token_from_another_issuer_is_refused(
    sqlite_service: RunningService, mock_kakao: Any
) -> None:
    answer = await sqlite_service.look_up(id_token(mock_kakao))
    assert (answer.status, answer.message) == (401, "INVALID_TOKEN")


@changed(kakao_app_keys=())
async def test_without_app_keys_an_id_token_is_refused_and_never_sent_to_kapi(
    sqlite_service: RunningService, mock_kakao: Any
) -> None:
    token = id_token(mock_kakao)
    mock_kakao.clear_requests()
    for answer in (
        await sqlite_service.look_up(token),
        await sqlite_service.sign_in(token, FULL_CONSENT_ID),
    ):
        assert (answer.status, answer.message) == (401, "ID_TOKEN_NOT_ACCEPTED")
    assert kakao_calls(mock_kakao) == []
    assert (await sqlite_service.look_up(FULL_CONSENT_TOKEN)).status == 200  # access tokens work


async def test_an_opaque_token_with_dots_is_an_access_token_asked_at_kapi(
    sqlite_service: RunningService, mock_kakao: Any
) -> None:
    mock_kakao.clear_requests()
    answer = await sqlite_service.look_up("opaque.access.token")
    assert (answer.status, answer.message) == (401, "INVALID_TOKEN")
    assert kakao_calls(mock_kakao) == ["GET /v2/user/me"]


async def test_unknown_kids_do_not_make_the_service_hammer_kakao(
    sqlite_service: RunningService, mock_kakao: Any
) -> None:
    good = id_token(mock_kakao)
    assert (await sqlite_service.look_up(good)).status == 200
    claims = jwt.decode(good, options={"verify_signature": False})
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    mock_kakao.clear_requests()
    for index in range(30):
        forged = jwt.encode(claims, other, algorithm="RS256", headers={"kid": f"forged-{index}"})
        assert (await sqlite_service.look_up(forged)).message == "INVALID_TOKEN"
    # The cache is seconds old: the default interval (10 s) allows no refetch yet.
    assert kakao_calls(mock_kakao) == []


async def test_an_id_token_without_the_email_claim_says_the_email_consent_is_missing(
    service: RunningService, mock_kakao: Any
) -> None:
    looked_up = await service.look_up(id_token(mock_kakao, NO_EMAIL_ID))
    assert looked_up.body["result"]["email"] is None
    assert looked_up.body["result"]["missing_consents"] == ["account_email"]
