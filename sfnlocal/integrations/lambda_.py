"""Local Python functions served as AWS Lambda functions, for both Lambda Task forms.

Register a callable ``handler(event, context)`` (plain or ``async``) under a function name or ARN;
Task states then reach it through

- a function ARN (``arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]``): the
  payload is the effective input, the result is the function's return value (``LambdaDirect``);
- ``arn:aws:states:::lambda:invoke``: parameters ``FunctionName``, ``Payload``, ``InvocationType``,
  ``Qualifier``, ``LogType``, ``ClientContext``; the result is the Invoke response
  ``{ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode[, LogResult]}``
  (``LambdaInvoke``).

What crosses the boundary is JSON text, as with the real service: the function receives a fresh
value parsed from the payload text, and its return value is serialised the way the Python Lambda
runtime does (``bytes`` are sent as they are; values ``json`` cannot encode fail with
``Runtime.MarshalError``). An exception becomes the runtime's error payload ``{errorMessage,
errorType, requestId, stackTrace}``; the error name is ``errorType`` and the cause is that payload
as JSON text: with Python's ``", "``/``": "`` separators for a function ARN (the runtime's own
text), compact for ``lambda:invoke`` (Step Functions re-encodes it).

Where it runs (``mode``, see ``lambda_config``): in-process, ``async`` handlers run on the engine's
event loop and plain handlers in a worker thread while the clock is held still (``clock.busy()``),
so a virtual clock does not jump past a deadline while real work happens; ``inline=True`` calls them
on the loop instead (deterministic and cheaper, for small pure functions). In-process, the
function's ``timeout`` only feeds ``context.get_remaining_time_in_millis()``. Isolated functions run
in worker subprocesses (``lambda_workers``) that enforce the timeout in real time, survive crashes
and capture the handler's output for ``LogType: Tail``.

Payloads are limited as by Lambda: a request over 6 MB (6,291,456 bytes) fails with
``Lambda.RequestEntityTooLargeException``; a response over 6,291,556 bytes becomes the function
error ``Function.ResponseSizeTooLarge``.

The same ``LambdaFunctions`` serves the server's Lambda API (``sfnlocal.api.lambda_api``): it lists,
updates (``update``: a new ``FunctionConfig``, new code included) and deletes (``remove``) functions,
and invokes them for a caller that is not a Task (``call`` with a ``Caller``). Replacing or deleting
an isolated function retires its workers: invocations in flight finish on the old code.

Versions and aliases (``lambda_versions``): ``publish`` snapshots ``$LATEST`` as version 1, 2...
(immutable: its own config and workers); an alias names a version (or ``$LATEST``) and may route a
weight of the traffic to one more version (drawn from the caller's seeded ``rng``). A qualifier
(``name:3``, ``name:live``, ``Qualifier``) must name ``$LATEST``, a version, an alias or a function
registered under that qualifier: any other is ``ResourceNotFoundException``. A function registered
without a qualifier serves ``$LATEST``.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import inspect
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from sfnlocal.engine.clock import iso_millis
from sfnlocal.errors import StatesError
from sfnlocal.integrations.lambda_config import FunctionConfig, import_handler, worker_pool
from sfnlocal.integrations.lambda_versions import LATEST, Alias, Family, pick_version
from sfnlocal.integrations.lambda_worker_main import error_outcome, exception_outcome, serialise

if TYPE_CHECKING:
    from sfnlocal.integrations.base import TaskRequest
    from sfnlocal.integrations.lambda_workers import WorkerPool

logger = logging.getLogger("sfnlocal.lambda")

__all__ = [
    "Caller",
    "FunctionRef",
    "Invocation",
    "LambdaContext",
    "LambdaDirect",
    "LambdaFunction",
    "LambdaFunctions",
    "LambdaInvoke",
    "log_result",
    "parse_function_name",
]

_LATEST = LATEST
_MAX_REQUEST = 6_291_456
_MAX_RESPONSE = 6_291_556
_LOG_TAIL = 4096
_NO_TYPE_CAUSE = (
    "The cause could not be determined because Lambda did not return an error type. "
    "Returned payload: "
)


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A function as a caller names it: name, optional qualifier, and where it lives."""

    name: str
    qualifier: str | None = None
    region: str | None = None
    account: str | None = None

    def arn(self, region: str, account: str) -> str:
        """The function ARN, with the qualifier when there is one."""
        where = f"{self.region or region}:{self.account or account}"
        base = f"arn:aws:lambda:{where}:function:{self.name}"
        return f"{base}:{self.qualifier}" if self.qualifier else base


