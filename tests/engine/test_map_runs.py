"""Map Runs of distributed Map states and RedriveExecution, through the Engine (checklist §13, §14).

Expected values come from AWS's API model (botocore's DescribeMapRun, ListMapRuns, UpdateMapRun,
ListExecutions and DescribeExecution shapes), the checklist's ARN formats (§14: ``mapRun:<sm>/
<label>:<uuid>``, children ``execution:<sm>/<label>:...``) and its redrive wording (§13).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from sfnlocal.engine import Engine
from sfnlocal.errors import InvalidDefinition, ServiceError

ARN = "arn:aws:states:us-east-1:123456789012"
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
THRESHOLD = "States.ExceedToleratedFailureThreshold"
COUNT_KEYS = {"pending", "running", "succeeded", "failed", "timedOut", "aborted", "total",
              "resultsWritten", "failuresNotRedrivable", "pendingRedrive"}


def distributed(processor_states: dict[str, Any], start: str, execution_type: str = "STANDARD",
                **fields: Any) -> dict[str, Any]:
    """A machine whose only state is a distributed Map ``M`` over the input."""
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
                 "StartAt": start, "States": processor_states}
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": processor,
                                             "End": True, **fields}}}


PASS_CHILD = {"P": {"Type": "Pass", "End": True}}
# Items equal to 0 fail at once; others wait their value in seconds, then succeed.
CHOOSY_CHILD = {
    "C": {"Type": "Choice", "Default": "W",
          "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "F"}]},
    "F": {"Type": "Fail", "Error": "Bad", "Cause": "zero"},
    "W": {"Type": "Wait", "SecondsPath": "$", "End": True},
}




async def settle() -> None:
    """Let the engine's tasks run until they wait (no time passes on the virtual clock)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def advance(engine: Engine, seconds: float) -> None:
    """Move the virtual clock by hand, then let the woken children run."""
    clock: Any = engine.clock
    clock.advance(seconds)
    await settle()


def error_of(exc: pytest.ExceptionInfo[ServiceError]) -> tuple[str, str]:
    return exc.value.code, exc.value.message


async def run(engine: Engine, definition: dict[str, Any], items: Any, name: str = "sm") -> Any:
    sm = await engine.create_state_machine(name, definition)
    return await engine.wait((await engine.start_execution(sm.arn, items)).arn)


async def only_run(engine: Engine, execution_arn: str) -> Any:
    runs = await engine.list_map_runs(execution_arn)
    assert len(runs) == 1
    return runs[0]


# -- records --------------------------------------------------------------------------------


async def test_a_map_run_record_describes_the_finished_run(engine: Engine) -> None:
    done = await run(engine, distributed(PASS_CHILD, "P", Label="Lbl", MaxConcurrency=2),
                     [1, 2, 3])
    assert done.status == "SUCCEEDED"
    history = await engine.history_events(done.arn)
    started = next(e for e in history if e["type"] == "MapRunStarted")
    record = await only_run(engine, done.arn)
    assert record.arn == started["mapRunStartedEventDetails"]["mapRunArn"]
    assert re.fullmatch(f"{ARN}:mapRun:sm/Lbl:{UUID}", record.arn)
    shape = (await engine.describe_map_run(record.arn)).to_aws()
    assert shape["executionArn"] == done.arn and shape["status"] == "SUCCEEDED"
    assert shape["stopDate"] >= shape["startDate"]
    assert (shape["maxConcurrency"], shape["toleratedFailureCount"]) == (2, 0)
    assert shape["toleratedFailurePercentage"] == 0.0
    assert isinstance(shape["toleratedFailurePercentage"], float)
    for key in ("itemCounts", "executionCounts"):
        assert set(shape[key]) == COUNT_KEYS
        assert (shape[key]["succeeded"], shape[key]["total"], shape[key]["pending"]) == (3, 3, 0)
    listed = record.to_list_item()
    assert listed["stateMachineArn"] == f"{ARN}:stateMachine:sm/Lbl"
    assert set(listed) == {"executionArn", "mapRunArn", "stateMachineArn", "startDate", "stopDate"}


