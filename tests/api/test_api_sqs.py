"""The SQS API on the server's endpoint: boto3's SQS client (JSON protocol) works unchanged.

Expected values come from SQS's documentation and botocore's SQS service model (2012-11-05, JSON
protocol with awsQueryCompatible errors): error responses are HTTP 400 with
``__type: com.amazonaws.sqs#<Shape>`` and ``x-amzn-query-error: <query code>;Sender``, so boto3
raises the modelled exception class while ``Error.Code`` is the query code
(``AWS.SimpleQueueService.NonExistentQueue``...). The default server's virtual clock does not move
by itself: receives use ``WaitTimeSeconds=0`` and tests move time with ``server.advance``; the long
polls run in-process on an autojumping virtual clock (last section).
"""

from __future__ import annotations

import hashlib
import json
import random
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from api_server import ROLE, TIMEOUT, ServerThread, error_of

from sfnlocal.api.server import create_app
from sfnlocal.engine import Engine, VirtualClock
from sfnlocal.integrations import Registry
from sfnlocal.integrations.sqs_queues import SqsService, md5_of_message_attributes

ACCOUNT = "123456789012"


def raw(url: str, action: str, body: bytes | str | dict[str, Any]
        ) -> tuple[int, dict[str, str], dict[str, Any]]:
    """POST one SQS request as bytes: (status, headers, JSON body)."""
    data = json.dumps(body).encode() if isinstance(body, dict) else \
        body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url + "/", data=data, method="POST")
    request.add_header("Content-Type", "application/x-amz-json-1.0")
    request.add_header("X-Amz-Target", f"AmazonSQS.{action}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def receive(sqs: Any, url: str, **kwargs: Any) -> list[dict[str, Any]]:
    return list(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0, **kwargs).get("Messages", []))


# -- queues ------------------------------------------------------------------------------------


def test_create_queue_answers_a_url_on_the_server_and_is_idempotent(server: ServerThread,
                                                                    sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "10"})["QueueUrl"]
    assert url == f"{server.url}/{ACCOUNT}/jobs"
    assert sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "10"})["QueueUrl"] \
        == url
    with pytest.raises(sqs.exceptions.QueueNameExists) as raised:
        sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "20"})
    assert error_of(raised)[0] == "QueueAlreadyExists"  # the query code boto3 users see


def test_get_queue_url_and_the_wire_shape_of_queue_does_not_exist(server: ServerThread,
                                                                  sqs: Any) -> None:
    url = sqs.create_queue(QueueName="here")["QueueUrl"]
    assert sqs.get_queue_url(QueueName="here")["QueueUrl"] == url
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as raised:
        sqs.get_queue_url(QueueName="elsewhere")
    assert error_of(raised) == ("AWS.SimpleQueueService.NonExistentQueue",
                                "The specified queue does not exist.")
    assert raised.value.response["Error"]["QueryErrorCode"] == "QueueDoesNotExist"
    status, headers, body = raw(server.url, "GetQueueUrl", {"QueueName": "elsewhere"})
    assert status == 400
    assert body["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="here", QueueOwnerAWSAccountId="999999999999")


def test_list_queues_filters_by_prefix_and_pages(server: ServerThread, sqs: Any) -> None:
    for name in ("b-2", "a-1", "b-1", "b-3"):
        sqs.create_queue(QueueName=name)
    listed = sqs.list_queues(QueueNamePrefix="b-")
    assert listed["QueueUrls"] == [f"{server.url}/{ACCOUNT}/b-{n}" for n in (1, 2, 3)]
    assert "NextToken" not in listed  # only with MaxResults
    first = sqs.list_queues(MaxResults=3)
    assert [u.rsplit("/", 1)[1] for u in first["QueueUrls"]] == ["a-1", "b-1", "b-2"]
    rest = sqs.list_queues(MaxResults=3, NextToken=first["NextToken"])
    assert [u.rsplit("/", 1)[1] for u in rest["QueueUrls"]] == ["b-3"]
    assert "NextToken" not in rest
    pages = sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 1})
    assert sum(len(page["QueueUrls"]) for page in pages) == 4
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="zzz")


