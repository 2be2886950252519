"""The Parallel state (checklist §4.8, §3.1, §5, §7, §12): data flow, events, failures, retry, scopes.

Expected values come from the checklist (AWS's documented and observed behaviour) and from the
AWS-recorded conformance cases, which the last tests replay through the Engine.
"""

from __future__ import annotations

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

from sfnlocal.states.composite import copy_json

PASS_END = {"Type": "Pass", "End": True}


def parallel(*branches: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"Type": "Parallel", "Branches": list(branches), "End": True, **fields}


def result_branch(value: Any) -> dict[str, Any]:
    """A branch whose one Pass state (named after the value: names are machine-wide) gives it."""
    return block((f"R{json.dumps(value)}", {"Type": "Pass", "Result": value}))


# -- data flow ----------------------------------------------------------------------------------


async def test_output_is_the_branch_outputs_in_branch_order_whatever_finishes_first():
    slow = block(("Slow", wait(5)), ("A", {"Type": "Pass", "Result": "a"}))
    fast = block(("Fast", wait(1)), ("B", {"Type": "Pass", "Result": "b"}))
    done = await run(machine({"P": parallel(slow, fast, result_branch("c"))}))
    assert done.status == "SUCCEEDED"
    assert done.output == ["a", "b", "c"]
    assert done.seconds(done.of("ParallelStateExited")[0]) == 5  # the branches overlapped


async def test_every_branch_gets_the_effective_input_after_inputpath_and_parameters():
    p = parallel(block(("E1", {"Type": "Pass"})), block(("E2", {"Type": "Pass"})),
                 InputPath="$.in", Parameters={"v.$": "$.x", "k": 1})
    done = await run(machine({"P": p}), {"in": {"x": 7}, "other": 0})
    assert done.output == [{"v": 7, "k": 1}, {"v": 7, "k": 1}]
    entered = [done.data(e, "input") for e in done.of("PassStateEntered")]
    assert entered == [{"v": 7, "k": 1}, {"v": 7, "k": 1}]


async def test_result_selector_result_path_and_output_path_apply_to_the_array():
    p = parallel(result_branch(1), result_branch(2),
                 ResultSelector={"first.$": "$[0]", "all.$": "$"}, ResultPath="$.r",
                 OutputPath="$.r")
    done = await run(machine({"P": p}), {"keep": True})
    assert done.output == {"first": 1, "all": [1, 2]}


async def test_assign_sees_the_raw_result_before_result_selector():
    p = parallel(result_branch(1), result_branch(2), ResultSelector={"n.$": "$[1]"},
                 Assign={"raw.$": "$", "second.$": "$[1]"}, Next="Read")
    p.pop("End")
    read = {"Type": "Pass", "Parameters": {"raw.$": "$raw", "second.$": "$second", "out.$": "$"},
            "End": True}
    done = await run(machine({"P": p, "Read": read}))
    assert done.output == {"raw": [1, 2], "second": 2, "out": {"n": 2}}
    exited = done.first("ParallelStateExited")
    assert done.details(exited)["assignedVariables"] == {"raw": "[1,2]", "second": "2"}


def test_branch_inputs_are_deep_copies():
    value = {"a": [1, {"b": 2}], "s": "x"}
    copy = copy_json(value)
    assert copy == value
    assert copy is not value and copy["a"] is not value["a"] and copy["a"][1] is not value["a"][1]


# -- events and previousEventId -------------------------------------------------------------------


async def test_event_sequence_and_causal_pointers_of_a_successful_parallel():
    done = await run(machine({"P": parallel(result_branch(0), result_branch(1))}))
    assert done.types == [
        "ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted",
        "PassStateEntered", "PassStateExited", "PassStateEntered", "PassStateExited",
        "ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded",
    ]
    entered, started = done.first("ParallelStateEntered"), done.first("ParallelStateStarted")
    assert entered["previousEventId"] == 0  # first state after ExecutionStarted
    assert started["previousEventId"] == entered["id"]
    for branch_start in done.of("PassStateEntered"):
        assert branch_start["previousEventId"] == started["id"]
    last_branch_event = done.of("PassStateExited")[-1]
    succeeded, exited = done.first("ParallelStateSucceeded"), done.first("ParallelStateExited")
    # ParallelStateSucceeded does not move the causal pointer
    assert succeeded["previousEventId"] == last_branch_event["id"]
    assert exited["previousEventId"] == last_branch_event["id"]
    assert done.first("ExecutionSucceeded")["previousEventId"] == exited["id"]


