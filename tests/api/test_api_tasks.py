"""Task tokens and activities through the server (skipped until the engine has the methods)."""

from __future__ import annotations

import json

import pytest
from api_server import ROLE, error_of

from sfnlocal.engine.engine import Engine

ClientError = pytest.importorskip("botocore.exceptions").ClientError
ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:"


def needs(*methods: str) -> pytest.MarkDecorator:
    missing = [m for m in methods if not hasattr(Engine, m)]
    return pytest.mark.skipif(bool(missing), reason=f"the engine has no {', '.join(missing)} yet")


@needs("create_activity", "describe_activity", "list_activities", "delete_activity")
def test_activity_lifecycle(sfn):
    created = sfn.create_activity(name="worker")
    assert created["activityArn"] == ACTIVITY + "worker"
    assert sfn.create_activity(name="worker")["activityArn"] == created["activityArn"]
    described = sfn.describe_activity(activityArn=created["activityArn"])
    assert (described["name"], described["activityArn"]) == ("worker", ACTIVITY + "worker")
    listed = sfn.list_activities()["activities"]
    assert [a["activityArn"] for a in listed] == [ACTIVITY + "worker"]
    sfn.delete_activity(activityArn=created["activityArn"])
    sfn.delete_activity(activityArn=created["activityArn"])
    with pytest.raises(ClientError) as exc:
        sfn.describe_activity(activityArn=created["activityArn"])
    assert error_of(exc) == ("ActivityDoesNotExist",
                             f"Activity Does Not Exist: '{ACTIVITY}worker'")


@needs("create_activity")
def test_activity_with_an_invalid_name(sfn):
    with pytest.raises(ClientError) as exc:
        sfn.create_activity(name="a b")
    assert error_of(exc) == ("InvalidName", "Invalid Name: 'a b'")


@needs("send_task_success", "send_task_failure", "send_task_heartbeat")
def test_unknown_task_tokens(sfn):
    for call, kwargs in ((sfn.send_task_success, {"output": "{}"}),
                         (sfn.send_task_failure, {"error": "E"}),
                         (sfn.send_task_heartbeat, {})):
        with pytest.raises(ClientError) as exc:
            call(taskToken="no-such-token", **kwargs)
        assert error_of(exc)[0] in {"InvalidToken", "TaskDoesNotExist"}


@needs("create_activity", "get_activity_task", "send_task_success")
def test_activity_round_trip(sfn, server):
    arn = sfn.create_activity(name="doubler")["activityArn"]
    definition = json.dumps({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": arn, "End": True}}})
    machine = sfn.create_state_machine(name="uses-activity", definition=definition,
                                       roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input='{"n": 21}')["executionArn"]
    task = sfn.get_activity_task(activityArn=arn, workerName="w1")
    assert json.loads(task["input"]) == {"n": 21}
    sfn.send_task_success(taskToken=task["taskToken"], output='{"n": 42}')
    server.wait_done(execution)
    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"n": 42})
