"""The task-token table and the Engine's callback API (SendTask*, the activity actions).

The table holds the callbacks waiting for SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat.

A Task attempt that waits for a callback (``.waitForTaskToken``, an activity, a ``.sync`` task
answering its own token) opens its token here and awaits the returned ``Waiter``. The first outcome
wins, exactly once:

- ``succeed``/``fail`` resolve the waiter unless it has already been resolved or its task is being
  cancelled (a TimeoutSeconds/HeartbeatSeconds timer fired, the execution is being stopped): such a
  late answer gets ``TaskTimedOut`` and changes nothing;
- when the attempt ends for any reason (success, failure, timeout, retry, stop) its token is closed
  and every later call on it gets ``TaskTimedOut``.

AWS's errors (checklist §10.7): an unknown or malformed token is ``InvalidToken`` (``Invalid Token:
'Invalid token'``); the token of a closed task is ``TaskTimedOut`` (``The task token has either expired
or the task associated with the token has already been closed.``); the token of a task whose
execution the engine has forgotten (``forget_execution``) is ``TaskDoesNotExist``. Output must be
valid JSON of at most 262,144 bytes (``InvalidOutput``).
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sfnlocal.engine.validation import check_arn, check_name
from sfnlocal.errors import ServiceError, StatesError

if TYPE_CHECKING:
    from sfnlocal.engine.clock import Clock
    from sfnlocal.engine.tags import TagStore
    from sfnlocal.integrations.activities import ActivityRecord
    from sfnlocal.integrations.base import Registry

__all__ = [
    "CLOSED_MESSAGE",
    "GONE_MESSAGE",
    "INVALID_TOKEN_MESSAGE",
    "MAX_CAUSE_LENGTH",
    "MAX_ERROR_LENGTH",
    "MAX_OUTPUT_BYTES",
    "MAX_TOKEN_LENGTH",
    "CallbackApi",
    "TokenTable",
    "Waiter",
]

MAX_TOKEN_LENGTH = 2048
MAX_OUTPUT_BYTES = 262_144
MAX_ERROR_LENGTH = 256
MAX_CAUSE_LENGTH = 32_768
INVALID_TOKEN_MESSAGE = "Invalid Token: 'Invalid token'"
CLOSED_MESSAGE = ("The task token has either expired or the task associated with the token has "
                  "already been closed.")
GONE_MESSAGE = "Task Does Not Exist: the execution of this task token no longer exists."
_CLOSED_MEMORY = 200_000


@dataclass(slots=True, eq=False)
class Waiter:
    """One open token: the future its attempt awaits and how to tell it about heartbeats.

    Attributes:
        token: the task token.
        execution_arn: the execution the task belongs to.
        future: resolved with the task result, or failed with ``StatesError``.
        on_heartbeat: restarts the attempt's heartbeat clock.
        task: the asyncio task of the attempt (a cancelled task takes no more answers).
    """

    token: str
    execution_arn: str
    future: asyncio.Future[Any]
    on_heartbeat: Callable[[], None] | None = None
    task: asyncio.Task[Any] | None = field(default=None)

    @property
    def open(self) -> bool:
        """True while an answer can still resolve the task."""
        if self.future.done():
            return False
        return self.task is None or (self.task.done() is False and self.task.cancelling() == 0)

    async def wait(self) -> Any:
        """The outcome: the output sent by SendTaskSuccess, or raise the SendTaskFailure error.

        Raises:
            StatesError: the worker called SendTaskFailure.
        """
        return await self.future


class TokenTable:
    """The engine's open and recently closed task tokens."""

    def __init__(self, closed_memory: int = _CLOSED_MEMORY) -> None:
        self._open: dict[str, Waiter] = {}
        self._closed: OrderedDict[str, str] = OrderedDict()
        self._gone: set[str] = set()
        self._closed_memory = closed_memory

    def __len__(self) -> int:
        return len(self._open)

    def __contains__(self, token: object) -> bool:
        return token in self._open

    # -- the waiting side ------------------------------------------------------------------------

    def open(
        self, token: str, execution_arn: str, on_heartbeat: Callable[[], None] | None = None
    ) -> Waiter:
        """Start accepting answers for ``token`` (from the attempt's own task).

        Returns:
            The waiter to await once the request has been sent.
        """
        loop = asyncio.get_running_loop()
        waiter = Waiter(token, execution_arn, loop.create_future(), on_heartbeat,
                        asyncio.current_task())
        self._open[token] = waiter
        return waiter

    def close(self, token: str | None) -> None:
        """Stop accepting answers for ``token`` (idempotent); later answers get ``TaskTimedOut``."""
        if token is None:
            return
        waiter = self._open.pop(token, None)
        if waiter is None:
            return
        if not waiter.future.done():
            waiter.future.cancel()
        elif not waiter.future.cancelled():
            waiter.future.exception()  # retrieved: an unawaited failure is not an error to log
        self._closed[token] = waiter.execution_arn
        while len(self._closed) > self._closed_memory:
            self._closed.popitem(last=False)

    def forget_execution(self, execution_arn: str) -> None:
        """The execution no longer exists: its closed tokens answer ``TaskDoesNotExist``."""
        for token, arn in list(self._closed.items()):
            if arn == execution_arn:
                del self._closed[token]
                self._gone.add(token)

    # -- the worker side -------------------------------------------------------------------------

    def succeed(self, token: str, output: Any) -> None:
        """SendTaskSuccess: ``output`` is JSON text (or a JSON-compatible value).

        Raises:
            ServiceError: ``InvalidToken``, ``TaskTimedOut``, ``TaskDoesNotExist``,
                ``InvalidOutput``.
        """
        _check_token(token)
        waiter = self._live(token)  # AWS checks the token first (conformance: InvalidToken)
        waiter.future.set_result(_parse_output(output))

    def fail(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        """SendTaskFailure: the task fails with ``error``/``cause`` (None ones are omitted).

        Raises:
            ServiceError: ``InvalidToken``, ``TaskTimedOut``, ``TaskDoesNotExist``,
                ``ValidationException`` (error or cause too long).
        """
        _check_token(token)
        _check_length(error, "error", MAX_ERROR_LENGTH)
        _check_length(cause, "cause", MAX_CAUSE_LENGTH)
        waiter = self._live(token)
        waiter.future.set_exception(StatesError(error, cause))

    def heartbeat(self, token: str) -> None:
        """SendTaskHeartbeat: restart the task's heartbeat clock (no history event).

        Raises:
            ServiceError: ``InvalidToken``, ``TaskTimedOut``, ``TaskDoesNotExist``.
        """
        _check_token(token)
        waiter = self._live(token)
        if waiter.on_heartbeat is not None:
            waiter.on_heartbeat()

    def _live(self, token: str) -> Waiter:
        waiter = self._open.get(token)
        if waiter is not None:
            if waiter.open:
                return waiter
            raise ServiceError("TaskTimedOut", CLOSED_MESSAGE)
        if token in self._closed:
            raise ServiceError("TaskTimedOut", CLOSED_MESSAGE)
        if token in self._gone:
            raise ServiceError("TaskDoesNotExist", GONE_MESSAGE)
        raise ServiceError("InvalidToken", INVALID_TOKEN_MESSAGE)


def _check_token(token: object) -> None:
    if not isinstance(token, str) or not 1 <= len(token) <= MAX_TOKEN_LENGTH:
        raise ServiceError("InvalidToken", INVALID_TOKEN_MESSAGE)


def _check_length(value: str | None, member: str, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {limit}",
        )


def _parse_output(output: Any) -> Any:
    """The task result from SendTaskSuccess's ``output`` (JSON text; other values are taken as is)."""
    if not isinstance(output, str):
        try:
            text = json.dumps(output, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError) as err:
            raise ServiceError("InvalidOutput", f"Invalid Output: '{err}'") from None
    else:
        text = output
    if len(text.encode("utf-8")) > MAX_OUTPUT_BYTES:
        raise ServiceError(
            "InvalidOutput",
            f"Invalid Output: 'The output exceeds the maximum size of {MAX_OUTPUT_BYTES} bytes'",
        )
    if not isinstance(output, str):
        return output
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ServiceError("InvalidOutput", f"Invalid Output: '{err.msg}'") from None
    except RecursionError:
        raise ServiceError("InvalidOutput", "Invalid Output: 'Document nesting depth exceeds "
                           "the maximum allowed (1000)'") from None


class CallbackApi:
    """The Engine's task-token and activity actions (mixed into ``Engine``).

    The engine provides ``integrations`` (its ``Registry``: ``callbacks`` and ``activities``),
    ``clock`` and ``_arn``.
    """

    integrations: Registry
    clock: Clock
    tags: TagStore

    def _arn(self, kind: str, *parts: str) -> str:
        raise NotImplementedError

    # -- task tokens -----------------------------------------------------------------------------

    async def send_task_success(self, task_token: str, output: Any) -> dict[str, Any]:
        """SendTaskSuccess: the task waiting on ``task_token`` succeeds with ``output`` (JSON text).

        Raises:
            ServiceError: ``InvalidToken``, ``TaskTimedOut``, ``TaskDoesNotExist``,
                ``InvalidOutput``.
        """
        self.integrations.callbacks.succeed(task_token, output)
        return {}

    async def send_task_failure(
        self, task_token: str, error: str | None = None, cause: str | None = None
    ) -> dict[str, Any]:
        """SendTaskFailure: the task fails with ``error`` and ``cause`` (each optional).

        Raises:
            ServiceError: ``InvalidToken``, ``TaskTimedOut``, ``TaskDoesNotExist``,
                ``ValidationException``.
        """
        self.integrations.callbacks.fail(task_token, error, cause)
        return {}

    async def send_task_heartbeat(self, task_token: str) -> dict[str, Any]:
        """SendTaskHeartbeat: restart the task's HeartbeatSeconds clock (no history event).

        Raises:
            ServiceError: ``InvalidToken``, ``TaskTimedOut``, ``TaskDoesNotExist``.
        """
        self.integrations.callbacks.heartbeat(task_token)
        return {}

    # -- activities ------------------------------------------------------------------------------

    async def create_activity(
        self, name: str, tags: Mapping[str, str] | None = None
    ) -> ActivityRecord:
        """CreateActivity (idempotent on the same name; ``tags`` apply to a new activity only).

        Raises:
            ServiceError: ``InvalidName``, ``TooManyTags``, ``ValidationException``.
        """
        check_name(name)
        arn = self._arn("activity", name)
        if arn not in self.integrations.activities:
            self.tags.replace(arn, tags or {})
        return self.integrations.activities.create(arn, name, self.clock.now())

    async def describe_activity(self, arn: str) -> ActivityRecord:
        """DescribeActivity.

        Raises:
            ServiceError: ``InvalidArn``, ``ActivityDoesNotExist``.
        """
        check_arn(arn, "activity")
        return self.integrations.activities.describe(arn)

    async def list_activities(self) -> list[ActivityRecord]:
        """ListActivities: every activity, sorted by name."""
        return self.integrations.activities.list()

    async def delete_activity(self, arn: str) -> None:
        """DeleteActivity (deleting an unknown activity succeeds).

        Raises:
            ServiceError: ``InvalidArn``.
        """
        check_arn(arn, "activity")
        self.integrations.activities.delete(arn)

    async def get_activity_task(
        self, activity_arn: str, worker_name: str | None = None
    ) -> dict[str, Any]:
        """GetActivityTask: ``{"taskToken", "input"}``, or ``{}`` when none came within 60 s.

        Raises:
            ServiceError: ``InvalidArn``, ``ActivityDoesNotExist``.
        """
        check_arn(activity_arn, "activity")
        return await self.integrations.activities.poll(activity_arn, worker_name, self.clock)
