"""Mocked service integrations in Step Functions Local's MockConfigFile.json format.

The machine and mock file are the ones of AWS's "Using mocked service integrations" guide
(LambdaSQSIntegration with the HappyPath, RetryPath and HybridPath test cases); the expected results
follow its description: ``<arn>#<TestCase>`` runs the base machine's execution, listed states answer
with their mocked responses by invocation count (retries count), other states use real integrations.
"""

from __future__ import annotations

import copy
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.errors import ServiceError
from sfnlocal.integrations import Registry
from sfnlocal.integrations.mock import (
    ENV_VAR,
    MockConfigError,
    load_mock_config,
    mock_config_from_env,
    parse_mock_config,
    split_test_case,
)
from sfnlocal.integrations.sqs_queues import SqsService

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:"
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue"

LAMBDA_SQS = {
    "Comment": "This state machine is called: LambdaSQSIntegration",
    "StartAt": "LambdaState",
    "States": {
        "LambdaState": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"Payload.$": "$", "FunctionName": "HelloWorldFunction"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3,
                       "BackoffRate": 2}],
            "Next": "SQSState",
        },
        "SQSState": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": QUEUE, "MessageBody.$": "$"}, "End": True,
        },
    },
}

LAMBDA_OK = {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}
SQS_OK = {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
          "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}
NOT_READY = {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}
TIMEOUT = {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}

MOCKS: dict[str, Any] = {
    "StateMachines": {
        "LambdaSQSIntegration": {"TestCases": {
            "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
            "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
            "HybridPath": {"LambdaState": "MockedLambdaSuccess"},
        }},
    },
    "MockedResponses": {
        "MockedLambdaSuccess": {"0": {"Return": LAMBDA_OK}},
        "LambdaMockedResourceNotReady": {"0": {"Throw": NOT_READY}},
        "MockedSQSSuccess": {"0": {"Return": SQS_OK}},
        "MockedLambdaRetry": {"0": {"Throw": NOT_READY}, "1-2": {"Throw": TIMEOUT},
                              "3": {"Return": LAMBDA_OK}},
    },
}


def engine_with(mocks: dict[str, Any] | None = None, registry: Registry | None = None) -> Engine:
    registry = registry or Registry(load_plugins=False)
    registry.mocks = parse_mock_config(mocks if mocks is not None else MOCKS)
    return Engine(clock=VirtualClock(), integrations=registry, settings=EngineSettings(seed=4))


async def run(engine: Engine, arn: str, input_: Any = None, name: str | None = None
              ) -> tuple[Any, list[dict[str, Any]]]:
    started = await engine.start_execution(arn, input_ if input_ is not None else {}, name=name)
    record = await engine.wait(started.arn)
    return record, await engine.history_events(started.arn)


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


# -- the file format ---------------------------------------------------------------------------


def error_of(data: Any) -> tuple[str, str]:
    with pytest.raises(MockConfigError) as exc:
        parse_mock_config(data)
    return exc.value.pointer, exc.value.detail


def with_responses(responses: Any) -> dict[str, Any]:
    return {"MockedResponses": {"R": responses}}


def test_parses_the_documented_example():
    config = parse_mock_config(MOCKS)
    case = config.test_case("LambdaSQSIntegration", "RetryPath")
    retry = case.states["LambdaState"]
    assert retry.name == "MockedLambdaRetry"
    assert [(r.first, r.last, r.error) for r in retry.responses] == [
        (0, 0, "Lambda.ResourceNotReadyException"), (1, 2, "Lambda.TimeoutException"),
        (3, 3, None)]
    assert retry.answer(2).error == "Lambda.TimeoutException"
    assert retry.answer(3).apply() == LAMBDA_OK
    assert retry.answer(9).apply() == LAMBDA_OK  # past the last key: the last response


@pytest.mark.parametrize(("data", "pointer", "words"), [
    ([], "", "must be an object, not an array"),
    ({"StateMachine": {}}, "/StateMachine", "unknown key 'StateMachine'"),
    (with_responses({"first": {"Return": 1}}), "/MockedResponses/R/first", "invocation count"),
    (with_responses({"0": {"Return": 1}, "2": {"Return": 2}}), "/MockedResponses/R",
     "invocation 1 has no response"),
    (with_responses({"0-1": {"Return": 1}, "1": {"Return": 2}}), "/MockedResponses/R",
     "invocation 2 has no response"),
    (with_responses({"1": {"Return": 1}}), "/MockedResponses/R", "invocation 0 has no response"),
    (with_responses({"0": {"Return": 1}, "3-1": {"Return": 2}}), "/MockedResponses/R/3-1",
     "ends (1) before it starts (3)"),
    (with_responses({}), "/MockedResponses/R", "at least one response"),
    (with_responses({"0": {"Return": 1, "Throw": {"Error": "E"}}}), "/MockedResponses/R/0",
     "exactly one of Return and Throw"),
    (with_responses({"0": {"Retrun": 1}}), "/MockedResponses/R/0", "exactly one of Return"),
    (with_responses({"0": {"Throw": {"Cause": "c"}}}), "/MockedResponses/R/0/Throw/Error",
     "non-empty string"),
    (with_responses({"0": {"Throw": {"Error": "E", "Cause": 3}}}),
     "/MockedResponses/R/0/Throw/Cause", "must be a string"),
    ({"StateMachines": {"m": {"TestCases": {"t": {"S": "Missing"}}}}, "MockedResponses": {}},
     "/StateMachines/m/TestCases/t/S", 'mocked response "Missing"'),
    ({"StateMachines": {"m": {"Cases": {}}}}, "/StateMachines/m", "unknown key 'Cases'"),
    ({"StateMachines": {"a/b": []}}, "/StateMachines/a~1b", "must be an object"),
])
def test_invalid_files_name_the_json_pointer(data: Any, pointer: str, words: str):
    found_pointer, detail = error_of(data)
    assert found_pointer == pointer
    assert words in detail


def test_load_names_the_file(tmp_path: Path):
    broken = tmp_path / "MockConfigFile.json"
    broken.write_text('{"MockedResponses": {"R": {"0": {"Throw": {}}}}}')
    with pytest.raises(MockConfigError) as exc:
        load_mock_config(broken)
    assert str(exc.value).startswith(f"{broken}: /MockedResponses/R/0/Throw/Error: ")
    broken.write_text("{not json")
    with pytest.raises(MockConfigError, match=r"MockConfigFile.json: /: not valid JSON"):
        load_mock_config(broken)
    with pytest.raises(MockConfigError, match="cannot read the file"):
        load_mock_config(tmp_path / "absent.json")


def test_the_environment_variable_names_the_file(tmp_path: Path):
    path = tmp_path / "mocks.json"
    path.write_text(json.dumps(MOCKS))
    config = mock_config_from_env({ENV_VAR: str(path)})
    assert config is not None and config.source == str(path)
    assert "HybridPath" in config.machines["LambdaSQSIntegration"]
    assert mock_config_from_env({}) is None


def test_split_test_case():
    assert split_test_case(SM + "m#Happy") == (SM + "m", "Happy")
    assert split_test_case(SM + "m") == (SM + "m", None)


# -- executions --------------------------------------------------------------------------------


async def test_happy_path_mocks_every_listed_state():
    async with engine_with() as engine:
        sm = await engine.create_state_machine("LambdaSQSIntegration", LAMBDA_SQS)
        record, events = await run(engine, sm.arn + "#HappyPath", {"x": 1}, name="happy")
        # The execution belongs to the base machine, named by the machine, not the test case.
        assert record.arn == ("arn:aws:states:us-east-1:123456789012:execution:"
                              "LambdaSQSIntegration:happy")
        assert record.state_machine_arn == sm.arn
        assert record.status == "SUCCEEDED"
        assert json.loads(record.output) == SQS_OK
        lambda_done = next(e for e in events if e["type"] == "TaskSucceeded")
        assert json.loads(lambda_done["taskSucceededEventDetails"]["output"]) == LAMBDA_OK
        assert [r.arn for r in await engine.list_executions(sm.arn)] == [record.arn]


async def test_retry_path_counts_every_attempt():
    async with engine_with() as engine:
        sm = await engine.create_state_machine("LambdaSQSIntegration", LAMBDA_SQS)
        record, events = await run(engine, sm.arn + "#RetryPath")
        assert record.status == "SUCCEEDED"
        failed = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
        assert [(f["error"], f["cause"]) for f in failed] == [
            (NOT_READY["Error"], NOT_READY["Cause"]), (TIMEOUT["Error"], TIMEOUT["Cause"]),
            (TIMEOUT["Error"], TIMEOUT["Cause"])]
        assert types(events).count("TaskScheduled") == 5  # 4 Lambda attempts + SQS


async def test_hybrid_path_uses_real_integrations_for_unlisted_states():
    sqs = SqsService(VirtualClock(), rng=random.Random(1))
    registry = Registry(load_plugins=False)
    registry.register_sqs(sqs)
    async with engine_with(registry=registry) as engine:
        sqs.clock = engine.clock
        await sqs.create_queue("myQueue")
        sm = await engine.create_state_machine("LambdaSQSIntegration", LAMBDA_SQS)
        record, _ = await run(engine, sm.arn + "#HybridPath")
        assert record.status == "SUCCEEDED"
        received = await sqs.receive_message(QUEUE)
        [message] = received["Messages"]
        assert json.loads(message["Body"]) == LAMBDA_OK  # the mocked Lambda result, sent for real
        assert json.loads(record.output)["MessageId"] == message["MessageId"]


async def test_without_a_test_case_nothing_is_mocked():
    async with engine_with() as engine:
        sm = await engine.create_state_machine("LambdaSQSIntegration", LAMBDA_SQS)
        record, _ = await run(engine, sm.arn)
        assert record.status == "FAILED"
        assert record.error == "Lambda.ResourceNotFoundException"  # no such local function


async def test_throw_is_caught_by_catch():
    definition = {"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:c",
                   "Catch": [{"ErrorEquals": ["Payment.Declined"], "ResultPath": "$.error",
                              "Next": "Declined"}], "End": True},
        "Declined": {"Type": "Pass", "End": True}}}
    mocks = {"StateMachines": {"pay": {"TestCases": {"Declined": {"Charge": "No"}}}},
             "MockedResponses": {"No": {"0": {"Throw": {"Error": "Payment.Declined",
                                                        "Cause": "card expired"}}}}}
    async with engine_with(mocks) as engine:
        sm = await engine.create_state_machine("pay", definition)
        record, events = await run(engine, sm.arn + "#Declined", {"order": 7})
        assert json.loads(record.output) == {
            "order": 7, "error": {"Error": "Payment.Declined", "Cause": "card expired"}}
        assert "LambdaFunctionFailed" in types(events)


