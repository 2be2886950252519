"""``sfnlocal.run``: run one state machine to its end from synchronous code.

A convenience at the edge (it calls ``asyncio.run``): it creates an ``Engine``, registers the
definition, starts one execution, waits for it and returns a ``RunResult``. Code that already runs
an event loop uses the ``Engine`` directly.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sfnlocal.asl import load
from sfnlocal.engine.clock import Clock, SystemClock, VirtualClock
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.records import ExecutionRecord
from sfnlocal.engine.settings import EngineSettings
from sfnlocal.errors import StatesError
from sfnlocal.integrations.base import Registry

__all__ = ["RunResult", "run"]

_CLOSING_DETAILS = ("executionFailedEventDetails", "executionTimedOutEventDetails",
                    "executionAbortedEventDetails")


@dataclass(frozen=True, slots=True)
class RunResult:
    """How an execution ended.

    Attributes:
        status: ``SUCCEEDED``, ``FAILED``, ``TIMED_OUT`` or ``ABORTED``.
        output: the output as a JSON value (None unless SUCCEEDED).
        error / cause: the error and cause of the closing event (``ExecutionFailed``,
            ``ExecutionTimedOut``: ``States.Timeout``...), None when it has none.
        execution: the DescribeExecution shape (StartSyncExecution's for an Express machine).
        history: the GetExecutionHistory events, oldest first (empty for an Express machine: AWS
            keeps no history for those).
    """

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    execution: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        """True when the execution SUCCEEDED."""
        return self.status == "SUCCEEDED"

    def raise_for_status(self) -> RunResult:
        """Return ``self`` when the execution succeeded; raise its error otherwise.

        Raises:
            StatesError: the execution's error (or its status when it has none) and cause.
        """
        if not self.succeeded:
            raise StatesError(self.error or self.status, self.cause)
        return self


def run(
    definition: Mapping[str, Any] | str | os.PathLike[str],
    input: Any = None,
    *,
    clock: Literal["virtual", "system"] | Clock = "virtual",
    name: str | None = None,
    type: Literal["STANDARD", "EXPRESS"] = "STANDARD",
    settings: EngineSettings | None = None,
    integrations: Registry | None = None,
) -> RunResult:
    """Run a state machine once and return how it ended.

    Example::

        result = sfnlocal.run({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400,
                                                             "End": True}}}, {"x": 1})
        assert result.output == {"x": 1}          # instantly: the virtual clock skipped the day
        value = sfnlocal.run(definition, data).raise_for_status().output

    Args:
        definition: the definition as a dict, JSON text, or the path of a JSON/YAML file.
        input: the execution input as a JSON-compatible value; a ``str`` is JSON text (as on the
            API, so ``'"text"'`` is the string ``text``); None means no input (``{}``).
        clock: ``"virtual"`` (default: waits and timeouts take no real time, timestamps start at
            2026-01-01T00:00:00Z), ``"system"`` (real time), or a ``Clock`` instance.
        name: the execution name (a UUID when omitted).
        type: ``STANDARD`` or ``EXPRESS`` (run with StartSyncExecution; no history).
        settings: engine settings (history limit, region, account, seed...).
        integrations: the Task integrations.

    Returns:
        The ``RunResult``; call ``raise_for_status()`` to turn a failure into a ``StatesError``.

    Raises:
        InvalidDefinition: the definition is not valid.
        ServiceError: the API would refuse the request (``InvalidName``, ``InvalidExecutionInput``).
        RuntimeError: called from inside a running event loop.
    """
    engine = Engine(clock=_clock_of(clock), settings=settings, integrations=integrations)
    return asyncio.run(_run(engine, load(definition), input, name, type))


def _clock_of(clock: Literal["virtual", "system"] | Clock) -> Clock:
    if clock == "virtual":
        return VirtualClock()
    if clock == "system":
        return SystemClock()
    if isinstance(clock, str):
        raise ValueError(f"clock must be 'virtual', 'system' or a Clock, not {clock!r}")
    return clock


async def _run(
    engine: Engine, definition: Any, input_: Any, name: str | None, type_: str
) -> RunResult:
    extra: dict[str, Any] = {} if input_ is None else {"input": input_}
    async with engine:
        machine = await engine.create_state_machine("sfnlocal-run", definition, type=type_)
        if machine.is_express:
            sync = await engine.start_sync_execution(machine.arn, name=name, **extra)
            return _result(sync.record, sync.to_aws(), [])
        started = await engine.start_execution(machine.arn, name=name, **extra)
        record = await engine.wait(started.arn)
        return _result(record, record.to_aws(), await engine.history_events(record.arn))


def _result(
    record: ExecutionRecord, shape: dict[str, Any], history: list[dict[str, Any]]
) -> RunResult:
    error, cause = _closing_error(history) if history else (record.error, record.cause)
    output = json.loads(record.output) if record.output is not None else None
    return RunResult(status=record.status, output=output, error=error, cause=cause,
                     execution=shape, history=history)


def _closing_error(history: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    last = history[-1]
    for key in _CLOSING_DETAILS:
        if key in last:
            return last[key].get("error"), last[key].get("cause")
    return None, None
