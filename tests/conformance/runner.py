"""Drive one recorded conformance case through the Engine and grade it with ``compare.py``.

The cases live outside the repository, in ``../shared/conformance`` seen from the repository root
(see its README). This module finds them, runs an execution case the way the recording test did
(exact state machine name, type, role ARN, definition text, execution name and input text, account
111111111111 in us-east-1), collects the API-shaped results boto3 would return (GetExecutionHistory,
DescribeExecution or the StartSyncExecution response, with ``datetime`` timestamps and a
``ResponseMetadata``) and hands them to ``compare.compare_case`` at each grading level.

Nothing here depends on pytest: ``python tests/conformance/scoreboard.py`` uses it too.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.states import ASYNC_HANDLERS, SYNC_HANDLERS

__all__ = [
    "CONFORMANCE_DIR",
    "FULL",
    "LEVELS",
    "CaseResult",
    "case_group",
    "category_cases",
    "compare_module",
    "execution_cases",
    "jsonata_cases",
    "run_case",
    "run_case_sync",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE_DIR = Path(
    os.environ.get("SFNLOCAL_CONFORMANCE", REPO_ROOT.parent / "shared" / "conformance")
)
CASES_DIR = CONFORMANCE_DIR / "cases"

ACCOUNT = "111111111111"
REGION = "us-east-1"
SEED = 20240816

FULL = "full"
LEVELS: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "output": ("output", "error", "cause"),
    "types": ("event_types",),
    FULL: ("status", "output", "error", "cause", "event_types", "events", "describe"),
}
"""Grading levels, strictest last: level name → the ``compare_case`` levels it checks."""

IGNORE: tuple[str, ...] = (
    # Older recordings predate redrive; the README lists these DescribeExecution fields as noise.
    r"\$describe\.redriveCount",
    r"\$describe\.redriveStatus",
    r"\$describe\.redriveStatusReason",
)

_RESPONSE_METADATA = {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}


@cache
def compare_module() -> ModuleType:
    """The shared ``compare.py``, imported by path (it is not a package)."""
    path = CONFORMANCE_DIR / "compare.py"
    spec = importlib.util.spec_from_file_location("sfn_conformance_compare", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _case_files() -> Iterator[Path]:
    if CASES_DIR.is_dir():
        yield from sorted(CASES_DIR.glob("*.json"))


def category_cases(*categories: str) -> list[dict[str, Any]]:
    """The execution cases of the given categories (``lambda``, ``nested``...), by file name."""
    found = []
    for path in _case_files():
        case = json.loads(path.read_text(encoding="utf-8"))
        if case.get("kind") == "execution" and case.get("category") in categories:
            case.setdefault("file", path.name)
            found.append(case)
    return found


def is_pure_jsonpath_execution(case: Mapping[str, Any]) -> bool:
    """True for the cases this suite runs: executions needing only Step Functions, no JSONata."""
    return (
        case.get("kind") == "execution"
        and case.get("category") == "pure"
        and "jsonata" not in case.get("features", ())
    )


@cache
def execution_cases() -> tuple[dict[str, Any], ...]:
    """Every pure, non-JSONata execution case, sorted by file name (empty when cases are absent)."""
    cases = []
    for path in _case_files():
        case = json.loads(path.read_text(encoding="utf-8"))
        if is_pure_jsonpath_execution(case):
            case.setdefault("file", path.name)
            cases.append(case)
    return tuple(cases)


def is_pure_jsonata_execution(case: Mapping[str, Any]) -> bool:
    """True for the pure execution cases written (at least partly) in JSONata."""
    return (
        case.get("kind") == "execution"
        and case.get("category") == "pure"
        and "jsonata" in case.get("features", ())
    )


@cache
def jsonata_cases() -> tuple[dict[str, Any], ...]:
    """Every pure execution case with JSONata, sorted by file name (empty when cases are absent)."""
    cases = []
    for path in _case_files():
        case = json.loads(path.read_text(encoding="utf-8"))
        if is_pure_jsonata_execution(case):
            case.setdefault("file", path.name)
            cases.append(case)
    return tuple(cases)


def case_group(case: Mapping[str, Any]) -> str:
    """The case-id prefix that groups the scoreboard (``choice_operators``, ``base``...).

    It is the test directory under ``stepfunctions/v2/``; tests at the top of ``v2`` use their
    module name (``test_sfn_api.py`` → ``sfn_api``).
    """
    path = str(case["id"]).split("::", 1)[0]
    parts = path.split("/")
    tail = parts[parts.index("v2") + 1 :] if "v2" in parts else parts[-1:]
    if len(tail) > 1:
        return tail[0]
    return tail[0].removesuffix(".py").removeprefix("test_")


@dataclass(slots=True)
class CaseResult:
    """What one case produced and how it compares.

    Attributes:
        case: the case data.
        diffs: level name → differences (``[]`` = match); empty dict when the case did not run.
        skipped: why the case was not run, if it was not.
        crash: the exception text when the engine or the runner raised instead of finishing.
        history / describe / sync: the API-shaped responses that were compared.
    """

    case: Mapping[str, Any]
    diffs: dict[str, list[str]] = field(default_factory=dict)
    skipped: str | None = None
    crash: str | None = None
    history: dict[str, Any] | None = None
    describe: dict[str, Any] | None = None
    sync: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        """The case id."""
        return str(self.case["id"])

    def matches(self, level: str = FULL) -> bool:
        """True when the case ran and showed no difference at ``level``."""
        ran = self.skipped is None and self.crash is None
        return ran and not self.diffs.get(level, ["not run"])

    def reason(self, level: str = FULL, limit: int = 3) -> str:
        """A short explanation of the mismatch at ``level`` (empty on a match)."""
        if self.skipped is not None:
            return f"skipped: {self.skipped}"
        if self.crash is not None:
            return f"crash: {self.crash}"
        diffs = self.diffs.get(level, [])
        more = f" (+{len(diffs) - limit} more)" if len(diffs) > limit else ""
        return "; ".join(diffs[:limit]) + more


def has_history(case: Mapping[str, Any]) -> bool:
    """True when the recording holds a GetExecutionHistory (so the ``types`` level applies)."""
    return "history" in case["expected"]


def _with_metadata(response: dict[str, Any]) -> dict[str, Any]:
    """The response as boto3 returns it: with its ``ResponseMetadata``."""
    response["ResponseMetadata"] = dict(_RESPONSE_METADATA)
    return response


def _settings() -> EngineSettings:
    return EngineSettings(region=REGION, account=ACCOUNT, seed=SEED)


def clock_start(case: Mapping[str, Any]) -> float:
    """Where the virtual clock starts for a case (epoch seconds): when its file was generated.

    Inputs that the recording test computed from "now" were recomputed when the case files were
    generated (``test_timestamp_too_far_in_future_boundary`` waits until now + 24,855 days, just
    under AWS's limit of 2^31 seconds, and its 24,856-day twin just over it), so "now" must be
    within hours of that moment: the file's modification time. The recording date is the fallback.
    """
    path = CASES_DIR / str(case.get("file", ""))
    if path.is_file():
        return path.stat().st_mtime
    recorded = (case.get("source") or {}).get("recorded_date")
    if recorded:
        moment = datetime.strptime(recorded, "%d-%m-%Y, %H:%M:%S").replace(tzinfo=UTC)
        return moment.timestamp()
    return VirtualClock.DEFAULT_START


def _sampled_running(case: Mapping[str, Any]) -> bool:
    """True when AWS's history was read while the execution still ran (status ``RUNNING``)."""
    return bool(case["expected"].get("status") == "RUNNING")


def _input_kwargs(execution: Mapping[str, Any]) -> dict[str, Any]:
    if execution.get("input_omitted"):
        return {}
    return {"input": execution["input_raw"]}


async def _create(engine: Engine, case: Mapping[str, Any]) -> str:
    sm = case["state_machine"]
    record = await engine.create_state_machine(
        sm["name"], sm["definition_raw"], sm["role_arn"], sm.get("type") or "STANDARD"
    )
    return record.arn


async def _settle(clock: VirtualClock, rounds: int = 1000) -> None:
    """Let the loop run until the execution blocks on a timer (time does not move: no autojump)."""
    for _ in range(rounds):
        await asyncio.sleep(0)
        if clock.pending:
            break
    for _ in range(10):
        await asyncio.sleep(0)


async def _drive_async(engine: Engine, arn: str, result: CaseResult) -> None:
    execution = result.case["execution"]
    started = await engine.start_execution(arn, name=execution["name"], **_input_kwargs(execution))
    if result.case["state_machine"].get("type") == "EXPRESS":
        await _collect_express(engine, started.arn, result)
        return
    if isinstance(engine.clock, VirtualClock) and _sampled_running(result.case):
        await _settle(engine.clock)
    else:
        await engine.wait(started.arn)
    result.history = _with_metadata(await engine.get_execution_history(started.arn))
    if "describe_execution" in result.case["expected"]:
        # Otherwise the recorded outcome came from the history (compare_case would prefer Describe).
        result.describe = _with_metadata((await engine.describe_execution(started.arn)).to_aws())


async def _collect_express(engine: Engine, arn: str, result: CaseResult) -> None:
    """An asynchronous Express execution has no history or DescribeExecution on AWS either.

    The recording took its outcome from the final CloudWatch Logs event; the engine's record of
    the closed execution carries the same status, output, error and cause.
    """
    record = await engine.wait(arn)
    result.describe = _with_metadata(record.to_aws())


async def _drive_sync(engine: Engine, arn: str, result: CaseResult) -> None:
    execution = result.case["execution"]
    response = await engine.start_sync_execution(
        arn, name=execution["name"], **_input_kwargs(execution)
    )
    result.sync = _with_metadata(response.to_aws())


def _skip_reason(case: Mapping[str, Any]) -> str | None:
    """Why the engine cannot run this case yet (a state type without a handler), or None."""
    missing = sorted(set(case.get("state_types", {})) - set(SYNC_HANDLERS) - set(ASYNC_HANDLERS))
    if missing:
        return f"no handler registered for {', '.join(missing)} yet"
    return None


async def _execute(result: CaseResult) -> None:
    clock = VirtualClock(clock_start(result.case), autojump=not _sampled_running(result.case))
    async with Engine(clock=clock, settings=_settings()) as engine:
        arn = await _create(engine, result.case)
        if result.case["execution"]["api"] == "StartSyncExecution":
            await _drive_sync(engine, arn, result)
        else:
            await _drive_async(engine, arn, result)


def _describe_crash(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"[:300]


def grade(result: CaseResult, levels: Iterable[str] = LEVELS) -> None:
    """Fill ``result.diffs`` by comparing the collected responses at each level."""
    compare = compare_module()
    for level in levels:
        result.diffs[level] = compare.compare_case(
            result.case, history=result.history, describe=result.describe, sync=result.sync,
            levels=LEVELS[level], ignore=IGNORE,
        )


async def run_case(case: Mapping[str, Any], timeout: float = 30.0) -> CaseResult:
    """Run one execution case and grade it at every level.

    Args:
        case: the case data (one file of ``cases/``).
        timeout: a wall-clock guard against an engine that never finishes (the virtual clock makes
            every legitimate wait instant, so reaching it means a hang).
    """
    result = CaseResult(case)
    result.skipped = _skip_reason(case)
    if result.skipped is not None:
        return result
    try:
        async with asyncio.timeout(timeout):
            await _execute(result)
    except TimeoutError:
        result.crash = f"no result within {timeout:g} s (hang)"
    except Exception as exc:  # a crash is a graded outcome, not an error of the test
        result.crash = _describe_crash(exc)
    if result.crash is None:
        grade(result)
    return result


def run_case_sync(case: Mapping[str, Any]) -> CaseResult:
    """``run_case`` on a fresh event loop (for scripts)."""
    return asyncio.run(run_case(case))