async def test_wait_for_task_token_returns_at_once():
    definition = {"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": QUEUE, "MessageBody": {"token.$": "$$.Task.Token"}},
        "End": True}}}
    mocks = {"StateMachines": {"approval": {"TestCases": {"Yes": {"Approve": "Approved"}}}},
             "MockedResponses": {"Approved": {"0": {"Return": {"approved": True}}}}}
    clock = VirtualClock(autojump=False)  # time never moves: no wait could end
    registry = Registry(load_plugins=False, mocks=parse_mock_config(mocks))
    async with Engine(clock=clock, integrations=registry) as engine:
        sm = await engine.create_state_machine("approval", definition)
        record, _ = await run(engine, sm.arn + "#Yes")
        assert record.status == "SUCCEEDED"
        assert json.loads(record.output) == {"approved": True}


async def test_activity_is_answered_without_a_worker():
    activity = "arn:aws:states:us-east-1:123456789012:activity:review"
    definition = {"StartAt": "Review", "States": {"Review": {
        "Type": "Task", "Resource": activity, "End": True}}}
    mocks = {"StateMachines": {"r": {"TestCases": {"t": {"Review": "Ok"}}}},
             "MockedResponses": {"Ok": {"0": {"Return": "fine"}}}}
    async with engine_with(mocks) as engine:
        await engine.create_activity("review")
        sm = await engine.create_state_machine("r", definition)
        record, events = await run(engine, sm.arn + "#t")
        assert json.loads(record.output) == "fine"
        assert types(events)[2:5] == ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]


