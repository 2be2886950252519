"""An execution's life: started → states → succeeded / failed / timed out / aborted (§12, §13)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sfnlocal.engine import Engine, VirtualClock

START = VirtualClock.DEFAULT_START
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "Next": "P"},
                                   "P": {"Type": "Pass", "End": True}}}


def brief(events: list[dict[str, Any]]) -> list[tuple[str, int, int, float]]:
    """(type, id, previousEventId, seconds since the start) of each event."""
    return [(e["type"], e["id"], e["previousEventId"], e["timestamp"].timestamp() - START)
            for e in events]


async def test_success_history_and_record() -> None:
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("m", WAIT)
        ex = await engine.start_execution(sm.arn, {"k": "v"})
        record = await engine.wait(ex.arn)
        events = await engine.history_events(ex.arn)
    assert brief(events) == [
        ("ExecutionStarted", 1, 0, 0), ("WaitStateEntered", 2, 0, 0), ("WaitStateExited", 3, 2, 600),
        ("PassStateEntered", 4, 3, 600), ("PassStateExited", 5, 4, 600),
        ("ExecutionSucceeded", 6, 5, 600),
    ]
    assert events[-1]["executionSucceededEventDetails"] == {
        "output": '{"k":"v"}', "outputDetails": {"truncated": False}}
    assert (record.status, record.start_date, record.stop_date) == ("SUCCEEDED", START, START + 600)


async def test_stop_while_waiting() -> None:
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("m", WAIT)
        ex = await engine.start_execution(sm.arn)
        await asyncio.sleep(0)  # let it enter the Wait
        record = await engine.stop_execution(ex.arn, cause="enough")
        events = await engine.history_events(ex.arn)
    assert brief(events) == [
        ("ExecutionStarted", 1, 0, 0), ("WaitStateEntered", 2, 0, 0), ("ExecutionAborted", 3, 0, 0),
    ]
    assert events[-1]["executionAbortedEventDetails"] == {"cause": "enough"}
    assert (record.status, record.error, record.cause, record.stop_date) == (
        "ABORTED", None, "enough", START)


async def test_stop_before_the_execution_first_ran() -> None:
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("m", WAIT)
        ex = await engine.start_execution(sm.arn)
        record = await engine.stop_execution(ex.arn)
        events = await engine.history_events(ex.arn)
    assert [e["type"] for e in events] == ["ExecutionStarted", "ExecutionAborted"]
    assert record.status == "ABORTED"


async def test_stopping_leaves_the_engine_task_group_healthy() -> None:
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("m", WAIT)
        stopped = await engine.start_execution(sm.arn, name="stopped")
        await asyncio.sleep(0)
        await engine.stop_execution(stopped.arn)
        # The stop was the execution's own cancellation: nothing else is cancelled with it.
        current = asyncio.current_task()
        assert current is not None and current.cancelling() == 0
        later = await engine.start_execution(sm.arn, name="later")
        assert (await engine.wait(later.arn)).status == "SUCCEEDED"


async def test_timeout_closes_with_execution_timed_out() -> None:
    definition = {**WAIT, "TimeoutSeconds": 5}
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("m", definition)
        ex = await engine.start_execution(sm.arn)
        record = await engine.wait(ex.arn)
        events = await engine.history_events(ex.arn)
    assert brief(events) == [
        ("ExecutionStarted", 1, 0, 0), ("WaitStateEntered", 2, 0, 0), ("ExecutionTimedOut", 3, 2, 5),
    ]
    # Recorded DescribeExecution of a timed-out execution (timeouts_test_global_timeout): no error.
    shape = record.to_aws()
    assert shape["status"] == "TIMED_OUT" and "error" not in shape and "cause" not in shape
    assert record.stop_date == START + 5


async def test_finishing_before_the_timeout_disarms_it() -> None:
    definition = {**WAIT, "TimeoutSeconds": 700}
    clock = VirtualClock()
    async with Engine(clock=clock) as engine:
        sm = await engine.create_state_machine("m", definition)
        ex = await engine.start_execution(sm.arn)
        record = await engine.wait(ex.arn)
    assert record.status == "SUCCEEDED"
    assert clock.pending == 0
    assert clock.now() == START + 600


async def test_failure_closes_with_execution_failed() -> None:
    definition = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("m", definition)
        ex = await engine.start_execution(sm.arn)
        record = await engine.wait(ex.arn)
        events = await engine.history_events(ex.arn)
    assert brief(events) == [
        ("ExecutionStarted", 1, 0, 0), ("FailStateEntered", 2, 0, 0), ("ExecutionFailed", 3, 2, 0),
    ]
    assert events[-1]["executionFailedEventDetails"] == {"error": "E", "cause": "C"}
    assert (record.status, record.error, record.cause) == ("FAILED", "E", "C")


async def test_started_event_carries_input_and_role() -> None:
    role = "arn:aws:iam::123456789012:role/custom"
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("m", WAIT, role_arn=role)
        ex = await engine.start_execution(sm.arn, '{"a":1}')
        await engine.wait(ex.arn)
        first = (await engine.history_events(ex.arn))[0]
    assert first["executionStartedEventDetails"] == {
        "input": '{"a":1}', "inputDetails": {"truncated": False}, "roleArn": role}


async def test_many_executions_wait_concurrently_on_one_clock() -> None:
    clock = VirtualClock()
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}}
    async with Engine(clock=clock) as engine:
        sm = await engine.create_state_machine("m", definition)
        started = [await engine.start_execution(sm.arn, {"s": s}) for s in (30, 10, 20)]
        records = [await engine.wait(ex.arn) for ex in started]
    assert [r.stop_date for r in records] == [START + 30, START + 10, START + 20]
    assert clock.now() == START + 30


@pytest.mark.parametrize("status", ["SUCCEEDED", "FAILED"])
async def test_the_store_sees_the_closed_record(status: str) -> None:
    end = {"Type": "Succeed"} if status == "SUCCEEDED" else {"Type": "Fail", "Error": "E"}
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("m", {"StartAt": "X", "States": {"X": end}})
        ex = await engine.start_execution(sm.arn)
        await engine.wait(ex.arn)
        stored = engine.store.get_execution(ex.arn)
    assert stored is not None and stored.status == status
