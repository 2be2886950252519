"""The Map Run actions (DescribeMapRun, ListMapRuns, UpdateMapRun) and RedriveExecution.

ListExecutions with a ``mapRunArn`` (the children of a Map Run) is answered by ``map_run_executions``,
called from the ListExecutions handler of ``sfnlocal.api.stepfunctions``.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

from sfnlocal.api.errors import wrong_type
from sfnlocal.api.paging import page
from sfnlocal.api.shapes import Params
from sfnlocal.engine.map_runs import MapRunRecord
from sfnlocal.engine.records import ExecutionRecord

__all__ = ["MAP_RUN_ACTIONS", "map_run_executions"]

Handler = Callable[[Any, Params], Awaitable[dict[str, Any]]]
MAP_RUN_ACTIONS: dict[str, Handler] = {}
_LIST_EXECUTIONS_TOKEN_LIMIT = 3096


def _action(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        MAP_RUN_ACTIONS[name] = handler
        return handler
    return register


@_action("DescribeMapRun")
async def _describe_map_run(engine: Any, p: Params) -> dict[str, Any]:
    record: MapRunRecord = await engine.describe_map_run(p.string("mapRunArn"))
    return record.to_aws()


@_action("ListMapRuns")
async def _list_map_runs(engine: Any, p: Params) -> dict[str, Any]:
    arn = p.string("executionArn")
    records: list[MapRunRecord] = await engine.list_map_runs(arn)
    chosen, token = page(records, _map_run_arn, f"mapRuns|{arn}",
                         max_results=p.opt_int("maxResults"), next_token=p.opt_string("nextToken"))
    response: dict[str, Any] = {"mapRuns": [r.to_list_item() for r in chosen]}
    if token is not None:
        response["nextToken"] = token
    return response


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
    chosen, token = page(records, _execution_arn, f"executions|{map_run_arn}|{status}",
                         max_results=p.opt_int("maxResults"), next_token=p.opt_string("nextToken"),
                         token_limit=_LIST_EXECUTIONS_TOKEN_LIMIT)
    response: dict[str, Any] = {"executions": [run.child_list_item(r) for r in chosen]}
    if token is not None:
        response["nextToken"] = token
    return response


def _opt_float(p: Params, name: str) -> float | None:
    """An optional number member (an integer is accepted, as AWS's JSON protocol does)."""
    value = p.members.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise wrong_type(name, value, "float")
    return float(value)


def _map_run_arn(record: MapRunRecord) -> str:
    return record.arn


def _execution_arn(record: ExecutionRecord) -> str:
    return record.arn
