"""Measure one case: warm up, then run wrk while sampling the target's memory and CPU.

The numbers per case: requests/s, p50 and p99 latency, errors (as wrk counts them: socket errors,
timeouts and statuses >= 400), the target's peak resident memory while under this load (VmRSS
sampled every 100 ms, summed over its process tree) and the CPU used, in % of one core, by the
target and by the fake Kakao. The fake's CPU is there to prove the fake was not the limit.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from bench.cases import Case
from bench.procfs import CpuMeter, process_tree, rss_kb
from bench.wrk import Request, run_wrk


@dataclass(frozen=True)
class CaseResult:
    case: Case
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    peak_rss_mb: float
    cpu_percent: float
    kakao_cpu_percent: float | None
    #: how many measurements this result is the median of (see bench.rounds)
    rounds: int = 1
    #: the median of the rounds' own CPU per request (None: one round, computed below)
    median_cpu_ms_per_request: float | None = None

    @property
    def cpu_ms_per_request(self) -> float | None:
        """The target's CPU per answered request: steadier than req/s on a busy machine."""
        if self.median_cpu_ms_per_request is not None:
            return self.median_cpu_ms_per_request
        return self.cpu_percent * 10 / self.rps if self.rps else None

    def to_dict(self) -> dict[str, object]:
        fields = {k: v for k, v in asdict(self).items() if k != "case"}
        return {**asdict(self.case), **fields, "cpu_ms_per_request": self.cpu_ms_per_request}


def measure(
    case: Case,
    request: Request,
    base_url: str,
    target_pid: int,
    kakao_pid: int | None,
    seconds: float,
    warmup_seconds: float,
) -> CaseResult:
    if warmup_seconds > 0:
        run_wrk(base_url, request, case.connections, warmup_seconds)

    pids = process_tree(target_pid)
    target_cpu = CpuMeter(pids)
    kakao_cpu = CpuMeter(process_tree(kakao_pid)) if kakao_pid is not None else None
    peak_kb = rss_kb(pids)

    def sample_memory() -> None:
        nonlocal peak_kb
        peak_kb = max(peak_kb, rss_kb(pids))

    started = time.monotonic()
    target_cpu.start(started)
    if kakao_cpu is not None:
        kakao_cpu.start(started)
    result = run_wrk(base_url, request, case.connections, seconds, while_running=sample_memory)
    ended = time.monotonic()
    return CaseResult(
        case=case,
        requests=result.requests,
        rps=result.rps,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        errors=result.error_count,
        peak_rss_mb=peak_kb / 1024,
        cpu_percent=target_cpu.percent(ended),
        kakao_cpu_percent=kakao_cpu.percent(ended) if kakao_cpu is not None else None,
    )
