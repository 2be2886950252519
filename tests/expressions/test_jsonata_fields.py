"""Typed JSONata fields: the value a field needs, or AWS's "unexpected result type" cause."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from expression_cases import all_cases

from sfnlocal.errors import EvaluationError
from sfnlocal.expressions.jsonata import JsonataScope, compile_jsonata_value
from sfnlocal.expressions.jsonata_fields import (
    evaluate_array,
    evaluate_condition,
    evaluate_non_negative,
    evaluate_percentage,
    evaluate_positive_int,
    evaluate_string,
    json_type,
)

Helper = Callable[..., Any]


def scope(data: Any = None) -> JsonataScope:
    return JsonataScope({"input": data}, {})


def _items_failures() -> list[Any]:
    """Recorded Map states whose JSONata ``Items`` failed: (Items, EvaluationFailed, entered event id)."""
    found = []
    for case in all_cases():
        if "jsonata" not in case.get("features", []):
            continue
        entered = 0
        for event in case["expected"].get("history") or []:
            entered = event["id"] if "stateEnteredEventDetails" in event else entered
            details = event.get("evaluationFailedEventDetails")
            if details and details["location"] == "Items":
                state = case["state_machine"]["definition"]["States"][details["state"]]
                found.append(pytest.param(state["Items"], details, entered, id=case["id"].split("::")[-1]))
    return found


ITEMS_FAILURES = _items_failures()


@pytest.mark.parametrize(("items", "details", "entered"), ITEMS_FAILURES)
def test_recorded_items_failures(items: str, details: dict[str, Any], entered: int):
    value = compile_jsonata_value(items, "Items")
    with pytest.raises(EvaluationError) as caught:
        evaluate_array(value, scope({}))
    assert caught.value.location == "Items"
    reported = caught.value.at(details["state"], entered)
    assert (reported.error, reported.cause) == (details["error"], details["cause"])


def test_the_recorded_items_failures_are_found():
    if not all_cases():
        pytest.skip("conformance cases not available")
    assert len(ITEMS_FAILURES) >= 6


@pytest.mark.parametrize(("items", "expected"), [
    ("{% [] %}", []), ("{% [0] %}", [0]), ("{% [1, 'two', 3] %}", [1, "two", 3]),  # recorded outputs
    ([1, "{% $number('2') %}", 3], [1, 2, 3]),
])
def test_items_arrays(items: Any, expected: list[Any]):
    assert evaluate_array(compile_jsonata_value(items, "Items"), scope({})) == expected


@pytest.mark.parametrize(("helper", "text", "data", "expected"), [
    (evaluate_condition, "$states.input.condition", {"condition": False}, False),
    (evaluate_condition, "$states.input.value = 0", {"value": 0}, True),
    (evaluate_string, "$states.input.cause", {"cause": "This failed to due an Exception."},
     "This failed to due an Exception."),
    (evaluate_positive_int, "$variable := 1", {}, 1),  # TimeoutSeconds/HeartbeatSeconds, recorded
    (evaluate_positive_int, "$states.input.input_value", {"input_value": 1}, 1),
    (evaluate_non_negative, "$states.input.waitSeconds", {"waitSeconds": 0}, 0),  # Wait Seconds, recorded
    (evaluate_non_negative, "$variable := 1", {}, 1),  # MaxConcurrency, ToleratedFailureCount
    (evaluate_non_negative, "$states.input.n", {"n": 5.0}, 5),
    (evaluate_percentage, "$states.input.input_value", {"input_value": 100}, 100.0),
])
def test_typed_values(helper: Helper, text: str, data: Any, expected: Any):
    result = helper(compile_jsonata_value("{% " + text + " %}", "Field"), scope(data))
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("helper", "field", "value", "expected_type"), [
    (evaluate_condition, "Choices[0]/Condition", "yes", "boolean"),
    (evaluate_condition, "Choices[0]/Condition", 1, "boolean"),
    (evaluate_string, "Cause", {"a": 1}, "string"),
    (evaluate_string, "Error", None, "string"),
    (evaluate_positive_int, "TimeoutSeconds", "10", "integer"),
    (evaluate_positive_int, "TimeoutSeconds", True, "integer"),
    (evaluate_non_negative, "Seconds", 1.5, "integer"),
    (evaluate_percentage, "ToleratedFailurePercentage", [1], "number"),
])
def test_wrong_types(helper: Helper, field: str, value: Any, expected_type: str):
    compiled = compile_jsonata_value("{% $states.input.v %}", field)
    with pytest.raises(EvaluationError) as caught:
        helper(compiled, scope({"v": value}))
    assert caught.value.location == field
    assert caught.value.detail.startswith(
        f"The JSONata expression '$states.input.v' specified for the field '{field}' returned an unexpected "
        f"result type. Expected '{expected_type}', but was '{json_type(value)}' for value: ")


@pytest.mark.parametrize(("helper", "value"), [
    (evaluate_positive_int, 0), (evaluate_positive_int, -3), (evaluate_non_negative, -1),
    (evaluate_percentage, 100.5), (evaluate_percentage, -1),
])
def test_values_out_of_range(helper: Helper, value: Any):
    compiled = compile_jsonata_value("{% $states.input.v %}", "F")
    with pytest.raises(EvaluationError) as caught:
        helper(compiled, scope({"v": value}))
    assert "returned an unexpected result value." in caught.value.detail


def test_undefined_is_reported_before_the_type():
    with pytest.raises(EvaluationError) as caught:
        condition = compile_jsonata_value("{% $states.input.nope %}", "Choices[1]/Condition")
        evaluate_condition(condition, scope({}))
    assert caught.value.detail.endswith("returned nothing (undefined).")


@pytest.mark.parametrize(("value", "name"), [
    (None, "null"), (True, "boolean"), (1, "number"), (1.5, "number"), ("s", "string"), ([], "array"),
    ({}, "object"),
])
def test_json_type_names(value: Any, name: str):
    assert json_type(value) == name
