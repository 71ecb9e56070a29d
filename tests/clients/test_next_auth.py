"""next-auth v4 (npm) with its Kakao provider as shipped, against the fake.

Driven by node/next-auth.mjs through next-auth's own AuthHandler (what its Next.js routes
call): csrf, signin, the fake's pages, the callback (its code exchange with openid-client's
``oauthCallback`` and its ``/v2/user/me`` call), then the session. Patched: only the provider's
hard-coded ``https://kauth.kakao.com`` and ``https://kapi.kakao.com`` URLs, swapped for the
fake's by node/kakao-hosts.mjs. The provider authorizes with an empty ``scope=``.
"""

from __future__ import annotations

import pytest

from mock_kakao.testing import MockKakao
from mock_kakao.world.users import DEFAULT_PROFILE_IMAGE_URL
from tests.clients.support import run_node_client

pytestmark = pytest.mark.usefixtures("node_clients")

ORIGIN = "http://localhost:3000"


def log_in(kakao: MockKakao) -> dict:
    return run_node_client(kakao, "next-auth.mjs", APP_ORIGIN=ORIGIN, KAKAO_CLIENT_SECRET="")


def test_next_auth_logs_in_against_the_fakes_defaults(kakao: MockKakao):
    result = log_in(kakao)
    assert result["ok"], result["error"]
    assert result["session"]["user"]["name"] == "김카카오"


def test_next_auth_logs_in_when_openid_connect_is_off(kakao: MockKakao):
    kakao.set_oidc(False)  # as a newly created Kakao app has it
    result = log_in(kakao)
    assert result["ok"], result["error"]
    assert "scope=&" in result["authorize_url"]  # next-auth's empty scope is accepted
    assert result["redirect"] == ORIGIN + "/"
    assert result["session"]["user"] == {
        "name": "김카카오",
        "email": "kim.kakao@example.com",
        "image": DEFAULT_PROFILE_IMAGE_URL,  # no picture of their own: Kakao's (rule 7)
    }
    kakao.assert_requested(method="POST", path="/oauth/token", status=200, times=1)
    kakao.assert_requested(method="GET", path="/v2/user/me", status=200, times=1)