def parse_function_name(text: str) -> FunctionRef:
    """Parse a ``FunctionName``: a name, ``name:qualifier``, a partial or a full ARN."""
    parts = text.split(":")
    if text.startswith("arn:") and len(parts) >= 7 and parts[5] == "function":
        return FunctionRef(parts[6], _part(parts, 7), parts[3] or None, parts[4] or None)
    if len(parts) >= 3 and parts[1] == "function":
        return FunctionRef(parts[2], _part(parts, 3), None, parts[0] or None)
    if len(parts) == 2:
        return FunctionRef(parts[0], parts[1] or None)
    return FunctionRef(text)


def _part(parts: list[str], index: int) -> str | None:
    return parts[index] or None if len(parts) > index else None


@dataclass(frozen=True, slots=True)
class LambdaFunction:
    """A registered function.

    Attributes:
        name: the function name.
        qualifier: the version or alias it was registered under (None: serves every qualifier).
        handler: the Python callable ``handler(event, context)``.
        is_async: True when ``handler`` is a coroutine function.
        inline: run a plain handler on the event loop instead of a worker thread.
        timeout: the function's configured timeout in seconds.
        memory: the memory size in MB.
        pool: the worker pool of an isolated function (None: in-process).
        config: the declaration it was made from.
        revision: a new id at each change (the Lambda API's ``RevisionId``).
        modified: when it was last changed (engine clock; None: not yet known).
        version: the version it is (``$LATEST`` or a number: a published version).
    """

    name: str
    qualifier: str | None
    handler: Callable[..., Any] | None
    is_async: bool
    inline: bool = False
    timeout: float = 3.0
    memory: int = 128
    pool: WorkerPool | None = None
    config: FunctionConfig | None = None
    revision: str = ""
    modified: float | None = None
    version: str = _LATEST


@dataclass(frozen=True, slots=True)
class Caller:
    """Who invokes a function outside a Task state (the Lambda API): where, and with which clock.

    Attributes:
        region: the region of the function ARNs.
        account: the account of the function ARNs.
        clock: the engine's clock.
        rng: the random source of request ids.
    """

    region: str
    account: str
    clock: Any
    rng: Any


@dataclass(slots=True)
class LambdaContext:
    """The ``context`` argument of a handler (the attributes of AWS's Python runtime)."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    memory_limit_in_mb: int = 128
    deadline: float = 0.0
    clock: Any = field(default=None, repr=False)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's configured timeout (on the engine's clock)."""
        now = self.clock.now() if self.clock is not None else self.deadline
        return max(0, int((self.deadline - now) * 1000))


@dataclass(frozen=True, slots=True)
class Invocation:
    """What one invocation returned.

    Attributes:
        request_id: the invocation's request id.
        version: the executed version (``$LATEST`` or a version number).
        payload: the response payload text (the result, or the error payload the runtime wrote).
        error: the parsed error payload when the function failed (``FunctionError``), else None.
        log: the last 4 KB of the handler's output (isolated functions), for ``LogType: Tail``.
        memory: the function's memory size in MB.
    """

    request_id: str
    version: str
    payload: str
    error: dict[str, Any] | None = None
    log: str = ""
    memory: int = 128


def _task_caller(request: TaskRequest) -> Caller:
    """The ``Caller`` of a Task state's invocation: its execution's region, account, clock, rng."""
    ctx = request.context
    return Caller(ctx.region, ctx.account, ctx.clock, ctx.runtime.rng)


