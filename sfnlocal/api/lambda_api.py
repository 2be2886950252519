"""The Lambda API on the server's endpoint (REST-JSON under ``/2015-03-31/functions``).

``boto3.client("lambda", endpoint_url=<server>)`` works unchanged for the subset a workflow tester
needs: CreateFunction (``Code.ZipFile``), UpdateFunctionCode (``ZipFile``),
UpdateFunctionConfiguration (``Timeout``, ``MemorySize``, ``Environment``, ``Handler``,
``Description``, ``Runtime``, ``Role``), GetFunction, GetFunctionConfiguration, ListFunctions
(``Marker``/``MaxItems``), DeleteFunction and Invoke (``RequestResponse``, ``Event``, ``DryRun``,
``LogType: Tail``); versions and aliases (PublishVersion, ListVersionsByFunction, Create/Get/
Update/Delete/ListAliases, ``Publish`` on CreateFunction and UpdateFunctionCode, ``Qualifier``
everywhere) and tags (TagResource, UntagResource, ListTags, CreateFunction's ``Tags``), see
``lambda_aliases``. A qualifier naming no version or alias is ``ResourceNotFoundException``.

The functions are the engine's own (``engine.integrations.lambdas``): a function created here is
the one Task states invoke, and functions registered in code or in the config file are listed
here. Code uploaded as a zip runs isolated (worker subprocesses, ``lambda_workers``) with the
server's own Python interpreter, whatever Python runtime the function names (other runtimes are
refused); new code or configuration retires the old workers. ``Event`` invocations run in the
background as tasks of the engine (``Engine.spawn``): leaving the engine cancels them.
``drain_events(engine)`` waits for those in flight (for tests).

Requests are served by the engine of the region they are signed for (``sfnlocal.api.regions``).
GetFunction's ``Code.Location`` is a URL of this server (``/sfnlocal/lambda-code/<sha256>.zip``)
that serves the function's zip. Other paths under an API version (``/2015-03-31/...``,
``/2017-03-31/...``) are a 404 ``UnknownOperationException`` (a middleware, so routes added later
for other Lambda operations still win).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import sys
import uuid
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sfnlocal.api.lambda_shapes import (
    ROLE,
    LambdaApiError,
    archive_of,
    check_function_name,
    check_runtime,
    check_tags,
    code_location,
    configuration,
    invalid_content,
    invalid_parameter,
    lambda_error,
    local_python,
    member,
    not_found,
    validation,
)
from sfnlocal.api.regions import engine_for
from sfnlocal.engine.engine import Engine
from sfnlocal.errors import StatesError
from sfnlocal.integrations.lambda_ import (
    Caller,
    FunctionRef,
    LambdaFunction,
    LambdaFunctions,
    log_result,
    parse_function_name,
)
from sfnlocal.integrations.lambda_config import FunctionConfig, LambdaConfigError, save_archive

__all__ = ["add_lambda_routes", "drain_events"]

logger = logging.getLogger("sfnlocal.api")

_ROOT = "/2015-03-31/functions"
_MAX_INVOKE = 6_291_456
_MAX_UPLOAD = 69_905_067
_MAX_CONFIG = 1024 * 1024
_PAGE = 50
_INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
_ENV_NAME = re.compile(r"[a-zA-Z]([a-zA-Z0-9_])+")
_RESERVED = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})
_EVENTS: weakref.WeakKeyDictionary[Engine, set[asyncio.Task[Any]]] = weakref.WeakKeyDictionary()

_API_PATH = re.compile(r"^/\d{4}-\d{2}-\d{2}(/|$)")

Endpoint = Callable[[web.Request, Engine], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_lambda_routes(app: web.Application) -> None:
    """Register the Lambda routes on ``app`` (and AWS-shaped 404s for other Lambda paths)."""
    name = _ROOT + "/{name}"
    router = app.router
    router.add_post(_ROOT, _serve(_create))
    router.add_get(_ROOT, _serve(_list))
    router.add_get(_ROOT + "/", _serve(_list))
    router.add_get(name, _serve(_get))
    router.add_delete(name, _serve(_delete))
    router.add_get(name + "/configuration", _serve(_get_configuration))
    router.add_put(name + "/configuration", _serve(_update_configuration))
    router.add_put(name + "/code", _serve(_update_code))
    router.add_post(name + "/invocations", _serve(_invoke))
    router.add_get("/sfnlocal/lambda-code/{digest:[0-9a-f]{64}}.zip", _download)
    from sfnlocal.api.lambda_aliases import add_alias_routes  # it imports this module's helpers

    add_alias_routes(router, _serve)
    app.middlewares.append(_unknown_paths)


async def drain_events(engine: Engine) -> None:
    """Wait until the ``Event`` invocations in flight on ``engine`` have ended."""
    while tasks := _EVENTS.get(engine):
        await asyncio.wait(set(tasks))


def _serve(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler of ``endpoint``: the request's engine in, AWS-shaped errors out."""

    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            engine = await engine_for(request)
            engine.integrations.lambdas.attach(engine.clock)
            return await endpoint(request, engine)
        except LambdaApiError as err:
            return lambda_error(err.code, err.message, err.status)
        except Exception:
            logger.exception("internal error in %s %s", request.method, request.path)
            return lambda_error("ServiceException", "The Lambda service encountered an internal "
                                "error.", 500)

    return handler


