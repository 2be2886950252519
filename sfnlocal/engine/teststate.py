"""TestState: run one state of a definition and report its inspection data (checklist §13).

``Engine.test_state`` takes a single state's definition (or a whole state machine and the name of
one of its states), runs that state once on the given input and variables and returns a
``StateTestResult``: the status (``SUCCEEDED``, ``FAILED``, ``RETRIABLE``, ``CAUGHT_ERROR``), the
output or error, the next state and, at ``DEBUG``/``TRACE``, the value after each processing step.

A single state is validated and compiled as the machine ``{"StartAt": "TestState", "States":
{"TestState": <state>, <each Next/Default/Catch target>: {"Type": "Succeed"}}}``: its transitions
may name states the test does not have. Diagnostics point into the given state (``/Parameters``),
not into that machine. The state runs on a runtime of its own: a throwaway history, the engine's
integrations (or the mock), a clock on which Wait states do not wait, and a limit of five minutes
on the engine clock (then ``States.Timeout``, as AWS documents).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sfnlocal.asl.compiler import compile_machine
from sfnlocal.asl.diagnostics import SCHEMA_VALIDATION_FAILED, Diagnostic
from sfnlocal.asl.loader import jackson_message, parse_definition
from sfnlocal.asl.model import MapState, ParallelState, Pattern, State, StateMachine, TaskState
from sfnlocal.asl.validate import check
from sfnlocal.engine.clock import Clock, TimerHandle
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import MAX_PAYLOAD_BYTES, History, to_json_text
from sfnlocal.engine.runtime import ExecutionIdentity, ExecutionRuntime
from sfnlocal.engine.validation import check_enum
from sfnlocal.errors import InvalidDefinition, ServiceError
from sfnlocal.states.inspection import (
    FAILED,
    Outcome,
    StateConfiguration,
    StateMock,
    run_inspected,
)
from sfnlocal.states.retry import TaskTimeout
from sfnlocal.states.timeouts import Deadlines

if TYPE_CHECKING:
    import random
    from contextlib import AbstractAsyncContextManager

    from sfnlocal.engine.settings import EngineSettings
    from sfnlocal.integrations.base import Registry

__all__ = [
    "INSPECTION_LEVELS",
    "MAX_TEST_SECONDS",
    "SINGLE_STATE_NAME",
    "StateConfiguration",
    "StateMock",
    "StateTestResult",
    "TestStateApi",
]

INSPECTION_LEVELS = ("INFO", "DEBUG", "TRACE")
MAX_TEST_SECONDS = 300
"""AWS: "The TestState API can run for up to five minutes" (then ``States.Timeout``)."""
SINGLE_STATE_NAME = "TestState"
"""The name a state given on its own runs under (``$$.State.Name``, causes)."""
TEST_MACHINE_NAME = "TestStateMachine"

_VALIDATION = "ValidationException"
_MOCKABLE = ("Task", "Map", "Parallel")
_TOKEN_PATTERNS = (Pattern.SYNC, Pattern.SYNC2, Pattern.WAIT_FOR_TASK_TOKEN)
# inspectionData members that are JSON text, by our snake_case key.
_JSON_MEMBERS = {
    "input": "input", "after_input_path": "afterInputPath",
    "after_parameters": "afterParameters", "after_arguments": "afterArguments",
    "result": "result", "after_result_selector": "afterResultSelector",
    "after_result_path": "afterResultPath", "variables": "variables",
    "after_items_path": "afterItemsPath", "after_item_selector": "afterItemSelector",
    "after_item_batcher": "afterItemBatcher", "after_items_pointer": "afterItemsPointer",
}
_NUMBER_MEMBERS = {
    "max_concurrency": "maxConcurrency", "tolerated_failure_count": "toleratedFailureCount",
    "tolerated_failure_percentage": "toleratedFailurePercentage",
}
_ERROR_DETAILS = {"catch_index": "catchIndex", "retry_index": "retryIndex",
                  "retry_backoff_interval_seconds": "retryBackoffIntervalSeconds"}


@dataclass(frozen=True, slots=True)
class StateTestResult:
    """The outcome of ``Engine.test_state``.

    Attributes:
        status: ``SUCCEEDED``, ``FAILED``, ``RETRIABLE`` or ``CAUGHT_ERROR``.
        output: the state's output (``has_output`` tells an absent output from ``null``).
        error / cause: the error of a failed, retriable or caught state.
        next_state: where the state goes (None at the end or on failure).
        inspection: at ``DEBUG``/``TRACE``, each processing step's value by snake_case name
            (``after_input_path``, ``result``, ``variables``, ``error_details``...); None at INFO.
    """

    status: str
    output: Any = None
    has_output: bool = False
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    inspection: Mapping[str, Any] | None = None

    def to_aws(self) -> dict[str, Any]:
        """The TestState response members (data as JSON text)."""
        shape: dict[str, Any] = {"status": self.status}
        if self.has_output:
            shape["output"] = to_json_text(self.output)
        for key, value in (("error", self.error), ("cause", self.cause),
                           ("nextState", self.next_state)):
            if value is not None:
                shape[key] = value
        if self.inspection is not None:
            shape["inspectionData"] = _inspection_shape(self.inspection)
        return shape


def _inspection_shape(inspection: Mapping[str, Any]) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    for key, value in inspection.items():
        if key in _JSON_MEMBERS:
            shape[_JSON_MEMBERS[key]] = to_json_text(value)
        elif key in _NUMBER_MEMBERS:
            shape[_NUMBER_MEMBERS[key]] = value
        elif key == "error_details" and value:
            shape["errorDetails"] = {_ERROR_DETAILS[k]: v for k, v in value.items()}
        elif key in ("request", "response"):
            shape[key] = dict(value)
    return shape


class TestStateApi:
    """``Engine.test_state`` (mixed into ``Engine``, which provides clock, rng and integrations)."""

    clock: Clock
    rng: random.Random
    integrations: Registry
    settings: EngineSettings

    async def test_state(
        self, definition: Mapping[str, Any] | str, *, input: Any = "{}",
        role_arn: str | None = None, inspection_level: str = "INFO",
        reveal_secrets: bool = False, variables: Any = None, state_name: str | None = None,
        mock: StateMock | None = None, context: Any = None,
        state_configuration: StateConfiguration | None = None,
    ) -> StateTestResult:
        """Run one state once (TestState).

        Args:
            definition: one state's definition, or (with ``state_name``) a whole state machine;
                a dict or JSON text.
            input: the state's input: a JSON value, or JSON text given as ``str``.
            role_arn: the role AWS would assume; required for a Task state without a mock.
            inspection_level: ``INFO``, ``DEBUG`` (each step's value) or ``TRACE`` (also the
                HTTP request and response of an HTTP Task).
            reveal_secrets: show what a connection adds to an HTTP Task's request (TRACE).
            variables: the variables in scope: a JSON object, or its text.
            state_name: the state of ``definition`` to run.
            mock: the result or error a Task, Map or Parallel state returns instead of working.
            context: the context object (``$$``) members to use: a JSON object or its text;
                only with a mock. Its members replace ours, one level deep.
            state_configuration: retries so far, Map failure counts, ItemReader data.

        Raises:
            ServiceError: ``ValidationException`` (bad level, unknown state, a mock or context
                where AWS refuses one, a Task without role or mock), ``InvalidArn``,
                ``InvalidExecutionInput`` (input that is not JSON).
            InvalidDefinition: the definition breaks a rule AWS enforces.
        """
        check_enum(inspection_level, "inspectionLevel", INSPECTION_LEVELS)
        machine, state = _compiled(definition, state_name)
        _check_request(state, mock, role_arn, context)
        config = state_configuration or StateConfiguration()
        _check_configuration(machine, state, config)
        runtime = self._test_runtime(machine, role_arn, _json_object(context, "context"))
        frame = Frame(id="", block=machine.root, state=state.name, input=_input(input),
                      variables=dict(_json_object(variables, "variables") or {}),
                      prev_event=runtime.history.last_id)
        inspection: dict[str, Any] = {"input": frame.input, "reveal_secrets": reveal_secrets}
        runtime.inspection = inspection
        outcome = await _run(runtime, frame, state, mock, config)
        return _result(outcome, frame, inspection, inspection_level)

    def _test_runtime(self, machine: StateMachine, role_arn: str | None,
                      context: Mapping[str, Any] | None) -> _TestRuntime:
        settings, now = self.settings, self.clock.now()
        prefix = f"arn:aws:states:{settings.region}:{settings.account}"
        identity = ExecutionIdentity(
            execution_arn=f"{prefix}:execution:{TEST_MACHINE_NAME}:test-state",
            name="test-state", state_machine_arn=f"{prefix}:stateMachine:{TEST_MACHINE_NAME}",
            state_machine_name=TEST_MACHINE_NAME, role_arn=role_arn or "", start_time=now,
            input={}, region=settings.region, account=settings.account,
        )
        history = History(None)
        history.add("ExecutionStarted", 0, now, {"input": "{}"})
        return _TestRuntime(identity, machine, _NoWaitClock(self.clock), history, self.rng,
                            self.integrations, settings, self, context)


def _result(outcome: Outcome, frame: Frame, recorded: dict[str, Any], level: str
            ) -> StateTestResult:
    """The result at ``level``: no inspection at INFO, the HTTP exchange only at TRACE."""
    inspection: dict[str, Any] | None = None
    if level != "INFO":
        hidden = {"reveal_secrets"} if level == "TRACE" else {"reveal_secrets", "request",
                                                               "response"}
        inspection = {k: v for k, v in recorded.items() if k not in hidden}
        if frame.variables:
            inspection["variables"] = frame.variables
        if outcome.error_details:
            inspection["error_details"] = outcome.error_details
    return StateTestResult(outcome.status, outcome.output, outcome.has_output, outcome.error,
                           outcome.cause, outcome.next_state, inspection)


async def _run(rt: ExecutionRuntime, frame: Frame, state: State, mock: StateMock | None,
               config: StateConfiguration) -> Outcome:
    """``run_inspected`` under TestState's five-minute limit."""
    deadlines = Deadlines(rt.clock, MAX_TEST_SECONDS, None)
    deadlines.arm()
    try:
        async with deadlines.scope():
            return await run_inspected(rt, frame, state, mock, config)
    except TaskTimeout as err:
        return Outcome(FAILED, error=err.error, cause="TestState ran for more than five minutes.")


