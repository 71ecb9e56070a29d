"""The person's part of a login, and a runner for the Node clients, shared by tests/clients.

Each client test lets the library build its own authorize URL, walks the fake's pages with
plain HTTP as a browser would (picker → consent with the page's defaults → decision), and hands
the redirect back to the library, which then does its own code exchange and profile call.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from mock_kakao.testing import MockKakao
from tests.mock_kakao.helpers import FULL_ID, hidden_fields

NODE_DIR = Path(__file__).resolve().parent / "node"
#: Generous bounds that only end a hung client; a passing run takes about a second.
TIMEOUT_SECONDS = 60

_CHECKED = re.compile(r'value="(\w+)" data-testid="consent-\w+" checked')


def browser() -> requests.Session:
    """A session that keeps the fake's cookies and never goes through an environment proxy."""
    session = requests.Session()
    session.trust_env = False
    return session


def person_logs_in(
    kakao: MockKakao,
    authorize_url: str,
    user_id: int = FULL_ID,
    session: requests.Session | None = None,
) -> str:
    """Open the library's authorize URL, pick ``user_id``, agree to the page's defaults;
    the ``Location`` the fake redirects to (the library's callback with ``code``)."""
    session = session or browser()
    picker = session.get(authorize_url, timeout=10)
    assert picker.status_code == 200, picker.text
    assert f'data-testid="pick-user-{user_id}"' in picker.text, picker.text
    fields = {**hidden_fields(picker.text), "user_id": str(user_id)}
    consent = session.get(f"{kakao.url}/oauth/authorize/consent", params=fields, timeout=10)
    assert consent.status_code == 200, consent.text
    form = {
        **hidden_fields(consent.text),
        "consent": _CHECKED.findall(consent.text),
        "decision": "approve",
    }
    decision = session.post(
        f"{kakao.url}/oauth/authorize/decision", data=form, allow_redirects=False, timeout=10
    )
    assert decision.status_code == 302, decision.text
    return decision.headers["Location"]


def node_modules_ready() -> bool:
    return shutil.which("node") is not None and (NODE_DIR / "node_modules").is_dir()


def run_node_client(kakao: MockKakao, script: str, **settings: str) -> dict[str, Any]:
    """Run ``node/<script>`` against the fake and play the person's part of its login.

    The script prints ``{"authorize_url": …}`` on one line, reads ``{"callback_url": …}`` from
    stdin, finishes the login with the library's own code and prints its result (``{"ok":
    true, …}`` or ``{"ok": false, "error": …}``). ``kakao-hosts.mjs`` is preloaded: it swaps
    Kakao's two hosts in the libraries' source for the fake's URL, and nothing else.
    """
    env = {
        **os.environ,
        "KAKAO_FAKE_URL": kakao.url,
        "KAKAO_CLIENT_ID": kakao.client_id,
        **settings,
    }
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)  # loopback only
    command = ["node", "--import", "./kakao-hosts.mjs", script]
    with subprocess.Popen(
        command,
        cwd=NODE_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as node:
        assert node.stdin is not None and node.stdout is not None
        try:
            first = json.loads(node.stdout.readline() or "{}")
            if "authorize_url" not in first:
                node.kill()
                _, err = node.communicate(timeout=TIMEOUT_SECONDS)
                raise AssertionError(f"{script} gave no authorize URL: {first} {err}")
            callback = person_logs_in(kakao, first["authorize_url"])
            out, err = node.communicate(
                json.dumps({"callback_url": callback}) + "\n", timeout=TIMEOUT_SECONDS
            )
        finally:
            if node.poll() is None:
                node.kill()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, f"{script} printed no result (exit {node.returncode}): {out} {err}"
    result = json.loads(lines[-1])
    result["authorize_url"] = first["authorize_url"]
    result["callback_url"] = callback
    result["stderr"] = err
    return result


def exchange_code(kakao: MockKakao, callback_url: str, redirect_uri: str, **more: str) -> dict:
    """``POST /oauth/token`` with the callback's code, as an app's own backend does it."""
    code = parse_qs(urlsplit(callback_url).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "client_id": kakao.client_id,
        "redirect_uri": redirect_uri,
        "code": code,
        **more,
    }
    answer = browser().post(f"{kakao.url}/oauth/token", data=form, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()
