"""Task-token callbacks and activities: SendTask*, Create/Describe/List/DeleteActivity, GetActivityTask.

Each handler calls the engine's ``CallbackApi`` method of the same name (``sfnlocal.engine.tokens``).
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from sfnlocal.api.actions import ActionTable
from sfnlocal.api.paging import list_response
from sfnlocal.api.shapes import Params
from sfnlocal.engine.engine import Engine
from sfnlocal.integrations.activities import ActivityRecord

__all__ = ["TASK_ACTIONS"]

TASK_ACTIONS = ActionTable()
_action = TASK_ACTIONS.action


@_action("SendTaskSuccess")
async def _send_task_success(engine: Engine, p: Params) -> dict[str, Any]:
    return await engine.send_task_success(p.string("taskToken"), p.string("output"))


@_action("SendTaskFailure")
async def _send_task_failure(engine: Engine, p: Params) -> dict[str, Any]:
    return await engine.send_task_failure(p.string("taskToken"), p.opt_string("error"),
                                          p.opt_string("cause"))


@_action("SendTaskHeartbeat")
async def _send_task_heartbeat(engine: Engine, p: Params) -> dict[str, Any]:
    return await engine.send_task_heartbeat(p.string("taskToken"))


@_action("CreateActivity")
async def _create_activity(engine: Engine, p: Params) -> dict[str, Any]:
    return (await engine.create_activity(p.string("name"), tags=p.tags())).to_create_aws()


@_action("DescribeActivity")
async def _describe_activity(engine: Engine, p: Params) -> dict[str, Any]:
    return (await engine.describe_activity(p.string("activityArn"))).to_aws()


@_action("DeleteActivity")
async def _delete_activity(engine: Engine, p: Params) -> dict[str, Any]:
    await engine.delete_activity(p.string("activityArn"))
    return {}


@_action("ListActivities")
async def _list_activities(engine: Engine, p: Params) -> dict[str, Any]:
    return list_response(p, "activities", await engine.list_activities(), attrgetter("arn"),
                         "activities", ActivityRecord.to_list_item)


@_action("GetActivityTask")
async def _get_activity_task(engine: Engine, p: Params) -> dict[str, Any]:
    return await engine.get_activity_task(p.string("activityArn"), p.opt_string("workerName"))
