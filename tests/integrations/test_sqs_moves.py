"""Message move tasks, tags, permissions and trace headers of the in-process SQS service.

Expected values come from SQS's documented behaviour (StartMessageMoveTask, ListMessageMoveTasks,
CancelMessageMoveTask, TagQueue, AddPermission); every wait runs on the virtual clock.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from sfnlocal.engine import VirtualClock
from sfnlocal.errors import ServiceError
from sfnlocal.integrations.sqs_queues import SqsService

ACCOUNT = "111111111111"
DLQ_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(autojump=False)


@pytest.fixture
def sqs(clock: VirtualClock) -> SqsService:
    return SqsService(clock, "us-east-1", ACCOUNT, rng=random.Random(5))


async def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ServiceError) as raised:
        await call
    return raised.value.code, raised.value.message


async def bodies(sqs: SqsService, url: str, **kwargs: Any) -> list[str]:
    got = await sqs.receive_message(url, max_number=10, **kwargs)
    return [m["Body"] for m in got.get("Messages", [])]


async def redriven(sqs: SqsService, *messages: str) -> tuple[str, str]:
    """A source queue whose messages were all moved to ``dlq`` (received once each)."""
    dlq = (await sqs.create_queue("dlq"))["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 1})
    url = (await sqs.create_queue("source", {"RedrivePolicy": policy}))["QueueUrl"]
    for body in messages:
        await sqs.send_message(url, body)
    assert len(await bodies(sqs, url, visibility_timeout=0)) == len(messages)
    assert await bodies(sqs, url) == []
    return url, dlq


async def visible(sqs: SqsService, url: str) -> int:
    attributes = (await sqs.get_queue_attributes(url, ["ApproximateNumberOfMessages"]))
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


async def tasks(sqs: SqsService) -> list[dict[str, Any]]:
    return list((await sqs.list_message_move_tasks(DLQ_ARN, 10))["Results"])


async def test_in_flight_messages_wait_and_deleted_ones_are_not_moved(
        sqs: SqsService, clock: VirtualClock) -> None:
    url, dlq = await redriven(sqs, "a", "b", "c")
    [held] = (await sqs.receive_message(dlq, visibility_timeout=5))["Messages"]
    [gone] = (await sqs.receive_message(dlq, visibility_timeout=5))["Messages"]
    await sqs.start_message_move_task(DLQ_ARN, max_per_second=10)
    assert (await tasks(sqs))[0]["ApproximateNumberOfMessagesToMove"] == 3
    await sqs.delete_message(dlq, gone["ReceiptHandle"])  # consumed meanwhile
    clock.advance(1)
    assert await visible(sqs, url) == 1  # the free one
    assert (await tasks(sqs))[0]["Status"] == "RUNNING"  # the held one is still to move
    clock.advance(4)
    assert await visible(sqs, url) == 2
    assert sorted(await bodies(sqs, url)) == sorted([held["Body"], "c"])
    assert [(t["Status"], t["ApproximateNumberOfMessagesMoved"]) for t in await tasks(sqs)] \
        == [("COMPLETED", 2)]


async def test_moved_messages_start_afresh_in_their_source(sqs: SqsService,
                                                           clock: VirtualClock) -> None:
    url, _ = await redriven(sqs, "a")
    await sqs.start_message_move_task(DLQ_ARN)
    clock.advance(1)
    [message] = (await sqs.receive_message(url, attribute_names=["All"]))["Messages"]
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert "DeadLetterQueueSourceArn" not in message["Attributes"]


async def test_a_message_without_a_source_fails_the_task(sqs: SqsService,
                                                         clock: VirtualClock) -> None:
    _, dlq = await redriven(sqs)
    await sqs.send_message(dlq, "sent straight to the DLQ")
    await sqs.start_message_move_task(DLQ_ARN)
    clock.advance(1)
    [task] = await tasks(sqs)
    assert task["Status"] == "FAILED" and "FailureReason" in task and "TaskHandle" not in task
    assert await bodies(sqs, dlq) == ["sent straight to the DLQ"]


async def test_an_empty_dlq_completes_and_ten_tasks_are_kept(sqs: SqsService,
                                                            clock: VirtualClock) -> None:
    await redriven(sqs)
    for _ in range(12):
        await sqs.start_message_move_task(DLQ_ARN)
        clock.advance(1)
    listed = await tasks(sqs)
    assert len(listed) == 10
    assert {t["Status"] for t in listed} == {"COMPLETED"}
    assert [t["StartedTimestamp"] for t in listed] == sorted(
        (t["StartedTimestamp"] for t in listed), reverse=True)
    assert len((await sqs.list_message_move_tasks(DLQ_ARN))["Results"]) == 1  # default 1


async def test_tags_of_create_queue_apply_to_a_new_queue_only(sqs: SqsService) -> None:
    url = (await sqs.create_queue("t", tags={"a": "1"}))["QueueUrl"]
    assert (await sqs.create_queue("t", tags={"b": "2"}))["QueueUrl"] == url
    assert await sqs.list_queue_tags(url) == {"Tags": {"a": "1"}}
    assert await error_of(sqs.tag_queue(url, {})) == (
        "MissingParameter", "The request must contain the parameter Tags.")
    assert (await error_of(sqs.tag_queue(url, {"": "v"})))[0] == "InvalidParameterValue"


async def test_permission_labels_and_accounts_are_checked(sqs: SqsService) -> None:
    url = (await sqs.create_queue("p"))["QueueUrl"]
    code, message = await error_of(sqs.add_permission(url, "l", [], ["SendMessage"]))
    assert (code, message) == ("InvalidParameterValue", "Value [] for parameter PrincipalId is "
                               "invalid. Reason: Unable to verify.")
    assert (await error_of(sqs.add_permission(url, "l", ["nope"], ["SendMessage"])))[0] \
        == "InvalidParameterValue"
    assert (await error_of(sqs.add_permission(url, "l" * 81, [ACCOUNT], ["SendMessage"])))[0] \
        == "InvalidParameterValue"
    code, message = await error_of(sqs.add_permission(url, "l", [ACCOUNT], ["Fly"]))
    assert message == ("Value SQS:Fly for parameter ActionName is invalid. Reason: Please refer "
                       "to the appropriate WSDL for a list of valid actions.")
    assert await error_of(sqs.add_permission(url, "l", [ACCOUNT], [])) == (
        "MissingParameter", "The request must contain the parameter Actions.")


async def test_a_policy_set_by_hand_gets_the_new_statement(sqs: SqsService) -> None:
    mine = {"Sid": "mine", "Effect": "Deny", "Principal": "*", "Action": "SQS:*",
            "Resource": "*"}
    url = (await sqs.create_queue("p", {"Policy": json.dumps(
        {"Version": "2012-10-17", "Statement": mine})}))["QueueUrl"]
    await sqs.add_permission(url, "added", [ACCOUNT], ["GetQueueUrl"])
    policy = json.loads((await sqs.get_queue_attributes(url, ["Policy"]))["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["mine", "added"]
    await sqs.remove_permission(url, "mine")
    policy = json.loads((await sqs.get_queue_attributes(url, ["Policy"]))["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["added"]


async def test_the_trace_header_follows_a_message_to_its_dlq(sqs: SqsService) -> None:
    url, dlq = await redriven(sqs)
    header = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}}
    await sqs.send_message(url, "m", system_attributes=header)
    await sqs.receive_message(url, visibility_timeout=0)
    await sqs.receive_message(url)  # moved
    [moved] = (await sqs.receive_message(dlq, attribute_names=["All"]))["Messages"]
    assert moved["Attributes"]["AWSTraceHeader"] == "Root=1-abc"
    code, message = await error_of(sqs.send_message(url, "m", system_attributes={
        "SenderId": {"DataType": "String", "StringValue": "x"}}))
    assert (code, message) == ("InvalidParameterValue",
                               "Message system attribute name 'SenderId' is invalid.")
