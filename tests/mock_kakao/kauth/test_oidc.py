"""OpenID Connect on the fake, over real sockets: discovery, JWKS, id_tokens, tokeninfo,
userinfo, PKCE, the app's OIDC switch and key rotation. Tokens are verified the way a relying
party does it: PyJWT with a key set built from the fetched JWKS, audience and issuer pinned."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import jwt
import pytest

from mock_kakao.testing import MockKakao, MockKakaoError
from mock_kakao.world.pkce import s256
from mock_kakao.world.users import DEFAULT_THUMBNAIL_IMAGE_URL
from tests.mock_kakao.helpers import FULL_ID, bearer, exchange_code, pick_user


@pytest.fixture
def kakao(kakao: MockKakao) -> MockKakao:
    """The fake with the app's OpenID Connect switch on: these tests are about OIDC (a new
    Kakao app, and the fake's default app, have it off)."""
    kakao.set_oidc(True)
    return kakao


KAKAO_DISCOVERY_KEYS = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "token_endpoint_auth_methods_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "request_uri_parameter_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "code_challenge_methods_supported",
    "claims_supported",
]
CLAIM_ORDER = ["aud", "sub", "auth_time", "iss", "nickname", "exp", "iat", "picture", "nonce"]
CLAIM_ORDER += ["email"]  # Kakao's order, seen in every real token
VERIFIER = "dBjftJeZ4CVP-mJ92K9qhWi-3Nsl0MvJqkJFbuVd0WxLfx3O-Tz-t7"  # 54 unreserved chars


def segment(token: str, index: int) -> bytes:
    """One base64url part of a compact JWS, decoded, byte for byte."""
    part = token.split(".")[index]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


async def get_json(http, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.get(url, **kwargs) as response:
        return response.status, await response.json()


async def verify(http, kakao: MockKakao, token: str, **options: Any) -> dict[str, Any]:
    """The claims, checked as a relying party would: JWKS by kid, RS256, aud and iss."""
    _, document = await get_json(http, f"{kakao.url}/.well-known/openid-configuration")
    _, jwks = await get_json(http, document["jwks_uri"])
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=kakao.client_id,
        issuer=document["issuer"],
        **options,
    )


async def tokeninfo(http, kakao: MockKakao, **form: str) -> tuple[int, dict]:
    async with http.post(f"{kakao.url}/oauth/tokeninfo", data=form) as response:
        return response.status, await response.json()


async def refresh(http, kakao: MockKakao, refresh_token: str) -> dict:
    form = {
        "grant_type": "refresh_token",
        "client_id": kakao.client_id,
        "refresh_token": refresh_token,
    }
    async with http.post(f"{kakao.url}/oauth/token", data=form) as response:
        assert response.status == 200
        return await response.json()


# -- discovery and JWKS ---------------------------------------------------------------------


async def test_discovery_has_kakaos_fields_with_the_fakes_own_urls(http, kakao):
    status, document = await get_json(http, f"{kakao.url}/.well-known/openid-configuration")
    assert status == 200
    assert list(document) == KAKAO_DISCOVERY_KEYS
    assert document == {
        "issuer": kakao.url,
        "authorization_endpoint": f"{kakao.url}/oauth/authorize",
        "token_endpoint": f"{kakao.url}/oauth/token",
        "userinfo_endpoint": f"{kakao.url}/v1/oidc/userinfo",
        "jwks_uri": f"{kakao.url}/.well-known/jwks.json",
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "request_uri_parameter_supported": False,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            *["iss", "aud", "sub", "auth_time", "exp", "iat", "nonce", "nickname", "picture"],
            "email",
        ],
    }


async def test_discovery_urls_follow_the_name_the_client_used(http, kakao):
    port = kakao.url.rsplit(":", 1)[1]
    headers = {"Host": f"localhost:{port}"}
    _, document = await get_json(
        http, f"{kakao.url}/.well-known/openid-configuration", headers=headers
    )
    assert document["issuer"] == f"http://localhost:{port}"
    assert document["jwks_uri"] == f"http://localhost:{port}/.well-known/jwks.json"


