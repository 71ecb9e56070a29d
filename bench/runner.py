"""One bench run: the fake Kakao for the whole run, then each target in turn, alone.

Targets run one after another, never side by side, so each has the machine's two cores to share
only with wrk and the fake Kakao, as a deployment would. The fake issues the bench user's
id_token once, at the start; every id_token case of every round sends that one.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import targets
from bench.cases import (
    BASELINE,
    CEILING,
    ID_TOKEN,
    KAKAO_ALONE,
    KAKAO_USER_ID,
    OURS_POSTGRES,
    OURS_SQLITE,
    Case,
    Plan,
)
from bench.kakao import KakaoProcess
from bench.measure import CaseResult, measure
from bench.processes import REPO_ROOT
from bench.procfs import peak_rss_kb, process_tree
from bench.rounds import summarize


@dataclass
class BenchRun:
    """Everything a run measured, and what it could not."""

    plan: Plan
    started_at: str
    machine: dict[str, object]
    options: targets.Options = field(default_factory=targets.Options)
    #: every measurement, rounds apart (see `results` for one per case)
    measurements: list[CaseResult] = field(default_factory=list)
    lifetime_peak_rss_mb: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def results(self) -> list[CaseResult]:
        """One result per case: the medians of its rounds."""
        return summarize(self.measurements)


def machine_facts() -> dict[str, object]:
    """What a reader needs to judge the numbers, including how busy the machine was."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "commit": commit or None,
        "load_average_at_start": os.getloadavg()[0],
    }


def start_target(
    name: str, log_dir: Path, kakao: KakaoProcess | None
) -> AbstractContextManager[targets.Target]:
    """The context manager that runs target `name`; all but the ceiling need the fake Kakao."""
    if name == CEILING:
        return targets.ceiling(log_dir)
    if kakao is None:
        raise RuntimeError(f"{name} needs the fake Kakao")
    starters: dict[str, Callable[[], AbstractContextManager[targets.Target]]] = {
        KAKAO_ALONE: lambda: targets.kakao_alone(kakao),
        BASELINE: lambda: targets.baseline(log_dir, kakao),
        OURS_SQLITE: lambda: targets.ours_sqlite(log_dir, kakao),
        OURS_POSTGRES: lambda: targets.ours_postgres(log_dir, kakao),
    }
    return starters[name]()


def _runnable_targets(plan: Plan, run: BenchRun) -> Iterator[str]:
    for name in plan.targets:
        if name == OURS_POSTGRES and not targets.postgres_available():
            run.notes.append("PostgreSQL is not installed: the ours-postgres cases did not run.")
            continue
        yield name


def _run_target(
    run: BenchRun,
    name: str,
    cases: list[Case],
    log_dir: Path,
    kakao: KakaoProcess | None,
    progress: Callable[[CaseResult], None],
    id_token: str | None = None,
) -> None:
    """Start target `name`, measure `cases` on it, stop it."""
    plan = run.plan
    with start_target(name, log_dir, kakao) as target:
        if id_token is not None and any(case.token == ID_TOKEN for case in cases):
            targets.check_id_token(target, id_token)
        for case in cases:
            if kakao is not None:
                kakao.set_latency(case.kakao_ms or 0)
                kakao.clear_log()
            # the fake's CPU, measured beside the target's; unless it is the target
            calls_kakao = case.kakao_ms is not None and name != KAKAO_ALONE
            result = measure(
                case,
                case.request(id_token),
                target.base_url,
                target.process.pid,
                kakao.pid if kakao is not None and calls_kakao else None,
                plan.seconds,
                plan.warmup_seconds,
            )
            run.measurements.append(result)
            progress(result)
        peak_mb = peak_rss_kb(process_tree(target.process.pid)) / 1024
        run.lifetime_peak_rss_mb[name] = max(peak_mb, run.lifetime_peak_rss_mb.get(name, 0.0))


def run_bench(
    plan: Plan,
    log_dir: Path,
    options: targets.Options | None = None,
    progress: Callable[[CaseResult], None] = lambda result: None,
) -> BenchRun:
    options = options or targets.Options()
    clock = time.monotonic()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    run = BenchRun(plan, started, machine_facts(), options)
    # The ceiling alone needs no fake Kakao; everything else calls it.
    needs_kakao = any(name != CEILING for name in plan.targets)
    names = list(_runnable_targets(plan, run))
    with KakaoProcess(log_dir, options.kakao_uvloop) if needs_kakao else nullcontext() as kakao:
        id_token = None
        if kakao is not None and plan.needs_id_token:
            id_token = kakao.issue_id_token(KAKAO_USER_ID)
        # Round 1 runs every case; later rounds only those a goal is judged on, every target
        # again in turn: each side of a ratio is measured at several moments, and the report
        # takes medians, so no goal hangs on one run caught by a neighbour's load.
        for round_number in range(1, plan.repeats + 1):
            for name in names:
                cases = plan.cases(name) if round_number == 1 else plan.checked_cases(name)
                if cases:
                    _run_target(run, name, cases, log_dir, kakao, progress, id_token)
    run.machine["load_average_at_end"] = os.getloadavg()[0]
    run.elapsed_s = time.monotonic() - clock
    print(f"bench: logs of every process in {log_dir}", file=sys.stderr)
    return run
