"""One state, run once, with its processing steps recorded: the state side of TestState (§13).

The states themselves write each step's value into ``rt.inspection`` when it is a dict (it is None
in executions, so they pay one None check). This module runs a state once through its ordinary
handler and then decides what AWS's TestState reports:

- no error: ``SUCCEEDED`` with the output and the next state (none after ``End``);
- an error a retrier takes (its attempts so far, ``retrierRetryCount``, under ``MaxAttempts``):
  ``RETRIABLE`` with the retrier's index and back-off; no retry is made;
- an error a catcher takes: ``CAUGHT_ERROR``, leaving through the catcher (its ResultPath/Output
  and Assign) to its ``Next``;
- otherwise ``FAILED``.

A Task state runs without its Retry and Catch (this module applies them), against the engine's
integrations or, with a ``StateMock``, against the mocked result or error. Map and Parallel states
run only with a mock: their input steps (InputPath, Parameters/Arguments, ItemsPath, ItemSelector,
ItemBatcher, MaxConcurrency, the tolerated failures) are evaluated and recorded, their children do
not run, and the mock stands for the children's result (``composite.finish`` then shapes it).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from sfnlocal.asl.model import MapState, ParallelState, Resource, State, TaskState
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import EvaluationError, StatesError
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata import JsonataValue
from sfnlocal.expressions.jsonpath import PathNotFound
from sfnlocal.expressions.templates import Template
from sfnlocal.states import ASYNC_HANDLERS, SYNC_HANDLERS, composite, io, map_fields, retry

if TYPE_CHECKING:
    from sfnlocal.integrations.base import Integration, Registry, TaskRequest

__all__ = [
    "CAUGHT_ERROR",
    "FAILED",
    "RETRIABLE",
    "SUCCEEDED",
    "Outcome",
    "StateConfiguration",
    "StateMock",
    "run_inspected",
]

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
RETRIABLE = "RETRIABLE"
CAUGHT_ERROR = "CAUGHT_ERROR"
THRESHOLD_ERROR = "States.ExceedToleratedFailureThreshold"
THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"

_EXPRESSION_ERRORS = (EvaluationError, PathNotFound)


@dataclass(frozen=True, slots=True)
class StateMock:
    """What a mocked Task, Map or Parallel state returns instead of doing its work.

    Attributes:
        result: the mocked result (used when ``error`` is None).
        error: the mocked error name; when set the state fails with it and ``cause``.
        cause: the mocked error's cause.
        field_validation_mode: ``STRICT``, ``PRESENT`` or ``NONE`` (accepted; no service models
            are checked locally).
    """

    result: Any = None
    error: str | None = None
    cause: str | None = None
    field_validation_mode: str = "STRICT"

    def outcome(self) -> Any:
        """The mocked result, or raise the mocked error."""
        if self.error is not None:
            raise StatesError(self.error, self.cause)
        return self.result


@dataclass(frozen=True, slots=True)
class StateConfiguration:
    """TestState's ``stateConfiguration``.

    Attributes:
        retrier_retry_count: the retries already made by the retrier that takes the error.
        error_caused_by_state: the state inside a mocked Map/Parallel the error comes from.
        map_iteration_failure_count: how many iterations of a mocked Map failed.
        map_item_reader_data: the items an ``ItemReader`` would read (None: not given).
    """

    retrier_retry_count: int = 0
    error_caused_by_state: str | None = None
    map_iteration_failure_count: int | None = None
    map_item_reader_data: Any = None


@dataclass(slots=True)
class Outcome:
    """What TestState reports: status, output or error, next state, the recorded steps."""

    status: str
    output: Any = None
    has_output: bool = False
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    error_details: dict[str, int] = field(default_factory=dict)


async def run_inspected(
    rt: ExecutionRuntime, frame: Frame, state: State, mock: StateMock | None,
    config: StateConfiguration,
) -> Outcome:
    """Run ``state`` once on ``frame.input``; ``rt.inspection`` must be a dict (it is filled).

    Raises:
        asyncio.CancelledError: the run was cancelled (TestState's time limit is the caller's).
    """
    try:
        if isinstance(state, MapState | ParallelState):
            target, output = await _run_composite(rt, frame, state, mock, config)
        else:
            target, output = await _run_plain(rt, frame, state, mock)
    except StatesError as err:
        return _handled(rt, frame, state, err, config)
    return Outcome(SUCCEEDED, output, True, next_state=target)


async def _run_plain(
    rt: ExecutionRuntime, frame: Frame, state: State, mock: StateMock | None
) -> io.Step:
    """The state's own handler; a Task without its Retry/Catch (and with the mock, if any)."""
    if isinstance(state, TaskState):
        if mock is not None:
            rt.integrations = mocked_registry(rt.integrations, mock)
        state = dataclasses.replace(state, retry=(), catch=())
    try:
        handler = SYNC_HANDLERS.get(state.type)
        if handler is not None:
            return handler(rt, frame, state)
        return await ASYNC_HANDLERS[state.type](rt, frame, state)
    except _EXPRESSION_ERRORS as exc:
        raise io.translate(exc, state, frame) from None


