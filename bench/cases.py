"""What one run measures: the targets, and the cases (method × Kakao latency × connections).

The requests are the same for every target: the bundled fake user with full consent, its fixed
token sent raw in Authorization (as the original frontend did), and for POST the body that logs
that (already created) user in. Our targets also take the same user's Kakao id_token (issue 11),
sent as `Bearer`: it is verified locally, with no Kakao call per request. The fake issues it once
at the start of a run (`bench.kakao.KakaoProcess.issue_id_token`), so it is not known here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bench.wrk import Request

KAKAO_ALONE = "kakao-alone"
CEILING = "ceiling"
BASELINE = "baseline"
OURS_SQLITE = "ours-sqlite"
OURS_POSTGRES = "ours-postgres"
ALL_TARGETS = (KAKAO_ALONE, CEILING, BASELINE, OURS_SQLITE, OURS_POSTGRES)
OURS = (OURS_SQLITE, OURS_POSTGRES)

KAKAO_USER_ID = 4000000001
KAKAO_TOKEN = "mock-token-full-consent"
LOGIN_BODY = {"kakao_id": KAKAO_USER_ID, "user_name": "김카카오", "email": "kim.kakao@example.com"}

METHODS = ("GET", "POST")
#: the Kakao token a case sends: the fixed access token (every target), or an id_token (ours)
ACCESS = "access"
ID_TOKEN = "id_token"
TOKENS = (ACCESS, ID_TOKEN)


def auth_request(method: str, authorization: str) -> Request:
    """`GET` or `POST /auth/kakao` (the bench user's login) with this Authorization header."""
    body = json.dumps(LOGIN_BODY) if method == "POST" else None
    return Request(method, "/auth/kakao", authorization=authorization, body=body)


#: `kakao-alone`: wrk straight at the fake, on the call behind GET /auth/kakao. Its latency is
#: the floor under every target's: what Kakao itself (the injected delay, the fake's own work,
#: wrk, the loopback) takes before our service adds anything.
KAKAO_REQUEST = Request("GET", "/v2/user/me", authorization=f"Bearer {KAKAO_TOKEN}")


@dataclass(frozen=True, order=True)
class Case:
    """One wrk run. `kakao_ms` is None for the ceiling, which never calls Kakao."""

    target: str
    method: str
    kakao_ms: int | None
    connections: int
    #: ACCESS, or ID_TOKEN (our targets only)
    token: str = ACCESS

    @property
    def label(self) -> str:
        latency = "-" if self.kakao_ms is None else f"{self.kakao_ms} ms"
        token = " id_token" if self.token == ID_TOKEN else ""
        return f"{self.target} {self.method}{token} kakao={latency} c={self.connections}"

    def request(self, id_token: str | None = None) -> Request:
        """What wrk sends; an id_token case needs the run's id_token."""
        if self.target == KAKAO_ALONE:
            return KAKAO_REQUEST
        if self.token == ACCESS:
            return auth_request(self.method, KAKAO_TOKEN)
        if id_token is None:
            raise ValueError(f"{self.label} needs the run's id_token")
        return auth_request(self.method, f"Bearer {id_token}")


#: (Kakao latency, connections) of the cases issue 6's and issue 11's goals are judged on, per
#: target and for either token: see bench.report's checks. These run `Plan.repeats` times.
_CHECKED_CASES: dict[str, set[tuple[int | None, int]]] = {
    KAKAO_ALONE: {(50, 10)},
    CEILING: {(None, 100)},
    BASELINE: {(50, 100)},
    OURS_SQLITE: {(0, 100), (50, 100), (50, 10)},
    OURS_POSTGRES: {(0, 100), (50, 100), (50, 10)},
}


@dataclass(frozen=True)
class Plan:
    """The matrix of a run, how long each case lasts, and how often the checked ones run."""

    mode: str
    targets: tuple[str, ...] = ALL_TARGETS
    methods: tuple[str, ...] = METHODS
    #: the tokens our targets are measured with (the references take access tokens only)
    tokens: tuple[str, ...] = TOKENS
    kakao_latencies_ms: tuple[int, ...] = (0, 50)
    connections: tuple[int, ...] = (1, 10, 100)
    seconds: float = 5.0
    warmup_seconds: float = 1.0
    #: rounds of the checked cases (the first round runs every case)
    repeats: int = 1

    def cases(self, target: str) -> list[Case]:
        """The target's cases, grouped by Kakao latency so the fault is set once per group."""
        latencies: tuple[int | None, ...] = self.kakao_latencies_ms
        methods = self.methods
        tokens = self.tokens if target in OURS else (ACCESS,)
        if target == CEILING:
            latencies = (None,)
        if target == KAKAO_ALONE:
            methods = ("GET",)  # one Kakao call either way; KAKAO_REQUEST stands for both
        return [
            Case(target, method, latency, connections, token)
            for latency in latencies
            for token in tokens
            for method in methods
            for connections in self.connections
        ]

    @property
    def needs_id_token(self) -> bool:
        """Whether any case of the run sends an id_token (the fake then issues one)."""
        return ID_TOKEN in self.tokens and any(target in OURS for target in self.targets)

    def checked_cases(self, target: str) -> list[Case]:
        """The cases of `target` that a goal is judged on."""
        checked = _CHECKED_CASES.get(target, set())
        return [c for c in self.cases(target) if (c.kakao_ms, c.connections) in checked]


def full_plan(targets: tuple[str, ...] = ALL_TARGETS) -> Plan:
    return Plan(mode="full", targets=targets, repeats=3)


def quick_plan(targets: tuple[str, ...] = ALL_TARGETS) -> Plan:
    """A few seconds: each target, method and token once, 10 connections, no Kakao latency."""
    return Plan(
        mode="quick",
        targets=targets,
        kakao_latencies_ms=(0,),
        connections=(10,),
        seconds=1.0,
        warmup_seconds=0.0,
    )