async def test_without_a_label_the_state_name_is_in_the_arns(engine: Engine) -> None:
    done = await run(engine, distributed(PASS_CHILD, "P"), [1], name="plain")
    record = await only_run(engine, done.arn)
    assert re.fullmatch(f"{ARN}:mapRun:plain/M:{UUID}", record.arn)
    assert record.state_machine_arn == f"{ARN}:stateMachine:plain/M"


async def test_children_are_executions_that_can_be_described(engine: Engine) -> None:
    done = await run(engine, distributed(PASS_CHILD, "P", Label="Lbl"), [{"a": 1}, {"a": 2}])
    record = await only_run(engine, done.arn)
    _, kids = await engine.list_map_run_executions(record.arn)
    assert len(kids) == 2
    run_id = record.arn.rsplit(":", 1)[1]
    outputs = []
    for kid in kids:
        assert re.fullmatch(f"{ARN}:execution:sm/Lbl:{run_id}:{UUID}", kid.arn)
        shape = (await engine.describe_execution(kid.arn)).to_aws()
        assert shape["mapRunArn"] == record.arn
        assert shape["stateMachineArn"] == f"{ARN}:stateMachine:sm/Lbl"
        assert shape["name"] == kid.arn.rsplit(":", 1)[1]
        assert (shape["status"], shape["redriveStatus"]) == ("SUCCEEDED", "NOT_REDRIVABLE")
        assert shape["input"] == shape["output"]
        outputs.append(shape["output"])
        types = [e["type"] for e in await engine.history_events(kid.arn)]
        assert types == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                         "ExecutionSucceeded"]
    assert sorted(outputs) == ['{"a":1}', '{"a":2}']


async def test_a_nested_distributed_map_is_a_map_run_of_the_child(engine: Engine) -> None:
    inner = distributed(PASS_CHILD, "P", Label="Inner")["States"]["M"]
    inner["ItemsPath"] = "$.items"
    done = await run(engine, distributed({"N": inner}, "N", Label="Outer"), [{"items": [1, 2]}])
    assert done.status == "SUCCEEDED" and done.output == '[[1,2]]'
    outer = await only_run(engine, done.arn)
    child = outer.children[0]
    nested = await only_run(engine, child.arn)
    assert re.fullmatch(f"{ARN}:mapRun:sm/Inner:{UUID}", nested.arn)
    assert nested.execution_arn == child.arn
    _, grandchildren = await engine.list_map_run_executions(nested.arn)
    described = await engine.describe_execution(grandchildren[0].arn)
    assert (described.status, described.map_run_arn) == ("SUCCEEDED", nested.arn)


async def test_children_are_not_listed_with_the_parents_executions(engine: Engine) -> None:
    done = await run(engine, distributed(PASS_CHILD, "P"), [1, 2])
    listed = await engine.list_executions(f"{ARN}:stateMachine:sm")
    assert [r.arn for r in listed] == [done.arn]


async def test_tolerated_failures_are_counted_and_the_child_is_redrivable_by_the_map_run(
    engine: Engine,
) -> None:
    done = await run(engine, distributed(CHOOSY_CHILD, "C", ToleratedFailureCount=1,
                                         ToleratedFailurePercentage=50), [0, 1])
    assert done.status == "SUCCEEDED"
    record = await only_run(engine, done.arn)
    shape = record.to_aws()
    assert (shape["toleratedFailureCount"], shape["toleratedFailurePercentage"]) == (1, 50.0)
    counts = shape["executionCounts"]
    assert (counts["failed"], counts["succeeded"], counts["total"]) == (1, 1, 2)
    _, failed = await engine.list_map_run_executions(record.arn, "FAILED")
    described = (await engine.describe_execution(failed[0].arn)).to_aws()
    assert (described["error"], described["cause"]) == ("Bad", "zero")
    assert described["redriveStatus"] == "REDRIVABLE_BY_MAP_RUN"


async def test_a_map_run_over_the_tolerance_fails(engine: Engine) -> None:
    done = await run(engine, distributed(CHOOSY_CHILD, "C"), [0, 5])
    assert (done.status, done.error) == ("FAILED", THRESHOLD)
    record = await only_run(engine, done.arn)
    assert record.status == "FAILED" and record.stop_date is not None
    assert record.to_aws()["executionCounts"]["failed"] == 1