async def test_nested_parallels_record_their_own_events():
    inner = block(("Inner", parallel(result_branch("x"))))
    done = await run(machine({"Outer": parallel(inner, result_branch("y"))}))
    assert done.output == [["x"], "y"]
    assert done.types.count("ParallelStateStarted") == 2
    inner_entered = next(e for e in done.of("ParallelStateEntered")
                         if done.details(e)["name"] == "Inner")
    assert inner_entered["previousEventId"] == done.first("ParallelStateStarted")["id"]


# -- failures ---------------------------------------------------------------------------------------


def failing_branch(after: int) -> dict[str, Any]:
    return block(("Before", wait(after)),
                 ("Boom", {"Type": "Fail", "Error": "FailureType", "Cause": "why"}))


async def test_a_failing_branch_aborts_the_others_and_fails_with_its_own_error():
    waiting = block(("Long", wait(10)))
    done = await run(machine({"P": parallel(waiting, failing_branch(1))}))
    assert done.status == "FAILED"
    assert (done.record.error, done.record.cause) == ("FailureType", "why")  # not BranchFailed
    assert done.types[-4:] == ["FailStateEntered", "WaitStateAborted", "ParallelStateFailed",
                               "ExecutionFailed"]
    fail_entered = done.first("FailStateEntered")
    aborted = done.first("WaitStateAborted")
    assert aborted["previousEventId"] == done.first("WaitStateEntered")["id"]
    assert done.first("ParallelStateFailed")["previousEventId"] == fail_entered["id"]
    assert done.seconds(done.first("ExecutionFailed")) == 1  # the long wait was cut short


async def test_a_branch_failing_at_once_does_not_keep_the_others_from_starting():
    at_once = block(("Now", {"Type": "Fail", "Error": "Now"}))
    done = await run(machine({"P": parallel(at_once, block(("Later", wait(3))))}))
    assert done.record.error == "Now"
    started = done.first("ParallelStateStarted")
    assert done.first("WaitStateEntered")["previousEventId"] == started["id"]
    assert done.types[-3:] == ["WaitStateAborted", "ParallelStateFailed", "ExecutionFailed"]
    assert done.first("ParallelStateFailed")["previousEventId"] == done.first("FailStateEntered")["id"]


async def test_a_task_that_fails_a_branch_is_recorded_as_aborted_after_its_failure():
    failing = block(("T", Service.task("fail")))
    done = await run(machine({"P": parallel(failing, block(("W", wait(2))))}),
                     registry=Service.registry())
    assert done.record.error == "Service.Failed"
    task_events = [t for t in done.types if t.startswith("Task")]
    assert task_events == ["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed",
                           "TaskStateAborted"]
    assert done.after(done.first("TaskFailed"))["type"] == "TaskStateAborted"


async def test_catch_takes_the_branch_error_and_its_assign_writes_the_outer_scope():
    p = parallel(failing_branch(0), result_branch(1),
                 Catch=[{"ErrorEquals": ["FailureType"], "Next": "After", "ResultPath": "$.error",
                         "Assign": {"caught.$": "$.Error"}}])
    p.pop("End")
    p["Next"] = "After"
    after = {"Type": "Pass", "Parameters": {"caught.$": "$caught", "in.$": "$"}, "End": True}
    done = await run(machine({"P": p, "After": after}), {"k": 1})
    assert done.status == "SUCCEEDED"
    assert done.output == {"caught": "FailureType",
                           "in": {"k": 1, "error": {"Error": "FailureType", "Cause": "why"}}}
    failed, exited = done.first("ParallelStateFailed"), done.first("ParallelStateExited")
    assert exited["previousEventId"] == failed["id"]
    assert done.details(exited)["assignedVariables"] == {"caught": '"FailureType"'}