MAP_AND_PARALLEL = {"StartAt": "Each", "States": {
    "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Price", "States": {
            "Price": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": {"FunctionName": "price", "Payload.$": "$"},
                      "OutputPath": "$.Payload", "End": True}}},
             "ResultPath": "$.prices", "Next": "Both"},
    "Both": {"Type": "Parallel", "Branches": [
        {"StartAt": "Left", "States": {"Left": {"Type": "Task",
                                                "Resource": "arn:aws:states:::sns:publish",
                                                "Parameters": {"Message": "l"}, "End": True}}},
        {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "Result": "real",
                                                  "End": True}}}],
             "ResultPath": "$.both", "End": True}}}


async def test_states_inside_map_and_parallel_count_per_execution():
    mocks = {"StateMachines": {"shop": {"TestCases": {"t": {"Price": "Prices", "Left": "Sent"}}}},
             "MockedResponses": {
                 "Prices": {"0": {"Return": {"Payload": 10}}, "1-2": {"Return": {"Payload": 20}}},
                 "Sent": {"0": {"Return": {"MessageId": "m"}}}}}
    async with engine_with(mocks) as engine:
        sm = await engine.create_state_machine("shop", MAP_AND_PARALLEL)
        for _ in range(2):  # each execution counts from 0 again
            record, _ = await run(engine, sm.arn + "#t", {"items": [1, 2, 3, 4]})
            output = json.loads(record.output)
            assert output["prices"] == [10, 20, 20, 20]
            assert output["both"] == [{"MessageId": "m"}, "real"]


