"""Schemathesis fuzzes the fake Kakao's admin API from its own OpenAPI document.

The document (mock_kakao/control/openapi.yaml) is the one the fake serves at
`/_mock/openapi.yaml`; the fake is a real one of its own on a loopback socket. Valid cases
(positive) and cases that break the document (negative) go to every operation; no answer may
be a 5xx, and every answer must conform to the document (Schemathesis's checks and
tests.robustness.contract's). Half of the valid cases for a `{user_id}` operation are aimed at
a user that exists, so generated bodies reach real users' tokens, not only 404s. After each
operation the fake must still serve ordinary use (a token, an id_token that verifies, kapi),
then reset, whatever the operation did (a moved clock, rotated keys, OIDC switched off).

The document cannot drift from the code unnoticed: every route the fake serves under
`/_mock/` must be one of its operations (and the reverse), and the fields it names must be
the ones the code takes.

Bounded and deterministic, as test_fuzz.py: `derandomize=True`, a fixed number of examples.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
import yaml
from hypothesis import given
from openapi_spec_validator import validate
from schemathesis import GenerationMode

from mock_kakao.app import create_app
from mock_kakao.control import api as control_api
from mock_kakao.control import appsettings, requestmatch
from mock_kakao.testing import MockKakao
from mock_kakao.web.middleware import is_control_path
from mock_kakao.world import idtoken, kakaoapp, requestlog, snapshot, users
from mock_kakao.world.faults import FAULT_FIELDS
from mock_kakao.world.state import USER_FIELDS, FakeKakao
from mock_kakao.world.tokens import TOKEN_SPEC_FIELDS
from tests.robustness.contract import Contract
from tests.robustness.test_fuzz import Fuzzer, _bounded

ADMIN_SPEC = control_api.OPENAPI_PATH
#: examples per operation and mode (operations that take nothing from the client get fewer)
EXAMPLES_WITH_INPUT = 100
EXAMPLES_WITHOUT_INPUT = 20
#: valid cases here each generate a 2048-bit RSA key: a few show that rotation holds up under
#: generated input, a hundred would spend most of the fuzz generating keys
FEWER_VALID_EXAMPLES = {"POST /_mock/keys/rotate": 8}
BUNDLED_IDS = [4000000001 + n for n in range(8)]
PROBE_ID = 4999999999
PROBE_NONCE = "probe-nonce"


@pytest.fixture
def own_fake() -> Iterator[MockKakao]:
    """A fake of its own: the fuzz must not share state with the session's."""
    with MockKakao() as kakao:
        yield kakao


def _takes_input(operation: schemathesis.APIOperation) -> bool:
    return bool(operation.body or operation.path_parameters or operation.query)


def _examples(operation: schemathesis.APIOperation, mode: GenerationMode) -> int:
    if not _takes_input(operation):
        return EXAMPLES_WITHOUT_INPUT
    if mode is GenerationMode.POSITIVE:
        label = f"{operation.method.upper()} {operation.path}"
        return FEWER_VALID_EXAMPLES.get(label, EXAMPLES_WITH_INPUT)
    return EXAMPLES_WITH_INPUT


