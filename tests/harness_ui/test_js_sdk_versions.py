"""The fake's JavaScript SDK behaves as the version in its script URL (issue 20 rule 9): the
authorize key ``prompts`` up to 2.2.x and ``prompt`` from 2.3.0, ``init('')`` accepted,
``kakaoAsyncInit`` called after the script has run, ``cleanup()`` keeping the in-memory token,
and the real SDK's order and wording of its parameter checks.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from harness_ui.stack import RunningStack
from tests.harness_ui.test_js_sdk import authorize, javascript_key, thrown

pytestmark = pytest.mark.browser


def sdk_script(stack: RunningStack, version: str) -> str:
    return f"{stack.kakao_url}/kakao_js_sdk/{version}/kakao.min.js"


def load_sdk(page: Page, stack: RunningStack, version: str, *, init: bool = True) -> Page:
    """A page of the fake's (no SDK of its own) with the SDK ``version`` loaded, initialised."""
    page.goto(f"{stack.kakao_url}/_sdk")
    page.add_script_tag(url=sdk_script(stack, version))
    assert page.evaluate("Kakao.VERSION") == version
    if init:
        page.evaluate("(key) => Kakao.init(key)", javascript_key(stack))
    return page


@pytest.mark.parametrize(
    ("version", "takes", "refuses"),
    [
        ("2.0.0", "prompts", "prompt"),
        ("2.2.0", "prompts", "prompt"),
        ("2.2.9", "prompts", "prompt"),
        ("2.3.0", "prompt", "prompts"),
        ("2.7.2", "prompt", "prompts"),
        ("2.10.0", "prompt", "prompts"),  # compared as numbers, not as text
    ],
)
def test_authorize_takes_prompts_up_to_2_2_and_prompt_from_2_3(
    blank_page: Page, harness: RunningStack, version: str, takes: str, refuses: str
) -> None:
    page = load_sdk(blank_page, harness, version)
    callback = f"{harness.ui_url}/example/callback.html"
    script = f"Kakao.Auth.authorize({{redirectUri: {callback!r}, {refuses}: 'login'}})"
    assert thrown(page, script) == {
        "name": "KakaoError",
        "message": f"Invalid parameter keys: {refuses} at Auth.authorize",
    }
    settings = {"redirectUri": callback, takes: "login"}
    query = authorize(page, f"{harness.kakao_url}/oauth/authorize?*", settings)
    assert query["prompt"] == "login"
    assert query["ka"].startswith(f"sdk/{version} os/javascript ")


def test_init_accepts_an_empty_key(blank_page: Page, harness: RunningStack) -> None:
    """Only a non-string key throws: Kakao checks keys later, at its servers."""
    page = load_sdk(blank_page, harness, "2.7.2", init=False)
    page.evaluate("Kakao.init('')")
    assert page.evaluate("[Kakao.isInitialized(), Kakao.Auth.getAppKey()]") == [True, ""]


def test_kakao_async_init_is_called_after_the_script_has_run(
    blank_page: Page, harness: RunningStack
) -> None:
    """Not during the script: the script's load event comes first, then kakaoAsyncInit."""
    blank_page.goto(f"{harness.kakao_url}/_sdk")
    outcome = blank_page.evaluate(
        """async (url) => {
            const calls = [];
            window.kakaoAsyncInit = () => calls.push(Kakao.VERSION);
            const callsAtLoad = await new Promise((resolve, reject) => {
                const script = document.createElement("script");
                script.src = url;
                script.onload = () => resolve(calls.length);  // same task as the script's run
                script.onerror = reject;
                document.head.appendChild(script);
            });
            for (let turn = 0; turn < 50 && !calls.length; turn++) {
                await new Promise((next) => setTimeout(next, 0));
            }
            return { callsAtLoad, calls };
        }""",
        sdk_script(harness, "2.2.0"),
    )
    assert outcome == {"callsAtLoad": 0, "calls": ["2.2.0"]}


def test_cleanup_keeps_the_in_memory_token(blank_page: Page, harness: RunningStack) -> None:
    page = load_sdk(blank_page, harness, "2.7.2")
    page.evaluate("Kakao.Auth.setAccessToken('in memory only', false)")
    page.evaluate("Kakao.cleanup()")
    assert page.evaluate("Kakao.isInitialized()") is False
    assert page.evaluate("Kakao.Auth.getAccessToken()") == "in memory only"
    page.evaluate("(key) => Kakao.init(key)", javascript_key(harness))
    assert page.evaluate("Kakao.Auth.getAccessToken()") == "in memory only"


@pytest.mark.parametrize(
    ("script", "message"),
    [
        # missing required keys are reported before unknown ones
        ("Kakao.API.request({uri: '/v2/user/me'})", "Missing required keys: url at API.request"),
        (
            "Kakao.API.request({url: '/v2/user/revoke/scopes', data: {scope: ['x']}})",
            "Missing required keys: scopes at API.request - /v2/user/revoke/scopes",
        ),
        # a check of data names the API it is for
        (
            "Kakao.API.request({url: '/v2/user/me', data: {propertyKeys: []}})",
            "Invalid parameter keys: propertyKeys at API.request - /v2/user/me",
        ),
        (
            "Kakao.API.request({url: '/v2/user/me', data: {property_keys: 'kakao_account.email'}})",
            'Illegal argument for "property_keys" in API.request - /v2/user/me',
        ),
    ],
)
def test_parameter_checks_in_the_real_order_and_wording(
    blank_page: Page, harness: RunningStack, script: str, message: str
) -> None:
    page = load_sdk(blank_page, harness, "2.7.2")
    assert thrown(page, script) == {"name": "KakaoError", "message": message}
