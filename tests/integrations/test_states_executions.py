"""Nested executions: states:startExecution[.sync|.sync:2|.waitForTaskToken] and aws-sdk:sfn (§10.5)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from sfnlocal.engine import Engine, EngineSettings, VirtualClock

ACCOUNT = "111111111111"
PREFIX = f"arn:aws:states:us-east-1:{ACCOUNT}"
START = "arn:aws:states:::states:startExecution"
PASS_CHILD = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"Arg1": "argument1"},
                                                "End": True}}}
FAIL_CHILD = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "SomeFailure",
                                               "Cause": "it broke"}}}
WAIT_CHILD = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1000, "End": True}}}


def parent(resource: str, **fields: Any) -> dict[str, Any]:
    state = {"Type": "Task", "Resource": resource, "End": True,
             "Parameters": {"StateMachineArn.$": "$.Sm", "Input.$": "$.Input", "Name": "child"}}
    state.update(fields)
    return {"StartAt": "Start", "States": {"Start": state}}


async def run(
    resource: str, child: dict[str, Any], input_: Any = None, child_type: str = "STANDARD",
    **fields: Any,
) -> tuple[Engine, Any, list[dict[str, Any]]]:
    settings = EngineSettings(region="us-east-1", account=ACCOUNT, seed=5)
    async with Engine(clock=VirtualClock(), settings=settings) as engine:
        child_sm = await engine.create_state_machine("child-sm", child, type=child_type)
        sm = await engine.create_state_machine("parent-sm", parent(resource, **fields))
        ex = await engine.start_execution(sm.arn, {"Sm": child_sm.arn, "Input": input_},
                                          name="p")
        record = await engine.wait(ex.arn)
        events = await engine.history_events(ex.arn)
    return engine, record, events


def details(events: list[dict[str, Any]], type_: str) -> dict[str, Any]:
    (event,) = [e for e in events if e["type"] == type_]
    return next((v for k, v in event.items() if k.endswith("EventDetails")), {})


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


async def test_request_response_returns_start_executions_response():
    engine, record, events = await run(START, PASS_CHILD, {"Hello": "World"})
    output = json.loads(record.output)
    assert sorted(output) == ["ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"]
    assert output["ExecutionArn"] == f"{PREFIX}:execution:child-sm:child"
    assert isinstance(output["StartDate"], int)
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert types(events)[2:5] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]
    child = await engine.describe_execution(output["ExecutionArn"])
    assert json.loads(child.input) == {"Hello": "World"}


async def test_sync_returns_the_childs_description_with_json_text():
    _, record, events = await run(START + ".sync", PASS_CHILD)
    output = json.loads(record.output)
    assert output == {
        "ExecutionArn": f"{PREFIX}:execution:child-sm:child", "Input": "{}",
        "InputDetails": {"Included": True}, "Name": "child", "Output": '{"Arg1":"argument1"}',
        "OutputDetails": {"Included": True}, "StartDate": output["StartDate"],
        "StateMachineArn": f"{PREFIX}:stateMachine:child-sm", "Status": "SUCCEEDED",
        "StopDate": output["StopDate"]}
    assert types(events)[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    submitted = json.loads(details(events, "TaskSubmitted")["output"])
    assert submitted["ExecutionArn"] == output["ExecutionArn"]
    assert details(events, "TaskSubmitted")["resource"] == "startExecution.sync"


async def test_sync2_returns_parsed_input_and_output():
    _, record, _ = await run(START + ".sync:2", PASS_CHILD, '{"as": "text"}')
    output = json.loads(record.output)
    assert output["Input"] == {"as": "text"} and output["Output"] == {"Arg1": "argument1"}


async def test_a_failed_child_is_a_task_failure_with_its_description_as_cause():
    _, record, events = await run(START + ".sync", FAIL_CHILD)
    assert (record.status, record.error) == ("FAILED", "States.TaskFailed")
    cause = json.loads(record.cause)
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "SomeFailure", "it broke")
    assert "Output" not in cause and cause["Input"] == "{}"
    assert details(events, "TaskFailed")["cause"] == record.cause


async def test_a_timed_out_child_shows_states_timeout():
    child = {"TimeoutSeconds": 5, **WAIT_CHILD}
    _, record, _ = await run(START + ".sync:2", child)
    cause = json.loads(record.cause)
    assert (cause["Status"], cause["Error"]) == ("TIMED_OUT", "States.Timeout")


async def test_an_unknown_state_machine_is_a_step_functions_exception():
    settings = EngineSettings(region="us-east-1", account=ACCOUNT)
    async with Engine(clock=VirtualClock(), settings=settings) as engine:
        sm = await engine.create_state_machine("parent-sm", parent(START))
        missing = f"{PREFIX}:stateMachine:nope"
        ex = await engine.start_execution(sm.arn, {"Sm": missing, "Input": None})
        record = await engine.wait(ex.arn)
    assert record.error == "StepFunctions.StateMachineDoesNotExistException"
    assert re.fullmatch(
        re.escape(f"State Machine Does Not Exist: '{missing}' (Service: AWSStepFunctions; Status "
                  "Code: 400; Error Code: StateMachineDoesNotExist; Request ID: ") +
        r"[0-9a-f-]{36}; Proxy: null\)", record.cause)


async def test_wait_for_task_token_child_answers_its_parent():
    child = {"StartAt": "Answer", "States": {"Answer": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
        "Parameters": {"TaskToken.$": "$.Token", "Output": {"from": "child"}}, "End": True}}}
    fields = {"Parameters": {"StateMachineArn.$": "$.Sm", "Input": {"Token.$": "$$.Task.Token"}}}
    _, record, events = await run(START + ".waitForTaskToken", child, **fields)
    assert record.status == "SUCCEEDED", record.cause
    assert json.loads(record.output) == {"from": "child"}
    submitted = json.loads(details(events, "TaskSubmitted")["output"])
    assert submitted["ExecutionArn"].startswith(f"{PREFIX}:execution:child-sm:")


async def test_sync_task_also_takes_success_on_its_own_token():
    child = {"StartAt": "Answer", "States": {"Answer": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
        "Parameters": {"TaskToken.$": "$.Token", "Output": "\"early\""}, "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 100, "End": True}}}
    fields = {"Parameters": {"StateMachineArn.$": "$.Sm", "Input": {"Token.$": "$$.Task.Token"}}}
    _, record, _ = await run(START + ".sync", child, **fields)
    assert (record.status, record.output) == ("SUCCEEDED", '"early"')


async def _stop_parent_while_child_runs(resource: str, input_: Any) -> tuple[str, str]:
    settings = EngineSettings(region="us-east-1", account=ACCOUNT, seed=5)
    async with Engine(clock=VirtualClock(autojump=False), settings=settings) as engine:
        child_sm = await engine.create_state_machine("child-sm", WAIT_CHILD)
        sm = await engine.create_state_machine("parent-sm", {"StartAt": "Start", "States": {
            "Start": {"Type": "Task", "Resource": resource, "Next": "Hold", "Parameters": {
                "StateMachineArn": child_sm.arn, "Name": "child", "Input": input_}},
            "Hold": {"Type": "Wait", "Seconds": 500, "End": True}}})
        ex = await engine.start_execution(sm.arn, {}, name="p")
        for _ in range(50):
            await asyncio.sleep(0)
        await engine.stop_execution(ex.arn)
        child_arn = f"{PREFIX}:execution:child-sm:child"
        child = await engine.wait(child_arn)
        return (await engine.describe_execution(ex.arn)).status, child.status


async def test_stopping_a_sync_parent_stops_the_child():
    assert await _stop_parent_while_child_runs(START + ".sync", {}) == ("ABORTED", "ABORTED")


async def test_started_by_execution_id_links_the_child_to_its_parent():
    linked = {"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}
    assert await _stop_parent_while_child_runs(START, linked) == ("ABORTED", "ABORTED")


async def test_an_unlinked_request_response_child_keeps_running():
    settings = EngineSettings(region="us-east-1", account=ACCOUNT, seed=5)
    async with Engine(clock=VirtualClock(autojump=False), settings=settings) as engine:
        child_sm = await engine.create_state_machine("child-sm", WAIT_CHILD)
        sm = await engine.create_state_machine("parent-sm", {"StartAt": "Start", "States": {
            "Start": {"Type": "Task", "Resource": START, "Next": "Hold", "Parameters": {
                "StateMachineArn": child_sm.arn, "Name": "child"}},
            "Hold": {"Type": "Wait", "Seconds": 500, "End": True}}})
        ex = await engine.start_execution(sm.arn, {}, name="p")
        for _ in range(50):
            await asyncio.sleep(0)
        await engine.stop_execution(ex.arn)
        child = await engine.describe_execution(f"{PREFIX}:execution:child-sm:child")
        assert child.status == "RUNNING"


@pytest.mark.parametrize("action", ["sendTaskSuccess", "sendTaskFailure"])
async def test_sdk_send_task_outcome_with_an_unknown_token(action: str):
    params: dict[str, Any] = {"TaskToken": "NoSuchTaskToken"}
    if action == "sendTaskSuccess":
        params["Output"] = "\"x\""
    definition = {"StartAt": "S", "States": {"S": {
        "Type": "Task", "Resource": f"arn:aws:states:::aws-sdk:sfn:{action}",
        "Parameters": params, "End": True}}}
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("sm", definition)
        record = await engine.wait((await engine.start_execution(sm.arn)).arn)
    assert record.error == "Sfn.InvalidTokenException"
    assert re.fullmatch(r"Invalid Token: 'Invalid token' \(Service: Sfn, Status Code: 400, "
                        r"Request ID: [0-9a-f-]{36}\) \(SDK Attempt Count: 1\)", record.cause)


async def test_sdk_start_execution_returns_arn_and_iso_date():
    _, record, _ = await run("arn:aws:states:::aws-sdk:sfn:startExecution", FAIL_CHILD)
    output = json.loads(record.output)
    assert output["ExecutionArn"] == f"{PREFIX}:execution:child-sm:child"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", output["StartDate"])
