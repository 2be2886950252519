"""The ``sqs:sendMessage`` Task integration through the Engine (checklist §10.2, §10.4)."""

from __future__ import annotations

import hashlib
import json
import random
import re
from typing import Any

import pytest

from sfnlocal.asl.resources import parse_resource
from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.integrations import Registry
from sfnlocal.integrations.sqs import SqsSendMessage
from sfnlocal.integrations.sqs_queues import SqsService, md5_of_message_attributes

ACCOUNT = "111111111111"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def machine(parameters: dict[str, Any], resource: str = "arn:aws:states:::sqs:sendMessage"
            ) -> dict[str, Any]:
    return {"StartAt": "Send", "States": {"Send": {
        "Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}}}


async def run(definition: dict[str, Any], payload: Any, service: SqsService
              ) -> tuple[Any, list[dict[str, Any]]]:
    registry = Registry()
    registry.register_sqs(service)
    settings = EngineSettings(account=ACCOUNT, seed=1)
    async with Engine(clock=service.clock, settings=settings, integrations=registry) as engine:
        sm = await engine.create_state_machine("sqs", definition)
        started = await engine.start_execution(sm.arn, payload)
        record = await engine.wait(started.arn)
        events = await engine.history_events(started.arn)
    return record, events


@pytest.fixture
async def sqs() -> SqsService:
    return SqsService(VirtualClock(), "us-east-1", ACCOUNT, rng=random.Random(3))


def detail(events: list[dict[str, Any]], type_: str) -> dict[str, Any]:
    [event] = [e for e in events if e["type"] == type_]
    key = type_[0].lower() + type_[1:] + "EventDetails"
    return dict(event[key])


def test_prepare_keeps_only_supported_parameters() -> None:
    integration = SqsSendMessage(SqsService(VirtualClock()))
    params = {"QueueUrl": "u", "MessageBody": {"a": 1}, "MessageSystemAttributes": {},
              "DelaySeconds": 1, "MessageAttributes": {}, "MessageGroupId": "g",
              "MessageDeduplicationId": "d", "Other": 1}
    assert integration.prepare(params) == {k: params[k] for k in (
        "QueueUrl", "MessageBody", "DelaySeconds", "MessageAttributes", "MessageGroupId",
        "MessageDeduplicationId")}


async def test_a_task_sends_a_message_the_test_then_receives(sqs: SqsService) -> None:
    url = (await sqs.create_queue("inbox"))["QueueUrl"]
    attrs = {"kind": {"DataType": "String", "StringValue": "greeting"}}
    definition = machine({"QueueUrl.$": "$.url", "MessageBody": {"hello.$": "$.name"},
                          "MessageAttributes": attrs, "MessageSystemAttributes": {"x": 1}})
    record, events = await run(definition, {"url": url, "name": "world"}, sqs)
    assert record.status == "SUCCEEDED", record.cause
    output = json.loads(record.output)
    body = '{"hello":"world"}'
    assert output["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest()
    assert output["MD5OfMessageAttributes"] == md5_of_message_attributes(attrs)
    assert UUID.match(output["MessageId"])
    assert list(output) == sorted(output) and "SequenceNumber" not in output
    request_id = output["SdkResponseMetadata"]["RequestId"]
    http = output["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200
    assert http["HttpHeaders"]["x-amzn-RequestId"] == request_id
    assert http["HttpHeaders"]["Content-Type"] == "application/x-amz-json-1.0"
    assert http["AllHttpHeaders"]["connection"] == ["keep-alive"]
    scheduled = detail(events, "TaskScheduled")
    assert (scheduled["resourceType"], scheduled["resource"]) == ("sqs", "sendMessage")
    assert json.loads(scheduled["parameters"]) == {
        "QueueUrl": url, "MessageBody": {"hello": "world"}, "MessageAttributes": attrs}
    [msg] = (await sqs.receive_message(url, message_attribute_names=["All"]))["Messages"]
    assert (msg["MessageId"], msg["Body"]) == (output["MessageId"], body)
    assert msg["MessageAttributes"] == attrs


async def test_content_length_is_the_wire_response_length(sqs: SqsService) -> None:
    # AWS recorded Content-Length 106 for {"MD5OfMessageBody": <32>, "MessageId": <uuid>}.
    url = (await sqs.create_queue("q"))["QueueUrl"]
    record, _ = await run(machine({"QueueUrl": url, "MessageBody": "test_message_body"}), {}, sqs)
    output = json.loads(record.output)
    assert output["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == "106"
    assert output["SdkHttpMetadata"]["AllHttpHeaders"]["Content-Length"] == ["106"]


async def test_fifo_results_carry_the_sequence_number(sqs: SqsService) -> None:
    url = (await sqs.create_queue("q.fifo", {"FifoQueue": "true"}))["QueueUrl"]
    params = {"QueueUrl": url, "MessageBody": "m", "MessageGroupId": "g",
              "MessageDeduplicationId": "d"}
    record, _ = await run(machine(params), {}, sqs)
    output = json.loads(record.output)
    [msg] = (await sqs.receive_message(url, attribute_names=["SequenceNumber"]))["Messages"]
    assert output["SequenceNumber"] == msg["Attributes"]["SequenceNumber"]


async def test_delay_seconds_are_honoured(sqs: SqsService) -> None:
    url = (await sqs.create_queue("q"))["QueueUrl"]
    record, _ = await run(machine({"QueueUrl": url, "MessageBody": "m", "DelaySeconds": 60}),
                          {}, sqs)
    assert record.status == "SUCCEEDED"
    assert await sqs.receive_message(url) == {}
    assert (await sqs.receive_message(url, wait_seconds=20)) == {}
    await sqs.clock.sleep_until(sqs.clock.now() + 39)
    assert await sqs.receive_message(url) == {}
    await sqs.clock.sleep_until(sqs.clock.now() + 1)
    assert len((await sqs.receive_message(url))["Messages"]) == 1


def test_register_sqs_serves_both_patterns(sqs: SqsService) -> None:
    registry = Registry()
    registry.register_sqs(sqs)
    for arn in ("arn:aws:states:::sqs:sendMessage",
                "arn:aws:states:::sqs:sendMessage.waitForTaskToken"):
        resolved = registry.resolve(parse_resource(arn))
        assert isinstance(resolved, SqsSendMessage) and resolved.service is sqs


@pytest.mark.parametrize(("url", "error", "cause"), [
    ("http://no-such-queue-2f4a1a78", "SQS.SdkClientException",
     "Unable to execute HTTP request: no-such-queue-2f4a1a78: Name or service not known"),
    (f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/missing", "SQS.QueueDoesNotExistException",
     r"The specified queue does not exist for this wsdl version\. \(Service: AmazonSQS; Status "
     r"Code: 400; Error Code: AWS\.SimpleQueueService\.NonExistentQueue; Request ID: [0-9a-f-]+; "
     r"Proxy: null\)"),
])
async def test_unknown_queues(sqs: SqsService, url: str, error: str, cause: str) -> None:
    record, events = await run(machine({"QueueUrl": url, "MessageBody": "x"}), {}, sqs)
    failed = detail(events, "TaskFailed")
    assert record.status == "FAILED" and failed["error"] == error
    assert re.fullmatch(cause, failed["cause"])


async def test_service_errors_are_amazon_sqs_exceptions(sqs: SqsService) -> None:
    url = (await sqs.create_queue("q"))["QueueUrl"]
    record, events = await run(machine({"QueueUrl": url}), {}, sqs)
    failed = detail(events, "TaskFailed")
    assert failed["error"] == "SQS.AmazonSQSException"
    assert re.fullmatch(r"The request must contain the parameter MessageBody\. \(Service: "
                        r"AmazonSQS; Status Code: 400; Error Code: MissingParameter; Request ID: "
                        r"[0-9a-f-]+; Proxy: null\)", failed["cause"])
    assert record.error == "SQS.AmazonSQSException"


async def test_errors_are_catchable_by_name(sqs: SqsService) -> None:
    definition = {"StartAt": "Send", "States": {
        "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                 "Parameters": {"QueueUrl": "http://nowhere", "MessageBody": "x"},
                 "Catch": [{"ErrorEquals": ["SQS.SdkClientException"], "Next": "Caught"}],
                 "End": True},
        "Caught": {"Type": "Pass", "End": True}}}
    record, _ = await run(definition, {}, sqs)
    assert record.status == "SUCCEEDED"
    assert json.loads(record.output)["Error"] == "SQS.SdkClientException"
