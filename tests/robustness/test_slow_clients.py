"""Slow clients: a connection stalled while sending its request is closed by the service.

A slowloris holds sockets open by sending a request slowly or not at all. Each stalled
connection here must be closed by the server within a generous bound (the timeouts are set
short); how much sooner is not asserted. A slow Kakao call, longer than both timeouts but
within KAKAO_TIMEOUT, still gets its answer: the timeouts cover reading the request only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from service.__main__ import parse_args
from service.settings import Settings, SettingsError
from tests.robustness.support import http_request
from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    RunningService,
    make_settings,
    running_service,
)
from tests.support.slow_client import LONG_DRIP, answer_then_close, stalled_heads

TIMEOUT = 0.5  # both the header and the body timeout of the service under test
KAKAO_TIMEOUT = 3.0
KAKAO_LATENCY_MS = 2000  # well past TIMEOUT, within KAKAO_TIMEOUT

HEAD = b"POST /auth/kakao HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer x\r\n"


@pytest.fixture
async def service(mock_kakao: Any, tmp_path: Path) -> AsyncIterator[RunningService]:
    settings = make_settings(
        mock_kakao.url,
        f"sqlite+aiosqlite:///{tmp_path / 'service.sqlite3'}",
        kakao_timeout=KAKAO_TIMEOUT,
        http_header_timeout=TIMEOUT,
        http_body_timeout=TIMEOUT,
    )
    async with running_service(settings) as running:
        yield running


@pytest.mark.parametrize(
    ("sent", "drip"),
    [
        *stalled_heads(HEAD),
        pytest.param(HEAD + b"Content-Length: 100\r\n\r\n{", b"", id="partial body"),
        pytest.param(
            HEAD + b"Content-Length: 60000\r\n\r\n", LONG_DRIP, id="body, one byte at a time"
        ),
        pytest.param(
            HEAD + b"Transfer-Encoding: chunked\r\n\r\n10\r\n{", b"", id="unfinished chunk"
        ),
        pytest.param(
            HEAD + b"Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n", b"", id="no last chunk"
        ),
    ],
)
async def test_a_stalled_request_is_cut_off(
    service: RunningService, sent: bytes, drip: bytes
) -> None:
    assert await answer_then_close(service.url, sent, drip=drip) == b""
    assert (await service.request("GET", "/healthz")).status == 200  # the service is fine


async def test_an_idle_keep_alive_connection_is_closed_after_its_answer(
    service: RunningService,
) -> None:
    received = await answer_then_close(service.url, http_request("GET", "/healthz", {}))
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.endswith(b'{"status": "ok"}')


async def test_a_slow_kakao_call_outlasts_the_request_timeouts(
    service: RunningService, mock_kakao: Any
) -> None:
    """Kakao takes 4x the header and body timeouts; the answers still come, on a connection
    that is kept alive in between."""
    mock_kakao.set_faults([{"kind": "latency", "latency_ms": KAKAO_LATENCY_MS}])
    looked_up = await service.request("GET", "/auth/kakao", authorization=FULL_CONSENT_TOKEN)
    assert (looked_up.status, looked_up.body["result"]["kakao_id"]) == (200, FULL_CONSENT_ID)
    body = {"kakao_id": FULL_CONSENT_ID, "user_name": "느린 카카오", "email": None}
    signed_up = await service.request(
        "POST", "/auth/kakao", authorization=FULL_CONSENT_TOKEN, body=body
    )
    assert (signed_up.status, signed_up.message) == (201, "CREATE_ACCOUNT")


def test_the_timeouts_are_settings_with_defaults() -> None:
    settings = Settings.from_env({"SECRET_KEY": "k" * 32})
    assert (settings.http_header_timeout, settings.http_body_timeout) == (20.0, 30.0)
    environ = {"SECRET_KEY": "k" * 32, "HTTP_HEADER_TIMEOUT": "2.5", "HTTP_BODY_TIMEOUT": "7"}
    settings = Settings.from_env(environ)
    assert (settings.http_header_timeout, settings.http_body_timeout) == (2.5, 7.0)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
@pytest.mark.parametrize("name", ["HTTP_HEADER_TIMEOUT", "HTTP_BODY_TIMEOUT"])
def test_a_timeout_that_is_not_a_positive_number_is_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"SECRET_KEY": "k" * 32, name: value})


def test_python_m_service_takes_the_timeouts_as_flags() -> None:
    overrides, _args = parse_args(["--http-header-timeout", "3", "--http-body-timeout", "4.5"])
    assert overrides == {"http_header_timeout": 3.0, "http_body_timeout": 4.5}
