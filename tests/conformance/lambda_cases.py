"""Run the ``lambda`` conformance cases through the Engine with their Lambda code as local functions.

The cases (``../shared/conformance/cases``) record what AWS did with small Python Lambda functions; their
source is in ``resources.lambda_functions[].source``. Each function is compiled as ``/var/task/handler.py``
(the path AWS's stack traces show) and registered under its recorded name. Sources that call
``time.sleep`` get it mapped to the engine's clock (the handler becomes ``async`` and awaits a virtual
sleep), so a 60-second function costs nothing under the VirtualClock.
"""

from __future__ import annotations

import ast
import asyncio
import linecache
from collections.abc import Callable
from typing import Any

from runner import category_cases, compare_module

from sfnlocal.engine.clock import Clock, VirtualClock
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.settings import EngineSettings
from sfnlocal.integrations import Registry

HANDLER_FILE = "/var/task/handler.py"
LEVELS = {
    "status": ("status",),
    "output": ("output", "error", "cause"),
    "types": ("event_types",),
    "full": ("status", "output", "error", "cause", "event_types", "events"),
}
# AWS-only metadata inside Invoke results (compare.py README: "known noise").
IGNORE = (r".*SdkHttpMetadata.*", r".*SdkResponseMetadata.*")


def lambda_cases() -> list[dict[str, Any]]:
    """The ``lambda`` category executions, sorted by file name."""
    return category_cases("lambda")


class _VirtualSleep(ast.NodeTransformer):
    """``time.sleep(x)`` → ``await __virtual_sleep__(x)``; the enclosing functions become async."""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        self.generic_visit(node)
        return ast.copy_location(ast.AsyncFunctionDef(**{f: getattr(node, f) for f in node._fields}), node)

    def visit_Call(self, node: ast.Call) -> Any:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "sleep" and \
                isinstance(func.value, ast.Name) and func.value.id == "time":
            call = ast.Call(ast.Name("__virtual_sleep__", ast.Load()), node.args, [])
            return ast.copy_location(ast.Await(call), node)
        return node


def load_handler(source: str, clock: Clock) -> Callable[..., Any]:
    """Compile a case's ``handler.py`` and return its ``handler``."""
    lines = source.splitlines(keepends=True)
    linecache.cache[HANDLER_FILE] = (len(source), None, lines, HANDLER_FILE)
    tree = ast.parse(source, HANDLER_FILE)
    namespace: dict[str, Any] = {"__name__": "handler"}
    if "time.sleep" in source:
        tree = ast.fix_missing_locations(_VirtualSleep().visit(tree))

        async def virtual_sleep(seconds: float) -> None:
            await clock.sleep_until(clock.now() + seconds)

        namespace["__virtual_sleep__"] = virtual_sleep
    exec(compile(tree, HANDLER_FILE, "exec"), namespace)
    return namespace["handler"]


def lambda_registry(case: dict[str, Any], clock: Clock) -> Registry:
    """A Registry serving the case's Lambda functions (none: a default Registry)."""
    registry = Registry()
    for function in case["resources"].get("lambda_functions") or []:
        registry.register_lambda(function["name"], load_handler(function["source"], clock))
    return registry


async def run_lambda_case(case: dict[str, Any]) -> dict[str, Any]:
    """Run the case; return the API-shaped responses to compare (``history`` or ``sync``)."""
    clock = VirtualClock()
    settings = EngineSettings(region="us-east-1", account="111111111111", seed=7)
    sm = case["state_machine"]
    execution = case["execution"]
    kwargs = {} if execution.get("input_omitted") else {"input": execution["input_raw"]}
    async with Engine(clock=clock, settings=settings, integrations=lambda_registry(case, clock)) as engine:
        record = await engine.create_state_machine(
            sm["name"], sm["definition_raw"], sm["role_arn"], sm.get("type") or "STANDARD")
        if execution["api"] == "StartSyncExecution":
            result = await engine.start_sync_execution(record.arn, name=execution["name"], **kwargs)
            return {"sync": _with_metadata(result.to_aws())}
        started = await engine.start_execution(record.arn, name=execution["name"], **kwargs)
        await asyncio.wait_for(engine.wait(started.arn), 30)
        return {"history": _with_metadata(await _full_history(engine, started.arn))}


def _with_metadata(response: dict[str, Any]) -> dict[str, Any]:
    response["ResponseMetadata"] = {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}
    return response


async def _full_history(engine: Engine, arn: str) -> dict[str, Any]:
    """GetExecutionHistory, following ``nextToken`` to the end."""
    events: list[dict[str, Any]] = []
    token = None
    while True:
        page = await engine.get_execution_history(arn, next_token=token)
        events.extend(page["events"])
        token = page.get("nextToken")
        if token is None:
            return {"events": events}


def grade(
    case: dict[str, Any], responses: dict[str, Any], ignore: tuple[str, ...] = ()
) -> dict[str, list[str]]:
    """Differences per level (``[]`` = match) between the responses and the recording."""
    compare = compare_module()
    return {
        level: compare.compare_case(case, **responses, levels=levels, ignore=IGNORE + ignore)
        for level, levels in LEVELS.items()
    }
