"""Input/output processing shared by the state types (checklist §3.1).

Each helper is one step of AWS's processing order; the state modules call them in that order.
Expression failures surface as ``EvaluationError``/``PathNotFound`` and are translated by
``translate`` into the ``StatesError`` AWS reports, with the state prefix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeAlias

from sfnlocal.asl.model import State
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import MAX_PAYLOAD_BYTES, Data, to_json_text
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import EvaluationError, StatesError, cause_prefix
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata import JsonataScope, JsonataValue
from sfnlocal.expressions.jsonpath import Path, PathNotFound, PathTypeError
from sfnlocal.expressions.templates import Template

__all__ = [
    "DATA_LIMIT_EXCEEDED",
    "MAX_ASSIGN_BYTES",
    "MAX_EXECUTION_VARIABLE_BYTES",
    "MAX_VARIABLE_BYTES",
    "RUNTIME",
    "Step",
    "apply_input_path",
    "apply_output_path",
    "apply_result_path",
    "check_variable_sizes",
    "commit_assign",
    "enter",
    "evaluate_assign",
    "evaluation_failed",
    "exit_state",
    "guarded",
    "guarded_async",
    "json_size",
    "jsonata_output",
    "reported",
    "translate",
]

RUNTIME = "States.Runtime"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
MAX_VARIABLE_BYTES = 262_144
"""One variable's value (checklist §5)."""
MAX_ASSIGN_BYTES = 262_144
"""All values of one Assign."""
MAX_EXECUTION_VARIABLE_BYTES = 10 * 1024 * 1024
"""All variables an execution stores at once."""

Step: TypeAlias = tuple[str | None, Any]
"""What a state handler returns: the next state's name (None at the end of a block) and the output."""


def enter(rt: ExecutionRuntime, frame: Frame, state: State) -> int:
    """Record ``<Type>StateEntered`` with the raw input; remember its id for causes."""
    data = frame.data_of(frame.input)
    event_id = rt.emit(frame, state.type + "StateEntered", {"name": state.name, "input": data})
    frame.entered_event = event_id
    return event_id


def exit_state(
    rt: ExecutionRuntime, frame: Frame, state: State, output: Any,
    assigned: dict[str, Any] | None = None, task_result: bool = False, data: Data | None = None,
) -> None:
    """Check the output size and record ``<Type>StateExited``.

    AWS keeps the JSON text of a value that a state passes on unchanged (a raw input's spacing
    survives a Pass without fields), so an output that *is* the state's input reuses the input's
    ``Data``; ``data`` may supply the text of a composed output (``Data.array``). The output's
    ``Data`` is kept on the frame: the next state's entered event shares it.
    """
    if data is None or data.value is not output:
        data = frame.data_of(output)
    if data.size > MAX_PAYLOAD_BYTES:
        raise data_limit_error(state.name)
    frame.input_data = data
    details: dict[str, Any] = {"name": state.name, "output": data}
    if assigned:
        details["assigned_variables"] = assigned
    rt.emit(frame, state.type + "StateExited", details)


def data_limit_error(source: str) -> StatesError:
    """AWS's ``States.DataLimitExceeded`` for a result from ``source`` (state, ARN or service)."""
    return StatesError(
        DATA_LIMIT_EXCEEDED,
        f"The state/task '{source}' returned a result with a size exceeding "
        "the maximum number of bytes service limit.",
    )


def apply_input_path(path: Path | None, data: Any, ctx: EvalContext) -> Any:
    """``InputPath``: None (``null``) gives ``{}``."""
    if path is None:
        return {}
    return path.evaluate(data, ctx)


def apply_output_path(path: Path | None, data: Any, ctx: EvalContext) -> Any:
    """``OutputPath``: None (``null``) gives ``{}``."""
    if path is None:
        return {}
    return path.evaluate(data, ctx)


def apply_result_path(path: Path | None, raw_input: Any, result: Any) -> Any:
    """``ResultPath``: None (``null``) keeps the raw input; otherwise place the result in it.

    Raises:
        StatesError: ``States.ResultPathMatchFailure`` when the raw input cannot hold the path
            (e.g. ``$.x`` into a string); an ordinary error, so a Catch may take it.
    """
    if path is None:
        return raw_input
    try:
        return path.assign(raw_input, result)
    except PathTypeError as exc:
        raise StatesError(exc.error, exc.message) from None


def evaluate_assign(
    assign: Any, data: Any, ctx: EvalContext, scope: JsonataScope | None = None
) -> dict[str, Any] | None:
    """Evaluate an ``Assign`` block (all right-hand sides first, with entry-time variables).

    Args:
        assign: the compiled block (a ``Template`` or, in JSONata states, a ``JsonataValue``).
        data: ``$`` of a JSONPath Assign.
        ctx: the evaluation context.
        scope: the JSONata scope (``$states``...); built from ``data`` and ``ctx`` when omitted.
    """
    if assign is None:
        return None
    if isinstance(assign, Template):
        values = assign.evaluate(data, ctx)
    elif isinstance(assign, JsonataValue):
        values = assign.evaluate_in(scope if scope is not None else JsonataScope.of(ctx, data))
    else:
        return None
    return values if isinstance(values, dict) else None


def jsonata_output(output: JsonataValue | None, scope: JsonataScope, default: Any) -> Any:
    """A JSONata ``Output``: its value in ``scope``, or ``default`` when the state has none."""
    return default if output is None else output.evaluate_in(scope)


