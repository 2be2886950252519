"""Run AWS-recorded conformance cases (../shared/conformance, read in place) through the Engine.

Helpers for the engine tests: find a case, run it as the recording test did (exact names, types,
definition text and input text, account 111111111111 in us-east-1), and grade the API-shaped results
with the shared ``compare.py``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sfnlocal.engine import Engine, EngineSettings, VirtualClock

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"
CASES = CONFORMANCE / "cases"
SETTINGS = EngineSettings(region="us-east-1", account="111111111111", seed=7)


@functools.cache
def all_cases() -> tuple[dict[str, Any], ...]:
    if not CASES.is_dir():
        return ()
    return tuple(json.loads(p.read_text(encoding="utf-8")) for p in sorted(CASES.glob("*.json")))


def find_case(fragment: str) -> dict[str, Any]:
    """The one case whose id contains ``fragment`` (the test is skipped without the cases)."""
    found = [case for case in all_cases() if fragment in case["id"]]
    if not all_cases():
        pytest.skip(f"conformance cases not found at {CASES}")
    assert len(found) == 1, (fragment, [c["id"] for c in found])
    return found[0]


@functools.cache
def compare() -> ModuleType:
    """The shared ``compare.py``, imported by path."""
    spec = importlib.util.spec_from_file_location("sfn_compare", CONFORMANCE / "compare.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def with_metadata(shape: dict[str, Any]) -> dict[str, Any]:
    return {**shape, "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}}}


async def create_from_case(engine: Engine, case: dict[str, Any]) -> str:
    sm = case["state_machine"]
    record = await engine.create_state_machine(
        sm["name"], sm["definition_raw"], sm["role_arn"], sm.get("type") or "STANDARD"
    )
    return record.arn


def input_kwargs(case: dict[str, Any]) -> dict[str, Any]:
    execution = case["execution"]
    return {} if execution.get("input_omitted") else {"input": execution["input_raw"]}


async def run_case(case: dict[str, Any], clock: VirtualClock | None = None) -> dict[str, Any]:
    """Run an execution case; returns ``{"history", "describe", "record"}`` (API shapes)."""
    async with Engine(clock=clock or VirtualClock(), settings=SETTINGS) as engine:
        arn = await create_from_case(engine, case)
        started = await engine.start_execution(
            arn, name=case["execution"]["name"], **input_kwargs(case)
        )
        record = await engine.wait(started.arn)
        history = {"events": await engine.history_events(record.arn)}
        return {
            "history": with_metadata(history),
            "describe": with_metadata(record.to_aws()),
            "record": record,
        }


def grade(case: dict[str, Any], results: dict[str, Any], describe: bool = False) -> list[str]:
    """Differences between the results and the recording (status, outcome, every event)."""
    levels = ("status", "output", "error", "cause", "event_types", "events")
    return compare().compare_case(
        case, history=results["history"],
        describe=results["describe"] if describe else None,
        levels=(*levels, "describe") if describe else levels,
    )
