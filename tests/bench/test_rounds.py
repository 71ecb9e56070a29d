"""bench.rounds: the medians a goal is judged on, from made-up measurements (no timing)."""

from __future__ import annotations

from bench.cases import Case
from bench.measure import CaseResult
from bench.rounds import summarize

CASE = Case("ours-sqlite", "GET", 0, 100)
OTHER = Case("ceiling", "GET", None, 100)


def result(case: Case, rps: float, p99: float, errors: int = 0, rss: float = 80.0) -> CaseResult:
    return CaseResult(case, int(rps * 5), rps, 10.0, p99, errors, rss, 90.0, 20.0)


def test_each_number_is_the_median_of_its_rounds_errors_summed_rss_the_highest() -> None:
    rounds = [
        result(CASE, 1000, 90, errors=1, rss=85),
        result(OTHER, 2000, 60),
        result(CASE, 400, 300, rss=88),  # one unlucky round
        result(CASE, 1100, 80),
    ]
    summary = summarize(rounds)
    assert [r.case for r in summary] == [CASE, OTHER]  # first-measured order
    ours = summary[0]
    assert (ours.rps, ours.p99_ms, ours.rounds) == (1000, 90, 3)
    assert (ours.errors, ours.peak_rss_mb, ours.requests) == (1, 88, 5000 + 2000 + 5500)
    assert summary[1] == rounds[1]  # measured once: as it was
