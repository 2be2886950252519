"""Third-party integrations: entry-point loading and the ``.sync`` (run a job) contract.

Plug-ins reach a ``Registry`` two ways:

* by code: ``registry.register("echo:send", Echo())``;
* by Python entry points in the ``sfnlocal.integrations`` group. Each entry point names an object
  (or a zero-argument factory returning one) that is a mapping ``{resource key: integration}`` or an
  iterable of ``(resource key, integration)`` pairs. ``Registry.load_entry_points()`` loads them;
  ``Registry(load_plugins=True)`` or the environment variable ``SFNLOCAL_PLUGINS=1`` loads them when
  the registry is made. A broken plug-in raises ``PluginError`` naming the entry point.

A ``.sync`` service implements ``SyncService``: ``start(request)`` submits the job and returns the
API response (recorded as ``TaskSubmitted.output``), then completion is observed either by awaiting
``wait(job, request)`` or by calling ``poll(job, request)`` every ``poll_interval`` seconds of the
engine clock until it returns a ``JobResult``. ``SyncAdapter`` turns such a service into an
``Integration``: a failed job is ``States.TaskFailed`` with the job description (JSON) as the cause.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sfnlocal.asl.model import Pattern
from sfnlocal.engine.history import to_json_text
from sfnlocal.errors import SfnLocalError, StatesError

if TYPE_CHECKING:
    from sfnlocal.integrations.base import Integration, Registry, TaskRequest

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_SWITCH",
    "AwaitedJobs",
    "JobResult",
    "PluginError",
    "PolledJobs",
    "SyncAdapter",
    "SyncService",
    "load_entry_points",
    "plugins_enabled",
    "register_sync",
]

ENTRY_POINT_GROUP = "sfnlocal.integrations"
"""The entry-point group plug-ins declare their integrations in."""

ENV_SWITCH = "SFNLOCAL_PLUGINS"
"""Environment variable: ``1``/``true``/``yes`` makes every new ``Registry`` load the entry points."""


class PluginError(SfnLocalError):
    """A plug-in could not be loaded; the message names the entry point and what is wrong."""

    def __init__(self, entry_point: EntryPoint, problem: str) -> None:
        self.entry_point = entry_point
        super().__init__(
            f"Plug-in entry point '{entry_point.name} = {entry_point.value}' "
            f"(group {entry_point.group}): {problem}")


# -- the .sync contract ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobResult:
    """How a job ended.

    Attributes:
        description: the final job description: the task result on success, the failure's cause
            (as compact JSON) otherwise.
        failed: the job failed (or was aborted).
    """

    description: Any
    failed: bool = False


@runtime_checkable
class SyncService(Protocol):
    """A service whose jobs are started once and then observed until they end."""

    async def start(self, request: TaskRequest) -> Any:
        """Submit the job; return the API response (a JSON value identifying the job).

        Raises:
            StatesError: the submission failed (the task fails with this error).
        """
        ...


@runtime_checkable
class AwaitedJobs(SyncService, Protocol):
    """A ``SyncService`` whose completion is awaitable."""

    async def wait(self, job: Any, request: TaskRequest) -> JobResult:
        """Return once the job ``start`` returned has ended."""
        ...


@runtime_checkable
class PolledJobs(SyncService, Protocol):
    """A ``SyncService`` observed by polling on the engine clock.

    Attributes:
        poll_interval: seconds of engine time between two polls.
    """

    poll_interval: float

    async def poll(self, job: Any, request: TaskRequest) -> JobResult | None:
        """The job's result once it has ended, None while it runs."""
        ...


