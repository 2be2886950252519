"""Map Run actions, ListExecutions(mapRunArn) and RedriveExecution through a server and boto3.

Shapes are checked against AWS's API model (boto3 parses the responses with it); ARN formats
and error codes follow the checklist (§13, §14).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from api_server import ROLE, error_of, post

ClientError = pytest.importorskip("botocore.exceptions").ClientError
ARN = "arn:aws:states:us-east-1:123456789012"
SM = f"{ARN}:stateMachine:"
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
MISSING_RUN = f"{ARN}:mapRun:dm/M:00000000-0000-4000-8000-000000000000"
# Items equal to 0 fail at once; others wait their value in seconds, then succeed.
CHILD = {
    "C": {"Type": "Choice", "Default": "W",
          "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "F"}]},
    "F": {"Type": "Fail", "Error": "Bad", "Cause": "zero"},
    "W": {"Type": "Wait", "SecondsPath": "$", "End": True},
}


def map_machine(**fields: Any) -> str:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                 "StartAt": "C", "States": CHILD}
    return json.dumps({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemProcessor": processor, "End": True, **fields}}})


def start(sfn: Any, items: list[int], **fields: Any) -> str:
    sfn.create_state_machine(name="dm", definition=map_machine(**fields), roleArn=ROLE)
    return str(sfn.start_execution(stateMachineArn=SM + "dm", input=json.dumps(items))
               ["executionArn"])


def finish(server: Any, arn: str, seconds: int = 10, steps: int = 4) -> None:
    """Move the virtual clock step by step (each child's Wait starts when it does)."""
    for _ in range(steps):
        server.advance(seconds)
    server.wait_done(arn)


def test_describe_and_list_map_runs(sfn, server):
    arn = start(sfn, [0, 1, 1], ToleratedFailureCount=1, Label="Lbl")
    finish(server, arn, 1)
    runs = sfn.list_map_runs(executionArn=arn)["mapRuns"]
    assert len(runs) == 1
    item = runs[0]
    assert re.fullmatch(f"{ARN}:mapRun:dm/Lbl:{UUID}", item["mapRunArn"])
    assert (item["executionArn"], item["stateMachineArn"]) == (arn, SM + "dm/Lbl")
    assert isinstance(item["startDate"], datetime) and item["stopDate"] >= item["startDate"]
    described = sfn.describe_map_run(mapRunArn=item["mapRunArn"])
    assert (described["status"], described["executionArn"]) == ("SUCCEEDED", arn)
    assert (described["toleratedFailureCount"], described["toleratedFailurePercentage"]) == (1, 0.0)
    assert described["maxConcurrency"] == 0 and described["redriveCount"] == 0
    counts = described["executionCounts"]
    assert (counts["succeeded"], counts["failed"], counts["total"], counts["pending"]) == (2, 1, 3, 0)
    assert described["itemCounts"]["total"] == 3


def test_list_map_runs_pages(sfn, server):
    definition = {"Retry": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"],
                             "MaxAttempts": 2}]}
    arn = start(sfn, [0], **definition)
    finish(server, arn, 5)
    first = sfn.list_map_runs(executionArn=arn, maxResults=2)
    assert len(first["mapRuns"]) == 2 and "nextToken" in first
    rest = sfn.list_map_runs(executionArn=arn, maxResults=2, nextToken=first["nextToken"])
    assert len(rest["mapRuns"]) == 1 and "nextToken" not in rest
    arns = [r["mapRunArn"] for r in first["mapRuns"] + rest["mapRuns"]]
    assert len(set(arns)) == 3