class _TestRuntime(ExecutionRuntime):
    """A runtime whose context object takes the members the test gave."""

    def __init__(self, identity: ExecutionIdentity, machine: StateMachine, clock: Clock,
                 history: History, rng: random.Random, integrations: Registry,
                 settings: EngineSettings, engine: Any, context: Mapping[str, Any] | None) -> None:
        super().__init__(identity, machine, clock, history, rng, integrations, None, engine,
                         settings)
        self.context_override = context

    def context_object(
        self, frame: Frame, state: State, entered_time: float | None = None,
        retry_count: int | None = None, task_token: str | None = None,
    ) -> dict[str, Any]:
        """Ours, with the given members replacing ours (objects merged one level deep)."""
        ctx = super().context_object(frame, state, entered_time, retry_count, task_token)
        for key, value in (self.context_override or {}).items():
            mine = ctx.get(key)
            both = isinstance(mine, dict) and isinstance(value, dict)
            ctx[key] = {**mine, **value} if both else value  # type: ignore[dict-item]
        return ctx


class _NoWaitClock:
    """The engine's clock, except that sleeping returns at once: a tested Wait does not wait."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> float:
        """The engine clock's time."""
        return self._clock.now()

    async def sleep_until(self, deadline: float) -> None:
        """Return at once."""

    def call_at(self, deadline: float, callback: Any) -> TimerHandle:
        """On the engine's clock (task timeouts and the test's time limit still apply)."""
        return self._clock.call_at(deadline, callback)

    def busy(self) -> AbstractAsyncContextManager[None]:
        """The engine clock's busy scope."""
        return self._clock.busy()


