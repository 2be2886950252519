"""The Task state (checklist §3.1, §4.3, §6, §7, §10).

Order of work (JSONPath)::

    TaskStateEntered
    InputPath                                       (once per visit)
    Retry loop, per attempt (``$$.State.RetryCount`` = retries so far):
        task token (``.waitForTaskToken``/``.sync``/activities) → Parameters → Credentials →
        TimeoutSeconds[Path]/HeartbeatSeconds[Path] → resolve the integration →
        *Scheduled → *Started → integration call (under the timeout/heartbeat scope) →
        size check → *Succeeded | *Failed | *TimedOut
    Assign ($ = raw result) → ResultSelector → ResultPath → OutputPath
    TaskStateExited

On a final failure the first matching catcher leaves the state (``apply_catcher``); otherwise the
error propagates and the execution fails. Errors while preparing an attempt (a path that matches
nothing, an unknown resource) are ``States.Runtime`` with AWS's state prefix: no task event, not
retried, not caught. Cancellation (the execution is stopped, a sibling branch failed) records
``TaskStateAborted`` and re-raises.

JSONata (checklist §3.2): no InputPath; ``Arguments`` (absent: the input) and the JSONata forms of
TimeoutSeconds/HeartbeatSeconds/Credentials are evaluated per attempt with ``$states.input``; after
the work, Assign and Output (default: the result) see ``$states.result``; a catcher's Assign and
Output (default: the error output) see ``$states.errorOutput``. A failed evaluation records
``EvaluationFailed`` and is an ordinary ``States.QueryEvaluationError``: retried and caught.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from sfnlocal.asl.model import Pattern, Resource, TaskState
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import MAX_PAYLOAD_BYTES, Data, HistoryLimitExceeded, to_json_text
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import StatesError, cause_prefix
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata import JsonataScope, JsonataValue
from sfnlocal.expressions.jsonata_fields import evaluate_positive_int
from sfnlocal.expressions.jsonpath import Path
from sfnlocal.expressions.templates import Template
from sfnlocal.integrations.base import Integration, PreparesParameters, TaskContext, TaskRequest
from sfnlocal.states import io
from sfnlocal.states.io import Step
from sfnlocal.states.retry import apply_catcher, find_catcher, run_with_retry
from sfnlocal.states.task_events import TaskEvents
from sfnlocal.states.timeouts import Deadlines

__all__ = ["run_task"]

_TOKEN_PATTERNS = frozenset({Pattern.WAIT_FOR_TASK_TOKEN, Pattern.SYNC, Pattern.SYNC2})


async def run_task(rt: ExecutionRuntime, frame: Frame, state: TaskState) -> Step:
    """Run a Task state; returns ``(next state, output)``.

    Raises:
        StatesError: the task failed and no catcher took the error.
        asyncio.CancelledError: the execution or enclosing branch was stopped (after recording
            ``TaskStateAborted``).
    """
    entered = rt.clock.now()
    io.enter(rt, frame, state)
    try:
        return await _TaskRun(rt, frame, state, entered).run()
    except asyncio.CancelledError:
        rt.emit(frame, "TaskStateAborted")
        raise


class _TaskRun:
    """One visit of a Task state: the data the attempts share."""

    __slots__ = ("effective", "entered", "frame", "retry_count", "rt", "state")

    def __init__(
        self, rt: ExecutionRuntime, frame: Frame, state: TaskState, entered: float
    ) -> None:
        self.rt = rt
        self.frame = frame
        self.state = state
        self.entered = entered
        self.retry_count = 0
        self.effective: Any = None

    def ctx(self, token: str | None = None) -> EvalContext:
        """The evaluation context: entry-time variables, ``$$`` with this attempt's RetryCount."""
        rt, frame, state = self.rt, self.frame, self.state
        entered, count = self.entered, self.retry_count
        return EvalContext(
            variables=frame.scope, rng=rt.rng,
            context_factory=lambda: rt.context_object(frame, state, entered, count, token),
        )

    async def run(self) -> Step:
        """InputPath → attempts under Retry → output processing, or the matching catcher."""
        state, frame = self.state, self.frame
        try:
            with io.reported(self.rt, frame, state):
                self.effective = (frame.input if state.is_jsonata else
                                  io.apply_input_path(state.input_path, frame.input, self.ctx()))
            if self.rt.inspection is not None and not state.is_jsonata:
                self.rt.inspection["after_input_path"] = self.effective
            result = await run_with_retry(self.rt, frame, state.retry, self.attempt)
            output, assigned = self.shape(result)
        except StatesError as err:
            catcher = find_catcher(state.catch, err)
            if catcher is None:
                raise
            return apply_catcher(self.rt, frame, state, catcher, err, self.ctx())
        io.commit_assign(frame, assigned)
        io.exit_state(self.rt, frame, state, output, assigned)
        return state.next, output

    def shape(self, result: Any) -> tuple[Any, dict[str, Any] | None]:
        """Assign ($ = raw result) → ResultSelector → ResultPath → OutputPath."""
        state, ctx, inspection = self.state, self.ctx(), self.rt.inspection
        if inspection is not None:
            inspection["result"] = result
        if state.is_jsonata:
            with io.reported(self.rt, self.frame, state):
                scope = self.rt.jsonata_scope(ctx, self.frame.input, result=result)
                assigned = io.evaluate_assign(state.assign, result, ctx, scope)
                return io.jsonata_output(state.output, scope, result), assigned
        with io.reported(self.rt, self.frame, state):
            assigned = io.evaluate_assign(state.assign, result, ctx)
            if state.result_selector is not None:
                result = state.result_selector.evaluate(result, ctx)
            if inspection is not None:
                inspection["after_result_selector"] = result
            output = io.apply_result_path(state.result_path, self.frame.input, result)
            if inspection is not None:
                inspection["after_result_path"] = output
            output = io.apply_output_path(state.output_path, output, ctx)
        return output, assigned

    async def attempt(self, retry_count: int) -> Any:
        """One attempt: prepare, record, call the integration, record the outcome."""
        self.retry_count = retry_count
        attempt, request, integration = self.prepare()
        return await attempt.run(integration, request)

    def prepare(self) -> tuple[_Attempt, TaskRequest, Integration]:
        """Build the request of this attempt (every failure here is a data-processing error)."""
        rt, state = self.rt, self.state
        token = _issue_token(rt, state)
        with io.reported(rt, self.frame, state):
            params, timeout, heartbeat, credentials = self.fields(self.ctx(token))
            if rt.inspection is not None:
                key = "after_arguments" if state.is_jsonata else "after_parameters"
                rt.inspection[key] = params
            integration = rt.integrations.resolve_task(state.resource)
        if isinstance(integration, PreparesParameters):
            params = integration.prepare(params)
        attempt = _Attempt(TaskEvents(rt, self.frame, state.resource),
                           Deadlines(rt.clock, timeout, heartbeat))
        request = TaskRequest(
            resource=state.resource, parameters=params, pattern=state.resource.pattern,
            context=TaskContext(rt, state.name, attempt), task_token=token,
            timeout_seconds=timeout, heartbeat_seconds=heartbeat, credentials=credentials,
        )
        return attempt, request, integration

    def fields(self, ctx: EvalContext) -> tuple[Any, int | None, int | None, Any]:
        """Parameters, TimeoutSeconds, HeartbeatSeconds and Credentials of this attempt."""
        state, effective = self.state, self.effective
        if state.is_jsonata:
            return self.jsonata_fields(ctx)
        timeout = self.seconds(state.timeout_seconds, state.timeout_seconds_dynamic,
                               "TimeoutSecondsPath", ctx)
        heartbeat = self.seconds(state.heartbeat_seconds, state.heartbeat_seconds_dynamic,
                                 "HeartbeatSecondsPath", ctx)
        return (_parameters(state, effective, ctx), timeout, heartbeat,
                _credentials(state, effective, ctx))

    def jsonata_fields(self, ctx: EvalContext) -> tuple[Any, int | None, int | None, Any]:
        """The JSONata forms: Arguments (absent: the input), the seconds fields, Credentials."""
        state = self.state
        scope = self.rt.jsonata_scope(ctx, self.frame.input)
        params = self.frame.input if state.parameters is None else _evaluated(state.parameters, scope)
        timeout = _jsonata_seconds(state.timeout_seconds, state.timeout_seconds_dynamic, scope)
        heartbeat = _jsonata_seconds(state.heartbeat_seconds, state.heartbeat_seconds_dynamic, scope)
        credentials = None if state.credentials is None else _evaluated(state.credentials, scope)
        return params, timeout, heartbeat, credentials if isinstance(credentials, dict) else None

    def seconds(self, static: int | None, dynamic: Any, field: str, ctx: EvalContext) -> int | None:
        """``TimeoutSeconds``/``HeartbeatSeconds``, or their ``*Path`` on the effective input."""
        if not isinstance(dynamic, Path):
            return static
        value = dynamic.evaluate(self.effective, ctx)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) \
                or value <= 0:
            raise StatesError(io.RUNTIME, cause_prefix(self.state.name, self.frame.entered_event)
                              + f"The {field} parameter does not reference a positive integer: "
                              f"{dynamic.text} == {to_json_text(value)}")
        return int(value)


