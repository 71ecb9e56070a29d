"""PyJWT (PyPI) verifies the fake's id_token the way a backend does: ``PyJWKClient`` fetches the
signing key from the JWKS that discovery names, then ``jwt.decode`` checks RS256, ``iss``,
``aud`` and ``exp``, and the backend compares ``nonce``.

The login is a whole one: authorize with ``scope=openid`` and a nonce, the fake's pages, the
code exchange by plain HTTP. Nothing patched: the URLs come from the fake's discovery document.
Needed: the app's OpenID Connect switch on, which the test turns on itself.
"""

from __future__ import annotations

import secrets

import jwt

from mock_kakao.testing import MockKakao
from tests.clients.support import browser, exchange_code, person_logs_in
from tests.mock_kakao.helpers import FULL_ID

REDIRECT_URI = "http://localhost:3000/oauth/callback"


def test_pyjwt_verifies_the_id_token_against_the_jwks(kakao: MockKakao):
    kakao.set_oidc(True)
    metadata = browser().get(f"{kakao.url}/.well-known/openid-configuration", timeout=10).json()
    nonce = secrets.token_urlsafe(16)
    url = kakao.authorize_url(REDIRECT_URI, scope="openid", nonce=nonce, state="s-1")
    tokens = exchange_code(kakao, person_logs_in(kakao, url), REDIRECT_URI)

    signing_key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(tokens["id_token"])
    claims = jwt.decode(
        tokens["id_token"],
        signing_key.key,
        algorithms=["RS256"],
        audience=kakao.client_id,
        issuer=metadata["issuer"],
        options={"require": ["iss", "aud", "sub", "exp", "iat"]},
    )
    assert claims["nonce"] == nonce
    assert claims["sub"] == str(FULL_ID) and claims["nickname"] == "김카카오"
    assert claims["exp"] > claims["iat"]