async def test_batches_count_items_and_executions_apart(engine: Engine) -> None:
    definition = distributed(PASS_CHILD, "P", ItemBatcher={"MaxItemsPerBatch": 2})
    done = await run(engine, definition, [1, 2, 3, 4, 5])
    shape = (await only_run(engine, done.arn)).to_aws()
    assert (shape["itemCounts"]["total"], shape["itemCounts"]["succeeded"]) == (5, 5)
    assert (shape["executionCounts"]["total"], shape["executionCounts"]["succeeded"]) == (3, 3)


async def test_express_children_are_listed_but_not_describable(engine: Engine) -> None:
    done = await run(engine, distributed(PASS_CHILD, "P", "EXPRESS", Label="X"), [1, 2])
    assert done.status == "SUCCEEDED"
    record = await only_run(engine, done.arn)
    _, kids = await engine.list_map_run_executions(record.arn)
    assert [kid.status for kid in kids] == ["SUCCEEDED", "SUCCEEDED"]
    assert all(re.fullmatch(f"{ARN}:express:sm/X:{UUID}:{UUID}", kid.arn) for kid in kids)
    with pytest.raises(ServiceError) as exc:
        await engine.describe_execution(kids[0].arn)
    assert error_of(exc) == ("InvalidArn",
                             "Invalid Arn: 'Resource type not valid in this context: express'")


async def test_each_attempt_of_a_retried_map_is_a_map_run_newest_first(engine: Engine) -> None:
    definition = distributed(CHOOSY_CHILD, "C")
    definition["States"]["M"]["Retry"] = [{"ErrorEquals": [THRESHOLD], "MaxAttempts": 1}]
    done = await run(engine, definition, [0])
    runs = await engine.list_map_runs(done.arn)
    assert [r.status for r in runs] == ["FAILED", "FAILED"]
    assert runs[0].start_date >= runs[1].start_date
    history = await engine.history_events(done.arn)
    started = [e["mapRunStartedEventDetails"]["mapRunArn"] for e in history
               if e["type"] == "MapRunStarted"]
    assert [r.arn for r in runs] == started[::-1]


# -- a running Map Run --------------------------------------------------------------------------


async def start_waiting(frozen: Engine, items: list[int], **fields: Any) -> tuple[str, Any]:
    sm = await frozen.create_state_machine("sm", distributed(CHOOSY_CHILD, "C", **fields))
    execution = await frozen.start_execution(sm.arn, items)
    await settle()
    return execution.arn, await only_run(frozen, execution.arn)


async def test_a_running_map_run_shows_running_and_pending_children(frozen: Engine) -> None:
    arn, record = await start_waiting(frozen, [10, 10, 10], MaxConcurrency=1)
    shape = record.to_aws()
    assert shape["status"] == "RUNNING" and "stopDate" not in shape
    counts = shape["executionCounts"]
    assert (counts["running"], counts["pending"], counts["total"]) == (1, 2, 3)
    assert "stopDate" not in record.to_list_item()
    running = (await frozen.describe_execution(record.children[0].arn)).to_aws()
    assert running["status"] == "RUNNING" and running["redriveStatus"] == "NOT_REDRIVABLE"
    for _ in range(3):
        await advance(frozen, 10)
    done = await frozen.wait(arn)
    assert done.status == "SUCCEEDED" and record.status == "SUCCEEDED"


async def test_raising_max_concurrency_starts_more_children_at_once(frozen: Engine) -> None:
    arn, record = await start_waiting(frozen, [10, 10, 10, 10], MaxConcurrency=1)
    assert record.to_aws()["executionCounts"]["running"] == 1
    updated = await frozen.update_map_run(record.arn, max_concurrency=3)
    await settle()
    assert updated.to_aws()["maxConcurrency"] == 3
    assert record.to_aws()["executionCounts"]["running"] == 3
    await advance(frozen, 10)
    assert record.to_aws()["executionCounts"]["succeeded"] == 3
    await advance(frozen, 10)
    assert (await frozen.wait(arn)).status == "SUCCEEDED"


