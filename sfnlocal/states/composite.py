"""What Parallel and Map share: Retry of attempts, failure and abort events, Catch, result steps.

The result steps are checklist §3.1 steps 5 to 9; Retry and Catch are §7.

A composite state runs *attempts*: one attempt evaluates the state's input fields, records
``<Type>StateStarted`` and runs the children. ``run_attempts`` retries failed attempts as the
``Retry`` field says (each retry records a new ``<Type>StateStarted``), records
``<Type>StateFailed`` once the error leaves the state (only if the last attempt got as far as
starting), then hands the error to the first matching catcher or lets it fail the enclosing block.
A cancellation (StopExecution, a failing sibling of an enclosing branch) records
``<Type>StateAborted`` after the children recorded theirs, and is re-raised.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Generic, TypeVar

from sfnlocal.asl.model import MapState, ParallelState
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import Data, HistoryLimitExceeded
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import EvaluationError, StatesError
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonpath import PathNotFound
from sfnlocal.states import io, retry
from sfnlocal.states.io import Step

__all__ = [
    "EXPRESSION_ERRORS",
    "Attempt",
    "copy_json",
    "finish",
    "input_data",
    "output_data",
    "run_attempts",
]

EXPRESSION_ERRORS = (EvaluationError, PathNotFound)
"""Expression failures that ``io.translate`` turns into the StatesError AWS reports."""

Composite = ParallelState | MapState


S = TypeVar("S", ParallelState, MapState)


class Attempt(Generic[S]):
    """One run of a composite state's work, called with the retry count of the current visit.

    Parallel and Map subclass it with their ``__call__``; the fields are what ``run_attempts``
    reads once the work is over.
    """

    __slots__ = ("ctx", "data", "frame", "rt", "started", "state")

    def __init__(self, rt: ExecutionRuntime, frame: Frame, state: S) -> None:
        self.rt = rt
        self.frame = frame
        self.state: S = state
        self.started = False
        """True once the attempt recorded ``<Type>StateStarted``."""
        self.ctx: EvalContext | None = None
        """The evaluation context of the attempt (for the result steps), once it has one."""
        self.data: Data | None = None
        """The result's ``Data`` (its text joined from the children's), once the attempt succeeded."""

    async def __call__(self, retry_count: int) -> Any:
        """Run the work; return the raw result (an array) or raise ``StatesError``."""
        raise NotImplementedError


async def run_attempts(
    rt: ExecutionRuntime, frame: Frame, state: Composite, attempt: Attempt[Any]
) -> Step:
    """Run ``attempt`` under ``Retry``; then Catch, or the result steps.

    Raises:
        StatesError: the error of the last attempt, when no catcher takes it.
    """
    try:
        result = await retry.run_with_retry(rt, frame, state.retry, attempt)
    except StatesError as err:
        if attempt.started:
            rt.emit(frame, state.type + "StateFailed")
        catcher = retry.find_catcher(state.catch, err)
        if catcher is None:
            raise
        return retry.apply_catcher(rt, frame, state, catcher, err)
    except asyncio.CancelledError:
        with contextlib.suppress(HistoryLimitExceeded):
            rt.emit(frame, state.type + "StateAborted")
        raise
    assert attempt.ctx is not None  # an attempt that returns has evaluated its input
    return finish(rt, frame, state, result, attempt.ctx, attempt.data)


def finish(
    rt: ExecutionRuntime, frame: Frame, state: Composite, result: Any, ctx: EvalContext,
    data: Data | None = None,
) -> Step:
    """The result steps: Assign (``$`` = raw result) → ResultSelector → ResultPath → OutputPath.

    ``data``: the result's ``Data``; it becomes the output's when the steps leave the result as is.
    """
    inspection = rt.inspection
    if inspection is not None:
        inspection["result"] = result
    if state.is_jsonata:
        return _finish_jsonata(rt, frame, state, result, ctx, data)
    assigned = io.evaluate_assign(state.assign, result, ctx)
    if state.result_selector is not None:
        result = state.result_selector.evaluate(result, ctx)
    if inspection is not None:
        inspection["after_result_selector"] = result
    output = io.apply_result_path(state.result_path, frame.input, result)
    if inspection is not None:
        inspection["after_result_path"] = output
    output = io.apply_output_path(state.output_path, output, ctx)
    io.commit_assign(frame, assigned)
    io.exit_state(rt, frame, state, output, assigned, data=data)
    return state.next, output


def _finish_jsonata(
    rt: ExecutionRuntime, frame: Frame, state: Composite, result: Any, ctx: EvalContext,
    data: Data | None,
) -> Step:
    """JSONata: Assign, then Output (default: the result), with ``$states.result``."""
    with io.reported(rt, frame, state):
        scope = rt.jsonata_scope(ctx, frame.input, result=result)
        assigned = io.evaluate_assign(state.assign, result, ctx, scope)
        output = io.jsonata_output(state.output, scope, result)
    io.commit_assign(frame, assigned)
    io.exit_state(rt, frame, state, output, assigned, data=data)
    return state.next, output


def output_data(child: Frame, output: Any) -> Data:
    """The ``Data`` of a child's output: the one its last event recorded, when it is known."""
    known = child.input_data
    return known if known is not None and known.value is output else Data(output)


def input_data(frame: Frame, effective: Any, copy: Any) -> Data | None:
    """The ``Data`` of a copy of the effective input, keeping the input's text when it is unchanged."""
    known = frame.input_data
    if known is None or known.value is not effective:
        return None
    return Data(copy, known.text)


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (objects and arrays rebuilt; scalars are immutable)."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value
