"""What one run measures: the targets, and the cases (method × Kakao latency × connections).

The requests are the same for every target: the bundled fake user with full consent, its fixed
token sent raw in Authorization (as the original frontend did), and for POST the body that logs
that (already created) user in.
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

REQUESTS = {
    "GET": Request("GET", "/auth/kakao", authorization=KAKAO_TOKEN),
    "POST": Request("POST", "/auth/kakao", authorization=KAKAO_TOKEN, body=json.dumps(LOGIN_BODY)),
}
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

    @property
    def label(self) -> str:
        latency = "-" if self.kakao_ms is None else f"{self.kakao_ms} ms"
        return f"{self.target} {self.method} kakao={latency} c={self.connections}"

    @property
    def request(self) -> Request:
        return KAKAO_REQUEST if self.target == KAKAO_ALONE else REQUESTS[self.method]


#: (Kakao latency, connections) of the cases issue 6's goals are judged on, per target: see
#: bench.report's checks. These run `Plan.repeats` times.
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
    methods: tuple[str, ...] = ("GET", "POST")
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
        if target == CEILING:
            latencies = (None,)
        if target == KAKAO_ALONE:
            methods = ("GET",)  # one Kakao call either way; KAKAO_REQUEST stands for both
        return [
            Case(target, method, latency, connections)
            for latency in latencies
            for method in methods
            for connections in self.connections
        ]

    def checked_cases(self, target: str) -> list[Case]:
        """The cases of `target` that a goal is judged on."""
        checked = _CHECKED_CASES.get(target, set())
        return [c for c in self.cases(target) if (c.kakao_ms, c.connections) in checked]


def full_plan(targets: tuple[str, ...] = ALL_TARGETS) -> Plan:
    return Plan(mode="full", targets=targets, repeats=3)


def quick_plan(targets: tuple[str, ...] = ALL_TARGETS) -> Plan:
    """A few seconds: each target and method once, 10 connections, no Kakao latency."""
    return Plan(
        mode="quick",
        targets=targets,
        kakao_latencies_ms=(0,),
        connections=(10,),
        seconds=1.0,
        warmup_seconds=0.0,
    )
