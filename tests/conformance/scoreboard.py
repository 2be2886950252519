"""The conformance scoreboard: how many recorded AWS executions the engine reproduces, per level.

``render`` turns graded ``CaseResult``s into ``docs/conformance.md``; ``summary_line`` is the
one-line form printed at the end of a pytest run. Regenerate by hand with::

    python tests/conformance/scoreboard.py

(``test_executions.py::test_scoreboard`` does the same on every full test run.)
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from runner import (
    CASES_DIR,
    FULL,
    LEVELS,
    REPO_ROOT,
    CaseResult,
    case_group,
    category_cases,
    execution_cases,
    has_history,
    jsonata_cases,
    run_case,
)
from server_runner import (
    CATEGORIES,
    close_shared,
    create_on_server,
    in_process_cases,
    run_on_engine,
    run_on_server,
    validate_on_server,
)

__all__ = [
    "DOC_PATH",
    "Comparison",
    "Tally",
    "definition_scores",
    "render",
    "run_all",
    "run_comparison",
    "summary_line",
    "write",
]

DOC_PATH = REPO_ROOT / "docs" / "conformance.md"

LEVEL_TEXT = {
    "status": "the final status (SUCCEEDED, FAILED, TIMED_OUT...)",
    "output": "the execution output, or error and cause, as JSON values",
    "types": "the sequence of history event types (cases that recorded a history)",
    FULL: "everything recorded: outcome, every history event with all its details, "
    "DescribeExecution / StartSyncExecution responses",
}


class Tally:
    """Matches per level over a set of results.

    The ``types`` level counts only the cases that recorded a history; the others count every case.
    """

    def __init__(self, results: Sequence[CaseResult]) -> None:
        self.results = results
        self.matched = {level: sum(r.matches(level) for r in self._pool(level)) for level in LEVELS}
        self.total = {level: len(self._pool(level)) for level in LEVELS}

    def _pool(self, level: str) -> list[CaseResult]:
        if level == "types":
            return [r for r in self.results if has_history(r.case)]
        return list(self.results)

    def ratio(self, level: str) -> str:
        """``matched/total`` for a level."""
        return f"{self.matched[level]}/{self.total[level]}"

    def percent(self, level: str = FULL) -> float:
        """The share of matching cases at ``level``, in percent."""
        total = self.total[level]
        return 100.0 * self.matched[level] / total if total else 0.0


def summary_line(results: Sequence[CaseResult], language: str = "JSONPath") -> str:
    """``conformance executions (pure, JSONPath): status a/n, ..., full d/n (p%)``."""
    tally = Tally(results)
    levels = ", ".join(f"{level} {tally.ratio(level)}" for level in LEVELS)
    return f"conformance executions (pure, {language}): {levels} ({tally.percent():.1f}%)"


def _jsonata_section(results: Sequence[CaseResult], known: Mapping[str, str]) -> list[str]:
    """The JSONata scoreboard: the pure cases whose definition uses JSONata (any state)."""
    if not results:
        return []
    groups = _groups(results)
    return [
        "",
        "## JSONata",
        "",
        f"The {len(results)} `pure` execution cases with `jsonata` in their features (JSONata",
        "machines, per-state `QueryLanguage` overrides, mixed machines), graded the same way.",
        "",
        f"**{summary_line(results, 'JSONata')}**",
        "",
        *_level_table(Tally(results)),
        "",
        "### JSONata cases not matching at the full level",
        *_failure_lines(groups, known),
    ]


def _groups(results: Iterable[CaseResult]) -> dict[str, list[CaseResult]]:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        groups[case_group(result.case)].append(result)
    return dict(sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])))


def _level_table(tally: Tally) -> list[str]:
    lines = ["| level | compares | matching | share |", "|---|---|---|---|"]
    for level in LEVELS:
        share = f"{tally.percent(level):.1f}%"
        lines.append(f"| {level} | {LEVEL_TEXT[level]} | {tally.ratio(level)} | {share} |")
    return lines


def _group_table(groups: Mapping[str, list[CaseResult]]) -> list[str]:
    header = " | ".join(LEVELS)
    lines = [f"| group | cases | {header} |", "|---|---" + "|---" * len(LEVELS) + "|"]
    for name, members in groups.items():
        tally = Tally(members)
        cells = " | ".join(tally.ratio(level) for level in LEVELS)
        lines.append(f"| {name} | {len(members)} | {cells} |")
    return lines


def short_id(case_id: str) -> str:
    """The case id without its LocalStack prefix (``tests/aws/services/stepfunctions/v2/``)."""
    return case_id.split("/stepfunctions/v2/", 1)[-1]


def _not_run(results: Sequence[CaseResult]) -> list[str]:
    skipped = [r for r in results if r.skipped is not None]
    crashed = [r for r in results if r.crash is not None]
    return [
        f"Not run (the engine lacks an API or state type): {len(skipped)}. "
        f"Crashed or hung: {len(crashed)}. Both count as not matching.",
    ]


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _failure_lines(groups: Mapping[str, list[CaseResult]], known: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for name, members in groups.items():
        failing = [r for r in members if not r.matches(FULL)]
        if not failing:
            continue
        lines += ["", f"### {name} ({len(failing)})", ""]
        for result in failing:
            why = known.get(result.id)
            label = f"**known**: {why} — " if why else ""
            detail = _escape(result.reason(FULL, limit=2))
            lines.append(f"- `{_escape(short_id(result.id))}`: {label}{detail}")
    return lines or ["", "None."]


def render(results: Sequence[CaseResult], known: Mapping[str, str] | None = None,
           jsonata: Sequence[CaseResult] = (), server: Sequence[Comparison] = (),
           definitions: Mapping[str, tuple[int, int, int]] | None = None) -> str:
    """The Markdown text of ``docs/conformance.md``.

    Args:
        results: every graded JSONPath case.
        known: case id → the reason recorded in the known-failures table of the tests.
        jsonata: every graded JSONata case (its own section and scoreboard line).
        server: the same cases and the integration categories, engine and server side by side.
        definitions: definition metric → (engine matches, server matches, cases).
    """
    tally = Tally(results)
    groups = _groups(results)
    lines = [
        "# Conformance scoreboard",
        "",
        "Generated by `tests/conformance/scoreboard.py` from the cases recorded against AWS in",
        "`../shared/conformance` (do not edit by hand; `pytest tests/conformance` or",
        "`python tests/conformance/scoreboard.py` regenerates it).",
        "",
        f"Scope: the {len(results)} `execution` cases of category `pure` (Step Functions only)",
        "that do not use JSONata. Each runs on the Engine with the recorded state machine name,",
        "type, role, definition text, execution name and input, on a virtual clock, and is",
        "compared with `compare.compare_case`.",
        "",
        f"**{summary_line(results)}**",
        *(["", f"**{summary_line(jsonata, 'JSONata')}**"] if jsonata else []),
        "",
        *_not_run(results),
        "",
        "## Levels",
        "",
        *_level_table(tally),
        "",
        "## By group (case-id prefix)",
        "",
        *_group_table(groups),
        "",
        "## Cases not matching at the full level",
        *_failure_lines(groups, known or {}),
        *_jsonata_section(jsonata, known or {}),
        *_integrations_section(),
        *_server_section(server, definitions or {}),
        "",
    ]
    return "\n".join(lines)


_INTEGRATION_TESTS = {
    "lambda": "test_lambda_conformance.py",
    "nested": "test_nested_conformance.py",
    "sqs": "test_sqs_conformance.py",
    "nested+sqs": "test_sqs_conformance.py",
    "lambda+nested": "test_nested_conformance.py",
}


def _category_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in sorted(CASES_DIR.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        if case.get("kind") == "execution" and case.get("category") in _INTEGRATION_TESTS:
            counts[case["category"]] = counts.get(case["category"], 0) + 1
    return counts


def _integrations_section() -> list[str]:
    """The execution cases that need Lambda, SQS or other Step Functions actors."""
    counts = _category_counts()
    if not counts:
        return []
    rows = [f"| `{cat}` | {n} | `tests/conformance/{_INTEGRATION_TESTS[cat]}` |"
            if not _INTEGRATION_TESTS[cat].startswith("(") else
            f"| `{cat}` | {n} | {_INTEGRATION_TESTS[cat]} |"
            for cat, n in sorted(counts.items())]
    return [
        "",
        "## Integration categories",
        "",
        "These cases run through the Engine with local integrations: the cases' Lambda sources as",
        "local handlers, local SQS queues, nested executions, activities and scripted callback",
        "workers. Each test requires a match at the full level, ignoring the AWS-only",
        "`SdkHttpMetadata`/`SdkResponseMetadata` inside service results (known noise per the",
        "conformance README); a case that stops matching fails its test. Two exceptions, each",
        "explained in its test: one Lambda case recorded in October 2023, before AWS added",
        "`$$.Execution.RedriveCount`, ignores that field; two SQS cases restore a queue host name",
        "that the recording's own replacements left stale.",
        "",
        "| category | cases | test |",
        "|---|---|---|",
        *rows,
    ]


@dataclass(frozen=True)
class Comparison:
    """One category graded on both paths: the Engine's results and the server's."""

    label: str
    engine: Sequence[CaseResult]
    server: Sequence[CaseResult]

    def differences(self) -> list[str]:
        """``label level: engine a != server b`` for every level where the counts differ."""
        engine, server = Tally(self.engine), Tally(self.server)
        return [f"{self.label} {level}: engine {engine.ratio(level)} != server {server.ratio(level)}"
                for level in LEVELS if engine.matched[level] != server.matched[level]]


def _server_section(server: Sequence[Comparison],
                    definitions: Mapping[str, tuple[int, int, int]]) -> list[str]:
    """Engine and server scores side by side (``engine / server`` in every cell)."""
    if not server:
        return []
    header = " | ".join(LEVELS)
    rows = []
    for row in server:
        engine, through = Tally(row.engine), Tally(row.server)
        cells = " | ".join(f"{engine.ratio(level)} / {through.ratio(level)}" for level in LEVELS)
        rows.append(f"| {row.label} | {len(row.engine)} | {cells} |")
    lines = [
        "",
        "## Through the server",
        "",
        "Every execution case (the pure ones above and the integration categories) runs a second",
        "time through the HTTP server: a real server on",
        "127.0.0.1 driven by boto3 (CreateStateMachine, StartExecution / StartSyncExecution,",
        "SendTask*, StopExecution, GetExecutionHistory, DescribeExecution), graded from boto3's own",
        "responses with the same levels and ignore rules (`tests/conformance/server_runner.py`).",
        "The integrations are set up over the wire as well, on the same endpoint: each case's",
        "Lambda functions with the Lambda API's CreateFunction (the recorded source zipped as",
        "`handler.py`; the server runs it in an isolated worker subprocess) and DeleteFunction",
        "after the case, its SQS queues with CreateQueue, and the scripted worker reads the task",
        "token with ReceiveMessage. Each cell is `engine / server`;",
        "`tests/conformance/test_server_conformance.py` requires every case to show exactly the",
        "engine's differences at every level.",
        "",
        *_in_process_note(),
        f"| category | cases | {header} |",
        "|---|---" + "|---" * len(LEVELS) + "|",
        *rows,
    ]
    if definitions:
        lines += ["", "Definitions (CreateStateMachine / ValidateStateMachineDefinition through the",
                  "server, against `sfnlocal.asl.validate` on the engine side):", "",
                  "| check | cases | engine | server |", "|---|---|---|---|"]
        lines += [f"| {metric} | {total} | {engine} | {server} |"
                  for metric, (engine, server, total) in definitions.items()]
    return lines


def _in_process_note() -> list[str]:
    """The cases whose Lambda functions stay in-process on the server path, and why."""
    files = in_process_cases()
    if not files:
        return []
    return [
        f"Kept in-process on the server's engine ({len(files)} cases): functions that call",
        "`time.sleep(60)` under a Task `TimeoutSeconds` of 5. An isolated worker sleeps in real",
        "time with the virtual clock held, so the virtual timeout cannot cut the sleep short as",
        "AWS does (the case would take 60 s and end differently); they are registered as on the",
        "engine path, sleeping on the virtual clock.",
        "",
        *(f"- `{file.removesuffix('.json')}`" for file in files),
        "",
    ]


def write(results: Sequence[CaseResult], known: Mapping[str, str] | None = None,
          path: Path = DOC_PATH, jsonata: Sequence[CaseResult] = (),
          server: Sequence[Comparison] = (),
          definitions: Mapping[str, tuple[int, int, int]] | None = None) -> None:
    """Write the scoreboard to ``path`` (``docs/conformance.md``), only if its text changed."""
    text = render(results, known, jsonata, server, definitions)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


async def run_all() -> list[CaseResult]:
    """Run and grade every case, one after the other."""
    return [await run_case(case) for case in execution_cases()]


async def run_all_jsonata() -> list[CaseResult]:
    """Run and grade every pure JSONata case, one after the other."""
    return [await run_case(case) for case in jsonata_cases()]


async def run_comparison(jsonpath: Sequence[CaseResult],
                         jsonata: Sequence[CaseResult]) -> list[Comparison]:
    """Every category on both paths (the pure cases' engine results are given)."""
    rows = [
        Comparison("pure, JSONPath", jsonpath, [run_on_server(r.case) for r in jsonpath]),
        Comparison("pure, JSONata", jsonata, [run_on_server(r.case) for r in jsonata]),
    ]
    for category in CATEGORIES:
        if category == "pure":
            continue
        cases = category_cases(category)
        engine = [await run_on_engine(case) for case in cases]
        rows.append(Comparison(category, engine, [run_on_server(case) for case in cases]))
    return rows


def definition_scores() -> dict[str, tuple[int, int, int]]:
    """Definition checks on both paths: metric → (engine matches, server matches, cases)."""
    from test_definitions import normalized, recorded_message

    from sfnlocal.asl.validate import check, validation_result
    from sfnlocal.errors import InvalidDefinition

    scores = {"rejected": [0, 0, 0], "same message": [0, 0, 0], "validate": [0, 0, 0]}
    for path in sorted(CASES_DIR.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        machine = case.get("state_machine") or {}
        if case.get("kind") == "create_state_machine_error":
            try:
                check(machine["definition_raw"], machine["type"])
                ours: tuple[str, str] | None = None
            except InvalidDefinition as err:
                ours = (err.code, err.message)
            wire = create_on_server(case)
            _count(scores["rejected"], ours is not None, wire is not None)
            expected = recorded_message(case)
            if expected is not None:
                _count(scores["same message"], bool(ours) and normalized(case, ours[1]) == expected,
                       bool(wire) and normalized(case, wire[1]) == expected)
        elif case.get("kind") == "validate_definition":
            expected = dict(case["expected"]["validate_state_machine_definition"])
            expected.pop("ResponseMetadata", None)
            got = validation_result(machine["definition_raw"], machine["type"])
            wire = validate_on_server(case)
            wire.pop("ResponseMetadata", None)
            _count(scores["validate"], json.loads(normalized(case, json.dumps(got))) == expected,
                   json.loads(normalized(case, json.dumps(wire))) == expected)
    return {metric: (e, s, n) for metric, (e, s, n) in scores.items() if n}


def _count(tally: list[int], engine: bool, server: bool) -> None:
    tally[0] += int(engine)
    tally[1] += int(server)
    tally[2] += 1


def main() -> int:
    """Regenerate ``docs/conformance.md`` and print the one-line scoreboard."""
    from test_executions import KNOWN_FAILURES

    results = asyncio.run(run_all())
    if not results:
        print("no conformance cases found (../shared/conformance is absent)", file=sys.stderr)
        return 1
    jsonata = asyncio.run(run_all_jsonata())
    try:
        server = asyncio.run(run_comparison(results, jsonata))
        definitions = definition_scores()
    finally:
        close_shared()
    write(results, {key: known.reason for key, known in KNOWN_FAILURES.items()}, jsonata=jsonata,
          server=server, definitions=definitions)
    print(summary_line(results))
    print(summary_line(jsonata, "JSONata"))
    for row in server:
        print(f"{row.label}: engine {Tally(row.engine).ratio(FULL)}, "
              f"server {Tally(row.server).ratio(FULL)} (full)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
