"""Short garbage-collector pauses for the local stack (issue 14).

The local AWS keeps every stored item as Python objects in the stack's own process (moto's tables, S3
objects, the app's caches): a year at 1,500 stores is millions of objects. CPython's full collection
(generation 2) walks all of them, and every request in flight waits. One `bench.local_scale --stores 300`
run logged 17 full collections over 0.1 s, the longest 1.40 s, and a list screen's p95 of 1.47 s (its
p50: 49 ms); the same run with the freeze: one of 0.17 s, every p95 under 170 ms, the seed 133 → 128 s.
At 1,500 stores a ~6 s stall had been seen.

After each full collection the survivors are frozen (``gc.freeze``): data that lived through a full
collection is the stack's stored state, long-lived by nature. Later collections walk only what came
after, so no pause grows with the data. What the freeze costs: a reference cycle among frozen objects
that later becomes garbage is never collected (plain garbage still is, by reference counting) — a small,
bounded leak that suits a development stack and would not suit a long-lived production process.

Full collections longer than ``LOG_SECONDS`` are logged (``miyapo.local.gc``), so a stall can be told
from a slow route. ``LOCAL_GC_FREEZE=0`` in the stack's environment keeps the logging and drops the freeze.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import Any

LOG_SECONDS = 0.1
logger = logging.getLogger("miyapo.local.gc")


def short_pauses(freeze: bool = True) -> Callable[[], None]:
    """Install the freeze-after-full-collection hook (``freeze=False``: only log long collections, to
    measure what the freeze saves); returns what uninstalls it."""
    started: list[float] = []

    def on_collection(phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            started[:] = [time.perf_counter()]
            return
        took = time.perf_counter() - started[0] if started else 0.0
        if freeze:
            gc.freeze()  # the survivors: never walked again
        if took >= LOG_SECONDS:
            logger.info("full garbage collection took %.2f s (%d collected); %d objects frozen since the start",
                        took, info.get("collected", 0), gc.get_freeze_count())

    gc.callbacks.append(on_collection)
    return lambda: gc.callbacks.remove(on_collection)
