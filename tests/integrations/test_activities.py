"""Activities: the API, GetActivityTask long polling, the Activity events, timeouts (§10.6, §13)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.errors import ServiceError

ACCOUNT = "111111111111"
ACTIVITY = f"arn:aws:states:us-east-1:{ACCOUNT}:activity:"
SETTINGS = EngineSettings(region="us-east-1", account=ACCOUNT, seed=9)


def machine(arn: str, **fields: Any) -> dict[str, Any]:
    return {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": arn, "End": True,
                                                   **fields}}}


def details(events: list[dict[str, Any]], type_: str) -> dict[str, Any] | None:
    (event,) = [e for e in events if e["type"] == type_]
    return next((v for k, v in event.items() if k.endswith("EventDetails")), None)


async def error_of(awaitable: Any) -> tuple[str, str]:
    with pytest.raises(ServiceError) as exc:
        await awaitable
    return exc.value.code, exc.value.message


async def test_create_describe_list_delete():
    async with Engine(clock=VirtualClock(), settings=SETTINGS) as engine:
        created = await engine.create_activity("worker")
        assert created.arn == ACTIVITY + "worker"
        assert (await engine.create_activity("worker")) is created  # idempotent
        await engine.create_activity("another")
        described = (await engine.describe_activity(created.arn)).to_aws()
        assert described["name"] == "worker"
        assert described["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}
        assert [a.name for a in await engine.list_activities()] == ["another", "worker"]
        await engine.delete_activity(created.arn)
        await engine.delete_activity(created.arn)  # idempotent
        assert await error_of(engine.describe_activity(created.arn)) == (
            "ActivityDoesNotExist", f"Activity Does Not Exist: '{ACTIVITY}worker'")
        assert await error_of(engine.get_activity_task(created.arn)) == (
            "ActivityDoesNotExist", f"Activity Does Not Exist: '{ACTIVITY}worker'")


async def test_invalid_names_and_arns():
    async with Engine(clock=VirtualClock(), settings=SETTINGS) as engine:
        assert await error_of(engine.create_activity("a b")) == ("InvalidName", "Invalid Name: 'a b'")
        code, _ = await error_of(engine.describe_activity("not-an-arn"))
        assert code == "InvalidArn"
        code, _ = await error_of(engine.get_activity_task(f"{ACTIVITY[:-9]}stateMachine:x"))
        assert code == "InvalidArn"


async def test_get_activity_task_waits_60_seconds_then_returns_nothing():
    clock = VirtualClock()
    async with Engine(clock=clock, settings=SETTINGS) as engine:
        arn = (await engine.create_activity("idle")).arn
        start = clock.now()
        assert await engine.get_activity_task(arn, "w") == {}
        assert clock.now() - start == 60


async def test_round_trip_records_the_activity_events():
    clock = VirtualClock()
    async with Engine(clock=clock, settings=SETTINGS) as engine:
        arn = (await engine.create_activity("doubler")).arn
        sm = await engine.create_state_machine("sm", machine(arn, HeartbeatSeconds=30,
                                                             TimeoutSeconds=60))
        ex = await engine.start_execution(sm.arn, '{"n": 21}')
        task = await engine.get_activity_task(arn, "w1")
        assert json.loads(task["input"]) == {"n": 21}
        await engine.send_task_heartbeat(task["taskToken"])
        await engine.send_task_success(task["taskToken"], json.dumps({"n": 42}))
        record = await engine.wait(ex.arn)
        events = await engine.history_events(ex.arn)
        with pytest.raises(ServiceError) as exc:
            await engine.send_task_success(task["taskToken"], "{}")
    assert exc.value.code == "TaskTimedOut"
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
        "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"]
    scheduled = details(events, "ActivityScheduled")
    assert scheduled is not None and json.loads(scheduled.pop("input")) == {"n": 21}
    assert scheduled == {"resource": arn, "inputDetails": {"truncated": False},
                         "timeoutInSeconds": 60, "heartbeatInSeconds": 30}
    assert details(events, "ActivityStarted") == {"workerName": "w1"}
    assert details(events, "ActivitySucceeded") == {"output": '{"n":42}',
                                                    "outputDetails": {"truncated": False}}
    assert json.loads(record.output) == {"n": 42}


async def test_a_waiting_poller_gets_a_task_scheduled_later():
    clock = VirtualClock()
    async with Engine(clock=clock, settings=SETTINGS) as engine:
        arn = (await engine.create_activity("later")).arn
        sm = await engine.create_state_machine("sm", {"StartAt": "Wait", "States": {
            "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Work"},
            "Work": {"Type": "Task", "Resource": arn, "End": True}}})
        start = clock.now()
        ex = await engine.start_execution(sm.arn, {"x": 1})
        task = await engine.get_activity_task(arn)
        assert clock.now() - start == 30
        await engine.send_task_failure(task["taskToken"], "Oops", "bad input")
        record = await engine.wait(ex.arn)
        events = await engine.history_events(ex.arn)
    assert details(events, "ActivityStarted") == {}  # AWS records empty details (conformance)
    assert details(events, "ActivityFailed") == {"error": "Oops", "cause": "bad input"}
    assert (record.status, record.error, record.cause) == ("FAILED", "Oops", "bad input")


async def test_timeout_starts_when_a_worker_takes_the_task():
    clock = VirtualClock()
    async with Engine(clock=clock, settings=SETTINGS) as engine:
        arn = (await engine.create_activity("slow")).arn
        sm = await engine.create_state_machine("sm", machine(arn, TimeoutSeconds=5))
        ex = await engine.start_execution(sm.arn)
        await clock.sleep_until(clock.now() + 100)  # nobody polls for 100 s: the task waits
        assert (await engine.describe_execution(ex.arn)).status == "RUNNING"
        await engine.get_activity_task(arn, "late-worker")
        record = await engine.wait(ex.arn)
        events = await engine.history_events(ex.arn)
    timed_out = next(e for e in events if e["type"] == "ActivityTimedOut")
    started = next(e for e in events if e["type"] == "ActivityStarted")
    assert timed_out["timestamp"].timestamp() - started["timestamp"].timestamp() == 5
    assert details(events, "ActivityTimedOut") == {"error": "States.Timeout"}
    assert (record.status, record.error, record.cause) == ("FAILED", "States.Timeout", None)


async def test_missed_heartbeat_times_the_activity_out():
    clock = VirtualClock()
    async with Engine(clock=clock, settings=SETTINGS) as engine:
        arn = (await engine.create_activity("beating")).arn
        sm = await engine.create_state_machine("sm", machine(arn, HeartbeatSeconds=10))
        ex = await engine.start_execution(sm.arn)
        task = await engine.get_activity_task(arn)
        await clock.sleep_until(clock.now() + 8)
        await engine.send_task_heartbeat(task["taskToken"])
        await clock.sleep_until(clock.now() + 8)
        assert (await engine.describe_execution(ex.arn)).status == "RUNNING"
        record = await engine.wait(ex.arn)
    assert record.error == "States.Timeout"


async def test_a_deleted_activity_is_a_runtime_error():
    async with Engine(clock=VirtualClock(), settings=SETTINGS) as engine:
        arn = (await engine.create_activity("gone")).arn
        sm = await engine.create_state_machine("sm", {"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": arn, "Next": "Caught",
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
            "Caught": {"Type": "Pass", "End": True}}})
        await engine.delete_activity(arn)
        record = await engine.wait((await engine.start_execution(sm.arn)).arn)
        events = await engine.history_events(record.arn)
    assert [e["type"] for e in events] == ["ExecutionStarted", "TaskStateEntered",
                                           "ExecutionFailed"]
    assert record.error == "States.Runtime"
    assert record.cause == ("An error occurred while executing the state 'Work' (entered at the "
                            f"event id #2). The activity {arn} does not exist.")


async def test_a_stopped_execution_withdraws_its_queued_task():
    clock = VirtualClock(autojump=False)
    async with Engine(clock=clock, settings=SETTINGS) as engine:
        arn = (await engine.create_activity("queue")).arn
        sm = await engine.create_state_machine("sm", machine(arn))
        ex = await engine.start_execution(sm.arn)
        for _ in range(20):
            await asyncio.sleep(0)
        await engine.stop_execution(ex.arn)
        poll = asyncio.ensure_future(engine.get_activity_task(arn))
        for _ in range(20):
            await asyncio.sleep(0)
        clock.advance(60)
        assert await poll == {}
