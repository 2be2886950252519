"""The Map state, distributed mode (checklist §4.10), for items from the state input.

A distributed Map runs each item (or batch) as a child workflow execution inside a *Map Run*. The
parent's history shows only the Map Run: ``MapStateStarted {length}``, ``MapRunStarted
{mapRunArn}``, then ``MapRunSucceeded`` (or ``MapRunFailed``/``MapRunAborted``); the children's
events go to their own histories. Children cannot read the parent's variables (their frames have no
enclosing scope) and see their own ``$$.Execution``.

Failures are counted against ``ToleratedFailureCount``/``ToleratedFailurePercentage`` (either one
exceeded fails the run; when neither is set, the first failure does): the run then stops the
running children and the Map fails with ``States.ExceedToleratedFailureThreshold``. The output is
the array of the children's outputs in item order (a tolerated failure leaves its error output,
``{"Error", "Cause"}``, in its place (?)).

Not here yet: ``ItemReader`` (S3 sources), ``ResultWriter`` and the Map Run API records
(DescribeMapRun, ListMapRuns); an ItemReader fails the state with ``States.ItemReaderFailed``.
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
    run = _MapRun(rt, frame, state, inputs, tolerance)
    rt.emit(frame, "MapRunStarted", {"map_run_arn": run.arn})
    try:
        await children.run_children(run.launch, len(inputs), limit)
    except StatesError as err:
        rt.emit(frame, "MapRunFailed", {"error": err.error, "cause": err.cause})
        raise
    except asyncio.CancelledError:
        with contextlib.suppress(HistoryLimitExceeded):
            rt.emit(frame, "MapRunAborted")
        raise
    _record_success(rt, frame)
    return Data.array(run.parts)


def _record_success(rt: ExecutionRuntime, frame: Frame) -> None:
    """``MapRunSucceeded`` → ``MapStateSucceeded`` (pointing at it); the pointer stays on the run.

    AWS's recordings since November 2024 have ``MapStateExited`` point at ``MapRunStarted``
    (older ones at ``MapRunSucceeded``).
    """
    succeeded = rt.emit_aside(frame, "MapRunSucceeded")
    rt.history.add("MapStateSucceeded", succeeded, rt.clock.now())


class _MapRun:
    """One Map Run: its ARN, the children's outputs and the failure count."""

    __slots__ = ("arn", "failures", "frame", "inputs", "parts", "rt", "state", "tolerance", "walk")

    def __init__(
        self, rt: ExecutionRuntime, frame: Frame, state: MapState, inputs: list[Any],
        tolerance: Tolerance,
    ) -> None:
        self.rt = rt
        self.frame = frame
        self.state = state
        self.inputs = inputs
        self.parts: list[Data] = [Data(None)] * len(inputs)
        self.tolerance = tolerance
        self.failures = 0
        self.walk = children.walker()
        ident = rt.identity
        label = state.label or state.name
        self.arn = (
            f"arn:aws:states:{ident.region}:{ident.account}:mapRun:"
            f"{ident.state_machine_name}/{label}:{_uuid(rt)}"
        )

    def launch(self, index: int) -> children.Child:
        """The coroutine of child execution ``index``."""
        child_rt = self._runtime(index)
        block = self.state.processor
        child = Frame(id=f"{self.frame.id}/{self.state.name}#{index}", block=block,
                      state=block.start_at, input=self.inputs[index])
        return self._child(index, child_rt, child)

    def _runtime(self, index: int) -> ExecutionRuntime:
        rt = self.rt
        name = _uuid(rt)
        ident = replace(
            rt.identity, execution_arn=self.arn.replace(":mapRun:", ":execution:", 1) + f":{name}",
            name=name, input=self.inputs[index], start_time=rt.clock.now(), extra={},
        )
        return ExecutionRuntime(ident, rt.machine, rt.clock, History(rt.settings.history_limit),
                                rt.rng, rt.integrations, None, rt.engine, rt.settings)

    async def _child(self, index: int, child_rt: ExecutionRuntime, child: Frame) -> None:
        try:
            output = await self.walk(child_rt, child)
        except StatesError as err:
            self.parts[index] = Data(err.to_error_output())
            self._count_failure()
        else:
            self.parts[index] = composite.output_data(child, output)

    def _count_failure(self) -> None:
        """Count a failed child; fail the run once the tolerance is exceeded."""
        self.failures += 1
        count, percentage = self.tolerance
        if count is None and percentage is None:
            count = 0
        over_count = count is not None and self.failures > count
        share = 100.0 * self.failures / len(self.inputs)
        if over_count or (percentage is not None and share > percentage):
            raise StatesError(THRESHOLD_ERROR, THRESHOLD_CAUSE)


def _uuid(rt: ExecutionRuntime) -> str:
    return str(uuid.UUID(int=rt.rng.getrandbits(128), version=4))