def test_queue_attributes_defaults_set_and_unknown_names(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="attrs")["QueueUrl"]
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    # SQS's documented defaults.
    assert got["VisibilityTimeout"] == "30"
    assert got["MessageRetentionPeriod"] == "345600"
    assert got["DelaySeconds"] == "0"
    assert got["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:attrs"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "45"})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"]) \
        ["Attributes"] == {"VisibilityTimeout": "45"}
    with pytest.raises(sqs.exceptions.InvalidAttributeName):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Colour": "blue"})
    with pytest.raises(sqs.exceptions.InvalidAttributeValue):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "43201"})


def test_purge_and_delete_queue(server: ServerThread, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="gone")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.purge_queue(QueueUrl=url)
    assert receive(sqs, url) == []
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as raised:
        sqs.purge_queue(QueueUrl=url)  # one purge per 60 seconds
    assert error_of(raised)[0] == "AWS.SimpleQueueService.PurgeQueueInProgress"
    server.advance(60)
    sqs.purge_queue(QueueUrl=url)
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="gone")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=url, MessageBody="x")


def test_fifo_queue_deduplicates_and_numbers_messages(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="orders.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    first = sqs.send_message(QueueUrl=url, MessageBody="one", MessageGroupId="g")
    again = sqs.send_message(QueueUrl=url, MessageBody="one", MessageGroupId="g")
    assert again["MessageId"] == first["MessageId"]  # deduplicated within 5 minutes
    assert first["SequenceNumber"].isdigit()
    sqs.send_message(QueueUrl=url, MessageBody="two", MessageGroupId="g")
    got = receive(sqs, url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["MessageGroupId"])
    assert [m["Body"] for m in got] == ["one", "two"]
    assert got[0]["Attributes"] == {"MessageGroupId": "g"}
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.send_message(QueueUrl=url, MessageBody="three")
    assert error_of(raised) == ("MissingParameter",
                                "The request must contain the parameter MessageGroupId.")


# -- messages ----------------------------------------------------------------------------------


def test_send_receive_delete_with_digests_and_attributes(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="mail")["QueueUrl"]
    attributes = {"kind": {"DataType": "String", "StringValue": "letter"},
                  "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xffdata"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes=attributes)
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    assert sent["MD5OfMessageAttributes"] == md5_of_message_attributes(attributes)
    [message] = receive(sqs, url, MessageAttributeNames=["All"], AttributeNames=["All"])
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "hello"
    assert message["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\xffdata"
    assert message["MessageAttributes"]["kind"]["StringValue"] == "letter"
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert message["Attributes"]["SenderId"] == ACCOUNT
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"],
            counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


def test_visibility_timeout_redelivers_with_a_new_receipt_handle(server: ServerThread,
                                                                 sqs: Any) -> None:
    url = sqs.create_queue(QueueName="work")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="job")
    [first] = receive(sqs, url, VisibilityTimeout=30)
    assert receive(sqs, url) == []  # in flight
    server.advance(30)
    [second] = receive(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"],
                                  VisibilityTimeout=0)
    assert [m["Body"] for m in receive(sqs, url)] == ["job"]


def test_delay_seconds_hold_messages_back(server: ServerThread, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="later", Attributes={"DelaySeconds": "10"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="queue delay")
    sqs.send_message(QueueUrl=url, MessageBody="own delay", DelaySeconds=20)
    assert receive(sqs, url) == []
    server.advance(10)
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["queue delay"]
    server.advance(10)
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["own delay"]


def test_redrive_policy_moves_a_message_to_its_dead_letter_queue(sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"]) \
        ["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url = sqs.create_queue(QueueName="live", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    for _ in range(2):
        assert len(receive(sqs, url, VisibilityTimeout=0)) == 1
    assert receive(sqs, url, VisibilityTimeout=0) == []  # received maxReceiveCount times: moved
    [moved] = receive(sqs, dlq, AttributeNames=["DeadLetterQueueSourceArn"])
    assert moved["Body"] == "poison"
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == \
        f"arn:aws:sqs:us-east-1:{ACCOUNT}:live"


def test_batches_report_successful_and_failed_entries(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="batch")["QueueUrl"]
    sent = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two"},
        {"Id": "c", "MessageBody": "late", "DelaySeconds": 901}])
    assert [e["Id"] for e in sent["Successful"]] == ["a", "b"]
    assert sent["Successful"][0]["MD5OfMessageBody"] == hashlib.md5(b"one").hexdigest()
    [failed] = sent["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == \
        ("c", "InvalidParameterValue", True)
    got = receive(sqs, url, MaxNumberOfMessages=10, VisibilityTimeout=60)
    assert sorted(m["Body"] for m in got) == ["one", "two"]
    changed = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "x", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 0},
        {"Id": "y", "ReceiptHandle": "not-a-handle", "VisibilityTimeout": 0}])
    assert [e["Id"] for e in changed["Successful"]] == ["x"]
    assert changed["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    again = receive(sqs, url, VisibilityTimeout=60)
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": "p", "ReceiptHandle": again[0]["ReceiptHandle"]},
        {"Id": "q", "ReceiptHandle": got[1]["ReceiptHandle"]}])
    assert sorted(e["Id"] for e in deleted["Successful"]) == ["p", "q"]
    assert receive(sqs, url) == []


