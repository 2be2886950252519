"""The Wait state (checklist §4.5).

JSONata: ``Seconds``/``Timestamp`` may be expressions over ``$states.input`` (a non-negative
integer / an ISO-8601 string); failures are ``States.QueryEvaluationError`` with an
``EvaluationFailed`` event (location ``Seconds``/``Timestamp``). Assign and Output follow the sleep.

Processing: InputPath → the delay (``Seconds``, ``SecondsPath``, ``Timestamp`` or ``TimestampPath``,
read from the effective input) → sleep → Assign → OutputPath. The deadline is written into the frame
(data, persisted by the store) before the state sleeps on the engine's clock, so a resumed execution
knows when its Wait ends. A timestamp in the past does not wait at all.

Failures are ``States.Runtime`` with AWS's causes, e.g. ``The SecondsPath parameter references a
negative value: $.p == -1``; a delay of 2^31 seconds (about 24,855 days) or more fails with ``Wait
state delay is too long.``. When the wait is cancelled inside a Parallel branch or a Map iteration,
the state records ``WaitStateAborted`` and re-raises the cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sfnlocal.asl.model import WaitState
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import HistoryLimitExceeded, to_json_text
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import EvaluationError
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata import QUERY_EVALUATION_ERROR, JsonataScope, JsonataValue
from sfnlocal.expressions.jsonata_fields import evaluate_non_negative
from sfnlocal.expressions.jsonpath import Path, PathNotFound
from sfnlocal.states import io
from sfnlocal.states.io import Step

__all__ = ["MAX_DELAY_SECONDS", "parse_timestamp", "run_wait"]

MAX_DELAY_SECONDS = 2**31 - 1
"""The longest delay AWS accepts (24,855 days pass, 24,856 days fail: conformance cases)."""

_LONG_MAX = 2**63 - 1


_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))"
)


async def run_wait(rt: ExecutionRuntime, frame: Frame, state: WaitState) -> Step:
    """Wait: InputPath → delay → sleep → Assign → OutputPath."""
    io.enter(rt, frame, state)
    if state.is_jsonata:
        return await _run_jsonata(rt, frame, state)
    ctx = rt.eval_ctx(frame, state)
    effective = io.apply_input_path(state.input_path, frame.input, ctx)
    if rt.inspection is not None:
        rt.inspection["after_input_path"] = effective
    deadline = _deadline(state, effective, ctx, rt.clock.now())
    await _sleep(rt, frame, deadline)
    assigned = io.evaluate_assign(state.assign, effective, ctx)
    output = io.apply_output_path(state.output_path, effective, ctx)
    io.commit_assign(frame, assigned)
    io.exit_state(rt, frame, state, output, assigned)
    return state.next, output


async def _run_jsonata(rt: ExecutionRuntime, frame: Frame, state: WaitState) -> Step:
    """JSONata Wait: Seconds/Timestamp with ``$states.input`` → sleep → Assign → Output."""
    ctx = rt.eval_ctx(frame, state)
    with io.reported(rt, frame, state, after_entered=True):
        now = rt.clock.now()
        deadline = _jsonata_deadline(state, rt.jsonata_scope(ctx, frame.input), now)
        if deadline - now > MAX_DELAY_SECONDS:
            raise EvaluationError(QUERY_EVALUATION_ERROR, "Wait state delay is too long.",
                                  location=_delay_field(state))
    await _sleep(rt, frame, deadline)
    with io.reported(rt, frame, state):
        scope = rt.jsonata_scope(ctx, frame.input)
        assigned = io.evaluate_assign(state.assign, frame.input, ctx, scope)
        output = io.jsonata_output(state.output, scope, frame.input)
    io.commit_assign(frame, assigned)
    io.exit_state(rt, frame, state, output, assigned)
    return state.next, output


def _delay_field(state: WaitState) -> str:
    return "Seconds" if state.seconds is not None else "Timestamp"


def _jsonata_deadline(state: WaitState, scope: JsonataScope, now: float) -> float:
    """The deadline of a JSONata Wait: ``Seconds`` (non-negative integer) or ``Timestamp``."""
    if isinstance(state.seconds, JsonataValue):
        return now + evaluate_non_negative(state.seconds, scope)
    if isinstance(state.seconds, int):
        return now + state.seconds
    value = state.timestamp
    if isinstance(value, JsonataValue):
        value = value.evaluate_in(scope)
    epoch = parse_timestamp(value) if isinstance(value, str) else None
    if epoch is None:
        shown = value if isinstance(value, str) else to_json_text(value)
        raise EvaluationError(
            QUERY_EVALUATION_ERROR,
            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
            f"string: {shown}", location="Timestamp",
        )
    return epoch


async def _sleep(rt: ExecutionRuntime, frame: Frame, deadline: float) -> None:
    """Record the deadline in the frame, then sleep on the clock until it (if it is ahead)."""
    if deadline <= rt.clock.now():
        return
    frame.deadline = deadline
    rt.checkpoint(frame)
    try:
        await rt.clock.sleep_until(deadline)
    except asyncio.CancelledError:
        _record_abort(rt, frame)
        raise
    finally:
        frame.deadline = None


def _record_abort(rt: ExecutionRuntime, frame: Frame) -> None:
    """``WaitStateAborted``: AWS records it for waits inside a branch or an iteration only."""
    if frame.parent is not None:
        with contextlib.suppress(HistoryLimitExceeded):
            rt.emit(frame, "WaitStateAborted")


# -- the delay ------------------------------------------------------------------------------------


def _deadline(state: WaitState, data: Any, ctx: EvalContext, now: float) -> float:
    """The epoch time the state waits for, checked against AWS's longest delay."""
    if state.seconds_path is not None:
        deadline = now + _seconds_from_path(state.seconds_path, data, ctx)
    elif state.timestamp_path is not None:
        deadline = _timestamp_from_path(state.timestamp_path, data, ctx)
    elif isinstance(state.timestamp, str):
        deadline = _literal_timestamp(state.timestamp)
    elif isinstance(state.seconds, int):
        deadline = now + state.seconds
    else:
        raise _runtime("The Wait state has no delay field.")
    if deadline - now > MAX_DELAY_SECONDS:
        raise EvaluationError(io.RUNTIME, "Wait state delay is too long.")
    return deadline


