"""Our JWTs: issued with every claim, refused when forged, expired, of another algorithm or with
a claim of the wrong type."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from service import tokens
from service.errors import ApiError
from service.settings import Settings
from tests.service.support import SECRET_KEY, WRONG_CLAIMS, signed_claims

SETTINGS = Settings(secret_key=SECRET_KEY, jwt_ttl=600, jwt_issuer="tests")
KEY = "account-key-of-user-42"


def now() -> datetime:
    return datetime.now(UTC)


def code_of(token: str) -> str:
    with pytest.raises(ApiError) as caught:
        tokens.decode(token, SETTINGS)
    return caught.value.code


def test_round_trip_carries_every_claim() -> None:
    issued = now()
    token = tokens.issue(42, KEY, SETTINGS, issued)
    claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"], issuer="tests")
    assert claims == {
        "id": 42,
        "sub": "42",
        "account_key": KEY,
        "iat": int(issued.timestamp()),
        "exp": int(issued.timestamp()) + 600,
        "iss": "tests",
    }
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    decoded = tokens.decode(token, SETTINGS)
    assert (decoded.user_id, decoded.account_key) == (42, KEY)


def test_issued_exactly_as_jwt_encode_would() -> None:
    issued = now()
    claims = jwt.decode(
        tokens.issue(7, KEY, SETTINGS, issued), SECRET_KEY, algorithms=["HS256"], issuer="tests"
    )
    assert tokens.issue(7, KEY, SETTINGS, issued) == jwt.encode(
        claims, SECRET_KEY, algorithm="HS256"
    )


def test_a_key_pyjwt_refuses_for_hmac_is_still_refused() -> None:
    pem = "ssh-rsa " + "A" * 64  # printable (as SECRET_KEY must be), yet no HMAC key to PyJWT
    for _ in range(2):  # checked once, but refused every time: a refused key is not kept
        with pytest.raises(jwt.InvalidKeyError):
            tokens.issue(1, KEY, Settings(secret_key=pem), now())


def test_expired() -> None:
    token = tokens.issue(42, KEY, SETTINGS, now() - timedelta(seconds=601))
    assert code_of(token) == "TOKEN_EXPIRED"


def test_wrong_signature() -> None:
    forged = tokens.issue(42, KEY, Settings(secret_key="another-secret-key-" * 3), now())
    assert code_of(forged) == "INVALID_TOKEN"


def test_alg_none_is_refused() -> None:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = jwt.decode(tokens.issue(42, KEY, SETTINGS, now()), options={"verify_signature": False})
    unsigned = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
    assert code_of(unsigned) == "INVALID_TOKEN"


def test_another_hmac_algorithm_with_the_same_key_is_refused() -> None:
    claims = jwt.decode(tokens.issue(42, KEY, SETTINGS, now()), options={"verify_signature": False})
    assert code_of(jwt.encode(claims, SECRET_KEY, algorithm="HS512")) == "INVALID_TOKEN"


def test_wrong_issuer() -> None:
    other = tokens.issue(42, KEY, Settings(secret_key=SECRET_KEY, jwt_issuer="someone-else"), now())
    assert code_of(other) == "INVALID_TOKEN"


@pytest.mark.parametrize("missing", ["exp", "iat", "iss", "sub", "id", "account_key"])
def test_every_claim_is_required(missing: str) -> None:
    claims = jwt.decode(tokens.issue(42, KEY, SETTINGS, now()), options={"verify_signature": False})
    del claims[missing]
    assert code_of(jwt.encode(claims, SECRET_KEY, algorithm="HS256")) == "INVALID_TOKEN"


@pytest.mark.parametrize(("user_id", "sub"), [("42", "42"), (True, "True"), (42, "43")])
def test_id_must_be_an_int_matching_sub(user_id: object, sub: str) -> None:
    claims = {"id": user_id, "sub": sub, "account_key": KEY, "iat": int(now().timestamp())}
    claims.update(exp=claims["iat"] + 60, iss="tests")
    assert code_of(jwt.encode(claims, SECRET_KEY, algorithm="HS256")) == "INVALID_TOKEN"


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "mock-token-full-consent"])
def test_garbage(garbage: str) -> None:
    assert code_of(garbage) == "INVALID_TOKEN"


def signed(**changes: object) -> str:
    return signed_claims(SETTINGS, 42, KEY, **changes)


@pytest.mark.parametrize("changes", WRONG_CLAIMS.values(), ids=WRONG_CLAIMS.keys())
def test_a_claim_of_the_wrong_type_or_range_is_invalid(changes: dict[str, object]) -> None:
    assert code_of(signed(**changes)) == "INVALID_TOKEN"


def test_the_well_formed_token_of_those_is_accepted() -> None:
    assert tokens.decode(signed(), SETTINGS).user_id == 42
    assert tokens.decode(signed(id=2**63 - 1, sub=str(2**63 - 1)), SETTINGS).user_id == 2**63 - 1


def test_expired_is_said_only_of_well_formed_claims() -> None:
    assert code_of(signed(exp=1)) == "TOKEN_EXPIRED"
    assert code_of(signed(exp=1, id=True)) == "INVALID_TOKEN"


def test_a_token_from_before_account_keys_is_invalid() -> None:
    assert code_of(signed(account_key=None)) == "INVALID_TOKEN"


def test_belongs_to_compares_the_account_key() -> None:
    claims = tokens.decode(tokens.issue(42, KEY, SETTINGS, now()), SETTINGS)
    assert tokens.belongs_to(claims, KEY)
    assert not tokens.belongs_to(claims, KEY + "x")
    assert not tokens.belongs_to(claims, "another-account-key-00")
