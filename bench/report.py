"""Turn a run into the ratios, the target checks, a Markdown report and a JSON document.

Ratios compare cases of the same run only: ours ÷ ceiling at the same method and connections,
ours ÷ baseline at the same method, Kakao latency and connections (the references take access
tokens only, so our id_token cases are compared with their access-token cases).
"""

from __future__ import annotations

import json
import operator
from dataclasses import asdict, dataclass

from bench.cases import ACCESS, BASELINE, CEILING, ID_TOKEN, KAKAO_ALONE, OURS, Case
from bench.measure import CaseResult
from bench.runner import BenchRun


class Index:
    """Results looked up by case, plus the two ratios of each of our cases."""

    def __init__(self, results: list[CaseResult]) -> None:
        self._by_case = {result.case: result for result in results}

    def get(
        self,
        target: str,
        method: str,
        kakao_ms: int | None,
        connections: int,
        token: str = ACCESS,
    ) -> CaseResult | None:
        return self._by_case.get(Case(target, method, kakao_ms, connections, token))

    def vs_ceiling(self, result: CaseResult) -> float | None:
        case = result.case
        return _ratio(result, self.get(CEILING, case.method, None, case.connections))

    def vs_baseline(self, result: CaseResult) -> float | None:
        case = result.case
        return _ratio(result, self.get(BASELINE, case.method, case.kakao_ms, case.connections))


def _ratio(ours: CaseResult, other: CaseResult | None) -> float | None:
    if ours.case.target not in OURS or other is None or other.rps == 0:
        return None
    return ours.rps / other.rps


@dataclass(frozen=True)
class Check:
    """One goal of issue 6 or 11, for one of our targets (SQLite or PostgreSQL)."""

    target: str
    what: str
    measured: float | None
    goal: float
    at_least: bool
    unit: str

    @property
    def passed(self) -> bool | None:
        if self.measured is None:
            return None
        compare = operator.ge if self.at_least else operator.lt
        return compare(self.measured, self.goal)


# Issue 6's goals: (method, ratio goal) against the ceiling at 0 ms and 100 connections.
_CEILING_GOALS = (("GET", 0.35), ("POST", 0.30))
_BASELINE_GOAL = 10.0  # × the baseline's req/s at 50 ms and 100 connections
_P99_GOAL_MS = 70.0  # at 50 ms and 10 connections
_RSS_GOAL_MB = 100.0
# Issue 11's goals for id_tokens, which are verified locally and so never wait for Kakao.
_ID_TOKEN_CEILING_GOAL = 0.50  # GET ÷ the ceiling at 0 ms and 100 connections
_ID_TOKEN_LATENCY_EFFECT_GOAL = 10.0  # % req/s at 50 ms may differ from 0 ms, 100 connections
_ID_TOKEN_BASELINE_GOAL = 20.0  # × the baseline's req/s at 50 ms and 100 connections
_ID_TOKEN_P99_GOAL_MS = 20.0  # at 50 ms and 10 connections


def _checks_for(ours: str, index: Index, peak_rss_mb: float | None) -> list[Check]:
    def ratio(method: str, kakao_ms: int, against: str, goal: float) -> Check:
        result = index.get(ours, method, kakao_ms, 100)
        to = index.vs_ceiling if against == CEILING else index.vs_baseline
        what = f"{method}, Kakao {kakao_ms} ms, 100 conns: ÷ {against}"
        return Check(ours, what, to(result) if result else None, goal, True, "×")

    def p99(method: str) -> Check:
        result = index.get(ours, method, 50, 10)
        what = f"{method}, Kakao 50 ms, 10 conns: p99"
        return Check(ours, what, result.p99_ms if result else None, _P99_GOAL_MS, False, "ms")

    def added_p99(method: str) -> Check:
        """The same goal read as "our own cost": p99 over the fake alone's at the same load."""
        result = index.get(ours, method, 50, 10)
        floor = index.get(KAKAO_ALONE, "GET", 50, 10)
        added = result.p99_ms - floor.p99_ms if result and floor else None
        what = f"{method}, Kakao 50 ms, 10 conns: p99 − the fake Kakao alone's p99"
        return Check(ours, what, added, _P99_GOAL_MS - 50, False, "ms")

    return [
        *(ratio(method, 0, CEILING, goal) for method, goal in _CEILING_GOALS),
        *(ratio(method, 50, BASELINE, _BASELINE_GOAL) for method in ("GET", "POST")),
        *(p99(method) for method in ("GET", "POST")),
        *(added_p99(method) for method in ("GET", "POST")),
        *_id_token_checks_for(ours, index),
        Check(ours, "peak RSS over the whole run (VmHWM)", peak_rss_mb, _RSS_GOAL_MB, False, "MB"),
    ]


