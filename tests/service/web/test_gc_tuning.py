"""service.web.gc_tuning, in a child process: freezing and thresholds are process-wide."""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = """
import gc, json
from service.web import gc_tuning

class Node:
    pass

before = gc.get_freeze_count()
gc_tuning.settle()
frozen = gc.get_freeze_count()
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle made after settle()
del a, b
print(json.dumps({
    "before": before,
    "frozen": frozen,
    "threshold": gc.get_threshold(),
    "cycle_collected": gc.collect() >= 2,
    "enabled": gc.isenabled(),
}))
"""


def test_settle_freezes_start_up_objects_and_still_collects_new_cycles() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=60
    )
    facts = json.loads(done.stdout)
    assert facts["before"] == 0
    assert facts["frozen"] > 1000  # the imported modules' objects, at least
    assert facts["threshold"][0] == 7000
    assert facts["cycle_collected"] and facts["enabled"]
