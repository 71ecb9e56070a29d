"""@logto/connector-kakao (npm), Logto's Kakao social connector, against the fake.

Driven by node/logto-kakao.mjs as Logto's core uses a connector: ``getAuthorizationUri``, the
fake's pages, then ``getUserInfo`` (its own code exchange and ``POST /v2/user/me``). Patched:
only its three hard-coded endpoint constants on ``https://kauth.kakao.com`` and
``https://kapi.kakao.com``, swapped for the fake's URL by node/kakao-hosts.mjs. Needed: ``ky``,
the peer dependency Logto's host provides.
"""

from __future__ import annotations

import pytest

from mock_kakao.testing import MockKakao
from tests.clients.support import run_node_client
from tests.mock_kakao.helpers import FULL_ID

pytestmark = pytest.mark.usefixtures("node_clients")


def test_logto_connector_logs_in(kakao: MockKakao):
    result = run_node_client(
        kakao, "logto-kakao.mjs", CALLBACK_URL="http://localhost:3000/callback/kakao"
    )
    assert result["ok"], result["error"]
    assert result["id"] == str(FULL_ID) and result["name"] == "김카카오"
    assert result["email"] == "kim.kakao@example.com"
    kakao.assert_requested(method="POST", path="/v2/user/me", status=200, times=1)