def _id_token_checks_for(ours: str, index: Index) -> list[Check]:
    """Issue 11's goals: what an id_token login costs when nothing waits for Kakao."""

    def get(method: str, kakao_ms: int, connections: int) -> CaseResult | None:
        return index.get(ours, method, kakao_ms, connections, ID_TOKEN)

    def vs_ceiling() -> Check:
        result = get("GET", 0, 100)
        measured = index.vs_ceiling(result) if result else None
        what = "GET id_token, Kakao 0 ms, 100 conns: ÷ ceiling"
        return Check(ours, what, measured, _ID_TOKEN_CEILING_GOAL, True, "×")

    def latency_effect(method: str) -> Check:
        """How far req/s at Kakao 50 ms is from its own at 0 ms, either way, in %."""
        at_0, at_50 = get(method, 0, 100), get(method, 50, 100)
        measured = None
        if at_0 and at_50 and at_0.rps:
            measured = abs(at_50.rps / at_0.rps - 1) * 100
        what = f"{method} id_token, 100 conns: req/s at Kakao 50 ms off its own at 0 ms by"
        return Check(ours, what, measured, _ID_TOKEN_LATENCY_EFFECT_GOAL, False, "%")

    def vs_baseline(method: str) -> Check:
        result = get(method, 50, 100)
        measured = index.vs_baseline(result) if result else None
        what = f"{method} id_token, Kakao 50 ms, 100 conns: ÷ baseline"
        return Check(ours, what, measured, _ID_TOKEN_BASELINE_GOAL, True, "×")

    def p99(method: str) -> Check:
        result = get(method, 50, 10)
        what = f"{method} id_token, Kakao 50 ms, 10 conns: p99"
        measured = result.p99_ms if result else None
        return Check(ours, what, measured, _ID_TOKEN_P99_GOAL_MS, False, "ms")

    return [
        vs_ceiling(),
        *(latency_effect(method) for method in ("GET", "POST")),
        *(vs_baseline(method) for method in ("GET", "POST")),
        *(p99(method) for method in ("GET", "POST")),
    ]


def checks(run: BenchRun) -> list[Check]:
    """Every goal, for each of our targets that ran; a goal whose cases did not run is None."""
    index = Index(run.results)
    measured = {result.case.target for result in run.results}
    return [
        check
        for ours in OURS
        if ours in measured
        for check in _checks_for(ours, index, run.lifetime_peak_rss_mb.get(ours))
    ]


def _number(value: float | None, digits: int = 0, suffix: str = "") -> str:
    return "–" if value is None else f"{value:,.{digits}f}{suffix}"