def test_child_executions_are_listed_and_described(sfn, server):
    arn = start(sfn, [0, 1], ToleratedFailurePercentage=50)
    finish(server, arn, 1)
    run_arn = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    listed = sfn.list_executions(mapRunArn=run_arn)["executions"]
    assert sorted(e["status"] for e in listed) == ["FAILED", "SUCCEEDED"]
    for item in listed:
        assert (item["mapRunArn"], item["itemCount"]) == (run_arn, 1)
        assert item["stateMachineArn"] == SM + "dm/M"
        assert item["executionArn"].startswith(run_arn.replace(":mapRun:", ":execution:") + ":")
    failed = sfn.list_executions(mapRunArn=run_arn, statusFilter="FAILED")["executions"]
    assert len(failed) == 1
    described = sfn.describe_execution(executionArn=failed[0]["executionArn"])
    assert (described["mapRunArn"], described["error"], described["cause"]) == (
        run_arn, "Bad", "zero")
    assert described["redriveStatus"] == "REDRIVABLE_BY_MAP_RUN"
    events = sfn.get_execution_history(executionArn=failed[0]["executionArn"])["events"]
    assert [e["type"] for e in events][0::len(events) - 1] == ["ExecutionStarted",
                                                               "ExecutionFailed"]
    parents = sfn.list_executions(stateMachineArn=SM + "dm")["executions"]
    assert [e["executionArn"] for e in parents] == [arn] and "mapRunArn" not in parents[0]


def test_list_executions_of_a_map_run_pages(sfn, server):
    arn = start(sfn, [1, 1, 1])
    finish(server, arn, 1)
    run_arn = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    first = sfn.list_executions(mapRunArn=run_arn, maxResults=2)
    rest = sfn.list_executions(mapRunArn=run_arn, maxResults=2, nextToken=first["nextToken"])
    names = [e["name"] for e in first["executions"] + rest["executions"]]
    assert len(set(names)) == 3 and "nextToken" not in rest


