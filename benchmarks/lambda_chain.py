"""Benchmark: one execution through a chain of 100 Lambda Task states, per local Lambda mode.

Run: ``python benchmarks/lambda_chain.py [--states 100] [--repeat 5]``. The function (a file
handler that adds 1 to ``$.n``) is served

- ``in-process inline``: called on the event loop;
- ``in-process thread``: called in a worker thread (the default for plain handlers);
- ``isolated``: in a worker subprocess (one warm worker; the first run includes its cold start).

Prints the median wall time of one execution over ``--repeat`` runs and the time per invocation.
The engine runs on the virtual clock, so only the invocations' real work is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sfnlocal.engine.clock import VirtualClock
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.settings import EngineSettings
from sfnlocal.integrations import Registry

ARN = "arn:aws:lambda:us-east-1:123456789012:function:add"
HANDLER = "def handler(event, context):\n    return {'n': event['n'] + 1}\n"
MODES: dict[str, dict[str, Any]] = {
    "in-process inline": {"mode": "in-process", "inline": True},
    "in-process thread": {"mode": "in-process"},
    "isolated": {"mode": "isolated"},
}


def chain(length: int) -> dict[str, Any]:
    """A definition of ``length`` Task states calling the function one after the other."""
    names = [f"S{i}" for i in range(length)]
    states = {name: {"Type": "Task", "Resource": ARN, **(
        {"Next": names[i + 1]} if i + 1 < length else {"End": True})}
        for i, name in enumerate(names)}
    return {"StartAt": names[0], "States": states}


async def measure(code: Path, options: dict[str, Any], length: int, repeat: int) -> list[float]:
    """Wall seconds of ``repeat`` executions of the chain (after one warm-up execution)."""
    registry = Registry()
    registry.register_lambda("add", "handler.handler", code=code / "handler.py", **options)
    times = []
    try:
        async with Engine(clock=VirtualClock(), settings=EngineSettings(seed=1),
                          integrations=registry) as engine:
            sm = await engine.create_state_machine("chain", chain(length))
            for run in range(repeat + 1):
                begin = time.perf_counter()
                ex = await engine.start_execution(sm.arn, input='{"n": 0}')
                record = await engine.wait(ex.arn)
                elapsed = time.perf_counter() - begin
                assert record.output == f'{{"n":{length}}}', record.output
                if run:
                    times.append(elapsed)
                else:
                    print(f"  {'first run (cold)':<22}{elapsed * 1000:9.1f} ms")
    finally:
        await registry.lambdas.aclose()
    return times


async def main() -> None:
    """Measure every mode and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--states", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        code = Path(folder)
        (code / "handler.py").write_text(HANDLER)
        for label, options in MODES.items():
            print(f"{label}:")
            times = await measure(code, options, args.states, args.repeat)
            median = statistics.median(times)
            print(f"  {'median execution':<22}{median * 1000:9.1f} ms   "
                  f"{median / args.states * 1e6:8.0f} us per invocation")


if __name__ == "__main__":
    asyncio.run(main())