# -- the definition -------------------------------------------------------------------------------


def _compiled(definition: Mapping[str, Any] | str, state_name: str | None
              ) -> tuple[StateMachine, State]:
    """Validate and compile the machine; return it and the state under test.

    Raises:
        InvalidDefinition: the definition (or the single state) is invalid.
        ServiceError: ``ValidationException`` when ``state_name`` is not in the machine.
    """
    raw = parse_definition(definition) if isinstance(definition, str) else dict(definition)
    if state_name is not None:
        check(raw)
        machine = compile_machine(raw)
        state = machine.all_states.get(state_name)
        if state is None:
            raise ServiceError(_VALIDATION, f"State not found in definition: '{state_name}'")
        return machine, state
    if not isinstance(raw, dict):
        raise InvalidDefinition([Diagnostic(SCHEMA_VALIDATION_FAILED,
                                            "Definition must be a valid JSON object", "/")])
    wrapped = single_state_machine(raw)
    try:
        check(wrapped)
    except InvalidDefinition as err:
        raise InvalidDefinition([_relocated(d) for d in err.diagnostics]) from None
    machine = compile_machine(wrapped)
    return machine, machine.root.states[SINGLE_STATE_NAME]


def single_state_machine(state: Mapping[str, Any]) -> dict[str, Any]:
    """The machine a single state is validated and run in: it, and a Succeed per missing target."""
    states: dict[str, Any] = {SINGLE_STATE_NAME: dict(state)}
    for target in _targets(state):
        states.setdefault(target, {"Type": "Succeed"})
    return {"StartAt": SINGLE_STATE_NAME, "States": states}