class SyncAdapter:
    """An ``Integration`` running a ``SyncService``'s jobs (``.sync``/``.sync:2`` resources).

    For a request-response resource it only starts the job and returns the API response. If the
    attempt is cancelled (the execution stopped, a timeout) and the service has an async
    ``cancel(job, request)`` method, it is called (best effort) before the cancellation goes on.
    """

    def __init__(self, service: SyncService) -> None:
        if not isinstance(service, AwaitedJobs | PolledJobs):
            raise TypeError(f"{type(service).__name__} has start() but neither wait() nor "
                            "poll() with a poll_interval")
        self.service = service

    async def invoke(self, request: TaskRequest) -> Any:
        """Start the job, record ``TaskSubmitted``, and return the final job description.

        Raises:
            StatesError: ``States.TaskFailed`` with the job description as the cause when the job
                failed, or the service's own error.
        """
        job = await self.service.start(request)
        if request.pattern is Pattern.REQUEST_RESPONSE:
            return job
        request.context.submitted(job)
        try:
            result = await self._outcome(job, request)
        except asyncio.CancelledError:
            await self._cancel(job, request)
            raise
        if result.failed:
            raise StatesError("States.TaskFailed", _cause(result.description))
        return result.description

    async def _outcome(self, job: Any, request: TaskRequest) -> JobResult:
        service = self.service
        if isinstance(service, AwaitedJobs):
            return await service.wait(job, request)
        assert isinstance(service, PolledJobs)
        clock = request.context.clock
        while True:
            result = await service.poll(job, request)
            if result is not None:
                return result
            await clock.sleep_until(clock.now() + service.poll_interval)

    async def _cancel(self, job: Any, request: TaskRequest) -> None:
        cancel = getattr(self.service, "cancel", None)
        if cancel is None:
            return
        try:
            await cancel(job, request)
        except Exception:  # best effort: the cancellation itself must go on
            return


def _cause(description: Any) -> str:
    return description if isinstance(description, str) else to_json_text(description)


def register_sync(registry: Registry, key: str, service: SyncService) -> None:
    """Serve ``<key>`` (request-response) and ``<key>.sync`` with one ``SyncService``.

    Args:
        registry: the registry to add to.
        key: ``<service>:<action>`` such as ``batch:submitJob``.
        service: the job service.
    """
    adapter = SyncAdapter(service)
    registry.register(key, adapter)
    registry.register(key + Pattern.SYNC.value, adapter)


# -- entry points ----------------------------------------------------------------------------------


def plugins_enabled() -> bool:
    """Whether ``SFNLOCAL_PLUGINS`` asks registries to load the entry points."""
    return os.environ.get(ENV_SWITCH, "").strip().lower() in ("1", "true", "yes", "on")


def load_entry_points(
    registry: Registry, group: str = ENTRY_POINT_GROUP,
    points: Iterable[EntryPoint] | None = None,
) -> list[str]:
    """Register every integration the entry points of ``group`` declare.

    Args:
        registry: the registry to add to (later plug-ins override earlier keys).
        group: the entry-point group.
        points: the entry points to load instead of the installed ones (for tests and tools).

    Returns:
        The resource keys registered, in order.

    Raises:
        PluginError: an entry point failed to import or declared something that is not a
            mapping/iterable of ``(key, integration)``.
    """
    found = entry_points(group=group) if points is None else points
    keys: list[str] = []
    for point in sorted(found, key=lambda p: p.name):
        for key, integration in _pairs(point):
            registry.register(key, integration)
            keys.append(key)
    return keys


def _pairs(point: EntryPoint) -> list[tuple[str, Integration]]:
    try:
        loaded = point.load()
    except Exception as exc:
        raise PluginError(point, f"cannot be loaded: {type(exc).__name__}: {exc}") from exc
    declared = _declared(point, loaded)
    if isinstance(declared, Mapping):
        declared = list(declared.items())
    if isinstance(declared, str | bytes) or not isinstance(declared, Iterable):
        raise PluginError(point, "expected a mapping or an iterable of (resource key, integration) "
                                 f"pairs, got {type(declared).__name__}")
    return [_pair(point, item) for item in declared]


def _declared(point: EntryPoint, loaded: Any) -> Any:
    """The object itself, or what its factory returns."""
    if isinstance(loaded, Mapping | list | tuple) or not callable(loaded):
        return loaded
    try:
        return loaded()
    except Exception as exc:
        raise PluginError(point, f"its factory raised {type(exc).__name__}: {exc}") from exc


def _pair(point: EntryPoint, item: Any) -> tuple[str, Integration]:
    if not (isinstance(item, tuple) and len(item) == 2):
        raise PluginError(point, f"expected a (resource key, integration) pair, got {item!r}")
    key, integration = item
    if not isinstance(key, str) or not key:
        raise PluginError(point, f"a resource key must be a non-empty string, got {key!r}")
    if isinstance(integration, SyncService) and not callable(getattr(integration, "invoke", None)):
        try:
            return key, SyncAdapter(integration)
        except TypeError as exc:
            raise PluginError(point, f"'{key}': {exc}") from exc
    if not callable(getattr(integration, "invoke", None)):
        raise PluginError(point, f"'{key}': {type(integration).__name__} has no invoke() method "
                                 "(and is not a SyncService)")
    return key, integration
