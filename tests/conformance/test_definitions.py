"""Definitions recorded against AWS: what CreateStateMachine rejects, what
ValidateStateMachineDefinition answers, and that everything AWS ran is accepted."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from sfnlocal.asl.validate import check, validate, validation_result
from sfnlocal.errors import InvalidDefinition

_AWS_MESSAGE = re.compile(r"Invalid State Machine Definition: '.*'\Z", re.S)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def recorded_message(case: dict[str, Any]) -> str | None:
    """AWS's InvalidDefinition message when the recording has one in AWS's wording."""
    for text in _strings(case["expected"].get("recorded")):
        match = _AWS_MESSAGE.search(text)
        if match:
            return match.group(0)
    return None


def normalized(case: dict[str, Any], text: str) -> str:
    """``text`` with the case's snapshot replacements applied (ARNs, region...)."""
    rules = (case.get("normalization") or {}).get("regex_replacements") or []
    rules = sorted(rules, key=lambda r: r.get("priority", 0))
    for rule in rules:
        if rule.get("regex"):
            text = re.sub(rule["regex"], lambda _m, r=rule: r["replacement"], text)
    return text


def _definitions(case: dict[str, Any]) -> Iterator[tuple[str, Any, str]]:
    """(label, definition, type) of every state machine the case created on AWS."""
    machine = case["state_machine"]
    yield "main", machine["definition_raw"], machine["type"]
    for nested in (case.get("resources") or {}).get("nested_state_machines") or []:
        yield nested["name"], nested["definition"], nested.get("type", "STANDARD")
    for companion in case.get("companion_executions") or []:
        yield companion["state_machine_name"], companion["definition"], "STANDARD"


@pytest.mark.conformance("create_state_machine_error")
def test_aws_rejections_are_rejected(case, scoreboard):
    machine = case["state_machine"]
    try:
        check(machine["definition_raw"], machine["type"])
        error = None
    except InvalidDefinition as err:
        error = err
    scoreboard.record("definitions", "rejected", error is not None)
    expected = recorded_message(case)
    if expected is not None:
        ours = normalized(case, error.message) if error else None
        scoreboard.record("definitions", "same message", ours == expected)
    assert error is not None, "AWS rejects this definition"
    assert error.code == "InvalidDefinition"
    if expected is not None:
        assert ours == expected


@pytest.mark.conformance("validate_definition")
def test_validate_definition_answers_like_aws(case, scoreboard):
    machine = case["state_machine"]
    expected = dict(case["expected"]["validate_state_machine_definition"])
    expected.pop("ResponseMetadata", None)
    got = validation_result(machine["definition_raw"], machine["type"])
    got = json.loads(normalized(case, json.dumps(got)))
    scoreboard.record("definitions", "validate", got == expected)
    assert got == expected


def _rejections(case: dict[str, Any]) -> dict[str, list[str]]:
    found = {}
    for label, definition, kind in _definitions(case):
        problems = [d.summary() for d in validate(definition, kind)]
        if problems:
            found[label] = problems
    return found


@pytest.mark.conformance("execution")
def test_definitions_aws_ran_are_accepted(case, scoreboard):
    rejected = _rejections(case)
    scoreboard.record("definitions", "accepted", not rejected)
    assert rejected == {}


@pytest.mark.conformance("execution", folders=("cases-s3",))
def test_s3_definitions_aws_ran_are_accepted(case, scoreboard):
    rejected = _rejections(case)
    scoreboard.record("definitions", "accepted (S3 cases)", not rejected)
    assert rejected == {}
