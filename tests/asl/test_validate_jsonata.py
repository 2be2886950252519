"""Definition-time JSONata checks: syntax, $states members where they are not available, $ and $$."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sfnlocal.asl.validate import validate
from sfnlocal.asl.validate_jsonata import check_jsonata
from sfnlocal.asl.validate_values import JSONATA, JSONPATH, Report

CASES = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "cases"
LAMBDA = "arn:aws:states:::lambda:invoke"


def machine(states: dict[str, Any], language: str = "JSONata") -> dict[str, Any]:
    return {"QueryLanguage": language, "StartAt": next(iter(states)), "States": states}


def problems(definition: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d.location or "", d.message) for d in validate(definition, use_statelint=False)]


def pass_output(output: Any) -> dict[str, Any]:
    return machine({"P": {"Type": "Pass", "Output": output, "End": True}})


def test_valid_expressions_pass():
    definition = pass_output({
        "a": "{% $states.input.items[price > 10].name %}",
        "b": "{% $map($states.input.items, function($v){ $v.price * 2 }) %}",
        "c": "{% $states.input ~> $count() %}",
        "d": "{% $states.input.items^(price){category: $sum(price)} %}",
        "e": "{% $x := 1 %}", "f": "{% $states.context.Execution.Id %}",
        "g": " {% not an expression %} ",
    })
    assert problems(definition) == []


def test_a_syntax_error_is_located_at_the_string():
    found = problems(pass_output({"result": "{% 1 + %}"}))
    assert found == [("/States/P/Output/result", "The value for the field 'result' must be a valid JSONata "
                      "expression (S0207: Unexpected end of expression)")]


@pytest.mark.parametrize(("text", "words"), [
    ("$", "uses '$' at the top level"),
    ("$.a", "uses '$' at the top level"),
    ("foo", "refers to the field 'foo' at the top level"),
    ("foo.bar + 1", "refers to the field 'foo' at the top level"),
    ("$count(items)", "refers to the field 'items' at the top level"),
    ("{'a': value}", "refers to the field 'value' at the top level"),
    ("$$", "uses '$$'"),
    ("$states.input[$$.x = 1]", "uses '$$'"),
])
def test_the_input_is_only_states_input(text: str, words: str):
    [(location, message)] = problems(pass_output("{% " + text + " %}"))
    assert location == "/States/P/Output"
    assert message.startswith(f"The JSONata expression '{text}' {words}")


def test_result_is_available_only_in_output_and_assign_of_task_parallel_map():
    definition = machine({
        "P": {"Type": "Pass", "Output": "{% $states.result %}", "Next": "T"},
        "T": {"Type": "Task", "Resource": LAMBDA, "Arguments": {"x": "{% $states.result.a %}"},
              "TimeoutSeconds": "{% $states.result %}",
              "Output": "{% $states.result.Payload %}", "Assign": {"r": "{% $states.result %}"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.result %}", "Next": "C"}],
              "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.result %}", "Next": "W"}],
              "Default": "W"},
        "W": {"Type": "Wait", "Seconds": "{% $states.result %}", "End": True},
    })
    locations = [location for location, message in problems(definition) if "$states.result" in message]
    assert locations == ["/States/P/Output", "/States/T/Arguments/x", "/States/T/TimeoutSeconds",
                         "/States/T/Catch/0/Output", "/States/C/Choices/0/Condition", "/States/W/Seconds"]


def test_error_output_is_available_only_in_catchers():
    definition = machine({
        "T": {"Type": "Task", "Resource": LAMBDA, "Output": "{% $states.errorOutput %}",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}",
                         "Assign": {"e": "{% $states.errorOutput.Cause %}"}, "Next": "F"}],
              "End": True},
        "F": {"Type": "Fail", "Cause": "{% $states.errorOutput.Cause %}"},
    })
    locations = [location for location, message in problems(definition) if "errorOutput" in message]
    assert locations == ["/States/T/Output", "/States/F/Cause"]


def test_map_fields_and_nested_states_are_checked():
    definition = machine({"M": {
        "Type": "Map", "Items": "{% items %}", "ItemSelector": {"v": "{% $ %}"},
        "MaxConcurrency": "{% 1 + %}",
        "ItemProcessor": {"StartAt": "I",
                          "States": {"I": {"Type": "Pass", "Output": "{% $$ %}", "End": True}}},
        "Output": "{% $states.result %}", "End": True}})
    assert [location for location, _ in problems(definition)] == [
        "/States/M/Items", "/States/M/ItemSelector/v", "/States/M/MaxConcurrency",
        "/States/M/ItemProcessor/States/I/Output"]


def test_jsonpath_states_are_not_checked():
    definition = machine({"P": {"Type": "Pass", "Parameters": {"a": "{% 1 + %}"}, "End": True}}, JSONPATH)
    assert problems(definition) == []


def test_a_jsonata_state_in_a_jsonpath_machine_is_checked():
    state = {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $ %}", "End": True}
    definition = machine({"P": state}, JSONPATH)
    assert [location for location, _ in problems(definition)] == ["/States/P/Output"]


def test_malformed_definitions_do_not_crash_the_check():
    report = Report("STANDARD", JSONATA)
    for definition in ({"States": []}, {"States": {"A": 1}}, {"States": {"A": {"Type": "Map", "Catch": 3,
                        "ItemReader": {"ReaderConfig": 2}, "Choices": "x", "Branches": [1]}}}):
        check_jsonata(report, definition)
    assert report.diagnostics == []


def _recorded_definitions() -> list[Any]:
    if not CASES.is_dir():
        return []
    found = []
    for path in sorted(CASES.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        if case["kind"] == "execution" and "jsonata" in case.get("features", []):
            found.append(pytest.param(case["state_machine"]["definition"], id=case["id"].split("::")[-1]))
    return found


@pytest.mark.parametrize("definition", _recorded_definitions())
def test_definitions_aws_ran_raise_no_jsonata_problem(definition: dict[str, Any]):
    top = JSONATA if definition.get("QueryLanguage") == JSONATA else JSONPATH
    report = Report("STANDARD", top)
    check_jsonata(report, definition)
    assert report.diagnostics == []
