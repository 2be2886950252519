"""The walker: runs the states of one block inside one coroutine.

Consecutive states run synchronously in the same coroutine; only states that really wait (Task,
Wait, Parallel, Map) are awaited. Handlers come from ``sfnlocal.states.HANDLERS`` (type name →
function); a handler returns ``(next state or None, output)`` or raises ``StatesError``.
"""

from __future__ import annotations

from typing import Any

from sfnlocal.engine.frames import Frame
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import EvaluationError
from sfnlocal.expressions.jsonpath import PathNotFound
from sfnlocal.states import ASYNC_HANDLERS, SYNC_HANDLERS, io

__all__ = ["run_block"]

_EXPRESSION_ERRORS = (EvaluationError, PathNotFound)


async def run_block(rt: ExecutionRuntime, frame: Frame) -> Any:
    """Walk ``frame.block`` from ``frame.state`` until a terminal state; return the block's output.

    Raises:
        StatesError: the block failed with an error no state caught.
    """
    states = frame.block.states
    sync, asynchronous = SYNC_HANDLERS, ASYNC_HANDLERS
    while True:
        state = states[frame.state]
        handler = sync.get(state.type)
        try:
            if handler is not None:
                target, output = handler(rt, frame, state)
            else:
                target, output = await asynchronous[state.type](rt, frame, state)
        except _EXPRESSION_ERRORS as exc:
            raise io.translate(exc, state, frame) from None
        if target is None:
            frame.status, frame.output = "SUCCEEDED", output
            return output
        frame.state, frame.input = target, output
        frame.retry_counts = []
        rt.checkpoint(frame)
