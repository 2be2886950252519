"""Every conformance case again, through the HTTP server with real boto3 clients.

The execution cases of every category the engine path runs (``pure`` JSONPath and JSONata,
Express and StartSyncExecution ones included, ``lambda``, ``nested``, ``sqs``, ``nested+sqs``) are
driven by ``server_runner`` against one shared server on 127.0.0.1, and graded from boto3's own
response dicts with the same ``compare.compare_case`` levels and ignore rules as on the engine
path. A case passes when it shows exactly the engine path's differences at every level: the
engine tests decide what must match AWS (with their known failures), these tests that the wire
adds nothing and loses nothing. The definition cases go through CreateStateMachine and
ValidateStateMachineDefinition and must answer like AWS, as ``test_definitions`` requires of the
engine.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from runner import category_cases
from server_runner import (
    CATEGORIES,
    create_on_server,
    run_on_engine,
    run_on_server,
    validate_on_server,
)
from test_definitions import normalized, recorded_message

pytest.importorskip("boto3")

CASES = category_cases(*CATEGORIES)


def _id(case: dict[str, Any]) -> str:
    return str(case["file"]).removesuffix(".json")


@pytest.mark.skipif(not CASES, reason="conformance cases not found")
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
async def test_execution_through_server(case: dict[str, Any]) -> None:
    engine = await run_on_engine(case)
    server = run_on_server(case)
    if engine.skipped is not None:
        assert server.skipped == engine.skipped
        pytest.skip(engine.skipped)
    assert server.crash is None, server.crash
    assert engine.crash is None, engine.crash
    assert server.diffs == engine.diffs, "the server's results differ from the engine's"


@pytest.mark.conformance("create_state_machine_error")
def test_rejection_through_server(case, scoreboard):
    error = create_on_server(case)
    scoreboard.record("definitions through the server", "rejected", error is not None)
    expected = recorded_message(case)
    if expected is not None:
        ours = normalized(case, error[1]) if error else None
        scoreboard.record("definitions through the server", "same message", ours == expected)
    assert error is not None, "AWS rejects this definition"
    assert error[0] == "InvalidDefinition"
    if expected is not None:
        assert ours == expected


@pytest.mark.conformance("validate_definition")
def test_validate_through_server(case, scoreboard):
    expected = dict(case["expected"]["validate_state_machine_definition"])
    expected.pop("ResponseMetadata", None)
    got = validate_on_server(case)
    got.pop("ResponseMetadata", None)
    got = json.loads(normalized(case, json.dumps(got)))
    scoreboard.record("definitions through the server", "validate", got == expected)
    assert got == expected
