"""Benchmark: 10,000 executions parked on ``.waitForTaskToken`` at once, then all answered.

Run: ``python benchmarks/parked_tokens.py [--executions 10000] [--runs 3] [--json]``. Each run is a
fresh process (``--child``) on a ``VirtualClock``: the executions of a one-state machine
(``sqs:sendMessage.waitForTaskToken`` to a local ``SqsService`` queue, the token in the message
body) are started at once; the worker then drains the queue (batches of 10) to read the tokens, and
answers every token with ``send_task_success``. Figures, medians over the runs:

- ``park``: wall seconds from the first ``start_execution`` until every execution waits on its
  token (all messages sent, ``TaskSubmitted`` recorded);
- ``close``: wall seconds from the first answer until every execution has closed (reading the
  queue is excluded and reported as ``drain``);
- ``answers/s``: executions answered and closed per second (``executions / close``); the rate of
  the ``send_task_success`` calls alone is ``calls/s``;
- ``peak``: the process's peak resident memory (``ru_maxrss``), imports included.

Targets (issue 6): peak ≤ 1 GiB, ≥ 5,000 answers per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.integrations import Registry
from sfnlocal.integrations.sqs_queues import SqsService

DEFINITION = {"StartAt": "Park", "States": {"Park": {
    "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "Parameters": {"QueueUrl.$": "$.url", "MessageBody": {"n.$": "$.n", "TaskToken.$": "$$.Task.Token"}},
    "End": True}}}


async def _parked(registry: Registry, count: int) -> None:
    """Yield to the loop until ``count`` tokens are open."""
    while len(registry.callbacks) < count:
        await asyncio.sleep(0)


async def _drain(sqs: SqsService, url: str, count: int) -> list[str]:
    """Receive and delete every message; return the tokens in their bodies."""
    tokens: list[str] = []
    while len(tokens) < count:
        received = (await sqs.receive_message(url, max_number=10)).get("Messages") or []
        for message in received:
            tokens.append(json.loads(message["Body"])["TaskToken"])
        if received:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                       for i, m in enumerate(received)]
            await sqs.delete_message_batch(url, entries)
    return tokens


async def measure(count: int) -> dict[str, Any]:
    """One run: start ``count`` executions, park them, answer them all; return the figures."""
    clock = VirtualClock()
    sqs = SqsService(clock, "us-east-1", "123456789012", rng=random.Random(1))
    registry = Registry()
    registry.register_sqs(sqs)
    async with Engine(clock=clock, settings=EngineSettings(seed=1), integrations=registry) as engine:
        url = (await sqs.create_queue("parked"))["QueueUrl"]
        sm = await engine.create_state_machine("parked", DEFINITION)
        begin = time.perf_counter()
        arns = [(await engine.start_execution(sm.arn, {"url": url, "n": n})).arn
                for n in range(count)]
        await _parked(registry, count)
        parked = time.perf_counter()
        tokens = await _drain(sqs, url, count)
        drained = time.perf_counter()
        for token in tokens:
            await engine.send_task_success(token, '{"ok": true}')
        answered = time.perf_counter()
        records = [await engine.wait(arn) for arn in arns]
        closed = time.perf_counter()
    assert all(r.status == "SUCCEEDED" for r in records), "an execution did not succeed"
    return {"executions": count, "park_s": parked - begin, "drain_s": drained - parked,
            "answer_s": answered - drained, "calls_per_s": count / (answered - drained),
            "close_s": closed - drained, "answers_per_s": count / (closed - drained),
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(count: int) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter."""
    out = subprocess.run([sys.executable, __file__, "--child", "--executions", str(count)],
                         check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def main() -> None:
    """Parse the arguments; print the medians (or one child's figures with ``--child``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print every run and the medians")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(measure(args.executions))))
        return
    runs = [_child(args.executions) for _ in range(args.runs)]
    medians = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    if args.json:
        print(json.dumps({"runs": runs, "median": medians}, indent=2))
        return
    print(f"{args.executions:,} executions, median of {args.runs} fresh processes:")
    print(f"  park (start → all waiting)  {medians['park_s']:.2f} s")
    print(f"  drain the queue (tokens)    {medians['drain_s']:.2f} s")
    print(f"  send_task_success calls     {medians['calls_per_s']:,.0f} /s "
          f"({medians['answer_s']:.2f} s)")
    print(f"  first answer → all closed   {medians['close_s']:.2f} s "
          f"({medians['answers_per_s']:,.0f} answers/s)")
    print(f"  peak RSS                    {medians['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