class LambdaFunctions:
    """The local functions, by name and qualifier."""

    def __init__(self) -> None:
        self._functions: dict[tuple[str, str | None], LambdaFunction] = {}
        self._families: dict[str, Family] = {}
        self._clock: Any = None

    def attach(self, clock: Any) -> None:
        """Use ``clock`` (the engine's) to stamp registrations; stamp the unstamped ones now."""
        if clock is self._clock:
            return
        self._clock = clock
        now = clock.now()
        for key, function in self._functions.items():
            if function.modified is None:
                self._functions[key] = dataclasses.replace(function, modified=now)

    def register(
        self, name_or_arn: str, handler: Callable[..., Any] | str, *, inline: bool = False,
        timeout: float = 3.0, **options: Any,
    ) -> LambdaFunction:
        """Serve ``handler(event, context)`` as the function ``name_or_arn``.

        Args:
            name_or_arn: a function name, ``name:qualifier``, or a (partial) function ARN. Without a
                qualifier the function serves every qualifier of that name.
            handler: a plain or ``async`` callable taking ``(event, context)``, or
                ``module.function`` (see ``FunctionConfig``).
            inline: run a plain in-process handler on the event loop (no worker thread).
            timeout: the function's timeout in seconds (enforced in isolated mode).
            **options: more ``FunctionConfig`` fields: ``code``, ``memory``, ``environment``,
                ``mode`` (``in-process`` or ``isolated``), ``runtime``, ``max_workers``.

        Raises:
            LambdaConfigError: an invalid field, or a handler that cannot be found.
        """
        return self.add(FunctionConfig(name_or_arn, handler, inline=inline, timeout=timeout,
                                       **options))

    def add(self, config: FunctionConfig, *, modified: float | None = None) -> LambdaFunction:
        """Serve the function declared by ``config`` (replacing one of the same name).

        Args:
            config: the declaration.
            modified: when it changed (the engine clock's time), reported by the Lambda API.

        Raises:
            LambdaConfigError: an invalid field, or a handler that cannot be found.
        """
        ref = parse_function_name(config.name)
        if modified is None and self._clock is not None:
            modified = self._clock.now()
        qualifier = ref.qualifier
        version = qualifier if qualifier is not None and qualifier.isdigit() else _LATEST
        function = _build(ref.name, qualifier, config, modified, version)
        old = self._functions.get((ref.name, ref.qualifier))
        if old is not None and old.pool is not None:
            old.pool.retire()
        self._functions[(ref.name, ref.qualifier)] = function
        return function

    def update(self, name: str, *, modified: float | None = None, **changes: Any) -> LambdaFunction:
        """Replace the ``$LATEST`` function ``name`` with its declaration changed by ``changes``.

        Args:
            name: the function name.
            modified: when it changed (the engine clock's time).
            **changes: ``FunctionConfig`` fields (``code``, ``handler``, ``timeout``...).

        Raises:
            KeyError: no function has that name.
            LambdaConfigError: an invalid field, or a handler that cannot be found.
        """
        current = self.latest(name)
        if current is None:
            raise KeyError(name)
        config = current.config or FunctionConfig(name, current.handler or "", inline=current.inline,
                                                  timeout=current.timeout, memory=current.memory)
        return self.add(dataclasses.replace(config, **changes), modified=modified)

    def remove(self, name: str, qualifier: str | None = None) -> bool:
        """Stop serving the function ``name`` (every qualifier, or just ``qualifier``).

        Returns:
            False when there was no such function.
        """
        keys = [key for key in self._functions
                if key[0] == name and (qualifier is None or key[1] == qualifier)]
        retired = [self._functions.pop(key) for key in keys]
        family = self._families.get(name)
        if family is not None and qualifier is None:
            retired.extend(self._families.pop(name).versions.values())
        elif family is not None and qualifier is not None and qualifier.isdigit():
            version = family.versions.pop(int(qualifier), None)
            retired.extend([version] if version is not None else [])
        for function in retired:
            if function.pool is not None:
                function.pool.retire()
        return bool(retired)

    def latest(self, name: str) -> LambdaFunction | None:
        """The function ``name`` as ``$LATEST`` serves it (else one of its qualifiers), or None."""
        found = self._functions.get((name, None))
        if found is None:
            found = next((f for (n, _), f in self._functions.items() if n == name), None)
        return found

    def names(self) -> list[str]:
        """The names of the functions served, sorted."""
        return sorted({name for name, _ in self._functions})

    async def aclose(self) -> None:
        """Stop the worker processes of isolated functions."""
        versions = [f for family in self._families.values() for f in family.versions.values()]
        for function in [*self._functions.values(), *versions]:
            if function.pool is not None:
                await function.pool.aclose()

    def find(self, ref: FunctionRef, rng: Any = None) -> LambdaFunction | None:
        """The function serving ``ref`` (None: no function, or a qualifier naming nothing).

        Args:
            ref: the function and qualifier: none or ``$LATEST``, a version, an alias, or the
                qualifier a function was registered under.
            rng: the random source an alias's routing weights draw from (None: its version).
        """
        name, qualifier = ref.name, ref.qualifier
        found = self._functions.get((name, qualifier))
        if found is not None or qualifier is None:
            return found
        if qualifier == _LATEST:
            return self._functions.get((name, None))
        family = self._families.get(name)
        if family is None:
            return None
        if qualifier.isdigit():
            return family.versions.get(int(qualifier))
        alias = family.aliases.get(qualifier)
        if alias is None:
            return None
        return self.find(FunctionRef(name, pick_version(alias, rng)))

    # -- versions, aliases, tags -------------------------------------------------------------------

    def family(self, name: str) -> Family:
        """The versions, aliases and tags of the function ``name`` (made empty the first time)."""
        return self._families.setdefault(name, Family())

    def publish(
        self, name: str, *, description: str | None = None, modified: float | None = None
    ) -> LambdaFunction:
        """Publish ``$LATEST`` as the next version (the last one when nothing changed since).

        Raises:
            KeyError: no function ``name`` serves ``$LATEST``.
        """
        latest = self._functions.get((name, None))
        if latest is None or latest.config is None:
            raise KeyError(name)
        family = self.family(name)
        last = family.versions.get(family.last)
        if last is not None and family.sources.get(family.last) == latest.config:
            return last
        family.last += 1
        config = latest.config
        if description is not None:
            config = dataclasses.replace(config, description=description)
        version = _build(name, str(family.last), config, modified, str(family.last))
        family.versions[family.last] = version
        family.sources[family.last] = latest.config
        return version

    def versions(self, name: str) -> list[LambdaFunction]:
        """``$LATEST`` then the published versions of ``name``, oldest first (none: [])."""
        latest = self._functions.get((name, None))
        family = self._families.get(name)
        published = [family.versions[n] for n in sorted(family.versions)] if family else []
        return ([latest] if latest is not None else []) + published

    def set_alias(self, name: str, alias: Alias) -> None:
        """Create or replace the alias ``alias.name`` of ``name``."""
        self.family(name).aliases[alias.name] = alias

    def aliases(self, name: str) -> list[Alias]:
        """The aliases of ``name``, by name."""
        family = self._families.get(name)
        return [family.aliases[a] for a in sorted(family.aliases)] if family else []

    async def invoke(self, ref: FunctionRef, event_text: str, request: TaskRequest) -> Invocation:
        """Invoke the function ``ref`` with the payload ``event_text`` for a Task state.

        Raises:
            StatesError: ``Lambda.ResourceNotFoundException`` when no function serves ``ref``,
                ``Lambda.RequestEntityTooLargeException`` for a payload over 6 MB.
        """
        return await self.call(ref, event_text, _task_caller(request))

    def start_event(self, engine: Any, ref: FunctionRef, event_text: str,
                    caller: Caller) -> asyncio.Task[Any]:
        """Run an ``Event`` invocation as a task of ``engine`` (``Engine.spawn``).

        The function's failure is logged, never raised: it must not fail the engine's task group.
        """

        async def run() -> None:
            try:
                invocation = await self.call(ref, event_text, caller)
            except Exception as exc:
                logger.warning("Event invocation of %s failed: %s", ref.name, exc)
                return
            if invocation.error is not None:
                logger.warning("Event invocation %s of %s failed: %s", invocation.request_id,
                               ref.name, invocation.payload)

        task: asyncio.Task[Any] = engine.spawn(run(), f"sfnlocal-lambda-event:{ref.name}")
        return task

    async def call(self, ref: FunctionRef, event_text: str, caller: Caller) -> Invocation:
        """Invoke the function ``ref`` with the payload ``event_text`` (JSON text) for ``caller``.

        Raises:
            StatesError: ``Lambda.ResourceNotFoundException`` when no function serves ``ref``,
                ``Lambda.RequestEntityTooLargeException`` for a payload over 6 MB.
        """
        request_id = _request_id(caller.rng)
        self.attach(caller.clock)
        function = self.find(ref, caller.rng)
        if function is None:
            raise _not_found(ref.arn(caller.region, caller.account), request_id)
        if len(event_text.encode("utf-8")) > _MAX_REQUEST:
            raise _too_large(request_id)
        version = function.version
        context = _lambda_context(function, ref, version, request_id, caller)
        if function.pool is not None:
            payload, error, log = await _run_isolated(function.pool, event_text, context, caller)
        else:
            payload, error = await _run(function, json.loads(event_text), context, caller.clock)
            log = ""
        if len(payload.encode("utf-8")) > _MAX_RESPONSE:
            payload, error = error_outcome(
                f"Response payload size ({len(payload.encode('utf-8'))} bytes) exceeded maximum "
                f"allowed payload size ({_MAX_RESPONSE} bytes).", "Function.ResponseSizeTooLarge",
                request_id, [])
        return Invocation(request_id, version, payload, error, log, function.memory)


