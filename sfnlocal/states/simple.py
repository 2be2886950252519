"""The states that never wait: Pass, Choice, Succeed and Fail.

JSONPath states follow checklist §3.1; JSONata states §3.2: ``$states.input`` is the raw input,
``Assign`` and ``Output`` are evaluated against the entry-time variables (Assign first), and the
default output is the input. A failed JSONata evaluation records ``EvaluationFailed`` first
(``io.guarded``).

Each handler runs synchronously inside the walker's coroutine (no task switch per state) and returns
``(next state name or None, output)``.
"""

from __future__ import annotations

from typing import Any

from sfnlocal.asl.model import ChoiceState, FailState, PassState, SucceedState
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import to_json_text
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import StatesError, cause_prefix
from sfnlocal.expressions.context import EMPTY_CONTEXT, EvalContext
from sfnlocal.expressions.jsonata import JsonataScope, JsonataValue
from sfnlocal.expressions.jsonata_fields import evaluate_string
from sfnlocal.expressions.jsonpath import PathNotFound
from sfnlocal.states import io
from sfnlocal.states.io import Step

__all__ = ["run_choice", "run_fail", "run_pass", "run_succeed"]


@io.guarded
def run_pass(rt: ExecutionRuntime, frame: Frame, state: PassState) -> Step:
    """Pass: InputPath → Parameters → Result → Assign → ResultPath → OutputPath."""
    raw = frame.input
    io.enter(rt, frame, state)
    if state.is_jsonata:
        return _leave_jsonata(rt, frame, state, state.next, state.assign, state.output)
    ctx = rt.eval_ctx(frame, state)
    effective = io.apply_input_path(state.input_path, raw, ctx)
    inspection = rt.inspection
    if inspection is not None:
        inspection["after_input_path"] = effective
    if state.parameters is not None:
        effective = state.parameters.evaluate(effective, ctx)
    result = state.result if state.has_result else effective
    if inspection is not None:
        inspection.update(after_parameters=effective, result=result)
    assigned = io.evaluate_assign(state.assign, result, ctx)
    output = io.apply_result_path(state.result_path, raw, result)
    if inspection is not None:
        inspection["after_result_path"] = output
    output = io.apply_output_path(state.output_path, output, ctx)
    io.commit_assign(frame, assigned)
    io.exit_state(rt, frame, state, output, assigned)
    return state.next, output


def _leave_jsonata(
    rt: ExecutionRuntime, frame: Frame, state: PassState | ChoiceState | SucceedState,
    target: str | None, assign: Any, output_value: JsonataValue | None,
    scope: JsonataScope | None = None,
) -> Step:
    """JSONata exit: Assign and Output against entry-time variables (default output: the input)."""
    raw = frame.input
    if scope is None:
        scope = rt.jsonata_scope(rt.eval_ctx(frame, state), raw)
    assigned = io.evaluate_assign(assign, raw, EMPTY_CONTEXT, scope)
    output = io.jsonata_output(output_value, scope, raw)
    io.commit_assign(frame, assigned)
    io.exit_state(rt, frame, state, output, assigned)
    return target, output


@io.guarded
def run_succeed(rt: ExecutionRuntime, frame: Frame, state: SucceedState) -> Step:
    """Succeed: InputPath → OutputPath; ends the walker's block."""
    io.enter(rt, frame, state)
    if state.is_jsonata:
        return _leave_jsonata(rt, frame, state, None, None, state.output)
    ctx = rt.eval_ctx(frame, state)
    output = io.apply_input_path(state.input_path, frame.input, ctx)
    if rt.inspection is not None:
        rt.inspection["after_input_path"] = output
    output = io.apply_output_path(state.output_path, output, ctx)
    io.exit_state(rt, frame, state, output)
    return None, output


