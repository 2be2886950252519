"""The Step Functions actions (AWS JSON 1.0, ``X-Amz-Target: AWSStepFunctions.<Action>``).

Each handler reads its members with ``Params`` and calls the ``Engine``; records give the response
shapes through ``to_aws()`` and friends. The task-token and activity actions are served when the
engine has the matching methods (``send_task_success``, ``create_activity``...); until then they
are unknown operations.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from sfnlocal.api.actions import ActionTable
from sfnlocal.api.errors import unknown_operation
from sfnlocal.api.map_runs import MAP_RUN_ACTIONS, map_run_executions
from sfnlocal.api.paging import list_response
from sfnlocal.api.shapes import Params
from sfnlocal.api.tasks import TASK_ACTIONS
from sfnlocal.api.teststate import TEST_STATE_ACTIONS
from sfnlocal.api.versions import VERSION_ACTIONS
from sfnlocal.asl.validate import validation_result
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.records import ExecutionRecord, StateMachineRecord
from sfnlocal.engine.validation import (
    EXECUTION_STATUSES,
    STATE_MACHINE_TYPES,
    check_enum,
    check_max_results,
)
from sfnlocal.engine.versions import for_execution_shape
from sfnlocal.errors import ServiceError

__all__ = ["ACTIONS", "TARGET_PREFIX", "handle"]

TARGET_PREFIX = "AWSStepFunctions."

ACTIONS = ActionTable()
_SEVERITIES = ("ERROR", "WARNING")
_VALIDATE_MAX_RESULTS = 100


_action = ACTIONS.action


async def handle(engine: Engine, action: str, params: Params) -> dict[str, Any]:
    """Run one action and return its response members.

    Raises:
        ApiError: ``UnknownOperationException`` and request-shape errors.
        ServiceError / InvalidDefinition: what the engine refuses.
    """
    handler = None
    for table in (ACTIONS, TASK_ACTIONS, VERSION_ACTIONS, TEST_STATE_ACTIONS, MAP_RUN_ACTIONS):
        handler = table.get(action)
        if handler is not None:
            break
    if handler is None:
        raise unknown_operation()
    return await handler(engine, params)


# -- state machines ---------------------------------------------------------------------------


@_action("CreateStateMachine")
async def _create_state_machine(engine: Engine, p: Params) -> dict[str, Any]:
    p.require("name", "definition", "roleArn")
    name, definition, role_arn = p.string("name"), p.string("definition"), p.string("roleArn")
    type_ = p.opt_string("type") or "STANDARD"
    if p.opt_string("versionDescription") is not None and not p.flag("publish"):
        raise ServiceError("ValidationException",
                           "Version description can only be set when publish is true")
    publish = p.flag("publish")
    record = await engine.create_state_machine(
        name, definition, role_arn, type_, tags=p.tags(), publish=publish,
        version_description=p.opt_string("versionDescription"))
    shape = record.to_create_aws()
    version = engine.published_version(record.arn) if publish else None
    if version is not None:
        shape["stateMachineVersionArn"] = version.arn
    return shape


@_action("DescribeStateMachine")
async def _describe_state_machine(engine: Engine, p: Params) -> dict[str, Any]:
    return (await engine.describe_state_machine(p.string("stateMachineArn"))).to_aws()


@_action("ListStateMachines")
async def _list_state_machines(engine: Engine, p: Params) -> dict[str, Any]:
    records = await engine.list_state_machines()
    return list_response(p, "stateMachines", records, attrgetter("name"), "stateMachines",
                         StateMachineRecord.to_list_item, ordered=True)


@_action("DeleteStateMachine")
async def _delete_state_machine(engine: Engine, p: Params) -> dict[str, Any]:
    await engine.delete_state_machine(p.string("stateMachineArn"))
    return {}


@_action("DescribeStateMachineForExecution")
async def _describe_for_execution(engine: Engine, p: Params) -> dict[str, Any]:
    arn = p.string("executionArn")
    machine = await engine.describe_state_machine_for_execution(arn)
    return {**_for_execution_shape(machine), **engine.child_machine_members(arn)}


def _for_execution_shape(machine: StateMachineRecord) -> dict[str, Any]:
    # The revision (or version) the execution started with; stateMachineArn is the machine's.
    return for_execution_shape(machine)


@_action("ValidateStateMachineDefinition")
async def _validate_definition(engine: Engine, p: Params) -> dict[str, Any]:
    definition = p.string("definition")
    type_ = p.opt_string("type") or "STANDARD"
    check_enum(type_, "type", STATE_MACHINE_TYPES)
    severity = p.opt_string("severity") or "ERROR"
    check_enum(severity, "severity", _SEVERITIES)
    max_results = p.opt_int("maxResults") or 0
    check_max_results(max_results, _VALIDATE_MAX_RESULTS)
    return validation_result(definition, type_, severity, max_results or _VALIDATE_MAX_RESULTS)


# -- executions -------------------------------------------------------------------------------


@_action("StartExecution")
async def _start_execution(engine: Engine, p: Params) -> dict[str, Any]:
    arn, kwargs = _start_members(p)
    return (await engine.start_execution(arn, **kwargs)).to_start_aws()


@_action("StartSyncExecution")
async def _start_sync_execution(engine: Engine, p: Params) -> dict[str, Any]:
    arn, kwargs = _start_members(p)
    return (await engine.start_sync_execution(arn, **kwargs)).to_aws()


def _start_members(p: Params) -> tuple[str, dict[str, Any]]:
    arn = p.string("stateMachineArn")
    kwargs: dict[str, Any] = {"name": p.opt_string("name"),
                              "trace_header": p.opt_string("traceHeader")}
    text = p.opt_string("input")
    if text is not None:
        kwargs["input"] = text
    return arn, kwargs


@_action("StopExecution")
async def _stop_execution(engine: Engine, p: Params) -> dict[str, Any]:
    record = await engine.stop_execution(p.string("executionArn"), p.opt_string("error"),
                                         p.opt_string("cause"))
    return record.to_stop_aws()


@_action("DescribeExecution")
async def _describe_execution(engine: Engine, p: Params) -> dict[str, Any]:
    return (await engine.describe_execution(p.string("executionArn"))).to_aws()


@_action("ListExecutions")
async def _list_executions(engine: Engine, p: Params) -> dict[str, Any]:
    arn = p.opt_string("stateMachineArn")
    map_run = p.opt_string("mapRunArn")
    if arn is not None and map_run is not None:  # AWS: "either ..., but not both"
        raise ServiceError("ValidationException",
                           "Must provide a StateMachine ARN or MapRun ARN, not both")
    if arn is None:
        if map_run is None:
            raise ServiceError("ValidationException",
                               "Must provide a StateMachine ARN or MapRun ARN")
        return await map_run_executions(engine, map_run, p.opt_string("statusFilter"), p)
    status = p.opt_string("statusFilter")
    if status is not None:
        check_enum(status, "statusFilter", EXECUTION_STATUSES)
    records = await engine.list_executions(arn, status)
    return list_response(p, "executions", records, attrgetter("arn"), f"executions|{arn}|{status}",
                         ExecutionRecord.to_list_item, token_limit=3096)


@_action("GetExecutionHistory")
async def _get_execution_history(engine: Engine, p: Params) -> dict[str, Any]:
    return await engine.get_execution_history(
        p.string("executionArn"), reverse_order=p.flag("reverseOrder"),
        max_results=p.opt_int("maxResults"), next_token=p.opt_string("nextToken"),
        include_execution_data=p.flag("includeExecutionData", True),
    )


# -- tags -------------------------------------------------------------------------------------


@_action("TagResource")
async def _tag_resource(engine: Engine, p: Params) -> dict[str, Any]:
    p.require("resourceArn", "tags")
    await engine.tag_resource(p.string("resourceArn"), p.tags(required=True) or {})
    return {}


@_action("UntagResource")
async def _untag_resource(engine: Engine, p: Params) -> dict[str, Any]:
    p.require("resourceArn", "tagKeys")
    await engine.untag_resource(p.string("resourceArn"), p.strings("tagKeys"))
    return {}


@_action("ListTagsForResource")
async def _list_tags_for_resource(engine: Engine, p: Params) -> dict[str, Any]:
    tags = await engine.list_tags_for_resource(p.string("resourceArn"))
    return {"tags": [{"key": key, "value": value} for key, value in tags.items()]}
