"""The Map state, distributed mode (checklist §4.10), for items from the state input.

A distributed Map runs each item (or batch) as a child workflow execution inside a *Map Run*. The
parent's history shows only the Map Run: ``MapStateStarted {length}``, ``MapRunStarted
{mapRunArn}``, then ``MapRunSucceeded`` (or ``MapRunFailed``/``MapRunAborted``); the children's
events go to their own histories (``ExecutionStarted`` … ``ExecutionSucceeded``/``Failed``/
``Aborted``). Children cannot read the parent's variables (their frames have no enclosing scope)
and see their own ``$$.Execution``.

Each Map Run (each attempt of the state) has a record in the engine (``sfnlocal.engine.map_runs``:
DescribeMapRun, ListMapRuns, UpdateMapRun): ARN ``arn:aws:states:<region>:<account>:mapRun:
<machine>/<label or state name>:<uuid>``, status, configuration and the child executions, whose
statuses give the item and execution counts. A child is an execution named by a UUID, of state
machine ``<machine ARN>/<label>``, with ``mapRunArn`` in its record: a Standard child
(``ProcessorConfig.ExecutionType`` STANDARD, the default here) has the ARN
``...:execution:<machine>/<label>:<run uuid>:<child uuid>`` and can be described and its history
read; an Express child has ``...:express:...`` and, as on AWS, is only listed
(ListExecutions with ``mapRunArn``).

Failures are counted against ``ToleratedFailureCount``/``ToleratedFailurePercentage`` (either one
exceeded fails the run; when neither is set, the first failure does): the run then stops the
running children (they close ABORTED) and the Map fails with
``States.ExceedToleratedFailureThreshold``. The output is the array of the children's outputs in
item order (a tolerated failure leaves its error output, ``{"Error", "Cause"}``, in its place (?)).
UpdateMapRun applies to the running run: a new ``maxConcurrency`` through the run's
``children.Throttle``, a tolerance lowered below the failures counted so far fails it at once.

A running child can be ended alone: StopExecution on a Standard child's ARN (an Express child's
ARN is ``InvalidArn``, as for any Express execution) closes it ABORTED with ``ExecutionAborted``
(error/cause as given), and an Express child still running 5 minutes after it started (the
Express limit) closes TIMED_OUT with ``ExecutionTimedOut`` (``States.Timeout``). Either counts as a
failed child against the tolerance (the checklist counts timed-out children; aborted ones too
(?)), its output slot holding ``{"Error", "Cause"}`` with what it closed with (?). An
``ItemProcessor`` has no ``TimeoutSeconds`` (ASL rejects the field), so a Standard child runs as
long as its parent lets it: stopping or timing out the parent aborts the Map Run and its running
children. DescribeStateMachineForExecution on a child describes the processor as a state machine
(``sfnlocal.engine.map_runs``: its definition, name ``<machine>/<label>``, ``mapRunArn``, ``label``).

A child's coroutine starts eagerly (``children.run_eagerly``), like any iteration; only when its
walk waits does it move to a Task of its own (``children.own_task``), which is what a stop or the
Express deadline cancels, with the reason recorded so that the child tells its own ending from an
outer cancellation (which it records as an abort and re-raises).

Not here yet: ``ItemReader`` (S3 sources), ``ResultWriter`` and Map Run redrive; an ItemReader
fails the state with ``States.ItemReaderFailed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import replace
from typing import Any

from sfnlocal.asl.model import MapState
from sfnlocal.engine.clock import TimerHandle
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import Data, History, HistoryLimitExceeded
from sfnlocal.engine.map_runs import MapRunRecord, MapRunsApi
from sfnlocal.engine.records import ExecutionRecord
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import StatesError
from sfnlocal.states import children, composite
from sfnlocal.states.map_fields import Tolerance

__all__ = ["THRESHOLD_ERROR", "run_distributed"]

THRESHOLD_ERROR = "States.ExceedToleratedFailureThreshold"
THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"
_EXPRESS_MAX_SECONDS = 300
"""How long an Express child may run (``sfnlocal.engine.execution.EXPRESS_MAX_SECONDS``, §15)."""


async def run_distributed(
    rt: ExecutionRuntime, frame: Frame, state: MapState, inputs: list[Any], limit: int,
    tolerance: Tolerance,
) -> Data:
    """Run one Map Run over the children's ``inputs``; return the array of their outputs.

    Raises:
        StatesError: ``States.ExceedToleratedFailureThreshold`` when too many children failed,
            ``States.ItemReaderFailed`` for an ItemReader (not supported yet).
    """
    if state.item_reader is not None:
        raise StatesError("States.ItemReaderFailed", "ItemReader sources are not supported yet.")
    run = _MapRun(rt, frame, state, inputs, tolerance, limit)
    rt.emit(frame, "MapRunStarted", {"map_run_arn": run.arn})
    status = "FAILED"
    try:
        await _run(run)
        status = "SUCCEEDED"
    except asyncio.CancelledError:
        status = "ABORTED"
        raise
    finally:
        run.record.close(status, rt.clock.now())
    _record_success(rt, frame)
    return Data.array(run.parts)


async def _run(run: _MapRun) -> None:
    """Run the children; record ``MapRunFailed`` or ``MapRunAborted`` when the run ends early."""
    rt, frame = run.rt, run.frame
    try:
        await children.run_children(run.launch, len(run.inputs), run.throttle)
    except StatesError as err:
        rt.emit(frame, "MapRunFailed", {"error": err.error, "cause": err.cause})
        raise
    except asyncio.CancelledError:
        with contextlib.suppress(HistoryLimitExceeded):
            rt.emit(frame, "MapRunAborted")
        raise


def _record_success(rt: ExecutionRuntime, frame: Frame) -> None:
    """``MapRunSucceeded`` → ``MapStateSucceeded`` (pointing at it); the pointer stays on the run.

    AWS's recordings since November 2024 have ``MapStateExited`` point at ``MapRunStarted``
    (older ones at ``MapRunSucceeded``).
    """
    succeeded = rt.emit_aside(frame, "MapRunSucceeded")
    rt.history.add("MapStateSucceeded", succeeded, rt.clock.now())


class _MapRun:
    """One Map Run: its record, the children's outputs, the failure count and the throttle."""

    __slots__ = ("arn", "endings", "failures", "frame", "inputs", "live", "parts", "record", "rt",
                 "state", "throttle", "tolerance", "walk")

    def __init__(
        self, rt: ExecutionRuntime, frame: Frame, state: MapState, inputs: list[Any],
        tolerance: Tolerance, limit: int,
    ) -> None:
        self.rt = rt
        self.frame = frame
        self.state = state
        self.inputs = inputs
        self.parts: list[Data] = [Data(None)] * len(inputs)
        self.tolerance = tolerance
        self.failures = 0
        self.walk = children.walker()
        self.throttle = children.Throttle(limit)
        self.live: dict[str, asyncio.Task[Any] | None] = {}  # running children: their own Task
        self.endings: dict[str, _Ending] = {}  # running children asked to end (stop, deadline)
        ident = rt.identity
        prefix = f"arn:aws:states:{ident.region}:{ident.account}"
        path = f"{ident.state_machine_name}/{state.label or state.name}"
        self.arn = f"{prefix}:mapRun:{path}:{_uuid(rt)}"
        self.record = self._record(f"{prefix}:stateMachine:{path}", limit)

    def _record(self, state_machine_arn: str, limit: int) -> MapRunRecord:
        """The Map Run's record, registered with the engine (when there is one)."""
        count, percentage = self.tolerance
        record = MapRunRecord(
            arn=self.arn, execution_arn=self.rt.identity.execution_arn,
            state_machine_arn=state_machine_arn, start_date=self.rt.clock.now(),
            total_items=sum(map(self._items_in, self.inputs)), total_executions=len(self.inputs),
            max_concurrency=limit, tolerated_failure_count=count or 0,
            tolerated_failure_percentage=float(percentage or 0), control=self,
            label=self.state.label or self.state.name,
            processor_pointer=self.state.processor.pointer,
        )
        if isinstance(self.rt.engine, MapRunsApi):
            self.rt.engine.start_map_run(record)
        return record

    def _items_in(self, child_input: Any) -> int:
        """How many items a child processes: its batch's ``Items``, else one."""
        if self.state.item_batcher is not None and isinstance(child_input, dict):
            batch = child_input.get("Items")
            if isinstance(batch, list):
                return len(batch)
        return 1

    # -- UpdateMapRun ---------------------------------------------------------------------------

    def update(
        self, max_concurrency: int | None, count: int | None, percentage: float | None,
    ) -> None:
        """Apply UpdateMapRun: the new limit at once; fail the run if now over the tolerance."""
        if max_concurrency is not None:
            self.throttle.set_limit(max_concurrency)
        if count is None and percentage is None:
            return
        old_count, old_percentage = self.tolerance
        self.tolerance = (old_count if count is None else count,
                          old_percentage if percentage is None else percentage)
        if self.failures and self._over_tolerance():
            self.throttle.fail(StatesError(THRESHOLD_ERROR, THRESHOLD_CAUSE))

    # -- children -------------------------------------------------------------------------------

    def launch(self, index: int) -> children.Child:
        """The coroutine of child execution ``index``."""
        child_rt, record = self._runtime(index)
        block = self.state.processor
        child = Frame(id=f"{self.frame.id}/{self.state.name}#{index}", block=block,
                      state=block.start_at, input=self.inputs[index])
        return self._child(index, child_rt, child, record)

    def _runtime(self, index: int) -> tuple[ExecutionRuntime, ExecutionRecord]:
        rt = self.rt
        name = _uuid(rt)
        express = self.state.execution_type == "EXPRESS"
        kind = ":express:" if express else ":execution:"
        arn = self.arn.replace(":mapRun:", kind, 1) + f":{name}"
        now = rt.clock.now()
        ident = replace(rt.identity, execution_arn=arn, name=name, input=self.inputs[index],
                        start_time=now, extra={})
        history = History(rt.settings.history_limit)
        child_rt = ExecutionRuntime(ident, rt.machine, rt.clock, history, rt.rng,
                                    rt.integrations, None, rt.engine, rt.settings)
        return child_rt, self._register(arn, name, index, now, history, express)

    def _register(
        self, arn: str, name: str, index: int, now: float, history: History, express: bool,
    ) -> ExecutionRecord:
        """The child's execution record: in the Map Run, and in the store when Standard."""
        record = ExecutionRecord(
            arn=arn, state_machine_arn=self.record.state_machine_arn, name=name,
            input=Data(self.inputs[index]).text, start_date=now, express=express,
            map_run_arn=self.arn,
        )
        self.record.children.append(record)
        self.record.items_of[arn] = self._items_in(self.inputs[index])
        engine = self.rt.engine  # a child's runtime has no store: nested Map Runs use the engine's
        store = engine.store if isinstance(engine, MapRunsApi) else self.rt.store
        if store is not None and not express:
            store.put_execution(record, history)
        return record

    async def _child(
        self, index: int, child_rt: ExecutionRuntime, child: Frame, record: ExecutionRecord,
    ) -> None:
        history = child_rt.history
        history.add("ExecutionStarted", 0, record.start_date,
                    {"input": Data(child.input, record.input), "role_arn": child_rt.identity.role_arn})
        self.live[record.arn] = None
        try:
            output = await self._walk_child(child_rt, child, record)
        except StatesError as err:
            _close(child_rt, child, record, "FAILED", err.error, err.cause)
            self._failed(index, err.error, err.cause)
        except asyncio.CancelledError:
            ending = self._own_ending(record.arn)
            if ending is None:  # the run (or the parent) ends: record the abort, pass it on
                _close(child_rt, child, record, "ABORTED")
                raise
            _close(child_rt, child, record, ending.status, ending.error, ending.cause)
            self._failed(index, ending.error, ending.cause)
        else:
            self.parts[index] = data = composite.output_data(child, output)
            _close(child_rt, child, record, "SUCCEEDED", output=data)
        finally:
            self._forget(record.arn)

    async def _walk_child(
        self, child_rt: ExecutionRuntime, child: Frame, record: ExecutionRecord,
    ) -> Any:
        """Walk the child eagerly; once it waits, in a Task of its own that can be cancelled alone."""
        outcome = children.run_eagerly(_walk(self.walk, child_rt, child))
        if not isinstance(outcome, children.Suspended):
            return outcome
        try:
            await children.own_task()
        except asyncio.CancelledError:  # cancelled before the child's Task first ran...
            _cancel_current_task()  # ... so the walk hears it where it waits
            return await outcome
        task = asyncio.current_task()
        self.live[record.arn] = task
        if task is not None and record.arn in self.endings:
            task.cancel()  # asked to end before it had a Task
        timer = self._deadline(record)
        try:
            return await outcome
        finally:
            if timer is not None:
                timer.cancel()

    def _deadline(self, record: ExecutionRecord) -> TimerHandle | None:
        """An Express child times out 5 minutes after it started (a Standard one has no limit)."""
        if not record.express:
            return None
        arn = record.arn
        return self.rt.clock.call_at(record.start_date + _EXPRESS_MAX_SECONDS,
                                     lambda: self._end_child(arn, "TIMED_OUT", "States.Timeout"))

    # -- ending one child (StopExecution, the Express deadline) ----------------------------------

    async def stop_child(self, arn: str, error: str | None, cause: str | None) -> None:
        """StopExecution of a running child: it closes ABORTED; return once it has closed."""
        ending = self._end_child(arn, "ABORTED", error, cause)
        if ending is not None:
            await ending.closed.wait()

    def _end_child(
        self, arn: str, status: str, error: str | None, cause: str | None = None,
    ) -> _Ending | None:
        """Ask a running child to close with ``status``; None when it is not running."""
        if arn not in self.live:
            return None
        ending = self.endings.get(arn)
        if ending is None:
            ending = self.endings[arn] = _Ending(status, error, cause)
            task = self.live[arn]
            if task is not None:
                task.cancel()
        return ending

    def _own_ending(self, arn: str) -> _Ending | None:
        """The ending the child was asked for, when it is the child's only cancellation.

        The cancellation is then taken back (the child closes and returns); None for a
        cancellation from outside (the Map Run failing or being aborted), which propagates.
        """
        ending = self.endings.get(arn)
        task = asyncio.current_task()
        if ending is None or task is None or self.live.get(arn) is not task:
            return None
        return ending if task.uncancel() == 0 else None

    def _forget(self, arn: str) -> None:
        """The child has closed: wake whoever waits for it to end."""
        self.live.pop(arn, None)
        ending = self.endings.pop(arn, None)
        if ending is not None:
            ending.closed.set()

    def _failed(self, index: int, error: str | None, cause: str | None) -> None:
        """A child failed, was stopped or timed out: its error output, counted as a failure."""
        self.parts[index] = Data({"Error": error, "Cause": cause})
        self._count_failure()

    def _count_failure(self) -> None:
        """Count a failed child; fail the run once the tolerance is exceeded."""
        self.failures += 1
        if self._over_tolerance():
            raise StatesError(THRESHOLD_ERROR, THRESHOLD_CAUSE)

    def _over_tolerance(self) -> bool:
        count, percentage = self.tolerance
        if count is None and percentage is None:
            count = 0
        over_count = count is not None and self.failures > count
        share = 100.0 * self.failures / len(self.inputs)
        return over_count or (percentage is not None and share > percentage)


