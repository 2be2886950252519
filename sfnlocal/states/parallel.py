"""The Parallel state (checklist §4.8).

JSONata: ``Arguments`` (absent: the state input) is every branch's input; Assign/Output see
``$states.result`` (``composite.finish``).

Processing: InputPath → Parameters → every branch gets its own deep copy of that input and runs in
its own variable scope (reading the enclosing scopes, invisible to its siblings) → the result is
the array of branch outputs in ``Branches`` order → Assign → ResultSelector → ResultPath →
OutputPath. Branches that never wait run one after the other without a Task; the others run
concurrently (``children.run_children``).

A failing branch fails the state with the branch's own error (not ``States.BranchFailed``); the
other branches are cancelled and their in-flight states record ``<Type>StateAborted``. All branches
start together, as on AWS: a branch failing at once does not keep the later ones from starting
(they are then aborted where they wait). Retry re-runs all branches (a new
``ParallelStateStarted``).

History and ``previousEventId`` as AWS records them: ``ParallelStateStarted`` follows the entered
event (or, on a retry, the last event of the branch that failed); each branch's first event points
at ``ParallelStateStarted``; ``ParallelStateSucceeded`` does not move the causal pointer, so
``ParallelStateExited`` points at the last event of the last branch to finish;
``ParallelStateFailed`` points at the last event of the failed branch. A Task that fails a branch
records ``TaskStateAborted`` after its failure event (observed AWS quirk).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sfnlocal.asl.model import ParallelState
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import Data
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import EvaluationError, StatesError
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata import JsonataValue
from sfnlocal.expressions.templates import Template
from sfnlocal.states import children, composite, io
from sfnlocal.states.io import Step

__all__ = ["run_parallel"]

_NOTHING = Data(None)


async def run_parallel(rt: ExecutionRuntime, frame: Frame, state: ParallelState) -> Step:
    """Parallel: run every branch on the state's input; the output is their outputs, in order."""
    io.enter(rt, frame, state)
    return await composite.run_attempts(rt, frame, state, _Attempt(rt, frame, state))


class _Attempt(composite.Attempt[ParallelState]):
    """One run of all the branches."""

    __slots__ = ()

    async def __call__(self, retry_count: int) -> Any:
        rt, frame, state = self.rt, self.frame, self.state
        self.started = False
        self.ctx = rt.eval_ctx(frame, state, retry_count=retry_count)
        branch_input = self._input(self.ctx)
        rt.emit(frame, "ParallelStateStarted")
        self.started = True
        self.data = await _Branches(rt, frame, state, branch_input).run()
        return self.data.value

    def _input(self, ctx: EvalContext) -> Any:
        """InputPath → Parameters (JSONPath); Arguments (JSONata; absent: the input)."""
        state = self.state
        if state.is_jsonata:
            return self._arguments(ctx)
        try:
            effective = io.apply_input_path(state.input_path, self.frame.input, ctx)
            if isinstance(state.parameters, Template):
                effective = state.parameters.evaluate(effective, ctx)
        except composite.EXPRESSION_ERRORS as exc:
            raise io.translate(exc, state, self.frame) from None
        return effective


    def _arguments(self, ctx: EvalContext) -> Any:
        state, frame = self.state, self.frame
        if not isinstance(state.parameters, JsonataValue):
            return frame.input
        try:
            return state.parameters.evaluate_in(self.rt.jsonata_scope(ctx, frame.input))
        except EvaluationError as exc:
            self.started = True  # AWS records ParallelStateFailed after EvaluationFailed
            raise io.evaluation_failed(self.rt, frame, state, exc) from None


class _Branches:
    """The branches of one attempt: their outputs and where the causal pointer ends."""

    __slots__ = ("failed", "frame", "input", "last", "parts", "rt", "started", "state", "walk")

    def __init__(self, rt: ExecutionRuntime, frame: Frame, state: ParallelState, data: Any) -> None:
        self.rt = rt
        self.frame = frame
        self.state = state
        self.input = data
        self.parts: list[Data] = []
        self.started = self.last = frame.prev_event  # ParallelStateStarted
        self.failed = False
        self.walk = children.walker()

    async def run(self) -> Data:
        """Run the branches; return the result (the array of their outputs) as ``Data``."""
        count = len(self.state.branches)
        self.parts = [_NOTHING] * count
        await children.run_children(self._launch, count, start_all=True)
        self.frame.prev_event = self.last
        self.rt.emit_aside(self.frame, "ParallelStateSucceeded")
        return Data.array(self.parts)

    def _launch(self, index: int) -> children.Child:
        frame = self.frame
        block = self.state.branches[index]
        copy = composite.copy_json(self.input)
        child = frame.child(f"{self.state.name}[{index}]", block, copy, self.started,
                            composite.input_data(frame, self.input, copy))
        return self._branch(index, child)

    async def _branch(self, index: int, child: Frame) -> None:
        try:
            output = await self.walk(self.rt, child)
        except StatesError:
            self._fail(child)
            raise
        except asyncio.CancelledError:
            child.status = "ABORTED"
            raise
        finally:
            child.discard_scope()
        self.parts[index] = composite.output_data(child, output)
        self.last = max(self.last, child.prev_event)

    def _fail(self, child: Frame) -> None:
        child.status = "FAILED"
        if child.block.states[child.state].type == "Task":
            self.rt.emit(child, "TaskStateAborted")
        if not self.failed:
            self.failed = True
            self.frame.prev_event = child.prev_event