def test_update_map_run_raises_the_concurrency_of_a_running_run(sfn, server):
    arn = start(sfn, [10, 10, 10], MaxConcurrency=1)
    run_arn = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    running = sfn.describe_map_run(mapRunArn=run_arn)
    assert running["status"] == "RUNNING" and "stopDate" not in running
    assert (running["executionCounts"]["running"], running["executionCounts"]["pending"]) == (1, 2)
    assert sfn.update_map_run(mapRunArn=run_arn, maxConcurrency=3)["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    updated = sfn.describe_map_run(mapRunArn=run_arn)
    assert updated["maxConcurrency"] == 3 and updated["executionCounts"]["running"] == 3
    server.advance(10)
    server.wait_done(arn)
    assert sfn.describe_map_run(mapRunArn=run_arn)["status"] == "SUCCEEDED"


def test_update_map_run_lowering_the_tolerance_fails_the_run(sfn, server):
    arn = start(sfn, [0, 10], ToleratedFailurePercentage=60)
    run_arn = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    sfn.update_map_run(mapRunArn=run_arn, toleratedFailurePercentage=10)
    server.wait_done(arn)
    described = sfn.describe_execution(executionArn=arn)
    assert (described["status"], described["error"]) == (
        "FAILED", "States.ExceedToleratedFailureThreshold")
    run = sfn.describe_map_run(mapRunArn=run_arn)
    assert (run["status"], run["toleratedFailurePercentage"]) == ("FAILED", 10.0)


def test_map_run_errors(sfn):
    for call in (lambda: sfn.describe_map_run(mapRunArn=MISSING_RUN),
                 lambda: sfn.update_map_run(mapRunArn=MISSING_RUN, maxConcurrency=1),
                 lambda: sfn.list_executions(mapRunArn=MISSING_RUN)):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("ResourceNotFound", f"Resource not found: '{MISSING_RUN}'")
    with pytest.raises(ClientError) as exc:
        sfn.describe_map_run(mapRunArn="not-an-arn")
    assert error_of(exc)[0] == "InvalidArn"
    with pytest.raises(ClientError) as exc:
        sfn.list_map_runs(executionArn=f"{ARN}:execution:dm:nope")
    assert error_of(exc)[0] == "ExecutionDoesNotExist"


def children_of(sfn: Any, arn: str) -> tuple[str, list[str]]:
    run_arn = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    listed = sfn.list_executions(mapRunArn=run_arn)["executions"]
    return run_arn, [e["executionArn"] for e in listed]


def test_stop_execution_of_a_child_aborts_it_alone(sfn, server):
    arn = start(sfn, [10, 10], ToleratedFailureCount=1)
    run_arn, (child, other) = children_of(sfn, arn)
    stopped = sfn.stop_execution(executionArn=child, error="Halt", cause="by hand")
    assert isinstance(stopped["stopDate"], datetime)
    described = sfn.describe_execution(executionArn=child)
    assert (described["status"], described["error"], described["cause"]) == (
        "ABORTED", "Halt", "by hand")
    last = sfn.get_execution_history(executionArn=child, reverseOrder=True)["events"][0]
    assert last["type"] == "ExecutionAborted"
    assert sfn.describe_execution(executionArn=other)["status"] == "RUNNING"
    counts = sfn.describe_map_run(mapRunArn=run_arn)["executionCounts"]
    assert (counts["aborted"], counts["running"]) == (1, 1)
    aborted = sfn.list_executions(mapRunArn=run_arn, statusFilter="ABORTED")["executions"]
    assert [e["executionArn"] for e in aborted] == [child]
    finish(server, arn, 10, 1)
    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"


def test_a_stopped_child_over_the_tolerance_fails_the_map_run(sfn, server):
    arn = start(sfn, [10, 10])
    run_arn, (child, _) = children_of(sfn, arn)
    sfn.stop_execution(executionArn=child)
    server.wait_done(arn)
    described = sfn.describe_execution(executionArn=arn)
    assert (described["status"], described["error"]) == (
        "FAILED", "States.ExceedToleratedFailureThreshold")
    run = sfn.describe_map_run(mapRunArn=run_arn)
    assert (run["status"], run["executionCounts"]["aborted"]) == ("FAILED", 2)


def test_stopping_the_parent_aborts_the_map_run_and_its_children(sfn, server):
    arn = start(sfn, [10, 10])
    run_arn, kids = children_of(sfn, arn)
    sfn.stop_execution(executionArn=arn)
    assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"
    run = sfn.describe_map_run(mapRunArn=run_arn)
    assert (run["status"], run["executionCounts"]["aborted"]) == ("ABORTED", 2)
    assert "stopDate" in run
    for kid in kids:
        assert sfn.describe_execution(executionArn=kid)["status"] == "ABORTED"


def test_stopping_an_express_child_is_an_invalid_arn(sfn, server):
    definition = json.loads(map_machine())
    definition["States"]["M"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] = "EXPRESS"
    sfn.create_state_machine(name="ex", definition=json.dumps(definition), roleArn=ROLE)
    arn = sfn.start_execution(stateMachineArn=SM + "ex", input="[10]")["executionArn"]
    _, (child,) = children_of(sfn, arn)
    assert ":express:" in child
    with pytest.raises(ClientError) as exc:
        sfn.stop_execution(executionArn=child)
    assert error_of(exc) == ("InvalidArn",
                             "Invalid Arn: 'Resource type not valid in this context: express'")
    finish(server, arn, 10, 1)
    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"


def test_describe_state_machine_for_a_child_execution(sfn, server):
    arn = start(sfn, [1], Label="Lbl")
    finish(server, arn, 1, 1)
    run_arn, (child,) = children_of(sfn, arn)
    described = sfn.describe_state_machine_for_execution(executionArn=child)
    assert (described["stateMachineArn"], described["name"]) == (SM + "dm/Lbl", "dm/Lbl")
    assert (described["mapRunArn"], described["label"]) == (run_arn, "Lbl")
    processor = json.loads(map_machine())["States"]["M"]["ItemProcessor"]
    assert json.loads(described["definition"]) == processor
    assert described["roleArn"] == ROLE
    parent = sfn.describe_state_machine_for_execution(executionArn=arn)
    assert "mapRunArn" not in parent and "label" not in parent
    assert parent["stateMachineArn"] == SM + "dm"


def test_list_executions_with_a_state_machine_and_a_map_run(sfn, server):
    arn = start(sfn, [1])
    finish(server, arn, 1, 1)
    run_arn, _ = children_of(sfn, arn)
    with pytest.raises(ClientError) as exc:
        sfn.list_executions(stateMachineArn=SM + "dm", mapRunArn=run_arn)
    code, message = error_of(exc)
    assert code == "ValidationException"
    assert "StateMachine ARN" in message and "MapRun ARN" in message


@pytest.mark.parametrize("body", [
    {"mapRunArn": MISSING_RUN, "toleratedFailurePercentage": "ten"},
    {"mapRunArn": MISSING_RUN, "maxConcurrency": 1.5},
    {"mapRunArn": MISSING_RUN, "toleratedFailureCount": -1},
    {"mapRunArn": MISSING_RUN, "toleratedFailurePercentage": 101},
    {},
])
def test_update_map_run_malformed_members(server, body):
    status, answer = post(server.url, json.dumps(body), "AWSStepFunctions.UpdateMapRun")
    assert (status, answer["__type"]) == (400, "ValidationException")


def test_redrive_execution_errors(sfn, server):
    missing = f"{ARN}:execution:dm:nope"
    with pytest.raises(ClientError) as exc:
        sfn.redrive_execution(executionArn=missing)
    assert error_of(exc) == ("ExecutionDoesNotExist", f"Execution Does Not Exist: '{missing}'")
    with pytest.raises(ClientError) as exc:
        sfn.redrive_execution(executionArn="nope")
    assert error_of(exc)[0] == "InvalidArn"
    arn = start(sfn, [10])
    with pytest.raises(ClientError) as exc:
        sfn.redrive_execution(executionArn=arn)
    assert error_of(exc) == ("ExecutionNotRedrivable", "Execution is RUNNING and cannot be redriven")
    finish(server, arn, 10, 1)
    with pytest.raises(ClientError) as exc:
        sfn.redrive_execution(executionArn=arn)
    assert error_of(exc) == ("ExecutionNotRedrivable",
                             "Execution is SUCCEEDED and cannot be redriven")
    sfn.stop_execution(executionArn=start_other(sfn))
    aborted = sfn.list_executions(stateMachineArn=SM + "other")["executions"][0]["executionArn"]
    with pytest.raises(ClientError) as exc:
        sfn.redrive_execution(executionArn=aborted)
    code, message = error_of(exc)
    assert code == "ExecutionNotRedrivable" and "not supported by sfnlocal" in message


def start_other(sfn: Any) -> str:
    sfn.create_state_machine(name="other", definition=map_machine(), roleArn=ROLE)
    return str(sfn.start_execution(stateMachineArn=SM + "other", input="[10]")["executionArn"])


ODD_VALUES = [None, True, -1, 2**64, 1.5, "", "x" * 3000, [], {}, MISSING_RUN,
              f"{ARN}:execution:dm:nope", "arn:aws:states:us-east-1:123456789012:mapRun:"]


@pytest.mark.parametrize("action", ["DescribeMapRun", "ListMapRuns", "UpdateMapRun",
                                    "RedriveExecution"])
@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_members_are_client_errors_never_500(server, action, value):
    members = ("mapRunArn", "executionArn", "maxResults", "nextToken", "maxConcurrency",
               "toleratedFailurePercentage", "toleratedFailureCount", "clientToken")
    for member in members:
        body = {"mapRunArn": MISSING_RUN, "executionArn": f"{ARN}:execution:dm:x", member: value}
        status, answer = post(server.url, json.dumps(body), f"AWSStepFunctions.{action}")
        assert status == 400, (member, answer)
        assert answer["__type"] != "InternalFailure"
