"""run_all's servers answer a request their parser refuses in JSON, as the fake alone does
(issue 19 item 15): the fake and the harness page share mock_kakao.web.refusals."""

from __future__ import annotations

import json

import pytest

from harness_ui.stack import RunningStack
from tests.support.rawhttp import raw_get


@pytest.mark.parametrize("server", ["kakao_url", "ui_url"])
@pytest.mark.parametrize("target", ["/_mock/users/٤٠٠٠٠٠٠٠٠١".encode(), b"/config.json x"])
def test_a_request_the_parser_refuses_gets_a_json_400(
    harness: RunningStack, server: str, target: bytes
) -> None:
    status, headers, body = raw_get(getattr(harness, server), target)
    assert status == b"HTTP/1.0 400 Bad Request"
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(body)["error"] == "MALFORMED_REQUEST"