def _evaluated(value: Any, scope: JsonataScope) -> Any:
    return value.evaluate_in(scope) if isinstance(value, JsonataValue) else value


def _jsonata_seconds(static: int | None, dynamic: Any, scope: JsonataScope) -> int | None:
    if isinstance(dynamic, JsonataValue):
        return evaluate_positive_int(dynamic, scope)
    return static


def _issue_token(rt: ExecutionRuntime, state: TaskState) -> str | None:
    resource = state.resource
    if resource.pattern in _TOKEN_PATTERNS or resource.kind == "activity":
        return rt.integrations.tokens.issue(rt, state.name)
    return None


def _parameters(state: TaskState, effective: Any, ctx: EvalContext) -> Any:
    if isinstance(state.parameters, Template):
        return state.parameters.evaluate(effective, ctx)
    return effective


def _credentials(state: TaskState, effective: Any, ctx: EvalContext) -> Mapping[str, Any] | None:
    if not isinstance(state.credentials, Template):
        return None
    value = state.credentials.evaluate(effective, ctx)
    return value if isinstance(value, dict) else None


def _result_source(resource: Resource) -> str:
    """Who 'returned' a result, in the DataLimitExceeded cause: the ARN, or the service name."""
    return resource.arn if resource.kind in ("lambda", "activity") else resource.service


