"""The in-process SQS service: queues, visibility, long polling, redrive, FIFO, retention.

Expected values come from SQS's documented behaviour; every wait runs on the virtual clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from typing import Any

import pytest

from sfnlocal.engine import VirtualClock
from sfnlocal.errors import ServiceError
from sfnlocal.integrations.sqs_queues import SqsService, md5_of_message_attributes

ACCOUNT = "111111111111"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def sqs(clock: VirtualClock) -> SqsService:
    return SqsService(clock, "us-east-1", ACCOUNT, rng=random.Random(7))


async def make(sqs: SqsService, name: str = "q", **attributes: Any) -> str:
    return str((await sqs.create_queue(name, attributes))["QueueUrl"])


async def code_of(call: Any) -> str:
    with pytest.raises(ServiceError) as raised:
        await call
    return raised.value.code


async def receive(sqs: SqsService, url: str, **kwargs: Any) -> list[dict[str, Any]]:
    return list((await sqs.receive_message(url, **kwargs)).get("Messages", []))


async def wait(clock: VirtualClock, seconds: float) -> None:
    await clock.sleep_until(clock.now() + seconds)


# -- digests -----------------------------------------------------------------------------------


def test_md5_of_message_attributes_matches_aws_known_value() -> None:
    # SQS's digest of {"timestamp": Number "1493147359900"} as returned by the real service.
    attrs = {"timestamp": {"DataType": "Number", "StringValue": "1493147359900"}}
    assert md5_of_message_attributes(attrs) == "235c5c510d26fb653d073faed50ae77c"


def test_md5_encoding_sorts_names_and_marks_binary_values() -> None:
    attrs = {"b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
             "a": {"DataType": "String", "StringValue": "x"}}
    encoded = (b"\x00\x00\x00\x01a" b"\x00\x00\x00\x06String" b"\x01" b"\x00\x00\x00\x01x"
               b"\x00\x00\x00\x01b" b"\x00\x00\x00\x06Binary" b"\x02" b"\x00\x00\x00\x02\x01\x02")
    assert md5_of_message_attributes(attrs) == hashlib.md5(encoded).hexdigest()


async def test_send_returns_the_digests_and_receive_repeats_them(sqs: SqsService) -> None:
    url = await make(sqs)
    attrs = {"timestamp": {"DataType": "Number", "StringValue": "1493147359900"}}
    sent = await sqs.send_message(url, "derp", message_attributes=attrs)
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"derp").hexdigest()
    assert sent["MD5OfMessageAttributes"] == "235c5c510d26fb653d073faed50ae77c"
    [got] = await receive(sqs, url, message_attribute_names=["All"])
    assert (got["Body"], got["MD5OfBody"], got["MessageId"]) == (
        "derp", sent["MD5OfMessageBody"], sent["MessageId"])
    assert got["MessageAttributes"] == attrs
    assert got["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]


# -- queues ------------------------------------------------------------------------------------


async def test_create_is_idempotent_and_refuses_different_attributes(sqs: SqsService) -> None:
    url = await make(sqs, "jobs", VisibilityTimeout="10")
    assert url == f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs"
    assert await make(sqs, "jobs", VisibilityTimeout=10) == url
    assert await code_of(sqs.create_queue("jobs", {"VisibilityTimeout": "20"})) == \
        "QueueNameExists"


@pytest.mark.parametrize(("name", "attributes"), [
    ("plain.fifo", {}), ("nofifo", {"FifoQueue": "true"}), ("bad name", {}), ("x" * 81, {}),
])
async def test_queue_names_follow_the_fifo_suffix_rules(
    sqs: SqsService, name: str, attributes: dict[str, str]
) -> None:
    assert await code_of(sqs.create_queue(name, attributes)) == "InvalidParameterValue"


@pytest.mark.parametrize(("attributes", "code"), [
    ({"VisibilityTimeout": "43201"}, "InvalidAttributeValue"),
    ({"DelaySeconds": "-1"}, "InvalidAttributeValue"),
    ({"MessageRetentionPeriod": "59"}, "InvalidAttributeValue"),
    ({"ContentBasedDeduplication": "true"}, "InvalidAttributeName"),
    ({"Nope": "1"}, "InvalidAttributeName"),
    ({"RedrivePolicy": '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:1:x", '
                       '"maxReceiveCount": 1}'}, "InvalidParameterValue"),
])
async def test_attribute_values_are_checked(
    sqs: SqsService, attributes: dict[str, str], code: str
) -> None:
    assert await code_of(sqs.create_queue("q", attributes)) == code


async def test_lookup_list_and_delete(sqs: SqsService) -> None:
    a, b = await make(sqs, "alpha"), await make(sqs, "beta")
    assert await sqs.get_queue_url("beta") == {"QueueUrl": b}
    assert await sqs.list_queues() == {"QueueUrls": [a, b]}
    assert await sqs.list_queues("al") == {"QueueUrls": [a]}
    assert await sqs.list_queues("zz") == {}
    await sqs.delete_queue(a)
    assert await code_of(sqs.get_queue_url("alpha")) == "QueueDoesNotExist"
    assert await code_of(sqs.send_message(a, "x")) == "QueueDoesNotExist"
    other_account = b.replace(ACCOUNT, "222222222222")
    assert await code_of(sqs.send_message(other_account, "x")) == "QueueDoesNotExist"


async def test_urls_of_any_host_name_the_queue_by_account_and_name(sqs: SqsService) -> None:
    await make(sqs, "anywhere")
    sent = await sqs.send_message(f"http://127.0.0.1:8083/{ACCOUNT}/anywhere", "x")
    [message] = await receive(sqs, await make(sqs, "anywhere"))
    assert message["MessageId"] == sent["MessageId"]


async def test_list_pages_with_max_results_and_next_token(sqs: SqsService) -> None:
    urls = [await make(sqs, name) for name in ("q1", "q2", "q3")]
    first = await sqs.list_queues(max_results=2)
    assert first["QueueUrls"] == urls[:2]
    rest = await sqs.list_queues(max_results=2, next_token=first["NextToken"])
    assert rest == {"QueueUrls": urls[2:]}  # no NextToken on the last page
    assert "NextToken" not in await sqs.list_queues()  # only when MaxResults is set
    assert await code_of(sqs.list_queues(max_results=0)) == "InvalidParameterValue"
    assert await code_of(sqs.list_queues(next_token="garbage")) == "InvalidParameterValue"


async def test_attributes_report_settings_and_message_counts(
    sqs: SqsService, clock: VirtualClock
) -> None:
    url = await make(sqs, "counted")
    attrs = (await sqs.get_queue_attributes(url))["Attributes"]
    assert attrs["VisibilityTimeout"] == "30" and attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["MaximumMessageSize"] == "262144" and attrs["DelaySeconds"] == "0"
    assert attrs["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:counted"
    assert attrs["CreatedTimestamp"] == str(int(clock.now()))
    assert "FifoQueue" not in attrs
    for body in ("a", "b", "c"):
        await sqs.send_message(url, body)
    await sqs.send_message(url, "later", delay_seconds=60)
    await receive(sqs, url)
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    counts = (await sqs.get_queue_attributes(url, names))["Attributes"]
    assert counts == dict(zip(names, ["2", "1", "1"], strict=True))
    await sqs.set_queue_attributes(url, {"VisibilityTimeout": "5"})
    assert (await sqs.get_queue_attributes(url, ["VisibilityTimeout"]))["Attributes"] == \
        {"VisibilityTimeout": "5"}
    assert await code_of(sqs.get_queue_attributes(url, ["Bogus"])) == "InvalidAttributeName"


async def test_purge_empties_the_queue_once_a_minute(sqs: SqsService, clock: VirtualClock) -> None:
    url = await make(sqs)
    await sqs.send_message(url, "x")
    await sqs.purge_queue(url)
    assert await receive(sqs, url) == []
    assert await code_of(sqs.purge_queue(url)) == "PurgeQueueInProgress"
    await wait(clock, 60)
    await sqs.purge_queue(url)


# -- sending -----------------------------------------------------------------------------------


async def test_message_checks(sqs: SqsService) -> None:
    url = await make(sqs)
    assert await code_of(sqs.send_message(url, "")) == "MissingParameter"
    assert await code_of(sqs.send_message(url, "bad\x00char")) == "InvalidMessageContents"
    assert await code_of(sqs.send_message(url, "x" * 262145)) == "InvalidParameterValue"
    await sqs.send_message(url, "x" * 262144)
    big_attr = {"a": {"DataType": "String", "StringValue": "y" * 10}}
    assert await code_of(sqs.send_message(url, "x" * 262140, message_attributes=big_attr)) == \
        "InvalidParameterValue"
    assert await code_of(sqs.send_message(url, "x", delay_seconds=901)) == "InvalidParameterValue"
    assert await code_of(sqs.send_message(url, "x", message_attributes={"a": {}})) == \
        "InvalidParameterValue"
    eleven = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}
    assert await code_of(sqs.send_message(url, "x", message_attributes=eleven)) == \
        "InvalidParameterValue"


async def test_batches_hold_one_to_ten_distinct_entries(sqs: SqsService) -> None:
    url = await make(sqs)
    entries = [{"Id": f"m{i}", "MessageBody": f"b{i}"} for i in range(11)]
    assert await code_of(sqs.send_message_batch(url, entries)) == "TooManyEntriesInBatchRequest"
    assert await code_of(sqs.send_message_batch(url, [])) == "EmptyBatchRequest"
    twins = [{"Id": "a", "MessageBody": "1"}, {"Id": "a", "MessageBody": "2"}]
    assert await code_of(sqs.send_message_batch(url, twins)) == "BatchEntryIdsNotDistinct"
    mixed = [{"Id": "ok", "MessageBody": "fine"}, {"Id": "bad", "MessageBody": ""}]
    result = await sqs.send_message_batch(url, mixed)
    assert [e["Id"] for e in result["Successful"]] == ["ok"]
    assert result["Successful"][0]["MD5OfMessageBody"] == hashlib.md5(b"fine").hexdigest()
    assert result["Failed"] == [{"Id": "bad", "SenderFault": True, "Code": "MissingParameter",
                                 "Message": "The request must contain the parameter MessageBody."}]


async def test_delays_hide_messages_until_due(sqs: SqsService, clock: VirtualClock) -> None:
    url = await make(sqs, DelaySeconds="10")
    await sqs.send_message(url, "queue-delay")
    await sqs.send_message(url, "own-delay", delay_seconds=30)
    await sqs.send_message(url, "no-delay", delay_seconds=0)
    async def bodies() -> list[str]:
        return [m["Body"] for m in await receive(sqs, url, max_number=10, visibility_timeout=600)]

    assert await bodies() == ["no-delay"]
    await wait(clock, 10)
    assert await bodies() == ["queue-delay"]
    await wait(clock, 20)
    assert await bodies() == ["own-delay"]


# -- receiving ---------------------------------------------------------------------------------


async def test_receive_limits_and_system_attributes(sqs: SqsService, clock: VirtualClock) -> None:
    url = await make(sqs)
    assert await code_of(sqs.receive_message(url, max_number=11)) == "InvalidParameterValue"
    assert await code_of(sqs.receive_message(url, wait_seconds=21)) == "InvalidParameterValue"
    sent_at = clock.now()
    for i in range(12):
        await sqs.send_message(url, f"m{i}")
    await wait(clock, 2)
    got = await receive(sqs, url, max_number=10, attribute_names=["All"])
    assert len(got) == 10
    attrs = got[0]["Attributes"]
    assert attrs["SentTimestamp"] == str(int(sent_at * 1000))
    assert attrs["ApproximateFirstReceiveTimestamp"] == str(int(clock.now() * 1000))
    assert attrs["ApproximateReceiveCount"] == "1" and attrs["SenderId"] == ACCOUNT
    [rest] = (await receive(sqs, url, attribute_names=["ApproximateReceiveCount"]))[:1]
    assert rest["Attributes"] == {"ApproximateReceiveCount": "1"}
    assert "MessageAttributes" not in rest


async def test_message_attribute_name_filters(sqs: SqsService) -> None:
    url = await make(sqs)
    attrs = {name: {"DataType": "String", "StringValue": name} for name in ("a.x", "a.y", "b")}
    await sqs.send_message(url, "x", message_attributes=attrs)
    [got] = await receive(sqs, url, message_attribute_names=["a.*"], visibility_timeout=0)
    assert set(got["MessageAttributes"]) == {"a.x", "a.y"}
    chosen = {k: attrs[k] for k in ("a.x", "a.y")}
    assert got["MD5OfMessageAttributes"] == md5_of_message_attributes(chosen)
    [got] = await receive(sqs, url, message_attribute_names=["b"])
    assert set(got["MessageAttributes"]) == {"b"}


async def test_visibility_timeout_hides_then_returns_with_a_new_handle(
    sqs: SqsService, clock: VirtualClock
) -> None:
    url = await make(sqs, VisibilityTimeout="30")
    await sqs.send_message(url, "work")
    [first] = await receive(sqs, url, attribute_names=["ApproximateReceiveCount"])
    assert await receive(sqs, url) == []
    await wait(clock, 29)
    assert await receive(sqs, url) == []
    await wait(clock, 1)
    [second] = await receive(sqs, url, attribute_names=["ApproximateReceiveCount"])
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert await code_of(sqs.delete_message(url, first["ReceiptHandle"])) == \
        "ReceiptHandleIsInvalid"
    await sqs.delete_message(url, second["ReceiptHandle"])
    await wait(clock, 60)
    assert await receive(sqs, url) == []


async def test_receive_visibility_override_and_change_visibility(
    sqs: SqsService, clock: VirtualClock
) -> None:
    url = await make(sqs)
    await sqs.send_message(url, "a")
    [msg] = await receive(sqs, url, visibility_timeout=5)
    await sqs.change_message_visibility(url, msg["ReceiptHandle"], 100)
    await wait(clock, 99)
    assert await receive(sqs, url) == []
    await wait(clock, 1)
    [msg] = await receive(sqs, url)
    await sqs.change_message_visibility(url, msg["ReceiptHandle"], 0)
    [msg] = await receive(sqs, url)
    await sqs.change_message_visibility(url, msg["ReceiptHandle"], 0)
    assert await code_of(sqs.change_message_visibility(url, msg["ReceiptHandle"], 10)) == \
        "MessageNotInflight"
    assert await code_of(sqs.change_message_visibility(url, "nonsense", 10)) == \
        "ReceiptHandleIsInvalid"


async def test_batch_delete_and_visibility_report_each_entry(sqs: SqsService) -> None:
    url = await make(sqs)
    for body in ("a", "b"):
        await sqs.send_message(url, body)
    got = await receive(sqs, url, max_number=10)
    changes = [{"Id": "a", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 0},
               {"Id": "z", "ReceiptHandle": "stale", "VisibilityTimeout": 0}]
    result = await sqs.change_message_visibility_batch(url, changes)
    assert result["Successful"] == [{"Id": "a"}]
    assert [(f["Id"], f["Code"]) for f in result["Failed"]] == [("z", "ReceiptHandleIsInvalid")]
    [again] = await receive(sqs, url)
    deletes = [{"Id": "x", "ReceiptHandle": again["ReceiptHandle"]},
               {"Id": "y", "ReceiptHandle": got[1]["ReceiptHandle"]}]
    result = await sqs.delete_message_batch(url, deletes)
    assert [e["Id"] for e in result["Successful"]] == ["x", "y"] and result["Failed"] == []
    assert (await sqs.get_queue_attributes(url))["Attributes"]["ApproximateNumberOfMessages"] == "0"


# -- long polling ------------------------------------------------------------------------------


async def test_long_poll_times_out_on_the_clock(sqs: SqsService, clock: VirtualClock) -> None:
    url = await make(sqs)
    start = clock.now()
    assert await receive(sqs, url, wait_seconds=20) == []
    assert clock.now() == start + 20


async def test_long_poll_wakes_when_a_message_arrives(sqs: SqsService, clock: VirtualClock) -> None:
    url = await make(sqs, ReceiveMessageWaitTimeSeconds="20")
    start = clock.now()

    async def send_later() -> None:
        await wait(clock, 7)
        await sqs.send_message(url, "hello")

    async with asyncio.TaskGroup() as group:
        poll = group.create_task(receive(sqs, url))
        group.create_task(send_later())
    assert [m["Body"] for m in poll.result()] == ["hello"]
    assert clock.now() == start + 7


async def test_long_poll_wakes_when_a_message_becomes_visible(
    sqs: SqsService, clock: VirtualClock
) -> None:
    url = await make(sqs, VisibilityTimeout="5")
    await sqs.send_message(url, "retry-me")
    await receive(sqs, url)
    start = clock.now()
    [msg] = await receive(sqs, url, wait_seconds=20)
    assert msg["Body"] == "retry-me" and clock.now() == start + 5


async def test_long_poll_on_a_deleted_queue_returns_empty(sqs: SqsService) -> None:
    url = await make(sqs)

    async with asyncio.TaskGroup() as group:
        poll = group.create_task(receive(sqs, url, wait_seconds=20))
        await asyncio.sleep(0)
        await sqs.delete_queue(url)
    assert poll.result() == []


# -- dead-letter queues ------------------------------------------------------------------------


async def test_redrive_moves_a_message_after_max_receive_count(
    sqs: SqsService, clock: VirtualClock
) -> None:
    dlq = await make(sqs, "dlq")
    dlq_arn = (await sqs.get_queue_attributes(dlq, ["QueueArn"]))["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url = await make(sqs, "src", VisibilityTimeout="10", RedrivePolicy=policy)
    sent = await sqs.send_message(url, "poison")
    for _ in range(2):
        [msg] = await receive(sqs, url)
        assert msg["MessageId"] == sent["MessageId"]
        await wait(clock, 10)
    assert await receive(sqs, url) == []
    [dead] = await receive(sqs, dlq, attribute_names=["All"])
    assert (dead["MessageId"], dead["Body"]) == (sent["MessageId"], "poison")
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == \
        f"arn:aws:sqs:us-east-1:{ACCOUNT}:src"


# -- FIFO --------------------------------------------------------------------------------------


async def fifo(sqs: SqsService, name: str = "f.fifo", **attributes: Any) -> str:
    return await make(sqs, name, FifoQueue="true", **attributes)


async def test_fifo_sends_need_a_group_and_a_dedup_id(sqs: SqsService) -> None:
    url = await fifo(sqs)
    assert await code_of(sqs.send_message(url, "x", deduplication_id="d")) == "MissingParameter"
    assert await code_of(sqs.send_message(url, "x", group_id="g")) == "InvalidParameterValue"
    assert await code_of(sqs.send_message(url, "x", group_id="g", deduplication_id="d",
                                          delay_seconds=1)) == "InvalidParameterValue"
    plain = await make(sqs, "plain")
    assert await code_of(sqs.send_message(plain, "x", deduplication_id="d")) == \
        "InvalidParameterValue"


async def test_fifo_orders_groups_and_holds_a_group_in_flight(sqs: SqsService) -> None:
    url = await fifo(sqs, ContentBasedDeduplication="true")
    sequences = []
    for body, group in (("a1", "A"), ("b1", "B"), ("a2", "A"), ("b2", "B")):
        sequences.append(int((await sqs.send_message(url, body, group_id=group))["SequenceNumber"]))
    assert sequences == sorted(sequences) and len(set(sequences)) == 4
    [a1] = await receive(sqs, url)
    assert a1["Body"] == "a1"
    assert [m["Body"] for m in await receive(sqs, url, max_number=10)] == ["b1", "b2"]
    assert await receive(sqs, url) == []
    await sqs.delete_message(url, a1["ReceiptHandle"])
    [a2] = await receive(sqs, url, attribute_names=["MessageGroupId", "SequenceNumber"])
    assert a2["Body"] == "a2"
    assert a2["Attributes"] == {"MessageGroupId": "A", "SequenceNumber": str(sequences[2])}


async def test_fifo_batch_returns_consecutive_messages_of_a_group(sqs: SqsService) -> None:
    url = await fifo(sqs, ContentBasedDeduplication="true")
    for i in range(3):
        await sqs.send_message(url, f"m{i}", group_id="g")
    assert [m["Body"] for m in await receive(sqs, url, max_number=10)] == ["m0", "m1", "m2"]


async def test_fifo_deduplicates_for_five_minutes(sqs: SqsService, clock: VirtualClock) -> None:
    url = await fifo(sqs)
    first = await sqs.send_message(url, "x", group_id="g", deduplication_id="d1")
    again = await sqs.send_message(url, "other", group_id="g", deduplication_id="d1")
    assert again["MessageId"] == first["MessageId"]
    assert again["SequenceNumber"] == first["SequenceNumber"]
    await wait(clock, 299)
    assert (await sqs.send_message(url, "x", group_id="g", deduplication_id="d1"))["MessageId"] == \
        first["MessageId"]
    await wait(clock, 1)
    later = await sqs.send_message(url, "x", group_id="g", deduplication_id="d1")
    assert later["MessageId"] != first["MessageId"]
    assert [m["Body"] for m in await receive(sqs, url, max_number=10)] == ["x", "x"]


async def test_content_based_dedup_uses_the_body_sha256(sqs: SqsService) -> None:
    url = await fifo(sqs, ContentBasedDeduplication="true")
    first = await sqs.send_message(url, "same", group_id="g")
    assert (await sqs.send_message(url, "same", group_id="h"))["MessageId"] == first["MessageId"]
    assert (await sqs.send_message(url, "diff", group_id="g"))["MessageId"] != first["MessageId"]
    [msg] = await receive(sqs, url, attribute_names=["MessageDeduplicationId"])
    assert msg["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()


async def test_fifo_dead_letter_queue_must_be_fifo(sqs: SqsService) -> None:
    dlq = await make(sqs, "std-dlq")
    arn = (await sqs.get_queue_attributes(dlq, ["QueueArn"]))["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 1})
    assert await code_of(sqs.create_queue("f.fifo", {"FifoQueue": "true",
                                                     "RedrivePolicy": policy})) == \
        "InvalidParameterValue"


# -- retention ---------------------------------------------------------------------------------


async def test_retention_period_drops_old_messages(sqs: SqsService, clock: VirtualClock) -> None:
    url = await make(sqs, MessageRetentionPeriod="60", VisibilityTimeout="10")
    await sqs.send_message(url, "old")
    await receive(sqs, url)
    await wait(clock, 30)
    await sqs.send_message(url, "young")
    await wait(clock, 30)
    assert [m["Body"] for m in await receive(sqs, url, max_number=10)] == ["young"]
