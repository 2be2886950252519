"""Clocks: the only source of time for the engine.

``SystemClock`` follows the wall clock. ``VirtualClock`` starts at a fixed instant and, when the
event loop has nothing left to run, jumps straight to the earliest timer, so a Wait of a day, retry
back-off or an execution timeout completes in microseconds and in a deterministic order (the idea of
trio's ``MockClock(autojump_threshold=0)``).

Both offer the same three services: ``now()``, ``sleep_until(deadline)`` and ``call_at(deadline,
callback)`` (a cancellable timer, used for execution timeouts without a task per execution).

Integrations that wait on real I/O (a subprocess, a socket, a thread) while timers are pending wrap
the wait in ``clock.busy()`` so that the virtual clock does not jump past their deadlines while they
work.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "SystemClock", "TimerHandle", "VirtualClock", "iso_millis"]


def iso_millis(epoch: float) -> str:
    """Format epoch seconds as AWS does: ``YYYY-MM-DDThh:mm:ss.mmmZ`` (UTC, 3 fraction digits)."""
    stamp = datetime.fromtimestamp(epoch, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


class TimerHandle(Protocol):
    """A scheduled callback that can be called off."""

    def cancel(self) -> None:
        """Do not run the callback (no effect once it has run)."""
        ...


class Clock(Protocol):
    """What the engine asks of time."""

    def now(self) -> float:
        """Current time, in epoch seconds."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Return once ``now() >= deadline``."""
        ...

    def call_at(self, deadline: float, callback: Callable[[], object]) -> TimerHandle:
        """Run ``callback()`` on the event loop once ``now() >= deadline``."""
        ...

    def busy(self) -> AbstractAsyncContextManager[None]:
        """A context in which the clock must not jump (real work in progress)."""
        ...


class SystemClock:
    """Real time (the wall clock)."""

    def now(self) -> float:
        """Current wall-clock time in epoch seconds."""
        return time.time()

    async def sleep_until(self, deadline: float) -> None:
        """Sleep on the event loop until ``deadline``."""
        delay = deadline - time.time()
        while delay > 0:
            await asyncio.sleep(delay)
            delay = deadline - time.time()

    def call_at(self, deadline: float, callback: Callable[[], object]) -> TimerHandle:
        """Schedule ``callback`` on the running loop at wall-clock ``deadline``."""
        loop = asyncio.get_running_loop()
        return loop.call_at(loop.time() + max(0.0, deadline - time.time()), callback)

    @asynccontextmanager
    async def busy(self) -> AsyncIterator[None]:
        """No-op: real time never jumps."""
        yield


