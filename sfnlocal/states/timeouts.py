"""Task timeouts and heartbeats as clock-driven cancel scopes.

``Deadlines`` holds an attempt's ``TimeoutSeconds`` and ``HeartbeatSeconds``. Both clocks start when
the work starts (``arm``, at ``TaskStarted``/``LambdaFunctionStarted``/``ActivityStarted``); a
heartbeat (``beat``) restarts the heartbeat clock. ``Deadlines.scope()`` wraps the await of the
integration: a timer on the engine's clock (never the event loop's) cancels the awaiting task when
a deadline passes, and the scope turns that cancellation into ``TaskTimeout``, the way
``asyncio.timeout`` does for loop time. A cancellation that comes from elsewhere (the execution is
stopped, a sibling branch failed) passes through untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from sfnlocal.engine.clock import Clock, TimerHandle
from sfnlocal.states.children import own_task
from sfnlocal.states.retry import TaskTimeout

__all__ = ["Deadlines"]

Expiry = Literal["timeout", "heartbeat"]


class Deadlines:
    """The timeout and heartbeat clocks of one task attempt.

    Args:
        clock: the engine's clock.
        timeout: ``TimeoutSeconds`` (None: no limit).
        heartbeat: ``HeartbeatSeconds`` (None: no heartbeat required).
    """

    __slots__ = ("_armed", "_task", "_timer", "clock", "expired", "heartbeat", "heartbeat_at",
                 "timeout", "timeout_at")

    def __init__(self, clock: Clock, timeout: float | None, heartbeat: float | None) -> None:
        self.clock = clock
        self.timeout = timeout
        self.heartbeat = heartbeat
        self.timeout_at: float | None = None
        self.heartbeat_at: float | None = None
        self.expired: Expiry | None = None
        self._armed = False
        self._task: asyncio.Task[Any] | None = None
        self._timer: TimerHandle | None = None

    @property
    def unlimited(self) -> bool:
        """True when neither clock is set."""
        return self.timeout is None and self.heartbeat is None

    def arm(self) -> None:
        """Start both clocks now (idempotent)."""
        if self._armed:
            return
        self._armed = True
        now = self.clock.now()
        if self.timeout is not None:
            self.timeout_at = now + self.timeout
        if self.heartbeat is not None:
            self.heartbeat_at = now + self.heartbeat
        self._schedule()

    def beat(self) -> None:
        """Restart the heartbeat clock (once armed); the pending timer re-checks when it fires."""
        if self._armed and self.heartbeat is not None:
            self.heartbeat_at = self.clock.now() + self.heartbeat

    def _schedule(self) -> None:
        due = [t for t in (self.timeout_at, self.heartbeat_at) if t is not None]
        if self._task is not None and due:
            self._timer = self.clock.call_at(min(due), self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self._task is None:
            return
        now = self.clock.now()
        if self.timeout_at is not None and now >= self.timeout_at:
            self.expired = "timeout"
        elif self.heartbeat_at is not None and now >= self.heartbeat_at:
            self.expired = "heartbeat"
        else:
            # A heartbeat moved the deadline while the timer was pending: set a new timer, from a
            # plain loop callback rather than from inside the clock's timer callback.
            asyncio.get_running_loop().call_soon(self._schedule)
            return
        self._task.cancel()

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[None]:
        """Run the body under these deadlines (armed now or later, by ``arm``).

        Raises:
            TaskTimeout: a deadline passed (``States.Timeout``; a heartbeat expiry also answers to
                ``States.HeartbeatTimeout``).
        """
        if self.unlimited:
            yield
            return
        await own_task()  # a Map/Parallel child starts eagerly in its parent's task (children.py)
        task = asyncio.current_task()
        assert task is not None
        cancelling = task.cancelling()
        self._task = task
        self._schedule()
        try:
            yield
        except asyncio.CancelledError:
            if self.expired is not None and task.uncancel() <= cancelling:
                raise TaskTimeout(heartbeat=self.expired == "heartbeat") from None
            raise
        finally:
            self._task = None
            if self._timer is not None:
                self._timer.cancel()
