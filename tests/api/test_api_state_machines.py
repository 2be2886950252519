"""State machine actions through a real server and a real boto3 client."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from api_server import PASS, ROLE, WAIT, error_of

ClientError = pytest.importorskip("botocore.exceptions").ClientError
ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:"


def test_create_then_describe(sfn):
    created = sfn.create_state_machine(name="one", definition=PASS, roleArn=ROLE)
    assert created["stateMachineArn"] == ARN + "one"
    assert isinstance(created["creationDate"], datetime)
    described = sfn.describe_state_machine(stateMachineArn=ARN + "one")
    assert described["name"] == "one"
    assert described["definition"] == PASS
    assert described["roleArn"] == ROLE
    assert (described["type"], described["status"]) == ("STANDARD", "ACTIVE")
    assert described["creationDate"] == created["creationDate"]
    assert described["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}


def test_create_is_idempotent_and_conflicts_otherwise(sfn):
    first = sfn.create_state_machine(name="same", definition=PASS, roleArn=ROLE)
    again = sfn.create_state_machine(name="same", definition=PASS, roleArn=ROLE + "2")
    assert again["creationDate"] == first["creationDate"]
    with pytest.raises(ClientError) as exc:
        sfn.create_state_machine(name="same", definition=WAIT, roleArn=ROLE)
    assert error_of(exc) == ("StateMachineAlreadyExists",
                             f"State Machine Already Exists: '{ARN}same'")


def test_create_express(sfn):
    sfn.create_state_machine(name="fast", definition=PASS, roleArn=ROLE, type="EXPRESS")
    assert sfn.describe_state_machine(stateMachineArn=ARN + "fast")["type"] == "EXPRESS"


def test_create_with_an_invalid_definition(sfn):
    broken = json.dumps({"StartAt": "Nowhere", "States": {"P": {"Type": "Pass", "End": True}}})
    with pytest.raises(ClientError) as exc:
        sfn.create_state_machine(name="broken", definition=broken, roleArn=ROLE)
    code, message = error_of(exc)
    assert code == "InvalidDefinition"
    assert message.startswith("Invalid State Machine Definition: '")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_create_with_json_that_does_not_parse(sfn):
    with pytest.raises(ClientError) as exc:
        sfn.create_state_machine(name="broken", definition="{not json", roleArn=ROLE)
    assert error_of(exc)[0] == "InvalidDefinition"
    assert "INVALID_JSON_DESCRIPTION" in error_of(exc)[1]


@pytest.mark.parametrize("name", ["has space", "a/b", "x" * 81, "star*"])
def test_create_with_an_invalid_name(sfn, name):
    with pytest.raises(ClientError) as exc:
        sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)
    assert error_of(exc) == ("InvalidName", f"Invalid Name: '{name}'")


def test_create_with_a_bad_type(sfn):
    with pytest.raises(ClientError) as exc:
        sfn.create_state_machine(name="t", definition=PASS, roleArn=ROLE, type="SLOW")
    code, message = error_of(exc)
    assert code == "ValidationException"
    assert "at 'type' failed to satisfy constraint" in message


def test_version_description_needs_publish(sfn):
    with pytest.raises(ClientError) as exc:
        sfn.create_state_machine(name="v", definition=PASS, roleArn=ROLE, versionDescription="d")
    assert error_of(exc) == ("ValidationException",
                             "Version description can only be set when publish is true")


def test_describe_errors(sfn):
    with pytest.raises(ClientError) as exc:
        sfn.describe_state_machine(stateMachineArn="not-an-arn")
    assert error_of(exc) == ("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: not-an-arn'")
    with pytest.raises(ClientError) as exc:
        sfn.describe_state_machine(stateMachineArn=ARN + "ghost")
    assert error_of(exc) == ("StateMachineDoesNotExist",
                             f"State Machine Does Not Exist: '{ARN}ghost'")


def test_delete_is_idempotent(sfn):
    sfn.create_state_machine(name="gone", definition=PASS, roleArn=ROLE)
    assert sfn.delete_state_machine(stateMachineArn=ARN + "gone")["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    sfn.delete_state_machine(stateMachineArn=ARN + "gone")
    with pytest.raises(ClientError) as exc:
        sfn.describe_state_machine(stateMachineArn=ARN + "gone")
    assert error_of(exc)[0] == "StateMachineDoesNotExist"
    with pytest.raises(ClientError) as exc:
        sfn.delete_state_machine(stateMachineArn="bad")
    assert error_of(exc)[0] == "InvalidArn"


def test_list_sorted_by_name_with_paging(sfn):
    for name in ["c", "a", "e", "b", "d"]:
        sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)
    first = sfn.list_state_machines(maxResults=2)
    assert [m["name"] for m in first["stateMachines"]] == ["a", "b"]
    assert set(first["stateMachines"][0]) == {"stateMachineArn", "name", "type", "creationDate"}
    second = sfn.list_state_machines(maxResults=2, nextToken=first["nextToken"])
    third = sfn.list_state_machines(maxResults=2, nextToken=second["nextToken"])
    assert [m["name"] for m in second["stateMachines"]] == ["c", "d"]
    assert [m["name"] for m in third["stateMachines"]] == ["e"]
    assert "nextToken" not in third
    assert len(sfn.list_state_machines()["stateMachines"]) == 5


def test_list_with_the_paginator(sfn):
    for index in range(7):
        sfn.create_state_machine(name=f"m{index}", definition=PASS, roleArn=ROLE)
    pages = sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 3})
    names = [m["name"] for p in pages for m in p["stateMachines"]]
    assert names == [f"m{index}" for index in range(7)]


def test_list_errors(sfn):
    with pytest.raises(ClientError) as exc:
        sfn.list_state_machines(maxResults=1001)
    assert error_of(exc) == (
        "ValidationException",
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000",
    )
    with pytest.raises(ClientError) as exc:
        sfn.list_state_machines(nextToken="garbage")
    assert error_of(exc) == ("InvalidToken", "Invalid Token: 'Invalid token'")
    with pytest.raises(ClientError) as exc:
        sfn.list_state_machines(nextToken="x" * 1025)
    assert error_of(exc)[0] == "ValidationException"
    assert "at 'nextToken'" in error_of(exc)[1]


def test_validate_definition(sfn):
    assert sfn.validate_state_machine_definition(definition=PASS) | {"ResponseMetadata": None} == {
        "result": "OK", "diagnostics": [], "truncated": False, "ResponseMetadata": None}
    broken = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nope"}}})
    result = sfn.validate_state_machine_definition(definition=broken)
    assert result["result"] == "FAIL"
    assert result["diagnostics"][0]["code"] == "MISSING_TRANSITION_TARGET"
    assert result["diagnostics"][0]["severity"] == "ERROR"
    assert result["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_validate_truncates_and_checks_its_parameters(sfn):
    broken = json.dumps({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "End": True}, "B": {"Type": "Pass", "End": True},
        "C": {"Type": "Pass", "End": True}}})
    result = sfn.validate_state_machine_definition(definition=broken, maxResults=1)
    assert (len(result["diagnostics"]), result["truncated"]) == (1, True)
    with pytest.raises(ClientError) as exc:
        sfn.validate_state_machine_definition(definition=PASS, severity="LOUD")
    assert error_of(exc)[0] == "ValidationException"
    assert "at 'severity'" in error_of(exc)[1]


def test_describe_state_machine_for_execution(sfn):
    sfn.create_state_machine(name="runner", definition=WAIT, roleArn=ROLE)
    started = sfn.start_execution(stateMachineArn=ARN + "runner", name="e1")
    shape = sfn.describe_state_machine_for_execution(executionArn=started["executionArn"])
    assert shape["stateMachineArn"] == ARN + "runner"
    assert (shape["name"], shape["definition"], shape["roleArn"]) == ("runner", WAIT, ROLE)
    assert isinstance(shape["updateDate"], datetime)
    with pytest.raises(ClientError) as exc:
        sfn.describe_state_machine_for_execution(
            executionArn="arn:aws:states:us-east-1:123456789012:execution:runner:none")
    assert error_of(exc)[0] == "ExecutionDoesNotExist"


def test_paging_survives_a_deleted_machine(sfn):
    for name in ["a", "b", "c", "d"]:
        sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)
    first = sfn.list_state_machines(maxResults=2)
    sfn.delete_state_machine(stateMachineArn=ARN + "b")
    rest = sfn.list_state_machines(maxResults=2, nextToken=first["nextToken"])
    assert [m["name"] for m in rest["stateMachines"]] == ["c", "d"]