def _handled(
    rt: ExecutionRuntime, frame: Frame, state: State, err: StatesError, config: StateConfiguration,
) -> Outcome:
    """RETRIABLE, CAUGHT_ERROR or FAILED for an error of ``state``."""
    retriers = getattr(state, "retry", ())
    index = retry.find_retrier(retriers, err)
    if index is not None and config.retrier_retry_count < retriers[index].max_attempts:
        delay = retry.retry_delay(retriers[index], config.retrier_retry_count, rt.rng)
        return Outcome(RETRIABLE, error=err.error, cause=err.cause, error_details={
            "retry_index": index, "retry_backoff_interval_seconds": math.ceil(delay)})
    catchers = getattr(state, "catch", ())
    catcher = retry.find_catcher(catchers, err)
    if catcher is None:
        return Outcome(FAILED, error=err.error, cause=err.cause)
    try:
        target, output = retry.apply_catcher(rt, frame, state, catcher, err)
    except StatesError as failure:  # the catcher's ResultPath or Assign failed
        return Outcome(FAILED, error=failure.error, cause=failure.cause)
    if rt.inspection is not None and not state.is_jsonata:
        rt.inspection["after_result_path"] = output
    return Outcome(CAUGHT_ERROR, output, True, err.error, err.cause, target,
                   {"catch_index": catchers.index(catcher)})


# -- mocked Task integrations -------------------------------------------------------------------


class _MockIntegration:
    """Serves every Task resource with the mock."""

    def __init__(self, mock: StateMock) -> None:
        self.mock = mock

    async def invoke(self, request: TaskRequest) -> Any:
        """The mocked result, or the mocked error."""
        return self.mock.outcome()


class _MockedRegistry:
    """The engine's registry with ``resolve_task`` answering the mock (everything else as is)."""

    def __init__(self, base: Registry, mock: StateMock) -> None:
        self._base = base
        self._mock = _MockIntegration(mock)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)

    def resolve_task(self, resource: Resource) -> Integration:
        """The mock, whatever the resource (activities and callback patterns included)."""
        return self._mock


def mocked_registry(base: Registry, mock: StateMock) -> Registry:
    """A view of ``base`` whose Task resources all answer with ``mock``."""
    return cast("Registry", _MockedRegistry(base, mock))


# -- Map and Parallel with a mock ---------------------------------------------------------------


async def _run_composite(
    rt: ExecutionRuntime, frame: Frame, state: MapState | ParallelState, mock: StateMock | None,
    config: StateConfiguration,
) -> io.Step:
    """Input steps recorded, the mock as the children's result, then the result steps."""
    assert mock is not None  # TestState refuses Map/Parallel without one
    io.enter(rt, frame, state)
    ctx = rt.eval_ctx(frame, state, retry_count=0)
    try:
        with io.reported(rt, frame, state):
            if isinstance(state, ParallelState):
                _parallel_input(rt, frame, state, ctx)
            else:
                _map_input(rt, frame, state, ctx, config)
        result = mock.outcome()
        return composite.finish(rt, frame, state, result, ctx)
    except _EXPRESSION_ERRORS as exc:
        raise io.translate(exc, state, frame) from None


