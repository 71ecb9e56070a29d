"""passport-kakao (npm), the Passport strategy most Express apps log in with, against the fake.

Driven by node/passport-kakao.mjs: the Strategy's own redirect, the fake's pages, then its own
code exchange and profile call. Patched: only the two constants it hard-codes,
``OAUTH_HOST = 'https://kauth.kakao.com'`` and ``USER_PROFILE_URL = 'https://kapi.kakao.com/…'``,
swapped for the fake's URL by node/kakao-hosts.mjs. It sends ``client_secret=kakao`` when none
is configured, and passport-oauth2 1.1 sends the access token as ``?access_token=`` on
``GET /v2/user/me`` (no Authorization header), which Kakao answers.
"""

from __future__ import annotations

import pytest

from mock_kakao.testing import MockKakao
from tests.clients.support import run_node_client
from tests.mock_kakao.helpers import FULL_ID

pytestmark = pytest.mark.usefixtures("node_clients")

CALLBACK = "http://localhost:3000/auth/kakao/callback"


def test_passport_kakao_logs_in_with_the_token_in_the_query(kakao: MockKakao):
    result = run_node_client(kakao, "passport-kakao.mjs", CALLBACK_URL=CALLBACK)
    assert result["ok"], result
    assert result["id"] == FULL_ID and result["username"] == "김카카오"
    kakao.assert_requested(method="GET", path="/v2/user/me", status=200, times=1)
