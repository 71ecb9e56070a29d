"""`GET /auth/kakao` names the Kakao Sync service terms the service requires
(`KAKAO_REQUIRED_SERVICE_TERMS`) that the person has not agreed to (`missing_service_terms`,
issue 21 item 7), from kapi's `GET /v2/user/service_terms`: with the access token, or for an
id_token with the admin key. Over real sockets against the fake, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from service.kakao.serviceterms import agreed_tags, missing_terms
from service.settings import Settings, SettingsError
from tests.service.support import SECRET_KEY, make_settings, running_service

FULL = "mock-token-full-consent"
FULL_ID = 4000000001
TERMS = [
    {"tag": "tos_2024", "required": True},
    {"tag": "privacy_2024", "required": True},
    {"tag": "location"},
]
REQUIRED = {"kakao_required_service_terms": ("tos_2024", "location", "privacy_2024")}


def with_terms(mock_kakao: Any, agreed: tuple[str, ...]) -> None:
    mock_kakao.update_app(service_terms=TERMS)
    mock_kakao.update_user(FULL_ID, service_terms={tag: {} for tag in agreed})


def terms_calls(mock_kakao: Any) -> list[str]:
    return [
        entry["path"]
        for entry in mock_kakao.requests()
        if entry["path"] == "/v2/user/service_terms"
    ]


@pytest.mark.parametrize(
    ("body", "agreed"),
    [
        ({"id": 1, "service_terms": [{"tag": "a", "agreed": True}]}, {"a"}),
        ({"id": 1, "service_terms": [{"tag": "a", "agreed": False}]}, set()),
        ({"id": 1}, set()),  # Kakao leaves the list out when there is nothing
        ({"id": 1, "service_terms": [{"tag": "a", "agreed": "true"}]}, set()),
        ({"id": 1, "service_terms": "a"}, None),
        ({"id": 1, "service_terms": [{"agreed": True}]}, None),
    ],
)
def test_agreed_tags_read_kakaos_shape(body, agreed) -> None:
    found = agreed_tags(body)
    assert (None if found is None else set(found)) == agreed


def test_missing_terms_keep_the_settings_order() -> None:
    assert missing_terms(("b", "a", "c"), frozenset({"a"})) == ["b", "c"]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"kakao_required_service_terms": ("a,b",)}, "KAKAO_REQUIRED_SERVICE_TERMS must be"),
        ({"kakao_required_service_terms": ("a", "a")}, "distinct"),
        (
            {"kakao_required_service_terms": ("a",), "kakao_app_keys": ("rest",)},
            "needs KAKAO_ADMIN_KEY",
        ),
    ],
)
def test_bad_required_terms_settings_are_refused(changes, words) -> None:
    with pytest.raises(SettingsError, match=words):
        Settings(secret_key=SECRET_KEY, **changes)


def test_the_setting_is_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {"SECRET_KEY": SECRET_KEY, "KAKAO_REQUIRED_SERVICE_TERMS": "tos_2024, privacy_2024"}
    )
    assert settings.kakao_required_service_terms == ("tos_2024", "privacy_2024")


@pytest.mark.parametrize("service_overrides", [REQUIRED])
async def test_an_access_token_lookup_names_the_missing_terms(service, mock_kakao) -> None:
    with_terms(mock_kakao, ("tos_2024",))
    looked_up = await service.look_up(FULL)
    assert looked_up.status == 200
    assert looked_up.body["result"]["missing_service_terms"] == ["location", "privacy_2024"]
    mock_kakao.update_user(
        FULL_ID, service_terms={tag: {} for tag in ("tos_2024", "location", "privacy_2024")}
    )
    assert (await service.look_up(FULL)).body["result"]["missing_service_terms"] == []


async def test_without_the_setting_kakao_is_not_asked(service, mock_kakao) -> None:
    with_terms(mock_kakao, ())
    looked_up = await service.look_up(FULL)
    assert looked_up.body["result"]["missing_service_terms"] == []
    assert terms_calls(mock_kakao) == []


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"kind": "error", "status": 503, "code": -9798}, "KAKAO_UNAVAILABLE"),
        ({"kind": "error", "status": 403, "code": -3}, "INVALID_RESPONSE"),
        ({"kind": "malformed"}, "INVALID_RESPONSE"),
    ],
)
@pytest.mark.parametrize("service_overrides", [REQUIRED])
async def test_a_failed_terms_call_fails_the_lookup(service, mock_kakao, fault, message) -> None:
    with_terms(mock_kakao, ("tos_2024",))
    mock_kakao.add_fault(**{**fault, "path": "/v2/user/service_terms", "times": 1})
    looked_up = await service.look_up(FULL)
    assert looked_up.message == message
    assert (await service.look_up(FULL)).status == 200


async def test_an_id_token_lookup_asks_with_the_admin_key(mock_kakao, sqlite_url) -> None:
    """An id_token carries no access token: the admin key asks about its `sub`; a person who
    has unlinked since has agreed to nothing (kapi's -101)."""
    mock_kakao.set_oidc(True)
    with_terms(mock_kakao, ("privacy_2024",))
    settings = make_settings(
        mock_kakao.url,
        sqlite_url,
        **REQUIRED,
        kakao_admin_key=mock_kakao.admin_key,
        kakao_app_keys=(mock_kakao.client_id,),
        kakao_auth_url=mock_kakao.url,
        kakao_issuer=mock_kakao.url,
    )
    id_token = mock_kakao.issue_token(FULL_ID, scope="openid", nonce="n")["id_token"]
    async with running_service(settings) as service:
        mock_kakao.clear_requests()
        looked_up = await service.look_up(id_token)
        assert looked_up.status == 200, looked_up.body
        assert looked_up.body["result"]["missing_service_terms"] == ["tos_2024", "location"]
        assert terms_calls(mock_kakao) == ["/v2/user/service_terms"]
        mock_kakao.unlink_user(FULL_ID)
        looked_up = await service.look_up(id_token)
        assert looked_up.body["result"]["missing_service_terms"] == list(
            REQUIRED["kakao_required_service_terms"]
        )
