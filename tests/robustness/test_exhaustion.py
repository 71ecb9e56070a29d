"""Resource exhaustion (issue 19 item 11): what the fake mints is bounded and forgotten.

The real fake in a child process (``python -m mock_kakao --state FILE``), driven over sockets:
many refreshes of a bundled refresh token, many silent logins and replayed decision forms, many
login + code exchange rounds (each a new grant), then the fake's clock moved 25 h. Measured:
the child's RSS and the state file's size and contents. Asserted: bounds (tokens, grants and
codes stored, the file's growth), never timings. RSS is printed
(``-s``) rather than asserted tightly: the allocator keeps freed memory.

The 100k figures of the issue: ``python -m tests.robustness.test_exhaustion 100000``.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from mock_kakao.world.tokens import (
    MAX_ACCESS_TOKENS_PER_GRANT,
    MAX_CODES_PER_USER,
    MAX_GRANTS_PER_USER,
)
from tests.mock_kakao.helpers import IN_KAKAOTALK, REDIRECT_URI, hidden_fields, query_of
from tests.mock_kakao.test_cli import environment

ROOT = Path(__file__).resolve().parents[2]
REFRESHES = 10_000  # enough to show growth per request; the 100k run is the script
SILENT_LOGINS = 2_000
LOGIN_ROUNDS = 1_000  # login + code exchange, each a new grant with a two-month refresh token
USER_ID = 4000000001
CONCURRENCY = 8
FULL_REFRESH = "mock-refresh-full-consent"
#: how much the state file may grow, whatever the number of refreshes: the grant's capped
#: minted tokens (about 110 bytes each in the file) and slack for the clock's offset
STATE_GROWTH_BOUND = MAX_ACCESS_TOKENS_PER_GRANT * 200 + 1024
#: RSS growth that means "something is kept per request" (the issue saw 71 MB for 100k)
RSS_GROWTH_BOUND = 40 * 1024 * 1024
DEADLINE_SECONDS = 20.0  # bounds only a failure: waiting for the saver's next write


@dataclass
class Fake:
    url: str
    process: subprocess.Popen[str]
    state_file: Path

    def rss(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def saved(self) -> dict:
        return json.loads(self.state_file.read_bytes())


@contextmanager
def running_fake(state_file: Path) -> Iterator[Fake]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_kakao", "--port", "0", "--quiet", "--state", str(state_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
        cwd=ROOT,
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert "listening on http://" in line, process.stderr.read()  # type: ignore[union-attr]
        yield Fake(line.split("listening on ")[1].split()[0], process, state_file)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stored_access_tokens(state: dict) -> int:
    return sum(len(grant["access_tokens"]) for grant in state["grants"])


def saved_when(fake: Fake, ready) -> dict:
    """The state file once the saver has written a state for which ``ready`` holds."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        try:
            state = fake.saved()
            if ready(state):
                return state
        except (OSError, ValueError):
            pass  # between the rename and the read: the next look sees it
        assert time.monotonic() < deadline, "the saver never wrote the expected state"
        time.sleep(0.1)


async def refresh_many(url: str, count: int) -> str:
    """``count`` refreshes of the bundled refresh token; the last access token minted."""
    last = ""
    form = {"grant_type": "refresh_token", "client_id": "mock-rest-api-key"}
    form["refresh_token"] = FULL_REFRESH
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker(share: int) -> None:
            nonlocal last
            for _ in range(share):
                async with http.post(f"{url}/oauth/token", data=form) as answer:
                    assert answer.status == 200, await answer.text()
                    last = (await answer.json())["access_token"]

        shares = [count // CONCURRENCY + (i < count % CONCURRENCY) for i in range(CONCURRENCY)]
        await asyncio.gather(*(worker(share) for share in shares))
    return last


async def linked_browser(url: str, browser: aiohttp.ClientSession) -> dict[str, str]:
    """Let the app in once through the picker (its decision form replayed, refused) and
    answer the authorize query a ``prompt=none`` login then needs."""
    query = {
        "client_id": "mock-rest-api-key",
        "redirect_uri": REDIRECT_URI,  # registered exactly (issue 20 rule 1)
        "response_type": "code",
    }
    async with browser.get(f"{url}/oauth/authorize", params=query) as picker:
        fields = hidden_fields(await picker.text())
    decision = {**fields, "user_id": str(USER_ID), "decision": "approve"}
    decision["consent"] = "nickname"
    for attempt in range(3):  # the form mints once; replays are refused
        async with browser.post(
            f"{url}/oauth/authorize/decision", data=decision, allow_redirects=False
        ) as answer:
            assert answer.status == (302 if attempt == 0 else 400)
    return {**query, "prompt": "none", "nonce": "n" * 512}


async def silent_code(url: str, browser: aiohttp.ClientSession, silent: dict[str, str]) -> str:
    async with browser.get(
        f"{url}/oauth/authorize", params=silent, allow_redirects=False
    ) as answer:
        assert answer.status == 302 and "code=" in answer.headers["Location"]
        return query_of(answer.headers["Location"])["code"]


async def silent_logins(url: str, count: int) -> list[str]:
    """``count`` codes from one browser's session with ``prompt=none`` (512-character nonces),
    none redeemed, after its decision form was replayed (refused); the codes, oldest first.
    The browser is KakaoTalk's in-app one: the only place ``prompt=none`` mints a code."""
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), headers=IN_KAKAOTALK
    ) as browser:
        silent = await linked_browser(url, browser)
        return [await silent_code(url, browser, silent) for _ in range(count)]


