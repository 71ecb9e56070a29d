"""`python -m bench.state_save --quick` works: /healthz under run_all while the fake saves.

Only the output's structure is checked, never its numbers (a shared, noisy machine): both
cases ran, the large state really was large and saved during the load, nothing failed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLE_HEADER = (
    "| case | state MB | saves | changes | requests | errors | req/s | p50 ms | p99 ms "
    "| max ms | p50 ÷ baseline | p99 ÷ baseline |"
)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp("state-save")
    completed = subprocess.run(
        [sys.executable, "-m", "bench.state_save", "--quick", "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout, out


def test_prints_a_row_per_case_with_ratios_to_the_baseline(quick_run) -> None:
    stdout, out = quick_run
    lines = stdout.splitlines()
    assert TABLE_HEADER in lines
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in lines if line.startswith("| ")]
    cases = {row[0]: row for row in rows if row[0] in ("baseline", "large")}
    assert set(cases) == {"baseline", "large"}
    assert cases["baseline"][-2:] == ["1.00", "1.00"]
    assert (out / "state-save-quick.md").read_text() == stdout


def test_the_large_state_was_saved_under_load_and_every_request_answered(quick_run) -> None:
    _, out = quick_run
    document = json.loads((out / "state-save-quick.json").read_text())
    assert document["mode"] == "quick"
    cases = {case["case"]: case for case in document["cases"]}
    assert cases["large"]["state_bytes"] >= 2_000_000 > 100 * cases["baseline"]["state_bytes"]
    for case in cases.values():
        assert case["saves"] >= 1, case  # the saver wrote while wrk was asking
        assert case["requests"] > 0 and case["errors"] == 0, case
