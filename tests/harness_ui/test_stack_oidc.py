"""run_all's fake Kakao and OpenID Connect: signing keys kept in --data-dir, so id_tokens verify
across restarts, and the issuer pinned to the URL the service is given."""

from __future__ import annotations

import stat
from pathlib import Path

import aiohttp
import pytest

from harness_ui.config import KAKAO_KEYS_FILE_NAME
from harness_ui.errors import StartupError
from harness_ui.stack import start_stack
from tests.harness_ui.test_stack import local_config


async def discovery_and_jwks(kakao_url: str) -> tuple[dict, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{kakao_url}/.well-known/openid-configuration") as response:
            document = await response.json()
        async with http.get(document["jwks_uri"]) as response:
            return document, await response.json()


async def test_keys_live_in_the_data_dir_and_the_issuer_is_the_fakes_url(tmp_path: Path) -> None:
    running = await start_stack(local_config(tmp_path))
    try:
        document, first = await discovery_and_jwks(running.kakao_url)
    finally:
        await running.stop()
    assert document["issuer"] == running.kakao_url
    keys_file = tmp_path / KAKAO_KEYS_FILE_NAME
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600

    running = await start_stack(local_config(tmp_path))
    try:
        _, again = await discovery_and_jwks(running.kakao_url)
    finally:
        await running.stop()
    assert again == first


async def test_a_bad_key_file_stops_run_all_with_one_line(tmp_path: Path) -> None:
    (tmp_path / KAKAO_KEYS_FILE_NAME).write_text("{")
    with pytest.raises(StartupError) as refused:
        await start_stack(local_config(tmp_path))
    message = str(refused.value)
    assert "\n" not in message and KAKAO_KEYS_FILE_NAME in message
