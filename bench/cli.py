"""`python -m bench [--quick]`: run the bench, print the table, write the results files.

Results go to bench/results/<name>.{md,json,png} (name: latest, or quick with --quick).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
from pathlib import Path

from bench import report
from bench.cases import ALL_TARGETS, TOKENS, full_plan, quick_plan
from bench.measure import CaseResult
from bench.plot import write_plot
from bench.runner import run_bench
from bench.targets import Options

RESULTS = Path(__file__).resolve().parent / "results"


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip().upper() for word in text.split(",") if word.strip())


def _tokens(text: str) -> tuple[str, ...]:
    chosen = tuple(word.strip().lower() for word in text.split(",") if word.strip())
    unknown = set(chosen) - set(TOKENS)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {','.join(TOKENS)}")
    return chosen


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(word) for word in text.split(",") if word.strip())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="one short case per target and method (seconds)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results")
    parser.add_argument(
        "--name", help="file name stem of the results (default: latest, or quick with --quick)"
    )
    parser.add_argument(
        "--targets",
        default=",".join(ALL_TARGETS),
        help=f"comma-separated subset of {','.join(ALL_TARGETS)}",
    )
    parser.add_argument("--methods", type=_words, help="subset of GET,POST")
    parser.add_argument(
        "--tokens",
        type=_tokens,
        help=f"the Kakao tokens our targets get: subset of {','.join(TOKENS)} (default: both)",
    )
    parser.add_argument("--connections", type=_numbers, help="e.g. 100 or 1,10,100")
    parser.add_argument("--kakao-ms", type=_numbers, help="fake Kakao latencies, e.g. 0,50")
    parser.add_argument("--seconds", type=float, help="measured seconds per case")
    parser.add_argument(
        "--repeats", type=int, help="rounds of the cases a goal is judged on (full run: 3)"
    )
    parser.add_argument("--warmup", type=float, help="warm-up seconds per case")
    parser.add_argument(
        "--kakao-asyncio",
        action="store_true",
        help="run the fake Kakao on asyncio's own loop (default: uvloop)",
    )
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    unknown = set(args.targets.split(",")) - set(ALL_TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    return args


def _progress(result: CaseResult) -> None:
    print(
        f"  {result.case.label}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms, {result.errors} errors",
        file=sys.stderr,
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = tuple(t for t in ALL_TARGETS if t in args.targets.split(","))
    plan = quick_plan(chosen) if args.quick else full_plan(chosen)
    overrides = {
        "methods": args.methods,
        "tokens": args.tokens,
        "connections": args.connections,
        "kakao_latencies_ms": args.kakao_ms,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "repeats": args.repeats,
    }
    plan = dataclasses.replace(plan, **{k: v for k, v in overrides.items() if v is not None})
    name = args.name or ("quick" if args.quick else "latest")
    # Logs and databases of this run; kept afterwards (git-ignored) to read when a case fails.
    work = args.out / f"{name}-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    options = Options(kakao_uvloop=not args.kakao_asyncio)
    run = run_bench(plan, work, options, progress=_progress)
    markdown = report.markdown(run)
    (args.out / f"{name}.md").write_text(markdown)
    (args.out / f"{name}.json").write_text(report.as_json(run))
    write_plot(run, args.out / f"{name}.png")
    print(markdown)
    print(f"bench: wrote {args.out / name}.{{md,json,png}}", file=sys.stderr)
    return 0