@pytest.mark.parametrize(("entries", "exception", "code"), [
    ([], "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest"),
    ([{"Id": str(i), "MessageBody": "x"} for i in range(11)], "TooManyEntriesInBatchRequest",
     "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
    ([{"Id": "same", "MessageBody": "x"}] * 2, "BatchEntryIdsNotDistinct",
     "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
    ([{"Id": "no spaces", "MessageBody": "x"}], "InvalidBatchEntryId",
     "AWS.SimpleQueueService.InvalidBatchEntryId"),
])
def test_refused_batches(sqs: Any, entries: list[dict[str, Any]], exception: str,
                         code: str) -> None:
    url = sqs.create_queue(QueueName="refusals")["QueueUrl"]
    with pytest.raises(getattr(sqs.exceptions, exception)) as raised:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert error_of(raised)[0] == code


def test_invalid_parameter_values_are_sqs_errors(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="strict")["QueueUrl"]
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert error_of(raised) == ("InvalidParameterValue", "Value 11 for parameter "
                                "MaxNumberOfMessages is invalid. Reason: must be between 1 and "
                                "10, if provided.")
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.create_queue(QueueName="bad name")
    assert error_of(raised)[0] == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.InvalidMessageContents):
        sqs.send_message(QueueUrl=url, MessageBody="bell \x07")


# -- the wire: requests boto3 would refuse to send ---------------------------------------------


@pytest.mark.parametrize(("action", "body", "type_", "query_code"), [
    ("SendMessage", {"QueueUrl": "q"}, "com.amazonaws.sqs#MissingRequiredParameterException",
     "MissingParameter"),
    ("ReceiveMessage", {"QueueUrl": 42}, "com.amazonaws.sqs#InvalidParameterValueException",
     "InvalidParameterValue"),
    ("ReceiveMessage", {"QueueUrl": "q", "WaitTimeSeconds": "5"},
     "com.amazonaws.sqs#InvalidParameterValueException", "InvalidParameterValue"),
    ("SendMessageBatch", {"QueueUrl": "q", "Entries": ["x"]},
     "com.amazonaws.sqs#InvalidParameterValueException", "InvalidParameterValue"),
    ("SendMessage", {"QueueUrl": "q", "MessageBody": "b", "MessageAttributes": {
        "a": {"DataType": "Binary", "BinaryValue": "not base64!"}}},
     "com.amazonaws.sqs#InvalidParameterValueException", "InvalidParameterValue"),
    ("CreateQueue", {"QueueName": "q", "Attributes": {"DelaySeconds": 5}},
     "com.amazonaws.sqs#InvalidParameterValueException", "InvalidParameterValue"),
])
def test_wrong_members_are_400s_with_sqs_codes(server: ServerThread, action: str,
                                               body: dict[str, Any], type_: str,
                                               query_code: str) -> None:
    status, headers, answer = raw(server.url, action, body)
    assert status == 400
    assert answer["__type"] == type_
    assert headers["x-amzn-query-error"] == f"{query_code};Sender"
    assert answer["message"]


@pytest.mark.parametrize(("action", "body", "type_"), [
    ("ListQueues", b"{not json", "com.amazon.coral.service#SerializationException"),
    ("ListQueues", b"[1, 2]", "com.amazon.coral.service#SerializationException"),
    ("NoSuchAction", b"{}", "com.amazon.coral.service#UnknownOperationException"),
])
def test_malformed_requests_are_400s(server: ServerThread, action: str, body: bytes,
                                     type_: str) -> None:
    status, _, answer = raw(server.url, action, body)
    assert (status, answer["__type"]) == (400, type_)


def test_any_host_names_the_queue_by_account_and_name(server: ServerThread, sqs: Any) -> None:
    sqs.create_queue(QueueName="shared")
    aws_style = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/shared"
    status, _, sent = raw(server.url, "SendMessage", {"QueueUrl": aws_style, "MessageBody": "hi"})
    assert status == 200 and "MessageId" in sent
    other = "https://sqs.us-east-1.amazonaws.com/999999999999/shared"
    status, _, answer = raw(server.url, "SendMessage", {"QueueUrl": other, "MessageBody": "hi"})
    assert (status, answer["__type"]) == (400, "com.amazonaws.sqs#QueueDoesNotExist")


# -- one SqsService for the API and the Task integrations --------------------------------------


def test_task_integrations_send_to_the_queues_of_the_api(server: ServerThread, sqs: Any,
                                                         sfn: Any) -> None:
    url = sqs.create_queue(QueueName="from-tasks")["QueueUrl"]
    definition = {"StartAt": "Send", "States": {
        "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                 "Parameters": {"QueueUrl": url, "MessageBody.$": "$"}, "Next": "SdkSend"},
        "SdkSend": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:sendMessage",
                    "Parameters": {"QueueUrl": url, "MessageBody": "sdk"}, "End": True}}}
    machine = sfn.create_state_machine(name="senders", definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input='{"n": 1}')["executionArn"]
    server.wait_done(arn)
    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
    bodies = [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)]
    assert bodies == ['{"n":1}', "sdk"]


