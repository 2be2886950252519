"""The Map state, inline mode (checklist §4.9).

JSONata: no InputPath; ``Items``, ``MaxConcurrency`` and the tolerated-failure fields read
``$states.input``; ``ItemSelector`` also sees ``$states.context.Map.Item.{Index,Value}``; Assign and
Output see ``$states.result`` (``composite.finish``). A failed evaluation records
``EvaluationFailed`` and then ``MapStateFailed``.

Processing: InputPath → MaxConcurrency(Path) → ItemsPath (must give an array) → ``MapStateStarted``
→ ToleratedFailure*(Path) checked → per item: ``ItemSelector`` (or the legacy ``Parameters``, with
``$`` = the Map's effective input and ``$$.Map.Item.Index``/``Value``), then the item processor (or
the legacy ``Iterator``) in the item's own variable scope → the array of iteration outputs in item
order, whatever the concurrency → Assign → ResultSelector → ResultPath → OutputPath.

``MaxConcurrency`` 0 means no limit; 1 runs the items strictly one after the other. Iterations that
never wait run inline without a Task (a Map over 10,000 Pass items schedules nothing); the ones that
wait run concurrently, never more than the limit at once (``children.run_children``).

An iteration failing with an uncaught error fails the Map with that error: ``MapIterationFailed``,
then the other iterations in flight are cancelled (their states record ``<Type>StateAborted``, then
``MapIterationAborted``), then ``MapStateFailed`` once Retry gives up (a retry re-runs the whole Map
with a new ``MapStateStarted``), then Catch. Tolerated-failure fields are evaluated and checked as
AWS does, but as the checklist records for inline maps, a failing iteration still fails the Map.

``previousEventId`` as AWS records it: ``MapIterationStarted`` points at the Map's causal pointer
(``MapStateStarted``, then the last event of the previous iteration to finish);
``MapIterationSucceeded`` and ``MapIterationFailed`` point at the iteration's last event without
moving the Map's pointer; ``MapStateSucceeded`` and ``MapStateExited`` point at the last
``MapIterationSucceeded``; ``MapStateFailed`` at the failed iteration's last event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from sfnlocal.asl.model import MapState
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import Data, HistoryLimitExceeded
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import EvaluationError, StatesError
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata import JsonataValue
from sfnlocal.expressions.jsonpath import PathNotFound
from sfnlocal.expressions.templates import Template
from sfnlocal.states import children, composite, io, map_fields
from sfnlocal.states.io import Step
from sfnlocal.states.map_distributed import run_distributed

__all__ = ["run_map"]

_NOTHING = Data(None)


async def run_map(rt: ExecutionRuntime, frame: Frame, state: MapState) -> Step:
    """Map: run the item processor on every item; the output is their outputs, in item order."""
    io.enter(rt, frame, state)
    return await composite.run_attempts(rt, frame, state, _Attempt(rt, frame, state))


class _Attempt(composite.Attempt[MapState]):
    """One run of the whole Map."""

    __slots__ = ()

    async def __call__(self, retry_count: int) -> Any:
        rt, frame, state = self.rt, self.frame, self.state
        self.started = False
        ctx = self.ctx = rt.eval_ctx(frame, state, retry_count=retry_count)
        with self._reported():
            effective = (frame.input if state.is_jsonata
                         else io.apply_input_path(state.input_path, frame.input, ctx))
            limit = map_fields.max_concurrency(state, effective, ctx)
            items = map_fields.items(state, effective, ctx)
        rt.emit(frame, "MapStateStarted", {"length": len(items)})
        self.started = True
        iterations = _Iterations(rt, frame, state, effective, items, retry_count)
        self.data = await self._run(iterations, limit, ctx)
        return self.data.value

    async def _run(self, iterations: _Iterations, limit: int, ctx: EvalContext) -> Data:
        """Check the tolerated failures (after ``MapStateStarted``), then run the items."""
        rt, frame, state = self.rt, self.frame, self.state
        with self._reported():
            tolerance = map_fields.tolerance(state, iterations.effective, ctx)
        if state.mode == "DISTRIBUTED":
            inputs = iterations.child_inputs()
            return await run_distributed(rt, frame, state, inputs, limit, tolerance)
        return await iterations.run(limit)


    @contextlib.contextmanager
    def _reported(self) -> Iterator[None]:
        """Expression failures → StatesError; a JSONata one records ``EvaluationFailed``.

        AWS then records ``MapStateFailed``, even before ``MapStateStarted``.
        """
        try:
            yield
        except EvaluationError as exc:
            if exc.location is not None:
                self.started = True
            raise io.evaluation_failed(self.rt, self.frame, self.state, exc) from None
        except PathNotFound as exc:
            raise io.translate(exc, self.state, self.frame) from None


class _Iterations:
    """The iterations of one attempt: their outputs and where the causal pointer ends."""

    __slots__ = (
        "effective", "failed", "frame", "items", "last", "parts", "retry_count", "rt", "state",
        "walk",
    )

    def __init__(
        self, rt: ExecutionRuntime, frame: Frame, state: MapState, effective: Any,
        items: list[Any], retry_count: int,
    ) -> None:
        self.rt = rt
        self.frame = frame
        self.state = state
        self.effective = effective
        self.items = items
        self.retry_count = retry_count
        self.parts: list[Data] = []
        self.last = frame.prev_event
        self.failed = False
        self.walk = children.walker()

    async def run(self, limit: int) -> Data:
        """Run the iterations; return the result (the array of their outputs) as ``Data``."""
        self.parts = [_NOTHING] * len(self.items)
        await children.run_children(self._launch, len(self.items), limit)
        self.frame.prev_event = self.last
        self.rt.emit_aside(self.frame, "MapStateSucceeded")
        return Data.array(self.parts)

    def _launch(self, index: int) -> children.Child:
        """Record ``MapIterationStarted`` and make the iteration's frame and coroutine."""
        frame, state = self.frame, self.state
        details = {"name": state.name, "index": index}
        started = self.rt.emit_aside(frame, "MapIterationStarted", details)
        child = frame.child(f"{state.name}[{index}]", state.processor, self.items[index], started)
        return self._iteration(index, child, details)

    async def _iteration(self, index: int, child: Frame, details: dict[str, Any]) -> None:
        rt = self.rt
        try:
            if self.state.item_selector is not None:
                child.input = self._select(index, child.input)
            output = await self.walk(rt, child)
        except StatesError:
            self._fail(child, details)
            raise
        except asyncio.CancelledError:
            child.status = "ABORTED"
            with contextlib.suppress(HistoryLimitExceeded):
                rt.emit(child, "MapIterationAborted", details)
            raise
        finally:
            child.discard_scope()
        self.parts[index] = composite.output_data(child, output)
        last = rt.emit_aside(child, "MapIterationSucceeded", details)
        if not self.failed:  # after a failure, the pointer stays on the failed iteration
            self.frame.prev_event, self.last = child.prev_event, last

    def child_inputs(self) -> list[Any]:
        """The inputs of distributed children: each item through ItemSelector, then batched."""
        items = self.items
        if self.state.item_selector is not None:
            items = [self._select(index, item) for index, item in enumerate(items)]
        batcher = self.state.item_batcher
        if batcher is None:
            return items
        with map_fields.translated(self.state, self.frame):
            return map_fields.batches(batcher, items, self.effective, self._ctx())

    def _ctx(self) -> EvalContext:
        return self.rt.eval_ctx(self.frame, self.state, self.retry_count)

    def _select(self, index: int, item: Any) -> Any:
        """``ItemSelector``/``Parameters``: ``$`` = the effective input, the item in ``$$``."""
        state, frame = self.state, self.frame
        selector = state.item_selector
        ctx = self.rt.eval_ctx(frame, state, self.retry_count, map_item=(index, item))
        if isinstance(selector, JsonataValue):
            with io.reported(self.rt, frame, state):
                return selector.evaluate_in(self.rt.jsonata_scope(ctx, frame.input))
        if not isinstance(selector, Template):
            return item
        with map_fields.translated(state, frame):
            return selector.evaluate(self.effective, ctx)

    def _fail(self, child: Frame, details: dict[str, Any]) -> None:
        child.status = "FAILED"
        self.rt.emit_aside(child, "MapIterationFailed", details)
        if not self.failed:
            self.failed = True
            self.frame.prev_event = child.prev_event
