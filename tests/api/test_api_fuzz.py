"""Fuzzing the server: malformed and random requests to every action (hypothesis, bounded).

Every answer is a JSON object: a 200 (a random request can be valid, e.g. ListStateMachines with
unknown members) or a 4xx AWS error ``{"__type", "message"}``, never a 5xx. A request that cannot be
valid (a body that is not a JSON object, an unknown target) is always a 4xx. An execution parked on
a Wait (the virtual clock does not move) is untouched by the fuzzing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_server import ROLE, WAIT, post

from sfnlocal.api.stepfunctions import ACTIONS, TARGET_PREFIX
from sfnlocal.api.tasks import TASK_ACTIONS

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
given, settings, HealthCheck = hypothesis.given, hypothesis.settings, hypothesis.HealthCheck

ACTION_NAMES = sorted({*ACTIONS, *TASK_ACTIONS})
MEMBERS = sorted({
    "name", "definition", "roleArn", "type", "tags", "publish", "versionDescription",
    "stateMachineArn", "executionArn", "activityArn", "resourceArn", "tagKeys", "input",
    "traceHeader", "error", "cause", "output", "taskToken", "workerName", "maxResults",
    "nextToken", "reverseOrder", "includeExecutionData", "statusFilter", "mapRunArn", "severity",
    "loggingConfiguration", "tracingConfiguration", "key", "value",
})
ARNS = st.sampled_from([
    "arn:aws:states:us-east-1:123456789012:stateMachine:nope",
    "arn:aws:states:us-east-1:123456789012:stateMachine:nope:1",
    "arn:aws:states:us-east-1:123456789012:execution:nope:e",
    "arn:aws:states:us-east-1:123456789012:express:nope:e:f",
    "arn:aws:states:us-east-1:123456789012:activity:nope",
    "arn:aws:states:us-east-1:123456789012:mapRun:nope/m:x",
    "arn:", "arn:aws:states:::", "not-an-arn", "",
])
HUGE = st.sampled_from([300_000, 1_100_000]).map(lambda n: "x" * n)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=40), ARNS)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(MEMBERS), inner, max_size=4)),
    max_leaves=8,
)
BODIES = st.dictionaries(st.one_of(st.sampled_from(MEMBERS), st.text(max_size=10)), VALUES,
                         max_size=6)
CONTENT_TYPES = st.sampled_from(["application/x-amz-json-1.0", "application/json", "text/plain",
                                 "application/octet-stream", "multipart/form-data"])
SETTINGS = settings(max_examples=50, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture
def parked(server, sfn) -> tuple[str, int]:
    """An execution waiting on a Wait state (the clock never moves): its ARN and history length."""
    machine = sfn.create_state_machine(name="parked", definition=WAIT, roleArn=ROLE)
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
    return arn, _history_length(sfn, arn)


def _history_length(sfn: Any, arn: str) -> int:
    return len(sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"])


def _assert_untouched(sfn: Any, parked: tuple[str, int]) -> None:
    arn, length = parked
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    assert _history_length(sfn, arn) == length


def _assert_aws_shaped(status: int, body: Any, must_fail: bool) -> None:
    """A 200 JSON object (unless ``must_fail``) or a 4xx ``{"__type", "message"}``."""
    assert isinstance(body, dict)
    if status == 200 and not must_fail:
        return
    assert 400 <= status < 500, (status, body)
    assert isinstance(body.get("__type"), str) and body["__type"]
    # AWS's UnknownOperationException is the one error without a message.
    if body["__type"] != "UnknownOperationException":
        assert isinstance(body.get("message"), str), body


@given(action=st.sampled_from(ACTION_NAMES), body=BODIES, content_type=CONTENT_TYPES)
@SETTINGS
def test_random_json_members(server, sfn, parked, action, body, content_type):
    status, answer = post(server.url, json.dumps(body), TARGET_PREFIX + action,
                          {"Content-Type": content_type})
    _assert_aws_shaped(status, answer, must_fail=False)
    _assert_untouched(sfn, parked)


@given(action=st.sampled_from(ACTION_NAMES), member=st.sampled_from(MEMBERS), value=HUGE)
@settings(max_examples=10, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_huge_strings(server, sfn, parked, action, member, value):
    status, answer = post(server.url, json.dumps({member: value}), TARGET_PREFIX + action)
    _assert_aws_shaped(status, answer, must_fail=False)
    _assert_untouched(sfn, parked)


NOT_OBJECTS = st.one_of(
    st.binary(min_size=1, max_size=200).filter(lambda raw: _not_object(raw)),
    st.sampled_from([b"[]", b"1", b'"text"', b"null", b"{", b'{"a":}', b"\xff\xfe{}", b"{}}"]),
)


def _not_object(raw: bytes) -> bool:
    try:
        return not isinstance(json.loads(raw), dict)
    except (ValueError, UnicodeDecodeError):
        return bool(raw.strip())


@given(action=st.sampled_from(ACTION_NAMES), raw=NOT_OBJECTS)
@SETTINGS
def test_bodies_that_are_not_json_objects(server, sfn, parked, action, raw):
    status, answer = post(server.url, raw, TARGET_PREFIX + action)
    _assert_aws_shaped(status, answer, must_fail=True)
    _assert_untouched(sfn, parked)


TARGETS = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=40)
    .filter(lambda t: t.removeprefix(TARGET_PREFIX) not in ACTION_NAMES),
    st.sampled_from(ACTION_NAMES).map(lambda a: "AWSStepFunctions" + a),
    st.sampled_from(ACTION_NAMES).map(lambda a: TARGET_PREFIX + a.lower()),
)


@given(target=TARGETS, body=BODIES)
@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_unknown_targets(server, sfn, parked, target, body):
    status, answer = post(server.url, json.dumps(body), target)
    _assert_aws_shaped(status, answer, must_fail=True)
    _assert_untouched(sfn, parked)
