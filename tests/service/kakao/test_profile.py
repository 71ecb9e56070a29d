"""Kakao's /v2/user/me JSON to our fields: anything not consented to is None, never a crash."""

from __future__ import annotations

from typing import Any

import pytest

from service.kakao.profile import KakaoProfile, parse_profile

FULL: dict[str, Any] = {
    "id": 123,
    "properties": {"nickname": "옛이름"},
    "kakao_account": {
        "profile": {"nickname": "홍길동"},
        "is_email_valid": True,
        "is_email_verified": True,
        "email": "hong@example.com",
    },
}


def test_full_consent() -> None:
    assert parse_profile(FULL) == KakaoProfile(123, "홍길동", "hong@example.com", True)


NONE = KakaoProfile(1, None, None, False)
ODD_CASES: list[tuple[dict[str, Any], KakaoProfile]] = [
    ({"id": 1}, NONE),
    ({"id": 1, "kakao_account": None, "properties": "x"}, NONE),
    ({"id": 1, "kakao_account": {"profile": {"nickname": 7}}}, NONE),
    (
        {"id": 1, "kakao_account": {"email_needs_agreement": True, "has_email": True}},
        KakaoProfile(1, None, None, False, ("account_email",)),
    ),
    ({"id": 1, "properties": {"nickname": "정하늘"}}, KakaoProfile(1, "정하늘", None, False)),
    (
        {"id": 1, "kakao_account": {"profile": {"nickname": ""}}, "properties": {"nickname": "p"}},
        KakaoProfile(1, "p", None, False),
    ),
    (
        {"id": 1, "kakao_account": {"email": "a@b.c", "is_email_valid": True}},
        KakaoProfile(1, None, "a@b.c", False),
    ),
    (
        {
            "id": 1,
            "kakao_account": {
                "email": "a@b.c",
                "is_email_valid": "true",
                "is_email_verified": True,
            },
        },
        KakaoProfile(1, None, "a@b.c", False),
    ),
]


@pytest.mark.parametrize(("data", "expected"), ODD_CASES)
def test_missing_or_odd_fields_are_none(data: dict[str, Any], expected: KakaoProfile) -> None:
    assert parse_profile(data) == expected


@pytest.mark.parametrize("kakao_id", [None, "123", True, 0, -5, 1.5, 2**63])
def test_without_a_usable_id_there_is_no_profile(kakao_id: object) -> None:
    assert parse_profile({**FULL, "id": kakao_id}) is None
    assert parse_profile({k: v for k, v in FULL.items() if k != "id"}) is None


def test_verified_flags_without_an_email_verify_nothing() -> None:
    data = {"id": 1, "kakao_account": {"is_email_valid": True, "is_email_verified": True}}
    assert parse_profile(data) == KakaoProfile(1, None, None, False)
