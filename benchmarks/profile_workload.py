"""Profile sfnlocal's timed region of one benchmark workload (the region run_workloads.py times).

Usage::

    python benchmarks/profile_workload.py W1 [--sort tottime] [--limit 30] [--pyinstrument]

Generates the workloads with the shared generator, runs one measurement in this process under
cProfile (or pyinstrument, when installed and asked for) and prints the hottest functions with
their cost per state entered. cProfile (timing CPU time, so that other processes' load
does not land on our functions) roughly doubles the run time: read the shares, not the absolute
figures.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from run_workloads import ROOT, generate
from workload_checks import executions


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("workload", help="W1, W2, W2s, W3, W4 or W5")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (default tottime)")
    parser.add_argument("--limit", type=int, default=30, help="functions to print")
    parser.add_argument("--runs", type=int, default=1, help="profile this many runs together")
    parser.add_argument("--pyinstrument", action="store_true", help="use pyinstrument instead")
    parser.add_argument("--no-gc", action="store_true",
                        help="disable the cyclic GC in the timed region: interpreter costs only")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    return parser.parse_args()


def load(shared: Path, workload_id: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sfnlocal-profile-") as tmp:
        generate(shared, Path(tmp))
        return json.loads((Path(tmp) / f"{workload_id}.json").read_text(encoding="utf-8"))


@contextmanager
def cprofiled(profile: cProfile.Profile, no_gc: bool) -> Iterator[None]:
    with gc_disabled(no_gc):
        profile.enable()
        try:
            yield
        finally:
            profile.disable()


@contextmanager
def gc_disabled(really: bool) -> Iterator[None]:
    if really:
        gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def instrumented(no_gc: bool) -> Iterator[None]:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0001)
    with gc_disabled(no_gc):
        profiler.start()
        try:
            yield
        finally:
            profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))


def main() -> None:
    args = parse_args()
    sys.path.insert(1, str(ROOT))
    import peer_sfnlocal

    workload = load(args.shared, args.workload)
    profile = cProfile.Profile(time.process_time)  # CPU time: other processes' load is not ours
    if args.pyinstrument:
        around = lambda: instrumented(args.no_gc)  # noqa: E731
    else:
        around = lambda: cprofiled(profile, args.no_gc)  # noqa: E731
    for _ in range(args.runs):
        raw = peer_sfnlocal.measure(workload, executions(args.workload), around)
        entered = raw["entered"]
        print(f"{args.workload}: {raw['seconds'] * 1e3:.1f} ms profiled, {entered} states entered, "
              f"{raw['seconds'] / entered * 1e6:.1f} µs per state (under the profiler)")
    if not args.pyinstrument:
        stats = pstats.Stats(profile)
        stats.sort_stats(args.sort).print_stats(args.limit)


if __name__ == "__main__":
    main()