async def test_a_pinned_issuer_names_kakao_while_urls_stay_on_the_fake(http):
    with MockKakao(issuer="https://kauth.kakao.com") as kakao:
        _, document = await get_json(http, f"{kakao.url}/.well-known/openid-configuration")
        assert document["issuer"] == "https://kauth.kakao.com"
        assert document["jwks_uri"] == f"{kakao.url}/.well-known/jwks.json"
        token = kakao.issue_token(FULL_ID, scope="openid")["id_token"]
        claims = await verify(http, kakao, token)
    assert claims["iss"] == "https://kauth.kakao.com"


async def test_jwks_lists_rsa_keys_in_kakaos_shape(http, kakao):
    status, jwks = await get_json(http, f"{kakao.url}/.well-known/jwks.json")
    assert status == 200
    [key] = jwks["keys"]
    assert list(key) == ["kid", "kty", "alg", "use", "n", "e"]
    assert re.fullmatch(r"[0-9a-f]{30}", key["kid"])
    assert (key["kty"], key["alg"], key["use"], key["e"]) == ("RSA", "RS256", "sig", "AQAB")
    assert jwt.PyJWK(key).key.key_size == 2048
    assert [k["kid"] for k in kakao.signing_keys()] == [key["kid"]]


# -- the id_token ---------------------------------------------------------------------------


async def test_admin_issued_id_token_is_kakaos_shape_and_verifies_with_the_jwks(http, kakao):
    answer = kakao.issue_token(FULL_ID, scope="openid", nonce="n-0S6_WzA2Mj")
    token = answer["id_token"]
    kid = kakao.signing_keys()[0]["kid"]
    assert segment(token, 0) == f'{{"kid":"{kid}","typ":"JWT","alg":"RS256"}}'.encode()
    payload = json.loads(segment(token, 1))
    assert list(payload) == CLAIM_ORDER
    assert payload["picture"] == DEFAULT_THUMBNAIL_IMAGE_URL  # no picture of their own
    assert b": " not in segment(token, 1)  # compact JSON, as Kakao's

    claims = await verify(http, kakao, token)
    assert claims["aud"] == kakao.client_id
    assert claims["sub"] == str(FULL_ID)
    assert claims["iss"] == kakao.url
    assert claims["nickname"] == "김카카오"
    assert claims["email"] == "kim.kakao@example.com"
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["auth_time"] == claims["iat"]
    assert claims["exp"] - claims["iat"] == answer["expires_in"] == 21599


async def test_a_token_of_another_app_names_that_apps_key_as_aud(http, kakao):
    token = kakao.issue_token(FULL_ID, app_id=999, scope="openid")["id_token"]
    with pytest.raises(jwt.InvalidAudienceError):
        await verify(http, kakao, token)
    assert json.loads(segment(token, 1))["aud"] == "mock-rest-api-key-of-app-999"


async def test_no_id_token_unless_asked_for_from_the_admin_api(kakao):
    assert "id_token" not in kakao.issue_token(FULL_ID)


@pytest.mark.parametrize(
    ("user_id", "nickname", "email"),
    [
        (4000000002, True, False),  # email not consented
        (4000000003, True, False),  # email not valid
        (4000000004, True, False),  # email valid but not verified
        (4000000006, False, True),  # nickname not consented
    ],
)
async def test_claims_follow_consent_and_email_needs_valid_and_verified(
    http, kakao, user_id, nickname, email
):
    claims = await verify(http, kakao, kakao.issue_token(user_id, scope="openid")["id_token"])
    assert ("nickname" in claims) is nickname
    assert ("email" in claims) is email
    assert "nonce" not in claims


async def test_picture_claim_and_full_claim_order(http, kakao):
    kakao.add_user(7, nickname="일곱", email="7@example.com", profile_image_url="http://img/7.jpg")
    token = kakao.issue_token(7, scope="openid", nonce="n")["id_token"]
    payload = json.loads(segment(token, 1))
    assert list(payload) == CLAIM_ORDER
    assert payload["picture"] == "http://img/7.jpg"


