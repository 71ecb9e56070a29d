"""service.kakao.idtoken on its own: the claims it trusts and the key cache's fetch discipline.

The keys here are real RSA keys made for the test and served as a JWKS document by a plain
function, so each claim can be set to exactly the wrong value; the same checks against the fake
Kakao's real keys and id_tokens, over HTTP, are in test_id_token.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt.algorithms import RSAAlgorithm

from service.errors import ApiError
from service.kakao.idtoken import (
    IdTokenVerifier,
    KakaoKeys,
    looks_like_id_token,
    parse_jwks,
)

ISSUER = "https://kauth.kakao.com"
APP_KEY = "test-rest-api-key"
KID = "3f96980381e451efad0d2ddd30e3d3"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY = rsa_key()
OTHER_KEY = rsa_key()


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return {"kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig", "n": public["n"], "e": "AQAB"}


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    values = {
        "aud": APP_KEY,
        "sub": "4000000001",
        "auth_time": now,
        "iss": ISSUER,
        "nickname": "김카카오",
        "exp": now + 21600,
        "iat": now,
        "nonce": "n-0S6_WzA2Mj",
        "email": "kakao@example.com",
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def sign(payload: dict[str, Any], key: rsa.RSAPrivateKey = KEY, kid: str = KID) -> str:
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A token assembled by hand: the attacks below are tokens no JOSE library would make."""
    return (
        f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}.{b64(signature)}"
    )


