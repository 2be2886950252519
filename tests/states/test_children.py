"""sfnlocal.states.children: eager starts, resuming a started coroutine in a Task, run_children."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sfnlocal.states import children
from sfnlocal.states.children import Suspended, own_task, run_children, run_eagerly


async def _instant(value: Any) -> Any:
    return value


async def _waits(fut: asyncio.Future[Any], log: list[str]) -> Any:
    log.append("start")
    try:
        value = await fut
    except asyncio.CancelledError:
        log.append("cancelled")
        raise
    except ValueError as exc:
        log.append(f"error:{exc}")
        return "recovered"
    log.append(f"got:{value}")
    return value * 2


# -- run_eagerly / Suspended ----------------------------------------------------------------------


async def test_a_coroutine_that_never_waits_finishes_inline_without_a_task():
    before = len(asyncio.all_tasks())
    assert run_eagerly(_instant(42)) == 42
    assert len(asyncio.all_tasks()) == before


async def test_errors_raised_before_suspending_propagate_from_run_eagerly():
    async def boom() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        run_eagerly(boom())


async def test_a_suspended_coroutine_finishes_in_a_task_with_the_awaited_value():
    fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    log: list[str] = []
    outcome = run_eagerly(_waits(fut, log))
    assert isinstance(outcome, Suspended)
    assert log == ["start"]  # the first step ran in the caller
    task = asyncio.get_running_loop().create_task(outcome)
    await asyncio.sleep(0)
    fut.set_result(21)
    assert await task == 42
    assert log == ["start", "got:21"]


async def test_an_exception_of_the_awaited_future_reaches_the_child():
    fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    log: list[str] = []
    outcome = run_eagerly(_waits(fut, log))
    task = asyncio.get_running_loop().create_task(outcome)  # type: ignore[arg-type]
    fut.set_exception(ValueError("bad"))
    assert await task == "recovered"
    assert log == ["start", "error:bad"]


async def test_cancelling_the_task_before_its_first_step_reaches_the_child():
    fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    log: list[str] = []
    outcome = run_eagerly(_waits(fut, log))
    task = asyncio.get_running_loop().create_task(outcome)  # type: ignore[arg-type]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log == ["start", "cancelled"]


async def test_cancelling_the_task_while_it_waits_reaches_the_child():
    fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    log: list[str] = []
    task = asyncio.get_running_loop().create_task(run_eagerly(_waits(fut, log)))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log == ["start", "cancelled"]


async def test_a_suspended_coroutine_can_be_awaited_and_forwards_throws():
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[int] = loop.create_future()
    log: list[str] = []
    outcome = run_eagerly(_waits(fut, log))
    assert isinstance(outcome, Suspended)

    async def outer() -> Any:
        return await outcome

    task = loop.create_task(outer())
    await asyncio.sleep(0)
    fut.set_result(5)
    assert await task == 10

    other: asyncio.Future[int] = loop.create_future()
    pending = run_eagerly(_waits(other, log))
    waiting = loop.create_task(outer_of(pending))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert log[-1] == "cancelled"


async def outer_of(suspended: Any) -> Any:
    return await suspended


async def test_close_closes_the_child():
    seen: list[str] = []

    async def child(fut: asyncio.Future[int]) -> None:
        try:
            await fut
        except GeneratorExit:
            seen.append("closed")
            raise

    outcome = run_eagerly(child(asyncio.get_running_loop().create_future()))
    assert isinstance(outcome, Suspended)
    outcome.close()
    assert seen == ["closed"]


# -- own_task ---------------------------------------------------------------------------------------


async def test_own_task_moves_an_eager_child_into_its_own_task():
    parent = asyncio.current_task()
    seen: list[Any] = []

    async def child() -> str:
        seen.append(asyncio.current_task())
        await own_task()
        seen.append(asyncio.current_task())
        return "done"

    outcome = run_eagerly(child())
    assert isinstance(outcome, Suspended)  # own_task suspended once
    task = asyncio.get_running_loop().create_task(outcome)
    assert await task == "done"
    assert seen == [parent, task]


async def test_own_task_outside_an_eager_phase_does_not_suspend():
    async def child() -> str:
        await own_task()
        return "inline"

    coro = child()
    with pytest.raises(StopIteration):
        coro.send(None)


# -- run_children -----------------------------------------------------------------------------------


class Children:
    """Children that wait ``delays[i]`` loop turns (0: never wait), logging what happens."""

    def __init__(self, delays: list[int], fail: int | None = None) -> None:
        self.delays = delays
        self.fail = fail
        self.log: list[str] = []
        self.running = 0
        self.peak = 0
        self.results: dict[int, int] = {}

    def launch(self, index: int) -> Any:
        self.log.append(f"start {index}")
        return self._child(index)

    async def _child(self, index: int) -> None:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            for _ in range(self.delays[index]):
                await asyncio.sleep(0)
            if index == self.fail:
                raise ValueError(f"child {index} failed")
            self.results[index] = index * 10
            self.log.append(f"end {index}")
        except asyncio.CancelledError:
            self.log.append(f"aborted {index}")
            raise
        finally:
            self.running -= 1


async def test_children_that_never_wait_run_in_order_without_tasks(monkeypatch: pytest.MonkeyPatch):
    created: list[Any] = []
    original = asyncio.TaskGroup.create_task
    monkeypatch.setattr(asyncio.TaskGroup, "create_task",
                        lambda self, coro, **kw: created.append(coro) or original(self, coro, **kw))
    kids = Children([0] * 1000)
    await run_children(kids.launch, 1000)
    assert created == []
    assert kids.results == {i: i * 10 for i in range(1000)}
    assert kids.log[:4] == ["start 0", "end 0", "start 1", "end 1"]


async def test_waiting_children_run_concurrently_and_all_finish():
    kids = Children([3, 1, 0, 2])
    await run_children(kids.launch, 4)
    assert kids.results == {0: 0, 1: 10, 2: 20, 3: 30}
    assert kids.peak == 3  # children 0, 1 and 3 waited at the same time
    assert kids.log.index("start 3") < kids.log.index("end 1")


@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_the_limit_bounds_the_children_in_flight(limit: int):
    kids = Children([2, 5, 1, 3, 1, 4, 2])
    await run_children(kids.launch, 7, limit)
    assert kids.peak == limit
    assert sorted(kids.results) == list(range(7))
    starts = [int(e.split()[1]) for e in kids.log if e.startswith("start")]
    assert starts == list(range(7))  # children start in index order


async def test_limit_one_is_strictly_sequential():
    kids = Children([2, 1, 3])
    await run_children(kids.launch, 3, 1)
    assert kids.log == ["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]


async def test_a_failing_child_cancels_the_others_and_its_error_is_raised_alone():
    kids = Children([5, 1, 5, 5], fail=1)
    with pytest.raises(ValueError, match="child 1 failed"):
        await run_children(kids.launch, 4)
    assert sorted(e for e in kids.log if e.startswith("aborted")) == ["aborted 0", "aborted 2",
                                                                       "aborted 3"]
    assert asyncio.current_task().cancelling() == 0  # the supervisor is not left "being cancelled"


async def test_a_child_failing_inline_aborts_the_suspended_ones_and_starts_no_more():
    kids = Children([3, 4, 0, 0], fail=2)
    with pytest.raises(ValueError, match="child 2 failed"):
        await run_children(kids.launch, 4)
    assert "start 3" not in kids.log
    assert sorted(e for e in kids.log if e.startswith("aborted")) == ["aborted 0", "aborted 1"]


async def test_with_start_all_every_child_starts_even_after_an_inline_failure():
    kids = Children([0, 2, 0, 0], fail=0)
    with pytest.raises(ValueError, match="child 0 failed"):
        await run_children(kids.launch, 4, start_all=True)
    assert [e for e in kids.log if e.startswith("start")] == ["start 0", "start 1", "start 2",
                                                               "start 3"]
    assert "end 2" in kids.log and "aborted 1" in kids.log


async def test_a_failure_while_more_children_wait_for_room_stops_the_run():
    kids = Children([1, 3, 2, 2, 2], fail=0)
    with pytest.raises(ValueError):
        await run_children(kids.launch, 5, 2)
    assert "start 2" not in kids.log
    assert "aborted 1" in kids.log


async def test_cancelling_the_caller_cancels_every_child_and_propagates():
    kids = Children([50, 50, 0])
    task = asyncio.get_running_loop().create_task(run_children(kids.launch, 3))
    for _ in range(3):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(e for e in kids.log if e.startswith("aborted")) == ["aborted 0", "aborted 1"]


async def test_nested_runs_started_eagerly_own_their_task_groups():
    """A grandchild failure must not cancel the outer supervisor (the TaskGroup's parent task)."""
    inner_errors: list[str] = []

    async def middle(index: int) -> None:
        kids = Children([2, 1], fail=1 if index == 0 else None)
        try:
            await run_children(kids.launch, 2)
        except ValueError as exc:
            inner_errors.append(str(exc))

    await run_children(lambda i: middle(i), 2)
    assert inner_errors == ["child 1 failed"]
    assert asyncio.current_task().cancelling() == 0


def test_first_error_unwraps_nested_groups():
    async def check() -> BaseException:
        group = BaseExceptionGroup("g", [ExceptionGroup("inner", [KeyError("k")]), ValueError()])
        return children.first_error(group)

    assert isinstance(asyncio.run(check()), KeyError)
