"""The bench still works: `python -m bench --quick` runs every target end to end.

Only the structure of its output is checked, never its numbers: this machine is shared and
noisy, and a timing assertion would fail for reasons that have nothing to do with the code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLE_HEADER = (
    "| target | method | Kakao | conns | req/s | p50 ms | p99 ms | errors | peak RSS MB "
    "| CPU % | CPU ms/req | Kakao CPU % | ÷ ceiling | ÷ baseline | rounds |"
)
TARGETS = ("ceiling", "baseline", "ours-sqlite", "ours-postgres")
#: the fake Kakao alone, the floor under every target's latency: one row, GET /v2/user/me
KAKAO_ALONE = "kakao-alone"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("bench")
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed, out


def test_prints_the_table_with_a_row_per_target_and_method(quick_run) -> None:
    completed, _ = quick_run
    cases, _, checks = completed.stdout.partition("## Targets")
    lines = cases.splitlines()
    assert TABLE_HEADER in lines
    cells = [[cell.strip() for cell in line.split("|")[1:-1]] for line in lines]
    seen = {(row[0], row[1]) for row in cells if row and row[0] in (*TARGETS, KAKAO_ALONE)}
    expected = {(target, method) for target in TARGETS for method in ("GET", "POST")}
    assert seen == expected | {(KAKAO_ALONE, "GET")}
    assert "| target | check | measured | goal | result |" in checks


def test_writes_markdown_json_and_png(quick_run) -> None:
    completed, out = quick_run
    assert (out / "quick.md").read_text() == completed.stdout.rstrip("\n") + "\n"
    assert (out / "quick.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    document = json.loads((out / "quick.json").read_text())
    assert document["mode"] == "quick"
    assert {case["target"] for case in document["cases"]} == {*TARGETS, KAKAO_ALONE}


def test_every_case_got_answers_and_no_errors(quick_run) -> None:
    """Functional, not timing: each target answered the bench's requests with 2xx."""
    _, out = quick_run
    for case in json.loads((out / "quick.json").read_text())["cases"]:
        assert case["requests"] > 0, case
        assert case["errors"] == 0, case
        assert case["peak_rss_mb"] > 0, case


def test_ratios_are_given_for_our_cases_only(quick_run) -> None:
    _, out = quick_run
    for case in json.loads((out / "quick.json").read_text())["cases"]:
        ours = case["target"].startswith("ours-")
        assert (case["vs_ceiling"] is not None) == ours, case
        assert (case["vs_baseline"] is not None) == ours, case