async def test_retry_reruns_every_branch_from_scratch():
    counted = block(("Count", {"Type": "Pass", "Result": "ok"}))
    p = parallel(counted, failing_branch(0),
                 Retry=[{"ErrorEquals": ["FailureType"], "MaxAttempts": 2, "IntervalSeconds": 3,
                         "BackoffRate": 2}])
    done = await run(machine({"P": p}))
    assert done.status == "FAILED"
    starts = done.of("ParallelStateStarted")
    assert len(starts) == 3
    assert [done.seconds(e) for e in starts] == [0, 3, 9]  # 3 s, then 3 s times the back-off rate 2
    assert len(done.of("PassStateEntered")) == 3  # the branch that succeeded ran again each time
    fails = done.of("FailStateEntered")
    # a retry's ParallelStateStarted follows the last event of the branch that failed
    assert [s["previousEventId"] for s in starts[1:]] == [f["id"] for f in fails[:2]]
    assert done.types.count("ParallelStateFailed") == 1
    assert done.types[-2:] == ["ParallelStateFailed", "ExecutionFailed"]


async def test_runtime_errors_before_the_branches_start_fail_the_execution_directly():
    done = await run(machine({"P": parallel(result_branch(1), InputPath="$.missing")}), {})
    assert done.status == "FAILED"
    assert done.record.error == "States.Runtime"
    assert done.types == ["ExecutionStarted", "ParallelStateEntered", "ExecutionFailed"]
    assert done.record.cause.startswith(
        "An error occurred while executing the state 'P' (entered at the event id #2). ")


async def test_stopping_the_execution_aborts_branches_then_the_parallel():
    done = await run(machine({"P": parallel(block(("W1", wait(10))), block(("W2", wait(20))))}),
                     stop_at=4)
    assert done.status == "ABORTED"
    assert done.types[-4:] == ["WaitStateAborted", "WaitStateAborted", "ParallelStateAborted",
                               "ExecutionAborted"]


# -- variable scopes ----------------------------------------------------------------------------


async def test_branches_read_outer_variables_and_are_isolated_from_each_other():
    def probe(value: str) -> dict[str, Any]:
        return block(
            ("Check" + value, {"Type": "Choice", "Default": "Mine" + value,
                               "Choices": [{"Variable": "$mine", "IsPresent": True,
                                            "Next": "Sibling" + value}]}),
            ("Sibling" + value, {"Type": "Pass", "Result": "saw a sibling's variable",
                                 "End": True}),
            ("Mine" + value, {"Type": "Pass", "Assign": {"mine": value},
                              "Parameters": {"outer.$": "$outer", "mine": value}, "End": True}),
        )

    states = {
        "Init": {"Type": "Pass", "Assign": {"outer": "o"}, "Next": "P"},
        "P": {**parallel(probe("a"), probe("b")), "End": False, "Next": "After"},
        "After": {"Type": "Choice", "Default": "Clean",
                  "Choices": [{"Variable": "$mine", "IsPresent": True, "Next": "Leaked"}]},
        "Leaked": {"Type": "Fail", "Error": "Leaked"},
        "Clean": {"Type": "Pass", "End": True},
    }
    states["P"].pop("End")
    done = await run(machine(states))
    assert done.status == "SUCCEEDED"
    assert done.output == [{"outer": "o", "mine": "a"}, {"outer": "o", "mine": "b"}]


# -- AWS-recorded cases -----------------------------------------------------------------------------

STRICT = ("status", "error", "cause", "event_types")


@pytest.mark.parametrize("case", pure_jsonpath_cases("Parallel"))
async def test_recorded_parallel_cases_match_aws(case: dict[str, Any]):
    history = await replay(case)
    assert compare().compare_case(case, history=history, levels=STRICT) == []
    full = compare().compare_case(case, history=history, levels=("output", "events"))
    known = explain_known(case, full)
    if known:
        pytest.xfail(known)
    assert full == []