async def test_an_expired_access_token_gets_an_expired_id_token(http, kakao):
    token = kakao.issue_token(FULL_ID, expires_in=0, scope="openid")["id_token"]
    with pytest.raises(jwt.ExpiredSignatureError):
        await verify(http, kakao, token)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"scope": "profile_nickname"}, "INVALID_FIELD"),
        ({"scope": 1}, "INVALID_FIELD"),
        ({"nonce": "n"}, "INVALID_FIELD"),  # a nonce without scope openid
        ({"scope": "openid", "nonce": ""}, "INVALID_FIELD"),
        ({"scope": "openid", "nonce": "x" * 513}, "INVALID_FIELD"),
        ({"scope": "openid", "nonse": "n"}, "UNKNOWN_FIELD"),
    ],
)
async def test_admin_token_request_refuses_bad_openid_fields(kakao, body, code):
    with pytest.raises(MockKakaoError) as caught:
        kakao._admin("POST", f"/_mock/users/{FULL_ID}/tokens", body)
    assert (caught.value.status, caught.value.error) == (400, code)


# -- the redirect flow, PKCE and refresh ----------------------------------------------------


async def test_redirect_flow_with_openid_nonce_and_pkce_then_refresh(http, kakao):
    redirect = await pick_user(
        http,
        kakao,
        FULL_ID,
        scope="openid",
        nonce="nonce-42",
        code_challenge=s256(VERIFIER),
        code_challenge_method="S256",
    )
    status, tokens = await exchange_code(
        http, kakao, redirect.query["code"], code_verifier=VERIFIER
    )
    assert status == 200, tokens
    assert tokens["scope"].split() == ["profile_nickname", "account_email", "openid"]
    claims = await verify(http, kakao, tokens["id_token"])
    assert claims["nonce"] == "nonce-42"
    assert claims["aud"] == kakao.client_id and claims["sub"] == str(FULL_ID)
    assert claims["exp"] - claims["iat"] == tokens["expires_in"]

    kakao.advance_clock(60)
    refreshed = await refresh(http, kakao, tokens["refresh_token"])
    again = await verify(http, kakao, refreshed["id_token"], leeway=120)
    assert again["iat"] >= claims["iat"] + 60
    assert again["auth_time"] == claims["auth_time"]  # the login did not happen again
    assert "nonce" not in again


async def test_app_with_oidc_on_gives_an_id_token_without_openid_in_scope(http, kakao):
    redirect = await pick_user(http, kakao, FULL_ID, consent=("nickname",))
    _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert tokens["scope"] == "profile_nickname"
    claims = await verify(http, kakao, tokens["id_token"])
    assert "email" not in claims and claims["nickname"] == "김카카오"


@pytest.mark.parametrize("scope", [None, "openid", "openid,account_email"])
async def test_app_with_oidc_off_gives_no_id_token_whatever_the_scope(http, kakao, scope):
    """Issue 20 rule 2: Kakao's prerequisite page and devtalk 121888 (kakao-api.md, "When
    id_token is returned", corrected in round 3)."""
    kakao.set_oidc(False)
    redirect = await pick_user(http, kakao, FULL_ID, **({"scope": scope} if scope else {}))
    _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert tokens["access_token"] and "id_token" not in tokens
    assert "openid" not in tokens["scope"].split()
    assert "id_token" not in await refresh(http, kakao, tokens["refresh_token"])


async def test_the_default_app_has_oidc_off_as_a_new_kakao_app(http, kakao):
    kakao.reset()  # the switch goes back to the users file's (default: off)
    assert kakao.app()["oidc"] is False
    redirect = await pick_user(http, kakao, FULL_ID, scope="openid")
    _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert "id_token" not in tokens


async def test_users_file_app_section_turns_oidc_on(http, tmp_path):
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"app": {"oidc": True}, "users": [{"id": 5}]}))
    with MockKakao(users_file=users) as kakao:
        redirect = await pick_user(http, kakao, 5)
        _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert tokens["id_token"]


async def test_users_file_app_section_turns_oidc_off(http, tmp_path):
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"app": {"oidc": False}, "users": [{"id": 5}]}))
    with MockKakao(users_file=users) as kakao:
        redirect = await pick_user(http, kakao, 5)
        _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert "id_token" not in tokens and tokens["access_token"]


def test_users_file_app_section_is_checked(tmp_path):
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"app": {"oidc": "no"}, "users": []}))
    with pytest.raises(ValueError, match="oidc must be true or false"):
        MockKakao(users_file=users)


