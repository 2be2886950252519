"""The Map state (checklist §4.9, §4.10, §3.1, §5, §7, §12): items, selection, concurrency, events,
failures, retry, scopes, the distributed mode, and the AWS-recorded cases replayed through the Engine.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from composite_kit import (
    Service,
    block,
    compare,
    explain_known,
    machine,
    pure_jsonpath_cases,
    replay,
    run,
    wait,
)

from sfnlocal.states.children import Suspended
from sfnlocal.states.map_distributed import THRESHOLD_CAUSE, THRESHOLD_ERROR

PFX = "An error occurred while executing the state 'M' (entered at the event id #2). "


def map_state(processor: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"Type": "Map", "ItemProcessor": processor, **fields}
    if "Next" not in body:
        body["End"] = True
    return body


ECHO = block(("Echo", {"Type": "Pass"}))
WAIT_ITEM = block(("W", wait(path="$")))


def iterations(done: Any) -> list[tuple[str, int, float]]:
    """(event type, item index, virtual second) of every MapIteration* event."""
    return [(e["type"], done.details(e)["index"], done.seconds(e))
            for e in done.events if e["type"].startswith("MapIteration")]


# -- items and data flow ------------------------------------------------------------------------


async def test_output_is_the_iteration_outputs_in_item_order():
    done = await run(machine({"M": map_state(WAIT_ITEM)}), [3, 1, 2])
    assert done.status == "SUCCEEDED"
    assert done.output == [3, 1, 2]
    assert done.seconds(done.first("MapStateExited")) == 3  # the items overlapped
    ends = [i for t, i, _ in iterations(done) if t == "MapIterationSucceeded"]
    assert ends == [1, 2, 0]


async def test_items_path_selects_the_array_in_the_effective_input():
    m = map_state(ECHO, InputPath="$.in", ItemsPath="$.list", ResultPath="$.out")
    done = await run(machine({"M": m}), {"in": {"list": ["a", "b"], "x": 1}})
    assert done.output == {"in": {"list": ["a", "b"], "x": 1}, "out": ["a", "b"]}
    assert done.details(done.first("MapStateStarted")) == {"length": 2}


async def test_items_path_must_point_to_an_array():
    done = await run(machine({"M": map_state(ECHO, ItemsPath="$.list")}), {"list": {"a": 1}})
    assert done.status == "FAILED"
    assert done.record.error == "States.Runtime"
    assert done.record.cause == PFX + 'Reference path "$.list" must point to array.'
    assert done.types == ["ExecutionStarted", "MapStateEntered", "ExecutionFailed"]


async def test_item_selector_sees_the_effective_input_as_dollar_and_the_item_in_the_context():
    selector = {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index",
                "tag.$": "$.tag", "const": 1}
    m = map_state(ECHO, ItemsPath="$.items", ItemSelector=selector)
    done = await run(machine({"M": m}), {"items": ["a", "b"], "tag": "t"})
    assert done.output == [{"value": "a", "index": 0, "tag": "t", "const": 1},
                           {"value": "b", "index": 1, "tag": "t", "const": 1}]


async def test_legacy_parameters_and_iterator_work_like_item_selector_and_item_processor():
    legacy = {"Type": "Map", "Iterator": ECHO, "End": True,
              "Parameters": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"}}
    done = await run(machine({"M": legacy}), ["x", "y"])
    assert done.output == [{"v": "x", "i": 0}, {"v": "y", "i": 1}]


async def test_an_empty_array_gives_an_empty_result():
    done = await run(machine({"M": map_state(ECHO)}), [])
    assert done.output == []
    assert done.types == ["ExecutionStarted", "MapStateEntered", "MapStateStarted",
                          "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]
    started = done.first("MapStateStarted")
    assert done.first("MapStateExited")["previousEventId"] == started["id"]


async def test_assign_result_selector_result_path_and_output_path():
    m = map_state(ECHO, ItemsPath="$.items", Assign={"all.$": "$"},
                  ResultSelector={"n.$": "States.ArrayLength($)"}, ResultPath="$.r",
                  OutputPath="$.r", Next="Read")
    read = {"Type": "Pass", "Parameters": {"all.$": "$all", "r.$": "$"}, "End": True}
    done = await run(machine({"M": m, "Read": read}), {"items": [4, 5]})
    assert done.output == {"all": [4, 5], "r": {"n": 2}}


# -- concurrency ------------------------------------------------------------------------------------


async def test_max_concurrency_one_runs_the_items_strictly_one_after_the_other():
    done = await run(machine({"M": map_state(WAIT_ITEM, MaxConcurrency=1)}), [2, 1, 3])
    assert iterations(done) == [
        ("MapIterationStarted", 0, 0), ("MapIterationSucceeded", 0, 2),
        ("MapIterationStarted", 1, 2), ("MapIterationSucceeded", 1, 3),
        ("MapIterationStarted", 2, 3), ("MapIterationSucceeded", 2, 6),
    ]
    assert done.output == [2, 1, 3]


@pytest.mark.parametrize(("field", "value"), [("MaxConcurrency", 2),
                                              ("MaxConcurrencyPath", "$limit")])
async def test_max_concurrency_bounds_the_iterations_in_flight(field: str, value: Any):
    init = {"Type": "Pass", "Assign": {"limit": "2"}, "Next": "M"}  # a string AWS accepts
    done = await run(machine({"Init": init, "M": map_state(WAIT_ITEM, **{field: value})}),
                     [4, 1, 3, 2, 1, 5])
    in_flight, peak = 0, 0
    for kind, _, _ in iterations(done):
        in_flight += 1 if kind == "MapIterationStarted" else -1
        peak = max(peak, in_flight)
    assert peak == 2
    assert done.output == [4, 1, 3, 2, 1, 5]
    # 0 (4 s) with 1 (1 s) then 2 (3 s); at 4 s: 3 (2 s) with 4 (1 s) then 5 (5 s): 10 s
    assert done.seconds(done.first("MapStateExited")) == 10


@pytest.mark.parametrize("value", ["NoNumber", {}, 1.5, -1, True])
async def test_a_max_concurrency_path_value_that_is_no_integer_fails(value: Any):
    m = map_state(ECHO, ItemsPath="$.v", MaxConcurrencyPath="$.m")
    done = await run(machine({"M": m}), {"m": value, "v": [1]})
    shown = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    assert done.record.error == "States.Runtime"
    assert done.record.cause == (
        PFX + f'The MaxConcurrencyPath field refers to value "{shown}" which is not a valid '
        "integer: $.m")
    assert done.types == ["ExecutionStarted", "MapStateEntered", "ExecutionFailed"]


async def test_ten_thousand_items_that_never_wait_run_without_a_task_each(
    monkeypatch: pytest.MonkeyPatch,
):
    created: list[Any] = []
    original = asyncio.TaskGroup.create_task
    monkeypatch.setattr(asyncio.TaskGroup, "create_task",
                        lambda self, coro, **kw: created.append(coro) or original(self, coro, **kw))
    processor = block(("I1", {"Type": "Pass", "Parameters": {"v.$": "$"}}),
                      ("I2", {"Type": "Pass", "OutputPath": "$.v"}))
    done = await run(machine({"M": map_state(processor, ItemsPath="$.items")}),
                     {"items": list(range(10_000))})
    assert done.output == list(range(10_000))
    assert len(done.of("MapIterationSucceeded")) == 10_000
    assert not [coro for coro in created if isinstance(coro, Suspended)]  # only the execution


# -- events and previousEventId -----------------------------------------------------------------


async def test_causal_pointers_follow_the_recorded_rules():
    done = await run(machine({"M": map_state(ECHO, MaxConcurrency=1)}), ["a", "b"])
    started = done.first("MapStateStarted")
    first, second = done.of("MapIterationStarted")
    ok_first, ok_second = done.of("MapIterationSucceeded")
    exits = done.of("PassStateExited")
    assert started["previousEventId"] == done.first("MapStateEntered")["id"]
    assert first["previousEventId"] == started["id"]
    assert ok_first["previousEventId"] == exits[0]["id"]
    assert second["previousEventId"] == exits[0]["id"]  # MapIterationSucceeded did not move it
    assert done.first("MapStateSucceeded")["previousEventId"] == ok_second["id"]
    assert done.first("MapStateExited")["previousEventId"] == ok_second["id"]


# -- failures, retry, catch -------------------------------------------------------------------------

FAIL_ON_ZERO = block(
    ("C", {"Type": "Choice", "Default": "W",
           "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "F"}]}),
    ("F", {"Type": "Fail", "Error": "Boom", "Cause": "zero"}),
    ("W", wait(path="$")),
)


async def test_a_failing_iteration_aborts_the_others_then_the_map_fails_with_its_error():
    done = await run(machine({"M": map_state(FAIL_ON_ZERO)}), [5, 2, 0, 4])
    assert (done.status, done.record.error, done.record.cause) == ("FAILED", "Boom", "zero")
    tail = done.types[done.types.index("MapIterationFailed"):]
    assert tail == ["MapIterationFailed", "WaitStateAborted", "MapIterationAborted",
                    "WaitStateAborted", "MapIterationAborted", "MapStateFailed", "ExecutionFailed"]
    assert "MapIterationStarted" not in [t for t, i, _ in iterations(done) if i == 3]
    fail = done.first("FailStateEntered")
    assert done.first("MapIterationFailed")["previousEventId"] == fail["id"]
    assert done.first("MapStateFailed")["previousEventId"] == fail["id"]
    for aborted in done.of("MapIterationAborted"):
        assert done.by_id(aborted["previousEventId"])["type"] == "WaitStateAborted"


async def test_a_failure_after_waiting_aborts_the_iterations_still_waiting():
    late_failure = block(("W0", wait(path="$")), ("F0", {"Type": "Fail", "Error": "Late"}))
    done = await run(machine({"M": map_state(late_failure)}), [1, 10, 10])
    assert done.record.error == "Late"
    assert done.seconds(done.first("ExecutionFailed")) == 1
    assert len(done.of("MapIterationAborted")) == 2


async def test_retry_reruns_the_whole_map():
    m = map_state(FAIL_ON_ZERO, MaxConcurrency=1,
                  Retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 1}])
    done = await run(machine({"M": m}), [1, 0])
    starts = done.of("MapStateStarted")
    assert len(starts) == 3
    assert [done.seconds(s) for s in starts] == [0, 2, 5]  # 1 s wait, then back-offs 1 s and 2 s
    fails = done.of("FailStateEntered")
    assert [s["previousEventId"] for s in starts[1:]] == [f["id"] for f in fails[:2]]
    assert done.types.count("MapStateFailed") == 1


async def test_catch_leaves_through_the_catcher_and_its_assign_writes_the_outer_scope():
    m = map_state(FAIL_ON_ZERO, ItemsPath="$.items", Next="After", Catch=[
        {"ErrorEquals": ["States.ALL"], "Next": "After", "ResultPath": "$.err",
         "Assign": {"why.$": "$.Cause"}}])
    after = {"Type": "Pass", "Parameters": {"why.$": "$why", "err.$": "$.err"}, "End": True}
    done = await run(machine({"M": m, "After": after}), {"items": [0]})
    assert done.output == {"why": "zero", "err": {"Error": "Boom", "Cause": "zero"}}
    assert done.first("MapStateExited")["previousEventId"] == done.first("MapStateFailed")["id"]


async def test_a_task_timeout_inside_an_iteration_ends_only_that_iteration():
    processor = block(("T", Service.task("$", TimeoutSeconds=5, End=True, Catch=[
        {"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}])),
        ("TimedOut", {"Type": "Pass", "Result": "timed out", "End": True}))
    done = await run(machine({"M": map_state(processor)}), [10, 1], registry=Service.registry())
    assert done.status == "SUCCEEDED"
    assert done.output == ["timed out", {"slept": 1}]
    assert done.seconds(done.first("TaskTimedOut")) == 5
    assert done.seconds(done.first("MapStateExited")) == 5


async def test_stopping_the_execution_aborts_iterations_then_the_map():
    done = await run(machine({"M": map_state(WAIT_ITEM)}), [10, 20], stop_at=5)
    assert done.status == "ABORTED"
    assert sorted(done.types[-6:-2]) == ["MapIterationAborted", "MapIterationAborted",
                                         "WaitStateAborted", "WaitStateAborted"]
    assert done.types[-2:] == ["MapStateAborted", "ExecutionAborted"]


@pytest.mark.parametrize(("fields", "value", "cause"), [
    ({"ToleratedFailureCountPath": "$.t"}, "x",
     'The ToleratedFailureCountPath field refers to value "x" which is not a valid integer: $.t'),
    ({"ToleratedFailureCountPath": "$.t"}, -1, "ToleratedFailureCount cannot be negative."),
    ({"ToleratedFailurePercentagePath": "$.t"}, "x",
     'The ToleratedFailurePercentagePath field refers to value "x" which is not a valid float: $.t'),
    ({"ToleratedFailurePercentagePath": "$.t"}, 101,
     "ToleratedFailurePercentage must be between 0 and 100."),
])
async def test_bad_tolerated_failure_values_fail_after_map_state_started(
    fields: dict[str, str], value: Any, cause: str,
):
    done = await run(machine({"M": map_state(ECHO, ItemsPath="$.v", **fields)}),
                     {"t": value, "v": [1]})
    assert (done.record.error, done.record.cause) == ("States.Runtime", PFX + cause)
    assert done.types[-3:] == ["MapStateStarted", "MapStateFailed", "ExecutionFailed"]


# -- variable scopes ----------------------------------------------------------------------------


async def test_iterations_read_outer_variables_and_are_isolated_from_each_other():
    processor = block(
        ("Check", {"Type": "Choice", "Default": "Mine",
                   "Choices": [{"Variable": "$mine", "IsPresent": True, "Next": "Sibling"}]}),
        ("Sibling", {"Type": "Pass", "Result": "saw a sibling's variable", "End": True}),
        ("Mine", {"Type": "Pass", "Assign": {"mine.$": "$"},
                  "Parameters": {"outer.$": "$outer", "item.$": "$"}, "End": True}),
    )
    states = {
        "Init": {"Type": "Pass", "Assign": {"outer": "o"}, "Next": "M"},
        "M": map_state(processor, MaxConcurrency=1, Next="After"),
        "After": {"Type": "Choice", "Default": "Clean",
                  "Choices": [{"Variable": "$mine", "IsPresent": True, "Next": "Leaked"}]},
        "Leaked": {"Type": "Fail", "Error": "Leaked"},
        "Clean": {"Type": "Pass", "End": True},
    }
    done = await run(machine(states), [1, 2])
    assert done.status == "SUCCEEDED"
    assert done.output == [{"outer": "o", "item": 1}, {"outer": "o", "item": 2}]


# -- distributed mode ---------------------------------------------------------------------------

DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}


def distributed(states: dict[str, Any], start: str, **fields: Any) -> dict[str, Any]:
    processor = {"ProcessorConfig": DISTRIBUTED, "StartAt": start, "States": states}
    return map_state(processor, **fields)


async def test_a_distributed_map_records_a_map_run_instead_of_iterations():
    m = distributed({"D": {"Type": "Pass", "End": True}}, "D", Label="Lbl")
    done = await run(machine({"M": m}), [1, 2, 3])
    assert done.output == [1, 2, 3]
    assert done.types == ["ExecutionStarted", "MapStateEntered", "MapStateStarted",
                          "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded",
                          "MapStateExited", "ExecutionSucceeded"]
    arn = done.details(done.first("MapRunStarted"))["mapRunArn"]
    assert arn.startswith("arn:aws:states:us-east-1:111111111111:mapRun:sm/Lbl:")
    run_started = done.first("MapRunStarted")
    assert done.first("MapStateExited")["previousEventId"] == run_started["id"]


async def test_distributed_children_cannot_read_the_parents_variables():
    child = {"Read": {"Type": "Pass", "Parameters": {"v.$": "$outer"}, "End": True}}
    states = {"Init": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "M"},
              "M": distributed(child, "Read")}
    done = await run(machine(states), [1])
    assert (done.record.error, done.record.cause) == (THRESHOLD_ERROR, THRESHOLD_CAUSE)
    assert done.types[-4:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed",
                               "ExecutionFailed"]


async def test_distributed_failures_within_the_tolerated_count_are_kept_as_error_outputs():
    states = {"C": {"Type": "Choice", "Default": "Ok",
                    "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "F"}]},
              "F": {"Type": "Fail", "Error": "E", "Cause": "c"},
              "Ok": {"Type": "Pass", "End": True}}
    done = await run(machine({"M": distributed(states, "C", ToleratedFailureCount=1)}), [0, 1])
    assert done.output == [{"Error": "E", "Cause": "c"}, 1]
    too_many = await run(machine({"M": distributed(states, "C", ToleratedFailureCount=1)}),
                         [0, 0, 1])
    assert too_many.record.error == THRESHOLD_ERROR


async def test_item_batcher_groups_the_selected_items():
    m = distributed({"D": {"Type": "Pass", "End": True}}, "D",
                    ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"b.$": "$.tag"}},
                    ItemsPath="$.items", ItemSelector={"v.$": "$$.Map.Item.Value"})
    done = await run(machine({"M": m}), {"items": [1, 2, 3], "tag": "t"})
    assert done.output == [{"BatchInput": {"b": "t"}, "Items": [{"v": 1}, {"v": 2}]},
                           {"BatchInput": {"b": "t"}, "Items": [{"v": 3}]}]


# -- AWS-recorded cases -----------------------------------------------------------------------------

STRICT = ("status", "error", "cause", "event_types")


@pytest.mark.parametrize("case", pure_jsonpath_cases("Map"))
async def test_recorded_map_cases_match_aws(case: dict[str, Any]):
    history = await replay(case)
    assert compare().compare_case(case, history=history, levels=STRICT) == []
    full = compare().compare_case(case, history=history, levels=("output", "events"))
    known = explain_known(case, full)
    if known:
        pytest.xfail(known)
    assert full == []
