"""The account lifecycle through run_all's stack: the fake's webhook reaches the service with
the admin key both were given, and `DELETE /users/me` unlinks at the fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness_ui.stack import RunningStack
from harness_ui.testing import HarnessStack
from tests.e2e.test_run_all import SIGN_UP, bearer, http

KAKAO_ID = SIGN_UP["kakao_id"]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[RunningStack]:
    with HarnessStack(tmp_path) as running:
        yield running


def sign_up(stack: RunningStack, kakao_token: str) -> tuple[int, str]:
    """(our account id, our JWT) of a new account."""
    status, body = http(
        "POST", f"{stack.service_url}/auth/kakao", SIGN_UP, {"Authorization": kakao_token}
    )
    assert status == 201, body
    jwt = body["token"]
    status, me = http("GET", f"{stack.service_url}/users/me", headers=bearer(jwt))
    assert status == 200, me
    return me["result"]["id"], jwt


def new_kakao_token(stack: RunningStack) -> str:
    status, body = http("POST", f"{stack.kakao_url}/_mock/users/{KAKAO_ID}/tokens", {})
    assert status == 201, body
    return body["access_token"]


def test_disconnecting_on_kakaos_side_deletes_the_account_and_allows_a_new_one(
    stack: RunningStack,
) -> None:
    old_id, old_jwt = sign_up(stack, "mock-token-full-consent")

    status, unlinked = http(
        "POST",
        f"{stack.kakao_url}/_mock/users/{KAKAO_ID}/unlink",
        {"referrer_type": "UNLINK_FROM_APPS"},
    )
    assert status == 200, unlinked
    delivery = unlinked["webhook"]
    assert delivery["url"] == f"{stack.service_url}/auth/kakao/unlink"
    assert (delivery["status"], delivery["error"]) == (200, None)
    assert http("GET", f"{stack.kakao_url}/_mock/webhooks")[1]["webhooks"] == [delivery]

    status, body = http("GET", f"{stack.service_url}/users/me", headers=bearer(old_jwt))
    assert (status, body) == (401, {"message": "INVALID_TOKEN"})

    token = new_kakao_token(stack)
    status, body = http("GET", f"{stack.service_url}/auth/kakao", headers={"Authorization": token})
    assert status == 200 and body["result"]["is_user"] is False
    new_id, _ = sign_up(stack, token)
    assert new_id != old_id


def test_deleting_my_account_unlinks_at_kakao_without_a_webhook(stack: RunningStack) -> None:
    old_id, jwt = sign_up(stack, "mock-token-full-consent")
    status, body = http("DELETE", f"{stack.service_url}/users/me", headers=bearer(jwt))
    assert (status, body) == (204, "")
    assert http("GET", f"{stack.service_url}/users/me", headers=bearer(jwt))[0] == 401
    status, requests = http("GET", f"{stack.kakao_url}/_mock/requests")
    assert ("POST", "/v1/user/unlink", 200) in {
        (r["method"], r["path"], r["status"]) for r in requests["requests"]
    }
    assert http("GET", f"{stack.kakao_url}/_mock/webhooks")[1]["webhooks"] == []
    # unlinked at Kakao: the old Kakao token died with it
    status, _ = http(
        "GET",
        f"{stack.service_url}/auth/kakao",
        headers={"Authorization": "mock-token-full-consent"},
    )
    assert status == 401
    new_id, _ = sign_up(stack, new_kakao_token(stack))
    assert new_id != old_id


def test_an_account_purged_event_from_the_fake_deletes_the_account(stack: RunningStack) -> None:
    """Kakao's account-status webhook through run_all's stack: the fake signs a RISC
    account-purged SET with its id_token keys, the service verifies it against the fake's
    JWKS, answers 202 and deletes the account; the old JWT is 401 from then on."""
    _account_id, old_jwt = sign_up(stack, "mock-token-full-consent")
    hook = f"{stack.service_url}/auth/kakao/events"
    status, app = http(
        "PATCH", f"{stack.kakao_url}/_mock/app", {"account_status_webhook_url": hook}
    )
    assert (status, app["account_status_webhook_url"]) == (200, hook)

    status, sent = http(
        "POST", f"{stack.kakao_url}/_mock/users/{KAKAO_ID}/events", {"event": "account-purged"}
    )
    assert status == 200, sent
    delivery = sent["delivery"]
    assert (delivery["status"], delivery["accepted"], delivery["error"]) == (202, True, None)
    assert http("GET", f"{stack.kakao_url}/_mock/security_events")[1]["security_events"] == [
        delivery
    ]
    status, body = http("GET", f"{stack.service_url}/users/me", headers=bearer(old_jwt))
    assert (status, body) == (401, {"message": "INVALID_TOKEN"})
