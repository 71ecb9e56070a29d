"""The PNG: requests/s against connections, one panel per method and Kakao latency.

matplotlib with its file-only Agg backend (no display needed). Both axes are logarithmic: the
baseline at 50 ms and the ceiling differ by two orders of magnitude. Our id_token cases are
drawn in their target's colour, dash-dotted.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # (after use(): the backend must be chosen first)

from bench.cases import (
    ACCESS,
    BASELINE,
    CEILING,
    ID_TOKEN,
    KAKAO_ALONE,
    OURS,
    OURS_POSTGRES,
    OURS_SQLITE,
)
from bench.runner import BenchRun

_STYLE = {
    KAKAO_ALONE: {"color": "tab:purple", "linestyle": ":", "marker": "x"},
    CEILING: {"color": "0.4", "linestyle": "--", "marker": "s"},
    BASELINE: {"color": "tab:red", "marker": "v"},
    OURS_SQLITE: {"color": "tab:blue", "marker": "o"},
    OURS_POSTGRES: {"color": "tab:green", "marker": "^"},
}
#: (target, token, label, style) of every line a panel may have
_LINES = [(target, ACCESS, target, style) for target, style in _STYLE.items()] + [
    (target, ID_TOKEN, f"{target} id_token", {**_STYLE[target], "linestyle": "-."})
    for target in OURS
]


def write_plot(run: BenchRun, path: Path) -> None:
    methods, latencies = run.plan.methods, run.plan.kakao_latencies_ms
    figure, axes = plt.subplots(
        len(latencies), len(methods), figsize=(5 * len(methods), 3.8 * len(latencies)),
        squeeze=False, sharex=True,
    )  # fmt: skip
    for row, latency in enumerate(latencies):
        for column, method in enumerate(methods):
            panel = axes[row][column]
            for target, token, label, style in _LINES:
                points = sorted(
                    (r.case.connections, r.rps)
                    for r in run.results
                    if r.case.target == target
                    and r.case.token == token
                    and r.case.method == method
                    and r.case.kakao_ms in (latency, None)
                )
                if points:
                    xs, ys = zip(*points, strict=True)
                    panel.plot(xs, ys, label=label, **style)
            panel.set_title(f"{method} /auth/kakao, fake Kakao +{latency} ms")
            panel.set_xscale("log")
            panel.set_yscale("log")
            panel.set_xticks(run.plan.connections, [str(c) for c in run.plan.connections])
            panel.set_xlabel("concurrent connections")
            panel.set_ylabel("requests/s")
            panel.grid(True, which="both", alpha=0.3)
            panel.legend(fontsize="small")
    figure.suptitle(f"kakao-login-harness bench ({run.plan.mode} run, {run.started_at})")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
