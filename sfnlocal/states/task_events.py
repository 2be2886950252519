"""The history events of a Task attempt, in the family its resource belongs to (checklist §10).

- Function ARNs record ``LambdaFunction{Scheduled,Started,Succeeded,Failed,TimedOut}``: the
  scheduled event carries ``resource`` (the ARN) and ``input``; ``LambdaFunctionStarted`` has no
  details.
- Activity ARNs record ``Activity{Scheduled,Started,Succeeded,Failed,TimedOut}``;
  ``ActivityStarted`` carries ``workerName`` when the worker gave one.
- Everything else (optimized, SDK and HTTP integrations) records ``Task{Scheduled,Started,
  Submitted,Succeeded,Failed,TimedOut}``, each with ``resourceType`` (the service) and ``resource``
  (the action and pattern suffix); ``TaskScheduled`` adds ``region`` and ``parameters``.

Optional fields (``timeoutInSeconds``, ``heartbeatInSeconds``, ``taskCredentials``, ``error``,
``cause``) are present only when they have a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sfnlocal.asl.model import Resource
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import Data
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import StatesError
from sfnlocal.states.retry import TaskTimeout

__all__ = ["TaskEvents"]

_PREFIX = {"lambda": "LambdaFunction", "activity": "Activity"}


class TaskEvents:
    """Records the events of one attempt on the frame's causal chain.

    Args:
        rt: the execution runtime.
        frame: the walker's frame.
        resource: the Task's resource (decides the event family).
    """

    __slots__ = ("_base", "frame", "prefix", "resource", "rt")

    def __init__(self, rt: ExecutionRuntime, frame: Frame, resource: Resource) -> None:
        self.rt = rt
        self.frame = frame
        self.resource = resource
        self.prefix = _PREFIX.get(resource.kind, "Task")
        self._base: dict[str, Any] = (
            {"resource_type": resource.service, "resource": resource.history_resource}
            if self.prefix == "Task" else {}
        )

    @property
    def starts_on_pickup(self) -> bool:
        """True when the integration, not the Task state, says when the work starts (activities)."""
        return self.resource.kind == "activity"

    def _emit(self, suffix: str, details: dict[str, Any] | None) -> None:
        self.rt.emit(self.frame, self.prefix + suffix, details)

    def scheduled(
        self, parameters: Any, timeout: int | None, heartbeat: int | None,
        credentials: Mapping[str, Any] | None,
    ) -> None:
        """``*Scheduled`` with the attempt's parameters (input), timeouts and credentials."""
        if self.prefix == "Task":
            details: dict[str, Any] = {**self._base, "region": self._region(),
                                       "parameters": Data(parameters)}
        else:
            details = {"resource": self.resource.arn, "input": Data(parameters)}
        if timeout is not None:
            details["timeout_in_seconds"] = timeout
        if heartbeat is not None and self.prefix != "LambdaFunction":
            details["heartbeat_in_seconds"] = heartbeat
        if credentials is not None and "RoleArn" in credentials:
            details["task_credentials"] = {"roleArn": credentials["RoleArn"]}
        self._emit("Scheduled", details)

    def _region(self) -> str:
        return self.resource.region or self.rt.identity.region

    def started(self, details: dict[str, Any] | None = None) -> None:
        """``*Started`` (``workerName`` for activities; nothing for Lambda functions)."""
        if self.prefix == "Task":
            self._emit("Started", dict(self._base))
        elif self.prefix == "Activity":
            self._emit("Started", dict(details or {}))
        else:
            self._emit("Started", None)

    def submitted(self, output: Any) -> None:
        """``TaskSubmitted`` with the API's response (``.sync`` and ``.waitForTaskToken``)."""
        self._emit("Submitted", {**self._base, "output": Data(output)})

    def succeeded(self, output: Data) -> None:
        """``*Succeeded`` with the task result."""
        self._emit("Succeeded", {**self._base, "output": output})

    def failed(self, err: StatesError) -> None:
        """``*TimedOut`` for a timeout, ``*Failed`` otherwise; absent error/cause are omitted."""
        details = dict(self._base)
        if err.error is not None:
            details["error"] = err.error
        if err.cause is not None:
            details["cause"] = err.cause
        self._emit("TimedOut" if isinstance(err, TaskTimeout) else "Failed", details)
