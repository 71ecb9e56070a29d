"""A real OpenID Connect client, Authlib (PyPI), against the fake: discovery → authorize URL (nonce,
PKCE S256) → the login pages → code exchange (client_secret_post, as Kakao's discovery says)
→ id_token validated by Authlib itself (signature from the JWKS, iss, aud, exp, nonce).

Nothing patched: every URL comes from the fake's discovery document. Needed: the app's OpenID
Connect switch on (Kakao's console setting), which the test turns on itself."""

from __future__ import annotations

import secrets
import warnings

from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken

from mock_kakao.testing import MockKakao
from tests.clients.support import browser as new_browser
from tests.clients.support import person_logs_in
from tests.mock_kakao.helpers import FULL_ID, REDIRECT_URI

with warnings.catch_warnings():  # authlib.jose points to joserfc; it is still Authlib's API
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, JsonWebToken


def test_authlib_runs_the_whole_oidc_code_flow(mock_kakao: MockKakao):
    kakao = mock_kakao
    kakao.set_oidc(True)  # an OIDC client needs the app's OpenID Connect switch on
    browser = new_browser()
    metadata = browser.get(f"{kakao.url}/.well-known/openid-configuration", timeout=10).json()

    client = OAuth2Session(
        client_id=kakao.client_id,
        client_secret="",
        scope="openid profile_nickname account_email",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method=metadata["token_endpoint_auth_methods_supported"][0],
    )
    client.trust_env = False
    nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], nonce=nonce, code_verifier=verifier
    )
    assert "code_challenge=" in url and "code_challenge_method=S256" in url

    redirect = person_logs_in(kakao, url, session=browser)
    assert f"state={state}" in redirect
    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=redirect, code_verifier=verifier
    )
    assert "openid" in token["scope"].split()

    jwks = JsonWebKey.import_key_set(browser.get(metadata["jwks_uri"], timeout=10).json())
    claims = JsonWebToken(["RS256"]).decode(
        token["id_token"],
        key=jwks,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"values": [metadata["issuer"]]}},
        claims_params={"nonce": nonce, "client_id": kakao.client_id},
    )
    claims.validate()
    assert claims["sub"] == str(FULL_ID) and claims["nickname"] == "김카카오"

    userinfo = client.get(metadata["userinfo_endpoint"], timeout=10)
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == claims["sub"]