def _request_id(rng: Any) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _build(
    name: str, qualifier: str | None, config: FunctionConfig, modified: float | None, version: str
) -> LambdaFunction:
    """A function serving ``config`` (importing its handler, or making its worker pool)."""
    if config.isolated:
        handler, pool = None, worker_pool(config, name)
    else:
        handler, pool = import_handler(config), None
    return LambdaFunction(name, qualifier, handler, inspect.iscoroutinefunction(handler),
                          config.inline, float(config.timeout), config.memory, pool, config,
                          str(uuid.uuid4()), modified, version)


def _not_found(arn: str, request_id: str) -> StatesError:
    return StatesError(
        "Lambda.ResourceNotFoundException",
        f"Function not found: {arn} (Service: AWSLambda; Status Code: 404; Error Code: "
        f"ResourceNotFoundException; Request ID: {request_id}; Proxy: null)",
    )


def _too_large(request_id: str) -> StatesError:
    return StatesError(
        "Lambda.RequestEntityTooLargeException",
        f"Request must be smaller than {_MAX_REQUEST} bytes for the InvokeFunction operation "
        "(Service: AWSLambda; Status Code: 413; Error Code: RequestEntityTooLargeException; "
        f"Request ID: {request_id}; Proxy: null)",
    )


def _lambda_context(
    function: LambdaFunction, ref: FunctionRef, version: str, request_id: str, caller: Caller
) -> LambdaContext:
    now = caller.clock.now()
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y/%m/%d")
    return LambdaContext(
        function_name=function.name, function_version=version,
        invoked_function_arn=ref.arn(caller.region, caller.account), aws_request_id=request_id,
        log_group_name=f"/aws/lambda/{function.name}",
        log_stream_name=f"{stamp}/[{version}]{request_id.replace('-', '')}",
        memory_limit_in_mb=function.memory, deadline=now + function.timeout, clock=caller.clock,
    )