async def test_lowering_the_tolerance_below_the_failures_fails_the_run(frozen: Engine) -> None:
    arn, record = await start_waiting(frozen, [0, 10, 10], ToleratedFailureCount=2)
    assert record.to_aws()["executionCounts"]["failed"] == 1
    await frozen.update_map_run(record.arn, tolerated_failure_count=0)
    done = await frozen.wait(arn)
    assert (done.status, done.error) == ("FAILED", THRESHOLD)
    shape = record.to_aws()
    assert (shape["status"], shape["toleratedFailureCount"]) == ("FAILED", 0)
    assert (shape["executionCounts"]["aborted"], shape["executionCounts"]["failed"]) == (2, 1)
    types = [e["type"] for e in await frozen.history_events(arn)]
    assert types[-4:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]


async def test_a_tolerance_still_above_the_failures_lets_the_run_go_on(frozen: Engine) -> None:
    arn, record = await start_waiting(frozen, [0, 10], ToleratedFailureCount=3)
    await frozen.update_map_run(record.arn, tolerated_failure_count=1,
                                tolerated_failure_percentage=60)
    await settle()
    assert record.status == "RUNNING"
    assert record.to_aws()["toleratedFailurePercentage"] == 60.0
    await advance(frozen, 10)
    assert (await frozen.wait(arn)).status == "SUCCEEDED"


async def test_stopping_the_parent_aborts_the_map_run_and_its_children(frozen: Engine) -> None:
    arn, record = await start_waiting(frozen, [10, 10])
    await frozen.stop_execution(arn)
    assert record.status == "ABORTED" and record.stop_date is not None
    assert [kid.status for kid in record.children] == ["ABORTED", "ABORTED"]
    types = [e["type"] for e in await frozen.history_events(record.children[0].arn)]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionAborted"


# -- ending one child: StopExecution, timeouts (checklist §4.10, §13, §15) ----------------------


async def test_stopping_a_standard_child_aborts_it_alone(frozen: Engine) -> None:
    arn, record = await start_waiting(frozen, [10, 10], ToleratedFailureCount=1)
    first, second = record.children
    stopped = await frozen.stop_execution(first.arn, "Halt", "by hand")
    assert stopped.status == "ABORTED" and stopped.stop_date is not None
    shape = (await frozen.describe_execution(first.arn)).to_aws()
    assert (shape["status"], shape["error"], shape["cause"]) == ("ABORTED", "Halt", "by hand")
    events = await frozen.history_events(first.arn)
    assert events[-1]["type"] == "ExecutionAborted" and events[-1]["previousEventId"] == 0
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Halt", "cause": "by hand"}
    assert [e["type"] for e in events].count("ExecutionAborted") == 1
    assert (second.status, record.status) == ("RUNNING", "RUNNING")
    counts = record.to_aws()["executionCounts"]
    assert (counts["aborted"], counts["running"]) == (1, 1)
    await advance(frozen, 10)
    done = await frozen.wait(arn)
    assert (done.status, record.status, second.status) == ("SUCCEEDED", "SUCCEEDED", "SUCCEEDED")


async def new_child_not_yet_in_its_task(frozen: Engine) -> tuple[str, Any, Any]:
    """A Map Run whose second child has just started and waits for its Task's first step."""
    arn, record = await start_waiting(frozen, [10, 10], MaxConcurrency=1)
    await frozen.update_map_run(record.arn, max_concurrency=2)
    await asyncio.sleep(0)  # the run starts child 1; its Task has not run yet
    assert len(record.children) == 2
    return arn, record, record.children[1]


async def test_a_child_stopped_before_its_task_ran_is_aborted(frozen: Engine) -> None:
    arn, record, child = await new_child_not_yet_in_its_task(frozen)
    await frozen.stop_execution(child.arn)
    assert child.status == "ABORTED"
    done = await frozen.wait(arn)
    assert (done.status, done.error) == ("FAILED", THRESHOLD)
    assert record.children[0].status == "ABORTED"
    types = [e["type"] for e in await frozen.history_events(child.arn)]
    assert (types[0], types[-1], types.count("ExecutionAborted")) == (
        "ExecutionStarted", "ExecutionAborted", 1)


