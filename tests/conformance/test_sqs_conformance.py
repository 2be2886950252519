"""The ``sqs`` and ``nested+sqs`` conformance cases recorded against AWS, run through the Engine.

Each case (``../shared/conformance/cases``) is run the way the recording test did it: its queues are
created under their recorded names in an ``SqsService`` registered on the Registry (which also
serves ``aws-sdk:sqs:*``), its nested state machines are created, then the ``companion_executions``
marked ``before`` (workers written as state machines that poll the queue with
``aws-sdk:sqs:receiveMessage`` and answer with ``aws-sdk:sfn:sendTask*``), the case's execution,
the companions marked ``after``, and the ``test_actions`` of the test as a scripted worker (SendTask*
with the token read from the queue's message body). The history is compared with ``compare.py`` at
every level; AWS-only SDK metadata is noise (README).
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
from runner import category_cases
from test_nested_conformance import _start_companions, grade

from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.integrations import Registry
from sfnlocal.integrations.sqs_queues import SqsService

ACCOUNT, REGION = "111111111111", "us-east-1"
CATEGORIES = ("sqs", "nested+sqs")


def sqs_cases() -> list[dict[str, Any]]:
    """The executions of categories ``sqs`` and ``nested+sqs``, sorted by file name."""
    return category_cases(*CATEGORIES)


CASES = sqs_cases()
pytestmark = pytest.mark.skipif(not CASES, reason="conformance cases not found")

_NO_SUCH = "error_handling_test_task_service_sqs.py_TestTaskServiceSqs_test_send_message_no_such_queue"
STALE_HOSTS: dict[str, tuple[str, str]] = {
    # The recorded cause names the host of an older recording than the input and the snapshot's
    # regex replacements (LocalStack skips $..Cause there); only that host name is swapped back.
    f"{_NO_SUCH}.json": ("no-such-queue-2f4a1a78", "no-such-queue-73e08fde"),
    f"{_NO_SUCH}_no_catch.json": ("no-such-queue-2b0d6d77", "no-such-queue-fa484d45"),
}
"""Case file → (queue host in the case's input, host in the recorded cause)."""

KNOWN: dict[str, str] = {}
"""Case file → why it does not match AWS in full (run as xfail)."""


class ScriptedWorker:
    """The test's own worker: reads the token from the queue, then plays ``test_actions``."""

    def __init__(self, engine: Engine, sqs: SqsService, queue_url: str | None) -> None:
        self.engine, self.sqs, self.queue_url = engine, sqs, queue_url
        self.body: str | None = None

    async def message_body(self) -> str:
        """The body of the message the execution sent (received once, long polling)."""
        while self.body is None:
            assert self.queue_url is not None, "a worker reading tokens needs a queue"
            received = await self.sqs.receive_message(self.queue_url, wait_seconds=20)
            if received.get("Messages"):
                self.body = str(received["Messages"][0]["Body"])
        return self.body

    async def value(self, arg: Any) -> Any:
        """An action argument, with ``$runtime_value`` read from the received message."""
        if not (isinstance(arg, dict) and "$runtime_value" in arg):
            return arg
        path = str(arg["$runtime_value"])
        assert "receive_message" in path, path
        body = await self.message_body()
        return json.loads(body)["TaskToken"] if path.endswith("['TaskToken']") else body

    async def perform(self, arn: str, actions: list[dict[str, Any]]) -> None:
        """Play the recorded worker calls in order."""
        for action in actions:
            name, args = action.get("action"), action.get("args") or {}
            if name == "stop_execution":
                await self.engine.stop_execution(arn, args.get("error"), args.get("cause"))
                continue
            token = await self.value(args.get("taskToken"))
            if name == "send_task_success":
                output = await self.value(args.get("output", "{}"))
                await self.engine.send_task_success(token, output)
            elif name == "send_task_failure":
                await self.engine.send_task_failure(token, args.get("error"), args.get("cause"))
            elif name == "send_task_heartbeat":
                await self.engine.send_task_heartbeat(token)


async def _create_resources(engine: Engine, sqs: SqsService, case: dict[str, Any]) -> None:
    resources = case.get("resources") or {}
    for queue in resources.get("sqs_queues") or []:
        await sqs.create_queue(queue["name"], queue.get("attributes") or None)
    for nested in resources.get("nested_state_machines") or []:
        await engine.create_state_machine(nested["name"], nested["definition"])


async def run_sqs_case(case: dict[str, Any]) -> dict[str, Any]:
    """Run the case; return the GetExecutionHistory response to compare."""
    clock = VirtualClock()
    sqs = SqsService(clock, REGION, ACCOUNT, rng=random.Random(5))
    registry = Registry()
    registry.register_sqs(sqs)
    settings = EngineSettings(region=REGION, account=ACCOUNT, seed=11)
    queues = (case.get("resources") or {}).get("sqs_queues") or [{}]
    async with Engine(clock=clock, settings=settings, integrations=registry) as engine:
        await _create_resources(engine, sqs, case)
        await _start_companions(engine, case, "before")
        sm, execution = case["state_machine"], case["execution"]
        record = await engine.create_state_machine(
            sm["name"], sm["definition_raw"], sm["role_arn"], sm.get("type") or "STANDARD")
        kwargs = {} if execution.get("input_omitted") else {"input": execution["input_raw"]}
        started = await engine.start_execution(record.arn, name=execution["name"], **kwargs)
        await _start_companions(engine, case, "after")
        worker = ScriptedWorker(engine, sqs, queues[0].get("url"))
        await worker.perform(started.arn, case.get("test_actions") or [])
        await asyncio.wait_for(engine.wait(started.arn), 30)
        events = await engine.history_events(started.arn)
    metadata = {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}
    return {"events": events, "ResponseMetadata": metadata}


def _swap(value: Any, old: str, new: str) -> Any:
    """``value`` with ``old`` replaced by ``new`` in every string inside it."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: _swap(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, old, new) for v in value]
    return value


def _param(case: dict[str, Any]) -> Any:
    name = str(case["file"]).removesuffix(".json")
    reason = KNOWN.get(case["file"])
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(case, id=name, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
async def test_sqs_case(case: dict[str, Any]):
    history = await run_sqs_case(case)
    if case["file"] in STALE_HOSTS:
        ours, recorded = STALE_HOSTS[case["file"]]
        history = _swap(history, f"request: {ours}:", f"request: {recorded}:")
    diffs = grade(case, history)
    assert diffs["full"] == []
