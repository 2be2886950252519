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

import base64
import hashlib
import json
import random
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import ANY

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


def arn_of(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
               ["Attributes"]["QueueArn"])


def test_aws_trace_header_is_kept_and_returned_when_asked(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="traced")["QueueUrl"]
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    system = {"AWSTraceHeader": {"DataType": "String", "StringValue": header}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="x", MessageSystemAttributes=system)
    # The digest of system attributes uses the message attributes' encoding.
    assert sent["MD5OfMessageSystemAttributes"] == md5_of_message_attributes(system)
    sqs.send_message(QueueUrl=url, MessageBody="plain")
    got = receive(sqs, url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                  MessageSystemAttributeNames=["AWSTraceHeader"])
    assert [m.get("Attributes") for m in got] == [{"AWSTraceHeader": header}, None]
    got = receive(sqs, url, MaxNumberOfMessages=10)  # not asked: not returned
    assert [m["Body"] for m in got] == ["x", "plain"]
    assert all("Attributes" not in m for m in got)
    batch = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "b", "MessageSystemAttributes": system},
        {"Id": "c", "MessageBody": "d", "MessageSystemAttributes": {
            "Other": {"DataType": "String", "StringValue": "v"}}}])
    assert [e["Id"] for e in batch["Successful"]] == ["a"]
    assert batch["Failed"][0]["Code"] == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageSystemAttributes={
            "AWSTraceHeader": {"DataType": "Number", "StringValue": "1"}})
    assert error_of(raised)[0] == "InvalidParameterValue"


# -- tags ---------------------------------------------------------------------------------------


def test_tags_on_create_tag_untag_and_list(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="tagged", tags={"team": "a", "env": "dev"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "dev"}
    sqs.tag_queue(QueueUrl=url, Tags={"env": "prod", "cost": "42"})  # same key: overwritten
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "prod", "cost": "42"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "cost", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "prod"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.tag_queue(QueueUrl=url + "-nope", Tags={"a": "b"})
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.list_queue_tags(QueueUrl=url + "-nope")


def test_tag_limits_are_invalid_parameter_values(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="limits", tags={f"k{i}": "v" for i in range(50)})["QueueUrl"]
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.tag_queue(QueueUrl=url, Tags={"one-more": "v"})  # at most 50 tags a queue
    assert error_of(raised) == ("InvalidParameterValue", "Too many tags added for queue limits.")
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.tag_queue(QueueUrl=url, Tags={"k1": "v" * 257})
    assert error_of(raised)[0] == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.untag_queue(QueueUrl=url, TagKeys=[])
    assert error_of(raised)[0] == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.create_queue(QueueName="too-many", tags={f"k{i}": "v" for i in range(51)})
    assert error_of(raised)[0] == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="too-many")


# -- dead-letter sources ------------------------------------------------------------------------


def test_list_dead_letter_source_queues_pages(server: ServerThread, sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 3})
    for name in ("src-c", "src-a", "src-b"):
        sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})
    sqs.create_queue(QueueName="unrelated")
    listed = sqs.list_dead_letter_source_queues(QueueUrl=dlq)
    assert listed["queueUrls"] == [f"{server.url}/{ACCOUNT}/src-{n}" for n in "abc"]
    assert "NextToken" not in listed  # only with MaxResults
    first = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2)
    assert [u.rsplit("/", 1)[1] for u in first["queueUrls"]] == ["src-a", "src-b"]
    rest = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2,
                                              NextToken=first["NextToken"])
    assert [u.rsplit("/", 1)[1] for u in rest["queueUrls"]] == ["src-c"]
    assert "NextToken" not in rest
    pages = sqs.get_paginator("list_dead_letter_source_queues").paginate(
        QueueUrl=dlq, PaginationConfig={"PageSize": 1})
    assert [u for page in pages for u in page["queueUrls"]] == listed["queueUrls"]
    unrelated = f"{server.url}/{ACCOUNT}/unrelated"
    assert sqs.list_dead_letter_source_queues(QueueUrl=unrelated)["queueUrls"] == []
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.list_dead_letter_source_queues(QueueUrl=f"{server.url}/{ACCOUNT}/nope")
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=1001)
    assert error_of(raised)[0] == "InvalidParameterValue"


# -- permissions --------------------------------------------------------------------------------


