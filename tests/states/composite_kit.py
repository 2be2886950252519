"""Helpers for the Parallel and Map tests: run definitions on an Engine with a VirtualClock, read
the history, and replay the AWS-recorded conformance cases (../shared/conformance, read in place).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.engine.records import ExecutionRecord
from sfnlocal.errors import StatesError
from sfnlocal.integrations import Registry, TaskRequest


class Service:
    """A Task integration for ``arn:aws:states:::sqs:sendMessage`` run on the engine's clock.

    ``MessageBody`` says what to do: a number of seconds to wait before answering
    ``{"slept": n}``, or ``"fail"`` to fail at once with ``Service.Failed``.
    """

    RESOURCE = "arn:aws:states:::sqs:sendMessage"

    async def invoke(self, request: TaskRequest) -> Any:
        body = request.parameters["MessageBody"]
        if body == "fail":
            raise StatesError("Service.Failed", "asked to fail")
        clock = request.context.clock
        await clock.sleep_until(clock.now() + body)
        return {"slept": body}

    @classmethod
    def registry(cls) -> Registry:
        registry = Registry()
        registry.register("sqs:sendMessage", cls())
        return registry

    @classmethod
    def task(cls, body: Any, **fields: Any) -> dict[str, Any]:
        """A Task state calling the service (``body`` may be a ``.$`` path with ``body_path``)."""
        key = "MessageBody.$" if isinstance(body, str) and body.startswith("$") else "MessageBody"
        return {"Type": "Task", "Resource": cls.RESOURCE,
                "Parameters": {"QueueUrl": "q", key: body}, **fields}

START = VirtualClock.DEFAULT_START
CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"
SETTINGS = EngineSettings(region="us-east-1", account="111111111111", seed=3, history_limit=None)


def machine(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    """A definition from its states (the first one starts unless ``start`` says otherwise)."""
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def block(*states: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A branch or item processor chaining ``states`` in order (the last one ends)."""
    named = dict(states)
    names = list(named)
    for name, following in zip(names, [*names[1:], None], strict=True):
        body = named[name]
        if body["Type"] not in ("Choice", "Succeed", "Fail") and not {"Next", "End"} & set(body):
            body.setdefault("End", True) if following is None else body.setdefault("Next", following)
    return {"StartAt": names[0], "States": named}


def wait(seconds: int | None = None, path: str | None = None) -> dict[str, Any]:
    return {"Type": "Wait", "Seconds": seconds} if path is None else {"Type": "Wait", "SecondsPath": path}