async def test_start_sync_execution_accepts_a_test_case():
    mocks = {"StateMachines": {"fast": {"TestCases": {"t": {"Price": "P"}}}},
             "MockedResponses": {"P": {"0": {"Return": 5}}}}
    definition = {"StartAt": "Price", "States": {"Price": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:price",
        "End": True}}}
    async with engine_with(mocks) as engine:
        sm = await engine.create_state_machine("fast", definition, type="EXPRESS")
        result = (await engine.start_sync_execution(sm.arn + "#t")).to_aws()
        assert result["status"] == "SUCCEEDED" and result["output"] == "5"
        assert result["stateMachineArn"] == sm.arn
        assert ":express:fast:" in result["executionArn"]


async def test_unknown_test_cases_are_refused_by_name():
    async with engine_with() as engine:
        sm = await engine.create_state_machine("LambdaSQSIntegration", LAMBDA_SQS)
        other = await engine.create_state_machine("other", LAMBDA_SQS)
        with pytest.raises(ServiceError) as exc:
            await engine.start_execution(sm.arn + "#SadPath")
        assert exc.value.code == "ValidationException"
        assert "'SadPath'" in exc.value.message and "'LambdaSQSIntegration'" in exc.value.message
        with pytest.raises(ServiceError, match="'HappyPath' of state machine 'other'"):
            await engine.start_execution(other.arn + "#HappyPath")
        assert await engine.list_executions(sm.arn) == []
    async with Engine(clock=VirtualClock()) as plain:
        sm = await plain.create_state_machine("LambdaSQSIntegration", LAMBDA_SQS)
        with pytest.raises(ServiceError, match="no mock configuration is loaded"):
            await plain.start_execution(sm.arn + "#HappyPath")


async def test_a_test_case_mocking_an_absent_state_is_refused():
    mocks = copy.deepcopy(MOCKS)
    mocks["StateMachines"]["LambdaSQSIntegration"]["TestCases"]["Typo"] = {
        "LambdaStat": "MockedLambdaSuccess"}
    async with engine_with(mocks) as engine:
        sm = await engine.create_state_machine("LambdaSQSIntegration", LAMBDA_SQS)
        with pytest.raises(ServiceError, match="mocks state 'LambdaStat', which is not a Task"):
            await engine.start_execution(sm.arn + "#Typo")


async def test_a_default_test_case_applies_without_the_suffix():
    registry = Registry(load_plugins=False)
    registry.mocks = parse_mock_config(MOCKS).with_default("LambdaSQSIntegration", "HappyPath")
    async with Engine(clock=VirtualClock(), integrations=registry) as engine:
        sm = await engine.create_state_machine("anything", LAMBDA_SQS)
        record, _ = await run(engine, sm.arn)
        assert json.loads(record.output) == SQS_OK
    with pytest.raises(ServiceError, match="'Nope'"):
        parse_mock_config(MOCKS).with_default("LambdaSQSIntegration", "Nope")


# -- sfnlocal run --mock-config ----------------------------------------------------------------


def cli(*argv: str) -> tuple[int, str, str]:
    from sfnlocal.cli import main

    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def test_cli_run_with_a_test_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    definition = tmp_path / "LambdaSQSIntegration.asl.json"
    definition.write_text(json.dumps(LAMBDA_SQS))
    mocks = tmp_path / "MockConfigFile.json"
    mocks.write_text(json.dumps(MOCKS))
    status, out, err = cli("run", str(definition), "--mock-config", str(mocks),
                           "--test-case", "RetryPath")
    assert (status, json.loads(out)) == (0, SQS_OK), err
    monkeypatch.setenv(ENV_VAR, str(mocks))  # the file may come from SFN_MOCK_CONFIG
    status, out, _ = cli("run", str(definition), "--test-case", "HappyPath", "--state-machine",
                         "LambdaSQSIntegration")
    assert (status, json.loads(out)) == (0, SQS_OK)
    status, _, err = cli("run", str(definition), "--test-case", "SadPath")
    assert status == 2
    assert "ValidationException: Test case 'SadPath' of state machine 'LambdaSQSIntegration'" in err


def test_cli_run_mock_mistakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    definition = tmp_path / "m.asl.json"
    definition.write_text(json.dumps(LAMBDA_SQS))
    broken = tmp_path / "mocks.json"
    broken.write_text('{"MockedResponses": {"R": {"0-x": {"Return": 1}}}}')
    assert cli("run", str(definition), "--test-case", "t")[2].endswith(
        "--test-case needs --mock-config FILE (or SFN_MOCK_CONFIG)\n")
    assert cli("run", str(definition), "--mock-config", str(broken))[2].endswith(
        "--mock-config needs --test-case NAME\n")
    status, _, err = cli("run", str(definition), "--mock-config", str(broken), "--test-case", "t")
    assert status == 2 and f"{broken}: /MockedResponses/R/0-x: " in err