def cases_table(run: BenchRun) -> str:
    index = Index(run.results)
    header = (
        "| target | method | token | Kakao | conns | req/s | p50 ms | p99 ms | errors "
        "| peak RSS MB | CPU % | CPU ms/req | Kakao CPU % | ÷ ceiling | ÷ baseline | rounds |"
    )
    lines = [header, "|" + "---|" * 16]
    for r in run.results:
        case = r.case
        kakao = "–" if case.kakao_ms is None else f"{case.kakao_ms} ms"
        token = "–" if case.target == CEILING else case.token  # the ceiling reads no token
        cells = [
            case.target, case.method, token, kakao, str(case.connections), _number(r.rps),
            _number(r.p50_ms, 1), _number(r.p99_ms, 1), str(r.errors), _number(r.peak_rss_mb, 1),
            _number(r.cpu_percent), _number(r.cpu_ms_per_request, 2), _number(r.kakao_cpu_percent),
            _number(index.vs_ceiling(r), 2), _number(index.vs_baseline(r), 1, "×"), str(r.rounds),
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def checks_table(found: list[Check]) -> str:
    if not found:
        return "No goal could be checked: none of our targets ran."
    lines = ["| target | check | measured | goal | result |", "|---|---|---|---|---|"]
    for check in found:
        digits = 2 if check.unit == "×" else 1
        unit = check.unit if check.unit == "%" else f" {check.unit}"
        goal = ("≥ " if check.at_least else "< ") + f"{check.goal:g}{unit}"
        verdict = {True: "pass", False: "**FAIL**", None: "not measured"}[check.passed]
        measured = _number(check.measured, digits, unit)
        lines.append(f"| {check.target} | {check.what} | {measured} | {goal} | {verdict} |")
    return "\n".join(lines)


def _options_text(run: BenchRun) -> str:
    """Anything run differently from a plain deployment, so nobody mistakes it for one."""
    if run.options.kakao_uvloop:
        return "The fake Kakao ran on uvloop."
    return "Options: the fake Kakao ran on asyncio's own loop (--kakao-asyncio)."


def _rounds_text(repeats: int) -> str:
    if repeats <= 1:
        return ""
    return (
        f"The cases a goal is judged on ran in {repeats} rounds (every target started again in "
        "turn each round, the fake Kakao excepted): their numbers are the medians of the rounds "
        "(errors summed, peak RSS the highest), see the `rounds` column. "
    )


def markdown(run: BenchRun) -> str:
    plan, machine = run.plan, run.machine
    parts = [
        f"# Bench results ({plan.mode} run)",
        "",
        f"{run.started_at}, commit {machine.get('commit')}, {machine.get('cores')} cores, "
        f"Python {machine.get('python')}, load average {machine.get('load_average_at_start'):.2f}"
        f" at start and {machine.get('load_average_at_end', 0.0):.2f} at end; "
        f"{run.elapsed_s:.0f} s in all. {_options_text(run)}",
        "",
        f"Each case: wrk (1 thread) for {plan.seconds:g} s after a {plan.warmup_seconds:g} s "
        f"warm-up. {_rounds_text(plan.repeats)}Peak RSS: the target's VmRSS sampled "
        "every 100 ms under that case's load "
        "(summed over gunicorn's master and workers). CPU: % of one core; CPU ms/req: the target's "
        "CPU time per answered request, the steadier number on a shared machine. ÷ ceiling and "
        "÷ baseline: our req/s over theirs at the same method, Kakao latency and connections. "
        "kakao-alone: wrk straight at the fake's `GET /v2/user/me`, the floor under every "
        "target's latency. token: `access`, the fake's fixed access token (asked about at kapi "
        "on every request), or `id_token`, the same user's Kakao id_token, verified by our "
        "service against the fake's cached JWKS with no Kakao call; the references take "
        "access tokens only, so ratios of id_token cases are to their access-token cases.",
        "",
        "## Cases",
        "",
        cases_table(run),
        "",
        "## Targets",
        "",
        checks_table(checks(run)),
    ]
    if run.notes:
        parts += ["", "## Notes", "", *[f"- {note}" for note in run.notes]]
    return "\n".join(parts) + "\n"


def as_json(run: BenchRun) -> str:
    index = Index(run.results)
    document = {
        "mode": run.plan.mode,
        "started_at": run.started_at,
        "elapsed_s": round(run.elapsed_s, 1),
        "machine": run.machine,
        "options": asdict(run.options),
        "settings": {
            "seconds": run.plan.seconds,
            "warmup_seconds": run.plan.warmup_seconds,
            "connections": list(run.plan.connections),
            "kakao_latencies_ms": list(run.plan.kakao_latencies_ms),
            "tokens": list(run.plan.tokens),
            "targets": list(run.plan.targets),
            "repeats": run.plan.repeats,
        },
        "cases": [
            {**r.to_dict(), "vs_ceiling": index.vs_ceiling(r), "vs_baseline": index.vs_baseline(r)}
            for r in run.results
        ],
        "measurements": [r.to_dict() for r in run.measurements],
        "lifetime_peak_rss_mb": run.lifetime_peak_rss_mb,
        "checks": [{**asdict(c), "passed": c.passed} for c in checks(run)],
        "notes": run.notes,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
