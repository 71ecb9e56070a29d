"""The POST body and Authorization header rules, as plain functions."""

from __future__ import annotations

import json
import unicodedata

import pytest

from service.errors import ApiError
from service.web.validation import SignInRequest, bearer_token, parse_sign_in
from tests.service.user_names import DECEPTIVE_NAMES, HONEST_NAMES


def body(**fields: object) -> bytes:
    values: dict[str, object] = {"kakao_id": 1, "user_name": "홍길동", "email": "a@example.com"}
    values.update(fields)
    return json.dumps({k: v for k, v in values.items() if v is not ...}).encode()


def code_of(raw: bytes) -> str:
    with pytest.raises(ApiError) as caught:
        parse_sign_in(raw)
    return caught.value.code


def test_a_valid_body() -> None:
    assert parse_sign_in(body()) == SignInRequest(1, "홍길동", "a@example.com")


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"not json", b"[]", b'"text"', b"42", b"null", b"\xff\xfe{}", b"[" * 100_000],
)
def test_invalid_json(raw: bytes) -> None:
    assert code_of(raw) == "INVALID_JSON"


@pytest.mark.parametrize("missing", ["kakao_id", "user_name", "email"])
def test_a_missing_field_is_keyerror(missing: str) -> None:
    assert code_of(body(**{missing: ...})) == "KEYERROR"


def test_keyerror_comes_before_the_other_checks() -> None:
    assert code_of(b'{"kakao_id": "x", "user_name": ""}') == "KEYERROR"


@pytest.mark.parametrize(
    "kakao_id", [0, -1, 2**63, True, False, 1.0, 1.5, "1", None, [1], {"id": 1}]
)
def test_invalid_kakao_id(kakao_id: object) -> None:
    assert code_of(body(kakao_id=kakao_id)) == "INVALID_KAKAO_ID"


def test_the_largest_64_bit_kakao_id_is_fine() -> None:
    assert parse_sign_in(body(kakao_id=2**63 - 1)).kakao_id == 2**63 - 1


@pytest.mark.parametrize(
    "user_name",
    ["", "   ", "x" * 51, None, 5, ["a"], "bad\x00name", "new\nline", "tab\tname", "\ud800"],
)
def test_invalid_user_name(user_name: object) -> None:
    assert code_of(body(user_name=user_name)) == "INVALID_USER_NAME"


@pytest.mark.parametrize(("what", "name"), DECEPTIVE_NAMES)
def test_invisible_and_deceptive_names_are_refused(what: str, name: str) -> None:
    assert code_of(body(user_name=name)) == "INVALID_USER_NAME", what


@pytest.mark.parametrize("name", HONEST_NAMES)
def test_korean_names_and_emoji_are_kept(name: str) -> None:
    assert parse_sign_in(body(user_name=name)).user_name == name


def test_names_are_stored_in_nfc_and_measured_after_it() -> None:
    # 17 syllables typed as decomposed jamo: 51 code points sent, 17 stored
    decomposed = unicodedata.normalize("NFD", "홍길동" * 5 + "홍길")
    assert len(decomposed) == 51
    stored = parse_sign_in(body(user_name=decomposed)).user_name
    assert stored == unicodedata.normalize("NFC", decomposed)
    assert len(stored) == 17
    assert parse_sign_in(body(user_name="Cafe\u0301")).user_name == "Caf\u00e9"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  홍길동  ", "홍길동"),
        ("x" * 50, "x" * 50),
        ("세상에서가장긴닉네임을가진카카오친구🐻‍❄️🍜✨행복하세요", None),
        ("Ömer Çelik", None),
        ("山田 太郎", None),
        ("محمد", None),
    ],
)
def test_user_names_of_any_script_are_trimmed(given: str, stored: str | None) -> None:
    assert parse_sign_in(body(user_name=given)).user_name == (stored or given)


@pytest.mark.parametrize(
    "email", ["plain", "a@", "@b.com", "a b@c.com", "a@b@c.com", 5, True, ["a@b.com"], "a\n@b.com"]
)
def test_invalid_email(email: object) -> None:
    assert code_of(body(email=email)) == "INVALID_EMAIL"


@pytest.mark.parametrize("email", [None, "", "   "])
def test_no_email_is_stored_as_none_never_empty(email: object) -> None:
    assert parse_sign_in(body(email=email)).email is None


def test_email_is_checked_for_syntax_only_and_normalized() -> None:
    # No DNS lookup (the service works offline); the domain part is lower-cased.
    assert parse_sign_in(body(email=" Kim@Example.COM ")).email == "Kim@example.com"


@pytest.mark.parametrize(
    ("header", "token"),
    [("abc", "abc"), ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER  abc ", "abc")],
)
def test_bearer_token_raw_or_bearer(header: str, token: str) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", [None, "", "   ", "Bearer", "Bearer   "])
def test_no_token_is_token_required(header: str | None) -> None:
    with pytest.raises(ApiError) as caught:
        bearer_token(header)
    assert caught.value.code == "TOKEN_REQUIRED"


def test_two_words_after_bearer_is_invalid() -> None:
    with pytest.raises(ApiError) as caught:
        bearer_token("Bearer a b")
    assert caught.value.code == "INVALID_TOKEN"
