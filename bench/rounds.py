"""Several measurements of one case, summarized as their medians.

The cases that issue 6's goals are judged on run in several rounds (`Plan.repeats`): on a
shared 2-core machine one 5-second run can be a quarter off either way, and a goal should not
pass or fail on one unlucky run of either side of a ratio.
"""

from __future__ import annotations

import dataclasses
from statistics import median

from bench.measure import CaseResult


def summarize(measurements: list[CaseResult]) -> list[CaseResult]:
    """One result per case, in the order cases were first measured.

    Each number is the median over that case's rounds, taken on its own (CPU per request too:
    the median of each round's own, not a ratio of medians); errors are summed (one bad round
    must show) and peak RSS is the highest.
    """
    by_case: dict[object, list[CaseResult]] = {}
    for result in measurements:
        by_case.setdefault(result.case, []).append(result)
    return [_median_of(results) for results in by_case.values()]


def _median_of(results: list[CaseResult]) -> CaseResult:
    if len(results) == 1:
        return results[0]
    kakao = [r.kakao_cpu_percent for r in results if r.kakao_cpu_percent is not None]
    cpu_ms = [r.cpu_ms_per_request for r in results if r.cpu_ms_per_request is not None]
    return dataclasses.replace(
        results[0],
        requests=sum(r.requests for r in results),
        rps=median(r.rps for r in results),
        p50_ms=median(r.p50_ms for r in results),
        p99_ms=median(r.p99_ms for r in results),
        errors=sum(r.errors for r in results),
        peak_rss_mb=max(r.peak_rss_mb for r in results),
        cpu_percent=median(r.cpu_percent for r in results),
        kakao_cpu_percent=median(kakao) if kakao else None,
        rounds=len(results),
        median_cpu_ms_per_request=median(cpu_ms) if cpu_ms else None,
    )
