"""One execution's life: ExecutionStarted → the root block → Succeeded/Failed/TimedOut/Aborted.

An execution is one task of the engine's TaskGroup, and its top-level states run inside that
task (no task per state, no other task per execution). Its deadline (``TimeoutSeconds``, or the 5
minutes an Express execution may last) is a timer on the engine's clock, not a task: when it fires,
or when StopExecution is called, the execution's task is cancelled with a recorded reason; the
states on the way out record their ``*Aborted`` events and re-raise the cancellation, and the
execution closes with the matching event and un-cancels its task (the cancellation was its own).
A cancellation that the execution did not ask for (the engine shutting down) propagates untouched
and leaves the execution RUNNING, as a stopped process leaves it in the store.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sfnlocal.engine import interpreter
from sfnlocal.engine.clock import TimerHandle
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import MAX_PAYLOAD_BYTES, Data, HistoryLimitExceeded
from sfnlocal.engine.records import ExecutionRecord
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import StatesError

__all__ = ["EXPRESS_MAX_SECONDS", "Execution"]

EXPRESS_MAX_SECONDS = 300
"""The longest an Express execution may run (checklist §14)."""


class Execution:
    """A running (or finished) execution: its record, runtime and completion signal.

    Args:
        record: the execution's record (updated in place when it closes).
        runtime: the services and data of the execution.
        input_value: the execution input as a JSON value.
        deadline: epoch seconds at which the execution times out, or None.
    """

    def __init__(
        self, record: ExecutionRecord, runtime: ExecutionRuntime, input_value: Any,
        deadline: float | None = None,
    ) -> None:
        self.record = record
        self.runtime = runtime
        self.input_value = input_value
        self.deadline = deadline
        self.finished = asyncio.Event()
        self.root: Frame | None = None
        self.task: asyncio.Task[Any] | None = None
        self._walking = False
        self._ending: tuple[str, str | None, str | None] | None = None

    # -- control --------------------------------------------------------------------------------

    def stop(self, error: str | None = None, cause: str | None = None) -> None:
        """Abort the execution (StopExecution); no effect once it has closed."""
        self._end_with("ABORTED", error, cause)

    def _time_out(self) -> None:
        self._end_with("TIMED_OUT", "States.Timeout", None)

    def _end_with(self, status: str, error: str | None, cause: str | None) -> None:
        if self._ending is None and not self.record.done:
            self._ending = (status, error, cause)
            if self._walking and self.task is not None:
                self.task.cancel()

    # -- the run --------------------------------------------------------------------------------

    async def run(self) -> None:
        """Run to completion; never raises for the execution's own failures."""
        self.root = self._start()
        timer = self._arm_deadline()
        try:
            if self._ending is not None:  # stopped before its task first ran
                self._close(*self._ending)
            else:
                self.task = asyncio.current_task()
                self._walking = True
                await self._walk(self.root)
        finally:
            if timer is not None:
                timer.cancel()
            self.finished.set()

    def _start(self) -> Frame:
        """Record ``ExecutionStarted`` and the root frame at the first state."""
        rt = self.runtime
        started = self._started_details()
        rt.history.add("ExecutionStarted", 0, self.record.start_date, started)
        machine = rt.machine
        # The first state shows the input with AWS's own text (its spacing), not re-serialised.
        root = Frame(id="", block=machine.root, state=machine.start_at, input=self.input_value,
                     input_data=started["input"])
        rt.checkpoint(root)
        return root

    def _arm_deadline(self) -> TimerHandle | None:
        if self.deadline is None:
            return None
        return self.runtime.clock.call_at(self.deadline, self._time_out)

    def _started_details(self) -> dict[str, Any]:
        ident = self.runtime.identity
        details: dict[str, Any] = {"input": Data(self.input_value, self.record.input),
                                   "role_arn": ident.role_arn}
        details.update(ident.extra)
        return details

    async def _walk(self, root: Frame) -> None:
        try:
            output = await interpreter.run_block(self.runtime, root)
        except StatesError as err:
            self._fail(err.error, err.cause)
        except HistoryLimitExceeded:
            self._fail_history_limit()
        except asyncio.CancelledError:
            if self._ending is None:
                raise
            self._uncancel()
            self._close(*self._ending)
        except Exception as exc:  # bad input must never crash the engine
            self._fail_unexpected(exc)
        else:
            self._succeed(output)

    def _uncancel(self) -> None:
        if self.task is not None:
            self.task.uncancel()

    # -- closing --------------------------------------------------------------------------------

    def _succeed(self, output: Any) -> None:
        # Reuse the text the last state recorded, so AWS's original formatting is kept.
        data = self.root.data_of(output) if self.root is not None else Data(output)
        if data.size > MAX_PAYLOAD_BYTES:
            self._fail("States.DataLimitExceeded",
                       "The state/task 'Execution' returned a result with a size exceeding the "
                       "maximum number of bytes service limit.")
            return
        self._record_event("ExecutionSucceeded", {"output": data})
        self._finish("SUCCEEDED", output=data.text)

    def _fail(self, error: str | None, cause: str | None) -> None:
        self._record_event("ExecutionFailed", _error_details(error, cause))
        self._finish("FAILED", error=error, cause=cause)

    def _fail_history_limit(self) -> None:
        limit = self.runtime.settings.history_limit
        cause = f"The execution reached the maximum number of history events ({limit})."
        self._fail("States.Runtime", cause)

    def _fail_unexpected(self, exc: Exception) -> None:
        """An exception no state translated (a bug, a feature not built yet) fails the execution."""
        if _is_history_limit(exc):
            self._fail_history_limit()
            return
        self._fail("States.Runtime", f"Internal error: {type(exc).__name__}: {exc}")

    def _close(self, status: str, error: str | None, cause: str | None) -> None:
        event = {"ABORTED": "ExecutionAborted", "TIMED_OUT": "ExecutionTimedOut"}[status]
        # StopExecution is caused by no event (previousEventId 0); a timeout follows the last one.
        previous = 0 if status == "ABORTED" else self._last_id()
        history = self.runtime.history
        history.limit = None
        history.add(event, previous, self.runtime.clock.now(), _error_details(error, cause))
        if status == "TIMED_OUT":  # DescribeExecution shows no error for a timeout (conformance)
            error = None
        self._finish(status, error=error, cause=cause)

    def _record_event(self, event: str, details: dict[str, Any]) -> None:
        history = self.runtime.history
        history.limit = None  # the closing event is always recorded
        history.add(event, self._last_id(), self.runtime.clock.now(), details)

    def _last_id(self) -> int:
        return self.root.prev_event if self.root is not None else self.runtime.history.last_id

    def _finish(self, status: str, output: str | None = None, error: str | None = None,
                cause: str | None = None) -> None:
        record = self.record
        record.status, record.output = status, output
        record.error, record.cause = error, cause
        record.stop_date = self.runtime.clock.now()
        if self.runtime.store is not None and not record.express:
            self.runtime.store.update_execution(record)


def _is_history_limit(exc: BaseException) -> bool:
    """True for ``HistoryLimitExceeded``, raised directly or inside an exception group."""
    if isinstance(exc, BaseExceptionGroup):
        return exc.subgroup(HistoryLimitExceeded) is not None
    return isinstance(exc, HistoryLimitExceeded)


def _error_details(error: str | None, cause: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if error is not None:
        details["error"] = error
    if cause is not None:
        details["cause"] = cause
    return details
