"""Drive load with Debian's `wrk` and read its numbers back.

wrk is a C load generator that needs far less CPU per request than any Python client, which
matters on a 2-core machine where the load generator shares the CPU with the servers it
measures. It runs with one thread: one thread drives tens of thousands of requests per second,
more than any server here answers, and a second thread would only take CPU from the servers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "lua" / "request.lua"
_MARKER = "BENCH_JSON "


@dataclass(frozen=True)
class Request:
    """What every request of a case looks like."""

    method: str
    path: str
    authorization: str | None = None
    body: str | None = None


@dataclass(frozen=True)
class WrkResult:
    """wrk's summary of one run. Latencies in milliseconds."""

    requests: int
    duration_s: float
    errors: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def error_count(self) -> int:
        """Socket errors, timeouts and HTTP statuses >= 400, all counted by wrk itself."""
        return sum(self.errors.values())


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: run scripts/setup-test-env (Debian's 'wrk')")
    return found


def run_wrk(
    base_url: str,
    request: Request,
    connections: int,
    seconds: float,
    while_running: Callable[[], None] | None = None,
    poll_interval: float = 0.1,
) -> WrkResult:
    """Run wrk for `seconds` at `connections`; call `while_running` every `poll_interval`.

    `while_running` is how the caller samples the server's memory during the load without a
    thread of its own.
    """
    argv = [
        wrk_binary(),
        "--threads", "1",
        "--connections", str(connections),
        "--duration", f"{max(1, round(seconds))}s",
        # A slow server must show up as high latency, not as wrk's own timeouts (default 2 s).
        "--timeout", "30s",
        "--script", str(SCRIPT),
        base_url + request.path,
    ]  # fmt: skip
    env = {
        **os.environ,
        "BENCH_METHOD": request.method,
        "BENCH_AUTHORIZATION": request.authorization or "",
        "BENCH_BODY": request.body or "",
    }
    with subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as wrk:
        while wrk.poll() is None:
            if while_running is not None:
                while_running()
            time.sleep(poll_interval)
        stdout, stderr = wrk.communicate()
    if wrk.returncode != 0:
        raise RuntimeError(f"wrk failed ({wrk.returncode}): {stderr.strip() or stdout.strip()}")
    return parse_output(stdout)


def parse_output(stdout: str) -> WrkResult:
    """The JSON line that lua/request.lua's done() printed."""
    for line in stdout.splitlines():
        if line.startswith(_MARKER):
            data = json.loads(line[len(_MARKER) :])
            latency = data["latency_us"]
            return WrkResult(
                requests=data["requests"],
                duration_s=data["duration_us"] / 1e6,
                errors=data["errors"],
                p50_ms=latency["p50"] / 1000,
                p90_ms=latency["p90"] / 1000,
                p99_ms=latency["p99"] / 1000,
                max_ms=latency["max"] / 1000,
            )
    raise RuntimeError(f"wrk printed no summary line:\n{stdout}")
