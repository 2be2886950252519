"""Helpers for Task state tests: run a definition on an Engine with a VirtualClock and local functions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sfnlocal.engine.clock import VirtualClock
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.records import ExecutionRecord
from sfnlocal.engine.settings import EngineSettings
from sfnlocal.integrations import Registry

REGION = "us-east-1"
ACCOUNT = "111111111111"
START = VirtualClock.DEFAULT_START


def fn_arn(name: str) -> str:
    """A direct Lambda function ARN in the test account."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


INVOKE = "arn:aws:states:::lambda:invoke"


@dataclass
class Run:
    """The outcome of one execution."""

    record: ExecutionRecord
    events: list[dict[str, Any]]
    clock: VirtualClock

    @property
    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def of(self, type_: str) -> list[dict[str, Any]]:
        """The events of one type, in order."""
        return [e for e in self.events if e["type"] == type_]

    def details(self, event: dict[str, Any]) -> dict[str, Any]:
        """The details member of an event ({} when it has none)."""
        for key, value in event.items():
            if key.endswith("EventDetails"):
                return value
        return {}

    def seconds(self, event: dict[str, Any]) -> float:
        """Seconds since the clock's start at which the event was recorded."""
        return event["timestamp"].timestamp() - START

    @property
    def output(self) -> Any:
        return json.loads(self.record.output) if self.record.output is not None else None


def registry_with(**functions: Any) -> Registry:
    """A registry serving each keyword as a Lambda function of that name."""
    registry = Registry()
    for name, handler in functions.items():
        registry.register_lambda(name, handler)
    return registry


def machine(states: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states}


async def run(
    definition: dict[str, Any], input: Any = None, *, registry: Registry | None = None,
    seed: int | None = 1,
) -> Run:
    """Create the machine, run one execution to its end, return its record and full history."""
    clock = VirtualClock()
    settings = EngineSettings(region=REGION, account=ACCOUNT, seed=seed)
    async with Engine(clock=clock, settings=settings, integrations=registry or Registry()) as engine:
        sm = await engine.create_state_machine("sm", definition)
        kwargs = {} if input is None else {"input": input}
        started = await engine.start_execution(sm.arn, name="ex", **kwargs)
        record = await engine.wait(started.arn)
        events = await history(engine, started.arn)
    return Run(record, events, clock)


async def history(engine: Engine, arn: str) -> list[dict[str, Any]]:
    """Every event of an execution (following nextToken)."""
    events: list[dict[str, Any]] = []
    token = None
    while True:
        page = await engine.get_execution_history(arn, next_token=token)
        events.extend(page["events"])
        token = page.get("nextToken")
        if token is None:
            return events