async def logins_and_exchanges(url: str, count: int) -> list[str]:
    """``count`` rounds of a ``prompt=none`` login and its code exchange; the access tokens."""
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), headers=IN_KAKAOTALK
    ) as browser:
        silent = await linked_browser(url, browser)
        tokens = []
        for _ in range(count):
            status, body = await redeem(url, await silent_code(url, browser, silent))
            assert status == 200, body
            tokens.append(body["access_token"])
        return tokens


async def redeem(url: str, code: str) -> tuple[int, dict]:
    form = {"grant_type": "authorization_code", "client_id": "mock-rest-api-key", "code": code}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/oauth/token", data=form) as answer,
    ):
        return answer.status, await answer.json()


async def me(url: str, access_token: str) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {access_token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{url}/v2/user/me", headers=headers) as answer,
    ):
        return answer.status, await answer.json()


async def advance_clock(url: str, seconds: int) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/_mock/clock", json={"advance": seconds}) as answer,
    ):
        assert answer.status == 200


def user_grants(state: dict) -> int:
    return sum(grant["user_id"] == USER_ID for grant in state["grants"])


def saved_with(fake: Fake, access_token: str) -> dict:
    """The state file once the saver has written one holding ``access_token``."""
    return saved_when(
        fake,
        lambda state: any(
            token["access_token"] == access_token
            for grant in state["grants"]
            for token in grant["access_tokens"]
        ),
    )


def measure(tmp_path: Path, refreshes: int) -> dict[str, int]:
    """Run the fake, refresh ``refreshes`` times, move the clock 25 h; the figures."""
    with running_fake(tmp_path / "state.json") as fake:
        first = saved_when(fake, lambda state: True)
        figures = {
            "rss_before": fake.rss(),
            "file_before": fake.state_file.stat().st_size,
            "tokens_before": stored_access_tokens(first),
        }
        last = asyncio.run(refresh_many(fake.url, refreshes))
        after = saved_with(fake, last)
        figures.update(
            rss_after=fake.rss(),
            file_after=fake.state_file.stat().st_size,
            tokens_after=stored_access_tokens(after),
        )
        asyncio.run(advance_clock(fake.url, 25 * 3600))
        later = saved_when(fake, lambda state: state["clock"]["offset"] >= 25 * 3600)
        figures.update(
            rss_day_later=fake.rss(),
            file_day_later=fake.state_file.stat().st_size,
            tokens_day_later=stored_access_tokens(later),
        )
    return figures


def test_refreshes_and_a_day_later_leave_a_bounded_state_file(tmp_path):
    figures = measure(tmp_path, REFRESHES)
    print(f"\n{REFRESHES} refreshes: {figures}")
    assert figures["tokens_after"] == figures["tokens_before"] + MAX_ACCESS_TOKENS_PER_GRANT
    assert figures["file_after"] - figures["file_before"] <= STATE_GROWTH_BOUND
    # a day later the minted tokens are gone; the fixed (bundled) ones stay, expired
    assert figures["tokens_day_later"] == figures["tokens_before"]
    assert figures["file_day_later"] - figures["file_before"] <= 1024
    assert figures["rss_after"] - figures["rss_before"] <= RSS_GROWTH_BOUND


def test_silent_logins_and_replayed_forms_keep_a_bounded_number_of_codes(tmp_path):
    with running_fake(tmp_path / "state.json") as fake:
        asyncio.run(silent_logins(fake.url, 200))  # warm up: every code path allocated once
        warm = fake.rss()
        codes = asyncio.run(silent_logins(fake.url, SILENT_LOGINS))
        grown = fake.rss() - warm
        # only the user's newest MAX_CODES_PER_USER codes are still kept
        status, body = asyncio.run(redeem(fake.url, codes[-MAX_CODES_PER_USER - 1]))
        assert (status, body["error_code"]) == (400, "KOE320")
        assert asyncio.run(redeem(fake.url, codes[-MAX_CODES_PER_USER]))[0] == 200
    print(f"\n{SILENT_LOGINS} prompt=none codes, 512-char nonces: RSS +{grown // 1024} KB")
    assert grown <= RSS_GROWTH_BOUND


def test_login_and_exchange_rounds_keep_a_bounded_number_of_grants(tmp_path):
    with running_fake(tmp_path / "state.json") as fake:
        fixed = sum(
            g["user_id"] == USER_ID and g["fixed"] for g in saved_when(fake, bool)["grants"]
        )
        first = asyncio.run(logins_and_exchanges(fake.url, MAX_GRANTS_PER_USER + 5))
        warm = saved_with(fake, first[-1])
        file_warm, rss_warm = fake.state_file.stat().st_size, fake.rss()
        tokens = asyncio.run(logins_and_exchanges(fake.url, LOGIN_ROUNDS))
        after = saved_with(fake, tokens[-1])
        file_after, rss_after = fake.state_file.stat().st_size, fake.rss()
        status, body = asyncio.run(me(fake.url, tokens[-MAX_GRANTS_PER_USER - 1]))
        assert (status, body.get("code")) == (401, -401), body  # the oldest grant went
        assert asyncio.run(me(fake.url, tokens[-MAX_GRANTS_PER_USER]))[0] == 200
    print(
        f"\n{LOGIN_ROUNDS} login + exchange rounds: state file {file_warm} -> {file_after} bytes,"
        f" RSS +{(rss_after - rss_warm) // 1024} KB"
    )
    assert user_grants(warm) == user_grants(after) == fixed + MAX_GRANTS_PER_USER
    assert file_after - file_warm <= 1024  # the same number of grants, each the same size
    assert rss_after - rss_warm <= RSS_GROWTH_BOUND


if __name__ == "__main__":
    import tempfile

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        result = measure(Path(folder), count)
    print(json.dumps({"refreshes": count, **result}, indent=1))