async def test_the_server_keeps_a_registered_sqs_service() -> None:
    clock = VirtualClock()
    mine = SqsService(clock, "us-east-1", ACCOUNT, rng=random.Random(3))
    registry = Registry()
    registry.register_sqs(mine)
    async with Engine(clock=clock, integrations=registry) as engine:
        create_app(engine)
        assert engine.integrations.sqs is mine
    async with Engine(clock=clock) as engine:
        assert engine.integrations.sqs is None
        create_app(engine)
        made = engine.integrations.sqs
        assert made is not None and made.clock is clock


# -- long polling on the engine's clock (in-process, autojumping virtual clock) ----------------


@pytest.fixture
async def local() -> AsyncIterator[tuple[TestClient[Any, Any], VirtualClock]]:
    clock = VirtualClock()
    async with Engine(clock=clock) as engine:
        client = TestClient(TestServer(create_app(engine)))
        await client.start_server()
        try:
            yield client, clock
        finally:
            await client.close()


async def call(client: TestClient[Any, Any], action: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/", data=json.dumps(body), headers={
        "X-Amz-Target": f"AmazonSQS.{action}", "Content-Type": "application/x-amz-json-1.0"})
    assert response.status == 200, await response.text()
    return dict(json.loads(await response.text()))


async def test_long_poll_waits_wait_time_seconds_of_engine_time(
        local: tuple[TestClient[Any, Any], VirtualClock]) -> None:
    client, clock = local
    url = (await call(client, "CreateQueue", {"QueueName": "quiet"}))["QueueUrl"]
    started = clock.now()
    assert await call(client, "ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 20}) == {}
    assert clock.now() - started == 20


async def test_long_poll_returns_when_a_delayed_message_becomes_visible(
        local: tuple[TestClient[Any, Any], VirtualClock]) -> None:
    client, clock = local
    url = (await call(client, "CreateQueue", {"QueueName": "soon"}))["QueueUrl"]
    await call(client, "SendMessage", {"QueueUrl": url, "MessageBody": "m", "DelaySeconds": 5})
    started = clock.now()
    got = await call(client, "ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 20})
    assert [m["Body"] for m in got["Messages"]] == ["m"]
    assert clock.now() - started == 5
