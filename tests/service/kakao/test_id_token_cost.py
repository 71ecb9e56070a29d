"""What an id_token login costs PyJWT: the whole token is loaded once, by `jwt.decode`.

PyJWT 2.15 checks every character of a token in Python each time it loads one (a fix for
GHSA-hxm8-2xgr-2p9m), ~35 µs for a Kakao id_token here. Telling an id_token from an access
token and finding its key both read only the header, so they must not load the whole token
again: that took two extra loads per login, half the verification's CPU (bench/README.md).
No timing here: the loads are counted, with a spy that calls PyJWT's own code.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jwt.api_jws import PyJWS

from service.kakao.idtoken import looks_like_id_token
from tests.service.kakao.test_idtoken import KEY, KID, Jwks, claims, jwk, sign, verifier


@pytest.fixture
def whole_token_loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The tokens PyJWT loads in full (signature included), as they come."""
    loaded: list[str] = []
    load = PyJWS._load

    def counting(self: PyJWS, token: str | bytes) -> object:
        text = token.decode() if isinstance(token, bytes) else token
        if not text.endswith("."):  # a header alone has an empty payload and signature
            loaded.append(text)
        return load(self, token)

    monkeypatch.setattr(PyJWS, "_load", counting)
    yield loaded


async def test_a_login_loads_the_whole_token_once(whole_token_loads: list[str]) -> None:
    token = sign(claims())
    check = verifier(Jwks(jwk(KEY, KID)))
    for _ in range(3):  # GET, then POST, then another login
        assert looks_like_id_token(token)
        assert (await check.verify(token)).kakao_id == 4000000001
    assert whole_token_loads == [token] * 3


async def test_a_fresh_header_is_parsed_by_pyjwt_and_checked_the_same(
    whole_token_loads: list[str],
) -> None:
    """A header never seen before costs a header-only parse, and bad ones are still refused."""
    other_kid = sign(claims(), kid="kid-never-seen-before")
    assert looks_like_id_token(other_kid)
    assert not looks_like_id_token("bm90LWpzb24.e30.")  # "not-json": no header
    # {"alg": "RS256", "kid": 1}: PyJWT refuses a kid that is not a string
    assert not looks_like_id_token("eyJhbGciOiJSUzI1NiIsImtpZCI6MX0.e30.")
    assert whole_token_loads == []
