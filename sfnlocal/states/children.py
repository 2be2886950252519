"""Running child walkers (Parallel branches, Map iterations); no Task for a child that never waits.

Most branches and iterations never wait: a block of Pass and Choice states runs to its end inside
one ``send``. Creating an ``asyncio.Task`` for each of them would cost more than the work itself (a
Map over 10,000 items would schedule 10,000 tasks), so a child coroutine is first driven *eagerly*,
right in the caller (``run_eagerly``): if it finishes, its result is taken directly; if it
suspends, the started coroutine is wrapped in a ``Suspended`` object, a coroutine that hands the
Task first what the child is waiting on and then forwards every ``send``/``throw``/``close``. That
wrapper is what a TaskGroup runs, so cancellation reaches the child at the point where it waits,
even when the Task is cancelled before its first step (Python 3.11 has no eager task factory; this
is its small equivalent).

One caveat, the price of running code before its Task exists: during the eager phase,
``asyncio.current_task()`` is the *parent's* task. Code that captures the current task (a
``TaskGroup``, ``asyncio.timeout``) must therefore first ``await own_task()``, which suspends once
when called in an eager phase, so that the rest runs inside the child's own Task; outside an eager
phase it returns at once.

``run_children`` puts it together: start children in order (at most ``limit`` waiting at a time),
move the ones that wait into Tasks of one TaskGroup, and stop everything at the first failure. The
children record their own events (``*Aborted`` when cancelled); the first child error is re-raised
alone, never wrapped in an ``ExceptionGroup``, and an outer cancellation always wins.

A distributed Map's run may change while it runs (UpdateMapRun): it passes a ``Throttle`` instead
of a number, whose ``set_limit`` lets more (or fewer) children run from then on and whose ``fail``
stops the run with an error (its running children are cancelled, as after a child failure).
"""

from __future__ import annotations

import asyncio
import threading
import types
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Generic, TypeVar

__all__ = [
    "Child",
    "Suspended",
    "Throttle",
    "Walker",
    "first_error",
    "own_task",
    "run_children",
    "run_eagerly",
    "walker",
]

T = TypeVar("T")

Child = Coroutine[Any, Any, Any]
"""A child walker's coroutine (its outcome is recorded by the child itself)."""


Walker = Callable[[Any, Any], Coroutine[Any, Any, Any]]
"""``run_block(runtime, frame)``: walks a child frame's block, returns its output."""


def walker() -> Walker:
    """The interpreter's ``run_block`` (imported late: the interpreter imports the states)."""
    from sfnlocal.engine import interpreter

    return interpreter.run_block


class _EagerDepth(threading.local):
    """How many eager ``send`` calls are on this thread's stack (event loops are per thread)."""

    value = 0


_eager = _EagerDepth()


class Suspended(Coroutine[Any, Any, T], Generic[T]):
    """A coroutine that was started eagerly and suspended; run it as a Task to finish it.

    The first ``send`` returns what the coroutine yielded when it suspended (the future it waits
    on), so the Task waits on it exactly as if it had run the first step itself; later calls are
    forwarded. ``throw`` is always forwarded: a Task cancelled before its first step still delivers
    ``CancelledError`` to the child at its await point.
    """

    __slots__ = ("_coro", "_first", "_handed")

    def __init__(self, coro: Coroutine[Any, Any, T], first: Any) -> None:
        self._coro = coro
        self._first = first
        self._handed = False

    def send(self, value: Any) -> Any:
        """Resume the child with ``value`` (the first call hands over its pending yield)."""
        if not self._handed:
            self._handed = True
            first, self._first = self._first, None
            return first
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        """Raise an exception inside the child at its await point."""
        self._handed = True
        self._first = None
        if val is None and tb is None:
            return self._coro.throw(typ)
        return self._coro.throw(typ, val, tb)  # pragma: no cover - legacy 3-argument form

    def close(self) -> None:
        """Close the child."""
        self._coro.close()

    def __await__(self) -> Generator[Any, Any, T]:
        return _delegate(self)


def _delegate(coro: Suspended[T]) -> Generator[Any, Any, T]:
    """``await suspended`` from another coroutine: forward sends and throws until it returns."""
    send: Callable[[Any], Any] = coro.send
    message: Any = None
    while True:
        try:
            value = send(message)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        try:
            message = yield value
            send = coro.send
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # forwarded, including CancelledError
            message = exc
            send = coro.throw


def run_eagerly(coro: Coroutine[Any, Any, T]) -> T | Suspended[T]:
    """Run ``coro`` until it finishes or first suspends.

    Returns:
        The coroutine's result, or a ``Suspended`` wrapper to hand to a Task when it waits.

    Raises:
        BaseException: whatever the coroutine raised before suspending.
    """
    _eager.value += 1
    try:
        first = coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        _eager.value -= 1
    return Suspended(coro, first)


@types.coroutine
def _yield_once() -> Generator[None, None, None]:
    yield


async def own_task() -> None:
    """Make sure the caller runs inside its own Task (suspend once if it runs eagerly)."""
    if _eager.value:
        await _yield_once()


