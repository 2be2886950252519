"""The Wait state (checklist §4.5): the four forms, AWS's error causes, data flow, timing, aborts."""

from __future__ import annotations

import asyncio
import importlib.util
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from sfnlocal.asl import compile_definition
from sfnlocal.engine import Engine, VirtualClock
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import History
from sfnlocal.engine.runtime import ExecutionIdentity, ExecutionRuntime
from sfnlocal.integrations.base import Registry
from sfnlocal.states.wait import parse_timestamp, run_wait


def _load_engine_cases() -> Any:
    if "engine_cases" in sys.modules:
        return sys.modules["engine_cases"]
    path = Path(__file__).resolve().parents[1] / "engine" / "engine_cases.py"
    spec = importlib.util.spec_from_file_location("engine_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["engine_cases"] = module
    spec.loader.exec_module(module)
    return module


cases = _load_engine_cases()

START = VirtualClock.DEFAULT_START  # 2026-01-01T00:00:00Z
PFX = "An error occurred while executing the state 'W' (entered at the event id #2). "


def wait_machine(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "W", "States": {"W": {"Type": "Wait", **fields, "End": True}}}


async def run(definition: dict[str, Any], input_: Any = None, clock: VirtualClock | None = None):
    clock = clock or VirtualClock()
    async with Engine(clock=clock) as engine:
        sm = await engine.create_state_machine("wait", definition)
        kwargs = {} if input_ is None else {"input": input_}
        started = await engine.start_execution(sm.arn, **kwargs)
        record = await engine.wait(started.arn)
        return record, await engine.history_events(record.arn)


def types(history: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in history]


def at(history: list[dict[str, Any]], type_: str) -> float:
    return next(e["timestamp"].timestamp() for e in history if e["type"] == type_)


# -- recorded against AWS ---------------------------------------------------------------------

RECORDED = [
    "test_base_wait_seconds_path[-1]",
    "test_base_wait_seconds_path[-1.5]",
    "test_base_wait_seconds_path[0]",
    "test_base_wait_seconds_path[1]",
    "test_base_wait_seconds_path[1.5]",
    "test_partial_log_levels[wait_seconds_path.json5_OFF_False]",
    "test_wait_timestamp[NANOSECONDS]",
    "test_wait_timestamp[SECONDS]",
    "test_reference_assign[BASE_REFERENCE_IN_WAIT]",
]


@pytest.mark.parametrize("fragment", RECORDED)
async def test_recorded_cases_match_aws(fragment: str) -> None:
    case = cases.find_case(fragment)
    results = await cases.run_case(case)
    assert cases.grade(case, results) == []


def boundary_start(case: dict[str, Any], days: int) -> float:
    """The recording test waited until ``now + days``: start the clock at that ``now`` (+1 s)."""
    until = parse_timestamp(case["execution"]["input"]["start_at"])
    assert until is not None
    return until - days * 86400 + 1


async def test_timestamp_just_under_the_limit_waits() -> None:
    """24,855 days ahead: AWS accepts the wait (the recording was still RUNNING)."""
    case = cases.find_case("test_timestamp_too_far_in_future_boundary[24855]")
    clock = VirtualClock(boundary_start(case, 24855), autojump=False)
    async with Engine(clock=clock, settings=cases.SETTINGS) as engine:
        arn = await cases.create_from_case(engine, case)
        started = await engine.start_execution(arn, **cases.input_kwargs(case))
        for _ in range(5):
            await asyncio.sleep(0)
        assert started.status == case["expected"]["status"] == "RUNNING"
        history = await engine.history_events(started.arn)
        assert types(history) == case["expected"]["history_event_types"]
        frame = engine.store.frames(started.arn)[""]
        assert frame.deadline == pytest.approx(parse_timestamp(case["execution"]["input"]["start_at"]))


async def test_timestamp_just_over_the_limit_fails() -> None:
    case = cases.find_case("test_timestamp_too_far_in_future_boundary[24856]")
    results = await cases.run_case(case, VirtualClock(boundary_start(case, 24856)))
    assert cases.grade(case, results) == []


# -- the four forms ---------------------------------------------------------------------------


async def test_seconds_waits_exactly_that_long_in_virtual_time() -> None:
    record, history = await run(wait_machine(Seconds=86400), {"a": 1})
    assert record.status == "SUCCEEDED"
    assert record.output == '{"a":1}'
    assert at(history, "WaitStateEntered") == START
    assert at(history, "WaitStateExited") == START + 86400
    assert record.stop_date == START + 86400


async def test_seconds_path_reads_the_effective_input() -> None:
    _, history = await run(wait_machine(SecondsPath="$.delay"), {"delay": 90})
    assert at(history, "WaitStateExited") - at(history, "WaitStateEntered") == 90


async def test_timestamp_in_the_future_waits_until_it() -> None:
    _, history = await run(wait_machine(Timestamp="2026-01-01T01:00:00.500+01:00"))
    # 01:00:00.5 at +01:00 is 00:00:00.5Z: half a second after the start.
    assert at(history, "WaitStateExited") == pytest.approx(START + 0.5)


async def test_timestamp_path_waits_until_it() -> None:
    _, history = await run(wait_machine(TimestampPath="$.until"), {"until": "2026-01-03T00:00:00Z"})
    assert at(history, "WaitStateExited") == START + 2 * 86400


async def test_timestamp_in_the_past_does_not_wait() -> None:
    record, history = await run(wait_machine(TimestampPath="$.t"), {"t": "2016-03-14T01:59:00Z"})
    assert record.status == "SUCCEEDED"
    assert at(history, "WaitStateExited") == at(history, "WaitStateEntered") == START


async def test_seconds_zero_records_entered_and_exited() -> None:
    record, history = await run(wait_machine(Seconds=0))
    assert types(history) == [
        "ExecutionStarted", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded",
    ]
    assert record.stop_date == START


# -- errors (checklist §4.5, texts from the recordings) -----------------------------------------


async def failure(definition: dict[str, Any], input_: Any) -> tuple[str | None, str | None]:
    record, history = await run(definition, input_)
    assert record.status == "FAILED"
    assert types(history) == ["ExecutionStarted", "WaitStateEntered", "ExecutionFailed"]
    return record.error, record.cause


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        (-1, "The SecondsPath parameter references a negative value: $.p == -1"),
        (1.5, "The SecondsPath parameter cannot be parsed as a long value: $.p == 1.5"),
        (-1.5, "The SecondsPath parameter cannot be parsed as a long value: $.p == -1.5"),
    ],
)
async def test_seconds_path_bad_values(value: Any, detail: str) -> None:
    error, cause = await failure(wait_machine(SecondsPath="$.p"), {"p": value})
    assert (error, cause) == ("States.Runtime", PFX + detail)


