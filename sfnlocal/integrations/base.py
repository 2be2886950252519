"""The integration seam: how a Task state reaches the service behind its ``Resource``.

An integration is an object with one async method, ``invoke(request)``: it receives everything it
needs in one ``TaskRequest`` (the parsed resource, the effective parameters, the pattern, the task
token, the timeouts and a ``TaskContext`` with the engine's services) and returns the task's JSON
result or raises ``StatesError`` with AWS's error name and cause. The Task state owns everything
around the call: history events, retries, timeouts and heartbeats, size checks, Catch.

A ``Registry`` maps resources to integrations. ``resolve`` tries, in order:

1. the exact ARN (``arn:aws:states:::dynamodb:putItem``, a function ARN...), so a test can mock one
   resource without touching the rest;
2. ``<service>:<action><suffix>`` for optimized and SDK integrations (``lambda:invoke``,
   ``sqs:sendMessage.waitForTaskToken``, ``aws-sdk:s3:getObject``): each pattern is a separate key,
   because waiting for a token or a job is part of what the integration does;
3. the resource kind for ARNs that name a thing (``lambda`` for function ARNs, ``activity``).

A fresh registry serves local Python functions as Lambda functions (``register_lambda``) through
both Task forms (function ARN and ``arn:aws:states:::lambda:invoke``), nested executions
(``states:startExecution[.sync|.sync:2]``, ``aws-sdk:sfn:*``) and activities.

The Task state looks integrations up with ``resolve_task``: a ``.waitForTaskToken`` resource with no
integration of its own is served by its request-response integration wrapped in ``CallbackWait``
(send, record ``TaskSubmitted``, wait for the token), so every integration has that pattern.

Integrations that change the parameters AWS records (optimized integrations silently drop fields
they do not support) also implement ``PreparesParameters``; the Task state applies it before
recording ``TaskScheduled``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sfnlocal.asl.model import Pattern, Resource
from sfnlocal.engine.tokens import TokenTable
from sfnlocal.errors import EvaluationError
from sfnlocal.integrations.http import HttpInvoke
from sfnlocal.integrations.lambda_ import LambdaDirect, LambdaFunctions, LambdaInvoke
from sfnlocal.integrations.plugins import ENTRY_POINT_GROUP, load_entry_points, plugins_enabled

if TYPE_CHECKING:
    from sfnlocal.engine.clock import Clock
    from sfnlocal.engine.runtime import ExecutionRuntime
    from sfnlocal.integrations.activities import ActivityService
    from sfnlocal.integrations.mock import MockConfig
    from sfnlocal.integrations.sqs_queues import SqsService

__all__ = [
    "AttemptHooks",
    "Integration",
    "PreparesParameters",
    "RandomTokens",
    "Registry",
    "TaskContext",
    "TaskRequest",
    "TokenIssuer",
    "UnknownResource",
]


class AttemptHooks(Protocol):
    """What an integration may tell the Task state while an attempt runs."""

    def started(self, details: dict[str, Any] | None = None) -> None:
        """The work has started (records ``*Started``; arms TimeoutSeconds/HeartbeatSeconds)."""
        ...

    def submitted(self, output: Any) -> None:
        """A job or callback request was accepted: record ``TaskSubmitted`` with the API output."""
        ...

    def heartbeat(self) -> None:
        """The worker is alive: restart the HeartbeatSeconds clock (no history event)."""
        ...


@dataclass(frozen=True, slots=True)
class TaskContext:
    """The engine's services as one attempt of a Task state sees them.

    Attributes:
        runtime: the execution's runtime (identity, clock, rng, engine, settings).
        state_name: the Task state's name.
        hooks: the attempt's event hooks (see ``AttemptHooks``).
    """

    runtime: ExecutionRuntime
    state_name: str
    hooks: AttemptHooks

    @property
    def clock(self) -> Clock:
        """The engine's clock (virtual in tests)."""
        return self.runtime.clock

    @property
    def engine(self) -> Any:
        """The ``Engine`` running the execution (None when a runtime is used on its own)."""
        return self.runtime.engine

    @property
    def region(self) -> str:
        """The execution's region."""
        return self.runtime.identity.region

    @property
    def account(self) -> str:
        """The execution's account id."""
        return self.runtime.identity.account

    @property
    def execution_arn(self) -> str:
        """The execution's ARN."""
        return self.runtime.identity.execution_arn

    def started(self, details: dict[str, Any] | None = None) -> None:
        """Shortcut for ``hooks.started``."""
        self.hooks.started(details)

    def submitted(self, output: Any) -> None:
        """Shortcut for ``hooks.submitted``."""
        self.hooks.submitted(output)

    def heartbeat(self) -> None:
        """Shortcut for ``hooks.heartbeat``."""
        self.hooks.heartbeat()