def _aim_at_live_users(case: schemathesis.Case, turn: int) -> None:
    if "user_id" in (case.path_parameters or {}) and turn % 2 == 0:
        case.path_parameters["user_id"] = BUNDLED_IDS[turn // 2 % len(BUNDLED_IDS)]


def run(fuzzer: Fuzzer, operation: schemathesis.APIOperation, mode: GenerationMode) -> None:
    turns = itertools.count()

    @_bounded(_examples(operation, mode))
    @given(case=operation.as_strategy(generation_mode=mode))
    def each(case: schemathesis.Case) -> None:
        if mode is GenerationMode.POSITIVE:
            _aim_at_live_users(case, next(turns))
        fuzzer.send(case)

    each()
    the_fake_still_works(fuzzer.http, fuzzer.url)


def the_fake_still_works(http: requests.Session, url: str) -> None:
    """Whatever the fuzz left behind (a moved clock, odd users, rotated keys, OIDC off),
    ordinary use still works: listing, creating, a token with an id_token, a kapi call with
    the one and tokeninfo with the other, the log; then a reset brings the app back."""
    http.delete(url + "/_mock/faults", timeout=10)  # a generated `hang` would stall the kapi call
    answers = [http.get(url + "/_mock/users", timeout=10)]
    answers.append(http.post(url + "/_mock/users", json={"id": PROBE_ID}, timeout=10))
    login = {"scope": "openid", "nonce": PROBE_NONCE}
    answers.append(http.post(f"{url}/_mock/users/{PROBE_ID}/tokens", json=login, timeout=10))
    issued = answers[-1].json()
    bearer = {"Authorization": f"Bearer {issued.get('access_token', 'none')}"}
    me = http.get(url + "/v2/user/me", headers=bearer, timeout=10)
    id_token = {"id_token": issued.get("id_token", "none")}
    info = http.post(url + "/oauth/tokeninfo", data=id_token, timeout=10)
    answers += [me, info, http.get(url + "/_mock/requests", timeout=10)]
    answers.append(http.post(url + "/_mock/reset", timeout=10))
    app = http.get(url + "/_mock/app", timeout=10)
    answers.append(app)
    failed = [(a.request.method, a.request.path_url, a.status_code) for a in answers]
    assert all(a.status_code < 500 for a in answers), failed
    assert [a.status_code for a in (me, info, answers[-2], app)] == [200] * 4, failed
    assert (info.json()["sub"], info.json()["nonce"]) == (str(PROBE_ID), PROBE_NONCE)
    assert (
        app.json()["oidc"] is False
    )  # the users file's switch (off, as a new app), whatever PATCH set
    assert [key["current"] for key in app.json()["keys"]] == [True]  # replaced keys gone


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


def _body_schema(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


def test_the_admin_document_names_the_fields_the_code_takes() -> None:
    """A field added to the code must be added to the document (or the fuzz misleads)."""
    document = yaml.safe_load(ADMIN_SPEC.read_text("utf-8"))
    schemas = document["components"]["schemas"]
    token_request = schemas["TokenRequest"]["properties"]
    assert set(schemas["TokenSpec"]["properties"]) == set(TOKEN_SPEC_FIELDS)
    assert set(token_request) == set(TOKEN_SPEC_FIELDS) | set(idtoken.TOKEN_REQUEST_FIELDS)
    assert set(schemas["Fault"]["properties"]) == set(FAULT_FIELDS)
    assert set(schemas["NewUser"]["properties"]) == set(USER_FIELDS)
    assert set(schemas["Profile"]["properties"]) == set(users.PROFILE_FIELDS)
    assert set(schemas["AppChange"]["properties"]) == set(kakaoapp.APP_FIELDS)
    assert _body_schema(document, "patch", "/_mock/app") == {
        "$ref": "#/components/schemas/AppChange"
    }
    rotate = _body_schema(document, "post", "/_mock/keys/rotate")["properties"]
    assert set(rotate) == set(appsettings.ROTATE_FIELDS)
    filters = {
        p["name"]: p["schema"] for p in document["paths"]["/_mock/requests"]["get"]["parameters"]
    }
    assert set(filters) == set(requestmatch.QUERY_FIELDS)
    # the bounds the code enforces, where the document states them as numbers
    assert token_request["nonce"]["maxLength"] == idtoken.MAX_NONCE_CHARS
    assert rotate["keep_old_seconds"]["maximum"] == kakaoapp.MAX_KEEP_OLD_SECONDS
    assert rotate["keep_old_seconds"]["default"] == kakaoapp.DEFAULT_KEEP_OLD_SECONDS
    assert filters["limit"]["maximum"] == requestlog.MAX_ENTRIES


def served_admin_operations() -> set[str]:
    """`METHOD /path` of every route the fake's application serves under `/_mock/` (but the
    HEAD aiohttp adds beside each GET)."""
    routes = {
        (route.method, route.resource.canonical)
        for route in create_app(FakeKakao()).router.routes()
        if route.resource is not None and is_control_path(route.resource.canonical)
    }
    return {
        f"{method} {path}"
        for method, path in routes
        if not (method == "HEAD" and ("GET", path) in routes)
    }


def test_the_admin_document_lists_every_admin_route_the_fake_serves() -> None:
    """A route added under /_mock/ must be documented (and fuzzed); a documented one, served."""
    document = Contract.load(ADMIN_SPEC.read_text("utf-8"))
    documented = {f"{method} {path}" for method, path, _ in document.operations()}
    served = served_admin_operations()
    assert not served - documented, f"served but not in {ADMIN_SPEC.name}: {served - documented}"
    assert not documented - served, f"in {ADMIN_SPEC.name} but not served: {documented - served}"


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


def test_the_state_document_names_the_fields_the_code_takes() -> None:
    """GET|PUT /_mock/state: the parts, the user, grant and app fields snapshot.py reads."""
    schemas = yaml.safe_load(ADMIN_SPEC.read_text("utf-8"))["components"]["schemas"]
    assert set(schemas["State"]["properties"]) == set(snapshot.PARTS)
    assert set(schemas["State"]["required"]) == set(snapshot.PARTS)
    assert set(schemas["StateUser"]["properties"]) == set(snapshot.USER_FIELDS)
    assert set(schemas["Grant"]["properties"]) == set(snapshot.GRANT_FIELDS)
    assert set(schemas["AppSettings"]["properties"]) == set(kakaoapp.APP_FIELDS)
