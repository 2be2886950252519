"""Micro-benchmark of the expression layer: per-call cost of compiled paths, templates, intrinsics.

Run: ``python benchmarks/bench_expressions.py [--repeat N]``. Prints, for each operation, the
median over ``N`` runs of the time per call (each run is sized by ``timeit.autorange``), next to
reference points: a hand-written dict lookup (the floor) and jsonpath-ng used the way slow peers
use it (parse + find at every evaluation).
"""

from __future__ import annotations

import argparse
import random
import statistics
import timeit
from collections.abc import Callable
from typing import Any

from jsonpath_ng.ext.parser import parse as jsonpath_ng_parse

from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.intrinsics import parse_intrinsic
from sfnlocal.expressions.jsonpath import IDENTITY, compile_path, compile_reference_path
from sfnlocal.expressions.templates import compile_template

DATA: dict[str, Any] = {
    "payload": {"a": 1, "b": [1, 2, 3], "c": {"d": "text"}},
    "counter": 41,
    "items": [{"x": i} for i in range(10)],
}
CTX = EvalContext(
    context={"Execution": {"Id": "arn:exec", "Input": DATA}, "Map": {"Item": {"Value": 7}}},
    variables={"limit": {"max": 3}},
    rng=random.Random(0),
)
PARAMETERS = {
    "a.$": "$.payload.a",
    "id.$": "$$.Execution.Id",
    "constant": "value",
    "nested": {"d.$": "$.payload.c.d", "n": 1},
}


def cases() -> list[tuple[str, Callable[[], Any]]]:
    """The operations to time, each as a zero-argument callable."""
    path = compile_path("$.payload.a")
    deep = compile_path("$.payload.b[2]")
    context = compile_path("$$.Map.Item.Value")
    variable = compile_path("$limit.max")
    query = compile_path("$.items[?(@.x > 7)].x")
    result_path = compile_reference_path("$.result")
    template = compile_template(PARAMETERS, "Parameters")
    math_add = parse_intrinsic("States.MathAdd($.counter, 1)")
    fmt = parse_intrinsic("States.Format('{} of {}', $.payload.a, $.counter)")
    data, ctx = DATA, CTX
    return [
        ("dict lookup by hand (floor)", lambda: data["payload"]["a"]),
        ("$ (IDENTITY)", lambda: IDENTITY.evaluate(data, ctx)),
        ("$.payload.a", lambda: path.evaluate(data, ctx)),
        ("$.payload.b[2]", lambda: deep.evaluate(data, ctx)),
        ("$$.Map.Item.Value", lambda: context.evaluate(data, ctx)),
        ("$limit.max", lambda: variable.evaluate(data, ctx)),
        ("ResultPath $.result (assign)", lambda: result_path.assign(data, 1)),
        ("Parameters template (4 keys, nested)", lambda: template.evaluate(data, ctx)),
        ("States.MathAdd($.counter, 1)", lambda: math_add.evaluate(data, ctx)),
        ("States.Format('{} of {}', ...)", lambda: fmt.evaluate(data, ctx)),
        ("$.items[?(@.x > 7)].x (jsonpath-ng)", lambda: query.evaluate(data, ctx)),
        (
            "$.payload.a, parse + find each time (peer)",
            lambda: [m.value for m in jsonpath_ng_parse("$.payload.a").find(data)],
        ),
    ]


def time_per_call(func: Callable[[], Any], repeat: int) -> float:
    """Median seconds per call over ``repeat`` runs."""
    timer = timeit.Timer(func)
    number, _ = timer.autorange()
    runs = timer.repeat(repeat=repeat, number=number)
    return statistics.median(runs) / number


def main() -> None:
    """Print the per-call figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"{'operation':48} {'per call':>12}")
    for name, func in cases():
        seconds = time_per_call(func, args.repeat)
        print(f"{name:48} {seconds * 1e9:9.0f} ns")


if __name__ == "__main__":
    main()
