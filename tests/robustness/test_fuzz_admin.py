"""Schemathesis fuzzes the fake Kakao's admin API from its own OpenAPI document.

The document (mock_kakao/admin_openapi.yaml) is the one the fake serves at
`/_mock/openapi.yaml`; the fake is a real one of its own on a loopback socket. Valid cases
(positive) and cases that break the document (negative) go to every operation; no answer may
be a 5xx, and every answer must conform to the document (Schemathesis's checks and
tests.robustness.contract's). Half of the valid cases for a `{user_id}` operation are aimed at
a user that exists, so generated bodies reach real users' tokens, not only 404s. The state is
reset between operations, and at the end it must still reset and serve kapi.

Bounded and deterministic, as test_fuzz.py: `derandomize=True`, a fixed number of examples.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import requests
import schemathesis
import yaml
from hypothesis import given
from openapi_spec_validator import validate
from schemathesis import GenerationMode

from mock_kakao import admin, users
from mock_kakao.faults import FAULT_FIELDS
from mock_kakao.state import USER_FIELDS
from mock_kakao.testing import MockKakao
from mock_kakao.tokens import TOKEN_SPEC_FIELDS
from tests.robustness.contract import Contract
from tests.robustness.test_fuzz import Fuzzer, _bounded

ADMIN_SPEC = admin.OPENAPI_PATH
#: examples per operation and mode (operations that take nothing from the client get fewer)
EXAMPLES_WITH_INPUT = 100
EXAMPLES_WITHOUT_INPUT = 20
BUNDLED_IDS = [4000000001 + n for n in range(8)]
PROBE_ID = 4999999999


@pytest.fixture
def own_fake() -> Iterator[MockKakao]:
    """A fake of its own: the fuzz must not share state with the session's."""
    with MockKakao() as kakao:
        yield kakao


def _takes_input(operation: schemathesis.APIOperation) -> bool:
    return bool(operation.body or operation.path_parameters)


def _aim_at_live_users(case: schemathesis.Case, turn: int) -> None:
    if "user_id" in (case.path_parameters or {}) and turn % 2 == 0:
        case.path_parameters["user_id"] = BUNDLED_IDS[turn // 2 % len(BUNDLED_IDS)]


def run(fuzzer: Fuzzer, operation: schemathesis.APIOperation, mode: GenerationMode) -> None:
    examples = EXAMPLES_WITH_INPUT if _takes_input(operation) else EXAMPLES_WITHOUT_INPUT
    turns = itertools.count()

    @_bounded(examples)
    @given(case=operation.as_strategy(generation_mode=mode))
    def each(case: schemathesis.Case) -> None:
        if mode is GenerationMode.POSITIVE:
            _aim_at_live_users(case, next(turns))
        fuzzer.send(case)

    each()
    the_fake_still_works(fuzzer.http, fuzzer.url)


def the_fake_still_works(http: requests.Session, url: str) -> None:
    """Whatever the fuzz left behind (a moved clock, odd users), ordinary use still works:
    listing, creating, a token and a kapi call with it, the log, then a reset."""
    http.delete(url + "/_mock/faults", timeout=10)  # a generated `hang` would stall the kapi call
    answers = [http.get(url + "/_mock/users", timeout=10)]
    answers.append(http.post(url + "/_mock/users", json={"id": PROBE_ID}, timeout=10))
    answers.append(http.post(f"{url}/_mock/users/{PROBE_ID}/tokens", json={}, timeout=10))
    token = answers[-1].json().get("access_token", "none")
    me = http.get(url + "/v2/user/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    answers += [me, http.get(url + "/_mock/requests", timeout=10)]
    answers.append(http.post(url + "/_mock/reset", timeout=10))
    failed = [(a.request.method, a.request.path_url, a.status_code) for a in answers]
    assert all(a.status_code < 500 for a in answers), failed
    assert (me.status_code, answers[-1].status_code) == (200, 200), failed


def fuzz_the_admin_api(url: str) -> Fuzzer:
    served = requests.get(url + "/_mock/openapi.yaml", timeout=10)
    served.raise_for_status()
    schema = schemathesis.openapi.from_file(served.text)
    fuzzer = Fuzzer(url, Contract.load(served.text))
    for result in schema.get_all_operations():
        operation = result.ok()
        run(fuzzer, operation, GenerationMode.POSITIVE)
        if _takes_input(operation):
            run(fuzzer, operation, GenerationMode.NEGATIVE)
    return fuzzer


def test_the_admin_document_is_valid_openapi_and_served() -> None:
    document = yaml.safe_load(ADMIN_SPEC.read_text("utf-8"))
    validate(document)
    with MockKakao() as kakao:
        served = requests.get(kakao.url + "/_mock/openapi.yaml", timeout=10)
    assert served.headers["Content-Type"] == "application/yaml; charset=utf-8"
    assert served.text == ADMIN_SPEC.read_text("utf-8")


def test_the_admin_document_names_the_fields_the_code_takes() -> None:
    """A field added to the code must be added to the document (or the fuzz misleads)."""
    schemas = yaml.safe_load(ADMIN_SPEC.read_text("utf-8"))["components"]["schemas"]
    assert set(schemas["TokenRequest"]["properties"]) == set(TOKEN_SPEC_FIELDS)
    assert set(schemas["Fault"]["properties"]) == set(FAULT_FIELDS)
    assert set(schemas["NewUser"]["properties"]) == set(USER_FIELDS)
    assert set(schemas["Profile"]["properties"]) == set(users.PROFILE_FIELDS)


def test_fuzz_every_admin_operation(own_fake: MockKakao) -> None:
    fuzzer = fuzz_the_admin_api(own_fake.url)
    print(f"\nadmin fuzz: {fuzzer.sent.total()} requests: {dict(fuzzer.sent)}")
    print(f"admin fuzz statuses: {dict(fuzzer.statuses)}")
    document = Contract.load(ADMIN_SPEC.read_text("utf-8"))
    assert set(fuzzer.sent) == {f"{method} {path}" for method, path, _ in document.operations()}
    assert not [status for status in fuzzer.statuses if status >= 500]
    assert {201, 400, 404, 409} <= set(fuzzer.statuses)
    own_fake.reset()
    me = requests.get(
        own_fake.url + "/v2/user/me",
        headers={"Authorization": "Bearer mock-token-full-consent"},
        timeout=10,
    )
    assert (me.status_code, me.json()["id"]) == (200, 4000000001)