@pytest.mark.parametrize(
    ("challenge", "method", "verifier", "description"),
    [
        (s256(VERIFIER), "S256", "x" * 43, "does not match"),
        (s256(VERIFIER), "S256", None, "code_verifier is required"),
        (s256(VERIFIER), "S256", "short", "43 to 128"),
        (VERIFIER, "plain", VERIFIER, "must be S256"),
        (s256(VERIFIER), None, VERIFIER, "must be S256"),
    ],
)
async def test_pkce_refusals_are_invalid_grant_koe320_and_use_the_code_up(
    http, kakao, challenge, method, verifier, description
):
    params = {"code_challenge": challenge}
    if method:
        params["code_challenge_method"] = method
    redirect = await pick_user(http, kakao, FULL_ID, **params)
    code = redirect.query["code"]
    more = {"code_verifier": verifier} if verifier else {}
    status, body = await exchange_code(http, kakao, code, **more)
    assert status == 400
    assert (body["error"], body["error_code"]) == ("invalid_grant", "KOE320")
    assert description in body["error_description"]
    status, body = await exchange_code(http, kakao, code, code_verifier=VERIFIER)
    assert (status, body["error_code"]) == (400, "KOE320")  # no second guess


# -- tokeninfo and userinfo -----------------------------------------------------------------


async def test_tokeninfo_answers_the_claims_of_a_good_id_token(http, kakao):
    token = kakao.issue_token(FULL_ID, scope="openid", nonce="n1")["id_token"]
    status, claims = await tokeninfo(http, kakao, id_token=token)
    assert status == 200
    assert claims == json.loads(segment(token, 1))


def tampered(token: str) -> str:
    header, _, signature = token.split(".")
    claims = json.loads(segment(token, 1))
    claims["sub"] = "1"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "make", [lambda t: "not-a-jwt", tampered, lambda t: t[:-4] + "AAAA", lambda t: t + "x" * 9000]
)
async def test_tokeninfo_refuses_bad_tokens_with_koe400(http, kakao, make):
    token = kakao.issue_token(FULL_ID, scope="openid")["id_token"]
    status, body = await tokeninfo(http, kakao, id_token=make(token))
    assert status == 400
    assert list(body) == ["error", "error_description", "error_code"]
    assert (body["error"], body["error_code"]) == ("invalid_token", "KOE400")


async def test_tokeninfo_refuses_missing_and_expired_tokens(http, kakao):
    status, body = await tokeninfo(http, kakao)
    assert (status, body["error_code"], body["error_description"]) == (
        400,
        "KOE400",
        "id_token is required",
    )
    token = kakao.issue_token(FULL_ID, scope="openid")["id_token"]
    kakao.advance_clock(21600)
    status, body = await tokeninfo(http, kakao, id_token=token)
    assert (status, body["error_code"], body["error_description"]) == (
        400,
        "KOE400",
        "id_token expired",
    )


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (
            "mock-token-full-consent",
            {
                "sub": "4000000001",
                "nickname": "김카카오",
                "picture": DEFAULT_THUMBNAIL_IMAGE_URL,  # Kakao's default picture
                "email": "kim.kakao@example.com",
                "email_verified": True,
            },
        ),
        (
            "mock-token-no-email",
            {"sub": "4000000002", "nickname": "이서연", "picture": DEFAULT_THUMBNAIL_IMAGE_URL},
        ),
        (
            "mock-token-unverified-email",
            {
                "sub": "4000000004",
                "nickname": "최지우",
                "picture": DEFAULT_THUMBNAIL_IMAGE_URL,
                "email": "choi.jiwoo@example.com",
                "email_verified": False,
            },
        ),
        (
            "mock-token-no-nickname",
            {
                "sub": "4000000006",
                "picture": DEFAULT_THUMBNAIL_IMAGE_URL,
                "email": "kang.doyun@example.com",
                "email_verified": True,
            },
        ),
    ],
)
async def test_userinfo_follows_consent(http, kakao, token, expected):
    status, body = await get_json(http, f"{kakao.url}/v1/oidc/userinfo", headers=bearer(token))
    assert status == 200
    assert body == expected


