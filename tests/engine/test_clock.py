"""Clocks: the virtual clock's autojump, manual advance, busy hold, timers and cancellation."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from typing import Any

import pytest

from sfnlocal.asl import compile_definition
from sfnlocal.asl.model import Retrier
from sfnlocal.engine import Engine, SystemClock, VirtualClock
from sfnlocal.engine.clock import iso_millis
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import History
from sfnlocal.engine.runtime import ExecutionIdentity, ExecutionRuntime
from sfnlocal.errors import StatesError
from sfnlocal.integrations.base import Registry
from sfnlocal.states.retry import run_with_retry

START = 1767225600.0  # 2026-01-01T00:00:00Z


def test_default_start_is_2026_01_01_utc() -> None:
    assert VirtualClock().now() == START
    assert iso_millis(VirtualClock().now()) == "2026-01-01T00:00:00.000Z"
    assert VirtualClock(100.0).now() == 100.0


def test_iso_millis_has_three_fraction_digits_and_z() -> None:
    # Checklist §2.2: service timestamps are YYYY-MM-DDThh:mm:ss.mmmZ.
    assert iso_millis(1457920740.5) == "2016-03-14T01:59:00.500Z"
    assert iso_millis(1457920740.0999) == "2016-03-14T01:59:00.099Z"


async def test_sleep_jumps_straight_to_the_deadline() -> None:
    clock = VirtualClock()
    await clock.sleep_until(START + 86400)
    assert clock.now() == START + 86400


async def test_past_deadline_returns_without_moving_time() -> None:
    clock = VirtualClock()
    await clock.sleep_until(START - 10)
    await clock.sleep_until(START)
    assert clock.now() == START
    assert clock.pending == 0


async def test_sleepers_wake_in_deadline_order_ties_in_arrival_order() -> None:
    clock = VirtualClock()
    woke: list[tuple[str, float]] = []

    async def sleeper(label: str, delay: float) -> None:
        await clock.sleep_until(START + delay)
        woke.append((label, clock.now()))

    async with asyncio.TaskGroup() as group:
        for label, delay in (("c", 30), ("a", 10), ("b1", 20), ("b2", 20), ("d", 0.5)):
            group.create_task(sleeper(label, delay))
    assert woke == [
        ("d", START + 0.5), ("a", START + 10), ("b1", START + 20), ("b2", START + 20),
        ("c", START + 30),
    ]


async def test_no_jump_while_other_work_is_runnable() -> None:
    clock = VirtualClock()
    seen: list[float] = []

    async def busy_worker() -> None:
        for _ in range(200):
            seen.append(clock.now())
            await asyncio.sleep(0)

    async with asyncio.TaskGroup() as group:
        group.create_task(clock.sleep_until(START + 5))
        group.create_task(busy_worker())
    assert set(seen) == {START}
    assert clock.now() == START + 5


async def test_a_cancelled_timer_never_moves_the_clock() -> None:
    clock = VirtualClock()
    short = asyncio.create_task(clock.sleep_until(START + 10))
    long = asyncio.create_task(clock.sleep_until(START + 100))
    await asyncio.sleep(0)
    short.cancel()
    await long
    assert clock.now() == START + 100
    assert short.cancelled()


async def test_all_timers_cancelled_leaves_time_alone() -> None:
    clock = VirtualClock()
    task = asyncio.create_task(clock.sleep_until(START + 10))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(10):
        await asyncio.sleep(0)
    assert clock.now() == START
    assert clock.pending == 0


async def test_call_at_runs_callbacks_in_order_and_can_be_cancelled() -> None:
    clock = VirtualClock()
    calls: list[tuple[str, float]] = []
    clock.call_at(START + 2, lambda: calls.append(("two", clock.now())))
    dropped = clock.call_at(START + 1, lambda: calls.append(("dropped", clock.now())))
    clock.call_at(START + 3, lambda: calls.append(("three", clock.now())))
    dropped.cancel()
    await clock.sleep_until(START + 10)
    assert calls == [("two", START + 2), ("three", START + 3)]


async def test_call_at_a_past_deadline_runs_soon() -> None:
    clock = VirtualClock()
    called = asyncio.Event()
    clock.call_at(START - 1, called.set)
    await called.wait()
    assert clock.now() == START


async def test_advance_by_hand_without_autojump() -> None:
    clock = VirtualClock(autojump=False)
    task = asyncio.create_task(clock.sleep_until(START + 10))
    for _ in range(10):
        await asyncio.sleep(0)
    assert not task.done() and clock.now() == START
    clock.advance(4)
    await asyncio.sleep(0)
    assert not task.done() and clock.now() == START + 4
    clock.advance(6)
    await task
    assert clock.now() == START + 10


def test_advance_fires_due_callbacks_in_order_and_never_goes_back() -> None:
    clock = VirtualClock(autojump=False)
    with pytest.raises(ValueError):
        clock.advance(-1)

    async def scenario() -> list[float]:
        fired: list[float] = []
        clock.call_at(START + 3, lambda: fired.append(clock.now()))
        clock.call_at(START + 1, lambda: fired.append(clock.now()))
        clock.advance(5)
        return fired

    assert asyncio.run(scenario()) == [START + 1, START + 3]
    assert clock.now() == START + 5


async def test_busy_holds_the_clock_while_real_work_runs() -> None:
    clock = VirtualClock()
    fired = threading.Event()
    sleeper = asyncio.create_task(clock.sleep_until(START + 60))
    sleeper.add_done_callback(lambda _: fired.set())
    loop = asyncio.get_running_loop()
    async with clock.busy():
        # Real work in a thread: the loop is idle meanwhile, but busy() must keep time still.
        saw_fire = await loop.run_in_executor(None, fired.wait, 0.05)
        assert clock.now() == START
    assert saw_fire is False
    await sleeper
    assert clock.now() == START + 60


async def test_without_busy_the_clock_jumps_during_real_work() -> None:
    clock = VirtualClock()
    fired = threading.Event()
    sleeper = asyncio.create_task(clock.sleep_until(START + 60))
    sleeper.add_done_callback(lambda _: fired.set())
    loop = asyncio.get_running_loop()
    saw_fire = await loop.run_in_executor(None, fired.wait, 5.0)
    assert saw_fire is True
    assert clock.now() == START + 60


def test_one_clock_serves_successive_event_loops() -> None:
    clock = VirtualClock()
    asyncio.run(clock.sleep_until(START + 1))
    asyncio.run(clock.sleep_until(START + 2))
    assert clock.now() == START + 2


async def test_system_clock_follows_the_wall_clock() -> None:
    clock = SystemClock()
    assert abs(clock.now() - time.time()) < 1.0
    await clock.sleep_until(clock.now() - 1)  # the past: returns at once
    called = asyncio.Event()
    clock.call_at(clock.now() - 1, called.set)
    await called.wait()
    async with clock.busy():
        pass


# -- the engine on virtual time ---------------------------------------------------------------


async def test_a_day_long_wait_finishes_with_virtual_timestamps() -> None:
    definition = {
        "StartAt": "Day",
        "States": {
            "Day": {"Type": "Wait", "Seconds": 86400, "Next": "Hour"},
            "Hour": {"Type": "Wait", "Seconds": 3600, "End": True},
        },
    }
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("days", definition)
        started = await engine.start_execution(sm.arn)
        record = await engine.wait(started.arn)
        history = await engine.history_events(record.arn)
    stamps = [(e["type"], e["timestamp"].timestamp() - START) for e in history]
    assert stamps == [
        ("ExecutionStarted", 0), ("WaitStateEntered", 0), ("WaitStateExited", 86400),
        ("WaitStateEntered", 86400), ("WaitStateExited", 90000), ("ExecutionSucceeded", 90000),
    ]


def _runtime(clock: VirtualClock) -> tuple[ExecutionRuntime, Frame]:
    machine = compile_definition({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    identity = ExecutionIdentity(
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:m:e", name="e",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
        state_machine_name="m", role_arn="arn:aws:iam::123456789012:role/r",
        start_time=clock.now(), input={},
    )
    rt = ExecutionRuntime(identity, machine, clock, History(), random.Random(0), Registry())
    return rt, Frame(id="", block=machine.root, state="P", input={})


async def test_exponential_back_off_runs_on_virtual_time() -> None:
    # AWS: the first retry comes IntervalSeconds after the failure, each next one BackoffRate
    # times later: 1, 2, 4 seconds for IntervalSeconds 1, BackoffRate 2, MaxAttempts 3.
    clock = VirtualClock()
    rt, frame = _runtime(clock)
    retrier = Retrier(error_equals=("States.ALL",), interval_seconds=1, max_attempts=3,
                      backoff_rate=2.0)

    async def attempt(retry_count: int) -> Any:
        rt.emit(frame, "TaskFailed", {"error": "Boom", "cause": "again"})
        raise StatesError("Boom", "again")

    with pytest.raises(StatesError):
        await run_with_retry(rt, frame, [retrier], attempt)
    offsets = [event.timestamp - START for event in rt.history]
    assert offsets == [0, 1, 3, 7]
    assert frame.retry_counts == [3]


async def test_long_back_off_is_capped_and_instant() -> None:
    # A day-long back-off (IntervalSeconds 3600, BackoffRate 24) capped by MaxDelaySeconds 7200.
    clock = VirtualClock()
    rt, frame = _runtime(clock)
    retrier = Retrier(error_equals=("States.ALL",), interval_seconds=3600, max_attempts=2,
                      backoff_rate=24.0, max_delay_seconds=7200)
    calls: list[float] = []

    async def attempt(retry_count: int) -> Any:
        calls.append(clock.now() - START)
        raise StatesError("Boom")

    with pytest.raises(StatesError):
        await run_with_retry(rt, frame, [retrier], attempt)
    assert calls == [0, 3600, 3600 + 7200]


async def test_timer_callback_scheduling_another_timer_keeps_the_clock_jumping():
    # Regression: a timer fired by the autojump that schedules another timer used to start a
    # second idle probe; the two probes saw each other as busy and time stopped forever.
    clock = VirtualClock()
    start = clock.now()
    fired: list[float] = []

    def tick() -> None:
        fired.append(clock.now() - start)
        if len(fired) < 3:
            clock.call_at(clock.now() + 10, tick)

    clock.call_at(start + 10, tick)
    await asyncio.wait_for(clock.sleep_until(start + 100), timeout=5)
    assert fired == [10, 20, 30]
