"""Task-token callbacks and activities: SendTask*, Create/Describe/List/DeleteActivity, GetActivityTask.

These actions call Engine methods that arrive with the task-token work (``send_task_success``,
``create_activity``...). An engine without the method answers ``UnknownOperationException``, as if
the action did not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sfnlocal.api.actions import ActionTable
from sfnlocal.api.errors import unknown_operation
from sfnlocal.api.paging import list_response
from sfnlocal.api.shapes import Params

__all__ = ["TASK_ACTIONS"]

TASK_ACTIONS = ActionTable()


_action = TASK_ACTIONS.action


def _method(engine: Any, name: str) -> Callable[..., Awaitable[Any]]:
    method = getattr(engine, name, None)
    if method is None:
        raise unknown_operation()
    return method  # type: ignore[no-any-return]


def _shape(value: Any, *methods: str) -> dict[str, Any]:
    """A response from what the engine returned: a record (its first shape method), a dict or None."""
    for name in (*methods, "to_aws"):
        to_shape = getattr(value, name, None)
        if to_shape is not None:
            return to_shape()  # type: ignore[no-any-return]
    return dict(value) if isinstance(value, dict) else {}


@_action("SendTaskSuccess")
async def _send_task_success(engine: Any, p: Params) -> dict[str, Any]:
    method = _method(engine, "send_task_success")
    return _shape(await method(p.string("taskToken"), p.string("output")))


@_action("SendTaskFailure")
async def _send_task_failure(engine: Any, p: Params) -> dict[str, Any]:
    method = _method(engine, "send_task_failure")
    return _shape(await method(p.string("taskToken"), p.opt_string("error"),
                               p.opt_string("cause")))


@_action("SendTaskHeartbeat")
async def _send_task_heartbeat(engine: Any, p: Params) -> dict[str, Any]:
    method = _method(engine, "send_task_heartbeat")
    return _shape(await method(p.string("taskToken")))


@_action("CreateActivity")
async def _create_activity(engine: Any, p: Params) -> dict[str, Any]:
    method = _method(engine, "create_activity")
    name, tags = p.string("name"), p.tags()
    created = await (method(name) if tags is None else method(name, tags=tags))
    return _shape(created, "to_create_aws")


@_action("DescribeActivity")
async def _describe_activity(engine: Any, p: Params) -> dict[str, Any]:
    method = _method(engine, "describe_activity")
    return _shape(await method(p.string("activityArn")))


@_action("DeleteActivity")
async def _delete_activity(engine: Any, p: Params) -> dict[str, Any]:
    method = _method(engine, "delete_activity")
    await method(p.string("activityArn"))
    return {}


@_action("ListActivities")
async def _list_activities(engine: Any, p: Params) -> dict[str, Any]:
    method = _method(engine, "list_activities")
    items = [_shape(record, "to_list_item") for record in await method()]
    return list_response(p, "activities", items, lambda item: str(item.get("activityArn")),
                         "activities", dict)


@_action("GetActivityTask")
async def _get_activity_task(engine: Any, p: Params) -> dict[str, Any]:
    method = _method(engine, "get_activity_task")
    return _shape(await method(p.string("activityArn"), p.opt_string("workerName")))
