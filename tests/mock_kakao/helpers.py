"""Small helpers shared by mock_kakao's tests: auth headers and driving the login pages."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import aiohttp

from mock_kakao.testing import MockKakao

T = TypeVar("T")

#: How long :func:`eventually` waits for the fake to catch up: generous for a loaded CI machine.
DEADLINE_SECONDS = 5.0

#: KakaoTalk's in-app browser (Android): the only place Kakao answers ``prompt=none`` silently
KAKAOTALK_UA = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918N Build/UP1A.231005.007; wv) AppleWebKit/537.36"
    " (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36;KAKAOTALK 2410200"
)
IN_KAKAOTALK = {"User-Agent": KAKAOTALK_UA}

FULL = "mock-token-full-consent"
FULL_ID = 4000000001
REDIRECT_URI = "http://localhost:3000/oauth/callback"

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page's form, as a browser would submit them."""
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Redirect:
    location: str
    query: dict[str, str]


async def consent_page(
    http: aiohttp.ClientSession,
    kakao: MockKakao,
    user_id: int,
    *,
    redirect_uri: str = REDIRECT_URI,
    state: str = "s-123",
    url: str | None = None,
    **authorize_params: str,
) -> str:
    """Open the picker (``url``, else the fake's authorize URL with these parameters) and pick
    ``user_id``, as a browser does; the consent page's HTML."""
    url = url or kakao.authorize_url(redirect_uri, state=state, **authorize_params)
    async with http.get(url) as response:
        assert response.status == 200
        picker = await response.text()
    assert f'data-testid="pick-user-{user_id}"' in picker
    fields = {**hidden_fields(picker), "user_id": str(user_id)}
    async with http.get(f"{kakao.url}/oauth/authorize/consent", params=fields) as response:
        assert response.status == 200
        return await response.text()


async def pick_user(
    http: aiohttp.ClientSession,
    kakao: MockKakao,
    user_id: int,
    *,
    consent: tuple[str, ...] | None = ("nickname", "email"),
    decision: str = "approve",
    redirect_uri: str = REDIRECT_URI,
    state: str = "s-123",
    url: str | None = None,
    **authorize_params: str,
) -> Redirect:
    """Walk authorize → picker → consent → decision like a person would; returns the redirect.

    ``consent`` lists the ticked checkboxes (None: keep the page's defaults);
    ``authorize_params`` go to /oauth/authorize as well (``scope``, ``nonce``, PKCE...);
    ``url``: a whole authorize URL instead, as a client library builds it.
    """
    page = await consent_page(
        http, kakao, user_id, redirect_uri=redirect_uri, state=state, url=url, **authorize_params
    )
    form = aiohttp.FormData(hidden_fields(page))
    if consent is None:
        consent = tuple(re.findall(r'value="(\w+)" data-testid="consent-\w+" checked', page))
    for item in consent:
        form.add_field("consent", item)
    form.add_field("decision", decision)
    async with http.post(
        f"{kakao.url}/oauth/authorize/decision", data=form, allow_redirects=False
    ) as response:
        assert response.status == 302, await response.text()
        location = response.headers["Location"]
    return Redirect(location, query_of(location))


async def exchange_code(
    http: aiohttp.ClientSession,
    kakao: MockKakao,
    code: str,
    redirect_uri: str = REDIRECT_URI,
    **more: str,
) -> tuple[int, dict]:
    form = {
        "grant_type": "authorization_code",
        "client_id": kakao.client_id,
        "redirect_uri": redirect_uri,
        "code": code,
        **more,
    }
    async with http.post(f"{kakao.url}/oauth/token", data=form) as response:
        return response.status, await response.json()


async def eventually(probe: Callable[[], T | None], what: str) -> T:
    """Poll ``probe`` (in a thread: it may call the admin API) until it returns something.

    Tests wait for the fake's own record of an event instead of sleeping and hoping it was long
    enough; the deadline only bounds a failure.
    """
    deadline = time.monotonic() + DEADLINE_SECONDS
    while (found := await asyncio.to_thread(probe)) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {DEADLINE_SECONDS}s waiting for {what}")
        await asyncio.sleep(0.02)
    return found
