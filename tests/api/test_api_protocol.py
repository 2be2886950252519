"""The AWS JSON 1.0 protocol: targets, bodies, parameter checks, error shapes."""

from __future__ import annotations

import json

import pytest
from api_server import PASS, ROLE, post

from sfnlocal.api import stepfunctions
from sfnlocal.api.server import MAX_REQUEST_BYTES, region_of
from sfnlocal.api.stepfunctions import ACTIONS

NULL = "1 validation error detected: Value null at '{}' failed to satisfy constraint: " \
       "Member must not be null"


def test_unknown_action(server):
    status, body = post(server.url, "{}", "AWSStepFunctions.LaunchRocket")
    assert (status, body) == (400, {"__type": "UnknownOperationException"})


@pytest.mark.parametrize("target", [None, "", "AmazonSNS.Publish", "AWSStepFunctions"])
def test_missing_or_foreign_target(server, target):
    status, body = post(server.url, "{}", target)
    assert (status, body["__type"]) == (400, "UnknownOperationException")


@pytest.mark.parametrize("raw", [b"{", b"not json", b'{"a": }', b"\xff\xfe", b"[1, 2]", b'"text"'])
def test_malformed_body(server, raw):
    status, body = post(server.url, raw, "AWSStepFunctions.CreateStateMachine")
    assert status == 400
    assert body["__type"] == "SerializationException"
    assert body["message"]


def test_empty_body_is_an_empty_request(server):
    assert post(server.url, b"", "AWSStepFunctions.ListStateMachines") == (
        200, {"stateMachines": []})
    status, body = post(server.url, b"", "AWSStepFunctions.DescribeStateMachine")
    assert (status, body) == (400, {"__type": "ValidationException",
                                    "message": NULL.format("stateMachineArn")})


def test_every_missing_member_is_named(server):
    status, body = post(server.url, json.dumps({"name": "x"}), "AWSStepFunctions.CreateStateMachine")
    assert status == 400
    assert body == {
        "__type": "ValidationException",
        "message": "2 validation errors detected: Value null at 'definition' failed to satisfy "
                   "constraint: Member must not be null; Value null at 'roleArn' failed to "
                   "satisfy constraint: Member must not be null",
    }


@pytest.mark.parametrize(("action", "members", "member", "kind"), [
    ("DescribeStateMachine", {"stateMachineArn": 12}, "stateMachineArn", "string"),
    ("ListStateMachines", {"maxResults": "ten"}, "maxResults", "integer"),
    ("ListStateMachines", {"maxResults": True}, "maxResults", "integer"),
    ("GetExecutionHistory", {"executionArn": "arn:x", "reverseOrder": "yes"}, "reverseOrder",
     "boolean"),
    ("StartExecution", {"stateMachineArn": "arn:x", "input": {"a": 1}}, "input", "string"),
])
def test_wrong_types(server, action, members, member, kind):
    status, body = post(server.url, json.dumps(members), f"AWSStepFunctions.{action}")
    assert status == 400
    assert body["__type"] == "ValidationException"
    assert body["message"].startswith("1 validation error detected: Value ")
    assert f"at '{member}' failed to satisfy constraint: Member must be of type {kind}" in \
        body["message"]


def test_null_member_counts_as_missing(server):
    status, body = post(server.url, json.dumps({"executionArn": None}),
                        "AWSStepFunctions.DescribeExecution")
    assert (status, body["message"]) == (400, NULL.format("executionArn"))


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("members", [{}, {"name": 1, "stateMachineArn": [], "executionArn": {},
                                          "definition": 3.5, "maxResults": -1, "nextToken": 9}])
def test_bad_requests_are_client_errors_for_every_action(server, action, members):
    status, body = post(server.url, json.dumps(members), f"AWSStepFunctions.{action}")
    assert status in (200, 400), body
    if status == 400:
        assert body["__type"] in {"ValidationException", "InvalidArn", "SerializationException"}
        assert body["message"]


def test_oversized_body(server):
    status, body = post(server.url, b" " * (MAX_REQUEST_BYTES + 1),
                        "AWSStepFunctions.ListStateMachines")
    assert status == 413
    assert body["__type"] == "RequestEntityTooLargeException"


def test_a_bug_is_an_internal_failure(server, monkeypatch):
    async def broken(engine, params):
        raise KeyError("a bug")

    monkeypatch.setitem(stepfunctions.ACTIONS, "ListStateMachines", broken)
    status, body = post(server.url, "{}", "AWSStepFunctions.ListStateMachines")
    assert status == 500
    assert body["__type"] == "InternalFailure"


def test_the_server_keeps_working_after_errors(server):
    post(server.url, b"{", "AWSStepFunctions.CreateStateMachine")
    created = {"name": "ok", "definition": PASS, "roleArn": ROLE}
    status, body = post(server.url, json.dumps(created), "AWSStepFunctions.CreateStateMachine")
    assert status == 200
    assert body["stateMachineArn"] == "arn:aws:states:us-east-1:123456789012:stateMachine:ok"
    assert isinstance(body["creationDate"], float)  # epoch seconds on the wire


def test_responses_are_aws_json(server):
    request = {"name": "ok", "definition": PASS, "roleArn": ROLE}
    post(server.url, json.dumps(request), "AWSStepFunctions.CreateStateMachine")
    status, body = post(server.url, "{}", "AWSStepFunctions.ListStateMachines")
    assert status == 200
    assert isinstance(body["stateMachines"][0]["creationDate"], float)


@pytest.mark.parametrize(("header", "region"), [
    ("AWS4-HMAC-SHA256 Credential=x/20260101/eu-west-3/states/aws4_request, SignedHeaders=host, "
     "Signature=abc", "eu-west-3"),
    ("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/states/aws4_request", "us-west-2"),
    (None, None),
    ("Basic Zm9vOmJhcg==", None),
    ("AWS4-HMAC-SHA256 Credential=x/20260101/not a region/states/aws4_request", None),
    ("AWS4-HMAC-SHA256 Credential=x/20260101/local/states/aws4_request", None),
])
def test_region_from_the_credential_scope(header, region):
    assert region_of(header) == region


def test_another_region_is_served_by_an_engine_of_that_region(server):
    header = "AWS4-HMAC-SHA256 Credential=x/20260101/eu-west-1/states/aws4_request"
    request = {"name": "r", "definition": PASS, "roleArn": ROLE}
    status, body = post(server.url, json.dumps(request), "AWSStepFunctions.CreateStateMachine",
                        {"Authorization": header})
    assert status == 200
    assert body["stateMachineArn"] == "arn:aws:states:eu-west-1:123456789012:stateMachine:r"
