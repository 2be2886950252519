"""UpdateStateMachine, versions and aliases through a real server and a real boto3 client.

Expected shapes and messages come from the Step Functions API reference (botocore's model) and the
checklist (§13, §14).
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from api_server import PASS, ROLE, WAIT, error_of, post

ClientError = pytest.importorskip("botocore.exceptions").ClientError
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:"
EXEC = "arn:aws:states:us-east-1:123456789012:execution:"
RESULT = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"r": 1},
                                                      "End": True}}})
NOT_FOUND = ("ResourceNotFound", "Request references a resource that does not exist.")


def machine(sfn, name="m", definition=PASS, **extra):
    return sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE, **extra)


def two_versions(sfn):
    """Machine ``m`` with version 1 (PASS) and version 2 (RESULT); its ARN."""
    arn = machine(sfn, publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=RESULT, publish=True)
    return arn


def alias(sfn, name, *routes, **extra):
    routing = [{"stateMachineVersionArn": arn, "weight": weight} for arn, weight in routes]
    return sfn.create_state_machine_alias(name=name, routingConfiguration=routing, **extra)


# -- UpdateStateMachine -----------------------------------------------------------------------


def test_update_state_machine(sfn):
    created = machine(sfn)
    arn = created["stateMachineArn"]
    update = sfn.update_state_machine(stateMachineArn=arn, definition=RESULT)
    assert isinstance(update["updateDate"], datetime)
    assert "stateMachineVersionArn" not in update
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["definition"] == RESULT
    assert described["revisionId"] == update["revisionId"]
    assert described["creationDate"] == created["creationDate"]
    same = sfn.update_state_machine(stateMachineArn=arn, definition=RESULT)
    assert same["revisionId"] == update["revisionId"]
    role = sfn.update_state_machine(stateMachineArn=arn, roleArn=ROLE + "2")
    assert role["revisionId"] != update["revisionId"]


def test_update_errors(sfn):
    arn = machine(sfn, publish=True)["stateMachineArn"]
    with pytest.raises(ClientError) as exc:
        sfn.update_state_machine(stateMachineArn=arn)
    assert error_of(exc) == (
        "MissingRequiredParameter",
        "Either the definition, the role ARN, the LoggingConfiguration, or the "
        "TracingConfiguration must be specified",
    )
    with pytest.raises(ClientError) as exc:
        sfn.update_state_machine(stateMachineArn=arn + ":1", definition=RESULT)
    assert error_of(exc) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}:1'")
    with pytest.raises(ClientError) as exc:
        sfn.update_state_machine(stateMachineArn=arn, definition="{not json")
    assert error_of(exc)[0] == "InvalidDefinition"
    with pytest.raises(ClientError) as exc:
        sfn.update_state_machine(stateMachineArn=arn, definition=RESULT, versionDescription="v")
    assert error_of(exc) == ("ValidationException",
                             "Version description can only be set when publish is true")
    with pytest.raises(ClientError) as exc:
        sfn.update_state_machine(stateMachineArn="nope", definition=RESULT)
    assert error_of(exc) == ("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: nope'")


def test_update_with_logging_only_is_accepted(sfn):
    arn = machine(sfn)["stateMachineArn"]
    update = sfn.update_state_machine(stateMachineArn=arn,
                                      tracingConfiguration={"enabled": False})
    assert "updateDate" in update


def test_update_with_publish_and_describe_for_execution(sfn, server):
    arn = machine(sfn, definition=WAIT)["stateMachineArn"]
    old = sfn.start_execution(stateMachineArn=arn, name="old")["executionArn"]
    update = sfn.update_state_machine(stateMachineArn=arn, definition=RESULT, publish=True,
                                      versionDescription="second")
    assert update["stateMachineVersionArn"] == arn + ":1"
    ran = sfn.describe_state_machine_for_execution(executionArn=old)
    assert (ran["stateMachineArn"], ran["definition"]) == (arn, WAIT)
    assert "revisionId" not in ran
    assert isinstance(ran["updateDate"], datetime)
    new = sfn.start_execution(stateMachineArn=arn, name="new")["executionArn"]
    server.wait_done(new)
    ran = sfn.describe_state_machine_for_execution(executionArn=new)
    assert (ran["definition"], ran["revisionId"]) == (RESULT, update["revisionId"])
    assert sfn.describe_execution(executionArn=new)["output"] == '{"r":1}'
    server.advance(60)
    server.wait_done(old)
    assert sfn.describe_execution(executionArn=old)["status"] == "SUCCEEDED"


# -- versions ---------------------------------------------------------------------------------


def test_create_with_publish(sfn):
    created = machine(sfn, publish=True, versionDescription="first")
    arn = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == arn + ":1"
    version = sfn.describe_state_machine(stateMachineArn=arn + ":1")
    assert version["stateMachineArn"] == arn + ":1"
    assert (version["name"], version["definition"], version["description"]) == ("m", PASS, "first")
    assert "stateMachineVersionArn" not in machine(sfn, name="plain")


def test_publish_list_and_delete_versions(sfn):
    arn = machine(sfn)["stateMachineArn"]
    one = sfn.publish_state_machine_version(stateMachineArn=arn, description="v1")
    assert one["stateMachineVersionArn"] == arn + ":1"
    assert isinstance(one["creationDate"], datetime)
    again = sfn.publish_state_machine_version(stateMachineArn=arn)
    assert again["stateMachineVersionArn"] == arn + ":1"
    revision = sfn.update_state_machine(stateMachineArn=arn, definition=RESULT)["revisionId"]
    two = sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=revision)
    assert two["stateMachineVersionArn"] == arn + ":2"
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [arn + ":2", arn + ":1"]
    assert set(listed[0]) == {"stateMachineVersionArn", "creationDate"}
    sfn.delete_state_machine_version(stateMachineVersionArn=arn + ":2")
    sfn.update_state_machine(stateMachineArn=arn, definition=WAIT)
    three = sfn.publish_state_machine_version(stateMachineArn=arn)
    assert three["stateMachineVersionArn"] == arn + ":3"  # 2 is never reused


def test_publish_with_a_stale_revision(sfn):
    arn = machine(sfn)["stateMachineArn"]
    old = sfn.update_state_machine(stateMachineArn=arn, definition=RESULT)["revisionId"]
    new = sfn.update_state_machine(stateMachineArn=arn, definition=WAIT)["revisionId"]
    with pytest.raises(ClientError) as exc:
        sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=old)
    code, message = error_of(exc)
    assert code == "ConflictException"
    assert old in message and new in message


def test_list_versions_pages(sfn):
    arn = machine(sfn)["stateMachineArn"]
    for definition in (PASS, RESULT, WAIT):
        sfn.update_state_machine(stateMachineArn=arn, definition=definition, publish=True)
    first = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=2)
    assert [v["stateMachineVersionArn"] for v in first["stateMachineVersions"]] == [
        arn + ":3", arn + ":2"]
    rest = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=2,
                                           nextToken=first["nextToken"])
    assert [v["stateMachineVersionArn"] for v in rest["stateMachineVersions"]] == [arn + ":1"]
    assert "nextToken" not in rest
    with pytest.raises(ClientError) as exc:
        sfn.list_state_machine_versions(stateMachineArn=arn, nextToken="garbage")
    assert error_of(exc) == ("InvalidToken", "Invalid Token: 'Invalid token'")


def test_delete_a_version_an_alias_uses(sfn):
    arn = machine(sfn, publish=True)["stateMachineArn"]
    alias(sfn, "live", (arn + ":1", 100))
    with pytest.raises(ClientError) as exc:
        sfn.delete_state_machine_version(stateMachineVersionArn=arn + ":1")
    assert error_of(exc) == (
        "ConflictException",
        "Version to be deleted must not be referenced by an alias. Current list of aliases "
        "referencing this version: [live]",
    )
    with pytest.raises(ClientError) as exc:
        sfn.delete_state_machine_version(stateMachineVersionArn=arn)
    assert error_of(exc)[0] == "InvalidArn"


# -- aliases ----------------------------------------------------------------------------------


def test_alias_actions(sfn):
    arn = two_versions(sfn)
    created = alias(sfn, "live", (arn + ":1", 100), description="prod")
    assert created["stateMachineAliasArn"] == arn + ":live"
    assert isinstance(created["creationDate"], datetime)
    again = alias(sfn, "live", (arn + ":1", 100), description="prod")
    assert again["creationDate"] == created["creationDate"]
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=arn + ":live")
    assert described["name"] == "live" and described["description"] == "prod"
    assert described["routingConfiguration"] == [
        {"stateMachineVersionArn": arn + ":1", "weight": 100}]
    assert described["updateDate"] == described["creationDate"]
    updated = sfn.update_state_machine_alias(
        stateMachineAliasArn=arn + ":live",
        routingConfiguration=[{"stateMachineVersionArn": arn + ":2", "weight": 100}])
    assert isinstance(updated["updateDate"], datetime)
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=arn + ":live")
    assert described["routingConfiguration"][0]["stateMachineVersionArn"] == arn + ":2"
    alias(sfn, "beta", (arn + ":1", 100))
    listed = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in listed] == [arn + ":beta", arn + ":live"]
    by_version = sfn.list_state_machine_aliases(stateMachineArn=arn + ":2")
    assert [a["stateMachineAliasArn"] for a in by_version["stateMachineAliases"]] == [
        arn + ":live"]
    sfn.delete_state_machine_alias(stateMachineAliasArn=arn + ":live")
    with pytest.raises(ClientError) as exc:
        sfn.describe_state_machine_alias(stateMachineAliasArn=arn + ":live")
    assert error_of(exc) == NOT_FOUND


def test_alias_errors(sfn):
    arn = two_versions(sfn)
    v1, v2 = arn + ":1", arn + ":2"
    alias(sfn, "live", (v1, 100))
    expected = [
        ((v1, 70), (v2, 29)),
        ((v1, 50), (v1, 50)),
        ((arn, 100),),
    ]
    messages = [
        "Sum of routing configuration weights must equal 100. Received: [70, 29]",
        f"Routing configuration must contain distinct state machine version ARNs. "
        f"Received: [{v1}, {v1}]",
        f"Routing configuration must contain state machine version ARNs. Received: [{arn}]",
    ]
    for routes, message in zip(expected, messages, strict=True):
        with pytest.raises(ClientError) as exc:
            alias(sfn, "other", *routes)
        assert error_of(exc) == ("ValidationException", message)
    with pytest.raises(ClientError) as exc:
        alias(sfn, "live", (v2, 100))
    assert error_of(exc) == (
        "ConflictException",
        "Failed to create alias because an alias with the same name and a different routing "
        "configuration already exists.",
    )
    with pytest.raises(ClientError) as exc:
        alias(sfn, "123", (v1, 100))
    assert error_of(exc) == (
        "ValidationException",
        "1 validation error detected: Value '123' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$",
    )
    with pytest.raises(ClientError) as exc:
        alias(sfn, "big", (v1, 101))
    assert error_of(exc) == (
        "ValidationException",
        "1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' "
        "failed to satisfy constraint: Member must have value less than or equal to 100",
    )
    with pytest.raises(ClientError) as exc:
        sfn.update_state_machine_alias(stateMachineAliasArn=arn + ":nope", description="x")
    assert error_of(exc) == NOT_FOUND
    with pytest.raises(ClientError) as exc:
        sfn.list_state_machine_aliases(stateMachineArn=arn, nextToken="garbage")
    assert error_of(exc) == ("InvalidToken", "Invalid Token: 'Invalid token'")


def test_alias_requests_boto3_would_refuse(server):
    status, body = post(server.url, json.dumps({"name": "a", "routingConfiguration": []}),
                        "AWSStepFunctions.CreateStateMachineAlias")
    assert (status, body["__type"]) == (400, "ValidationException")
    assert "Member must have length greater than or equal to 1" in body["message"]
    status, body = post(server.url, json.dumps({"name": "a"}),
                        "AWSStepFunctions.CreateStateMachineAlias")
    assert (status, body["__type"]) == (400, "ValidationException")
    routing = [{"stateMachineVersionArn": SM + "m:1", "weight": "x"}]
    status, body = post(server.url, json.dumps({"name": "a", "routingConfiguration": routing}),
                        "AWSStepFunctions.CreateStateMachineAlias")
    assert (status, body["__type"]) == (400, "ValidationException")


# -- executions through versions and aliases --------------------------------------------------


def test_start_through_version_and_alias(sfn, server):
    arn = two_versions(sfn)
    alias(sfn, "live", (arn + ":2", 100), )
    plain = sfn.start_execution(stateMachineArn=arn, name="plain")["executionArn"]
    one = sfn.start_execution(stateMachineArn=arn + ":1", name="one")["executionArn"]
    via = sfn.start_execution(stateMachineArn=arn + ":live", name="via")["executionArn"]
    assert (one, via) == (EXEC + "m:one", EXEC + "m:via")
    for execution in (plain, one, via):
        server.wait_done(execution)
    described = sfn.describe_execution(executionArn=one)
    assert described["stateMachineArn"] == arn
    assert described["stateMachineVersionArn"] == arn + ":1"
    assert "stateMachineAliasArn" not in described
    assert described["output"] == "{}"
    described = sfn.describe_execution(executionArn=via)
    assert described["stateMachineVersionArn"] == arn + ":2"
    assert described["stateMachineAliasArn"] == arn + ":live"
    assert described["output"] == '{"r":1}'
    everything = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert [e["executionArn"] for e in everything] == [via, one, plain]
    only_one = sfn.list_executions(stateMachineArn=arn + ":1")["executions"]
    assert [e["executionArn"] for e in only_one] == [one]
    assert only_one[0]["stateMachineVersionArn"] == arn + ":1"
    via_alias = sfn.list_executions(stateMachineArn=arn + ":live")["executions"]
    assert [(e["executionArn"], e["stateMachineAliasArn"]) for e in via_alias] == [
        (via, arn + ":live")]
    ran = sfn.describe_state_machine_for_execution(executionArn=one)
    assert (ran["stateMachineArn"], ran["definition"]) == (arn, PASS)


def test_alias_routing_weights(sfn):
    arn = two_versions(sfn)
    alias(sfn, "first", (arn + ":1", 100), (arn + ":2", 0))
    alias(sfn, "split", (arn + ":1", 50), (arn + ":2", 50))
    for index in range(20):
        sfn.start_execution(stateMachineArn=arn + ":first", name=f"f{index}")
    for index in range(100):
        sfn.start_execution(stateMachineArn=arn + ":split", name=f"s{index}")
    first = sfn.list_executions(stateMachineArn=arn + ":first")["executions"]
    assert {e["stateMachineVersionArn"] for e in first} == {arn + ":1"}
    split = sfn.list_executions(stateMachineArn=arn + ":split")["executions"]
    counts = {v: sum(e["stateMachineVersionArn"] == v for e in split) for v in (arn + ":1",
                                                                              arn + ":2")}
    assert min(counts.values()) >= 20  # binomial(100, 0.5): each side far above 20


def test_start_sync_through_an_alias(sfn):
    arn = machine(sfn, "fast", RESULT, type="EXPRESS", publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=PASS)
    alias(sfn, "live", (arn + ":1", 100))
    result = sfn.start_sync_execution(stateMachineArn=arn + ":live", input="{}")
    assert (result["status"], result["output"]) == ("SUCCEEDED", '{"r":1}')
    assert result["executionArn"].startswith(
        "arn:aws:states:us-east-1:123456789012:express:fast:")


def test_describe_state_machine_with_an_alias_arn(sfn):
    arn = machine(sfn, publish=True)["stateMachineArn"]
    alias(sfn, "live", (arn + ":1", 100))
    with pytest.raises(ClientError) as exc:
        sfn.describe_state_machine(stateMachineArn=arn + ":live")
    assert error_of(exc) == ("StateMachineDoesNotExist",
                             f"State Machine Does Not Exist: '{arn}:live'")


# -- deletion and tags ------------------------------------------------------------------------


def test_delete_state_machine_takes_versions_and_aliases(sfn):
    arn = machine(sfn, publish=True)["stateMachineArn"]
    alias(sfn, "live", (arn + ":1", 100))
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(ClientError) as exc:
        sfn.describe_state_machine(stateMachineArn=arn + ":1")
    assert error_of(exc)[0] == "StateMachineDoesNotExist"
    with pytest.raises(ClientError) as exc:
        sfn.describe_state_machine_alias(stateMachineAliasArn=arn + ":live")
    assert error_of(exc) == NOT_FOUND


def test_versions_and_aliases_have_no_tags(sfn):
    arn = machine(sfn, publish=True)["stateMachineArn"]
    alias(sfn, "live", (arn + ":1", 100))
    for target in (arn + ":1", arn + ":live"):
        with pytest.raises(ClientError) as exc:
            sfn.tag_resource(resourceArn=target, tags=[{"key": "k", "value": "v"}])
        assert error_of(exc) == ("ResourceNotFound", f"Resource not found: '{target}'")
        with pytest.raises(ClientError) as exc:
            sfn.list_tags_for_resource(resourceArn=target)
        assert error_of(exc)[0] == "ResourceNotFound"
