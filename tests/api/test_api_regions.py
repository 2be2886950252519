"""Regions on the server: each region a request is signed for has its own resources, as on AWS."""

from __future__ import annotations

import json

import pytest
from api_server import PASS, ROLE, ServerThread, client_of


@pytest.fixture
def pinned():
    running = ServerThread(pin_region=True).start()
    try:
        yield running
    finally:
        running.close()


def test_resources_are_regional(server):
    east, west = client_of("stepfunctions", server.url), client_of("stepfunctions", server.url,
                                                                   "eu-west-1")
    arn = west.create_state_machine(name="m", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    assert arn == "arn:aws:states:eu-west-1:123456789012:stateMachine:m"
    assert [m["name"] for m in west.list_state_machines()["stateMachines"]] == ["m"]
    assert east.list_state_machines()["stateMachines"] == []
    with pytest.raises(east.exceptions.StateMachineDoesNotExist):
        east.describe_state_machine(stateMachineArn=arn)
    run = west.start_execution(stateMachineArn=arn, name="e", input='{"a": 1}')
    assert run["executionArn"] == "arn:aws:states:eu-west-1:123456789012:execution:m:e"


def test_an_execution_runs_in_its_region(server):
    west = client_of("stepfunctions", server.url, "eu-west-1")
    arn = west.create_state_machine(name="m", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    run = west.start_execution(stateMachineArn=arn, input='{"a": 1}')
    described = _wait(server, west, run["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"a": 1}


def test_queues_and_activities_are_regional(server):
    west_sqs = client_of("sqs", server.url, "eu-west-1")
    url = west_sqs.create_queue(QueueName="jobs")["QueueUrl"]
    attributes = west_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    assert attributes["Attributes"]["QueueArn"] == "arn:aws:sqs:eu-west-1:123456789012:jobs"
    assert "QueueUrls" not in client_of("sqs", server.url).list_queues()
    west = client_of("stepfunctions", server.url, "eu-west-1")
    activity = west.create_activity(name="approve")["activityArn"]
    assert activity == "arn:aws:states:eu-west-1:123456789012:activity:approve"
    assert client_of("stepfunctions", server.url).list_activities()["activities"] == []


def test_a_pinned_server_serves_every_region_from_its_own(pinned):
    west = client_of("stepfunctions", pinned.url, "eu-west-1")
    arn = west.create_state_machine(name="m", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    assert arn == "arn:aws:states:us-east-1:123456789012:stateMachine:m"
    east = client_of("stepfunctions", pinned.url)
    assert [m["name"] for m in east.list_state_machines()["stateMachines"]] == ["m"]


def _wait(server, client, arn):
    for _ in range(100):
        described = client.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        server.advance(1)
    raise AssertionError(f"{arn} still running")
