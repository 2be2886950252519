"""The Map Run actions (DescribeMapRun, ListMapRuns, UpdateMapRun) and RedriveExecution.

ListExecutions with a ``mapRunArn`` (the children of a Map Run) is answered by ``map_run_executions``,
called from the ListExecutions handler of ``sfnlocal.api.stepfunctions``.
"""

from __future__ import annotations

import math
from operator import attrgetter
from typing import Any

from sfnlocal.api.actions import ActionTable
from sfnlocal.api.errors import wrong_type
from sfnlocal.api.paging import list_response
from sfnlocal.api.shapes import Params
from sfnlocal.engine.map_runs import MapRunRecord

__all__ = ["MAP_RUN_ACTIONS", "map_run_executions"]

MAP_RUN_ACTIONS = ActionTable()
_LIST_EXECUTIONS_TOKEN_LIMIT = 3096


_action = MAP_RUN_ACTIONS.action


@_action("DescribeMapRun")
async def _describe_map_run(engine: Any, p: Params) -> dict[str, Any]:
    record: MapRunRecord = await engine.describe_map_run(p.string("mapRunArn"))
    return record.to_aws()


@_action("ListMapRuns")
async def _list_map_runs(engine: Any, p: Params) -> dict[str, Any]:
    arn = p.string("executionArn")
    records: list[MapRunRecord] = await engine.list_map_runs(arn)
    return list_response(p, "mapRuns", records, attrgetter("arn"), f"mapRuns|{arn}",
                         MapRunRecord.to_list_item)


@_action("UpdateMapRun")
async def _update_map_run(engine: Any, p: Params) -> dict[str, Any]:
    await engine.update_map_run(
        p.string("mapRunArn"), max_concurrency=p.opt_int("maxConcurrency"),
        tolerated_failure_percentage=_opt_float(p, "toleratedFailurePercentage"),
        tolerated_failure_count=p.opt_int("toleratedFailureCount"),
    )
    return {}


@_action("RedriveExecution")
async def _redrive_execution(engine: Any, p: Params) -> dict[str, Any]:
    p.opt_string("clientToken")  # type-checked; idempotency has nothing to do until redrive works
    await engine.redrive_execution(p.string("executionArn"))
    return {}  # pragma: no cover - redrive_execution always raises for now


async def map_run_executions(
    engine: Any, map_run_arn: str, status: str | None, p: Params,
) -> dict[str, Any]:
    """The ListExecutions response for a Map Run's children (items carry ``mapRunArn``, ``itemCount``).

    Raises:
        ServiceError: ``InvalidArn``, ``ResourceNotFound``, ``ValidationException``,
            ``InvalidToken``.
    """
    run, records = await engine.list_map_run_executions(map_run_arn, status)
    return list_response(p, "executions", records, attrgetter("arn"),
                         f"executions|{map_run_arn}|{status}", run.child_list_item,
                         token_limit=_LIST_EXECUTIONS_TOKEN_LIMIT)


def _opt_float(p: Params, name: str) -> float | None:
    """An optional number member (an integer is accepted, as AWS's JSON protocol does)."""
    value = p.members.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise wrong_type(name, value, "float")
    return float(value)