class _Attempt:
    """One attempt's events and deadlines; also the ``AttemptHooks`` its integration reports to."""

    __slots__ = ("_started", "deadlines", "events")

    def __init__(self, events: TaskEvents, deadlines: Deadlines) -> None:
        self.events = events
        self.deadlines = deadlines
        self._started = False

    def started(self, details: dict[str, Any] | None = None) -> None:
        """Record ``*Started`` once and start the timeout and heartbeat clocks."""
        if not self._started:
            self._started = True
            self.events.started(details)
            self.deadlines.arm()

    def submitted(self, output: Any) -> None:
        """Record ``TaskSubmitted``."""
        self.events.submitted(output)

    def heartbeat(self) -> None:
        """Restart the heartbeat clock."""
        self.deadlines.beat()

    async def run(self, integration: Integration, request: TaskRequest) -> Any:
        """Scheduled → Started → the call under the deadlines → Succeeded/Failed/TimedOut."""
        self.events.scheduled(request.parameters, request.timeout_seconds,
                              request.heartbeat_seconds, request.credentials)
        if not self.events.starts_on_pickup:
            self.started()
        try:
            async with self.deadlines.scope():
                result = await integration.invoke(request)
            data = _checked(result, request.resource)
        except StatesError as err:
            self.events.failed(err)
            raise
        except HistoryLimitExceeded:
            raise
        except Exception as exc:  # a broken integration fails the task, not the engine
            failure = StatesError("States.TaskFailed", f"{type(exc).__name__}: {exc}")
            self.events.failed(failure)
            raise failure from exc
        self.events.succeeded(data)
        return result


def _checked(result: Any, resource: Resource) -> Data:
    """The result as history data; over 256 KiB: ``States.DataLimitExceeded`` (a task failure)."""
    data = Data(result)
    if data.size > MAX_PAYLOAD_BYTES:
        raise io.data_limit_error(_result_source(resource))
    return data
