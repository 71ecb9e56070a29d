"""Schemathesis fuzzes every operation of the running service, with the fake Kakao behind it.

Cases come from the served `/openapi.yaml`: valid ones (positive) and ones that break it
(negative). Every answer must be no 5xx and conform to the document, by Schemathesis's checks
and by ours (tests.robustness.contract). A second pass signs real new users up with generated
bodies, so generated names and addresses travel all the way to the database and back.

Bounded and deterministic: `derandomize=True`, a fixed number of examples per operation.
"""

from __future__ import annotations

import asyncio
import itertools
import unicodedata
from collections import Counter
from collections.abc import Callable
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mock_kakao.testing import MockKakao
from tests.robustness.contract import Contract
from tests.robustness.support import CheckedService
from tests.service.support import Answer

#: examples per operation and mode; operations that take nothing from the client get fewer
EXAMPLES_WITH_INPUT = 150
EXAMPLES_WITHOUT_INPUT = 25
SIGN_UPS = 100
FIRST_FAKE_ID = 7_000_000_001
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@schemathesis.serializer("application/secevent+jwt")
def _security_event_token(_ctx: Any, value: Any) -> bytes:
    """The account-status webhook's body is a compact JWS: generated strings go as they are
    (any other generated value as its text), so the service's SET checks see them."""
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else str(value).encode()


#: the Hangul fillers and the braille blank: letters and symbols by category, drawn as nothing
BLANK_GLYPHS = "\u115f\u1160\u3164\uffa0\u2800"


def _fits_the_name_rule(name: str) -> bool:
    """1 to 50 code points in NFC once trimmed, one of them visible (`format: user-name`)."""
    stored = unicodedata.normalize("NFC", name).strip()
    visible = (c for c in stored if unicodedata.category(c)[0] in "LNPS" and c not in BLANK_GLYPHS)
    return 1 <= len(stored) <= 50 and any(visible)


#: `format: user-name`, which a regular expression cannot say (unassigned code points, NFC):
#: names of assigned letters, marks, digits, punctuation, symbols and spaces of any script
schemathesis.openapi.format(
    "user-name",
    st.text(
        st.characters(categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters=BLANK_GLYPHS),
        min_size=1,
        max_size=50,
    ).filter(_fits_the_name_rule),
)


def _bounded(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )


def _takes_input(operation: schemathesis.APIOperation) -> bool:
    return bool(operation.body or operation.definition.raw.get("security"))


class Fuzzer:
    """Runs generated cases against `url` in this (worker) thread, counting requests."""

    def __init__(self, url: str, contract: Contract) -> None:
        self.url = url
        self.contract = contract
        self.http = requests.Session()
        self.sent: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    def send(self, case: schemathesis.Case, **headers: str) -> schemathesis.Response:
        """One call, validated by Schemathesis's checks and by our contract check."""
        response = case.call_and_validate(
            base_url=self.url, session=self.http, headers=headers or None, checks=CHECKS
        )
        method, path = case.operation.method.upper(), case.operation.path
        single = {name: ", ".join(values) for name, values in response.headers.items()}
        body = response.json() if "json" in single.get("content-type", "") else None
        self.contract.check(method, path, Answer(response.status_code, body, single))
        self.sent[f"{method} {path}"] += 1
        self.statuses[response.status_code] += 1
        return response

    def run(self, operation: schemathesis.APIOperation, mode: GenerationMode) -> None:
        examples = EXAMPLES_WITH_INPUT if _takes_input(operation) else EXAMPLES_WITHOUT_INPUT

        @_bounded(examples)
        @given(case=operation.as_strategy(generation_mode=mode))
        def each(case: schemathesis.Case) -> None:
            self.send(case)

        each()


def served_schema(url: str) -> schemathesis.BaseSchema:
    """The document the service serves (loaded as text: `from_url` leaves out the operation
    that serves the document itself, and that one is fuzzed too)."""
    served = requests.get(url + "/openapi.yaml", timeout=10)
    served.raise_for_status()
    return schemathesis.openapi.from_file(served.text)


def fuzz_every_operation(url: str, contract: Contract) -> Fuzzer:
    schema = served_schema(url)
    fuzzer = Fuzzer(url, contract)
    for result in schema.get_all_operations():
        operation = result.ok()
        fuzzer.run(operation, GenerationMode.POSITIVE)
        if _takes_input(operation):
            fuzzer.run(operation, GenerationMode.NEGATIVE)
    return fuzzer


def sign_up_generated_users(url: str, contract: Contract, kakao: MockKakao) -> Fuzzer:
    """Valid generated bodies, each with a new fake Kakao user's real token: 201, stored as sent.

    A body with a `nonce` signs in with an id_token carrying that nonce, the others with an
    access token.

    `/users/me` must give back the very name that was sent (in NFC, trimmed): generated text
    of every script, emoji and combining marks survive the round trip through the database.
    """
    operation = served_schema(url)["/auth/kakao"]["POST"]
    fuzzer = Fuzzer(url, contract)
    ids = itertools.count(FIRST_FAKE_ID)
    created: dict[int, str] = {}

    @_bounded(SIGN_UPS)
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def each(case: schemathesis.Case) -> None:
        kakao_id = next(ids)
        kakao.add_user(id=kakao_id, nickname="fuzz", email=None)
        nonce = case.body.get("nonce")
        if nonce is None:
            token = kakao.issue_token(kakao_id)["access_token"]
        else:  # a nonce is checked against an id_token's: sign in with one carrying it
            token = kakao.issue_token(kakao_id, scope="openid", nonce=nonce)["id_token"]
        case.body["kakao_id"] = kakao_id
        response = fuzzer.send(case, Authorization=f"Bearer {token}")
        assert response.status_code == 201, response.text
        me = fuzzer.http.get(
            url + "/users/me", headers={"Authorization": f"Bearer {response.json()['token']}"}
        )
        sent = unicodedata.normalize("NFC", case.body["user_name"]).strip()
        assert me.json()["result"]["user_name"] == sent
        created[kakao_id] = case.body["user_name"]

    each()
    return fuzzer


async def _in_a_thread(work: Callable[..., Fuzzer], *args: Any) -> Fuzzer:
    """Schemathesis calls are blocking; the service keeps serving in this test's event loop."""
    return await asyncio.to_thread(work, *args)


async def test_fuzz_every_operation(service: CheckedService, contract: Contract) -> None:
    fuzzer = await _in_a_thread(fuzz_every_operation, service.url, contract)
    print(f"\nfuzz: {fuzzer.sent.total()} requests: {dict(fuzzer.sent)}")
    print(f"fuzz statuses: {dict(fuzzer.statuses)}")
    documented = {f"{method} {path}" for method, path, _ in contract.operations()}
    assert set(fuzzer.sent) == documented
    assert not [status for status in fuzzer.statuses if status >= 500]


async def test_generated_sign_ups_are_stored_exactly(
    service: CheckedService, contract: Contract, mock_kakao: MockKakao
) -> None:
    fuzzer = await _in_a_thread(sign_up_generated_users, service.url, contract, mock_kakao)
    print(f"\nfuzz sign-ups: {fuzzer.sent.total()} requests, statuses {dict(fuzzer.statuses)}")
    assert await service.user_count() == fuzzer.statuses[201] > 0