@pytest.mark.parametrize("value", ["10", True, None, [1], {"a": 1}, 2**64])
async def test_seconds_path_values_that_are_not_longs(value: Any) -> None:
    error, cause = await failure(wait_machine(SecondsPath="$.p"), {"p": value})
    assert error == "States.Runtime"
    assert cause is not None
    assert cause.startswith(PFX + "The SecondsPath parameter cannot be parsed as a long value: $.p == ")


async def test_seconds_path_missing() -> None:
    error, cause = await failure(wait_machine(SecondsPath="$.p"), {})
    assert (error, cause) == (
        "States.Runtime", PFX + "The SecondsPath parameter does not reference an input value: $.p",
    )


def invalid_timestamps() -> list[str]:
    """The invalid timestamps AWS rejected in the recorded JSONata Wait cases (NO_T, NO_Z...)."""
    found = []
    for label in ("INVALID_DATE", "INVALID_ISO", "INVALID_TIME", "NO_T", "NO_Z"):
        case = cases.find_case(f"test_wait_timestamp_jsonata[{label}]")
        assert case["expected"]["status"] == "FAILED"
        found.append(case["execution"]["input"]["TimestampValue"])
    return found


TIMESTAMP_PATH_INVALID = (
    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
    "format string: $.p == "
)


async def test_timestamp_path_invalid_strings() -> None:
    for value in invalid_timestamps():
        error, cause = await failure(wait_machine(TimestampPath="$.p"), {"p": value})
        assert (error, cause) == ("States.Runtime", PFX + TIMESTAMP_PATH_INVALID + value)


@pytest.mark.parametrize("value", [1234, None, {"t": "2016-03-14T01:59:00Z"}])
async def test_timestamp_path_non_strings(value: Any) -> None:
    error, cause = await failure(wait_machine(TimestampPath="$.p"), {"p": value})
    assert error == "States.Runtime"
    assert cause is not None and cause.startswith(PFX + TIMESTAMP_PATH_INVALID)