async def test_a_parent_stopped_before_a_childs_task_ran_aborts_it(frozen: Engine) -> None:
    arn, record, child = await new_child_not_yet_in_its_task(frozen)
    await frozen.stop_execution(arn)
    assert record.status == "ABORTED"
    assert [kid.status for kid in record.children] == ["ABORTED", "ABORTED"]
    types = [e["type"] for e in await frozen.history_events(child.arn)]
    assert (types[-1], types.count("ExecutionAborted")) == ("ExecutionAborted", 1)


async def test_stopping_a_child_inside_a_parallel_records_its_aborts(frozen: Engine) -> None:
    branches = [{"StartAt": w, "States": {w: {"Type": "Wait", "Seconds": 10, "End": True}}}
                for w in ("W1", "W2")]
    par = {"Par": {"Type": "Parallel", "Branches": branches, "End": True}}
    sm = await frozen.create_state_machine("sm", distributed(par, "Par", ToleratedFailureCount=1))
    arn = (await frozen.start_execution(sm.arn, [1, 2])).arn
    await settle()
    record = await only_run(frozen, arn)
    await frozen.stop_execution(record.children[0].arn)
    types = [e["type"] for e in await frozen.history_events(record.children[0].arn)]
    assert types[-2:] == ["ParallelStateAborted", "ExecutionAborted"]
    await advance(frozen, 10)
    assert (await frozen.wait(arn)).status == "SUCCEEDED"
    assert [kid.status for kid in record.children] == ["ABORTED", "SUCCEEDED"]


async def test_a_stopped_child_is_a_failure_against_the_tolerance(frozen: Engine) -> None:
    arn, record = await start_waiting(frozen, [10, 10, 10], ToleratedFailureCount=0)
    await frozen.stop_execution(record.children[1].arn)
    done = await frozen.wait(arn)
    assert (done.status, done.error) == ("FAILED", THRESHOLD)
    assert record.status == "FAILED"
    assert [kid.status for kid in record.children] == ["ABORTED"] * 3
    types = [e["type"] for e in await frozen.history_events(arn)]
    assert types[-4:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]


async def test_stopping_a_closed_child_changes_nothing(engine: Engine) -> None:
    done = await run(engine, distributed(PASS_CHILD, "P"), [1])
    child = (await only_run(engine, done.arn)).children[0]
    events = await engine.history_events(child.arn)
    assert (await engine.stop_execution(child.arn)).status == "SUCCEEDED"
    assert await engine.history_events(child.arn) == events


async def test_stopping_an_express_child_is_an_invalid_arn(frozen: Engine) -> None:
    sm = await frozen.create_state_machine("sm", distributed(CHOOSY_CHILD, "C", "EXPRESS"))
    arn = (await frozen.start_execution(sm.arn, [10])).arn
    await settle()
    child = (await only_run(frozen, arn)).children[0]
    with pytest.raises(ServiceError) as exc:
        await frozen.stop_execution(child.arn)
    assert error_of(exc) == ("InvalidArn",
                             "Invalid Arn: 'Resource type not valid in this context: express'")
    assert child.status == "RUNNING"


async def test_stopping_the_parent_records_the_aborts_everywhere(frozen: Engine) -> None:
    arn, record = await start_waiting(frozen, [10, 10], MaxConcurrency=1)
    await frozen.stop_execution(arn, "Halt", "parent")
    types = [e["type"] for e in await frozen.history_events(arn)]
    assert types[-3:] == ["MapRunAborted", "MapStateAborted", "ExecutionAborted"]
    counts = record.to_aws()["executionCounts"]
    assert (counts["aborted"], counts["pending"], counts["running"]) == (1, 1, 0)
    assert (await frozen.describe_execution(arn)).status == "ABORTED"


