"""`python -m bench.state_save`: the service's /healthz while the fake saves a large state.

Issue 19 item 11: run_all runs the fake and the service on one event loop, and the fake saves
its state once a second. At 13 MB of state the service's `/healthz` p99 went from 11 ms to
1,058 ms, before the save's encoding and writing moved to a worker thread (persist.py).

Two cases, run one after the other in this run, each a fresh `python run_all.py`:

- `baseline`: no state file at start (run_all creates the bundled one, about 15 KB);
- `large`: a state file of `--state-mb` MB (default 13) written before the start: the bundled
  users plus as many more, each with a fixed token (fixed tokens are never purged or capped,
  so the state stays that large).

In both, a refresh of a bundled token every 0.2 s changes the state, so the saver writes the
file every second (the table counts the writes seen), while wrk asks the service's `/healthz`
at `--connections` for `--seconds` (after a 1-s warm-up). The report gives p50/p99 and the
ratio large ÷ baseline: absolute numbers move with the machine's load, the ratio within one
run much less.

    python -m bench.state_save                  # 13 MB, 10 s per case
    python -m bench.state_save --quick          # 2 MB, 2 s per case: proves it works
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import threading
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.processes import REPO_ROOT, ManagedProcess, free_port
from bench.wrk import Request, run_wrk
from mock_kakao.world.persist import encode
from mock_kakao.world.state import FakeKakao

RESULTS = Path(__file__).resolve().parent / "results"
#: the bundled refresh token the state changer refreshes (users file: the full-consent user)
REFRESH_TOKEN = "mock-refresh-full-consent"
CHANGE_INTERVAL = 0.2  # seconds between state changes: several per save interval (1 s)
FIRST_EXTRA_ID = 6_000_000_001  # ids of the users added to make the state large
USERS_PER_STEP = 500
HEALTHZ = Request("GET", "/healthz")


@dataclass(frozen=True)
class CaseResult:
    case: str
    state_bytes: int  # the state file's size at the end of the case
    saves: int  # writes of the state file seen during the load (its mtime changed)
    changes: int  # refreshes sent to the fake during the load
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float


def add_users(fake: FakeKakao, first_id: int, count: int) -> int:
    """``count`` users with a fixed token each, ids from ``first_id``; the next free id."""
    for user_id in range(first_id, first_id + count):
        tokens = [{"access_token": f"bench-a-{user_id}", "refresh_token": f"bench-r-{user_id}"}]
        fake.add_user({"id": user_id, "tokens": tokens})
    return first_id + count


def write_large_state(path: Path, target_bytes: int) -> int:
    """A valid state file of at least ``target_bytes``, built by the fake's own code: a step
    of users tells the size of one, the rest come at once (encoding 13 MB takes a second)."""
    fake = FakeKakao.from_file()
    next_id = FIRST_EXTRA_ID
    data = encode(fake.snapshot())
    while len(data) < target_bytes:
        before = len(data)
        next_id = add_users(fake, next_id, USERS_PER_STEP)
        data = encode(fake.snapshot())
        per_user = (len(data) - before) / USERS_PER_STEP
        next_id = add_users(fake, next_id, max(0, int((target_bytes - len(data)) / per_user)))
        data = encode(fake.snapshot())
    path.write_bytes(data)
    return len(data)


class StateChanger:
    """Refreshes a bundled token every CHANGE_INTERVAL in a thread, so every save writes."""

    def __init__(self, kakao_url: str, client_id: str) -> None:
        self._url = f"{kakao_url}/oauth/token"
        self._form = urllib.parse.urlencode(
            {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": REFRESH_TOKEN}
        ).encode()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.sent = 0

    def _run(self) -> None:
        while not self._stop.wait(CHANGE_INTERVAL):
            with urllib.request.urlopen(self._url, data=self._form, timeout=30) as answer:
                answer.read()
            self.sent += 1

    def __enter__(self) -> StateChanger:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def run_case(name: str, work: Path, state: Path | None, seconds: int, connections: int):
    """One fresh run_all, measured; ``state``: the file it starts with (None: none)."""
    data_dir = work / name
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    state_file = data_dir / "mock_kakao_state.json"
    if state is not None:
        shutil.copyfile(state, state_file)
    ports = {name: free_port() for name in ("service", "kakao", "ui")}
    argv = [
        sys.executable, str(REPO_ROOT / "run_all.py"), "--no-browser",
        "--service-port", str(ports["service"]), "--kakao-port", str(ports["kakao"]),
        "--ui-port", str(ports["ui"]), "--data-dir", str(data_dir),
        "--kakao-state", str(state_file),
    ]  # fmt: skip
    service_url = f"http://127.0.0.1:{ports['service']}"
    kakao_url = f"http://127.0.0.1:{ports['kakao']}"
    env = {"CI": "1", "HARNESS_NO_BROWSER": "1"}
    with ManagedProcess(f"run_all-{name}", argv, work, env=env) as run_all:
        run_all.wait_http(service_url + "/healthz", timeout=120)
        with urllib.request.urlopen(kakao_url + "/_mock/config", timeout=30) as answer:
            client_id = json.load(answer)["rest_api_key"]
        writes: set[int] = set()

        def look() -> None:
            with contextlib.suppress(OSError):  # between the rename and the look
                writes.add(state_file.stat().st_mtime_ns)

        run_wrk(service_url, HEALTHZ, connections, 1)  # warm-up: the start's own work is done
        look()
        seen_before = len(writes)
        with StateChanger(kakao_url, client_id) as changer:
            result = run_wrk(service_url, HEALTHZ, connections, seconds, look)
        sent = changer.sent
    return CaseResult(
        case=name,
        state_bytes=state_file.stat().st_size,
        saves=len(writes) - seen_before,
        changes=sent,
        requests=result.requests,
        errors=result.error_count,
        rps=round(result.rps, 1),
        p50_ms=round(result.p50_ms, 2),
        p99_ms=round(result.p99_ms, 2),
        max_ms=round(result.max_ms, 2),
    )


def report(results: list[CaseResult], command: str, load: tuple[float, float]) -> str:
    base = results[0]
    lines = [
        "# /healthz under run_all while the fake saves its state (issue 19 item 11)",
        "",
        f"`{command}`; load average at start {load[0]:.2f}, at end {load[1]:.2f}.",
        "",
        "| case | state MB | saves | changes | requests | errors | req/s | p50 ms | p99 ms "
        "| max ms | p50 ÷ baseline | p99 ÷ baseline |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.case} | {r.state_bytes / 1e6:.2f} | {r.saves} | {r.changes} | {r.requests} "
            f"| {r.errors} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.max_ms:.2f} "
            f"| {r.p50_ms / base.p50_ms:.2f} | {r.p99_ms / base.p99_ms:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.state_save", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 MB, 2 s per case")
    parser.add_argument("--state-mb", type=float, help="size of the large state (default 13)")
    parser.add_argument("--seconds", type=int, help="wrk's duration per case (default 10)")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results")
    args = parser.parse_args(argv)
    state_mb = args.state_mb or (2.0 if args.quick else 13.0)
    seconds = args.seconds or (2 if args.quick else 10)
    name = "state-save-quick" if args.quick else "state-save"
    work = args.out / f"{name}-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    load_start = os.getloadavg()[0]
    large = work / "large_state.json"
    write_large_state(large, int(state_mb * 1e6))
    results = [
        run_case("baseline", work, None, seconds, args.connections),
        run_case("large", work, large, seconds, args.connections),
    ]
    command = "python -m bench.state_save " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(results, command.strip(), (load_start, os.getloadavg()[0]))
    print(text, end="")
    (args.out / f"{name}.md").write_text(text)
    document = {"mode": "quick" if args.quick else "full", "cases": [asdict(r) for r in results]}
    (args.out / f"{name}.json").write_text(json.dumps(document, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