def _seconds_from_path(path: Path, data: Any, ctx: EvalContext) -> int:
    value = _read(path, data, ctx, "SecondsPath")
    if not _is_long(value):
        problem = "cannot be parsed as a long value"
    elif value < 0:
        problem = "references a negative value"
    else:
        return int(value)
    raise _runtime(f"The SecondsPath parameter {problem}: {_show(path, value)}")


def _timestamp_from_path(path: Path, data: Any, ctx: EvalContext) -> float:
    value = _read(path, data, ctx, "TimestampPath")
    epoch = parse_timestamp(value) if isinstance(value, str) else None
    if epoch is None:
        raise _runtime(
            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
            f"date-time format string: {_show(path, value)}"
        )
    return epoch


def _literal_timestamp(text: str) -> float:
    epoch = parse_timestamp(text)
    if epoch is None:  # validation rejects these at creation; kept for definitions built by hand
        raise _runtime(
            f"The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
            f"string: {text}"
        )
    return epoch


def _read(path: Path, data: Any, ctx: EvalContext, field: str) -> Any:
    try:
        return path.evaluate(data, ctx)
    except PathNotFound:
        detail = f"The {field} parameter does not reference an input value: {path.text}"
        raise _runtime(detail) from None


def _is_long(value: Any) -> bool:
    """An integral JSON number within Java's ``long`` range (``1.5`` and ``1.0`` are not)."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _LONG_MAX


def _show(path: Path, value: Any) -> str:
    """AWS's ``<path> == <value>`` (strings unquoted)."""
    shown = value if isinstance(value, str) else to_json_text(value)
    return f"{path.text} == {shown}"


def _runtime(detail: str) -> EvaluationError:
    return EvaluationError(io.RUNTIME, detail)


def parse_timestamp(text: str) -> float | None:
    """Epoch seconds of an ISO-8601 extended offset date-time, or None when it is not one.

    Accepts ``YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`` with an uppercase ``T`` and ``Z`` and any
    number of fraction digits (checklist §2.2); rejects impossible dates and times.
    """
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        zone = UTC if zulu else _offset(sign, int(off_h), int(off_m))
        stamp = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                         tzinfo=zone)
    except ValueError:
        return None
    return stamp.timestamp() + (float(f"0.{fraction}") if fraction else 0.0)


def _offset(sign: str, hours: int, minutes: int) -> timezone:
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if sign == "-" else delta)
