"""The timed region shared by the peer modules, so that both peers are timed the same way.

``gc.collect()`` runs first: the garbage left by imports and setup is not the workload's, and a
fresh process would otherwise pay a full collection of it at a random point of the timed region.
The collector stays enabled inside the region (the workload's own garbage is the workload's).
"""

from __future__ import annotations

import gc
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

Around = Callable[[], AbstractContextManager[Any]]


@contextmanager
def timed(around: Around = nullcontext) -> Iterator[dict[str, Any]]:
    """Time the body; fill the yielded dict once it has run.

    Keys: ``seconds`` (wall clock), ``cpu_seconds`` (this process's CPU time, every thread),
    ``done_monotonic`` (``time.monotonic()`` at the end), ``rss_kb`` (peak RSS so far) and
    ``process_cpu_seconds`` (CPU time since the process started, imports included).
    ``around`` wraps the body only (a profiler, for instance).
    """
    figures: dict[str, Any] = {}
    gc.collect()
    with around():
        start, cpu_start = time.perf_counter(), time.process_time()
        yield figures
        figures["seconds"] = time.perf_counter() - start
        figures["cpu_seconds"] = time.process_time() - cpu_start
    figures["done_monotonic"] = time.monotonic()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures["rss_kb"] = usage.ru_maxrss
    figures["process_cpu_seconds"] = usage.ru_utime + usage.ru_stime