async def test_a_parent_timeout_aborts_the_map_run_and_its_children(engine: Engine) -> None:
    definition = distributed(CHOOSY_CHILD, "C", ToleratedFailureCount=5)
    definition["TimeoutSeconds"] = 5
    done = await run(engine, definition, [10, 10])
    assert (done.status, done.stop_date - done.start_date) == ("TIMED_OUT", 5)
    record = await only_run(engine, done.arn)
    assert record.status == "ABORTED"
    assert [kid.status for kid in record.children] == ["ABORTED", "ABORTED"]


async def test_an_express_child_times_out_after_five_minutes(engine: Engine) -> None:
    definition = distributed(CHOOSY_CHILD, "C", "EXPRESS", ToleratedFailureCount=1)
    done = await run(engine, definition, [299, 301])
    assert done.status == "SUCCEEDED"
    record = await only_run(engine, done.arn)
    by_status = {kid.status: kid for kid in record.children}
    assert set(by_status) == {"SUCCEEDED", "TIMED_OUT"}
    timed_out = by_status["TIMED_OUT"]
    assert timed_out.stop_date - timed_out.start_date == 300
    counts = record.to_aws()["executionCounts"]
    assert (counts["timedOut"], counts["succeeded"], counts["failed"]) == (1, 1, 0)


async def test_a_timed_out_express_child_is_a_failure_against_the_tolerance(
    engine: Engine,
) -> None:
    done = await run(engine, distributed(CHOOSY_CHILD, "C", "EXPRESS"), [301])
    assert (done.status, done.error) == ("FAILED", THRESHOLD)
    assert (await only_run(engine, done.arn)).children[0].status == "TIMED_OUT"


async def test_a_standard_child_has_no_five_minute_limit(engine: Engine) -> None:
    done = await run(engine, distributed(CHOOSY_CHILD, "C"), [3600])
    assert done.status == "SUCCEEDED"
    assert (await only_run(engine, done.arn)).children[0].status == "SUCCEEDED"


async def test_an_item_processor_has_no_timeout_of_its_own(frozen: Engine) -> None:
    # Checklist §4.9: ItemProcessor is {ProcessorConfig?, StartAt, States, Comment?}.
    processor = distributed(PASS_CHILD, "P")["States"]["M"]["ItemProcessor"]
    processor["TimeoutSeconds"] = 5
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": processor,
                                                   "End": True}}}
    with pytest.raises(InvalidDefinition, match="Field 'TimeoutSeconds' is not supported"):
        await frozen.create_state_machine("sm", definition)


# -- DescribeStateMachineForExecution of a child -------------------------------------------------


async def test_a_child_runs_its_processor_as_a_state_machine(engine: Engine) -> None:
    definition = distributed(PASS_CHILD, "P", Label="Lbl")
    done = await run(engine, definition, [1])
    parent = await engine.describe_state_machine_for_execution(done.arn)
    child = (await only_run(engine, done.arn)).children[0]
    machine = await engine.describe_state_machine_for_execution(child.arn)
    assert (machine.arn, machine.name) == (f"{ARN}:stateMachine:sm/Lbl", "sm/Lbl")
    assert json.loads(machine.definition) == definition["States"]["M"]["ItemProcessor"]
    assert machine.role_arn == parent.role_arn
    assert engine.child_machine_members(child.arn) == {
        "mapRunArn": child.map_run_arn, "label": "Lbl"}
    assert engine.child_machine_members(done.arn) == {}


async def test_a_nested_child_runs_the_inner_processor(engine: Engine) -> None:
    inner = distributed(PASS_CHILD, "P")["States"]["M"]
    inner["ItemsPath"] = "$.items"
    definition = distributed({"N/x": inner}, "N/x", Label="Outer")
    done = await run(engine, definition, [{"items": [1]}])
    nested = await only_run(engine, (await only_run(engine, done.arn)).children[0].arn)
    machine = await engine.describe_state_machine_for_execution(nested.children[0].arn)
    assert (machine.arn, machine.name) == (f"{ARN}:stateMachine:sm/N/x", "sm/N/x")
    assert json.loads(machine.definition) == inner["ItemProcessor"]
    assert engine.child_machine_members(nested.children[0].arn)["label"] == "N/x"


