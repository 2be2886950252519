"""The ``aws-sdk:sqs`` integration: PascalCase parameters and results, ``Sqs.*Exception`` errors."""

from __future__ import annotations

import json
import random
from typing import Any

from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.integrations import Registry
from sfnlocal.integrations.sqs_queues import SqsService

ACCOUNT = "111111111111"


def task(action: str, parameters: dict[str, Any], next_: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task", "Resource": f"arn:aws:states:::aws-sdk:sqs:{action}",
                             "Parameters": parameters, "ResultPath": f"$.{action}"}
    return {**state, "Next": next_} if next_ else {**state, "End": True}


async def run(definition: dict[str, Any], payload: Any, sqs: SqsService) -> Any:
    registry = Registry()
    registry.register_sqs(sqs)
    async with Engine(clock=sqs.clock, settings=EngineSettings(account=ACCOUNT, seed=2),
                      integrations=registry) as engine:
        sm = await engine.create_state_machine("sdk", definition)
        started = await engine.start_execution(sm.arn, payload)
        return await engine.wait(started.arn)


async def test_send_receive_delete_round_trip() -> None:
    sqs = SqsService(VirtualClock(), "us-east-1", ACCOUNT, rng=random.Random(1))
    url = (await sqs.create_queue("work"))["QueueUrl"]
    definition = {"StartAt": "Send", "States": {
        "Send": task("sendMessage", {"QueueUrl.$": "$.url", "MessageBody": "hi"}, "Receive"),
        "Receive": task("receiveMessage", {"QueueUrl.$": "$.url", "MaxNumberOfMessages": 10},
                        "Delete"),
        "Delete": task("deleteMessage", {
            "QueueUrl.$": "$.url", "ReceiptHandle.$": "$.receiveMessage.Messages[0].ReceiptHandle"}),
    }}
    record = await run(definition, {"url": url}, sqs)
    assert record.status == "SUCCEEDED", record.cause
    output = json.loads(record.output)
    assert output["receiveMessage"]["Messages"][0]["Body"] == "hi"
    assert output["deleteMessage"] == {}
    assert await sqs.receive_message(url) == {}


async def test_a_missing_queue_fails_with_the_sdk_exception() -> None:
    sqs = SqsService(VirtualClock(), "us-east-1", ACCOUNT)
    definition = {"StartAt": "R", "States": {"R": task("receiveMessage", {"QueueUrl": "nope"})}}
    record = await run(definition, {}, sqs)
    assert record.status == "FAILED"
    assert record.error == "Sqs.QueueDoesNotExistException"
    assert "(Service: Sqs, Status Code: 400, Request ID: " in record.cause


async def test_an_unserved_action_is_a_runtime_error() -> None:
    sqs = SqsService(VirtualClock(), "us-east-1", ACCOUNT)
    definition = {"StartAt": "T", "States": {"T": task("moveQueue", {"QueueUrl": "x"})}}
    record = await run(definition, {}, sqs)
    assert (record.status, record.error) == ("FAILED", "States.Runtime")


async def test_queue_actions_create_configure_and_delete() -> None:
    sqs = SqsService(VirtualClock(), "us-east-1", ACCOUNT)
    definition = {"StartAt": "Create", "States": {
        "Create": task("createQueue", {"QueueName": "made", "Attributes": {"DelaySeconds": "5"}},
                       "Set"),
        "Set": task("setQueueAttributes", {"QueueUrl.$": "$.createQueue.QueueUrl",
                                           "Attributes": {"VisibilityTimeout": "7"}}, "Get"),
        "Get": task("getQueueAttributes", {"QueueUrl.$": "$.createQueue.QueueUrl",
                                           "AttributeNames": ["DelaySeconds", "VisibilityTimeout"]},
                    "Delete"),
        "Delete": task("deleteQueue", {"QueueUrl.$": "$.createQueue.QueueUrl"}),
    }}
    record = await run(definition, {}, sqs)
    assert record.status == "SUCCEEDED", record.cause
    output = json.loads(record.output)
    assert output["getQueueAttributes"] == {"Attributes": {"DelaySeconds": "5",
                                                           "VisibilityTimeout": "7"}}
    assert await sqs.list_queues() == {}


async def test_tags_and_dead_letter_sources_through_sdk_tasks() -> None:
    sqs = SqsService(VirtualClock(), "us-east-1", ACCOUNT)
    dlq = (await sqs.create_queue("dlq"))["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq",
                         "maxReceiveCount": 2})
    url = (await sqs.create_queue("src", {"RedrivePolicy": policy}))["QueueUrl"]
    definition = {"StartAt": "Tag", "States": {
        "Tag": task("tagQueue", {"QueueUrl": url, "Tags": {"team": "a"}}, "Tags"),
        "Tags": task("listQueueTags", {"QueueUrl": url}, "Sources"),
        "Sources": task("listDeadLetterSourceQueues", {"QueueUrl": dlq}, "Move"),
        "Move": {**task("startMessageMoveTask",
                        {"SourceArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:x"}),
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                            "Next": "Done"}]},
        "Done": {"Type": "Succeed"},
    }}
    record = await run(definition, {}, sqs)
    assert record.status == "SUCCEEDED", record.cause
    output = json.loads(record.output)
    assert output["listQueueTags"] == {"Tags": {"team": "a"}}
    assert output["listDeadLetterSourceQueues"] == {"queueUrls": [url]}
    assert output["error"]["Error"] == "Sqs.ResourceNotFoundException"
    assert "Status Code: 404" in output["error"]["Cause"]