# -- running a handler ----------------------------------------------------------------------------

_Outcome = tuple[str, dict[str, Any] | None]


async def _run_isolated(
    pool: WorkerPool, event_text: str, context: LambdaContext, caller: Caller
) -> tuple[str, dict[str, Any] | None, str]:
    fields = {name: getattr(context, name) for name in (
        "function_name", "function_version", "invoked_function_arn", "aws_request_id",
        "log_group_name", "log_stream_name", "memory_limit_in_mb")}
    clock = caller.clock
    started = iso_millis(clock.now())
    async with clock.busy():
        result = await pool.invoke(event_text, fields, region=caller.region, started=started)
    return result.payload, result.error, result.log


async def _run(
    function: LambdaFunction, event: Any, context: LambdaContext, clock: Any
) -> _Outcome:
    assert function.handler is not None
    if function.is_async:
        return await _call_async(function.handler, event, context)
    if function.inline:
        return _call_sync(function.handler, event, context)
    async with clock.busy():
        return await asyncio.to_thread(_call_sync, function.handler, event, context)


def _call_sync(handler: Callable[..., Any], event: Any, context: LambdaContext) -> _Outcome:
    # The traceback of an exception caught here starts at this frame: [1:] is the user's code.
    try:
        result = handler(event, context)
    except Exception as exc:
        return exception_outcome(exc, context.aws_request_id)
    return serialise(result, context.aws_request_id)