async def test_delay_too_long_applies_to_seconds_path_too() -> None:
    error, cause = await failure(wait_machine(SecondsPath="$.p"), {"p": 2**31})
    assert (error, cause) == ("States.Runtime", PFX + "Wait state delay is too long.")


async def test_largest_delay_is_accepted() -> None:
    clock = VirtualClock()
    record, history = await run(wait_machine(SecondsPath="$.p"), {"p": 2**31 - 1}, clock)
    assert record.status == "SUCCEEDED"
    assert at(history, "WaitStateExited") == START + 2**31 - 1


def test_parse_timestamp_forms_of_checklist_2_2() -> None:
    assert parse_timestamp("2016-03-14T01:59:00Z") == 1457920740.0
    assert parse_timestamp("2016-03-14T01:59:00.5Z") == 1457920740.5
    assert parse_timestamp("2016-03-14T02:59:00+01:00") == 1457920740.0
    assert parse_timestamp("2016-03-13T20:59:00-05:00") == 1457920740.0
    assert parse_timestamp("2016-03-05T21:29:29.243167252Z") == pytest.approx(1457213369.243167)
    for bad in ("2016-03-14t01:59:00Z", "2016-03-14T01:59:00z", "2016-02-30T00:00:00Z",
                "2016-03-14T01:59:60Z", "2016-03-14T01:59Z", *invalid_timestamps()):
        assert parse_timestamp(bad) is None, bad


# -- data flow --------------------------------------------------------------------------------


async def test_input_path_output_path_and_assign() -> None:
    definition = {
        "StartAt": "W",
        "States": {
            "W": {
                "Type": "Wait", "InputPath": "$.inner", "SecondsPath": "$.delay",
                "Assign": {"waited.$": "$.delay"}, "OutputPath": "$.keep", "Next": "P",
            },
            "P": {"Type": "Pass", "Parameters": {"keep.$": "$", "waited.$": "$waited"}, "End": True},
        },
    }
    record, history = await run(definition, {"inner": {"delay": 5, "keep": {"k": 1}}, "x": 0})
    assert record.status == "SUCCEEDED"
    assert record.output == '{"keep":{"k":1},"waited":5}'
    exited = next(e for e in history if e["type"] == "WaitStateExited")
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"waited": "5"}
    assert exited["stateExitedEventDetails"]["output"] == '{"k":1}'


# -- frames and cancellation ------------------------------------------------------------------


async def test_deadline_is_recorded_in_the_frame_before_sleeping() -> None:
    clock = VirtualClock(autojump=False)
    async with Engine(clock=clock) as engine:
        sm = await engine.create_state_machine("wait", wait_machine(Seconds=30))
        started = await engine.start_execution(sm.arn)
        for _ in range(3):
            await asyncio.sleep(0)
        assert engine.store.frames(started.arn)[""].deadline == START + 30
        clock.advance(30)
        record = await engine.wait(started.arn)
        assert record.status == "SUCCEEDED"
        assert engine.store.frames(started.arn)[""].deadline is None


def make_runtime(clock: VirtualClock) -> tuple[ExecutionRuntime, Any]:
    machine = compile_definition(wait_machine(Seconds=100))
    identity = ExecutionIdentity(
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:m:e", name="e",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
        state_machine_name="m", role_arn="arn:aws:iam::123456789012:role/r",
        start_time=clock.now(), input={},
    )
    rt = ExecutionRuntime(identity, machine, clock, History(), random.Random(1), Registry())
    return rt, machine


async def test_cancelled_inside_a_branch_records_wait_state_aborted() -> None:
    clock = VirtualClock()
    rt, machine = make_runtime(clock)
    root = Frame(id="", block=machine.root, state="W", input={})
    branch = root.child("Par[0]", machine.root, {}, prev_event=0)
    task = asyncio.create_task(run_wait(rt, branch, machine.root.states["W"]))
    for _ in range(3):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [e.type for e in rt.history] == ["WaitStateEntered", "WaitStateAborted"]
    aborted = rt.history.events[-1]
    assert aborted.previous_event_id == 1
    assert clock.now() == START
    assert branch.deadline is None


async def test_stopped_at_top_level_records_no_wait_state_aborted() -> None:
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("wait", wait_machine(Seconds=600))
        started = await engine.start_execution(sm.arn)
        await asyncio.sleep(0)
        record = await engine.stop_execution(started.arn)
        history = await engine.history_events(started.arn)
    assert record.status == "ABORTED"
    assert types(history) == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]

