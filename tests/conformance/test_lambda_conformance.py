"""The ``lambda`` conformance cases recorded against AWS, run end to end with local functions.

Each case's Lambda source (``resources.lambda_functions[].source``) is registered under its recorded
name; the execution's history (or StartSyncExecution response) is compared with ``compare.py`` at
every level. A case passes when it matches in full, apart from AWS-only Invoke metadata
(``SdkHttpMetadata``/``SdkResponseMetadata``, listed as noise in the conformance README).
"""

from __future__ import annotations

from typing import Any

import pytest
from lambda_cases import grade as grade_case
from lambda_cases import lambda_cases, run_lambda_case

CASES = lambda_cases()
pytestmark = pytest.mark.skipif(not CASES, reason="conformance cases not found")

ADJUSTED: dict[str, tuple[str, ...]] = {
    # Recorded on 24-10-2023, before AWS added Execution.RedriveCount to the context object.
    "scenarios_test_base_scenarios.py_TestBaseScenarios_test_lambda_invoke_with_retry_extended_"
    "input.json": (r".*\.Execution\.RedriveCount",),
}
"""Case file → extra ignore patterns, each for a documented difference of the recording itself."""

KNOWN: dict[str, tuple[str, str]] = {
    "scenarios_test_base_scenarios.py_TestBaseScenarios_test_map_state_config_distributed_"
    "reentrant_lambda.json": (
        "types", "Distributed Map: previousEventId of the event after MapRunSucceeded (Map state)"),
}
"""Case file → (the level that must still match, why the full match fails; outside Task/Lambda)."""


def _id(case: dict[str, Any]) -> str:
    return str(case["file"]).removesuffix(".json")


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
async def test_lambda_case(case: dict[str, Any]):
    responses = await run_lambda_case(case)
    diffs = grade_case(case, responses, ADJUSTED.get(case["file"], ()))
    level, _reason = KNOWN.get(case["file"], ("full", ""))
    assert diffs[level] == []
