"""In Chromium: a page reads kapi's answers from a registered web domain, and reads Kakao's
domain-mismatched refusal (not an opaque CORS failure) from an unregistered one.

The page is a blank one from a stdlib HTTP server on another loopback port (a page that
Playwright made up would count as a public page calling a local one, which Chromium's Private
Network Access blocks); every call it makes to the fake goes over a real socket, preflight
included, with the headers Kakao's JavaScript SDK sends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Page

from mock_kakao.testing import MockKakao

pytestmark = pytest.mark.browser

TOKEN = "mock-token-full-consent"

#: what Kakao.API.request sends: KA, Bearer, no-cache headers, a form body type
CALL_KAPI = """async ([url, token]) => {
  const response = await fetch(url + "/v2/user/me", {
    headers: {
      "KA": "sdk/2.7.2 os/javascript sdk_type/javascript lang/ko-KR device/Linux origin/x",
      "Authorization": "Bearer " + token,
      "Content-Type": "application/x-www-form-urlencoded",
      "Cache-Control": "no-cache, no-store, max-age=0, must-revalidate",
      "Pragma": "no-cache",
    },
  });
  return [response.status, await response.json()];
}"""
CALL_TOKEN = """async (url) => {
  try {
    const response = await fetch(url + "/oauth/token", {
      method: "POST",
      headers: {"Content-Type": "application/x-www-form-urlencoded", "KA": "sdk/2.7.2"},
      body: "grant_type=refresh_token&client_id=mock-rest-api-key&refresh_token=x",
    });
    return String(response.status);
  } catch (error) {
    return error.name;
  }
}"""


class BlankPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<p>app</p>")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def blank_page(browser: Browser) -> Iterator[tuple[Page, str]]:
    """A blank page at http://127.0.0.1:<free port>, and that origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BlankPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{origin}/")
    yield page, origin
    context.close()
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_registered_page_reads_kapi_and_the_token_endpoint(blank_page) -> None:
    page, origin = blank_page
    with MockKakao(web_domains=[origin]) as kakao:  # its port is free, so it registers it
        status, body = page.evaluate(CALL_KAPI, [kakao.url, TOKEN])
        assert (status, body["id"]) == (200, 4000000001)
        assert page.evaluate(CALL_TOKEN, kakao.url) == "400"  # KOE322, readable


def test_an_unregistered_page_reads_domain_mismatched_but_not_kauth(blank_page) -> None:
    page, origin = blank_page
    with MockKakao(web_domains=["https://app.example.com"]) as kakao:
        status, body = page.evaluate(CALL_KAPI, [kakao.url, TOKEN])
        message = f"domain mismatched! caller={origin}. check out registered web domains."
        assert (status, body) == (401, {"msg": message, "code": -401})
        assert page.evaluate(CALL_TOKEN, kakao.url) == "TypeError"  # CORS refused


MINT_NO_CORS = """async (url) => {
  for (let i = 0; i < 5; i++) {
    await fetch(url + "/oauth/token", {
      method: "POST", mode: "no-cors",
      headers: {"Content-Type": "application/x-www-form-urlencoded"},
      body: "grant_type=refresh_token&client_id=mock-rest-api-key"
        + "&refresh_token=mock-refresh-full-consent",
    });
  }
  return "sent";
}"""


def test_an_unregistered_page_mints_no_tokens_with_no_cors_posts(blank_page) -> None:
    """Issue 19 item 11: the browser runs a no-cors POST; the fake must refuse it (KOE009)."""
    page, _ = blank_page
    with MockKakao(web_domains=["https://app.example.com"]) as kakao:
        before = len(kakao.user(4000000001)["tokens"])
        assert page.evaluate(MINT_NO_CORS, kakao.url) == "sent"
        assert len(kakao.user(4000000001)["tokens"]) == before
        codes = [entry["status"] for entry in kakao.requests(path="/oauth/token")]
        assert codes == [401] * 5
