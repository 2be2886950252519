"""Revisions, versions and aliases in the Engine (checklist §13, §14).

Expected values come from the checklist and the Step Functions API reference: version ARNs are
``<machine ARN>:<n>`` numbered from 1 and never reused, alias ARNs ``<machine ARN>:<name>``,
executions started through them keep the machine's name in their ARN and record the version and
alias, and the error codes and messages are AWS's.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.errors import InvalidDefinition, ServiceError

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
RESULT = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"r": 1}, "End": True}}}
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}
CONTEXT = {"StartAt": "P", "States": {"P": {
    "Type": "Pass", "End": True,
    "Parameters": {"id.$": "$$.StateMachine.Id", "name.$": "$$.StateMachine.Name"},
}}}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ARN = "arn:aws:states:us-east-1:123456789012"
NOT_FOUND = ("ResourceNotFound", "Request references a resource that does not exist.")


@pytest.fixture
async def engine():
    async with Engine(clock=VirtualClock(), settings=EngineSettings(seed=7)) as eng:
        yield eng


def error_of(exc: pytest.ExceptionInfo[ServiceError]) -> tuple[str, str]:
    return exc.value.code, exc.value.message


async def versions_of(engine: Engine, arn: str) -> list[str]:
    return [v.arn for v in await engine.list_state_machine_versions(arn)]


# -- UpdateStateMachine -----------------------------------------------------------------------


async def test_update_makes_a_new_revision_and_keeps_the_creation_date(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    engine.clock.advance(5)  # type: ignore[attr-defined]
    update = await engine.update_state_machine(sm.arn, RESULT)
    assert update.revision_id is not None and UUID.match(update.revision_id)
    assert update.update_date == sm.creation_date + 5
    assert set(update.to_aws()) == {"updateDate", "revisionId"}
    described = (await engine.describe_state_machine(sm.arn)).to_aws()
    assert json.loads(described["definition"]) == RESULT
    assert described["revisionId"] == update.revision_id
    assert described["creationDate"].timestamp() == sm.creation_date


async def test_an_update_that_changes_nothing_keeps_the_revision(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    first = await engine.update_state_machine(sm.arn, RESULT)
    same = await engine.update_state_machine(sm.arn, json.dumps(RESULT, indent=2))
    assert same.revision_id == first.revision_id
    role = await engine.update_state_machine(sm.arn, role_arn="arn:aws:iam::123456789012:role/b")
    assert role.revision_id not in (None, first.revision_id)
    described = await engine.describe_state_machine(sm.arn)
    assert described.role_arn == "arn:aws:iam::123456789012:role/b"


async def test_update_needs_something_to_change(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    with pytest.raises(ServiceError) as exc:
        await engine.update_state_machine(sm.arn)
    assert error_of(exc) == (
        "MissingRequiredParameter",
        "Either the definition, the role ARN, the LoggingConfiguration, or the "
        "TracingConfiguration must be specified",
    )


async def test_update_targets_the_machine_not_a_version(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS, publish=True)
    with pytest.raises(ServiceError) as exc:
        await engine.update_state_machine(f"{sm.arn}:1", RESULT)
    assert error_of(exc) == ("StateMachineDoesNotExist",
                             f"State Machine Does Not Exist: '{sm.arn}:1'")
    with pytest.raises(ServiceError) as exc:
        await engine.update_state_machine(f"{ARN}:stateMachine:nope", RESULT)
    assert exc.value.code == "StateMachineDoesNotExist"


async def test_update_refuses_invalid_definitions_and_keeps_the_old_one(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    broken = {"StartAt": "Nowhere", "States": {"P": {"Type": "Pass", "End": True}}}
    with pytest.raises(InvalidDefinition) as exc:
        await engine.update_state_machine(sm.arn, broken)
    assert exc.value.message.startswith("Invalid State Machine Definition: '")
    assert json.loads((await engine.describe_state_machine(sm.arn)).definition) == PASS


async def test_update_validates_for_the_machine_s_type(engine: Engine) -> None:
    sm = await engine.create_state_machine("fast", PASS, type="EXPRESS")
    sync = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync", "End": True,
        "Parameters": {"StateMachineArn": f"{ARN}:stateMachine:x"}}}}
    with pytest.raises(InvalidDefinition):  # .sync is refused in Express machines
        await engine.update_state_machine(sm.arn, sync)
    await engine.update_state_machine(sm.arn, RESULT)
    assert (await engine.describe_state_machine(sm.arn)).type == "EXPRESS"


async def test_version_description_needs_publish(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    message = ("ValidationException", "Version description can only be set when publish is true")
    with pytest.raises(ServiceError) as exc:
        await engine.update_state_machine(sm.arn, RESULT, version_description="v")
    assert error_of(exc) == message
    with pytest.raises(ServiceError) as exc:
        await engine.create_state_machine("n", PASS, version_description="v")
    assert error_of(exc) == message


async def test_running_executions_keep_their_definition(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", WAIT)
    old = await engine.start_execution(sm.arn, {"a": 1})  # waits 600 s (virtual)
    update = await engine.update_state_machine(sm.arn, RESULT)
    new = await engine.start_execution(sm.arn, {"a": 1})
    assert (await engine.wait(old.arn)).output == '{"a":1}'
    assert (await engine.describe_execution(old.arn)).stop_date == sm.creation_date + 600
    assert json.loads((await engine.wait(new.arn)).output or "") == {"r": 1}
    ran_old = await engine.describe_state_machine_for_execution(old.arn)
    ran_new = await engine.describe_state_machine_for_execution(new.arn)
    assert json.loads(ran_old.definition) == WAIT and ran_old.revision_id is None
    assert json.loads(ran_new.definition) == RESULT
    assert ran_new.revision_id == update.revision_id


# -- versions ---------------------------------------------------------------------------------


async def test_create_with_publish_makes_version_one(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS, publish=True, version_description="first")
    version = engine.published_version(sm.arn)
    assert version is not None and version.arn == f"{sm.arn}:1"
    described = (await engine.describe_state_machine(f"{sm.arn}:1")).to_aws()
    assert described["stateMachineArn"] == f"{sm.arn}:1"
    assert (described["name"], described["description"]) == ("m", "first")
    assert json.loads(described["definition"]) == PASS


async def test_version_numbers_increase_and_are_never_reused(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    one = await engine.publish_state_machine_version(sm.arn)
    assert one.arn == f"{sm.arn}:1"
    again = await engine.publish_state_machine_version(sm.arn, description="ignored")
    assert again.arn == one.arn  # the current revision is already published
    await engine.update_state_machine(sm.arn, RESULT)
    two = await engine.publish_state_machine_version(sm.arn)
    await engine.delete_state_machine_version(two.arn)
    await engine.update_state_machine(sm.arn, WAIT, publish=True)
    assert await versions_of(engine, sm.arn) == [f"{sm.arn}:3", f"{sm.arn}:1"]


async def test_a_version_is_a_snapshot(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    first = await engine.update_state_machine(sm.arn, RESULT, publish=True,
                                              version_description="with result")
    assert first.version_arn == f"{sm.arn}:1"
    await engine.update_state_machine(sm.arn, PASS)
    version = await engine.describe_state_machine(f"{sm.arn}:1")
    assert json.loads(version.definition) == RESULT
    assert version.revision_id == first.revision_id
    assert version.to_aws()["description"] == "with result"


async def test_publish_with_a_stale_revision_is_a_conflict(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    old = (await engine.update_state_machine(sm.arn, RESULT)).revision_id
    new = (await engine.update_state_machine(sm.arn, WAIT)).revision_id
    with pytest.raises(ServiceError) as exc:
        await engine.publish_state_machine_version(sm.arn, revision_id=old)
    assert exc.value.code == "ConflictException"
    assert str(old) in exc.value.message and str(new) in exc.value.message
    version = await engine.publish_state_machine_version(sm.arn, revision_id=new)
    assert version.arn == f"{sm.arn}:1"


async def test_publish_and_list_need_an_existing_machine(engine: Engine) -> None:
    missing = f"{ARN}:stateMachine:nope"
    for call in (engine.publish_state_machine_version, engine.list_state_machine_versions):
        with pytest.raises(ServiceError) as exc:
            await call(missing)
        assert error_of(exc) == ("StateMachineDoesNotExist",
                                 f"State Machine Does Not Exist: '{missing}'")


async def test_a_version_referenced_by_an_alias_cannot_be_deleted(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS, publish=True)
    await engine.create_state_machine_alias("live", [(f"{sm.arn}:1", 100)])
    with pytest.raises(ServiceError) as exc:
        await engine.delete_state_machine_version(f"{sm.arn}:1")
    assert error_of(exc) == (
        "ConflictException",
        "Version to be deleted must not be referenced by an alias. Current list of aliases "
        "referencing this version: [live]",
    )
    await engine.delete_state_machine_alias(f"{sm.arn}:live")
    await engine.delete_state_machine_version(f"{sm.arn}:1")
    await engine.delete_state_machine_version(f"{sm.arn}:1")  # unknown: no error
    assert await versions_of(engine, sm.arn) == []


# -- aliases ----------------------------------------------------------------------------------


async def published(engine: Engine, count: int = 2) -> str:
    """A machine ``m`` with versions 1..count (PASS, then RESULT); its ARN."""
    sm = await engine.create_state_machine("m", PASS, publish=True)
    for _ in range(count - 1):
        await engine.update_state_machine(sm.arn, RESULT, publish=True)
    return sm.arn


async def test_alias_lifecycle(engine: Engine) -> None:
    arn = await published(engine)
    alias = await engine.create_state_machine_alias("live", [(f"{arn}:1", 100)], "prod")
    assert alias.arn == f"{arn}:live"
    again = await engine.create_state_machine_alias("live", [(f"{arn}:1", 100)], "prod")
    assert again.creation_date == alias.creation_date
    shape = (await engine.describe_state_machine_alias(alias.arn)).to_aws()
    assert shape["routingConfiguration"] == [{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    assert (shape["name"], shape["description"]) == ("live", "prod")
    engine.clock.advance(3)  # type: ignore[attr-defined]
    updated = await engine.update_state_machine_alias(
        alias.arn, routing=[(f"{arn}:1", 20), (f"{arn}:2", 80)])
    assert updated.update_date == alias.creation_date + 3
    assert updated.description == "prod"
    assert [a.arn for a in await engine.list_state_machine_aliases(f"{arn}:2")] == [alias.arn]
    await engine.delete_state_machine_alias(alias.arn)
    await engine.delete_state_machine_alias(alias.arn)
    with pytest.raises(ServiceError) as exc:
        await engine.describe_state_machine_alias(alias.arn)
    assert error_of(exc) == NOT_FOUND


async def test_aliases_are_listed_newest_first(engine: Engine) -> None:
    arn = await published(engine)
    for name in ("a", "b", "c"):
        await engine.create_state_machine_alias(name, [(f"{arn}:1", 100)])
    await engine.create_state_machine_alias("d", [(f"{arn}:2", 100)])
    listed = await engine.list_state_machine_aliases(arn)
    assert [a.name for a in listed] == ["d", "c", "b", "a"]
    assert [a.name for a in await engine.list_state_machine_aliases(f"{arn}:1")] == ["c", "b", "a"]


async def test_recreating_an_alias_differently_is_a_conflict(engine: Engine) -> None:
    arn = await published(engine)
    await engine.create_state_machine_alias("live", [(f"{arn}:1", 100)])
    with pytest.raises(ServiceError) as exc:
        await engine.create_state_machine_alias("live", [(f"{arn}:2", 100)])
    assert error_of(exc) == (
        "ConflictException",
        "Failed to create alias because an alias with the same name and a different routing "
        "configuration already exists.",
    )


@pytest.mark.parametrize("name", ["1", "42", "has space", "a:b", "x" * 81])
async def test_alias_names_follow_aws_pattern(engine: Engine, name: str) -> None:
    arn = await published(engine, 1)
    with pytest.raises(ServiceError) as exc:
        await engine.create_state_machine_alias(name, [(f"{arn}:1", 100)])
    code, message = error_of(exc)
    assert code == "ValidationException"
    assert message.startswith(f"1 validation error detected: Value '{name}' at 'name' failed")


async def test_routing_validations(engine: Engine) -> None:
    arn = await published(engine)
    v1, v2 = f"{arn}:1", f"{arn}:2"
    cases: list[tuple[Any, str]] = [
        ([(v1, 70), (v2, 29)],
         "Sum of routing configuration weights must equal 100. Received: [70, 29]"),
        ([(v1, 50), (v1, 50)],
         "Routing configuration must contain distinct state machine version ARNs. "
         f"Received: [{v1}, {v1}]"),
        ([(arn, 100)],
         f"Routing configuration must contain state machine version ARNs. Received: [{arn}]"),
        ([(v1, 50), (f"{arn}:live", 50)],
         "Routing configuration must contain state machine version ARNs. "
         f"Received: [{v1}, {arn}:live]"),
    ]
    for routing, message in cases:
        with pytest.raises(ServiceError) as exc:
            await engine.create_state_machine_alias("live", routing)
        assert error_of(exc) == ("ValidationException", message)
    with pytest.raises(ServiceError) as exc:
        await engine.create_state_machine_alias("live", [(v1, 30), (v2, 30), (v2, 40)])
    assert exc.value.code == "ValidationException"
    assert "Member must have length less than or equal to 2" in exc.value.message
    with pytest.raises(ServiceError) as exc:
        await engine.create_state_machine_alias("live", [(f"{arn}:9", 100)])
    assert error_of(exc) == NOT_FOUND


async def test_alias_update_and_describe_errors(engine: Engine) -> None:
    arn = await published(engine)
    with pytest.raises(ServiceError) as exc:
        await engine.update_state_machine_alias(f"{arn}:nope", description="x")
    assert error_of(exc) == NOT_FOUND
    await engine.create_state_machine_alias("live", [(f"{arn}:1", 100)])
    with pytest.raises(ServiceError) as exc:
        await engine.update_state_machine_alias(f"{arn}:live")
    assert exc.value.code == "ValidationException"
    with pytest.raises(ServiceError) as exc:
        await engine.update_state_machine_alias(f"{arn}:live", routing=[(f"{arn}:1", 99)])
    assert error_of(exc) == ("ValidationException",
                             "Sum of routing configuration weights must equal 100. Received: [99]")
    with pytest.raises(ServiceError) as exc:
        await engine.list_state_machine_aliases(f"{arn}:7")
    assert error_of(exc) == NOT_FOUND


# -- starting through versions and aliases ----------------------------------------------------


async def test_start_a_version(engine: Engine) -> None:
    arn = await published(engine)  # version 1 = PASS, current = version 2 = RESULT
    ex = await engine.start_execution(f"{arn}:1", {"a": 1}, name="one")
    assert ex.arn == f"{ARN}:execution:m:one"
    done = await engine.wait(ex.arn)
    assert done.output == '{"a":1}'
    shape = done.to_aws()
    assert shape["stateMachineArn"] == arn
    assert shape["stateMachineVersionArn"] == f"{arn}:1"
    assert "stateMachineAliasArn" not in shape
    ran = await engine.describe_state_machine_for_execution(ex.arn)
    assert json.loads(ran.definition) == PASS


async def test_start_an_alias_records_alias_and_version(engine: Engine) -> None:
    arn = await published(engine)
    await engine.create_state_machine_alias("live", [(f"{arn}:2", 100)])
    ex = await engine.start_execution(f"{arn}:live", name="via")
    done = await engine.wait(ex.arn)
    assert ex.arn == f"{ARN}:execution:m:via"
    assert json.loads(done.output or "") == {"r": 1}
    item = done.to_list_item()
    assert item["stateMachineArn"] == arn
    assert item["stateMachineVersionArn"] == f"{arn}:2"
    assert item["stateMachineAliasArn"] == f"{arn}:live"


async def test_weights_100_and_0_always_choose_the_first(engine: Engine) -> None:
    arn = await published(engine)
    await engine.create_state_machine_alias("live", [(f"{arn}:2", 100), (f"{arn}:1", 0)])
    chosen = set()
    for _ in range(50):
        ex = await engine.start_execution(f"{arn}:live")
        chosen.add(ex.state_machine_version_arn)
    assert chosen == {f"{arn}:2"}


async def test_a_50_50_split_runs_both_versions(engine: Engine) -> None:
    arn = await published(engine)
    await engine.create_state_machine_alias("split", [(f"{arn}:1", 50), (f"{arn}:2", 50)])
    counts = {f"{arn}:1": 0, f"{arn}:2": 0}
    for _ in range(200):
        ex = await engine.start_execution(f"{arn}:split")
        counts[str(ex.state_machine_version_arn)] += 1
    assert min(counts.values()) > 50  # each side: binomial(200, 0.5), far above 50


async def test_list_executions_by_version_and_alias(engine: Engine) -> None:
    arn = await published(engine)
    await engine.create_state_machine_alias("live", [(f"{arn}:2", 100)])
    plain = await engine.start_execution(arn, name="plain")
    one = await engine.start_execution(f"{arn}:1", name="one")
    via = await engine.start_execution(f"{arn}:live", name="via")
    assert [r.arn for r in await engine.list_executions(arn)] == [via.arn, one.arn, plain.arn]
    assert [r.arn for r in await engine.list_executions(f"{arn}:1")] == [one.arn]
    assert [r.arn for r in await engine.list_executions(f"{arn}:2")] == [via.arn]
    assert [r.arn for r in await engine.list_executions(f"{arn}:live")] == [via.arn]


async def test_context_state_machine_id_is_the_arn_started(engine: Engine) -> None:
    sm = await engine.create_state_machine("ctx", CONTEXT, publish=True)
    await engine.create_state_machine_alias("live", [(f"{sm.arn}:1", 100)])
    for target in (sm.arn, f"{sm.arn}:1", f"{sm.arn}:live"):
        done = await engine.wait((await engine.start_execution(target)).arn)
        assert json.loads(done.output or "") == {"id": target, "name": "ctx"}


async def test_start_sync_through_a_version(engine: Engine) -> None:
    sm = await engine.create_state_machine("fast", RESULT, type="EXPRESS", publish=True)
    await engine.update_state_machine(sm.arn, PASS)
    result = await engine.start_sync_execution(f"{sm.arn}:1", {"a": 1})
    assert (result.status, json.loads(result.output or "")) == ("SUCCEEDED", {"r": 1})
    assert result.to_aws()["stateMachineArn"] == sm.arn


async def test_unknown_version_or_alias_cannot_start(engine: Engine) -> None:
    arn = await published(engine, 1)
    for target in (f"{arn}:5", f"{arn}:nope"):
        with pytest.raises(ServiceError) as exc:
            await engine.start_execution(target)
        assert error_of(exc) == ("StateMachineDoesNotExist",
                                 f"State Machine Does Not Exist: '{target}'")


# -- deleting, tags and ARNs ------------------------------------------------------------------


async def test_delete_state_machine_deletes_versions_and_aliases(engine: Engine) -> None:
    arn = await published(engine)
    await engine.create_state_machine_alias("live", [(f"{arn}:1", 100)])
    ex = await engine.start_execution(f"{arn}:live")
    await engine.delete_state_machine(arn)
    with pytest.raises(ServiceError) as exc:
        await engine.describe_state_machine(f"{arn}:1")
    assert exc.value.code == "StateMachineDoesNotExist"
    with pytest.raises(ServiceError) as exc:
        await engine.describe_state_machine_alias(f"{arn}:live")
    assert error_of(exc) == NOT_FOUND
    assert (await engine.wait(ex.arn)).status == "SUCCEEDED"


async def test_versions_and_aliases_are_not_taggable(engine: Engine) -> None:
    arn = await published(engine, 1)
    await engine.create_state_machine_alias("live", [(f"{arn}:1", 100)])
    for target in (f"{arn}:1", f"{arn}:live"):
        with pytest.raises(ServiceError) as exc:
            await engine.tag_resource(target, {"k": "v"})
        assert error_of(exc) == ("ResourceNotFound", f"Resource not found: '{target}'")


async def test_describe_state_machine_with_an_alias_arn(engine: Engine) -> None:
    arn = await published(engine, 1)
    await engine.create_state_machine_alias("live", [(f"{arn}:1", 100)])
    with pytest.raises(ServiceError) as exc:
        await engine.describe_state_machine(f"{arn}:live")
    assert error_of(exc) == ("StateMachineDoesNotExist",
                             f"State Machine Does Not Exist: '{arn}:live'")


async def test_malformed_arns(engine: Engine) -> None:
    arn = await published(engine, 1)
    cases = [
        (engine.describe_state_machine_alias, f"{arn}:1"),  # a version, not an alias
        (engine.describe_state_machine_alias, arn),
        (engine.delete_state_machine_version, f"{arn}:live"),
        (engine.delete_state_machine_version, f"{arn}:1:2"),
        (engine.describe_state_machine_alias, f"{ARN}:activity:a:live"),
        (engine.publish_state_machine_version, "nope"),
    ]
    for call, target in cases:
        with pytest.raises(ServiceError) as exc:
            await call(target)
        assert exc.value.code == "InvalidArn", target
        assert exc.value.message.startswith("Invalid Arn: '"), target