def test_add_and_remove_permission_write_the_queue_policy(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="shared-q")["QueueUrl"]
    arn = arn_of(sqs, url)
    sqs.add_permission(QueueUrl=url, Label="AliceSend", AWSAccountIds=["111122223333"],
                       Actions=["SendMessage"])
    sqs.add_permission(QueueUrl=url, Label="Both", AWSAccountIds=["111122223333", "444455556666"],
                       Actions=["ReceiveMessage", "DeleteMessage"])
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
                        ["Attributes"]["Policy"])
    assert policy == {"Version": "2012-10-17", "Id": f"{arn}/SQSDefaultPolicy", "Statement": [
        {"Sid": "AliceSend", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "SQS:SendMessage", "Resource": arn},
        {"Sid": "Both", "Effect": "Allow",
         "Principal": {"AWS": ["arn:aws:iam::111122223333:root",
                               "arn:aws:iam::444455556666:root"]},
         "Action": ["SQS:ReceiveMessage", "SQS:DeleteMessage"], "Resource": arn}]}
    sqs.remove_permission(QueueUrl=url, Label="AliceSend")
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
                        ["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["Both"]
    sqs.remove_permission(QueueUrl=url, Label="Both")
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]) \
        ["Attributes"]


def test_permission_refusals(server: ServerThread, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="guarded")["QueueUrl"]
    sqs.add_permission(QueueUrl=url, Label="one", AWSAccountIds=["111122223333"], Actions=["*"])
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.add_permission(QueueUrl=url, Label="one", AWSAccountIds=["111122223333"],
                           Actions=["SendMessage"])
    assert error_of(raised) == ("InvalidParameterValue", "Value one for parameter Label is "
                                "invalid. Reason: Already exists.")
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.add_permission(QueueUrl=url, Label="owner", AWSAccountIds=["111122223333"],
                           Actions=["DeleteQueue"])
    assert error_of(raised) == ("InvalidParameterValue", "Value SQS:DeleteQueue for parameter "
                                "ActionName is invalid. Reason: Only the queue owner is allowed "
                                "to invoke this action.")
    with pytest.raises(sqs.exceptions.OverLimit) as raised:  # at most 7 actions a statement
        sqs.add_permission(QueueUrl=url, Label="many", AWSAccountIds=["111122223333"],
                           Actions=["SendMessage"] * 8)
    assert error_of(raised)[0] == "OverLimit"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.add_permission(QueueUrl=url, Label="bad label!", AWSAccountIds=["111122223333"],
                           Actions=["SendMessage"])
    assert error_of(raised)[0] == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.remove_permission(QueueUrl=url, Label="never")
    assert error_of(raised) == ("InvalidParameterValue", "Value never for parameter Label is "
                                "invalid. Reason: can't find label on existing policy.")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.remove_permission(QueueUrl=url + "-nope", Label="one")
    status, _, body = raw(server.url, "AddPermission", {"QueueUrl": url, "Label": "x"})
    assert (status, body["__type"]) == (400, "com.amazonaws.sqs#MissingRequiredParameterException")
    with pytest.raises(sqs.exceptions.InvalidAttributeValue):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": "not json"})


# -- message move tasks -------------------------------------------------------------------------


def dead_letters(sqs: Any, bodies: list[str], source: str = "orders",
                 dlq: str = "orders-dlq") -> tuple[str, str]:
    """A source queue redriving into a DLQ that holds ``bodies`` (received once each)."""
    dlq_url = sqs.create_queue(QueueName=dlq)["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq_url), "maxReceiveCount": 1})
    url = sqs.create_queue(QueueName=source, Attributes={"RedrivePolicy": policy})["QueueUrl"]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    assert len(receive(sqs, url, MaxNumberOfMessages=10, VisibilityTimeout=0)) == len(bodies)
    assert receive(sqs, url, MaxNumberOfMessages=10) == []  # all moved to the DLQ
    return url, dlq_url


def counts(sqs: Any, url: str) -> int:
    return int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"])


def test_message_move_task_redrives_to_the_source_at_its_rate(server: ServerThread,
                                                             sqs: Any) -> None:
    url, dlq = dead_letters(sqs, ["a", "b", "c"])
    dlq_arn = arn_of(sqs, dlq)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=2) \
        ["TaskHandle"]
    # AWS's handle: base64 of {"taskId", "sourceArn"}.
    assert json.loads(base64.b64decode(handle))["sourceArn"] == dlq_arn
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task == {"TaskHandle": handle, "Status": "RUNNING", "SourceArn": dlq_arn,
                    "MaxNumberOfMessagesPerSecond": 2, "ApproximateNumberOfMessagesMoved": 0,
                    "ApproximateNumberOfMessagesToMove": 3,
                    "StartedTimestamp": task["StartedTimestamp"]}
    server.advance(1)
    assert (counts(sqs, url), counts(sqs, dlq)) == (2, 1)  # two a second
    server.advance(1)
    assert (counts(sqs, url), counts(sqs, dlq)) == (3, 0)
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 3)
    assert "TaskHandle" not in task  # only while running
    got = receive(sqs, url, MaxNumberOfMessages=10, AttributeNames=["All"])
    assert sorted(m["Body"] for m in got) == ["a", "b", "c"]
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in got} == {"1"}


