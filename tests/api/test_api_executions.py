"""Execution actions through a real server and a real boto3 client."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from api_server import FAIL, PASS, ROLE, WAIT, error_of

ClientError = pytest.importorskip("botocore.exceptions").ClientError
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:"
EX = "arn:aws:states:us-east-1:123456789012:execution:"


@pytest.fixture
def machines(sfn):
    for name, definition in (("pass", PASS), ("wait", WAIT), ("fail", FAIL)):
        sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)
    sfn.create_state_machine(name="express", definition=PASS, roleArn=ROLE, type="EXPRESS")
    return sfn


def test_start_and_describe_a_succeeded_execution(machines, server):
    started = machines.start_execution(stateMachineArn=SM + "pass", name="e1", input='{"a": 1}')
    assert started["executionArn"] == EX + "pass:e1"
    assert isinstance(started["startDate"], datetime)
    server.wait_done(started["executionArn"])
    described = machines.describe_execution(executionArn=started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"a": 1}
    assert described["input"] == '{"a": 1}'
    assert described["name"] == "e1" and described["stateMachineArn"] == SM + "pass"
    assert described["stopDate"] >= described["startDate"]


def test_a_failed_execution_reports_error_and_cause(machines, server):
    arn = machines.start_execution(stateMachineArn=SM + "fail")["executionArn"]
    server.wait_done(arn)
    described = machines.describe_execution(executionArn=arn)
    assert (described["status"], described["error"], described["cause"]) == (
        "FAILED", "Oops", "it broke")
    assert "output" not in described


def test_start_without_input_or_name(machines, server):
    arn = machines.start_execution(stateMachineArn=SM + "pass")["executionArn"]
    name = arn.rsplit(":", 1)[1]
    assert len(name) == 36  # a UUID
    server.wait_done(arn)
    assert machines.describe_execution(executionArn=arn)["input"] == "{}"


def test_start_is_idempotent_while_running(machines):
    first = machines.start_execution(stateMachineArn=SM + "wait", name="same", input="{}")
    again = machines.start_execution(stateMachineArn=SM + "wait", name="same", input="{}")
    assert again["executionArn"] == first["executionArn"]
    assert again["startDate"] == first["startDate"]
    with pytest.raises(ClientError) as exc:
        machines.start_execution(stateMachineArn=SM + "wait", name="same", input='{"x": 1}')
    assert error_of(exc) == ("ExecutionAlreadyExists", f"Execution Already Exists: '{EX}wait:same'")


def test_start_errors(machines):
    cases = [
        ({"stateMachineArn": SM + "ghost"}, "StateMachineDoesNotExist"),
        ({"stateMachineArn": "bad"}, "InvalidArn"),
        ({"stateMachineArn": SM + "pass", "name": "a b"}, "InvalidName"),
        ({"stateMachineArn": SM + "pass", "input": "{oops"}, "InvalidExecutionInput"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as exc:
            machines.start_execution(**kwargs)
        assert error_of(exc)[0] == code, kwargs
    with pytest.raises(ClientError) as exc:
        machines.start_execution(stateMachineArn=SM + "pass", input="{oops")
    assert error_of(exc)[1].startswith("Invalid State Machine Execution Input: '")


def test_stop_a_running_execution(machines, server):
    arn = machines.start_execution(stateMachineArn=SM + "wait", name="long")["executionArn"]
    assert machines.describe_execution(executionArn=arn)["status"] == "RUNNING"
    stopped = machines.stop_execution(executionArn=arn, error="Halt", cause="by the test")
    assert isinstance(stopped["stopDate"], datetime)
    described = machines.describe_execution(executionArn=arn)
    assert (described["status"], described["error"], described["cause"]) == (
        "ABORTED", "Halt", "by the test")
    events = machines.get_execution_history(executionArn=arn)["events"]
    assert events[-1]["type"] == "ExecutionAborted"
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Halt", "cause": "by the test"}


def test_stop_errors(machines):
    with pytest.raises(ClientError) as exc:
        machines.stop_execution(executionArn=EX + "wait:nobody")
    assert error_of(exc) == ("ExecutionDoesNotExist", f"Execution Does Not Exist: '{EX}wait:nobody'")


def test_wait_state_finishes_when_the_clock_moves(machines, server):
    arn = machines.start_execution(stateMachineArn=SM + "wait")["executionArn"]
    server.advance(60)
    server.wait_done(arn)
    assert machines.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"


def test_list_executions_newest_first_with_filter_and_paging(machines, server):
    for index in range(5):
        machines.start_execution(stateMachineArn=SM + "wait", name=f"run{index}")
    machines.stop_execution(executionArn=EX + "wait:run1")
    listed = machines.list_executions(stateMachineArn=SM + "wait")["executions"]
    assert [e["name"] for e in listed] == ["run4", "run3", "run2", "run1", "run0"]
    aborted = machines.list_executions(stateMachineArn=SM + "wait", statusFilter="ABORTED")
    assert [e["name"] for e in aborted["executions"]] == ["run1"]
    first = machines.list_executions(stateMachineArn=SM + "wait", maxResults=2)
    second = machines.list_executions(stateMachineArn=SM + "wait", maxResults=2,
                                      nextToken=first["nextToken"])
    third = machines.list_executions(stateMachineArn=SM + "wait", maxResults=2,
                                     nextToken=second["nextToken"])
    names = [e["name"] for page in (first, second, third) for e in page["executions"]]
    assert names == ["run4", "run3", "run2", "run1", "run0"]
    assert "nextToken" not in third


def test_list_executions_errors(machines):
    with pytest.raises(ClientError) as exc:
        machines.list_executions(stateMachineArn=SM + "wait", statusFilter="DONE")
    assert error_of(exc) == (
        "ValidationException",
        "1 validation error detected: Value 'DONE' at 'statusFilter' failed to satisfy "
        "constraint: Member must satisfy enum value set: "
        "[SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
    )
    with pytest.raises(ClientError) as exc:
        machines.list_executions(stateMachineArn=SM + "express")
    assert error_of(exc) == ("StateMachineTypeNotSupported",
                             "This operation is not supported by this type of state machine")
    with pytest.raises(ClientError) as exc:
        machines.list_executions(stateMachineArn=SM + "wait", nextToken="bogus")
    assert error_of(exc)[0] == "InvalidToken"
    with pytest.raises(ClientError) as exc:
        machines.list_executions(stateMachineArn=SM + "ghost")
    assert error_of(exc)[0] == "StateMachineDoesNotExist"


def test_history_pages_forward_and_backward(machines, server):
    arn = machines.start_execution(stateMachineArn=SM + "wait", input='{"k": "v"}')["executionArn"]
    server.advance(60)
    server.wait_done(arn)
    everything = machines.get_execution_history(executionArn=arn)["events"]
    types = [e["type"] for e in everything]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert [e["id"] for e in everything] == list(range(1, len(everything) + 1))
    forward, token = [], None
    while True:
        page = machines.get_execution_history(executionArn=arn, maxResults=2,
                                              **({"nextToken": token} if token else {}))
        forward += page["events"]
        token = page.get("nextToken")
        if token is None:
            break
    assert forward == everything
    backward = machines.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    assert backward == everything[::-1]


def test_history_without_execution_data(machines, server):
    arn = machines.start_execution(stateMachineArn=SM + "pass", input='{"k": 1}')["executionArn"]
    server.wait_done(arn)
    started = machines.get_execution_history(
        executionArn=arn, includeExecutionData=False)["events"][0]
    assert "input" not in started["executionStartedEventDetails"]
    with_data = machines.get_execution_history(executionArn=arn)["events"][0]
    assert with_data["executionStartedEventDetails"]["input"] == '{"k": 1}'


def test_history_errors(machines, server):
    arn = machines.start_execution(stateMachineArn=SM + "pass")["executionArn"]
    server.wait_done(arn)
    with pytest.raises(ClientError) as exc:
        machines.get_execution_history(executionArn=arn, nextToken="bogus")
    assert error_of(exc) == ("InvalidToken", "Invalid Token: 'Invalid token'")
    with pytest.raises(ClientError) as exc:
        machines.get_execution_history(executionArn=arn, maxResults=1001)
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        machines.get_execution_history(executionArn=EX + "pass:none")
    assert error_of(exc)[0] == "ExecutionDoesNotExist"


def test_start_sync_execution(machines):
    result = machines.start_sync_execution(stateMachineArn=SM + "express", input='{"n": 7}',
                                           name="sync1")
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"n": 7}
    assert result["executionArn"].startswith(
        "arn:aws:states:us-east-1:123456789012:express:express:sync1:")
    assert result["billingDetails"]["billedMemoryUsedInMB"] == 64
    assert isinstance(result["stopDate"], datetime)


def test_start_sync_execution_refuses_standard(machines):
    with pytest.raises(ClientError) as exc:
        machines.start_sync_execution(stateMachineArn=SM + "pass")
    assert error_of(exc) == ("StateMachineTypeNotSupported",
                             "This operation is not supported by this type of state machine")


def test_express_executions_are_not_describable(machines):
    arn = machines.start_execution(stateMachineArn=SM + "express")["executionArn"]
    assert ":express:express:" in arn
    for call in (machines.describe_execution, machines.stop_execution,
                 machines.get_execution_history, machines.describe_state_machine_for_execution):
        with pytest.raises(ClientError) as exc:
            call(executionArn=arn)
        assert error_of(exc) == (
            "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'")


def test_start_sync_execution_with_the_environment_switch(machines, server, monkeypatch):
    boto3 = pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
    client = boto3.client("stepfunctions", endpoint_url=server.url, region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
    assert client.start_sync_execution(stateMachineArn=SM + "express")["status"] == "SUCCEEDED"
