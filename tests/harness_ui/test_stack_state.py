"""run_all keeps the fake Kakao's state (--kakao-state, default in --data-dir) across restarts."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from harness_ui.config import config_from_args, parse_args
from harness_ui.errors import StartupError
from harness_ui.stack import start_stack
from tests.harness_ui.test_stack import local_config


def test_the_state_file_is_a_flag_a_variable_and_defaults_to_the_data_dir() -> None:
    default = config_from_args(parse_args(["--data-dir", "d"], environ={}))
    assert default.kakao_state_path == Path("d") / "mock_kakao_state.json"
    flagged = config_from_args(parse_args(["--kakao-state", "s.json"], environ={}))
    assert flagged.kakao_state_path == Path("s.json")
    from_env = config_from_args(parse_args([], environ={"HARNESS_KAKAO_STATE": "e.json"}))
    assert from_env.kakao_state_path == Path("e.json")


async def test_a_restart_keeps_the_fakes_users_tokens_and_settings(tmp_path: Path) -> None:
    user = {"id": 4321, "nickname": "재시작"}
    async with aiohttp.ClientSession() as http:
        async with await start_stack(local_config(tmp_path)) as running:
            async with http.post(running.kakao_url + "/_mock/users", json=user) as answer:
                assert answer.status == 201
            async with http.post(f"{running.kakao_url}/_mock/users/4321/tokens", json={}) as answer:
                token = (await answer.json())["access_token"]
            # a setting run_all does not pin (it pins oidc on, for the page's OIDC sign-in)
            patch = {"client_secret": "kept-secret"}
            async with http.patch(running.kakao_url + "/_mock/app", json=patch) as answer:
                assert answer.status == 200
        assert (tmp_path / "mock_kakao_state.json").is_file()
        async with await start_stack(local_config(tmp_path)) as running:
            headers = {"Authorization": token}  # the service, asking the fake, knows the token
            async with http.get(running.service_url + "/auth/kakao", headers=headers) as answer:
                assert (answer.status, (await answer.json())["result"]["is_user"]) == (200, False)
            async with http.get(running.kakao_url + "/_mock/app") as answer:
                assert (await answer.json())["client_secret"] == "kept-secret"


async def test_a_bad_state_file_is_one_line_naming_it(tmp_path: Path) -> None:
    state = tmp_path / "broken.json"
    state.write_text("{", encoding="utf-8")
    with pytest.raises(StartupError) as refused:
        await start_stack(local_config(tmp_path, kakao_state=state))
    assert str(state) in str(refused.value) and "\n" not in str(refused.value)
    assert state.read_text("utf-8") == "{"
