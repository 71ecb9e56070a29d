"""`python -m bench.profile`: where does the service spend its time under load?

Starts the fake Kakao and our service as the bench does, drives one case with wrk and, during
it, samples the service with py-spy. Writes py-spy's raw collapsed stacks (feed them to any
flame-graph tool, e.g. speedscope.app) and prints a summary: the share of samples by package of
the innermost frame, the hottest frames, and the hottest of the service's own frames.

Samples are taken with `--gil`, i.e. only from the thread holding the GIL: the service is one
asyncio thread plus aiosqlite's worker threads, and on this VM py-spy reports those workers as
busy while they sleep on their queue, which would drown everything else.

    python -m bench.profile --target ours-sqlite --method GET --connections 100 --seconds 10
    python -m bench.profile --token id_token      # the same with the bench user's id_token
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.cases import ACCESS, ID_TOKEN, KAKAO_USER_ID, METHODS, OURS, OURS_SQLITE, TOKENS, Case
from bench.kakao import KakaoProcess
from bench.runner import start_target
from bench.targets import check_id_token
from bench.wrk import run_wrk

RESULTS = Path(__file__).resolve().parent / "results"
#: first path component of a frame's file → the "package" a sample is charged to
_PACKAGES = (
    "tornado", "aiohttp", "sqlalchemy", "aiosqlite", "asyncpg", "asyncio", "json", "jwt",
    "logging", "service", "yarl", "multidict", "uvloop", "email_validator", "selectors",
)  # fmt: skip


def package_of(frame: str) -> str:
    """`Session.scalar (sqlalchemy/orm/session.py:2616)` → `sqlalchemy`."""
    location = frame.rpartition("(")[2].rstrip(")")
    path = location.rpartition(":")[0] or location
    head = path.split("/", 1)[0].removesuffix(".py")
    return head if head in _PACKAGES else "other"


def summarize(collapsed: str, top: int = 15) -> str:
    """A plain-text summary of py-spy's raw output (`frame;frame;... count` per line)."""
    by_package: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames, samples = stack.split(";"), int(count)
        total += samples
        by_package[package_of(frames[-1])] += samples
        leaf[frames[-1]] += samples
        for frame in set(frames):
            if package_of(frame) == "service":
                ours[frame] += samples
    if total == 0:
        return "no samples (was the service idle?)"

    def block(title: str, counter: Counter[str]) -> list[str]:
        rows = [f"{100 * n / total:5.1f} %  {name}" for name, n in counter.most_common(top)]
        return [title, *rows, ""]

    return "\n".join(
        [
            f"{total} samples holding the GIL",
            "",
            *block("own time by package (innermost frame):", by_package),
            *block("hottest frames (own time):", leaf),
            *block("service frames (inclusive time):", ours),
        ]
    )


def py_spy() -> str:
    found = shutil.which("py-spy")
    if found is None:
        raise RuntimeError("py-spy is not installed: pip install py-spy (the bench extra)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--target", choices=OURS, default=OURS_SQLITE)
    parser.add_argument("--method", choices=METHODS, default="GET")
    parser.add_argument("--token", choices=TOKENS, default=ACCESS, help="the Kakao token sent")
    parser.add_argument("--kakao-ms", type=int, default=0, help="fake Kakao latency")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    token = "-id-token" if args.token == ID_TOKEN else ""
    name = f"profile-{args.target}-{args.method.lower()}{token}-{args.kakao_ms}ms"
    work = args.out / f"{name}-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    raw = args.out / f"{name}.txt"
    case = Case(args.target, args.method, args.kakao_ms, args.connections, args.token)
    with (
        KakaoProcess(work) as kakao,
        start_target(args.target, work, kakao) as target,
    ):
        id_token = kakao.issue_id_token(KAKAO_USER_ID) if args.token == ID_TOKEN else None
        if id_token is not None:
            check_id_token(target, id_token)
        request = case.request(id_token)
        kakao.set_latency(args.kakao_ms)
        run_wrk(target.base_url, request, args.connections, 1)  # warm-up
        # The service's pid is `python -m service` itself, which runs the whole service.
        record = [
            py_spy(), "record", "--pid", str(target.process.pid), "--gil", "--nonblocking",
            "--rate", str(args.rate), "--duration", str(args.seconds),
            "--format", "raw", "--output", str(raw),
        ]  # fmt: skip
        with subprocess.Popen(record, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as spy:
            result = run_wrk(target.base_url, request, args.connections, args.seconds + 1)
            _, errors = spy.communicate(timeout=60)
        if spy.returncode != 0:
            raise RuntimeError(f"py-spy failed: {errors.decode(errors='replace')}")
    print(
        f"{case.label}: {result.rps:,.0f} req/s, "
        f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms"
    )
    print(summarize(raw.read_text()))
    print(f"raw stacks: {raw}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
