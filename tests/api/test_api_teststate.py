"""TestState through the server with boto3: botocore's request and response shapes (§13).

Data members (``input``, ``variables``, ``context``, ``mock.result``, ``output``, the
``inspectionData`` members) are JSON text; ``errorDetails`` and the Map numbers are structures and
numbers, as botocore's service model defines them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_server import ROLE

botocore_exceptions = pytest.importorskip("botocore.exceptions")
ClientError = botocore_exceptions.ClientError

INVOKE = "arn:aws:states:::lambda:invoke"


def refusal(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    error = exc.value.response["Error"]
    return error["Code"], error.get("Message", "")


def test_pass_at_debug_level(sfn: Any) -> None:
    state = {"Type": "Pass", "InputPath": "$.in", "Parameters": {"v.$": "$.v", "k": "lit"},
             "ResultPath": "$.out", "Assign": {"seen.$": "$.v"}, "Next": "Later"}
    response = sfn.test_state(definition=json.dumps(state), input='{"in": {"v": 1}}',
                              variables='{"pre": true}', inspectionLevel="DEBUG")
    assert response["status"] == "SUCCEEDED"
    assert response["nextState"] == "Later"
    assert json.loads(response["output"]) == {"in": {"v": 1}, "out": {"v": 1, "k": "lit"}}
    data = response["inspectionData"]
    assert json.loads(data["input"]) == {"in": {"v": 1}}
    assert json.loads(data["afterInputPath"]) == {"v": 1}
    assert json.loads(data["afterParameters"]) == {"v": 1, "k": "lit"}
    assert json.loads(data["afterResultPath"]) == {"in": {"v": 1}, "out": {"v": 1, "k": "lit"}}
    assert json.loads(data["variables"]) == {"pre": True, "seen": 1}


def test_info_level_answers_without_inspection_data(sfn: Any) -> None:
    response = sfn.test_state(definition='{"Type": "Succeed"}', input='"x"')
    assert response["status"] == "SUCCEEDED"
    assert json.loads(response["output"]) == "x"
    assert "inspectionData" not in response and "nextState" not in response


def test_mocked_error_with_a_retrier_is_retriable(sfn: Any) -> None:
    state = {"Type": "Task", "Resource": INVOKE, "End": True,
             "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"],
                        "IntervalSeconds": 4, "BackoffRate": 2}]}
    response = sfn.test_state(
        definition=json.dumps(state), inspectionLevel="DEBUG",
        mock={"errorOutput": {"error": "Lambda.TooManyRequestsException", "cause": "slow down"}},
        stateConfiguration={"retrierRetryCount": 1})
    assert (response["status"], response["error"], response["cause"]) == (
        "RETRIABLE", "Lambda.TooManyRequestsException", "slow down")
    assert response["inspectionData"]["errorDetails"] == {
        "retryIndex": 0, "retryBackoffIntervalSeconds": 8}


def test_mocked_result_of_a_state_in_a_machine(sfn: Any) -> None:
    machine = {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": INVOKE, "ResultSelector": {"p.$": "$.Payload"},
                 "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    response = sfn.test_state(definition=json.dumps(machine), stateName="Call",
                              mock={"result": '{"Payload": {"n": 1}, "StatusCode": 200}'},
                              inspectionLevel="TRACE")
    assert response["status"] == "SUCCEEDED" and response["nextState"] == "Done"
    assert json.loads(response["output"]) == {"p": {"n": 1}}
    assert json.loads(response["inspectionData"]["afterResultSelector"]) == {"p": {"n": 1}}


def test_map_with_a_mock_reports_its_numbers(sfn: Any) -> None:
    state = {"Type": "Map", "MaxConcurrency": 2, "ToleratedFailurePercentage": 50,
             "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
             "End": True}
    response = sfn.test_state(definition=json.dumps(state), input="[1, 2, 3, 4]",
                              mock={"result": "[1, 2, 3, 4]"}, inspectionLevel="DEBUG")
    data = response["inspectionData"]
    assert (data["maxConcurrency"], data["toleratedFailurePercentage"]) == (2, 50.0)
    assert json.loads(data["afterItemsPath"]) == [1, 2, 3, 4]
    failed = sfn.test_state(definition=json.dumps(state), input="[1, 2, 3, 4]",
                            mock={"result": "[]"},
                            stateConfiguration={"mapIterationFailureCount": 3})
    assert (failed["status"], failed["error"]) == (
        "FAILED", "States.ExceedToleratedFailureThreshold")


def test_requests_aws_refuses(sfn: Any) -> None:
    task = json.dumps({"Type": "Task", "Resource": INVOKE, "End": True})
    assert refusal(sfn.test_state, definition=task) == (
        "ValidationException", "RoleArn must be specified when testing a Task state")
    machine = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    code, message = refusal(sfn.test_state, definition=machine, stateName="Nope")
    assert code == "ValidationException" and "State not found in definition" in message
    both = {"result": "1", "errorOutput": {"error": "E"}}
    assert refusal(sfn.test_state, definition=task, roleArn=ROLE, mock=both)[0] == \
        "ValidationException"
    assert refusal(sfn.test_state, definition=task, roleArn=ROLE, mock={"result": "{bad"})[0] \
        == "ValidationException"
    assert refusal(sfn.test_state, definition='{"Type": "Pass", "End": true}',
                   mock={"result": "1"})[0] == "ValidationException"
    assert refusal(sfn.test_state, definition='{"Type": "Pass", "End": true}',
                   inspectionLevel="LOUD")[0] == "ValidationException"
    assert refusal(sfn.test_state, definition='{"Type": "Pass", "End": true}',
                   input="{nope")[0] == "InvalidExecutionInput"


def test_invalid_definition(sfn: Any) -> None:
    code, message = refusal(sfn.test_state, definition='{"Type": "Pass", "Nxt": "A"}')
    assert code == "InvalidDefinition"
    assert message.startswith("Invalid State Machine Definition: '")
    assert "/States/" not in message