@io.guarded
def run_choice(rt: ExecutionRuntime, frame: Frame, state: ChoiceState) -> Step:
    """Choice: InputPath → first matching rule (or Default) → Assign → OutputPath."""
    raw = frame.input
    io.enter(rt, frame, state)
    if state.is_jsonata:
        return _choose_jsonata(rt, frame, state)
    ctx = rt.eval_ctx(frame, state)
    effective = io.apply_input_path(state.input_path, raw, ctx)
    if rt.inspection is not None:
        rt.inspection["after_input_path"] = effective
    for rule in state.choices:
        if rule.condition.evaluate(effective, ctx):
            return _leave_choice(rt, frame, state, rule.next, rule.assign, effective, ctx)
    if state.default is None:
        raise StatesError(rt.settings.no_choice_error, _no_match_cause(state, frame))
    return _leave_choice(rt, frame, state, state.default, state.assign, effective, ctx)


def _choose_jsonata(rt: ExecutionRuntime, frame: Frame, state: ChoiceState) -> Step:
    """JSONata Choice: the first true ``Condition`` leaves with its rule's Assign and Output.

    The state-level Assign and Output go with ``Default`` only.
    """
    scope = rt.jsonata_scope(rt.eval_ctx(frame, state), frame.input)
    for rule in state.choices:
        if rule.condition.evaluate_in(scope):
            return _leave_jsonata(rt, frame, state, rule.next, rule.assign, rule.output, scope)
    if state.default is None:
        raise StatesError(rt.settings.no_choice_error, _no_match_cause(state, frame))
    return _leave_jsonata(rt, frame, state, state.default, state.assign, state.output, scope)


def _no_match_cause(state: ChoiceState, frame: Frame) -> str:
    return cause_prefix(state.name, frame.entered_event) + (
        "Failed to transition out of the state. The state does not point to a next state."
    )


def _leave_choice(
    rt: ExecutionRuntime, frame: Frame, state: ChoiceState, target: str, assign: Any,
    effective: Any, ctx: EvalContext,
) -> Step:
    assigned = io.evaluate_assign(assign, effective, ctx)
    output = io.apply_output_path(state.output_path, effective, ctx)
    io.commit_assign(frame, assigned)
    io.exit_state(rt, frame, state, output, assigned)
    return target, output


@io.guarded
def run_fail(rt: ExecutionRuntime, frame: Frame, state: FailState) -> Step:
    """Fail: record FailStateEntered and raise the state's error and cause."""
    io.enter(rt, frame, state)
    ctx = rt.eval_ctx(frame, state)
    if state.is_jsonata:
        scope = rt.jsonata_scope(ctx, frame.input)
        raise StatesError(_jsonata_fail_field(state.error, scope),
                          _jsonata_fail_field(state.cause, scope))
    error = _fail_field(state.error, state.error_path, "ErrorPath", frame, ctx)
    cause = _fail_field(state.cause, state.cause_path, "CausePath", frame, ctx)
    raise StatesError(error, cause)


def _jsonata_fail_field(value: Any, scope: JsonataScope) -> str | None:
    """Fail ``Error``/``Cause`` in JSONata: a literal string or an expression giving a string."""
    if isinstance(value, JsonataValue):
        return evaluate_string(value, scope)
    return value if isinstance(value, str) else None


def _fail_field(
    literal: Any, dynamic: Any, field: str, frame: Frame, ctx: EvalContext
) -> str | None:
    if dynamic is None:
        return literal if isinstance(literal, str) else None
    try:
        value = dynamic.evaluate(frame.input, ctx)
    except PathNotFound as exc:
        raise _fail_path_error(dynamic, field, frame) from exc
    return value if isinstance(value, str) else None


def _fail_path_error(dynamic: Any, field: str, frame: Frame) -> StatesError:
    text = dynamic.text
    return StatesError(
        io.RUNTIME,
        cause_prefix(frame.state, frame.entered_event)
        + f"The JSONPath '{text}' specified for the field '{field}' could not be found in the input "
        f"'{to_json_text(frame.input)}'",
    )


