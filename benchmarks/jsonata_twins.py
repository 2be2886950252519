"""JSONata twins of W1 and W5 next to their JSONPath originals, each run in a fresh process.

W1 is a chain of 1,000 Pass states (``Parameters`` + ``ResultPath`` in JSONPath; ``Output`` in the
twin); W5 a Choice/Pass loop of 1,000 iterations (``States.MathAdd`` in ``Parameters``; ``Assign``
with ``$i + 1`` and a ``Condition`` in the twin). The shapes follow
``../shared/bench/gen_workloads.py`` and are generated here in code. Each measurement is one fresh
``python`` process that builds the engine, creates the machine, and times one execution on a
virtual clock; the figure is the median of ``--runs`` processes.

Usage: ``python benchmarks/jsonata_twins.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from typing import Any

N = 1000


def w1(jsonata: bool, n: int = N) -> dict[str, Any]:
    """W1: ``n`` Pass states, each writing ``{step, a, tag}`` to ``$.last``."""
    states: dict[str, Any] = {}
    for i in range(n):
        if jsonata:
            state: dict[str, Any] = {"Type": "Pass", "Output": {
                "last": {"step": i, "a": "{% $states.input.payload.a %}", "tag": f"s{i}"},
                "payload": "{% $states.input.payload %}"}}
        else:
            state = {"Type": "Pass", "Parameters": {"step": i, "a.$": "$.payload.a", "tag": f"s{i}"},
                     "ResultPath": "$.last"}
        state.update({"End": True} if i == n - 1 else {"Next": f"P{i + 1}"})
        states[f"P{i}"] = state
    definition = {"StartAt": "P0", "States": states}
    if jsonata:
        definition["QueryLanguage"] = "JSONata"
    return {"definition": definition,
            "input": {"last": {"step": -1}, "payload": {"a": 1, "b": [1, 2, 3]}}}


def w5(jsonata: bool, iters: int = N) -> dict[str, Any]:
    """W5: a counter loop of ``iters`` Choice + Pass iterations."""
    if not jsonata:
        return {"definition": {"StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Parameters": {"i": 0, "limit": iters}, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$.i", "NumericLessThan": iters, "Next": "Inc"}], "Default": "Done"},
            "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)",
                                                   "limit.$": "$.limit"}, "Next": "Check"},
            "Done": {"Type": "Succeed"}}}, "input": {}}
    return {"definition": {"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"i": 0, "limit": iters}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [
            {"Condition": "{% $i < $limit %}", "Next": "Inc"}], "Default": "Done"},
        "Inc": {"Type": "Pass", "Assign": {"i": "{% $i + 1 %}"}, "Next": "Check"},
        "Done": {"Type": "Succeed", "Output": {"i": "{% $i %}"}}}}, "input": {}}


WORKLOADS = {
    "W1": lambda: w1(False), "W1-jsonata": lambda: w1(True),
    "W5": lambda: w5(False), "W5-jsonata": lambda: w5(True),
}


async def _measure(name: str) -> float:
    from sfnlocal.engine import Engine, VirtualClock

    workload = WORKLOADS[name]()
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("bench", json.dumps(workload["definition"]))
        start = time.perf_counter()
        started = await engine.start_execution(sm.arn, json.dumps(workload["input"]))
        record = await engine.wait(started.arn)
        elapsed = time.perf_counter() - start
    if record.status != "SUCCEEDED":
        raise SystemExit(f"{name}: {record.status} {record.error} {record.cause}")
    return elapsed


def _child(name: str) -> None:
    print(asyncio.run(_measure(name)))


def _fresh(name: str) -> float:
    out = subprocess.run([sys.executable, __file__, "--child", name], check=True,
                         capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the median time of each workload and the JSONata/JSONPath ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    medians = {name: statistics.median(_fresh(name) for _ in range(args.runs)) for name in WORKLOADS}
    for base in ("W1", "W5"):
        path, twin = medians[base], medians[base + "-jsonata"]
        print(f"{base}: JSONPath {path * 1000:.1f} ms, JSONata {twin * 1000:.1f} ms, "
              f"ratio {twin / path:.2f}x (median of {args.runs} fresh processes)")


if __name__ == "__main__":
    main()
