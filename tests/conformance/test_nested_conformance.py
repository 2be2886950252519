"""The ``nested`` conformance cases recorded against AWS, run end to end through the Engine.

The ``lambda+nested`` case runs here too, its Lambda functions registered as in
``test_lambda_conformance``.

Each case (``../shared/conformance/cases``, category ``nested``) is run the way the recording test
did it: its activities and nested state machines are created under their recorded names, then the
``companion_executions`` marked ``before`` (activity workers written as state machines that poll
with ``aws-sdk:sfn:getActivityTask`` and answer with ``aws-sdk:sfn:sendTaskSuccess``), the case's
own execution, the companions marked ``after``, and the ``test_actions`` the test performed as a
scripted worker (SendTask* on the token the execution is waiting on, StopExecution...). The history
is compared with ``compare.py`` at every level; AWS-only SDK metadata is noise (README).
"""

from __future__ import annotations

import asyncio
from typing import Any

import lambda_cases
import pytest
from lambda_cases import lambda_registry
from runner import category_cases

from sfnlocal.engine import Engine, EngineSettings, VirtualClock


def nested_cases() -> list[dict[str, Any]]:
    """The executions of categories ``nested`` and ``lambda+nested``, sorted by file name."""
    return category_cases("nested", "lambda+nested")


CASES = nested_cases()
pytestmark = pytest.mark.skipif(not CASES, reason="conformance cases not found")


async def _start_companions(engine: Engine, case: dict[str, Any], when: str) -> None:
    for companion in case.get("companion_executions") or []:
        if companion.get("started", "before") != when:
            continue
        sm = await engine.create_state_machine(companion["state_machine_name"],
                                               companion["definition"])
        await engine.start_execution(sm.arn, companion.get("input", {}))


async def _open_token(engine: Engine) -> str:
    """The token the case's execution waits on (the scripted worker read it at run time)."""
    table = engine.integrations.callbacks
    for _ in range(1000):
        tokens = list(table._open)  # the only waiting task in a case run
        if tokens:
            return tokens[-1]
        await asyncio.sleep(0)
    raise AssertionError("no task token was issued")


async def _perform(engine: Engine, arn: str, actions: list[dict[str, Any]]) -> None:
    """Play the recorded worker calls (``test_actions``) in order."""
    for action in actions:
        name, args = action.get("action"), action.get("args") or action
        if name == "stop_execution":
            await engine.stop_execution(arn, args.get("error"), args.get("cause"))
            continue
        token = await _open_token(engine)
        if name == "send_task_success":
            await engine.send_task_success(token, args.get("output", "{}"))
        elif name == "send_task_failure":
            await engine.send_task_failure(token, args.get("error"), args.get("cause"))
        elif name == "send_task_heartbeat":
            await engine.send_task_heartbeat(token)


async def run_nested_case(case: dict[str, Any]) -> dict[str, Any]:
    """Run the case; return the GetExecutionHistory response to compare."""
    settings = EngineSettings(region="us-east-1", account="111111111111", seed=11)
    resources = case.get("resources") or {}
    clock = VirtualClock()
    async with Engine(clock=clock, settings=settings,
                      integrations=lambda_registry(case, clock)) as engine:
        for activity in resources.get("activities") or []:
            await engine.create_activity(activity["name"])
        for nested in resources.get("nested_state_machines") or []:
            await engine.create_state_machine(nested["name"], nested["definition"])
        await _start_companions(engine, case, "before")
        sm, execution = case["state_machine"], case["execution"]
        record = await engine.create_state_machine(
            sm["name"], sm["definition_raw"], sm["role_arn"], sm.get("type") or "STANDARD")
        kwargs = {} if execution.get("input_omitted") else {"input": execution["input_raw"]}
        started = await engine.start_execution(record.arn, name=execution["name"], **kwargs)
        await _start_companions(engine, case, "after")
        await _perform(engine, started.arn, case.get("test_actions") or [])
        await asyncio.wait_for(engine.wait(started.arn), 30)
        events = await engine.history_events(started.arn)
    metadata = {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}
    return {"events": events, "ResponseMetadata": metadata}


def grade(case: dict[str, Any], history: dict[str, Any]) -> dict[str, list[str]]:
    """Differences per level (``[]`` = match), graded as the Lambda cases are."""
    return lambda_cases.grade(case, {"history": history})


@pytest.mark.parametrize("case", CASES, ids=[str(c["file"]).removesuffix(".json") for c in CASES])
async def test_nested_case(case: dict[str, Any]):
    diffs = grade(case, await run_nested_case(case))
    assert diffs["full"] == []
