"""django-allauth (PyPI) with its Kakao provider in a small Django site, against the fake.

The site is allauth's own URLs and views (SQLite file, migrations applied); Django's test
Client plays the browser on the site while the person walks the fake's pages, and allauth does
its own code exchange and ``/v2/user/me`` call over real sockets, then creates the user and
its SocialAccount. Patched: only ``KakaoOAuth2Adapter``'s three hard-coded URL constants on
``https://kauth.kakao.com`` and ``https://kapi.kakao.com``. Needed: the provider's APP
(client id, empty secret), ``SOCIALACCOUNT_LOGIN_ON_GET`` so one GET starts the login, and
email verification off (the site sends no mail).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import django
import pytest
from django.conf import settings
from django.urls import include, path

from mock_kakao.testing import MockKakao
from tests.clients.support import person_logs_in
from tests.mock_kakao.helpers import FULL_ID

HOST = "localhost:3000"
#: the site's URLconf (ROOT_URLCONF is this module), filled once Django is set up
urlpatterns: list = []


def configure(database: Path, client_id: str) -> None:
    """Django's settings are per process: configured once, by the first test that needs them."""
    if settings.configured:
        return
    settings.configure(
        SECRET_KEY="allauth-test-secret-key-0123456789abcdef",
        ALLOWED_HOSTS=["localhost"],
        ROOT_URLCONF=__name__,
        USE_TZ=True,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}},
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "allauth",
            "allauth.account",
            "allauth.socialaccount",
            "allauth.socialaccount.providers.kakao",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "allauth.account.middleware.AccountMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
            }
        ],
        AUTHENTICATION_BACKENDS=["allauth.account.auth_backends.AuthenticationBackend"],
        SOCIALACCOUNT_PROVIDERS={"kakao": {"APP": {"client_id": client_id, "secret": ""}}},
        SOCIALACCOUNT_LOGIN_ON_GET=True,
        ACCOUNT_EMAIL_VERIFICATION="none",
        LOGIN_REDIRECT_URL="/welcome/",
    )
    django.setup()
    urlpatterns.append(path("accounts/", include("allauth.urls")))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@pytest.fixture
def site(
    kakao: MockKakao, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    configure(tmp_path_factory.mktemp("allauth") / "site.sqlite3", kakao.client_id)
    from allauth.socialaccount.providers.kakao.views import KakaoOAuth2Adapter

    monkeypatch.setattr(KakaoOAuth2Adapter, "authorize_url", f"{kakao.url}/oauth/authorize")
    monkeypatch.setattr(KakaoOAuth2Adapter, "access_token_url", f"{kakao.url}/oauth/token")
    monkeypatch.setattr(KakaoOAuth2Adapter, "profile_url", f"{kakao.url}/v2/user/me")
    yield


@pytest.mark.usefixtures("site")
def test_django_allauth_logs_in_and_creates_the_social_account(kakao: MockKakao):
    from allauth.socialaccount.models import SocialAccount
    from django.test import Client

    browser = Client(HTTP_HOST=HOST)
    start = browser.get("/accounts/kakao/login/")
    assert start.status_code == 302, start.content
    location = person_logs_in(kakao, start["Location"])
    callback = urlsplit(location)
    assert callback.netloc == HOST and callback.path == "/accounts/kakao/login/callback/"
    done = browser.get(f"{callback.path}?{callback.query}")
    assert (done.status_code, done.get("Location")) == (302, "/welcome/"), done.content

    account = SocialAccount.objects.get(provider="kakao")
    assert account.uid == str(FULL_ID)
    assert account.user.email == "kim.kakao@example.com"
    assert account.extra_data["kakao_account"]["profile"]["nickname"] == "김카카오"
    kakao.assert_requested(method="POST", path="/oauth/token", status=200, times=1)
    kakao.assert_requested(method="GET", path="/v2/user/me", status=200, times=1)
