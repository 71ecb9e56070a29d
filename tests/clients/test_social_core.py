"""python-social-auth's real Kakao backend (social-core, PyPI) logs in against the fake.

``social_core.backends.kakao.KakaoOAuth2`` is what Django, Flask and FastAPI apps use to log in
with Kakao. Its code exchange sends no ``redirect_uri`` (``auth_complete_params``), which the
real Kakao accepts; the fake must too. Only its URLs change: the class's authorize and token
URLs, and the kapi host its ``user_data`` calls. The strategy below is the glue a web
framework normally provides (settings, a session, the request's parameters); it stops at
``authenticate``, where a framework's pipeline would create the user. Patched: only those
hard-coded ``https://kauth.kakao.com`` and ``https://kapi.kakao.com`` URLs.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from social_core.backends.kakao import KakaoOAuth2
from social_core.storage import BaseStorage, NonceMixin
from social_core.strategy import BaseStrategy

from mock_kakao.testing import MockKakao
from tests.clients.support import person_logs_in
from tests.mock_kakao.helpers import FULL_ID, REDIRECT_URI, query_of

KAPI = "https://kapi.kakao.com"


class Nonces(NonceMixin):
    """social-core keeps each OAuth ``state`` as a one-use nonce."""

    used: ClassVar[set[tuple[str, int, str]]] = set()

    @classmethod
    def use(cls, server_url: str, timestamp: int, salt: str) -> bool:
        cls.used.add((server_url, timestamp, salt))
        return True

    @classmethod
    def consume(cls, server_url: str, timestamp: int, salt: str) -> bool:
        try:
            cls.used.remove((server_url, timestamp, salt))
        except KeyError:
            return False
        return True


class Storage(BaseStorage):
    nonce = Nonces


class DeskStrategy(BaseStrategy):
    """A framework's part: settings, one browser's session, the current request's query."""

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__(Storage)
        self.settings = settings
        self.session: dict[str, Any] = {}
        self.params: dict[str, str] = {}

    def get_setting(self, name: str) -> Any:
        return self.settings[name]

    def get_request_data(self, merge: bool = True) -> dict[str, Any]:
        return dict(self.params)

    def session_get(self, name: str, default: Any = None) -> Any:
        return self.session.get(name, default)

    def session_set(self, name: str, value: Any) -> None:
        self.session[name] = value

    def session_pop(self, name: str) -> Any:
        return self.session.pop(name, None)

    def build_absolute_uri(self, path: str | None = None) -> str:
        return path or REDIRECT_URI

    def redirect(self, url: str) -> str:
        return url

    def html(self, content: str) -> str:
        return content

    def authenticate(self, backend: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return kwargs["response"]  # a framework would run its user pipeline here


def backend_class(kakao: MockKakao) -> type[KakaoOAuth2]:
    """KakaoOAuth2 with the fake's URLs; its own code otherwise."""

    class FakeKakaoOAuth2(KakaoOAuth2):
        AUTHORIZATION_URL = f"{kakao.url}/oauth/authorize"
        ACCESS_TOKEN_URL = f"{kakao.url}/oauth/token"

        def request(self, url: str, *args: Any, **kwargs: Any) -> Any:
            return super().request(url.replace(KAPI, kakao.url, 1), *args, **kwargs)

    return FakeKakaoOAuth2


def log_in(kakao: MockKakao, secret: str) -> tuple[KakaoOAuth2, dict[str, Any]]:
    """auth_url → the fake's pages (a person picks and consents) → auth_complete."""
    strategy = DeskStrategy(
        {"SOCIAL_AUTH_KAKAO_KEY": kakao.client_id, "SOCIAL_AUTH_KAKAO_SECRET": secret}
    )
    cls = backend_class(kakao)
    url = cls(strategy, redirect_uri=REDIRECT_URI).auth_url()
    assert url.startswith(f"{kakao.url}/oauth/authorize?")
    state = parse_qs(urlsplit(url).query)["state"][0]
    location = person_logs_in(kakao, url)
    assert location.startswith(REDIRECT_URI) and query_of(location)["state"] == state
    strategy.params = query_of(location)  # the callback request: ?code=...&state=...
    backend = cls(strategy, redirect_uri=REDIRECT_URI)
    response = backend.auth_complete()
    return backend, response


def test_python_social_auth_logs_in_without_redirect_uri_at_the_exchange(kakao):
    backend, response = log_in(kakao, secret="")
    assert response["id"] == FULL_ID and response["token_type"] == "bearer"
    assert response["expires_in"] == 21599
    assert backend.get_user_id(backend.get_user_details(response), response) == FULL_ID
    details = backend.get_user_details(response)
    assert details["email"] == response["kakao_account"]["email"]
    assert details["username"] == response["properties"]["nickname"]
    paths = [(entry["method"], entry["path"], entry["status"]) for entry in kakao.requests()]
    assert ("POST", "/oauth/token", 200) in paths and ("GET", "/v2/user/me", 200) in paths


def test_python_social_auth_sends_the_client_secret_when_it_is_on(kakao):
    kakao.update_app(client_secret="kakao-secret")
    _, response = log_in(kakao, secret="kakao-secret")
    assert response["id"] == FULL_ID