async def _walk(walk: children.Walker, child_rt: ExecutionRuntime, child: Frame) -> Any:
    """Walk a child's block; a child that outgrows its history fails as an execution does."""
    try:
        return await walk(child_rt, child)
    except HistoryLimitExceeded:
        limit = child_rt.settings.history_limit
        raise StatesError(
            "States.Runtime", f"The execution reached the maximum number of history events ({limit})."
        ) from None


class _Ending:
    """How a running child was asked to close (``ABORTED`` or ``TIMED_OUT``) and when it has."""

    __slots__ = ("cause", "closed", "error", "status")

    def __init__(self, status: str, error: str | None, cause: str | None) -> None:
        self.status, self.error, self.cause = status, error, cause
        self.closed = asyncio.Event()


_CLOSING = {"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed",
            "ABORTED": "ExecutionAborted", "TIMED_OUT": "ExecutionTimedOut"}


def _close(
    child_rt: ExecutionRuntime, child: Frame, record: ExecutionRecord, status: str,
    error: str | None = None, cause: str | None = None, output: Data | None = None,
) -> None:
    """Record the child's closing event and its outcome (an abort is caused by no event).

    A timeout shows ``States.Timeout`` in its event only, not in the record (as an execution's).
    """
    details: dict[str, Any] = {}
    if output is not None:
        details["output"] = output
        record.output = output.text
    for key, value in (("error", error), ("cause", cause)):
        if value is not None:
            details[key] = value
    history = child_rt.history
    history.limit = None  # the closing event is always recorded
    previous = 0 if status == "ABORTED" else child.prev_event
    now = child_rt.clock.now()
    history.add(_CLOSING[status], previous, now, details)
    if status == "TIMED_OUT":
        error = None
    record.status, record.stop_date, record.error, record.cause = status, now, error, cause


def _cancel_current_task() -> None:
    task = asyncio.current_task()
    if task is not None:
        task.cancel()


def _uuid(rt: ExecutionRuntime) -> str:
    return str(uuid.UUID(int=rt.rng.getrandbits(128), version=4))