@dataclass(frozen=True, slots=True)
class TaskRequest:
    """One attempt of a Task state, as handed to its integration.

    Attributes:
        resource: the parsed ``Resource``.
        parameters: the effective parameters (JSONPath ``Parameters`` output, or the effective input
            when there is none); for a Lambda function ARN this is the function's payload.
        pattern: the integration pattern (``resource.pattern``).
        task_token: the attempt's task token (``.waitForTaskToken``, ``.sync``, activities) or None.
        timeout_seconds: the effective ``TimeoutSeconds``, None when not set.
        heartbeat_seconds: the effective ``HeartbeatSeconds``, None when not set.
        credentials: the evaluated ``Credentials`` (``{"RoleArn": ...}``), None when not set.
        context: the engine's services and the attempt's hooks.
    """

    resource: Resource
    parameters: Any
    pattern: Pattern
    context: TaskContext
    task_token: str | None = None
    timeout_seconds: int | None = None
    heartbeat_seconds: int | None = None
    credentials: Mapping[str, Any] | None = None


class Integration(Protocol):
    """A service behind Task resources."""

    async def invoke(self, request: TaskRequest) -> Any:
        """Do the work of one attempt and return the task result (a JSON value).

        Raises:
            StatesError: the task failed, with AWS's error name and cause.
        """
        ...


@runtime_checkable
class PreparesParameters(Protocol):
    """Optional: an integration that rewrites its parameters before AWS records them."""

    def prepare(self, parameters: Any) -> Any:
        """The parameters as recorded in ``TaskScheduled`` and passed to ``invoke``."""
        ...


class TokenIssuer(Protocol):
    """Makes task tokens (``$$.Task.Token``) for attempts that wait for a callback."""

    def issue(self, runtime: ExecutionRuntime, state_name: str) -> str:
        """A new token, unique within the engine."""
        ...


class RandomTokens:
    """Opaque tokens drawn from the execution's (seedable) random source."""

    def issue(self, runtime: ExecutionRuntime, state_name: str) -> str:
        """A base64 token of 64 random bytes (AWS's tokens are long opaque strings too)."""
        raw = runtime.rng.getrandbits(512).to_bytes(64, "big")
        return "AQ" + base64.b64encode(raw).decode("ascii")


class UnknownResource(EvaluationError):
    """No integration serves a resource; the Task state reports it as ``States.Runtime``."""

    def __init__(self, resource: Resource) -> None:
        super().__init__(
            "States.Runtime",
            f"The resource '{resource.arn}' has no local integration. "
            "Register one with Registry.register().",
        )
        self.resource = resource