async def _call_async(handler: Callable[..., Any], event: Any, context: LambdaContext) -> _Outcome:
    try:
        result = await handler(event, context)
    except Exception as exc:
        return exception_outcome(exc, context.aws_request_id)
    return serialise(result, context.aws_request_id)


# -- the two Task forms ---------------------------------------------------------------------------


def _parse_payload(text: str) -> Any:
    """A response payload as Step Functions reads it: JSON when it parses, else the raw text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _function_error(invocation: Invocation, cause_text: str) -> StatesError:
    error = invocation.error or {}
    error_type = error.get("errorType")
    if not isinstance(error_type, str) or not error_type:
        return StatesError("Lambda.Unknown", _NO_TYPE_CAUSE + invocation.payload)
    return StatesError(error_type, cause_text)


class LambdaDirect:
    """The function-ARN Task form: payload = effective input, result = the return value."""

    def __init__(self, functions: LambdaFunctions) -> None:
        self.functions = functions

    async def invoke(self, request: TaskRequest) -> Any:
        """Invoke the function named by the resource ARN.

        Raises:
            StatesError: the function's ``errorType`` with the runtime's error payload as cause, or
                ``Lambda.ResourceNotFoundException``.
        """
        resource = request.resource
        ref = parse_function_name(resource.arn)
        invocation = await self.functions.invoke(ref, _event_text(request.parameters), request)
        if invocation.error is not None:
            raise _function_error(invocation, invocation.payload)
        return _parse_payload(invocation.payload)


def _event_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class LambdaInvoke:
    """``arn:aws:states:::lambda:invoke``: Lambda's Invoke API, in Step Functions' result shape."""

    def __init__(self, functions: LambdaFunctions) -> None:
        self.functions = functions

    async def invoke(self, request: TaskRequest) -> Any:
        """Call Invoke with the task's parameters and return the Invoke response.

        Raises:
            StatesError: the function's ``errorType`` with its compact error payload as cause,
                ``Lambda.Unknown``, ``Lambda.ResourceNotFoundException`` or
                ``Lambda.InvalidParameterValueException``.
        """
        params = request.parameters if isinstance(request.parameters, dict) else {}
        ref = _function_ref(params)
        invocation_type = params.get("InvocationType") or "RequestResponse"
        if invocation_type == "DryRun":
            return _response(request, _request_id(request.context.runtime.rng), _LATEST, "", 204)
        text = _payload_text(params.get("Payload"))
        if invocation_type == "Event" and request.context.engine is not None:
            return await self._event(request, ref, text)
        invocation = await self.functions.invoke(ref, text, request)
        if invocation_type == "Event":
            return _response(request, invocation.request_id, invocation.version, "", 202)
        if invocation.error is not None:
            raise _function_error(invocation, _compact(invocation.error))
        tail = invocation if params.get("LogType") == "Tail" else None
        return _response(request, invocation.request_id, invocation.version, invocation.payload,
                         200, tail)


    async def _event(self, request: TaskRequest, ref: FunctionRef, text: str) -> Any:
        """``InvocationType: Event``: 202 at once; the function runs as a task of the engine."""
        found = self.functions.find(ref)
        if found is None or len(text.encode("utf-8")) > _MAX_REQUEST:
            await self.functions.invoke(ref, text, request)  # raises AWS's error for these
        self.functions.start_event(request.context.engine, ref, text, _task_caller(request))
        request_id = _request_id(request.context.runtime.rng)
        version = found.version if found is not None else _LATEST
        return _response(request, request_id, version, "", 202)


def _function_ref(params: dict[str, Any]) -> FunctionRef:
    name = params.get("FunctionName")
    if not isinstance(name, str) or not name:
        raise StatesError(
            "Lambda.InvalidParameterValueException",
            "The parameter 'FunctionName' must be a non-empty string. (Service: AWSLambda; Status "
            "Code: 400; Error Code: InvalidParameterValueException; Proxy: null)",
        )
    ref = parse_function_name(name)
    qualifier = params.get("Qualifier")
    if isinstance(qualifier, str) and qualifier:
        ref = FunctionRef(ref.name, qualifier, ref.region, ref.account)
    return ref


def _payload_text(payload: Any) -> str:
    """``Payload`` as sent: absent/null → ``{}``; JSON text as is; other values encoded."""
    if payload is None:
        return "{}"
    if isinstance(payload, str):
        try:
            json.loads(payload)
        except ValueError:
            return _event_text(payload)
        return payload
    return _event_text(payload)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _response(
    request: TaskRequest, request_id: str, version: str, payload: str, status: int,
    tail: Invocation | None = None,
) -> dict[str, Any]:
    headers = _headers(request, request_id, version, payload, tail)
    response: dict[str, Any] = {
        "ExecutedVersion": version,
        "Payload": _parse_payload(payload) if payload else "",
        "SdkHttpMetadata": {
            "AllHttpHeaders": {key: [value] for key, value in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": status,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": status,
    }
    if tail is not None:
        response["LogResult"] = headers["X-Amz-Log-Result"]
    return response


def _headers(
    request: TaskRequest, request_id: str, version: str, payload: str, tail: Invocation | None
) -> dict[str, str]:
    ctx = request.context
    headers = {"X-Amz-Executed-Version": version}
    if tail is not None:
        headers["X-Amz-Log-Result"] = log_result(tail)
    headers.update({
        "x-amzn-Remapped-Content-Length": "0",
        "Connection": "keep-alive",
        "x-amzn-RequestId": request_id,
        "Content-Length": str(len(payload.encode("utf-8"))),
        "Date": formatdate(ctx.clock.now(), usegmt=True),
        "X-Amzn-Trace-Id": _trace_id(ctx.clock.now(), ctx.runtime.rng.getrandbits(96)),
        "Content-Type": "application/json",
    })
    return headers


def _trace_id(now: float, bits: int) -> str:
    return f"root=1-{int(now):08x}-{bits:024x};sampled=0"


def log_result(invocation: Invocation) -> str:
    """``LogResult``: the last 4 KB of the invocation's log (the handler's output in between)."""
    request_id = invocation.request_id
    lines = (f"START RequestId: {request_id} Version: {invocation.version}\n{invocation.log}"
             f"END RequestId: {request_id}\n"
             f"REPORT RequestId: {request_id}\tDuration: 1.00 ms\tBilled Duration: 1 ms\t"
             f"Memory Size: {invocation.memory} MB\tMax Memory Used: 32 MB\t\n")
    return base64.b64encode(lines.encode("utf-8")[-_LOG_TAIL:]).decode("ascii")
