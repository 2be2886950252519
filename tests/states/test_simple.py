"""Pass, Choice, Succeed and Fail (checklist §3.1, §4.2, §4.4, §4.6, §4.7) and the shared I/O steps.

The AWS-recorded conformance cases cover the common paths (tests/conformance); these tests pin the
edges those cases do not reach: failures AWS reports with a fixed cause, and the JSON text that a
value keeps while states pass it on unchanged.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from sfnlocal.asl import compile_definition
from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import Data, History
from sfnlocal.engine.interpreter import run_block
from sfnlocal.engine.runtime import ExecutionIdentity, ExecutionRuntime
from sfnlocal.integrations.base import Registry

PFX = "An error occurred while executing the state '{}' (entered at the event id #2). "


async def run(definition: dict[str, Any], input_text: str = "{}", type_: str = "STANDARD") -> Any:
    """Run a definition to its end; return (record, history events)."""
    async with Engine(clock=VirtualClock(), settings=EngineSettings(seed=3)) as engine:
        sm = await engine.create_state_machine("m", json.dumps(definition), type=type_)
        started = await engine.start_execution(sm.arn, input_text, name="x")
        record = await engine.wait(started.arn)
        if type_ == "EXPRESS":
            return record, []
        return record, (await engine.get_execution_history(started.arn))["events"]


def one(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": state}}


async def test_pass_result_is_literal_and_lands_at_result_path() -> None:
    record, events = await run(
        one({"Type": "Pass", "Result": {"k.$": "$.a"}, "ResultPath": "$.r", "End": True}),
        '{"a": 1}',
    )
    assert json.loads(record.output) == {"a": 1, "r": {"k.$": "$.a"}}
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded",
    ]


async def test_result_path_into_a_string_is_a_result_path_match_failure() -> None:
    record, events = await run(one({"Type": "Pass", "ResultPath": "$.x", "End": True}), '"text"')
    assert record.status == "FAILED"
    assert record.error == "States.ResultPathMatchFailure"
    assert record.cause == 'Unable to apply ReferencePath $.x to input "text"'
    assert events[-1]["type"] == "ExecutionFailed"


async def test_input_path_miss_is_a_runtime_error_with_the_state_prefix() -> None:
    record, _ = await run(one({"Type": "Pass", "InputPath": "$.nope", "End": True}), '{"a": 1}')
    assert record.error == "States.Runtime"
    assert record.cause == PFX.format("S") + "Invalid path '$.nope' : No results for path: $['nope']"


async def test_null_input_and_output_paths_give_empty_objects() -> None:
    record, _ = await run(one({"Type": "Pass", "InputPath": None, "End": True}), '{"a": 1}')
    assert record.output == "{}"
    record, _ = await run(one({"Type": "Succeed", "OutputPath": None}), '{"a": 1}')
    assert record.output == "{}"


async def test_choice_without_match_or_default_fails_like_aws() -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice",
                  "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "Done"}]},
            "Done": {"Type": "Succeed"},
        },
    }
    record, events = await run(definition, '{"n": 2}')
    assert record.error == "States.Runtime"
    assert record.cause == PFX.format("C") + (
        "Failed to transition out of the state. The state does not point to a next state."
    )
    assert [e["type"] for e in events][-2:] == ["ChoiceStateEntered", "ExecutionFailed"]


async def test_choice_rule_assign_wins_over_state_assign() -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Assign": {"via": "default"}, "Default": "Out",
                  "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "Out",
                               "Assign": {"via": "rule"}}]},
            "Out": {"Type": "Pass", "Parameters": {"via.$": "$via"}, "End": True},
        },
    }
    record, events = await run(definition, '{"n": 1}')
    assert json.loads(record.output) == {"via": "rule"}
    exited = events[2]["stateExitedEventDetails"]
    assert exited["assignedVariables"] == {"via": '"rule"'}
    assert exited["assignedVariablesDetails"] == {"truncated": False}


async def test_fail_error_and_cause_paths() -> None:
    state = {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('n={}', $.n)"}
    record, events = await run(one(state), '{"e": "Custom", "n": 3}')
    assert (record.error, record.cause) == ("Custom", "n=3")
    assert events[-1]["executionFailedEventDetails"] == {"error": "Custom", "cause": "n=3"}
    assert [e["type"] for e in events] == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]


async def test_bare_fail_has_empty_failure_details() -> None:
    record, events = await run(one({"Type": "Fail"}))
    assert (record.error, record.cause) == (None, None)
    assert events[-1]["executionFailedEventDetails"] == {}


async def test_fail_error_path_miss_names_the_field_and_input() -> None:
    record, _ = await run(one({"Type": "Fail", "ErrorPath": "$.missing"}), '{"a": 1}')
    assert record.error == "States.Runtime"
    assert record.cause == PFX.format("S") + (
        "The JSONPath '$.missing' specified for the field 'ErrorPath' could not be found in the "
        "input '{\"a\":1}'"
    )


async def test_pass_output_over_the_payload_limit_fails_the_execution() -> None:
    big = "x" * 262_144
    record, _ = await run(one({"Type": "Pass", "Result": big, "End": True}))
    assert record.error == "States.DataLimitExceeded"
    assert record.cause == (
        "The state/task 'S' returned a result with a size exceeding the maximum number of bytes "
        "service limit."
    )


def _runtime(definition: dict[str, Any]) -> tuple[ExecutionRuntime, Any]:
    machine = compile_definition(definition)
    identity = ExecutionIdentity(
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:m:x", name="x",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
        state_machine_name="m", role_arn="arn:aws:iam::123456789012:role/r",
        start_time=VirtualClock.DEFAULT_START, input=None,
    )
    rt = ExecutionRuntime(identity, machine, VirtualClock(), History(), random.Random(1), Registry())
    return rt, machine


async def test_a_value_passed_on_unchanged_keeps_its_text() -> None:
    # AWS writes a value that states pass on unchanged as it received it (recorded: scenarios
    # test_parallel_state_nested keeps the input text '[[1, 2, 3], [4, 5, 6]]' through a Pass).
    rt, machine = _runtime({
        "StartAt": "Keep",
        "States": {
            "Keep": {"Type": "Pass", "Next": "Choose"},
            "Choose": {"Type": "Choice", "Default": "Change",
                       "Choices": [{"Variable": "$[0]", "NumericEquals": 9, "Next": "Change"}]},
            "Change": {"Type": "Pass", "InputPath": "$[0]", "End": True},
        },
    })
    value = [[1, 2], [3]]
    frame = Frame(id="", block=machine.root, state="Keep", input=value,
                  input_data=Data(value, "[[1, 2], [3]]"))
    output = await run_block(rt, frame)
    texts = [(e.type, e.details["input" if "input" in e.details else "output"].text)
             for e in rt.history]
    assert output == [1, 2]
    assert texts == [
        ("PassStateEntered", "[[1, 2], [3]]"), ("PassStateExited", "[[1, 2], [3]]"),
        ("ChoiceStateEntered", "[[1, 2], [3]]"), ("ChoiceStateExited", "[[1, 2], [3]]"),
        ("PassStateEntered", "[[1, 2], [3]]"), ("PassStateExited", "[1,2]"),
    ]


async def test_express_context_object_has_redrive_count() -> None:
    # Recorded on AWS (express test_query_runtime_memory): $$.Execution.RedriveCount is 0.
    state = {"Type": "Pass", "Parameters": {"c.$": "$$.Execution.RedriveCount"}, "End": True}
    record, _ = await run(one(state), type_="EXPRESS")
    assert json.loads(record.output) == {"c": 0}


def test_data_array_joins_the_element_texts() -> None:
    parts = [Data([1, 2], "[1, 2]"), Data({"a": 1})]
    data = Data.array(parts)
    assert data.value == [[1, 2], {"a": 1}]
    assert data.text == '[[1, 2],{"a":1}]'
    assert data.size == len(data.text)


@pytest.mark.parametrize(
    ("value", "text"),
    [({"a": [1, "é"]}, '{"a":[1,"é"]}'), ("x", '"x"'), (1.5, "1.5"), (None, "null")],
)
def test_data_text_is_compact_and_keeps_non_ascii(value: Any, text: str) -> None:
    data = Data(value)
    assert data.text == text
    assert data.size == len(text.encode("utf-8"))