# -- errors ---------------------------------------------------------------------------------


async def test_unknown_and_malformed_map_runs(engine: Engine) -> None:
    missing = f"{ARN}:mapRun:sm/M:00000000-0000-4000-8000-000000000000"
    for call in (engine.describe_map_run(missing), engine.update_map_run(missing),
                 engine.list_map_run_executions(missing)):
        with pytest.raises(ServiceError) as exc:
            await call
        assert error_of(exc) == ("ResourceNotFound", f"Resource not found: '{missing}'")
    with pytest.raises(ServiceError) as exc:
        await engine.describe_map_run(f"{ARN}:execution:sm:e")
    assert error_of(exc) == ("InvalidArn",
                             "Invalid Arn: 'Resource type not valid in this context: execution'")


@pytest.mark.parametrize(("kwargs", "member", "constraint"), [
    ({"max_concurrency": -1}, "maxConcurrency", "greater than or equal to 0"),
    ({"tolerated_failure_count": -1}, "toleratedFailureCount", "greater than or equal to 0"),
    ({"tolerated_failure_percentage": 100.5}, "toleratedFailurePercentage",
     "less than or equal to 100"),
])
async def test_update_values_out_of_range(
    engine: Engine, kwargs: dict[str, Any], member: str, constraint: str,
) -> None:
    done = await run(engine, distributed(PASS_CHILD, "P"), [1])
    record = await only_run(engine, done.arn)
    with pytest.raises(ServiceError) as exc:
        await engine.update_map_run(record.arn, **kwargs)
    code, message = error_of(exc)
    assert code == "ValidationException"
    assert f"at '{member}' failed to satisfy constraint: Member must have value {constraint}" in (
        message)


async def test_list_map_runs_of_unknown_or_plain_executions(engine: Engine) -> None:
    missing = f"{ARN}:execution:sm:nope"
    with pytest.raises(ServiceError) as exc:
        await engine.list_map_runs(missing)
    assert error_of(exc) == ("ExecutionDoesNotExist", f"Execution Does Not Exist: '{missing}'")
    plain = await run(engine, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                      {}, name="plain")
    assert await engine.list_map_runs(plain.arn) == []


# -- RedriveExecution ---------------------------------------------------------------------------


async def test_redrive_of_running_and_succeeded_executions_uses_aws_reasons(
    frozen: Engine,
) -> None:
    arn, record = await start_waiting(frozen, [10])
    with pytest.raises(ServiceError) as exc:
        await frozen.redrive_execution(arn)
    assert error_of(exc) == ("ExecutionNotRedrivable", "Execution is RUNNING and cannot be redriven")
    await advance(frozen, 10)
    await frozen.wait(arn)
    with pytest.raises(ServiceError) as exc:
        await frozen.redrive_execution(arn)
    assert error_of(exc) == ("ExecutionNotRedrivable",
                             "Execution is SUCCEEDED and cannot be redriven")
    assert record.status == "SUCCEEDED"


async def test_redrive_of_a_failed_execution_is_not_supported_yet(engine: Engine) -> None:
    fail = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}
    done = await run(engine, fail, {}, name="fails")
    assert done.to_aws()["redriveStatus"] == "REDRIVABLE"  # AWS's value (conformance)
    with pytest.raises(ServiceError) as exc:
        await engine.redrive_execution(done.arn)
    code, message = error_of(exc)
    assert code == "ExecutionNotRedrivable" and "not supported by sfnlocal" in message


async def test_redrive_of_unknown_malformed_and_express_executions(engine: Engine) -> None:
    missing = f"{ARN}:execution:sm:nope"
    cases = [(missing, "ExecutionDoesNotExist", f"Execution Does Not Exist: '{missing}'"),
             ("nope", "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: nope'"),
             (f"{ARN}:express:sm:e:00000000-0000-4000-8000-000000000000", "InvalidArn",
              "Invalid Arn: 'Resource type not valid in this context: express'")]
    for arn, code, message in cases:
        with pytest.raises(ServiceError) as exc:
            await engine.redrive_execution(arn)
        assert error_of(exc) == (code, message)
