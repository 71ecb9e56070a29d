"""The cyclic garbage collector, set for a long-running server process.

Under the bench's load and CPython's defaults, the collector took about a tenth of the
service's CPU and stopped it for up to ~100 ms at a time, which is a p99 all by itself
(bench/README.md, "Garbage collection"). Two causes, two settings:

- Full collections walked the ~100,000 objects that imports and set-up leave behind and that
  live as long as the process. `gc.freeze()`, once the app is built, moves them out of every
  later collection: the longest pause fell from 98 to 7 ms.
- The youngest generation is collected whenever 700 more container objects exist than at the
  last collection; a hundred requests in flight cross that over and over, and those objects are
  alive, not garbage (a request's garbage is nearly all freed by reference counting). At 7,000
  the same load ran 7 young collections instead of ~720.
"""

from __future__ import annotations

import gc

#: CPython's default is 700
GEN0_THRESHOLD = 7000


def settle() -> None:
    """Call once, when the app is built: collect, freeze what is left, collect young ones less."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