async def test_userinfo_errors_are_kapis(http, kakao):
    url = f"{kakao.url}/v1/oidc/userinfo"
    assert await get_json(http, url, headers=bearer("nope")) == (
        401,
        {"msg": "this access token does not exist", "code": -401},
    )
    assert await get_json(http, url, headers=bearer("mock-token-expired")) == (
        401,
        {"msg": "this access token is already expired", "code": -401},
    )
    assert (await get_json(http, url))[0] == 401


# -- key rotation ---------------------------------------------------------------------------


async def test_rotation_keeps_the_old_key_published_for_a_while(http, kakao):
    old_kid = kakao.signing_keys()[0]["kid"]
    before = kakao.issue_token(FULL_ID, scope="openid")["id_token"]

    new_kid = kakao.rotate_keys(keep_old_seconds=600)
    assert new_kid != old_kid and re.fullmatch(r"[0-9a-f]{30}", new_kid)
    _, jwks = await get_json(http, f"{kakao.url}/.well-known/jwks.json")
    assert [k["kid"] for k in jwks["keys"]] == [new_kid, old_kid]
    listed = kakao.signing_keys()
    assert [(k["kid"], k["current"]) for k in listed] == [(new_kid, True), (old_kid, False)]
    assert "private_key" not in json.dumps(listed)
    assert (await verify(http, kakao, before))["sub"] == str(FULL_ID)

    after = kakao.issue_token(FULL_ID, scope="openid")["id_token"]
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert (await verify(http, kakao, after))["sub"] == str(FULL_ID)

    kakao.advance_clock(601)
    _, jwks = await get_json(http, f"{kakao.url}/.well-known/jwks.json")
    assert [k["kid"] for k in jwks["keys"]] == [new_kid]
    status, body = await tokeninfo(http, kakao, id_token=before)
    assert (status, body["error_code"]) == (400, "KOE400")


async def test_reset_keeps_the_signing_key_and_drops_replaced_ones(kakao):
    kakao.rotate_keys(keep_old_seconds=10**6)
    current = kakao.signing_keys()[0]["kid"]
    kakao.reset()
    assert [k["kid"] for k in kakao.signing_keys()] == [current]


@pytest.mark.parametrize("body", [{"keep_old_seconds": -1}, {"keep_old_seconds": "1"}, {"x": 1}])
async def test_rotate_refuses_bad_bodies(kakao, body):
    with pytest.raises(MockKakaoError) as caught:
        kakao._admin("POST", "/_mock/keys/rotate", body)
    assert caught.value.status == 400


# -- faults on the new paths ----------------------------------------------------------------


async def test_jwks_down_answers_kauths_error_shape(http, kakao):
    kakao.add_fault("error", path="/.well-known/jwks.json", status=503, msg="down", times=1)
    status, body = await get_json(http, f"{kakao.url}/.well-known/jwks.json")
    assert status == 503
    assert body == {"error": "server_error", "error_description": "down", "error_code": "KOE003"}
    assert (await get_json(http, f"{kakao.url}/.well-known/jwks.json"))[0] == 200


async def test_jwks_malformed_and_slow(http, kakao):
    kakao.add_fault("malformed", path="/.well-known/jwks.json", times=1)
    kakao.add_fault("latency", path="/.well-known/jwks.json", latency_ms=50, times=1)
    async with http.get(f"{kakao.url}/.well-known/jwks.json") as response:
        assert response.status == 200
        with pytest.raises(ValueError):
            json.loads(await response.text())
    [entry] = [r for r in kakao.requests() if r["path"] == "/.well-known/jwks.json"]
    assert entry["fault"] == "malformed"
    assert (await get_json(http, f"{kakao.url}/.well-known/jwks.json"))[0] == 200


async def test_faults_reach_discovery_tokeninfo_and_userinfo(http, kakao):
    for path in ("/.well-known/openid-configuration", "/oauth/tokeninfo", "/v1/oidc/userinfo"):
        kakao.add_fault("error", path=path, status=500, times=1)
    assert (await get_json(http, f"{kakao.url}/.well-known/openid-configuration"))[0] == 500
    assert (await tokeninfo(http, kakao, id_token="x"))[0] == 500
    userinfo = f"{kakao.url}/v1/oidc/userinfo"
    assert await get_json(http, userinfo, headers=bearer("mock-token-full-consent")) == (
        500,
        {"msg": "internal error", "code": -1},
    )