def test_message_move_task_to_a_destination_and_cancelled(server: ServerThread,
                                                          sqs: Any) -> None:
    url, dlq = dead_letters(sqs, ["a", "b", "c"])
    elsewhere = sqs.create_queue(QueueName="elsewhere")["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=arn_of(sqs, elsewhere),
                                         MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    with pytest.raises(sqs.exceptions.ClientError) as raised:  # one running task a source
        sqs.start_message_move_task(SourceArn=dlq_arn)
    assert error_of(raised) == ("InvalidParameterValue", "There is already a task running. Only "
                                "one active task is allowed for a source queue arn at a given "
                                "time.")
    server.advance(1)
    assert sqs.cancel_message_move_task(TaskHandle=handle) == {
        "ApproximateNumberOfMessagesMoved": 1, "ResponseMetadata": ANY}
    server.advance(5)
    assert (counts(sqs, url), counts(sqs, elsewhere), counts(sqs, dlq)) == (0, 1, 2)
    second = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]  # a new one may start
    server.advance(1)
    assert (counts(sqs, url), counts(sqs, dlq)) == (2, 0)  # default rate: all at once here
    tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    assert [(t["Status"], t["ApproximateNumberOfMessagesMoved"]) for t in tasks] == \
        [("COMPLETED", 2), ("CANCELLED", 1)]
    assert "DestinationArn" not in tasks[0] and tasks[1]["DestinationArn"].endswith(":elsewhere")
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.cancel_message_move_task(TaskHandle=second)  # no longer running
    assert error_of(raised)[0] == "InvalidParameterValue"


def test_message_move_task_refusals(server: ServerThread, sqs: Any) -> None:
    _, dlq = dead_letters(sqs, ["a"])
    plain_arn = arn_of(sqs, sqs.create_queue(QueueName="plain")["QueueUrl"])
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.start_message_move_task(SourceArn=plain_arn)
    assert error_of(raised) == ("InvalidParameterValue",
                                "Source queue must be configured as a Dead Letter Queue.")
    missing = f"arn:aws:sqs:us-east-1:{ACCOUNT}:nope"
    with pytest.raises(sqs.exceptions.ResourceNotFoundException) as raised:
        sqs.start_message_move_task(SourceArn=missing)
    assert error_of(raised) == ("ResourceNotFoundException", "The resource that you specified "
                                "for the SourceArn parameter doesn't exist.")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(sqs.exceptions.ResourceNotFoundException) as raised:
        sqs.start_message_move_task(SourceArn=arn_of(sqs, dlq), DestinationArn=missing)
    assert "DestinationArn" in error_of(raised)[1]
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.start_message_move_task(SourceArn="not-an-arn")
    assert error_of(raised)[0] == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.start_message_move_task(SourceArn=arn_of(sqs, dlq), MaxNumberOfMessagesPerSecond=501)
    assert error_of(raised)[0] == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.list_message_move_tasks(SourceArn=missing)
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.list_message_move_tasks(SourceArn=arn_of(sqs, dlq), MaxResults=11)
    assert error_of(raised)[0] == "InvalidParameterValue"
    assert sqs.list_message_move_tasks(SourceArn=plain_arn)["Results"] == []
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.cancel_message_move_task(TaskHandle="not a handle")
    assert error_of(raised)[0] == "InvalidParameterValue"
    unknown = base64.b64encode(json.dumps({"taskId": "x", "sourceArn": arn_of(sqs, dlq)})
                               .encode()).decode()
    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.cancel_message_move_task(TaskHandle=unknown)


def test_a_move_task_fails_when_its_destination_is_gone(server: ServerThread, sqs: Any) -> None:
    _, dlq = dead_letters(sqs, ["a"])
    gone = sqs.create_queue(QueueName="gone-soon")["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=arn_of(sqs, gone))
    sqs.delete_queue(QueueUrl=gone)
    server.advance(1)
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] == "FAILED" and task["FailureReason"]
    assert counts(sqs, dlq) == 1


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