class Jwks:
    """A JWKS source that counts its fetches and can fail."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.document: dict[str, Any] = {"keys": list(keys)}
        self.calls = 0
        self.error: ApiError | None = None

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.document


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier(
    jwks: Jwks, *, audiences: tuple[str, ...] = (APP_KEY,), clock: Clock | None = None
) -> IdTokenVerifier:
    keys = KakaoKeys(jwks, refetch_interval=10, max_age=3600, clock=clock or Clock())
    return IdTokenVerifier(keys, issuer=ISSUER, audiences=audiences)


async def code_of(verifier: IdTokenVerifier, token: str) -> str:
    with pytest.raises(ApiError) as raised:
        await verifier.verify(token)
    return raised.value.code


async def test_a_good_token_gives_its_claims() -> None:
    verified = await verifier(Jwks(jwk(KEY, KID))).verify(sign(claims()))
    assert (verified.kakao_id, verified.nickname, verified.email) == (
        4000000001,
        "김카카오",
        "kakao@example.com",
    )
    assert verified.nonce_matches("n-0S6_WzA2Mj") and not verified.nonce_matches("other")
    profile = verified.profile()
    assert profile.email_verified is True and profile.user_name == "김카카오"


async def test_without_email_the_profile_is_not_verified() -> None:
    verified = await verifier(Jwks(jwk(KEY, KID))).verify(sign(claims(email=None, nonce=None)))
    assert verified.email is None and verified.profile().email_verified is False
    assert not verified.nonce_matches("n-0S6_WzA2Mj")


HS256_WITH_PUBLIC_KEY = "HS256 signed with the RSA public key"


def attack(name: str) -> str:
    """The token for one attack on the verifier."""
    good = claims()
    if name == "alg none":
        return unsigned({"alg": "none", "typ": "JWT", "kid": KID}, good)
    if name == HS256_WITH_PUBLIC_KEY:
        pem = KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode())
        body = b64(json.dumps(good).encode())
        mac = hmac.new(pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
        return f"{header}.{body}.{b64(mac)}"
    if name == "another RSA key under a known kid":
        return sign(good, key=OTHER_KEY)
    if name == "unknown kid":
        return sign(good, kid="0" * 30)
    if name == "no kid":
        return jwt.encode(good, KEY, algorithm="RS256")
    if name == "expired":
        return sign(claims(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200))
    if name == "issued in the future":
        return sign(claims(iat=int(time.time()) + 3600))
    if name == "wrong iss":
        return sign(claims(iss="https://kauth.example.com"))
    if name == "tampered payload":
        header, _, signature = sign(good).split(".")
        forged = b64(json.dumps(claims(sub="4000000002")).encode())
        return f"{header}.{forged}.{signature}"
    if name == "non-integer sub":
        return sign(claims(sub="kakao-4000000001"))
    if name == "sub with a leading zero":
        return sign(claims(sub="04000000001"))
    if name == "sub out of range":
        return sign(claims(sub=str(2**64)))
    if name == "sub as a number":
        return sign(claims(sub=4000000001))
    if name == "exp as a string":
        return sign(claims(exp=str(int(time.time()) + 3600)))
    if name == "nickname not a string":
        return sign(claims(nickname=["김카카오"]))
    if name == "missing exp":
        return sign(claims(exp=None))
    if name == "huge token":
        return sign(claims(nickname="가" * 10_000))
    raise AssertionError(name)


ATTACKS = [
    "alg none",
    HS256_WITH_PUBLIC_KEY,
    "another RSA key under a known kid",
    "unknown kid",
    "no kid",
    "expired",
    "issued in the future",
    "wrong iss",
    "tampered payload",
    "non-integer sub",
    "sub with a leading zero",
    "sub out of range",
    "sub as a number",
    "exp as a string",
    "nickname not a string",
    "missing exp",
    "huge token",
]


@pytest.mark.parametrize("name", ATTACKS)
async def test_attacks_are_invalid_tokens(name: str) -> None:
    assert await code_of(verifier(Jwks(jwk(KEY, KID))), attack(name)) == "INVALID_TOKEN"


async def test_another_apps_token_is_refused_as_such() -> None:
    token = sign(claims(aud="someone-elses-app-key"))
    assert await code_of(verifier(Jwks(jwk(KEY, KID))), token) == "TOKEN_FOR_ANOTHER_APP"


async def test_any_of_our_app_keys_is_a_good_audience() -> None:
    verify = verifier(Jwks(jwk(KEY, KID)), audiences=("rest-key", APP_KEY)).verify
    assert (await verify(sign(claims()))).kakao_id == 4000000001


async def test_without_app_keys_no_id_token_is_accepted_and_no_key_is_fetched() -> None:
    jwks = Jwks(jwk(KEY, KID))
    assert await code_of(verifier(jwks, audiences=()), sign(claims())) == "ID_TOKEN_NOT_ACCEPTED"
    assert jwks.calls == 0


async def test_keys_are_fetched_once_for_many_tokens() -> None:
    jwks = Jwks(jwk(KEY, KID))
    verify = verifier(jwks).verify
    for index in range(50):
        await verify(sign(claims(sub=str(4000000001 + index))))
    assert jwks.calls == 1


async def test_unknown_kids_refetch_at_most_once_per_interval() -> None:
    jwks, clock = Jwks(jwk(KEY, KID)), Clock()
    check = verifier(jwks, clock=clock)
    await check.verify(sign(claims()))
    for index in range(20):
        assert await code_of(check, sign(claims(), kid=f"forged-{index}")) == "INVALID_TOKEN"
    assert jwks.calls == 1  # the forged kids came within the interval of the first fetch
    clock.now += 11
    assert await code_of(check, sign(claims(), kid="forged-late")) == "INVALID_TOKEN"
    assert jwks.calls == 2


async def test_a_rotated_key_is_picked_up_by_one_refetch() -> None:
    jwks, clock = Jwks(jwk(KEY, KID)), Clock()
    check = verifier(jwks, clock=clock)
    await check.verify(sign(claims()))
    jwks.document["keys"].append(jwk(OTHER_KEY, "new-kid"))
    clock.now += 11
    assert (await check.verify(sign(claims(), key=OTHER_KEY, kid="new-kid"))).kakao_id
    assert (await check.verify(sign(claims()))).kakao_id  # the old key is still published
    assert jwks.calls == 2


async def test_the_last_good_keys_keep_working_while_the_jwks_is_down() -> None:
    jwks, clock = Jwks(jwk(KEY, KID)), Clock()
    check = verifier(jwks, clock=clock)
    await check.verify(sign(claims()))
    jwks.error = ApiError("KAKAO_UNAVAILABLE")
    clock.now += 7200  # past max_age: a refetch is due, and fails
    assert (await check.verify(sign(claims()))).kakao_id == 4000000001
    assert jwks.calls == 2


@pytest.mark.parametrize("error", ["KAKAO_UNAVAILABLE", "KAKAO_TIMEOUT", "INVALID_RESPONSE"])
async def test_with_no_keys_ever_fetched_kakaos_trouble_is_the_answer(error: str) -> None:
    jwks = Jwks(jwk(KEY, KID))
    jwks.error = ApiError(error)
    assert await code_of(verifier(jwks), sign(claims())) == error


async def test_concurrent_first_logins_share_one_fetch() -> None:
    jwks = Jwks(jwk(KEY, KID))
    verify = verifier(jwks).verify
    results = await asyncio.gather(*(verify(sign(claims())) for _ in range(20)))
    assert {result.kakao_id for result in results} == {4000000001}
    assert jwks.calls == 1


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"keys": "no"},
        {"keys": []},
        {"keys": [{"kid": KID, "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]},
        {"keys": [{"kid": KID, "kty": "RSA", "n": "not base64!", "e": "AQAB"}]},
        {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]},
    ],
)
def test_a_jwks_without_usable_keys_is_an_invalid_response(document: dict[str, Any]) -> None:
    with pytest.raises(ApiError) as raised:
        parse_jwks(document)
    assert raised.value.code == "INVALID_RESPONSE"


def test_unusable_entries_are_skipped_beside_good_ones() -> None:
    keys = parse_jwks({"keys": [{"kid": "x", "kty": "oct", "k": "AA"}, jwk(KEY, KID)]})
    assert list(keys) == [KID]


@pytest.mark.parametrize(
    ("token", "is_jwt"),
    [
        (sign(claims()), True),
        (unsigned({"alg": "none"}, {}), True),
        ("mock-token-full-consent", False),
        ("opaque.access.token", False),  # dots, but no JSON header: an access token
        ("a.b", False),
        ("a.b.c.d", False),
        (b64(b'{"typ":"JWT"}') + ".e30.", False),  # a JSON header without alg
        ("", False),
    ],
)
def test_id_tokens_are_told_from_access_tokens_by_shape(token: str, is_jwt: bool) -> None:
    assert looks_like_id_token(token) is is_jwt


@pytest.mark.parametrize(
    ("aud", "azp", "code"),
    [
        (["someone-elses-app-key", APP_KEY], None, "TOKEN_FOR_ANOTHER_APP"),
        ([APP_KEY, "someone-elses-app-key"], APP_KEY, "TOKEN_FOR_ANOTHER_APP"),
        (APP_KEY, "someone-elses-app-key", "TOKEN_FOR_ANOTHER_APP"),
        ([APP_KEY, "rest-key"], None, "INVALID_TOKEN"),
        ([APP_KEY, 1], None, "INVALID_TOKEN"),
        (7, None, "INVALID_TOKEN"),
    ],
)
async def test_an_audience_naming_others_is_refused(aud: Any, azp: Any, code: str) -> None:
    # issue 19 item 1: several audiences only when all are ours, and `azp` then names ours
    verify = verifier(Jwks(jwk(KEY, KID)), audiences=("rest-key", APP_KEY))
    assert await code_of(verify, sign(claims(aud=aud, azp=azp))) == code


async def test_several_of_our_audiences_with_our_azp_are_accepted() -> None:
    verify = verifier(Jwks(jwk(KEY, KID)), audiences=("rest-key", APP_KEY)).verify
    assert (await verify(sign(claims(aud=[APP_KEY, "rest-key"], azp=APP_KEY)))).kakao_id
    assert (await verify(sign(claims(aud=[APP_KEY])))).kakao_id


def _signed_raw(header: str, payload: str) -> str:
    signing_input = f"{b64(header.encode())}.{b64(payload.encode())}"
    mac = KEY.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64(mac)}"


async def test_a_member_named_twice_is_an_invalid_token() -> None:
    # issue 19 item 2: `{"sub": "1", "sub": "4000000001"}` must not be read as either
    header = json.dumps({"alg": "RS256", "typ": "JWT", "kid": KID})
    payload = json.dumps(claims())
    twice_sub = '{"sub": "1", ' + payload[1:]
    twice_kid = '{"kid": "x", ' + header[1:]
    verify = verifier(Jwks(jwk(KEY, KID)))
    assert (await verify.verify(_signed_raw(header, payload))).kakao_id == 4000000001
    assert await code_of(verify, _signed_raw(header, twice_sub)) == "INVALID_TOKEN"
    assert await code_of(verify, _signed_raw(twice_kid, payload)) == "INVALID_TOKEN"
    assert looks_like_id_token(_signed_raw(twice_kid, payload))  # a JWT: never sent to kapi