def commit_assign(frame: Frame, values: dict[str, Any] | None) -> None:
    """Make assigned values visible to the following states (into this frame's scope).

    Raises:
        StatesError: ``States.DataLimitExceeded`` when a value, the Assign or the execution's
            variables would pass their size limit (``check_variable_sizes``); nothing is assigned.
    """
    if values:
        sizes, total = check_variable_sizes(frame, values)
        frame.store_variables(values, sizes, total)


def check_variable_sizes(frame: Frame, values: dict[str, Any]) -> tuple[dict[str, int], int]:
    """The JSON size of each assigned value and the execution's variable bytes after the Assign.

    Limits (checklist §5): one value ≤ 256 KiB, all values of one Assign ≤ 256 KiB, all variables
    stored by the execution (its live scopes) ≤ 10 MiB. Sizes are UTF-8 bytes of compact JSON.

    Raises:
        StatesError: ``States.DataLimitExceeded``, the cause naming the limit, the size and the
            state. AWS's wording of these causes has not been observed: ours is our own.
    """
    sizes: dict[str, int] = {}
    assigned = 0
    for name, value in values.items():
        size = sizes[name] = json_size(value)
        assigned += size
        if size > MAX_VARIABLE_BYTES:
            raise _variable_limit(frame, f"The value assigned to the variable '{name}' has {size} "
                                         f"bytes, over the limit of {MAX_VARIABLE_BYTES} bytes "
                                         "for one variable.")
    if assigned > MAX_ASSIGN_BYTES:
        raise _variable_limit(frame, f"The values of the Assign field have {assigned} bytes in "
                                     f"all, over the limit of {MAX_ASSIGN_BYTES} bytes for one "
                                     "Assign.")
    total = frame.variable_bytes.total + assigned
    own = frame.variable_sizes
    if own:
        for name in sizes:
            total -= own.get(name, 0)
    if total > MAX_EXECUTION_VARIABLE_BYTES:
        raise _variable_limit(frame, f"The variables of the execution would have {total} bytes "
                                     f"in all, over the limit of {MAX_EXECUTION_VARIABLE_BYTES} "
                                     "bytes for one execution.")
    return sizes, total


def json_size(value: Any) -> int:
    """UTF-8 byte length of ``value``'s compact JSON text (integers, booleans, null: no encode)."""
    kind = type(value)
    if kind is int:
        return len(repr(value))
    if kind is bool:
        return 4 if value else 5
    if value is None:
        return 4
    text = to_json_text(value)
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _variable_limit(frame: Frame, detail: str) -> StatesError:
    # AWS documents the limits but not the cause it reports: this wording is unverified.
    return StatesError(DATA_LIMIT_EXCEEDED, cause_prefix(frame.state, frame.entered_event) + detail)


def translate(exc: Exception, state: State, frame: Frame) -> StatesError:
    """Turn an expression failure into the StatesError AWS reports inside ``state``."""
    if isinstance(exc, StatesError):
        return exc
    if isinstance(exc, EvaluationError):
        return exc.at(state.name, frame.entered_event)
    if isinstance(exc, PathNotFound):
        return StatesError(RUNTIME, cause_prefix(state.name, frame.entered_event) + exc.message)
    raise exc


def evaluation_failed(
    rt: ExecutionRuntime, frame: Frame, state: State, exc: EvaluationError, after_entered: bool = False,
) -> StatesError:
    """The StatesError for a failed evaluation; a JSONata one first records ``EvaluationFailed``.

    AWS points the event at the event before ``<Type>StateEntered`` (Pass, Map, ...), except for
    Wait, whose event points at the entered event (``after_entered``).
    """
    err = exc.at(state.name, frame.entered_event)
    if exc.location is None:
        return err
    previous = frame.prev_event
    if not after_entered and previous == frame.entered_event and previous > 0:
        previous = rt.history.events[previous - 1].previous_event_id
    details = {"error": err.error, "cause": err.cause, "location": exc.location, "state": state.name}
    frame.prev_event = rt.history.add("EvaluationFailed", previous, rt.clock.now(), details)
    return err


@contextmanager
def reported(rt: ExecutionRuntime, frame: Frame, state: State, after_entered: bool = False
             ) -> Iterator[None]:
    """Turn expression failures inside the block into StatesErrors (with ``EvaluationFailed``)."""
    try:
        yield
    except EvaluationError as exc:
        raise evaluation_failed(rt, frame, state, exc, after_entered) from None
    except PathNotFound as exc:
        raise translate(exc, state, frame) from None


SyncHandler: TypeAlias = Callable[[ExecutionRuntime, Frame, Any], Step]
AsyncHandler: TypeAlias = Callable[[ExecutionRuntime, Frame, Any], Awaitable[Step]]


def guarded(handler: SyncHandler) -> SyncHandler:
    """Wrap a state handler so its evaluation failures are reported (``reported``)."""
    @wraps(handler)
    def run(rt: ExecutionRuntime, frame: Frame, state: Any) -> Step:
        with reported(rt, frame, state):
            return handler(rt, frame, state)
    return run


def guarded_async(handler: AsyncHandler) -> AsyncHandler:
    """``guarded`` for awaited handlers."""
    @wraps(handler)
    async def run(rt: ExecutionRuntime, frame: Frame, state: Any) -> Step:
        with reported(rt, frame, state):
            return await handler(rt, frame, state)
    return run
