"""Fuzzing the SQS API (AWS JSON 1.0, ``X-Amz-Target: AmazonSQS.<Action>``), hypothesis, bounded.

Every operation of botocore's SQS model is fuzzed: the served ones (``sqs_members.ACTIONS``, so a
new action is fuzzed as soon as it is served) with bodies drawn from their input shapes (real
members with values of their type or not, bad and decoy queue URLs, bad receipt handles, nested
junk), the others (none now: every operation is served) must be refused. Bodies that are not JSON
objects, bad targets, wrong content types and huge members are sent to every action. Every answer
is a 200 JSON object or a 4xx ``{"__type", "message"}`` (SQS's own errors with
``x-amzn-query-error: <code>;Sender``), never a 5xx. After every request the queued guard message
is still receivable, and the execution parked on a Wait (and the guard Lambda function) are
untouched.

Long polls are kept out (the virtual clock does not move, so a ``WaitTimeSeconds`` of 1..20 on an
empty queue would wait forever): such a value becomes 0, and ``ReceiveMessageWaitTimeSeconds``
queue attributes are dropped.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fuzz_shapes import (
    JUNK,
    SETTINGS,
    Answer,
    World,
    assert_json_error,
    json_body,
    members_of,
    not_object,
    send,
    service_model,
)

from sfnlocal.api.sqs_api import TARGET_PREFIX
from sfnlocal.api.sqs_members import ACTIONS

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
given, settings = hypothesis.given, hypothesis.settings

MODEL = service_model("sqs")
SERVED = sorted(ACTIONS)
UNSERVED = sorted(set(MODEL.operation_names) - ACTIONS)
CONTENT_TYPES = st.sampled_from(["application/x-amz-json-1.0", "application/json", "text/plain",
                                 "application/x-www-form-urlencoded", "", "text/xml",
                                 "application/x-amz-json-1.0; charset=latin-1"])


def _no_long_polls(value: Any) -> Any:
    """``value`` without positive ``WaitTimeSeconds`` nor ``ReceiveMessageWaitTimeSeconds``."""
    if isinstance(value, list):
        return [_no_long_polls(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: _no_long_polls(item) for key, item in value.items()
           if key != "ReceiveMessageWaitTimeSeconds"}
    wait = out.get("WaitTimeSeconds")
    if isinstance(wait, int) and not isinstance(wait, bool) and 0 < wait <= 20:
        out["WaitTimeSeconds"] = 0
    return out


def post(world: World, body: bytes | str, target: str | None,
         content_type: str = "application/x-amz-json-1.0") -> Answer:
    headers = {"Content-Type": content_type}
    if target is not None:
        headers["X-Amz-Target"] = target
    return send(world.url + "/", "POST", body, headers)


def assert_sqs_answer(answer: Answer, *, must_fail: bool) -> None:
    """AWS JSON 1.0's shape; SQS's own errors also carry ``x-amzn-query-error``."""
    body = assert_json_error(answer, must_fail=must_fail)
    if answer.status >= 400 and body["__type"].startswith("com.amazonaws.sqs#"):
        query_error = answer.headers.get("x-amzn-query-error", "")
        assert query_error.endswith(";Sender") and len(query_error) > len(";Sender"), \
            answer.headers


@pytest.mark.parametrize("action", SERVED)
@settings(max_examples=20, **SETTINGS)
@given(data=st.data())
def test_model_members(world, action, data):
    body = _no_long_polls(data.draw(json_body(MODEL, action), label="body"))
    content_type = data.draw(CONTENT_TYPES, label="content_type")
    answer = post(world, json.dumps(body), TARGET_PREFIX + action, content_type)
    assert_sqs_answer(answer, must_fail=False)
    hypothesis.event(f"{answer.status} {answer.json().get('__type', '')}")
    world.assert_untouched()


@settings(max_examples=30, **SETTINGS)
@given(data=st.data())
def test_unserved_operations(world, data):
    # botocore's operations the server does not serve (none today), and names SQS does not have
    action = data.draw(st.sampled_from([*UNSERVED, "MoveQueue", "PurgeQueues", "sendMessage"]),
                       label="action")
    body = (data.draw(json_body(MODEL, action), label="body") if action in UNSERVED
            else {"QueueUrl": "http://127.0.0.1/123456789012/q"})
    assert_sqs_answer(post(world, json.dumps(body), TARGET_PREFIX + action), must_fail=True)
    world.assert_untouched()


@pytest.mark.parametrize("action", SERVED)
@settings(max_examples=3, **SETTINGS)
@given(data=st.data())
def test_huge_members(world, action, data):
    member = data.draw(st.sampled_from(members_of(MODEL, action)), label="member")
    size = data.draw(st.sampled_from([300_000, 1_100_000]), label="size")
    answer = post(world, json.dumps({member: "x" * size}), TARGET_PREFIX + action)
    assert_sqs_answer(answer, must_fail=size > 1_000_000)
    world.assert_untouched()


NOT_OBJECTS = st.one_of(
    st.binary(min_size=1, max_size=100).filter(not_object),
    st.sampled_from([b"[]", b"1", b'"text"', b"null", b"{", b"\xff\xfe{}", b"{}}",
                     b"Action=SendMessage&QueueUrl=x&MessageBody=y", b"<xml/>",
                     b'{"QueueUrl": ' + b"[" * 100_000, b"[" * 100_000]),
)


@pytest.mark.parametrize("action", SERVED)
@settings(max_examples=4, **SETTINGS)
@given(raw=NOT_OBJECTS)
def test_bodies_that_are_not_json_objects(world, action, raw):
    assert_sqs_answer(post(world, raw, TARGET_PREFIX + action), must_fail=True)
    world.assert_untouched()


TARGETS = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=30)
    .map(lambda junk: TARGET_PREFIX + junk)
    .filter(lambda target: target.removeprefix(TARGET_PREFIX) not in ACTIONS),
    st.sampled_from(SERVED).map(lambda a: TARGET_PREFIX + a.lower()),
    st.sampled_from(SERVED).map(lambda a: TARGET_PREFIX + a + "."),
    st.sampled_from(SERVED).map(lambda a: "AmazonSQS" + a),
    st.sampled_from(SERVED).map(lambda a: "amazonsqs." + a),
    st.sampled_from([TARGET_PREFIX, TARGET_PREFIX + "sendMessage", TARGET_PREFIX + "__class__",
                     TARGET_PREFIX + "ACTIONS", "AmazonSQS.." , "AmazonSQS.SendMessage.x"]),
)


@settings(max_examples=50, **SETTINGS)
@given(target=TARGETS, body=st.dictionaries(st.text(max_size=10), JUNK, max_size=4),
       content_type=CONTENT_TYPES)
def test_bad_targets(world, target, body, content_type):
    assert_sqs_answer(post(world, json.dumps(body), target, content_type), must_fail=True)
    world.assert_untouched()


@settings(max_examples=30, **SETTINGS)
@given(data=st.data())
def test_guard_queue_reads(world, data):
    """Read-only actions on the guard queue itself, with junk members: the message stays."""
    action = data.draw(st.sampled_from(["GetQueueAttributes", "GetQueueUrl", "ListQueues"]))
    body = data.draw(json_body(MODEL, action), label="body")
    if action == "GetQueueUrl":
        body["QueueName"] = "guard"
    elif action == "GetQueueAttributes":
        body["QueueUrl"] = world.guard_queue_url
    assert_sqs_answer(post(world, json.dumps(body), TARGET_PREFIX + action), must_fail=False)
    world.assert_untouched()
