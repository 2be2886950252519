"""Fuzzing the Step Functions API: malformed and random requests to every action (hypothesis, bounded).

Every action of every action table (a new action is fuzzed as soon as it is registered) gets bodies
drawn from its input shape in botocore's model (``fuzz_shapes``): real members with
values of their type or of a wrong type, edge cases (bad and decoy ARNs, broken definitions, huge
strings), nested junk and unknown members. Every answer is a JSON object: a 200 (a random request
can be valid) or a 4xx AWS error ``{"__type", "message"}``, never a 5xx. A request that cannot be
valid (a body that is not a JSON object, an unknown target) is always a 4xx. After every request
the execution parked on a Wait (the virtual clock does not move), the queued SQS message (and the
guard Lambda function) are untouched.
"""

from __future__ import annotations

import json

import pytest
from fuzz_shapes import (
    JUNK,
    SETTINGS,
    World,
    assert_json_error,
    json_body,
    members_of,
    not_object,
    send,
    service_model,
)

from sfnlocal.api.map_runs import MAP_RUN_ACTIONS
from sfnlocal.api.stepfunctions import ACTIONS, TARGET_PREFIX
from sfnlocal.api.tasks import TASK_ACTIONS
from sfnlocal.api.teststate import TEST_STATE_ACTIONS
from sfnlocal.api.versions import VERSION_ACTIONS

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
given, settings = hypothesis.given, hypothesis.settings

ACTION_NAMES = sorted({*ACTIONS, *TASK_ACTIONS, *VERSION_ACTIONS, *TEST_STATE_ACTIONS,
                       *MAP_RUN_ACTIONS})
MODEL = service_model("stepfunctions")
CONTENT_TYPES = st.sampled_from(["application/x-amz-json-1.0", "application/json", "text/plain",
                                 "application/octet-stream", "multipart/form-data", "",
                                 "application/x-amz-json-1.1; charset=utf-8"])
HEADERS = st.fixed_dictionaries({"Content-Type": CONTENT_TYPES}, optional={
    "Authorization": st.sampled_from([
        "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/states/aws4_request, Signature=0",
        "AWS4-HMAC-SHA256 Credential=x/20240101/../states/aws4_request", "garbage", "",
        "AWS4-HMAC-SHA256 Credential=x/2024/us-east-1/"]),
    "X-Amz-Date": st.sampled_from(["", "yesterday", "20240101T000000Z"]),
    "Accept-Encoding": st.sampled_from(["gzip", "br", "nonsense"]),
    "X-Amz-Security-Token": st.text(alphabet="abc=/+", max_size=20),
})
BODIES = st.dictionaries(st.text(max_size=10), JUNK, max_size=6)


def post(world: World, body: bytes | str, target: str | None,
         headers: dict[str, str] | None = None) -> dict[str, object]:
    """POST / with ``target``; the answer's JSON object, checked AWS-shaped."""
    all_headers = {"Content-Type": "application/x-amz-json-1.0", **(headers or {})}
    if target is not None:
        all_headers["X-Amz-Target"] = target
    return send(world.url + "/", "POST", body, all_headers)


@pytest.mark.parametrize("action", ACTION_NAMES)
@settings(max_examples=15, **SETTINGS)
@given(data=st.data())
def test_model_members(world, action, data):
    body = data.draw(json_body(MODEL, action), label="body")
    headers = data.draw(HEADERS, label="headers")
    answer = post(world, json.dumps(body), TARGET_PREFIX + action, headers)
    answered = assert_json_error(answer, must_fail=False)
    hypothesis.event(f"{answer.status} {answered.get('__type', '')}")  # --hypothesis-show-statistics
    world.assert_untouched()


@pytest.mark.parametrize("action", ACTION_NAMES)
@settings(max_examples=3, **SETTINGS)
@given(data=st.data())
def test_huge_members(world, action, data):
    member = data.draw(st.sampled_from(members_of(MODEL, action)), label="member")
    size = data.draw(st.sampled_from([300_000, 1_100_000]), label="size")
    answer = post(world, json.dumps({member: "x" * size}), TARGET_PREFIX + action)
    assert_json_error(answer, must_fail=size > 1_000_000)
    world.assert_untouched()


NOT_OBJECTS = st.one_of(
    st.binary(min_size=1, max_size=200).filter(not_object),
    st.sampled_from([b"[]", b"1", b'"text"', b"null", b"{", b'{"a":}', b"\xff\xfe{}", b"{}}",
                     b'{"a": 1e999999}', b"[" * 10_000, b'{"a":' * 5_000, b"\x00",
                     b'{"name": "\\ud800"}'[:-1]]),
)


@pytest.mark.parametrize("action", ACTION_NAMES)
@settings(max_examples=4, **SETTINGS)
@given(raw=NOT_OBJECTS)
def test_bodies_that_are_not_json_objects(world, action, raw):
    assert_json_error(post(world, raw, TARGET_PREFIX + action), must_fail=True)
    world.assert_untouched()


@settings(max_examples=10, **SETTINGS)
@given(raw=st.sampled_from([b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                            b'{"a": "' + b"\\u0000" * 100_000 + b'"}',
                            b'{"a": 1' + b"0" * 100_000 + b"}"]),
       action=st.sampled_from(ACTION_NAMES))
def test_pathological_json(world, raw, action):
    """Deep nesting, long escapes and huge numbers: an answer (a 200 or a 4xx), not a crash."""
    assert_json_error(post(world, raw, TARGET_PREFIX + action), must_fail=False)
    world.assert_untouched()


UNSERVED = [op for op in MODEL.operation_names if op not in ACTION_NAMES]
TARGETS = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=40)
    .filter(lambda t: t.removeprefix(TARGET_PREFIX) not in ACTION_NAMES),
    st.sampled_from(ACTION_NAMES).map(lambda a: "AWSStepFunctions" + a),
    st.sampled_from(ACTION_NAMES).map(lambda a: TARGET_PREFIX + a.lower()),
    st.sampled_from(ACTION_NAMES).map(lambda a: TARGET_PREFIX + a + "."),
    st.sampled_from(ACTION_NAMES).map(lambda a: "AWSStepFunctions_20161123." + a),
    st.sampled_from([TARGET_PREFIX, TARGET_PREFIX + "handle", TARGET_PREFIX + "__init__",
                     TARGET_PREFIX + "get", TARGET_PREFIX + "ACTIONS", "AmazonSQS",
                     "AmazonSQS.", "AWSLambda.Invoke", *(TARGET_PREFIX + op for op in UNSERVED)]),
)


@settings(max_examples=60, **SETTINGS)
@given(target=TARGETS, body=BODIES)
def test_unknown_targets(world, target, body):
    body = assert_json_error(post(world, json.dumps(body), target), must_fail=True)
    world.assert_untouched()


@settings(max_examples=20, **SETTINGS)
@given(method=st.sampled_from(["PUT", "DELETE", "PATCH", "GET"]),
       path=st.sampled_from(["/", "//", "/?Action=ListQueues", "/admin/reload", "/health/x"]),
       action=st.sampled_from(ACTION_NAMES))
def test_other_methods_and_paths(world, method, path, action):
    """Not the API's route: a 4xx (or the page's 200), never a 5xx, nothing touched."""
    answer = send(world.url + path, method, b"{}", {"X-Amz-Target": TARGET_PREFIX + action,
                                                    "Content-Type": "application/x-amz-json-1.0"})
    assert answer.status < 500, (answer.status, answer.raw[:300])
    world.assert_untouched()