@dataclass(slots=True)
class Registry:
    """Integrations by resource (see the module docstring for the lookup order).

    Attributes:
        lambdas: the local Lambda functions served by both Lambda Task forms.
        tokens: the task-token issuer.
        callbacks: the open task tokens (SendTaskSuccess/Failure/Heartbeat answer them).
        activities: the activities and their queued tasks (made when the registry is made).
        load_plugins: load the ``sfnlocal.integrations`` entry points when made (default: the
            ``SFNLOCAL_PLUGINS`` environment variable; see ``sfnlocal.integrations.plugins``).
        mocks: the mock configuration of ``<arn>#<TestCase>`` starts (``sfnlocal.integrations.mock``).
        sqs: the ``SqsService`` registered with ``register_sqs`` (None until one is).
    """

    lambdas: LambdaFunctions = field(default_factory=LambdaFunctions)
    tokens: TokenIssuer = field(default_factory=RandomTokens)
    callbacks: TokenTable = field(default_factory=TokenTable)
    activities: ActivityService = field(default_factory=lambda: _activity_service(), repr=False)
    load_plugins: bool = field(default_factory=plugins_enabled)
    mocks: MockConfig | None = None
    sqs: SqsService | None = field(default=None, repr=False)
    _by_key: dict[str, Integration] = field(default_factory=dict, init=False, repr=False)
    _sends_only: set[str] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key.setdefault("lambda", LambdaDirect(self.lambdas))
        self._by_key.setdefault("lambda:invoke", LambdaInvoke(self.lambdas))
        self._by_key.setdefault("http:invoke", HttpInvoke())
        self._register_step_functions()
        if self.load_plugins:
            self.load_entry_points()

    def _register_step_functions(self) -> None:
        """Nested executions, the ``aws-sdk:sfn`` actions and activities (imported late: cycles)."""
        from sfnlocal.integrations.activities import ActivityTask
        from sfnlocal.integrations.states_executions import (
            SDK_ACTIONS,
            SdkStepFunctions,
            StartExecution,
        )

        start = StartExecution(self.callbacks)
        for suffix in ("", ".sync", ".sync:2"):
            self._by_key.setdefault("states:startExecution" + suffix, start)
        sdk = SdkStepFunctions()
        for action in SDK_ACTIONS:
            self._by_key.setdefault(f"aws-sdk:sfn:{action}", sdk)
        self._by_key.setdefault("activity", ActivityTask(self.activities, self.callbacks))

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register the integrations that installed plug-ins declare; return their keys.

        Raises:
            PluginError: a plug-in is broken (the message names its entry point).
        """
        return load_entry_points(self, group)

    def register(self, key: str, integration: Integration) -> None:
        """Serve ``key`` with ``integration``.

        Args:
            key: a full resource ARN, ``<service>:<action>[.sync|.sync:2|.waitForTaskToken]``
                (``sqs:sendMessage``, ``aws-sdk:s3:getObject``), or ``lambda``/``activity``.
            integration: the object whose ``invoke`` runs the task.
        """
        self._by_key[key] = integration

    def register_lambda(
        self, name_or_arn: str, handler: Callable[..., Any] | str, *, inline: bool = False,
        timeout: float = 3.0, **options: Any,
    ) -> None:
        """Serve ``handler(event, context)`` (a callable or ``module.function``) as a Lambda function.

        See ``LambdaFunctions.register`` for the arguments (``code``, ``memory``, ``environment``,
        ``mode="isolated"``... in ``options``).
        """
        self.lambdas.register(name_or_arn, handler, inline=inline, timeout=timeout, **options)

    def register_sqs(self, service: SqsService) -> None:
        """Serve ``sqs:sendMessage[.waitForTaskToken]`` and ``aws-sdk:sqs:*`` from ``service``."""
        from sfnlocal.integrations.sqs import SqsSendMessage

        self.sqs = service
        integration = SqsSendMessage(service)
        self._by_key["sqs:sendMessage"] = integration
        self._by_key["sqs:sendMessage.waitForTaskToken"] = integration
        self._sends_only.add("sqs:sendMessage.waitForTaskToken")  # CallbackWait does the waiting
        from sfnlocal.integrations.sdk_sqs import SDK_SQS_ACTIONS, SdkSqs

        sdk = SdkSqs(service)
        for action in SDK_SQS_ACTIONS:
            self._by_key[f"aws-sdk:sqs:{action}"] = sdk

    def for_execution(self, machine_name: str, machine: Any, test_case: str | None = None
                      ) -> Registry:
        """The integrations one execution uses: this registry, or a view mocking a test case.

        Raises:
            ServiceError: ``ValidationException`` for a test case the mock configuration lacks.
        """
        if test_case is None and (self.mocks is None or self.mocks.default is None):
            return self
        from sfnlocal.integrations.mock import mocked_registry

        return mocked_registry(self, machine_name, machine, test_case)

    def resolve(self, resource: Resource) -> Integration:
        """The integration that serves ``resource``.

        Raises:
            UnknownResource: nothing is registered for it.
        """
        by_key = self._by_key
        for key in _keys(resource):
            integration = by_key.get(key)
            if integration is not None:
                return integration
        raise UnknownResource(resource)

    def resolve_task(self, resource: Resource) -> Integration:
        """The integration a Task state calls for ``resource`` (``resolve`` plus callbacks).

        A ``.waitForTaskToken`` resource served by an integration of its own (registered under its
        exact ARN or ``<service>:<action>.waitForTaskToken``) gets it as is: that integration waits
        for the token itself. Otherwise the request-response integration of the same action is
        wrapped in ``CallbackWait``. An activity ARN must name an existing activity.

        Raises:
            UnknownResource: nothing serves the resource.
            EvaluationError: ``States.Runtime`` for an activity that does not exist.
        """
        if resource.kind == "activity" and resource.arn not in self.activities \
                and resource.arn not in self._by_key:
            from sfnlocal.integrations.activities import missing_activity

            raise missing_activity(resource.arn)
        if resource.pattern is not Pattern.WAIT_FOR_TASK_TOKEN:
            return self.resolve(resource)
        from sfnlocal.integrations.callbacks import CallbackWait

        for key in _keys(resource):
            integration = self._by_key.get(key)
            if integration is not None:
                if key in self._sends_only:
                    return CallbackWait(integration, self.callbacks)
                return integration
        base = self._by_key.get(f"{resource.service}:{resource.action}")
        if base is None:
            raise UnknownResource(resource)
        return CallbackWait(base, self.callbacks)


def _activity_service() -> ActivityService:
    from sfnlocal.integrations.activities import ActivityService

    return ActivityService()


def _keys(resource: Resource) -> tuple[str, ...]:
    if resource.kind in ("lambda", "activity"):
        return resource.arn, resource.kind
    return resource.arn, f"{resource.service}:{resource.history_resource}"