def _targets(state: Mapping[str, Any]) -> list[str]:
    """The state names a state's ``Next``, ``Default``, Choice rules and catchers lead to."""
    found = [state.get("Next"), state.get("Default")]
    for key in ("Choices", "Catch"):
        entries = state.get(key)
        if isinstance(entries, list):
            found.extend(e.get("Next") for e in entries if isinstance(e, dict))
    return [name for name in found if isinstance(name, str)]


def _relocated(diagnostic: Diagnostic) -> Diagnostic:
    """A diagnostic of the wrapping machine, pointing into the state as given."""
    prefix = "/States/" + SINGLE_STATE_NAME
    location = diagnostic.location
    if location is None or not location.startswith(prefix):
        return diagnostic
    return dataclasses.replace(diagnostic, location=location[len(prefix):] or "/")


# -- the request ----------------------------------------------------------------------------------


def _check_request(state: State, mock: StateMock | None, role_arn: str | None,
                   context: Any) -> None:
    """AWS's rules on mocks, context and roles for the state under test."""
    if role_arn is not None and not role_arn.startswith("arn:"):
        raise ServiceError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {role_arn}'")
    if context is not None and mock is None:
        raise ServiceError(_VALIDATION, "A context can only be specified together with a mock.")
    if mock is not None:
        if state.type not in _MOCKABLE:
            raise ServiceError(_VALIDATION, "A mock can only be specified for Task, Map, or "
                               f"Parallel states; the state '{state.name}' is a {state.type} "
                               "state.")
        return
    if isinstance(state, MapState | ParallelState):
        raise ServiceError(_VALIDATION, f"TestState supports {state.type} states only when a "
                           "mock is specified.")
    if isinstance(state, TaskState):
        resource = state.resource
        if resource.kind == "activity" or resource.pattern in _TOKEN_PATTERNS:
            raise ServiceError(_VALIDATION, "TestState supports Activity tasks and the .sync and "
                               ".waitForTaskToken integration patterns only when a mock is "
                               "specified.")
        if role_arn is None:
            raise ServiceError(_VALIDATION, "RoleArn must be specified when testing a Task state")


def _check_configuration(machine: StateMachine, state: State, config: StateConfiguration) -> None:
    """``errorCausedByState`` must name a state inside the Map or Parallel state under test."""
    name = config.error_caused_by_state
    if name is None:
        return
    inner = name != state.name and name in machine.all_states
    if not isinstance(state, MapState | ParallelState) or not inner:
        raise ServiceError(_VALIDATION, f"errorCausedByState '{name}' is not a state of the "
                           "Map or Parallel state under test.")


def _input(value: Any) -> Any:
    """The state input: JSON text parsed (``InvalidExecutionInput`` if it is not JSON)."""
    if not isinstance(value, str):
        return value
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as err:
        raise ServiceError("InvalidExecutionInput", "Invalid State Machine Execution Input: "
                           f"'{jackson_message(err, value)}'") from None
    except RecursionError:
        raise ServiceError("InvalidExecutionInput", "Invalid State Machine Execution Input: "
                           "'Document nesting depth exceeds the maximum allowed (1000)'") from None
    size = len(value.encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise ServiceError(_VALIDATION, "1 validation error detected: Value at 'input' failed to "
                           "satisfy constraint: Member must have length less than or equal to "
                           f"{MAX_PAYLOAD_BYTES}")
    return parsed


def _json_object(value: Any, member: str) -> Mapping[str, Any] | None:
    """``variables``/``context``: a JSON object, or its text (None when not given)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as err:
            raise ServiceError(_VALIDATION, f"The {member} member is not valid JSON: "
                               f"{jackson_message(err, value)}") from None
        except RecursionError:
            raise ServiceError(_VALIDATION, f"The {member} member is not valid JSON: Document "
                               "nesting depth exceeds the maximum allowed (1000)") from None
    if not isinstance(value, Mapping):
        raise ServiceError(_VALIDATION, f"The {member} member must be a JSON object.")
    return value