def _note(rt: ExecutionRuntime, key: str, value: Any) -> None:
    if rt.inspection is not None:
        rt.inspection[key] = value


def _parallel_input(rt: ExecutionRuntime, frame: Frame, state: ParallelState,
                    ctx: EvalContext) -> None:
    """InputPath → Parameters (JSONPath), or Arguments (JSONata)."""
    if state.is_jsonata:
        if isinstance(state.parameters, JsonataValue):
            scope = rt.jsonata_scope(ctx, frame.input)
            _note(rt, "after_arguments", state.parameters.evaluate_in(scope))
        return
    effective = io.apply_input_path(state.input_path, frame.input, ctx)
    _note(rt, "after_input_path", effective)
    if isinstance(state.parameters, Template):
        effective = state.parameters.evaluate(effective, ctx)
    _note(rt, "after_parameters", effective)


def _map_input(rt: ExecutionRuntime, frame: Frame, state: MapState, ctx: EvalContext,
               config: StateConfiguration) -> None:
    """InputPath → MaxConcurrency → items → ItemSelector → ItemBatcher → tolerated failures."""
    effective = frame.input
    if not state.is_jsonata:
        effective = io.apply_input_path(state.input_path, frame.input, ctx)
        _note(rt, "after_input_path", effective)
    _note(rt, "max_concurrency", map_fields.max_concurrency(state, effective, ctx))
    items = _items(rt, state, effective, ctx, config)
    if items is None:
        return
    selected = [_select(rt, frame, state, effective, index, item)
                for index, item in enumerate(items)]
    if state.item_selector is not None:
        _note(rt, "after_item_selector", selected)
    if state.item_batcher is not None:
        batches = map_fields.batches(state.item_batcher, selected, effective, ctx)
        _note(rt, "after_item_batcher", batches)
    _check_tolerance(rt, state, effective, ctx, len(items), config)


def _items(rt: ExecutionRuntime, state: MapState, effective: Any, ctx: EvalContext,
           config: StateConfiguration) -> list[Any] | None:
    """The items: ItemsPath/Items, or the ItemReader data given in ``stateConfiguration``."""
    if state.item_reader is None:
        items = map_fields.items(state, effective, ctx)
        if not state.is_jsonata:
            _note(rt, "after_items_path", items)
        return items
    data = config.map_item_reader_data
    if data is None:
        return None  # nothing to read locally: the mock alone stands for the Map's work
    if not isinstance(data, list):
        raise EvaluationError(io.RUNTIME, "The ItemReader data must be a JSON array.")
    return data


def _select(rt: ExecutionRuntime, frame: Frame, state: MapState, effective: Any, index: int,
            item: Any) -> Any:
    """``ItemSelector`` (or legacy ``Parameters``) of one item, as ``map_`` evaluates it."""
    selector = state.item_selector
    if selector is None:
        return item
    ctx = rt.eval_ctx(frame, state, 0, map_item=(index, item))
    if isinstance(selector, JsonataValue):
        return selector.evaluate_in(rt.jsonata_scope(ctx, frame.input))
    return selector.evaluate(effective, ctx)


def _check_tolerance(rt: ExecutionRuntime, state: MapState, effective: Any, ctx: EvalContext,
                     total: int, config: StateConfiguration) -> None:
    """Record the tolerated failures; fail when ``mapIterationFailureCount`` passes them."""
    count, percentage = map_fields.tolerance(state, effective, ctx)
    if count is not None:
        _note(rt, "tolerated_failure_count", count)
    if percentage is not None:
        _note(rt, "tolerated_failure_percentage", percentage)
    failures = config.map_iteration_failure_count
    if not failures or (count is None and percentage is None):
        return
    over_count = count is not None and failures > count
    over_percentage = percentage is not None and total > 0 and failures * 100 / total > percentage
    if over_count or over_percentage:
        raise StatesError(THRESHOLD_ERROR, THRESHOLD_CAUSE)
