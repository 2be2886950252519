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

Not here yet: ``ItemReader`` (S3 sources), ``ResultWriter``, child timeouts and Map Run redrive;
an ItemReader fails the state with ``States.ItemReaderFailed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import replace
from typing import Any

from sfnlocal.asl.model import MapState
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

    __slots__ = ("arn", "failures", "frame", "inputs", "parts", "record", "rt", "state",
                 "throttle", "tolerance", "walk")

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
        try:
            output = await _walk(self.walk, child_rt, child)
        except StatesError as err:
            _close(child_rt, child, record, "FAILED", err.error, err.cause)
            self.parts[index] = Data(err.to_error_output())
            self._count_failure()
        except asyncio.CancelledError:
            _close(child_rt, child, record, "ABORTED")
            raise
        else:
            self.parts[index] = data = composite.output_data(child, output)
            _close(child_rt, child, record, "SUCCEEDED", output=data)

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


_CLOSING = {"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed",
            "ABORTED": "ExecutionAborted"}


def _close(
    child_rt: ExecutionRuntime, child: Frame, record: ExecutionRecord, status: str,
    error: str | None = None, cause: str | None = None, output: Data | None = None,
) -> None:
    """Record the child's closing event and its outcome (an abort is caused by no event)."""
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
    record.status, record.stop_date, record.error, record.cause = status, now, error, cause


def _uuid(rt: ExecutionRuntime) -> str:
    return str(uuid.UUID(int=rt.rng.getrandbits(128), version=4))
