"""@auth/core (npm, Auth.js) with its Kakao provider as shipped, against the fake.

Driven by node/auth-core.mjs through ``Auth()`` on web Requests (what every Auth.js framework
adapter calls): csrf, signin (PKCE S256), the fake's pages, the callback (its code exchange with
oauth4webapi and its ``/v2/user/me`` call), then the session. Patched: only the provider's
hard-coded ``https://kauth.kakao.com`` and ``https://kapi.kakao.com`` URLs, swapped for the
fake's by node/kakao-hosts.mjs. Needed: a client secret (Auth.js refuses an empty one for
``client_secret_post``), so the app turns Kakao's Client Secret on.
"""

from __future__ import annotations

import pytest

from mock_kakao.testing import MockKakao
from mock_kakao.world.users import DEFAULT_PROFILE_IMAGE_URL
from tests.clients.support import run_node_client

pytestmark = pytest.mark.usefixtures("node_clients")

ORIGIN = "http://localhost:3000"
SECRET = "auth-core-kakao-secret"


def log_in(kakao: MockKakao) -> dict:
    kakao.update_app(client_secret=SECRET)
    return run_node_client(kakao, "auth-core.mjs", APP_ORIGIN=ORIGIN, KAKAO_CLIENT_SECRET=SECRET)


def test_auth_core_logs_in_against_the_fakes_defaults(kakao: MockKakao):
    result = log_in(kakao)
    assert result["ok"], result["error"]
    assert result["session"]["user"]["name"] == "김카카오"


def test_auth_core_logs_in_when_openid_connect_is_off(kakao: MockKakao):
    kakao.set_oidc(False)  # as a newly created Kakao app has it
    result = log_in(kakao)
    assert result["ok"], result["error"]
    assert "code_challenge_method=S256" in result["authorize_url"]
    assert result["session"]["user"] == {
        "name": "김카카오",
        "email": "kim.kakao@example.com",
        "image": DEFAULT_PROFILE_IMAGE_URL,  # no picture of their own: Kakao's (rule 7)
    }
    kakao.assert_requested(method="POST", path="/oauth/token", status=200, times=1)
    kakao.assert_requested(method="GET", path="/v2/user/me", status=200, times=1)
