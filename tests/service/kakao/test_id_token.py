"""GET and POST /auth/kakao with Kakao id_tokens from the real fake Kakao, over real sockets.

The fake signs id_tokens with its own RSA keys and publishes them at its JWKS; the service is
pointed at it as it would be at kauth.kakao.com. Verification of each claim in isolation is in
test_id_token_verifier.py; here the whole path runs, and the fake's request log shows what the
service asked Kakao.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mock_kakao.testing import MockKakao
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
        "missing_service_terms": [],
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
    # with KAKAO_APP_ID set (as run_all sets it), a lookup also asks the token's app
    assert sorted(kakao_calls(mock_kakao)) == ["GET /v1/user/access_token_info", "GET /v2/user/me"]


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


# -- id_tokens only Kakao's key could have signed, shaped as Kakao never issues them ----------
# The fake's own key (read from the key file it keeps) signs them, so the signature, kid, iss
# and times all hold and only the shape under test is wrong; the service fetches the fake's
# JWKS over HTTP as it would Kakao's.


@pytest.fixture(scope="module")
def keyed_kakao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockKakao]:
    """A fake Kakao whose signing key is in a file the test can read."""
    keys_file = tmp_path_factory.mktemp("kakao-keys") / "keys.json"
    with MockKakao(keys_file=keys_file) as kakao:
        yield kakao


@pytest.fixture
async def keyed_service(keyed_kakao: MockKakao, sqlite_url: str) -> AsyncIterator[RunningService]:
    keyed_kakao.reset()
    settings = make_settings(keyed_kakao.url, sqlite_url, **oidc_settings(keyed_kakao))
    async with running_service(settings) as running:
        yield running


def _fake_signing_key(kakao: MockKakao) -> tuple[str, rsa.RSAPrivateKey]:
    """The fake's current kid and private key, from its key file (never from its API)."""
    document = json.loads(Path(kakao.app()["keys_file"]).read_text())
    current = document["keys"][0]
    key = serialization.load_pem_private_key(current["private_key"].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return current["kid"], key


def _signed_by_the_fake(kakao: MockKakao, header_json: str, payload_json: str) -> str:
    """A compact JWS of exactly these header and payload bytes, by the fake's key."""
    _, key = _fake_signing_key(kakao)
    signing_input = f"{_b64(header_json.encode())}.{_b64(payload_json.encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _fake_claims(kakao: MockKakao) -> dict[str, Any]:
    return jwt.decode(id_token(kakao), options={"verify_signature": False})


def _header(kakao: MockKakao) -> dict[str, Any]:
    return {"kid": _fake_signing_key(kakao)[0], "typ": "JWT", "alg": "RS256"}


def _with_claims(kakao: MockKakao, **changes: Any) -> str:
    claims = {**_fake_claims(kakao), **changes}
    claims = {name: value for name, value in claims.items() if value is not None}
    return _signed_by_the_fake(kakao, json.dumps(_header(kakao)), json.dumps(claims))


async def _refused_both_ways(service: RunningService, token: str) -> tuple[int, str | None]:
    """GET's answer, after checking that POST answers the same and nothing was stored."""
    looked_up = await service.look_up(token)
    signed_in = await service.sign_in(token, FULL_CONSENT_ID)
    assert (signed_in.status, signed_in.message) == (looked_up.status, looked_up.message)
    assert await service.user_count() == 0
    return looked_up.status, looked_up.message


async def test_an_id_token_re_signed_by_the_fakes_key_is_accepted(
    keyed_service: RunningService, keyed_kakao: MockKakao
) -> None:
    # the control: the shape is the only thing the tests below change
    token = _with_claims(keyed_kakao)
    assert (await keyed_service.look_up(token)).status == 200
    ours = keyed_kakao.client_id
    listed = _with_claims(keyed_kakao, aud=[ours])
    assert (await keyed_service.look_up(listed)).status == 200
    with_azp = _with_claims(keyed_kakao, aud=[ours, ours], azp=ours)
    assert (await keyed_service.sign_in(with_azp, FULL_CONSENT_ID)).status == 201


@pytest.mark.parametrize(
    ("aud", "azp", "code"),
    [
        # issue 19 item 1: the example, in both orders, with and without azp
        (["someone-else", "OURS"], None, "TOKEN_FOR_ANOTHER_APP"),
        (["OURS", "someone-else"], None, "TOKEN_FOR_ANOTHER_APP"),
        (["someone-else", "OURS"], "OURS", "TOKEN_FOR_ANOTHER_APP"),
        (["OURS", "someone-else"], "someone-else", "TOKEN_FOR_ANOTHER_APP"),
        # our key alone, but authorized for another party
        ("OURS", "someone-else", "TOKEN_FOR_ANOTHER_APP"),
        (["OURS", "OURS"], "someone-else", "TOKEN_FOR_ANOTHER_APP"),
        # several audiences must name the authorized party (OIDC Core 3.1.3.7)
        (["OURS", "OURS"], None, "INVALID_TOKEN"),
        # shapes that are no audience at all
        ([], None, "INVALID_TOKEN"),
        ([["OURS"]], None, "INVALID_TOKEN"),
        (["OURS", 7], None, "INVALID_TOKEN"),
        ({"aud": "OURS"}, None, "INVALID_TOKEN"),
        ("OURS", 7, "INVALID_TOKEN"),
    ],
)
async def test_an_audience_of_others_or_of_no_shape_is_refused(
    keyed_service: RunningService, keyed_kakao: MockKakao, aud: Any, azp: Any, code: str
) -> None:
    ours = keyed_kakao.client_id

    def swapped(value: Any) -> Any:
        if isinstance(value, list):
            return [swapped(item) for item in value]
        return ours if value == "OURS" else value

    token = _with_claims(keyed_kakao, aud=swapped(aud), azp=swapped(azp))
    assert await _refused_both_ways(keyed_service, token) == (401, code)


def _duplicated(document: dict[str, Any], name: str, first: Any) -> str:
    """`document` as JSON with `name` given twice: `first`, then its real value."""
    body = json.dumps(document)[1:-1]
    return "{" + f"{json.dumps(name)}: {json.dumps(first)}, " + body + "}"


@pytest.mark.parametrize(
    "case",
    ["sub twice", "aud twice", "exp twice", "kid twice", "alg twice", "nested duplicate"],
)
async def test_a_member_given_twice_in_the_header_or_payload_is_refused(
    keyed_service: RunningService, keyed_kakao: MockKakao, case: str
) -> None:
    # issue 19 item 2: a parser that keeps the first `sub` would see another person than ours
    claims, header = _fake_claims(keyed_kakao), _header(keyed_kakao)
    header_json, payload_json = json.dumps(header), json.dumps(claims)
    if case == "sub twice":
        payload_json = _duplicated(claims, "sub", "1")
    elif case == "aud twice":
        payload_json = _duplicated(claims, "aud", "someone-else")
    elif case == "exp twice":
        payload_json = _duplicated(claims, "exp", 1)
    elif case == "kid twice":
        header_json = _duplicated(header, "kid", "another-kid")
    elif case == "alg twice":
        header_json = _duplicated(header, "alg", "none")
    else:
        payload_json = json.dumps({**claims, "extra": {"a": 1}}).replace(
            '"extra": {"a": 1}', '"extra": {"a": 1, "a": 2}'
        )
    token = _signed_by_the_fake(keyed_kakao, header_json, payload_json)
    assert await _refused_both_ways(keyed_service, token) == (401, "INVALID_TOKEN")
