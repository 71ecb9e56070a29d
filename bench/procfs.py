"""Memory and CPU of a process tree, read straight from /proc (Linux only, no psutil).

Why a tree: gunicorn's baseline is a master plus sync workers, and its memory is theirs summed;
our service and the ceiling are one process, so for them the tree is just the process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants alive right now."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return tree


def _status_kb(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM), 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pids: list[int]) -> int:
    """Resident memory now, summed over `pids`."""
    return sum(_status_kb(pid, "VmRSS") for pid in pids)


def peak_rss_kb(pids: list[int]) -> int:
    """Each process's lifetime peak (VmHWM), summed: an upper bound on the tree's peak."""
    return sum(_status_kb(pid, "VmHWM") for pid in pids)


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time consumed so far, summed over `pids`."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may contain spaces; the fields after its ')' are fixed.
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / _CLOCK_TICKS


@dataclass
class CpuMeter:
    """CPU use of a process tree between `start()` and `percent()`, in % of one core."""

    pids: list[int]
    _cpu: float = 0.0
    _wall: float = 0.0

    def start(self, now: float) -> None:
        self._cpu, self._wall = cpu_seconds(self.pids), now

    def percent(self, now: float) -> float:
        elapsed = now - self._wall
        return 100.0 * (cpu_seconds(self.pids) - self._cpu) / elapsed if elapsed > 0 else 0.0
