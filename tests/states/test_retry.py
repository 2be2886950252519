"""Retry/Catch machinery (checklist §7): matching, back-off delays, per-retrier attempt counting."""

from __future__ import annotations

import random
from typing import Any

import pytest

from sfnlocal.asl.model import Block, Catcher, Retrier
from sfnlocal.engine.clock import VirtualClock
from sfnlocal.engine.frames import Frame
from sfnlocal.errors import StatesError
from sfnlocal.states.retry import (
    TaskTimeout,
    find_catcher,
    find_retrier,
    matches,
    retry_delay,
    run_with_retry,
)


def err(name: str) -> StatesError:
    return StatesError(name, "cause")


# -- matching --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["MyError", "States.Timeout", "States.TaskFailed",
                                  "States.DataLimitExceeded", "Lambda.Unknown"])
def test_states_all_matches_every_error_but_runtime(name: str):
    assert matches(["States.ALL"], err(name))


def test_states_runtime_is_never_matched_not_even_by_name():
    assert not matches(["States.ALL"], err("States.Runtime"))
    assert not matches(["States.Runtime"], err("States.Runtime"))


def test_states_task_failed_matches_everything_except_timeouts():
    assert matches(["States.TaskFailed"], err("CustomError"))
    assert matches(["States.TaskFailed"], err("States.DataLimitExceeded"))
    assert not matches(["States.TaskFailed"], err("States.Timeout"))
    assert not matches(["States.TaskFailed"], TaskTimeout())


def test_custom_names_match_exactly_and_case_sensitively():
    assert matches(["ErrorA", "ErrorB"], err("ErrorB"))
    assert not matches(["errora"], err("ErrorA"))
    assert not matches(["ErrorA"], err("ErrorAB"))


def test_a_heartbeat_expiry_is_a_timeout_also_known_as_heartbeat_timeout():
    heartbeat = TaskTimeout(heartbeat=True)
    assert (heartbeat.error, heartbeat.cause) == ("States.Timeout", None)
    assert matches(["States.HeartbeatTimeout"], heartbeat)
    assert matches(["States.Timeout"], heartbeat)
    assert not matches(["States.HeartbeatTimeout"], TaskTimeout())


def test_the_first_matching_retrier_and_catcher_are_chosen():
    retriers = [Retrier(("A",)), Retrier(("States.ALL",)), Retrier(("B",))]
    assert find_retrier(retriers, err("A")) == 0
    assert find_retrier(retriers, err("B")) == 1
    assert find_retrier(retriers[:1], err("B")) is None
    catchers = [Catcher(("A",), "X", None), Catcher(("States.ALL",), "Y", None)]
    found = find_catcher(catchers, err("B"))
    assert found is not None and found.next == "Y"


# -- delays ----------------------------------------------------------------------------------------


def test_delay_is_interval_times_backoff_rate_to_the_power_of_the_attempt():
    retrier = Retrier(("A",), interval_seconds=3, backoff_rate=1.5)
    rng = random.Random(0)
    assert [retry_delay(retrier, k, rng) for k in range(4)] == [3, 4.5, 6.75, 10.125]


def test_defaults_are_one_second_and_rate_two():
    retrier = Retrier(("A",))
    assert [retry_delay(retrier, k, random.Random(0)) for k in range(3)] == [1, 2, 4]


def test_max_delay_seconds_caps_the_delay_and_the_default_cap_applies_without_it():
    capped = Retrier(("A",), interval_seconds=10, backoff_rate=3, max_delay_seconds=40)
    assert [retry_delay(capped, k, random.Random(0)) for k in range(3)] == [10, 30, 40]
    huge = Retrier(("A",), interval_seconds=99_999_999, backoff_rate=10)
    assert retry_delay(huge, 5, random.Random(0)) == 31_622_401


def test_full_jitter_draws_uniformly_below_the_delay():
    retrier = Retrier(("A",), interval_seconds=8, backoff_rate=2, jitter="FULL")
    drawn = [retry_delay(retrier, k, random.Random(42)) for k in range(3)]
    expected = [random.Random(42).uniform(0, d) for d in (8, 16, 32)]
    assert drawn == expected
    assert all(0 <= value <= cap for value, cap in zip(drawn, (8, 16, 32), strict=True))


# -- run_with_retry --------------------------------------------------------------------------------


class _Runtime:
    """The part of ExecutionRuntime that run_with_retry uses."""

    def __init__(self) -> None:
        self.clock = VirtualClock()
        self.rng = random.Random(0)
        self.checkpoints: list[float | None] = []

    def checkpoint(self, frame: Frame) -> None:
        self.checkpoints.append(frame.deadline)


def _frame() -> Frame:
    return Frame(id="", block=Block(start_at="T", states={}), state="T", input={})


class _Script:
    """An attempt function failing with the given error names, then returning 'done'."""

    def __init__(self, rt: _Runtime, *names: str) -> None:
        self.rt = rt
        self.names = list(names)
        self.calls: list[tuple[float, int]] = []

    async def __call__(self, retry_count: int) -> Any:
        self.calls.append((self.rt.clock.now() - VirtualClock.DEFAULT_START, retry_count))
        if self.names:
            raise err(self.names.pop(0))
        return "done"


async def test_spec_example_counts_attempts_per_retrier_across_error_names():
    retriers = [Retrier(("ErrorA", "ErrorB"), interval_seconds=1, backoff_rate=2, max_attempts=2),
                Retrier(("ErrorC",), interval_seconds=5)]
    rt = _Runtime()
    script = _Script(rt, "ErrorA", "ErrorB", "ErrorC", "ErrorB")
    frame = _frame()
    with pytest.raises(StatesError) as raised:
        await run_with_retry(rt, frame, retriers, script)  # type: ignore[arg-type]
    assert raised.value.error == "ErrorB"
    assert script.calls == [(0, 0), (1, 1), (3, 2), (8, 3)]
    assert frame.retry_counts == [2, 1]


async def test_max_attempts_zero_never_retries():
    rt = _Runtime()
    script = _Script(rt, "A")
    with pytest.raises(StatesError):
        await run_with_retry(rt, _frame(), [Retrier(("A",), max_attempts=0)], script)  # type: ignore[arg-type]
    assert len(script.calls) == 1


async def test_runtime_errors_are_not_retried():
    rt = _Runtime()
    script = _Script(rt, "States.Runtime")
    with pytest.raises(StatesError):
        await run_with_retry(rt, _frame(), [Retrier(("States.ALL",))], script)  # type: ignore[arg-type]
    assert len(script.calls) == 1


async def test_success_after_retries_returns_the_result_and_checkpoints_the_deadline():
    rt = _Runtime()
    script = _Script(rt, "A", "A")
    frame = _frame()
    result = await run_with_retry(rt, frame, [Retrier(("A",), interval_seconds=2)], script)  # type: ignore[arg-type]
    assert result == "done"
    assert [call[0] for call in script.calls] == [0, 2, 6]
    start = VirtualClock.DEFAULT_START
    assert rt.checkpoints == [start + 2, start + 6]
    assert frame.deadline is None