class Throttle:
    """The concurrency limit of one ``run_children`` call, changeable while it runs.

    Args:
        limit: how many children may wait at a time (0: no limit).
    """

    __slots__ = ("_wake", "failure", "limit")

    def __init__(self, limit: int = 0) -> None:
        self.limit = limit
        self.failure: BaseException | None = None
        self._wake: Callable[[], None] | None = None

    def set_limit(self, limit: int) -> None:
        """Change the limit; a higher one starts more children at once."""
        self.limit = limit
        self._notify()

    def fail(self, error: BaseException) -> None:
        """Stop the run: the children still running are cancelled and ``error`` is raised."""
        if self.failure is None:
            self.failure = error
            self._notify()

    def attach(self, wake: Callable[[], None] | None) -> None:
        """Have ``wake()`` called at every change (the running ``run_children``; None: detach)."""
        self._wake = wake

    def _notify(self) -> None:
        if self._wake is not None:
            self._wake()


async def run_children(
    launch: Callable[[int], Child], count: int, limit: int | Throttle = 0,
    start_all: bool = False,
) -> None:
    """Run ``launch(0)`` … ``launch(count - 1)``, at most ``limit`` waiting at a time (0: no limit).

    ``launch(i)`` is called when child ``i`` may start, in index order; it returns the child's
    coroutine, which records its own outcome. Children that never wait run inline, one after the
    other; the ones that wait continue concurrently in Tasks of one TaskGroup. After a failure no
    more children start, unless ``start_all`` (Parallel branches all start together, so each of
    them starts even when an earlier one failed at once).

    Raises:
        BaseException: the first child failure (the others are cancelled first), the error given
            to ``Throttle.fail``, or ``CancelledError`` when the caller is cancelled.
    """
    throttle = limit if isinstance(limit, Throttle) else Throttle(limit)
    await _Runner(launch, count, throttle, start_all).run()


class _Runner:
    """The state of one ``run_children`` call.

    The supervising coroutine always waits for its Tasks *inside* the ``async with`` body: when a
    child fails, the TaskGroup then cancels the supervisor in its body, a cancellation it takes
    back on exit (on Python 3.11 a failure arriving while the supervisor waits in ``__aexit__``
    would leave the supervisor's task marked as being cancelled).
    """

    __slots__ = ("count", "launch", "next", "running", "start_all", "throttle", "waiter", "waiting")

    def __init__(
        self, launch: Callable[[int], Child], count: int, throttle: Throttle, start_all: bool,
    ) -> None:
        self.launch = launch
        self.count = count
        self.throttle = throttle
        self.start_all = start_all
        self.next = 0
        self.running = 0
        self.waiting: list[Suspended[Any]] = []
        self.waiter: asyncio.Future[None] | None = None

    async def run(self) -> None:
        try:
            self._start_inline()
            if not self.waiting:
                return
            await own_task()
        except BaseException:
            await self._abort_waiting()
            raise
        await self._supervise()

    def _has_room(self) -> bool:
        limit = self.throttle.limit
        return self.next < self.count and (not limit or self.running < limit)

    def _start_inline(self) -> None:
        """Start children while there is room; those that finish at once are done here."""
        error: Exception | None = None
        while self._has_room():
            index = self.next
            self.next += 1
            try:
                outcome = run_eagerly(self.launch(index))
            except Exception as exc:
                if not self.start_all:
                    raise
                error = error or exc
                continue
            if isinstance(outcome, Suspended):
                self.waiting.append(outcome)
                self.running += 1
        if error is not None:
            raise error

    async def _abort_waiting(self) -> None:
        """Cancel the suspended children (they record their aborts) after an early failure."""
        if not self.waiting:
            return
        await own_task()
        async with asyncio.TaskGroup() as group:
            for task in self._spawn(group):
                task.cancel()
            await self._drain()

    async def _supervise(self) -> None:
        """Run the waiting children as Tasks; keep starting the rest as room frees up."""
        self.throttle.attach(self._wakeup)
        try:
            async with asyncio.TaskGroup() as group:
                self._spawn(group)
                while self.next < self.count or self.running:
                    if self.throttle.failure is not None:
                        raise self.throttle.failure
                    if not self._has_room():
                        await self._change()
                        continue
                    try:
                        self._start_inline()
                    finally:  # children that suspended before a failure are cancelled with the rest
                        self._spawn(group)
        except BaseExceptionGroup as failures:
            raise first_error(failures) from None
        finally:
            self.throttle.attach(None)

    def _spawn(self, group: asyncio.TaskGroup) -> list[asyncio.Task[Any]]:
        waiting, self.waiting = self.waiting, []
        tasks = [group.create_task(child) for child in waiting]
        for task in tasks:
            task.add_done_callback(self._finished)
        return tasks

    def _finished(self, _task: asyncio.Task[Any]) -> None:
        self.running -= 1
        self._wakeup()

    def _wakeup(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _change(self) -> None:
        """Wait until a running child finishes."""
        self.waiter = asyncio.get_running_loop().create_future()
        await self.waiter

    async def _drain(self) -> None:
        while self.running:
            await self._change()


def first_error(failures: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error to re-raise for a failed TaskGroup: outer cancellation, else the first failure."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        return asyncio.CancelledError()
    error: BaseException = failures
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