class _Timer:
    """An entry of the virtual clock's timer heap."""

    __slots__ = ("callback", "cancelled", "deadline", "loop", "seq")

    def __init__(
        self, deadline: float, seq: int, callback: Callable[[], object],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.deadline = deadline
        self.seq = seq
        self.callback = callback
        self.loop = loop
        self.cancelled = False

    def __lt__(self, other: _Timer) -> bool:
        return (self.deadline, self.seq) < (other.deadline, other.seq)

    def cancel(self) -> None:
        """Drop the timer; a cancelled timer never moves the clock."""
        self.cancelled = True


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


# Consecutive loop iterations that must find nothing else ready before the clock jumps: chains of
# callbacks (a future's result waking a task that sets another future) settle within them.
_IDLE_ROUNDS = 3
# Event loops that do not expose ``_ready`` (uvloop) get more rounds and are then assumed idle.
_BLIND_ROUNDS = 20


class VirtualClock:
    """Simulated time that jumps to the next timer when the event loop is idle.

    Timers with the same deadline fire in the order they were set. Cancelled timers are dropped and
    never move the clock. Time never goes backwards.

    Args:
        start: the initial time in epoch seconds (default 2026-01-01T00:00:00Z, so runs are
            reproducible).
        autojump: jump to the next timer whenever the loop is idle (default). With False, time moves
            only through ``advance()``.
    """

    DEFAULT_START = 1767225600.0

    def __init__(self, start: float = DEFAULT_START, *, autojump: bool = True) -> None:
        self._now = start
        self._autojump = autojump
        self._timers: list[_Timer] = []
        self._seq = itertools.count()
        self._busy = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watching = False
        self._full_rounds = _IDLE_ROUNDS

    def now(self) -> float:
        """Current virtual time in epoch seconds."""
        return self._now

    @property
    def pending(self) -> int:
        """The number of live (not cancelled, not fired) timers."""
        return sum(1 for timer in self._timers if not timer.cancelled)

    def advance(self, seconds: float) -> None:
        """Move time forward by hand and run the timers that fall due, in deadline order.

        Raises:
            ValueError: ``seconds`` is negative (time never goes backwards).
        """
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        target = self._now + seconds
        while self._live() and self._timers[0].deadline <= target:
            self._fire_next()
        self._now = max(self._now, target)

    async def sleep_until(self, deadline: float) -> None:
        """Wait until virtual time reaches ``deadline`` (returns at once if it has)."""
        if deadline <= self._now:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        timer = self.call_at(deadline, lambda: _resolve(fut))
        try:
            await fut
        finally:
            timer.cancel()

    def call_at(self, deadline: float, callback: Callable[[], object]) -> TimerHandle:
        """Run ``callback()`` when virtual time reaches ``deadline``."""
        loop = asyncio.get_running_loop()
        if deadline <= self._now:
            return loop.call_soon(callback)
        if loop is not self._loop:
            self._adopt(loop)
        timer = _Timer(deadline, next(self._seq), callback, loop)
        heapq.heappush(self._timers, timer)
        self._watch()
        return timer

    @asynccontextmanager
    async def busy(self) -> AsyncIterator[None]:
        """Hold the clock still while real work (I/O, a thread, a subprocess) is in progress."""
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1
            self._watch()

    # -- autojump -------------------------------------------------------------------------------

    def _adopt(self, loop: asyncio.AbstractEventLoop) -> None:
        """Serve a new event loop (e.g. a second ``asyncio.run``); drop the old loop's timers."""
        self._loop = loop
        self._watching = False
        self._full_rounds = _IDLE_ROUNDS if hasattr(loop, "_ready") else _BLIND_ROUNDS
        self._timers = [t for t in self._timers if t.loop is loop and not t.cancelled]
        heapq.heapify(self._timers)

    def _watch(self) -> None:
        """Start the idle watch (a chain of ``call_soon`` callbacks, not a task) if it is needed."""
        if self._watching or not self._autojump or self._busy or self._loop is None:
            return
        if self._loop.is_closed() or not self._live():
            return
        self._watching = True
        self._loop.call_soon(self._check, self._full_rounds)

    def _check(self, rounds: int) -> None:
        """One idle probe: jump after ``rounds`` consecutive probes found nothing else to run.

        ``_watching`` stays True while the probe runs, so a timer callback that schedules another
        timer (``call_at`` inside ``_jump``) does not start a second probe chain.
        """
        if self._busy or not self._live():
            self._watching = False
            return
        if self._others_ready():
            rounds = self._full_rounds
        elif rounds <= 1:
            self._jump()
            rounds = self._full_rounds
        else:
            rounds -= 1
        assert self._loop is not None
        self._loop.call_soon(self._check, rounds)

    def _others_ready(self) -> bool:
        """True when callbacks other than this probe are queued to run (unknown loops: False)."""
        ready = getattr(self._loop, "_ready", None)
        return ready is not None and len(ready) > 0

    def _live(self) -> bool:
        timers = self._timers
        while timers and timers[0].cancelled:
            heapq.heappop(timers)
        return bool(timers)

    def _jump(self) -> None:
        """Move to the earliest deadline and fire every timer due then."""
        deadline = self._timers[0].deadline
        self._now = max(self._now, deadline)
        while self._live() and self._timers[0].deadline <= self._now:
            self._fire_next()

    def _fire_next(self) -> None:
        timer = heapq.heappop(self._timers)
        self._now = max(self._now, timer.deadline)
        timer.cancelled = True
        try:
            timer.callback()
        except Exception as exc:  # a timer must not stop the clock: report it as asyncio would
            timer.loop.call_exception_handler(
                {"message": "exception in a virtual clock timer", "exception": exc}
            )
