"""The sfnlocal side of one workload measurement, run inside a fresh child process.

Timed region: from the first ``start_execution`` call to the return of the last ``wait`` (for W4,
1,000 executions started back to back, then awaited). The engine uses a ``VirtualClock`` and
``EngineSettings(history_limit=None)`` (W2 records ~80,000 events, past AWS's 25,000 default) and
the default in-memory store, so every event of every execution is recorded. The input is handed to
``start_execution`` as a Python value (the engine serialises it once for the record); the output is
read back as the JSON text of the execution record. Imports, engine start and
``create_state_machine`` happen before the timed region (W0 covers them).
"""

from __future__ import annotations

import asyncio
import json
from contextlib import nullcontext
from typing import Any

from timed_region import Around, timed

from sfnlocal import Engine, EngineSettings, VirtualClock


def measure(workload: dict[str, Any], count: int, around: Around | None = None) -> dict[str, Any]:
    """Run ``count`` executions of the workload; return timings, outputs and history counts."""
    return asyncio.run(_measure(workload, count, around or nullcontext))


async def _measure(workload: dict[str, Any], count: int, around: Around) -> dict[str, Any]:
    settings = EngineSettings(history_limit=None)
    async with Engine(clock=VirtualClock(), settings=settings) as engine:
        machine = await engine.create_state_machine("bench", workload["definition"])
        with timed(around) as figures:
            records = await _run_all(engine, machine.arn, workload["input"], count)
        return {**_result(engine, records), **figures}


async def _run_all(engine: Engine, arn: str, value: Any, count: int) -> list[Any]:
    started = [await engine.start_execution(arn, value, name=f"e{index}") for index in range(count)]
    return [await engine.wait(record.arn) for record in started]


def _result(engine: Engine, records: list[Any]) -> dict[str, Any]:
    events = entered = 0
    for record in records:
        history = engine.store.get_history(record.arn) or []
        events += len(history)
        entered += sum(1 for event in history if event.type.endswith("StateEntered"))
    return {
        "statuses": sorted({record.status for record in records}),
        "failure": _first_failure(records),
        "outputs": [json.loads(r.output) if r.output is not None else None for r in records],
        "events": events,
        "entered": entered,
    }


def _first_failure(records: list[Any]) -> str | None:
    for record in records:
        if record.status != "SUCCEEDED":
            return f"{record.status}: {record.error}: {record.cause}"
    return None
