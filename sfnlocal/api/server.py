"""The HTTP server: one aiohttp application over one ``Engine``.

Routes:
    POST /                 the Step Functions API (AWS JSON 1.0, ``X-Amz-Target: AWSStepFunctions.*``)
                           and the SQS API (``X-Amz-Target: AmazonSQS.*``)
    /2015-03-31/functions  the Lambda API (REST-JSON, ``sfnlocal.api.lambda_api``)
    GET  /sfnlocal/lambda-code/<sha256>.zip  a function's zip (GetFunction's ``Code.Location``)
    GET  /                 the web page (``static/index.html``)
    GET  /health           ``{"status": "ok", ...}``
    POST /admin/reload     re-read the ``--config`` file and apply it (``sfnlocal.config``)
    GET  /ui/api/...       the page's JSON endpoints

Typical use (``sfnlocal serve`` does this)::

    async with Engine() as engine:
        server = Server(engine, "127.0.0.1", 8083)
        await server.start()
        ...
        await server.stop()      # stops listening, lets in-flight requests finish

The account is the engine's (``123456789012`` by default). The region of a request is read from
its SigV4 ``Authorization`` credential scope (``us-east-1`` when absent) and logged, but one server
serves one region: ARNs always carry the engine's region (``--region``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sfnlocal.api.errors import JSON_CONTENT_TYPE, ApiError, error_response, unknown_operation
from sfnlocal.api.lambda_api import add_lambda_routes
from sfnlocal.api.regions import REGIONS_KEY, Regions, engine_for, region_of
from sfnlocal.api.shapes import Params, dumps, parse_body
from sfnlocal.api.sqs_api import TARGET_PREFIX as SQS_PREFIX
from sfnlocal.api.sqs_api import ensure_sqs, serve_sqs
from sfnlocal.api.stepfunctions import TARGET_PREFIX, handle
from sfnlocal.api.ui import ENGINE_KEY, add_ui_routes
from sfnlocal.config import ConfigError, ConfigReloader
from sfnlocal.engine.engine import Engine
from sfnlocal.errors import InvalidDefinition, ServiceError

__all__ = ["DEFAULT_REGION", "MAX_REQUEST_BYTES", "Server", "create_app", "region_of"]

logger = logging.getLogger("sfnlocal.api")

DEFAULT_REGION = "us-east-1"
MAX_REQUEST_BYTES = 1024 * 1024
"""The largest request body accepted (AWS's 1 MB request limit)."""
_MAX_LINE = 256 * 1024

# Typed request keys where aiohttp has them (3.12+), plain strings before.
_REGION_KEY: Any = web.RequestKey("region", str) if hasattr(web, "RequestKey") else "sfnlocal.region"
_ACTION_KEY: Any = web.RequestKey("action", str) if hasattr(web, "RequestKey") else "sfnlocal.action"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(engine: Engine, reloader: ConfigReloader | None = None, *,
               pin_region: bool = False) -> web.Application:
    """The aiohttp application serving ``engine``: the API, the web page and ``/health``.

    Requests signed for another region than the engine's are served by an engine of that region
    (``sfnlocal.api.regions``), unless ``pin_region``.
    """
    app = web.Application(middlewares=[_log_requests], client_max_size=MAX_REQUEST_BYTES)
    app[ENGINE_KEY] = engine
    app[REGIONS_KEY] = Regions(engine, pinned=pin_region)
    if reloader is not None:
        app[_RELOADER_KEY] = reloader
    app.router.add_post("/admin/reload", _reload)
    ensure_sqs(engine)  # one SqsService for the SQS API and the engine's sqs Task integrations
    app.router.add_post("/", _api)
    add_lambda_routes(app)
    add_ui_routes(app)
    return app


_RELOADER_KEY = web.AppKey("reloader", ConfigReloader)


async def _reload(request: web.Request) -> web.Response:
    """``POST /admin/reload``: 200 with what changed, 400 naming the broken file and JSON pointer."""
    reloader = request.app.get(_RELOADER_KEY)
    if reloader is None:
        return web.json_response({"reloaded": False, "error": "the server was started without "
                                  "--config: there is no config file to reload"}, status=404)
    try:
        report = await reloader.reload()
    except ConfigError as err:
        logger.error("config reload refused (the old config stays): %s", err)
        return web.json_response({"reloaded": False, "error": str(err), "file": err.source,
                                  "pointer": err.pointer}, status=400)
    return web.json_response({"reloaded": True, "file": str(reloader.path), **report.to_json()})


@web.middleware
async def _log_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log one line per request: client, method, path, action, region, status, duration."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        action = request.get(_ACTION_KEY, "-")
        region = request.get(_REGION_KEY, "-")
        elapsed = (time.perf_counter() - started) * 1000
        logger.info("%s %s %s %s %s %d %.1fms", request.remote, request.method, request.path,
                    action, region, status, elapsed)


async def _api(request: web.Request) -> web.Response:
    """``POST /``: one Step Functions or SQS action, told apart by ``X-Amz-Target``."""
    engine = await engine_for(request)
    request[_REGION_KEY] = engine.settings.region
    target = request.headers.get("X-Amz-Target") or ""
    if target.startswith(SQS_PREFIX):
        request[_ACTION_KEY] = target
        return await serve_sqs(request, target[len(SQS_PREFIX):], engine)
    try:
        action = _action_of(request.headers.get("X-Amz-Target"))
        request[_ACTION_KEY] = action
        params = Params(parse_body(await _read_body(request)))
        body = await handle(engine, action, params)
    except ApiError as err:
        return error_response(err.code, err.message, err.status)
    except (ServiceError, InvalidDefinition) as err:
        return error_response(err.code, err.message)
    except Exception:
        logger.exception("internal error in %s", request.get(_ACTION_KEY, "-"))
        return error_response("InternalFailure", "The request processing has failed because "
                              "of an unknown error, exception or failure.", 500)
    return web.Response(text=dumps(body), content_type=JSON_CONTENT_TYPE,
                        headers={"x-amzn-RequestId": str(uuid.uuid4())})


def _action_of(target: str | None) -> str:
    if target is None or not target.startswith(TARGET_PREFIX):
        raise unknown_operation()
    return target[len(TARGET_PREFIX):]


async def _read_body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError("RequestEntityTooLargeException",
                       f"Request body is larger than the {MAX_REQUEST_BYTES} bytes limit",
                       413) from None


class Server:
    """The HTTP server of one engine, started and stopped from a running event loop.

    Args:
        engine: the engine to serve (already entered: ``async with engine``).
        host: the address to bind (loopback by default).
        port: the TCP port; 0 picks a free one (see ``port`` after ``start``).
        shutdown_timeout: how long ``stop`` lets in-flight requests run before cancelling them.
        reloader: the ``--config`` file, reloaded by ``POST /admin/reload`` (None: no config).
        pin_region: serve every request from ``engine``, whatever region it is signed for
            (otherwise each region gets its own engine: ``sfnlocal.api.regions``).
    """

    def __init__(self, engine: Engine, host: str = "127.0.0.1", port: int = 8083,
                 shutdown_timeout: float = 10.0, reloader: ConfigReloader | None = None, *,
                 pin_region: bool = False) -> None:
        self.engine = engine
        self.host = host
        self.port = port
        app = create_app(engine, reloader, pin_region=pin_region)
        self.regions = app[REGIONS_KEY]
        # Long request lines (a Lambda list call's Marker...) reach the routes, which answer them
        # in AWS's shapes, instead of aiohttp's plain-text 400 at 8 KB.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout,
                                     max_line_size=_MAX_LINE)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8083``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind and listen.

        Raises:
            OSError: the address cannot be bound (``errno.EADDRINUSE`` when the port is taken).
        """
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError:
            await self._runner.cleanup()
            raise
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])

    async def stop(self) -> None:
        """Stop listening, let in-flight requests finish (up to the timeout), close.

        The engines of other regions made for requests are left (their running executions stay
        RUNNING, as in a stopped process); the server's own engine is the caller's.
        """
        await self._runner.cleanup()
        await self.regions.aclose()
