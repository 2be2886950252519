"""The embedded engine: state machines and executions, as the Step Functions API offers them.

Use it as an async context manager::

    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine("hello", definition)
        ex = await engine.start_execution(sm.arn, {"name": "world"})
        done = await engine.wait(ex.arn)
        print(done.status, done.output)

Every execution runs as one task of the engine's TaskGroup; leaving the ``async with`` block
cancels the ones still running (they stay RUNNING, as in a process that stopped). Methods raise
``ServiceError(code, message)`` with AWS's codes and texts; records give AWS's response shapes
through ``to_aws()`` and friends.

Task tokens and activities (``send_task_success``/``failure``/``heartbeat``, ``create_activity``,
``get_activity_task``...) come from ``CallbackApi`` (``sfnlocal.engine.tokens``). An execution
started with ``AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID`` in its input is the child of that
execution: stopping the parent stops it too.

Express state machines: ``start_execution`` returns an Express ARN
(``arn:aws:states:<region>:<account>:express:<machine>:<name>:<uuid>``) whose execution AWS does
not let you describe, stop, list or read the history of (``InvalidArn`` /
``StateMachineTypeNotSupported``); ``wait`` still works on it here. ``start_sync_execution`` runs
one to its end.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, NamedTuple

from sfnlocal.asl import check, load
from sfnlocal.asl.compiler import compile_machine
from sfnlocal.asl.loader import jackson_message, parse_definition
from sfnlocal.engine.clock import Clock, SystemClock
from sfnlocal.engine.execution import EXPRESS_MAX_SECONDS, Execution
from sfnlocal.engine.history import MAX_PAYLOAD_BYTES, History, to_json_text
from sfnlocal.engine.map_runs import MapRunRegistry, MapRunsApi
from sfnlocal.engine.paging import history_page
from sfnlocal.engine.records import ExecutionRecord, StateMachineRecord, SyncExecutionResult
from sfnlocal.engine.runtime import ExecutionIdentity, ExecutionRuntime
from sfnlocal.engine.settings import EngineSettings
from sfnlocal.engine.store import MemoryStore, Store
from sfnlocal.engine.tags import TagsApi, TagStore
from sfnlocal.engine.teststate import TestStateApi
from sfnlocal.engine.tokens import CallbackApi
from sfnlocal.engine.validation import (
    EXECUTION_STATUSES,
    STATE_MACHINE_TYPES,
    check_arn,
    check_enum,
    check_name,
    split_test_case,
)
from sfnlocal.engine.versions import VersionRegistry, VersionsApi, check_version_description
from sfnlocal.errors import ServiceError
from sfnlocal.integrations.base import Registry
from sfnlocal.integrations.states_executions import PARENT_KEY

__all__ = ["DEFAULT_ROLE_ARN", "Engine"]

DEFAULT_ROLE_ARN = "arn:aws:iam::123456789012:role/sfnlocal"
_NO_INPUT: Any = object()
_TYPE_NOT_SUPPORTED = "This operation is not supported by this type of state machine"


class Engine(CallbackApi, TagsApi, VersionsApi, TestStateApi, MapRunsApi):
    """An in-process Step Functions service.

    Args:
        clock: the time source (``SystemClock`` by default; ``VirtualClock`` for tests).
        store: where records live (``MemoryStore`` by default).
        settings: behaviour switches (history limit, region, account, seed...).
        integrations: the Task integrations (a default registry when omitted).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
        settings: EngineSettings | None = None,
        integrations: Registry | None = None,
    ) -> None:
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.store: Store = store if store is not None else MemoryStore()
        self.settings = settings or EngineSettings()
        self.integrations = integrations or Registry()
        self.rng = random.Random(self.settings.seed)
        self.tags = TagStore()
        self.versions = VersionRegistry()
        self.map_runs = MapRunRegistry()
        self._running: dict[str, Execution] = {}
        self._express: dict[str, ExecutionRecord] = {}
        self._children: dict[str, list[str]] = {}
        self._group: asyncio.TaskGroup | None = None
        self._services: set[asyncio.Task[Any]] = set()

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> Engine:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        for execution in list(self._running.values()):
            if execution.task is not None:
                execution.task.cancel()
        for task in list(self._services):
            task.cancel()
        group, self._group = self._group, None
        if group is None:
            return
        try:
            if exc is None or isinstance(exc, asyncio.CancelledError):
                await group.__aexit__(exc_type, exc, tb)
            else:
                # An error of the block (a ServiceError...) propagates as itself, not wrapped in an
                # ExceptionGroup by the TaskGroup; the executions were cancelled above.
                await group.__aexit__(None, None, None)
        finally:
            await self.integrations.lambdas.aclose()  # isolated functions' worker processes

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coroutine`` as a task of the engine's TaskGroup, cancelled when the engine exits.

        For work that lives as long as the engine at most (a regional engine of the server, a
        Lambda ``Event`` invocation...): leaving the engine cancels it and waits for it to end.
        """
        if self._group is None:
            raise RuntimeError("use the Engine as 'async with Engine() as engine:'")
        task = self._group.create_task(coroutine, name=name)
        self._services.add(task)
        task.add_done_callback(self._services.discard)
        return task

    # -- ARNs -----------------------------------------------------------------------------------

    def _arn(self, kind: str, *parts: str) -> str:
        s = self.settings
        return ":".join(("arn:aws:states", s.region, s.account, kind, *parts))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- state machines -------------------------------------------------------------------------

    async def create_state_machine(
        self,
        name: str,
        definition: Mapping[str, Any] | str,
        role_arn: str = DEFAULT_ROLE_ARN,
        type: str = "STANDARD",  # AWS's parameter name
        tags: Mapping[str, str] | None = None,
        *,
        publish: bool = False,
        version_description: str | None = None,
    ) -> StateMachineRecord:
        """Validate, compile and register a state machine (CreateStateMachine).

        Creating the same name again with the same definition and type returns the existing record
        (AWS's idempotency); anything else under that name is ``StateMachineAlreadyExists``.

        Args:
            name: the state machine name.
            definition: the definition as a dict or as JSON text.
            role_arn: the execution role (recorded, not used).
            type: ``STANDARD`` or ``EXPRESS``.
            tags: the tags of a new state machine (ignored when the create is idempotent).
            publish: also publish version 1 (``published_version(arn)`` gives it).
            version_description: the description of that version (only with ``publish``).

        Raises:
            ServiceError: ``InvalidName``, ``ValidationException``, ``StateMachineAlreadyExists``,
                ``TooManyTags``.
            InvalidDefinition: the definition breaks a rule AWS enforces.
        """
        check_name(name)
        check_enum(type, "type", STATE_MACHINE_TYPES)
        check_version_description(publish, version_description)
        text = definition if isinstance(definition, str) else json.dumps(definition)
        parsed = parse_definition(definition) if isinstance(definition, str) else load(definition)
        check(parsed, type)
        arn = self._arn("stateMachine", name)
        existing = self.store.get_state_machine(arn)
        if existing is not None:
            return self._published_on_create(_idempotent_create(existing, text, type), publish,
                                             version_description)
        self.tags.replace(arn, tags or {})
        record = StateMachineRecord(
            arn=arn, name=name, definition=text, machine=compile_machine(parsed),
            role_arn=role_arn, type=type, creation_date=self.clock.now(),
        )
        self.store.put_state_machine(record)
        return self._published_on_create(record, publish, version_description)

    async def describe_state_machine(self, arn: str) -> StateMachineRecord:
        """The state machine or version with this ARN (DescribeStateMachine).

        Raises:
            ServiceError: ``InvalidArn``, ``StateMachineDoesNotExist`` (also for an alias ARN).
        """
        check_arn(arn, "stateMachine")
        record = self.store.get_state_machine(arn) or self._version(arn)
        if record is None:
            raise ServiceError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return record

    async def list_state_machines(self) -> list[StateMachineRecord]:
        """Every state machine, sorted by name (ListStateMachines)."""
        return sorted(self.store.list_state_machines(), key=lambda r: r.name)

    async def delete_state_machine(self, arn: str) -> None:
        """Delete a state machine; deleting an unknown one succeeds, as on AWS.

        Running executions go on to their end and stay describable. Its versions and aliases go.
        """
        check_arn(arn, "stateMachine")
        self.store.delete_state_machine(arn)
        self.versions.forget(arn)

    # -- starting executions --------------------------------------------------------------------

    async def start_execution(
        self, state_machine_arn: str, input: Any = _NO_INPUT, name: str | None = None,
        trace_header: str | None = None,
    ) -> ExecutionRecord:
        """Start an execution (StartExecution) and return its record at once.

        A Standard execution is idempotent by name: the same name and input while the first one is
        RUNNING returns the first one's record; otherwise an existing name is
        ``ExecutionAlreadyExists``. An Express execution gets an Express ARN and no idempotency.

        Args:
            state_machine_arn: the machine to run.
            input: a JSON-compatible value, or JSON text given as ``str``; omitted means ``{}``.
            name: the execution name (a UUID when omitted).
            trace_header: the X-Ray trace header, recorded and echoed.

        Raises:
            ServiceError: ``InvalidArn``, ``StateMachineDoesNotExist``, ``InvalidName``,
                ``InvalidExecutionInput``, ``ValidationException``, ``ExecutionAlreadyExists``.
        """
        start = await self._start_request(state_machine_arn, input, name, trace_header)
        machine = start.machine
        if machine.is_express:
            arn = self._arn("express", machine.name, start.name, self._uuid())
            record = self._launch(start, arn).record
            self._express[arn] = record
            return record
        arn = self._arn("execution", machine.name, start.name)
        existing = self.store.get_execution(arn)
        if existing is not None:
            return _idempotent_start(existing, start.text)
        record = self._launch(start, arn).record
        self._link_parent(start.value, arn)
        return record

    async def _start_request(
        self, state_machine_arn: str, input: Any, name: str | None, trace_header: str | None,
        *, express_only: bool = False,
    ) -> _Start:
        """What a start asks for, checked: the machine (``arn#TestCase`` picks mocks), name, input."""
        state_machine_arn, test_case = split_test_case(state_machine_arn)
        machine, alias = await self._start_target(state_machine_arn)  # machine/version/alias
        if express_only and not machine.is_express:
            raise ServiceError("StateMachineTypeNotSupported", _TYPE_NOT_SUPPORTED)
        mocked = self.integrations.for_execution(machine.name, machine.machine, test_case)
        name = name if name is not None else self._uuid()
        check_name(name)
        value, text = _input_of(input)
        return _Start(machine, alias, mocked, name, value, text, trace_header)

    def _link_parent(self, value: Any, arn: str) -> None:
        """Remember ``AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID``: the parent's stop stops it."""
        parent = value.get(PARENT_KEY) if isinstance(value, dict) else None
        if isinstance(parent, str) and parent in self._running:
            self._children.setdefault(parent, []).append(arn)

    async def start_sync_execution(
        self, state_machine_arn: str, input: Any = _NO_INPUT, name: str | None = None,
        trace_header: str | None = None,
    ) -> SyncExecutionResult:
        """Run an Express execution to its end (StartSyncExecution).

        The result's ``to_aws()`` gives the StartSyncExecution response.

        Raises:
            ServiceError: ``StateMachineTypeNotSupported`` for a Standard machine, and the errors of
                ``start_execution``.
        """
        start = await self._start_request(state_machine_arn, input, name, trace_header,
                                          express_only=True)
        arn = self._arn("express", start.machine.name, start.name, self._uuid())
        execution = self._launch(start, arn)
        await execution.finished.wait()
        return SyncExecutionResult(execution.record)

    def _launch(self, start: _Start, arn: str) -> Execution:
        if self._group is None:
            raise RuntimeError("use the Engine as 'async with Engine() as engine:'")
        machine, now = start.machine, self.clock.now()
        record = ExecutionRecord(
            arn=arn, state_machine_arn=machine.base_arn, name=start.name, input=start.text,
            start_date=now, trace_header=start.trace_header, express=machine.is_express,
            state_machine_version_arn=None if machine.version_of is None else machine.arn,
            state_machine_alias_arn=start.alias_arn,
        )
        history = History(self._history_limit(machine))
        runtime = self._runtime(machine, record, start.value, history, start.integrations)
        execution = Execution(record, runtime, start.value, _deadline(machine, now))
        if not machine.is_express:
            self.store.put_execution(record, history)
            self._remember_machine(arn, machine)
        self._running[arn] = execution
        execution.task = self._group.create_task(execution.run(),
                                                 name=f"sfnlocal-execution:{start.name}")
        execution.task.add_done_callback(lambda _: self._closed(arn))
        return execution

    def _closed(self, arn: str) -> None:
        self._running.pop(arn, None)
        self._children.pop(arn, None)

    def _history_limit(self, machine: StateMachineRecord) -> int | None:
        """States may record ``history_limit - 1`` events; the closing event takes the last slot."""
        limit = self.settings.history_limit
        return None if limit is None or machine.is_express else limit - 1

    def _runtime(
        self, machine: StateMachineRecord, record: ExecutionRecord, value: Any, history: History,
        integrations: Registry | None = None,
    ) -> ExecutionRuntime:
        settings = self.settings
        identity = ExecutionIdentity(
            execution_arn=record.arn, name=record.name,
            state_machine_arn=record.state_machine_alias_arn or machine.arn,
            state_machine_name=machine.name, role_arn=machine.role_arn,
            start_time=record.start_date, input=value, type=machine.type,
            region=settings.region, account=settings.account,
        )
        return ExecutionRuntime(identity, machine.machine, self.clock, history, self.rng,
                                integrations or self.integrations, self.store, self, self.settings)

    # -- reading and controlling executions -----------------------------------------------------

    async def describe_execution(self, arn: str) -> ExecutionRecord:
        """The execution with this ARN (DescribeExecution).

        Raises:
            ServiceError: ``InvalidArn`` (also for Express ARNs), ``ExecutionDoesNotExist``.
        """
        check_arn(arn, "execution")
        record = self.store.get_execution(arn)
        if record is None:
            raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return record

    async def list_executions(
        self, state_machine_arn: str, status_filter: str | None = None
    ) -> list[ExecutionRecord]:
        """The machine's executions, newest first, optionally of one status (ListExecutions).

        Raises:
            ServiceError: ``InvalidArn``, ``StateMachineDoesNotExist``, ``ValidationException`` (bad
                status), ``StateMachineTypeNotSupported`` (Express machine).
        """
        if status_filter is not None:
            check_enum(status_filter, "statusFilter", EXECUTION_STATUSES)
        machine = await self._listed_machine(state_machine_arn)  # machine, version or alias
        if machine.is_express:
            raise ServiceError("StateMachineTypeNotSupported", _TYPE_NOT_SUPPORTED)
        records = self._executions_of(state_machine_arn, machine)
        if status_filter is not None:
            records = [r for r in records if r.status == status_filter]
        return records[::-1]

    async def stop_execution(
        self, arn: str, error: str | None = None, cause: str | None = None
    ) -> ExecutionRecord:
        """Abort a running execution (StopExecution); a closed one is left as it is.

        The execution closes ABORTED with an ``ExecutionAborted`` event (previousEventId 0) carrying
        ``error``/``cause`` only when given; this returns once it has closed. A distributed Map's
        Standard child closes alone; its Map Run counts it as a failure.

        Raises:
            ServiceError: ``InvalidArn`` (also for Express ARNs), ``ExecutionDoesNotExist``.
        """
        record = await self.describe_execution(arn)
        if record.map_run_arn is not None:
            await self.stop_map_run_child(record, error, cause)
            return record
        execution = self._running.get(arn)
        children = self._children.get(arn, [])
        if execution is not None and not record.done:
            execution.stop(error, cause)
            await execution.finished.wait()
        for child in children:
            running = self._running.get(child)
            if running is not None and not running.record.done:
                await self.stop_execution(child)
        return record

    async def describe_state_machine_for_execution(self, arn: str) -> StateMachineRecord:
        """The machine revision (or version) an execution runs (DescribeStateMachineForExecution).

        For a distributed Map's child: its ``ItemProcessor`` as a machine (``map_run_machine``).

        Raises:
            ServiceError: ``InvalidArn``, ``ExecutionDoesNotExist``, ``StateMachineDoesNotExist``.
        """
        record = await self.describe_execution(arn)
        machine = None if record.map_run_arn is None else await self.map_run_machine(record)
        return machine or await super().describe_state_machine_for_execution(arn)

    def stop_execution_soon(self, arn: str) -> None:
        """Ask a running execution (and the children it started) to stop; do not wait."""
        execution = self._running.get(arn)
        if execution is not None:
            execution.stop()
        for child in self._children.get(arn, []):
            self.stop_execution_soon(child)

    def on_execution_closed(self, arn: str, callback: Callable[[], object]) -> None:
        """Call ``callback()`` once the execution has closed (soon, if it already has)."""
        execution = self._running.get(arn)
        if execution is not None and execution.task is not None and not execution.task.done():
            execution.task.add_done_callback(lambda _: callback())
        else:
            asyncio.get_running_loop().call_soon(callback)

    async def wait(self, arn: str) -> ExecutionRecord:
        """Wait until the execution (Standard or Express) has closed and return its record.

        Raises:
            ServiceError: ``InvalidArn``, ``ExecutionDoesNotExist``.
        """
        record = self._express.get(arn) or await self.describe_execution(arn)
        execution = self._running.get(arn)
        if execution is not None:
            await execution.finished.wait()
        return record

    async def get_execution_history(
        self, arn: str, *, reverse_order: bool = False, max_results: int | None = None,
        next_token: str | None = None, include_execution_data: bool = True,
    ) -> dict[str, Any]:
        """One page of the GetExecutionHistory response: ``{"events": [...], "nextToken"?: ...}``.

        Pages hold ``max_results`` events (AWS's default 100 when None or 0; at most 1000).

        Raises:
            ServiceError: ``InvalidArn``, ``ExecutionDoesNotExist``, ``ValidationException``,
                ``InvalidToken``.
        """
        await self.describe_execution(arn)
        history = self.store.get_history(arn)
        assert history is not None, arn
        return history_page(history, arn, reverse=reverse_order, max_results=max_results,
                            next_token=next_token, include_data=include_execution_data)

    async def history_events(
        self, arn: str, include_execution_data: bool = True
    ) -> list[dict[str, Any]]:
        """Every event of the execution's history, oldest first, in AWS's shape (all pages)."""
        await self.describe_execution(arn)
        history = self.store.get_history(arn)
        assert history is not None, arn
        return [event.to_aws(include_execution_data) for event in history]


class _Start(NamedTuple):
    """A checked start request (see ``Engine._start_request``)."""

    machine: StateMachineRecord
    alias_arn: str | None
    integrations: Registry
    name: str
    value: Any
    text: str
    trace_header: str | None


def _idempotent_create(existing: StateMachineRecord, text: str, type_: str) -> StateMachineRecord:
    if existing.definition == text and existing.type == type_:
        return existing
    raise ServiceError(
        "StateMachineAlreadyExists", f"State Machine Already Exists: '{existing.arn}'"
    )


def _idempotent_start(existing: ExecutionRecord, text: str) -> ExecutionRecord:
    if existing.status == "RUNNING" and existing.input == text:
        return existing
    raise ServiceError("ExecutionAlreadyExists", f"Execution Already Exists: '{existing.arn}'")


def _deadline(machine: StateMachineRecord, start: float) -> float | None:
    """When the execution times out: ``TimeoutSeconds``, capped at 5 minutes for Express."""
    timeout = machine.machine.timeout_seconds
    if machine.is_express:
        timeout = min(timeout or EXPRESS_MAX_SECONDS, EXPRESS_MAX_SECONDS)
    return None if timeout is None else start + timeout


def _input_of(value: Any) -> tuple[Any, str]:
    """Execution input as (value, JSON text); ``str`` input is JSON text, as on the API."""
    if value is _NO_INPUT:
        return {}, "{}"
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as err:
            raise ServiceError(
                "InvalidExecutionInput",
                f"Invalid State Machine Execution Input: '{jackson_message(err, value)}'",
            ) from None
        except RecursionError:
            raise ServiceError("InvalidExecutionInput", "Invalid State Machine Execution Input: "
                               "'Document nesting depth exceeds the maximum allowed (1000)'"
                               ) from None
        text = value
    else:
        parsed, text = value, _json_text(value)
    _check_input_size(text)
    return parsed, text


def _json_text(value: Any) -> str:
    try:
        return to_json_text(value)
    except (TypeError, ValueError) as err:
        raise ServiceError(
            "InvalidExecutionInput", f"Invalid State Machine Execution Input: '{err}'"
        ) from None


def _check_input_size(text: str) -> None:
    size = len(text) if text.isascii() else len(text.encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise ServiceError(
            "ValidationException",
            "1 validation error detected: Value at 'input' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_PAYLOAD_BYTES}",
        )
