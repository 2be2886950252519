"""Nested executions: ``arn:aws:states:::states:startExecution[.sync|.sync:2]`` and ``aws-sdk:sfn``.

``StartExecution`` starts a child execution on the same engine (checklist §10.5):

- request-response: the result is StartExecution's response as Step Functions returns it,
  ``{ExecutionArn, StartDate, SdkHttpMetadata, SdkResponseMetadata}``;
- ``.sync``: after ``TaskSubmitted`` (that same response) it waits for the child; the result is a
  DescribeExecution-like object in PascalCase with ``Input``/``Output`` as JSON text; ``.sync:2``
  gives them as JSON values. A child that does not succeed fails the task with
  ``States.TaskFailed`` and that object (with ``Error``/``Cause``) as JSON text in the cause. A
  ``.sync`` task also takes SendTaskSuccess/SendTaskFailure on its own token (first outcome wins).
  When the parent stops waiting (stopped, timed out, a sibling failed) the child is stopped;
- ``.waitForTaskToken`` is the request-response form wrapped by ``CallbackWait``.

Parameters: ``StateMachineArn``, ``Input`` (a JSON value, or JSON text; absent or null: ``{}``),
``Name``. An input holding ``AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID`` links the child to that
parent: stopping the parent stops the child. API errors become ``StepFunctions.<Code>Exception``
with the Java SDK's cause format.

``SdkStepFunctions`` serves the ``aws-sdk:sfn:<action>`` integrations the conformance workers use
(``startExecution``, ``sendTaskSuccess``, ``sendTaskFailure``, ``sendTaskHeartbeat``,
``getActivityTask``, ``describeExecution``, ``stopExecution``), with errors named
``Sfn.<Code>Exception``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import TYPE_CHECKING, Any

from sfnlocal.asl.model import Pattern
from sfnlocal.engine.clock import iso_millis
from sfnlocal.engine.history import to_json_text
from sfnlocal.engine.tokens import TokenTable
from sfnlocal.errors import ServiceError, StatesError
from sfnlocal.integrations.sdk_metadata import json_sdk_metadata
from sfnlocal.states.children import own_task

if TYPE_CHECKING:
    from sfnlocal.engine.records import ExecutionRecord
    from sfnlocal.integrations.base import TaskRequest

__all__ = ["PARENT_KEY", "SDK_ACTIONS", "SdkStepFunctions", "StartExecution", "describe_child"]

PARENT_KEY = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"
_CHILD_DONE: Any = object()


class StartExecution:
    """``states:startExecution`` in its request-response, ``.sync`` and ``.sync:2`` forms.

    Args:
        table: the engine's token table (a ``.sync`` task also answers to its token).
    """

    def __init__(self, table: TokenTable) -> None:
        self.table = table

    async def invoke(self, request: TaskRequest) -> Any:
        """Start the child; for ``.sync``/``.sync:2`` wait for it too.

        Raises:
            StatesError: ``StepFunctions.<Code>Exception`` when StartExecution is refused;
                ``States.TaskFailed`` when a waited-for child does not succeed.
        """
        engine = _engine(request)
        request_id = _request_id(request)
        params = request.parameters if isinstance(request.parameters, dict) else {}
        await own_task()
        waiter = None
        if request.pattern in (Pattern.SYNC, Pattern.SYNC2) and request.task_token is not None:
            waiter = self.table.open(request.task_token, request.context.execution_arn,
                                     request.context.heartbeat)
        try:
            record = await _start(engine, params, request_id, _sdk_cause)
            response = _start_response(record, request_id, request.context.clock.now())
            if request.pattern not in (Pattern.SYNC, Pattern.SYNC2):
                return response
            request.context.submitted(response)
            return await _wait_child(engine, record, waiter, request.pattern is Pattern.SYNC2)
        finally:
            if waiter is not None:
                self.table.close(waiter.token)


async def _wait_child(engine: Any, record: ExecutionRecord, waiter: Any, parsed: bool) -> Any:
    """The child's description once it closes (or the answer to the task's own token)."""
    loop = asyncio.get_running_loop()
    future = waiter.future if waiter is not None else loop.create_future()

    def child_closed() -> None:
        if not future.done():
            future.set_result(_CHILD_DONE)

    engine.on_execution_closed(record.arn, child_closed)
    try:
        outcome = await future
    except asyncio.CancelledError:
        engine.stop_execution_soon(record.arn)
        raise
    if outcome is not _CHILD_DONE:
        return outcome
    description = describe_child(record, parsed)
    if record.status != "SUCCEEDED":
        raise StatesError("States.TaskFailed", json.dumps(description, separators=(",", ":")))
    return description


def describe_child(record: ExecutionRecord, parsed: bool = False) -> dict[str, Any]:
    """The ``.sync`` result: DescribeExecution in PascalCase (``parsed``: ``.sync:2`` data)."""
    shape: dict[str, Any] = {
        "ExecutionArn": record.arn,
        "Input": _data(record.input, parsed),
        "InputDetails": {"Included": True},
        "Name": record.name,
        "StartDate": _millis(record.start_date),
        "StateMachineArn": record.state_machine_arn,
        "Status": record.status,
    }
    if record.status == "SUCCEEDED":
        shape["Output"] = _data(record.output or "null", parsed)
        shape["OutputDetails"] = {"Included": True}
    error = record.error if record.error is not None or record.status != "TIMED_OUT" \
        else "States.Timeout"
    if error is not None:
        shape["Error"] = error
    if record.cause is not None:
        shape["Cause"] = record.cause
    if record.stop_date is not None:
        shape["StopDate"] = _millis(record.stop_date)
    return dict(sorted(shape.items()))


def _data(text: str, parsed: bool) -> Any:
    return json.loads(text) if parsed else text


def _millis(epoch: float) -> int:
    return round(epoch * 1000)


def _engine(request: TaskRequest) -> Any:
    engine = request.context.engine
    if engine is None:
        raise StatesError("States.Runtime", "Nested executions need an Engine.")
    return engine


def _request_id(request: TaskRequest) -> str:
    return str(uuid.UUID(int=request.context.runtime.rng.getrandbits(128), version=4))


def _input_text(value: Any) -> str:
    """StartExecution's ``Input``: JSON text as given, other values serialised, null → ``{}``."""
    if value is None:
        return "{}"
    if isinstance(value, str):
        return value
    return to_json_text(value)


