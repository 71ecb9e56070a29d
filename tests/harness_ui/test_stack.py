"""The stack run_all starts: who may bind a non-loopback host, and how it stops.

In process, on free loopback ports, without a browser. The same paths as a real process
(tests/e2e/test_run_all.py), but here a test can see the service's in-flight count, so it stops
the stack while requests are known to be running instead of after a guessed sleep.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import tornado.web

from harness_ui import stack as stack_module
from harness_ui.config import StackConfig, config_from_args, parse_args
from harness_ui.errors import StartupError
from harness_ui.stack import RunningStack, start_stack
from tests.service.support import status_of, wait_until

IN_FLIGHT = 5
KAKAO_LATENCY = {"kind": "latency", "latency_ms": 400}
SIGN_IN = {"kakao_id": 4000000001, "user_name": "김카카오", "email": "kim@example.com"}


def local_config(tmp_path: Path, **overrides: Any) -> StackConfig:
    values: dict[str, Any] = {"service_port": 0, "kakao_port": 0, "ui_port": 0}
    return StackConfig(data_dir=tmp_path, **(values | overrides))


@pytest.fixture
async def service_apps(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[Any]]:
    """The service applications start_stack creates, so a test can read their in-flight count."""
    created: list[tornado.web.Application] = []
    original = stack_module.create_service_app

    async def recording(settings: Any) -> tornado.web.Application:
        created.append(await original(settings))
        return created[-1]

    monkeypatch.setattr(stack_module, "create_service_app", recording)
    yield created


def test_allow_remote_is_a_flag_and_a_variable() -> None:
    assert config_from_args(parse_args([], environ={})).allow_remote is False
    assert config_from_args(parse_args(["--allow-remote"], environ={})).allow_remote is True
    from_env = parse_args([], environ={"HARNESS_ALLOW_REMOTE": "1"})
    assert config_from_args(from_env).allow_remote is True


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
async def test_a_non_loopback_host_needs_allow_remote(tmp_path: Path, host: str) -> None:
    with pytest.raises(StartupError) as refused:
        await start_stack(local_config(tmp_path, host=host))
    message = str(refused.value)
    assert "\n" not in message and "--allow-remote" in message and host in message


async def test_stop_lets_requests_in_flight_finish_within_2_s(
    tmp_path: Path, service_apps: list[tornado.web.Application]
) -> None:
    running = await start_stack(local_config(tmp_path))
    in_flight = service_apps[0].settings["services"].in_flight
    try:
        async with aiohttp.ClientSession() as http:
            await set_fault(http, running, KAKAO_LATENCY)
            requests = [asyncio.ensure_future(sign_in(http, running)) for _ in range(IN_FLIGHT)]
            await wait_until(lambda: in_flight.count == IN_FLIGHT)
            started = time.monotonic()
            await running.stop()
            stopped_in = time.monotonic() - started
            statuses = await asyncio.gather(*requests)
    finally:
        await running.stop()
    assert sorted(statuses) == [200] * (IN_FLIGHT - 1) + [201], statuses
    assert stopped_in < 2.0


async def test_stop_logs_a_part_that_fails_and_stops_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stopped: list[str] = []

    async def failing() -> None:
        raise RuntimeError("cannot close")

    async def fine() -> None:
        stopped.append("fine")

    running = RunningStack(StackConfig(), "k", "s", "u", None, None, _stoppers=[fine, failing])
    with caplog.at_level(logging.ERROR, logger="harness_ui.stack"):
        await running.stop()
    assert stopped == ["fine"]
    [record] = caplog.records
    assert "failing" in record.getMessage() and record.exc_info is not None


async def set_fault(http: aiohttp.ClientSession, running: RunningStack, fault: Any) -> None:
    async with http.post(f"{running.kakao_url}/_mock/faults", json=fault) as response:
        assert response.status < 300, await response.text()


async def sign_in(http: aiohttp.ClientSession, running: RunningStack) -> int | str:
    url = f"{running.service_url}/auth/kakao"
    headers = {"Authorization": "mock-token-full-consent"}  # raw, as the original frontend
    return await status_of(http, "POST", url, json=SIGN_IN, headers=headers)
