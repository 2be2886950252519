"""The web page and its small JSON endpoints, plus the health check.

``GET /`` serves ``static/index.html``, which reads ``GET /ui/api/state-machines`` (state machines
with their latest executions) and ``GET /ui/api/graph?stateMachineArn=...`` (the Mermaid text of a
state machine's graph). ``GET /health`` answers ``{"status": "ok", ...}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from sfnlocal import __version__, asl
from sfnlocal.api.errors import error_response
from sfnlocal.api.shapes import dumps
from sfnlocal.engine.engine import Engine
from sfnlocal.errors import ServiceError

__all__ = ["ENGINE_KEY", "add_ui_routes"]

ENGINE_KEY = web.AppKey("engine", Engine)
STATIC = Path(__file__).parent / "static"
RECENT_EXECUTIONS = 20


def add_ui_routes(app: web.Application) -> None:
    """Register ``GET /``, ``GET /health`` and the ``/ui/api/`` endpoints on ``app``."""
    app.router.add_get("/", _index)
    app.router.add_get("/health", _health)
    app.router.add_get("/ui/api/state-machines", _state_machines)
    app.router.add_get("/ui/api/graph", _graph)


def _json(document: Any, status: int = 200) -> web.Response:
    return web.Response(text=dumps(document), status=status, content_type="application/json")


async def _index(request: web.Request) -> web.Response:
    return web.Response(text=(STATIC / "index.html").read_text(encoding="utf-8"),
                        content_type="text/html")


async def _health(request: web.Request) -> web.Response:
    engine = request.app[ENGINE_KEY]
    machines = await engine.list_state_machines()
    return _json({"status": "ok", "version": __version__, "region": engine.settings.region,
                  "stateMachines": len(machines)})


async def _state_machines(request: web.Request) -> web.Response:
    engine = request.app[ENGINE_KEY]
    listing = []
    for machine in await engine.list_state_machines():
        item = machine.to_list_item()
        item["executions"] = [] if machine.is_express else [
            execution.to_list_item()
            for execution in (await engine.list_executions(machine.arn))[:RECENT_EXECUTIONS]
        ]
        listing.append(item)
    return _json({"stateMachines": listing})


async def _graph(request: web.Request) -> web.Response:
    engine = request.app[ENGINE_KEY]
    try:
        machine = await engine.describe_state_machine(request.query.get("stateMachineArn", ""))
    except ServiceError as err:
        return error_response(err.code, err.message)
    return _json({"stateMachineArn": machine.arn, "mermaid": asl.to_mermaid(machine.machine)})