@web.middleware
async def _unknown_paths(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An AWS-shaped 404 for Lambda API paths (``/<api version>/...``) no route serves."""
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        if not _API_PATH.match(request.path):
            raise
        return _unknown(request)


def _unknown(request: web.Request) -> web.Response:
    return lambda_error("UnknownOperationException", f"Unknown operation: {request.method} "
                        f"{request.path} (sfnlocal serves the Lambda API's function, version, "
                        f"alias and tag operations).", 404)


async def _download(request: web.Request) -> web.StreamResponse:
    path = archive_of(request.match_info["digest"])
    if path is None:
        return lambda_error("ResourceNotFoundException", "No such deployment package.", 404)
    return web.FileResponse(path, headers={"Content-Type": "application/zip"})


# -- reading requests ------------------------------------------------------------------------------


async def _read(request: web.Request, limit: int, operation: str) -> bytes:
    """The body, at most ``limit`` bytes (a larger one is read to its end and refused)."""
    chunks: list[bytes] = []
    total = 0
    while chunk := await request.content.read(1 << 16):
        total += len(chunk)
        if total <= limit:
            chunks.append(chunk)
    if total > limit:
        raise LambdaApiError("RequestTooLargeException", f"Request must be smaller than {limit} "
                             f"bytes for the {operation} operation", 413)
    return b"".join(chunks)


async def _body(request: web.Request, limit: int, operation: str) -> dict[str, Any]:
    raw = await _read(request, limit, operation)
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise invalid_content(f"the body is not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise invalid_content("the body must be a JSON object")
    return document


def _path_ref(request: web.Request) -> FunctionRef:
    """The function the path names, with the ``Qualifier`` query parameter if any."""
    ref = parse_function_name(check_function_name(request.match_info["name"]))
    qualifier = request.query.get("Qualifier")
    if qualifier is not None:
        if not re.fullmatch(r"[a-zA-Z0-9$_-]{1,128}", qualifier):
            raise validation(qualifier, "qualifier", "Member must satisfy regular expression "
                             "pattern: (|[a-zA-Z0-9$_-]+)")
        ref = FunctionRef(ref.name, qualifier, ref.region, ref.account)
    return ref


def _arn(engine: Engine, ref: FunctionRef) -> str:
    return ref.arn(engine.settings.region, engine.settings.account)


def _latest(engine: Engine, ref: FunctionRef) -> LambdaFunction:
    function = engine.integrations.lambdas.latest(ref.name)
    if function is None:
        raise not_found(_arn(engine, FunctionRef(ref.name, None, ref.region, ref.account)))
    return function


def _reply(engine: Engine, document: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(document), content_type="application/json",
                        headers={"x-amzn-RequestId": str(uuid.uuid4())})


def _config_reply(
    engine: Engine, function: LambdaFunction, status: int = 200, qualifier: str | None = None
) -> web.Response:
    settings = engine.settings
    shape = configuration(function, settings.region, settings.account, qualifier)
    return _reply(engine, shape, status)


# -- function settings -----------------------------------------------------------------------------


def _settings(body: dict[str, Any]) -> dict[str, Any]:
    """The ``FunctionConfig`` fields a CreateFunction/UpdateFunctionConfiguration body sets."""
    changes: dict[str, Any] = {}
    timeout = member(body, "Timeout", "integer")
    if timeout is not None:
        changes["timeout"] = _bounded(timeout, "timeout", 1, 900)
    memory = member(body, "MemorySize", "integer")
    if memory is not None:
        changes["memory"] = _bounded(memory, "memorySize", 128, 10240)
    description = member(body, "Description", "string")
    if description is not None:
        changes["description"] = _longest(description, "description", 256)
    handler = member(body, "Handler", "string")
    if handler is not None:
        changes["handler"] = _handler(handler)
    runtime = member(body, "Runtime", "string")
    if runtime is not None:
        changes["runtime"] = check_runtime(runtime)
    role = member(body, "Role", "string")
    if role is not None:
        changes["role"] = _role(role)
    environment = member(body, "Environment", "object")
    if environment is not None:
        changes["environment"] = _variables(environment)
    return changes


def _bounded(value: int, name: str, low: int, high: int) -> int:
    if value < low:
        raise validation(value, name, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise validation(value, name, f"Member must have value less than or equal to {high}")
    return value


def _longest(value: str, name: str, longest: int) -> str:
    if len(value) > longest:
        raise validation(value, name, f"Member must have length less than or equal to {longest}")
    return value


def _handler(handler: str) -> str:
    _longest(handler, "handler", 128)
    if not re.fullmatch(r"[^\s]+", handler):
        raise validation(handler, "handler",
                         r"Member must satisfy regular expression pattern: [^\s]+")
    return handler


def _role(role: str) -> str:
    if not re.fullmatch(ROLE, role):
        raise validation(role, "role", f"Member must satisfy regular expression pattern: {ROLE}")
    return role


def _variables(environment: dict[str, Any]) -> dict[str, str]:
    variables = member(environment, "Variables", "object") or {}
    for key, value in variables.items():
        if not isinstance(value, str):
            raise invalid_content(f"the value of environment variable '{key}' must be a string")
        if not _ENV_NAME.fullmatch(key):
            raise validation(key, "environment.variables", "Member must satisfy regular expression "
                             f"pattern: {_ENV_NAME.pattern}")
    reserved = sorted(_RESERVED & set(variables))
    if reserved:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not supported "
            f"for modification. Reserved keys used in this request: {', '.join(reserved)}")
    return dict(variables)


async def _archive(code: dict[str, Any]) -> Any:
    """The stored zip of a ``Code`` (or UpdateFunctionCode) body: its ``ZipFile``, base64."""
    if any(code.get(key) for key in ("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri")):
        raise invalid_parameter("sfnlocal takes function code as a .zip archive in ZipFile only: "
                                "S3Bucket/S3Key and ImageUri are not supported.")
    text = member(code, "ZipFile", "string")
    if text is None:
        raise invalid_parameter("Please provide a source for function code: ZipFile.")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_content("ZipFile is not valid base64") from None
    try:
        return await asyncio.to_thread(save_archive, data)
    except LambdaConfigError:
        raise invalid_parameter("Could not unzip uploaded file. Please check your file, then try "
                                "to upload again.") from None


def _add(functions: LambdaFunctions, config: FunctionConfig, now: float) -> LambdaFunction:
    try:
        return functions.add(config, modified=now)
    except LambdaConfigError as exc:
        raise invalid_parameter(str(exc)) from None


def _update(engine: Engine, name: str, changes: dict[str, Any]) -> LambdaFunction:
    try:
        return engine.integrations.lambdas.update(name, modified=engine.clock.now(), **changes)
    except KeyError:
        raise not_found(_arn(engine, FunctionRef(name))) from None
    except (LambdaConfigError, TypeError) as exc:
        raise invalid_parameter(str(exc)) from None


def _publish(engine: Engine, name: str, description: str | None = None) -> LambdaFunction:
    """Publish ``$LATEST`` of ``name`` as a version (the last one when nothing changed)."""
    try:
        return engine.integrations.lambdas.publish(name, description=description,
                                                   modified=engine.clock.now())
    except KeyError:
        raise not_found(_arn(engine, FunctionRef(name))) from None
    except LambdaConfigError as exc:
        raise invalid_parameter(str(exc)) from None


def _check_revision(body: dict[str, Any], function: LambdaFunction) -> None:
    revision = member(body, "RevisionId", "string")
    if revision is not None and revision != function.revision:
        raise LambdaApiError("PreconditionFailedException", "The Revision Id provided does not "
                             "match the latest Revision Id. Call the GetFunction/GetAlias API to "
                             "retrieve the latest Revision Id", 412)


# -- the operations --------------------------------------------------------------------------------


async def _create(request: web.Request, engine: Engine) -> web.Response:
    body = await _body(request, _MAX_UPLOAD, "CreateFunction")
    name = check_function_name(member(body, "FunctionName", "string", required=True),
                               namespaced=False)
    ref = parse_function_name(name)
    role = _role(member(body, "Role", "string", required=True))
    code = member(body, "Code", "object", required=True)
    if member(body, "PackageType", "string") == "Image":
        raise invalid_parameter("sfnlocal runs .zip packages only: PackageType Image is not "
                                "supported.")
    if body.get("Runtime") is None or body.get("Handler") is None:
        raise invalid_parameter("Runtime and Handler are mandatory parameters for functions "
                                "created with deployment packages.")
    settings = _settings(body)
    tags = check_tags(member(body, "Tags", "object") or {})
    publish = member(body, "Publish", "boolean")
    archive = await _archive(code)
    functions = engine.integrations.lambdas
    if functions.latest(ref.name) is not None:
        raise LambdaApiError("ResourceConflictException", f"Function already exist: {ref.name}",
                             409)
    config = FunctionConfig(ref.name, code=archive, mode="isolated", **{**settings, "role": role})
    function = _add(functions, config, engine.clock.now())
    functions.family(ref.name).tags.update(tags)
    if publish:
        function = _publish(engine, ref.name)
    same = config.runtime == "python{}.{}".format(*sys.version_info[:2])
    logger.log(logging.INFO if same else logging.WARNING, "Lambda function %s (%s) created: it "
               "runs with the local interpreter, Python %s (%s)", ref.name, config.runtime,
               local_python(), sys.executable)
    return _config_reply(engine, function, 201)


async def _get(request: web.Request, engine: Engine) -> web.Response:
    ref = _path_ref(request)
    function = _find(engine, ref)
    settings = engine.settings
    location = code_location(function.config, f"{request.scheme}://{request.host}")
    code = {"RepositoryType": "S3", **({"Location": location} if location else {})}
    shape = configuration(function, settings.region, settings.account, ref.qualifier)
    reply: dict[str, Any] = {"Configuration": shape, "Code": code}
    tags = engine.integrations.lambdas.family(ref.name).tags
    if tags:
        reply["Tags"] = dict(tags)
    return _reply(engine, reply)


def _find(engine: Engine, ref: FunctionRef) -> LambdaFunction:
    function = engine.integrations.lambdas.find(ref)
    if function is None:
        raise not_found(_arn(engine, ref))
    return function


async def _get_configuration(request: web.Request, engine: Engine) -> web.Response:
    ref = _path_ref(request)
    return _config_reply(engine, _find(engine, ref), qualifier=ref.qualifier)


async def _list(request: web.Request, engine: Engine) -> web.Response:
    size = _max_items(request.query.get("MaxItems"))
    names = engine.integrations.lambdas.names()
    marker = request.query.get("Marker")
    if marker:
        last = _unmark(marker)
        names = [name for name in names if name > last]
    chosen, more = names[:size], len(names) > size
    settings = engine.settings
    functions = [engine.integrations.lambdas.latest(name) for name in chosen]
    listing: dict[str, Any] = {"Functions": [
        configuration(f, settings.region, settings.account) for f in functions if f is not None]}
    if more:
        listing["NextMarker"] = base64.urlsafe_b64encode(chosen[-1].encode()).decode()
    return _reply(engine, listing)


def _max_items(text: str | None) -> int:
    if text is None:
        return _PAGE
    try:
        value = int(text)
    except ValueError:
        raise invalid_parameter(f"MaxItems must be an integer, not '{text}'.") from None
    return min(_bounded(value, "maxItems", 1, 10000), _PAGE)


def _unmark(marker: str) -> str:
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, ValueError):
        raise invalid_parameter(f"Invalid Marker: '{marker}'.") from None


async def _delete(request: web.Request, engine: Engine) -> web.Response:
    ref = _path_ref(request)
    functions = engine.integrations.lambdas
    if ref.qualifier == "$LATEST":
        raise invalid_parameter("$LATEST version cannot be deleted without deleting the function.")
    if ref.qualifier is not None:
        found = functions.find(ref)
        if found is None or found.qualifier != ref.qualifier:
            raise not_found(_arn(engine, ref))
        aliases = functions.family(ref.name).referencing(ref.qualifier)
        if aliases:
            raise LambdaApiError("ResourceConflictException", "Unable to delete version because "
                                 f"the following aliases reference it: [{', '.join(aliases)}]", 409)
    if not functions.remove(ref.name, ref.qualifier):
        raise not_found(_arn(engine, ref))
    return web.Response(status=204, headers={"x-amzn-RequestId": str(uuid.uuid4())})


async def _update_code(request: web.Request, engine: Engine) -> web.Response:
    ref = _path_ref(request)
    body = await _body(request, _MAX_UPLOAD, "UpdateFunctionCode")
    function = _latest(engine, ref)
    _check_revision(body, function)
    if function.config is None or not isinstance(function.config.handler, str):
        raise invalid_parameter(f"The function {ref.name} is a Python callable registered in "
                                "code: its code cannot be replaced through the API.")
    archive = await _archive(body)
    publish = member(body, "Publish", "boolean")
    if member(body, "DryRun", "boolean"):
        return _config_reply(engine, _latest(engine, ref))
    function = _update(engine, ref.name, {"code": archive})
    if publish:
        function = _publish(engine, ref.name)
    return _config_reply(engine, function)


async def _update_configuration(request: web.Request, engine: Engine) -> web.Response:
    ref = _path_ref(request)
    body = await _body(request, _MAX_CONFIG, "UpdateFunctionConfiguration")
    changes = _settings(body)
    _check_revision(body, _latest(engine, ref))
    return _config_reply(engine, _update(engine, ref.name, changes))


# -- Invoke ----------------------------------------------------------------------------------------


async def _invoke(request: web.Request, engine: Engine) -> web.Response:
    ref = _path_ref(request)
    kind = request.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
    if kind not in _INVOCATION_TYPES:
        raise validation(kind, "invocationType", "Member must satisfy enum value set: "
                         f"[{', '.join(_INVOCATION_TYPES)}]")
    functions = engine.integrations.lambdas
    if functions.find(ref) is None:
        raise not_found(_arn(engine, ref))
    text = _payload_text(await _read(request, _MAX_INVOKE, "InvokeFunction"))
    headers = {"x-amzn-RequestId": str(uuid.uuid4())}
    if kind == "DryRun":
        return web.Response(status=204, headers=headers)
    caller = Caller(engine.settings.region, engine.settings.account, engine.clock, engine.rng)
    if kind == "Event":
        _start_event(engine, functions, ref, text, caller)
        return web.Response(status=202, headers=headers)
    try:
        invocation = await functions.call(ref, text, caller)
    except StatesError as exc:
        raise _service_error(exc, engine, ref) from None
    headers = {"x-amzn-RequestId": invocation.request_id,
               "X-Amz-Executed-Version": invocation.version}
    if invocation.error is not None:
        headers["X-Amz-Function-Error"] = "Unhandled"
    if request.headers.get("X-Amz-Log-Type") == "Tail":
        headers["X-Amz-Log-Result"] = log_result(invocation)
    return web.Response(status=200, body=invocation.payload.encode("utf-8"), headers=headers,
                        content_type="application/json")


def _payload_text(raw: bytes) -> str:
    """The event as JSON text (an empty payload is ``{}``); 400 when it is not JSON."""
    if not raw.strip():
        return "{}"
    try:
        text = raw.decode("utf-8")
        json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise LambdaApiError("InvalidRequestContentException", "Could not parse request body "
                             f"into json: Could not parse payload into json: {exc}") from None
    return text


def _service_error(exc: StatesError, engine: Engine, ref: FunctionRef) -> LambdaApiError:
    if exc.error == "Lambda.RequestEntityTooLargeException":
        return LambdaApiError("RequestTooLargeException", f"Request must be smaller than "
                              f"{_MAX_INVOKE} bytes for the InvokeFunction operation", 413)
    return not_found(_arn(engine, ref))


def _start_event(
    engine: Engine, functions: LambdaFunctions, ref: FunctionRef, text: str, caller: Caller
) -> None:
    """Run an ``Event`` invocation as a task of the engine, tracked for ``drain_events``."""
    task = functions.start_event(engine, ref, text, caller)
    tasks = _EVENTS.setdefault(engine, set())
    tasks.add(task)
    task.add_done_callback(tasks.discard)
