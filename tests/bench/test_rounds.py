"""bench.rounds: the medians a goal is judged on, from made-up measurements (no timing)."""

from __future__ import annotations

import pytest

from bench.cases import Case
from bench.measure import CaseResult
from bench.rounds import summarize

CASE = Case("ours-sqlite", "GET", 0, 100)
OTHER = Case("ceiling", "GET", None, 100)


def result(
    case: Case, rps: float, p99: float, errors: int = 0, rss: float = 80.0, cpu: float = 90.0
) -> CaseResult:
    return CaseResult(case, int(rps * 5), rps, 10.0, p99, errors, rss, cpu, 20.0)


def test_each_number_is_the_median_of_its_rounds_errors_summed_rss_the_highest() -> None:
    rounds = [
        result(CASE, 1000, 90, errors=1, rss=85, cpu=80),  # 0.8 ms of CPU per request
        result(OTHER, 2000, 60),
        result(CASE, 400, 300, rss=88, cpu=100),  # one unlucky round: 2.5 ms
        result(CASE, 1100, 80, cpu=99),  # 0.9 ms
    ]
    summary = summarize(rounds)
    assert [r.case for r in summary] == [CASE, OTHER]  # first-measured order
    ours = summary[0]
    assert (ours.rps, ours.p99_ms, ours.rounds) == (1000, 90, 3)
    assert (ours.errors, ours.peak_rss_mb, ours.requests) == (1, 88, 5000 + 2000 + 5500)
    # the median of the rounds' own (0.8, 2.5, 0.9), not median CPU ÷ median req/s (0.99)
    assert ours.cpu_ms_per_request == pytest.approx(0.9)
    assert summary[1] == rounds[1]  # measured once: as it was