@dataclass
class Run:
    """The outcome of one execution."""

    record: ExecutionRecord
    events: list[dict[str, Any]]

    @property
    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def output(self) -> Any:
        return json.loads(self.record.output) if self.record.output is not None else None

    def of(self, type_: str) -> list[dict[str, Any]]:
        """The events of one type, in order."""
        return [e for e in self.events if e["type"] == type_]

    def first(self, type_: str) -> dict[str, Any]:
        return self.of(type_)[0]

    def by_id(self, event_id: int) -> dict[str, Any]:
        return self.events[event_id - 1]

    def after(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event that follows ``event`` in the history."""
        return self.events[event["id"]]

    def seconds(self, event: dict[str, Any]) -> float:
        """Virtual seconds since the start at which the event was recorded."""
        return event["timestamp"].timestamp() - START

    def details(self, event: dict[str, Any]) -> dict[str, Any]:
        return next((v for k, v in event.items() if k.endswith("EventDetails")), {})

    def data(self, event: dict[str, Any], key: str = "output") -> Any:
        """A JSON data field (``input``/``output``) of an event's details, parsed."""
        return json.loads(self.details(event)[key])


async def run(
    definition: dict[str, Any], input_: Any = None, *, stop_at: float | None = None,
    registry: Registry | None = None,
) -> Run:
    """Run one execution to its end; with ``stop_at``, stop it at that virtual second."""
    clock = VirtualClock()
    async with Engine(clock=clock, settings=SETTINGS, integrations=registry) as engine:
        sm = await engine.create_state_machine("sm", definition)
        started = await engine.start_execution(sm.arn, **({} if input_ is None else {"input": input_}))
        if stop_at is not None:
            await clock.sleep_until(START + stop_at)
            await engine.stop_execution(started.arn)
        record = await engine.wait(started.arn)
        return Run(record, await engine.history_events(record.arn))


# -- conformance cases ----------------------------------------------------------------------------


@functools.cache
def _all_cases() -> tuple[dict[str, Any], ...]:
    folder = CONFORMANCE / "cases"
    return tuple(json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json")))


def pure_jsonpath_cases(*state_types: str) -> list[Any]:
    """The pure, non-JSONata execution cases using any of ``state_types``, as pytest params."""
    found = [
        case for case in _all_cases()
        if case["kind"] == "execution" and case["category"] == "pure"
        and "jsonata" not in case.get("features", ())
        and any(t in case.get("state_types", {}) for t in state_types)
    ]
    if not found:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no cases at {CONFORMANCE}"))]
    return [pytest.param(case, id=case["id"].rsplit("::", 1)[-1]) for case in found]


@functools.cache
def compare() -> ModuleType:
    """The shared ``compare.py``, imported by path."""
    spec = importlib.util.spec_from_file_location("sfn_compare", CONFORMANCE / "compare.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def replay(case: dict[str, Any]) -> dict[str, Any]:
    """Run a case as it was recorded; return the GetExecutionHistory response, all pages."""
    sm, ex = case["state_machine"], case["execution"]
    async with Engine(clock=VirtualClock(), settings=SETTINGS) as engine:
        record = await engine.create_state_machine(sm["name"], sm["definition_raw"], sm["role_arn"])
        kwargs = {} if ex.get("input_omitted") else {"input": ex["input_raw"]}
        started = await engine.start_execution(record.arn, name=ex["name"], **kwargs)
        await engine.wait(started.arn)
        return {"events": [e async for e in _pages(engine, started.arn)]}


async def _pages(engine: Engine, arn: str) -> AsyncIterator[dict[str, Any]]:
    token = None
    while True:
        page = await engine.get_execution_history(arn, max_results=1000, next_token=token)
        for event in page["events"]:
            yield event
        token = page.get("nextToken")
        if not token:
            return


# -- known differences, outside the Parallel and Map states -----------------------------------------

_DIFF = re.compile(r"(?P<path>[^:]*): (?P<actual>.*) != expected (?P<expected>.*)")


def spacing_only(diff: str) -> bool:
    """A difference only in the spacing of JSON text.

    AWS hands the execution input's own text on (spacing included) while the value is unchanged;
    the engine writes compact JSON. That belongs to the execution input handling, not to these
    states.
    """
    match = _DIFF.fullmatch(diff)
    return match is not None and (
        match["actual"].replace(" ", "") == match["expected"].replace(" ", "")
    )


def older_map_run_exit_pointer(case: dict[str, Any], diff: str) -> bool:
    """``MapStateExited`` pointing at ``MapRunSucceeded``: AWS's recordings before Nov 2024.

    Since then AWS points it at ``MapRunStarted``, as the engine does.
    """
    day_month_year = case["source"]["recorded_date"].split(",")[0]
    _day, month, year = (int(part) for part in day_month_year.split("-"))
    match = _DIFF.fullmatch(diff)
    if match is None or not match["path"].endswith(".previousEventId") or (year, month) >= (2024, 11):
        return False
    index = int(match["path"].split("[")[1].split("]")[0])
    return case["expected"]["history"][index]["type"] == "MapStateExited"


def explain_known(case: dict[str, Any], diffs: list[str]) -> str | None:
    """Why every difference is a known one outside Parallel/Map, or None when one is not."""
    reasons = set()
    for diff in diffs:
        if spacing_only(diff):
            reasons.add("the engine re-serialises the execution input; AWS keeps its text")
        elif older_map_run_exit_pointer(case, diff):
            reasons.add("recorded before AWS pointed MapStateExited at MapRunStarted (Nov 2024)")
        else:
            return None
    return "; ".join(sorted(reasons)) or None