async def _start(
    engine: Any, params: dict[str, Any], request_id: str, cause: Any
) -> ExecutionRecord:
    arn, name = params.get("StateMachineArn"), params.get("Name")
    try:
        if not isinstance(arn, str):
            raise ServiceError("MissingRequiredParameter",
                               "Value null at 'stateMachineArn' failed to satisfy constraint: "
                               "Member must not be null")
        record: ExecutionRecord = await engine.start_execution(
            arn, _input_text(params.get("Input")), name=name if isinstance(name, str) else None)
    except ServiceError as err:
        raise cause(err, request_id) from None
    return record


def _sdk_cause(err: ServiceError, request_id: str) -> StatesError:
    """An optimized-integration error: ``StepFunctions.<Code>Exception`` (Java SDK v1 format)."""
    return StatesError(
        f"StepFunctions.{err.code}Exception",
        f"{err.message} (Service: AWSStepFunctions; Status Code: 400; Error Code: {err.code}; "
        f"Request ID: {request_id}; Proxy: null)",
    )


def _sdk2_cause(err: ServiceError, request_id: str) -> StatesError:
    """An ``aws-sdk:sfn`` error: ``Sfn.<Code>Exception`` (Java SDK v2 format)."""
    return StatesError(
        f"Sfn.{err.code}Exception",
        f"{err.message} (Service: Sfn, Status Code: 400, Request ID: {request_id}) "
        "(SDK Attempt Count: 1)",
    )


def _start_response(record: ExecutionRecord, request_id: str, now: float) -> dict[str, Any]:
    wire = json.dumps({"executionArn": record.arn, "startDate": record.start_date},
                      separators=(",", ":"))
    return {
        "ExecutionArn": record.arn,
        **json_sdk_metadata(wire, request_id, now),
        "StartDate": _millis(record.start_date),
    }


class SdkStepFunctions:
    """``arn:aws:states:::aws-sdk:sfn:<action>``: the Step Functions API of the same engine."""

    async def invoke(self, request: TaskRequest) -> Any:
        """Call the action named by the resource; return its PascalCase response.

        Raises:
            StatesError: ``Sfn.<Code>Exception`` for a refused call; ``States.Runtime`` for an
                action that is not served.
        """
        engine = _engine(request)
        params = request.parameters if isinstance(request.parameters, dict) else {}
        request_id = _request_id(request)
        action = SDK_ACTIONS.get(request.resource.action)
        if action is None:
            raise StatesError("States.Runtime",
                              f"The aws-sdk:sfn action '{request.resource.action}' is not served.")
        try:
            return await action(engine, params, request_id)
        except ServiceError as err:
            raise _sdk2_cause(err, request_id) from None


async def _sdk_start(engine: Any, params: dict[str, Any], request_id: str) -> Any:
    record = await _start(engine, params, request_id, _sdk2_cause)
    return {"ExecutionArn": record.arn, "StartDate": iso_millis(record.start_date)}


async def _sdk_success(engine: Any, params: dict[str, Any], request_id: str) -> Any:
    await engine.send_task_success(params.get("TaskToken"), _input_text(params.get("Output")))
    return {}


async def _sdk_failure(engine: Any, params: dict[str, Any], request_id: str) -> Any:
    await engine.send_task_failure(params.get("TaskToken"), params.get("Error"),
                                   params.get("Cause"))
    return {}


async def _sdk_heartbeat(engine: Any, params: dict[str, Any], request_id: str) -> Any:
    await engine.send_task_heartbeat(params.get("TaskToken"))
    return {}


async def _sdk_get_activity_task(engine: Any, params: dict[str, Any], request_id: str) -> Any:
    task = await engine.get_activity_task(params.get("ActivityArn"), params.get("WorkerName"))
    if not task:
        return {}
    return {"Input": task["input"], "TaskToken": task["taskToken"]}


async def _sdk_describe(engine: Any, params: dict[str, Any], request_id: str) -> Any:
    record = await engine.describe_execution(params.get("ExecutionArn"))
    shape = describe_child(record)
    for key in ("StartDate", "StopDate"):
        if key in shape:
            shape[key] = iso_millis(shape[key] / 1000)
    return shape


async def _sdk_stop(engine: Any, params: dict[str, Any], request_id: str) -> Any:
    record = await engine.stop_execution(params.get("ExecutionArn"), params.get("Error"),
                                         params.get("Cause"))
    return {"StopDate": iso_millis(record.stop_date or record.start_date)}


SDK_ACTIONS = {
    "startExecution": _sdk_start,
    "sendTaskSuccess": _sdk_success,
    "sendTaskFailure": _sdk_failure,
    "sendTaskHeartbeat": _sdk_heartbeat,
    "getActivityTask": _sdk_get_activity_task,
    "describeExecution": _sdk_describe,
    "stopExecution": _sdk_stop,
}
