"""Replay the JSONata expressions of the AWS-recorded cases at the expression level.

From each recorded history (cases with the ``jsonata`` feature) this takes every JSONata Pass state's
``Output``/``Assign`` with the input of its entered event and the variables assigned before it, and
every JSONata Choice rule with the state that was entered next. The expected values are AWS's: the
exited event's output and assigned variables, the rule AWS followed, or the EvaluationFailed event
(error, cause with its state prefix, location). Expressions reading ``$states.context`` are left to
the execution-level tests (the recorded context is normalised).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from expression_cases import all_cases

from sfnlocal.errors import EvaluationError
from sfnlocal.expressions.jsonata import compile_jsonata_value


def _json(value: Any) -> Any:
    """History payloads are JSON text, except objects the recording already decoded."""
    return json.loads(value) if isinstance(value, str) else value


def _states(block: dict[str, Any], top: str, out: dict[str, tuple[dict[str, Any], str]]) -> None:
    for name, state in (block.get("States") or {}).items():
        out[name] = (state, state.get("QueryLanguage", top))
        for branch in state.get("Branches") or []:
            _states(branch, top, out)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                _states(state[key], top, out)


def _jsonata_cases() -> Iterator[tuple[dict[str, Any], dict[str, tuple[dict[str, Any], str]]]]:
    for case in all_cases():
        if case["kind"] == "execution" and "jsonata" in case.get("features", []):
            definition = case["state_machine"]["definition"]
            states: dict[str, tuple[dict[str, Any], str]] = {}
            _states(definition, definition.get("QueryLanguage", "JSONPath"), states)
            yield case, states


def _replays() -> Iterator[Any]:
    for case, states in _jsonata_cases():
        variables: dict[str, Any] = {}
        entered: dict[str, Any] = {}
        choice: tuple[dict[str, Any], Any] | None = None
        for event in case["expected"].get("history") or []:
            if "stateEnteredEventDetails" in event:
                details = event["stateEnteredEventDetails"]
                if choice is not None:
                    yield from _choice_rules(case, choice, details["name"])
                    choice = None
                entered = {"name": details["name"], "input": _json(details.get("input")), "id": event["id"]}
                state, language = states.get(details["name"], ({}, ""))
                if language == "JSONata" and state.get("Type") == "Choice":
                    choice = (state, entered["input"])
            elif event["type"] == "EvaluationFailed":
                yield from _failure(case, states, event["evaluationFailedEventDetails"], entered, variables)
            elif "stateExitedEventDetails" in event:
                details = event["stateExitedEventDetails"]
                yield from _exit(case, states, details, entered, variables)
                for name, value in (details.get("assignedVariables") or {}).items():
                    variables[name] = _json(value)


def _usable(value: Any) -> bool:
    return "$states.context" not in json.dumps(value)


def _exit(case: dict[str, Any], states: dict[str, Any], details: dict[str, Any], entered: dict[str, Any],
          variables: dict[str, Any]) -> Iterator[Any]:
    state, language = states.get(details["name"], ({}, ""))
    if language != "JSONata" or state.get("Type") != "Pass" or entered.get("name") != details["name"]:
        return
    expected = {
        "Output": _json(details.get("output")),
        "Assign": {k: _json(v) for k, v in (details.get("assignedVariables") or {}).items()},
    }
    for field in ("Output", "Assign"):
        if field in state and _usable(state[field]):
            yield pytest.param(state[field], field, entered["input"], dict(variables), expected[field], None,
                               id=f"{case['id'].split('::')[-1]}-{details['name']}-{field}")


def _failure(case: dict[str, Any], states: dict[str, Any], details: dict[str, Any], entered: dict[str, Any],
             variables: dict[str, Any]) -> Iterator[Any]:
    state, language = states.get(details["state"], ({}, ""))
    field = details["location"].split("/")[0]
    if language == "JSONata" and state.get("Type") == "Pass" and _usable(state.get(field)):
        yield pytest.param(state[field], field, entered["input"], dict(variables), None,
                           (details, entered["id"]), id=f"{case['id'].split('::')[-1]}-{field}-fails")


def _choice_rules(case: dict[str, Any], choice: tuple[dict[str, Any], Any], taken: str) -> Iterator[Any]:
    state, data = choice
    for index, rule in enumerate(state["Choices"]):
        hit = rule["Next"] == taken
        field = f"Choices[{index}]/Condition"
        yield pytest.param(rule["Condition"], field, data, {}, hit, None,
                           id=f"{case['id'].split('::')[-1]}-{field}")
        if hit:
            break


REPLAYS = list(_replays())


def test_the_recorded_cases_give_enough_replays():
    if not all_cases():
        pytest.skip("conformance cases not available")
    assert len(REPLAYS) >= 50


@pytest.mark.parametrize(("raw", "field", "data", "variables", "expected", "failure"), REPLAYS)
def test_expression_matches_aws(raw: Any, field: str, data: Any, variables: dict[str, Any], expected: Any,
                                failure: tuple[dict[str, Any], int] | None):
    value = compile_jsonata_value(raw, field)
    if failure is None:
        result = value.evaluate_states({"input": data}, variables)
        assert json.dumps(result, sort_keys=True) == json.dumps(expected, sort_keys=True)
        return
    details, entered_id = failure
    with pytest.raises(EvaluationError) as caught:
        value.evaluate_states({"input": data}, variables)
    assert caught.value.location == details["location"]
    reported = caught.value.at(details["state"], entered_id)
    assert (reported.error, reported.cause) == (details["error"], details["cause"])
