import json
from pathlib import Path
from typing import Any

import pytest

from sfnlocal.asl.choice_rules import (
    OPERATORS,
    compile_condition,
    condition_text,
    parse_timestamp,
)
from sfnlocal.errors import EvaluationError, InvalidDefinition
from sfnlocal.expressions.context import EvalContext

CTX = EvalContext(context={"Execution": {"Name": "exec-1"}}, variables={"limit": 10, "name": "bob"})
PTR = "/States/C/Choices/0"


def holds(rule: dict[str, Any], data: Any, ctx: EvalContext = CTX) -> bool:
    return compile_condition(rule, "JSONPath", PTR).evaluate(data, ctx)


def check_value(op: str, operand: Any, value: Any) -> bool:
    return holds({"Variable": "$.v", op: operand}, {"v": value})


def path_test(op: str, left: Any, right: Any) -> bool:
    return holds({"Variable": "$.l", op: "$.r"}, {"l": left, "r": right})


# ---------------------------------------------------------------------------------------------
# Comparison operators with literal operands

CASES = [
    # String
    ("StringEquals", "abc", "abc", True),
    ("StringEquals", "abc", "ABC", False),
    ("StringEquals", "abc", 1, False),
    ("StringLessThan", "b", "a", True),
    ("StringLessThan", "b", "b", False),
    ("StringLessThan", "b", None, False),
    ("StringGreaterThan", "a", "b", True),
    ("StringGreaterThan", "b", "a", False),
    ("StringGreaterThan", "a", ["b"], False),
    ("StringLessThanEquals", "b", "b", True),
    ("StringLessThanEquals", "b", "c", False),
    ("StringLessThanEquals", "b", True, False),
    ("StringGreaterThanEquals", "b", "b", True),
    ("StringGreaterThanEquals", "b", "a", False),
    ("StringGreaterThanEquals", "", {}, False),
    ("StringLessThan", "é", "z", True),  # code points, no collation
    ("StringLessThan", "a", "B", True),
    # Numeric: int and float compare by value, booleans are not numbers
    ("NumericEquals", 1, 1.0, True),
    ("NumericEquals", 0.0, 0, True),
    ("NumericEquals", 1, 2, False),
    ("NumericEquals", 1, True, False),
    ("NumericEquals", 0, False, False),
    ("NumericEquals", 1, "1", False),
    ("NumericLessThan", 3, 2.5, True),
    ("NumericLessThan", 3, 3, False),
    ("NumericLessThan", 3, None, False),
    ("NumericGreaterThan", 3, 4, True),
    ("NumericGreaterThan", 3, 3.0, False),
    ("NumericGreaterThan", 3, [4], False),
    ("NumericLessThanEquals", 3, 3.0, True),
    ("NumericLessThanEquals", 3, 3.01, False),
    ("NumericLessThanEquals", 3, "2", False),
    ("NumericGreaterThanEquals", 3, 3, True),
    ("NumericGreaterThanEquals", 3, 2, False),
    ("NumericGreaterThanEquals", 0, False, False),
    # Boolean
    ("BooleanEquals", True, True, True),
    ("BooleanEquals", True, False, False),
    ("BooleanEquals", False, 0, False),
    ("BooleanEquals", True, "true", False),
    # Timestamp: instants, not strings
    ("TimestampEquals", "2020-01-01T00:00:00Z", "2020-01-01T01:00:00+01:00", True),
    ("TimestampEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00.000Z", True),
    ("TimestampEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01Z", False),
    ("TimestampEquals", "2020-01-01T00:00:00Z", "2020-01-01 00:00:00Z", False),
    ("TimestampEquals", "2020-01-01T00:00:00Z", 1577836800, False),
    ("TimestampLessThan", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59.999999999Z", True),
    ("TimestampLessThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False),
    ("TimestampLessThan", "2020-01-01T00:00:00Z", "2019-12-31", False),
    ("TimestampGreaterThan", "2020-01-01T00:00:00Z", "2019-12-31T20:00:00-05:00", True),
    ("TimestampGreaterThan", "2020-01-01T00:00:00Z", "2019-12-31T18:00:00-05:00", False),
    ("TimestampGreaterThan", "2020-01-01T00:00:00Z", "2021-01-01t00:00:00z", False),
    ("TimestampLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("TimestampLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00.0000001Z", False),
    ("TimestampLessThanEquals", "2020-01-01T00:00:00Z", None, False),
    ("TimestampGreaterThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00.5Z", True),
    ("TimestampGreaterThanEquals", "2020-01-01T00:00:00Z", "2019-01-01T00:00:00Z", False),
    ("TimestampGreaterThanEquals", "2020-01-01T00:00:00Z", "2020-13-01T00:00:00Z", False),
]


@pytest.mark.parametrize(("op", "operand", "value", "expected"), CASES)
def test_literal_comparisons(op: str, operand: Any, value: Any, expected: bool):
    assert check_value(op, operand, value) is expected


@pytest.mark.parametrize(("op", "operand", "value", "expected"), CASES)
def test_path_comparisons(op: str, operand: Any, value: Any, expected: bool):
    assert path_test(op + "Path", value, operand) is expected


def test_every_comparison_operator_is_covered():
    covered = {op for op, *_ in CASES}
    comparisons = {op for op in OPERATORS if not op.startswith("Is") and not op.endswith("Path")}
    assert comparisons - {"StringMatches"} == covered


@pytest.mark.parametrize(
    ("op", "left", "right", "expected"),
    [
        ("StringEqualsPath", 1, "1", False),
        ("NumericEqualsPath", 1, True, False),
        ("NumericLessThanPath", "1", 2, False),
        ("TimestampEqualsPath", "2020-01-01T00:00:00Z", "nope", False),
        ("TimestampEqualsPath", "nope", "nope", False),
        ("BooleanEqualsPath", False, False, True),
    ],
)
def test_path_operand_of_another_type_is_false(op: str, left: Any, right: Any, expected: bool):
    assert path_test(op, left, right) is expected


def test_path_operand_may_read_variables_and_context():
    assert holds({"Variable": "$.n", "NumericLessThanPath": "$limit"}, {"n": 9})
    assert not holds({"Variable": "$.n", "NumericLessThanPath": "$limit"}, {"n": 10})
    assert holds({"Variable": "$.s", "StringEqualsPath": "$$.Execution.Name"}, {"s": "exec-1"})


def test_variable_may_be_a_workflow_variable_or_the_context():
    assert holds({"Variable": "$name", "StringEquals": "bob"}, {})
    assert holds({"Variable": "$$.Execution.Name", "StringMatches": "exec-*"}, {})


def test_variable_root_dollar_is_the_whole_input():
    assert holds({"Variable": "$", "NumericEquals": 3}, 3)


# ---------------------------------------------------------------------------------------------
# StringMatches


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("log-*.txt", "log-2020.txt", True),
        ("log-*.txt", "log-.txt", True),
        ("log-*.txt", "log-2020.csv", False),
        ("*", "", True),
        ("a*b*c", "aXXbYYc", True),
        ("a*b*c", "acb", False),
        ("abc", "abcd", False),
        ("a.c", "abc", False),  # regex characters are literal
        ("(a)+[b]", "(a)+[b]", True),
        ("a\\*b", "a*b", True),  # \* is a literal star
        ("a\\*b", "aXb", False),
        ("a\\\\b", "a\\b", True),  # \\ is a literal backslash
        ("a\\\\*", "a\\anything", True),
        ("*", "multi\nline", True),
        ("x*", 5, False),
        ("x*", None, False),
    ],
)
def test_string_matches(pattern: str, value: Any, expected: bool):
    assert check_value("StringMatches", pattern, value) is expected


def test_string_matches_dangling_backslash_is_a_runtime_error():
    predicate = compile_condition({"Variable": "$.v", "StringMatches": "abc\\"}, "JSONPath", PTR)
    with pytest.raises(EvaluationError) as info:
        predicate.evaluate({"v": "abc"}, CTX)
    assert info.value.error == "States.Runtime"
    assert predicate.evaluate({"v": 3}, CTX) is False


# ---------------------------------------------------------------------------------------------
# Type tests

TYPE_OPS = ["IsNull", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"]
TYPED_VALUES: list[tuple[Any, set[str]]] = [
    (None, {"IsNull"}),
    (0, {"IsNumeric"}),
    (1.5, {"IsNumeric"}),
    (-3, {"IsNumeric"}),
    (True, {"IsBoolean"}),
    (False, {"IsBoolean"}),
    ("", {"IsString"}),
    ("x", {"IsString"}),
    ("2020-01-01", {"IsString"}),
    ("2020-01-01T00:00:00", {"IsString"}),
    ("2020-01-01T00:00:00Z", {"IsString", "IsTimestamp"}),
    ("2020-01-01T00:00:00.123456789+05:30", {"IsString", "IsTimestamp"}),
    ([], set()),
    ({}, set()),
    ([1], set()),
]


@pytest.mark.parametrize("op", TYPE_OPS)
@pytest.mark.parametrize(("value", "types"), TYPED_VALUES, ids=repr)
def test_type_tests(op: str, value: Any, types: set[str]):
    assert check_value(op, True, value) is (op in types)
    assert check_value(op, False, value) is (op not in types)


@pytest.mark.parametrize(
    ("expected", "data", "result"),
    [(True, {"v": None}, True), (True, {}, False), (False, {}, True), (False, {"v": 1}, False)],
)
def test_is_present(expected: bool, data: Any, result: bool):
    assert holds({"Variable": "$.v", "IsPresent": expected}, data) is result


def test_is_present_on_missing_variable_reference():
    assert holds({"Variable": "$nothing.here", "IsPresent": False}, {})


# ---------------------------------------------------------------------------------------------
# Missing Variable

INVALID = "Invalid path '{}': The choice state's condition path references an invalid value."


@pytest.mark.parametrize(
    "rule",
    [
        {"Variable": "$.missing", "StringEquals": "x"},
        {"Variable": "$.missing", "IsNull": True},
        {"Variable": "$.missing", "IsNumeric": False},
        {"Variable": "$.missing", "NumericEqualsPath": "$.n"},
    ],
)
def test_missing_variable_raises_runtime_error(rule: dict[str, Any]):
    with pytest.raises(EvaluationError) as info:
        holds(rule, {"n": 1})
    assert info.value.error == "States.Runtime"
    assert info.value.detail == INVALID.format("$.missing")


def test_missing_workflow_variable_raises_runtime_error():
    with pytest.raises(EvaluationError) as info:
        holds({"Variable": "$unknown", "BooleanEquals": True}, {})
    assert info.value.detail == INVALID.format("$unknown")


def test_missing_path_operand_raises_runtime_error():
    with pytest.raises(EvaluationError) as info:
        holds({"Variable": "$.n", "NumericEqualsPath": "$.other"}, {"n": 1})
    assert info.value.detail == INVALID.format("$.other")


# ---------------------------------------------------------------------------------------------
# And / Or / Not

TRUE = {"Variable": "$.a", "NumericEquals": 1}
FALSE = {"Variable": "$.a", "NumericEquals": 2}
BOOM = {"Variable": "$.missing", "NumericEquals": 2}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"And": [TRUE, TRUE]}, True),
        ({"And": [TRUE, FALSE]}, False),
        ({"Or": [FALSE, TRUE]}, True),
        ({"Or": [FALSE, FALSE]}, False),
        ({"Not": TRUE}, False),
        ({"Not": FALSE}, True),
        ({"Not": {"And": [TRUE, {"Or": [FALSE, TRUE]}]}}, False),
    ],
)
def test_boolean_rules(rule: dict[str, Any], expected: bool):
    assert holds(rule, {"a": 1}) is expected


def test_and_or_short_circuit():
    assert holds({"And": [FALSE, BOOM]}, {"a": 1}) is False
    assert holds({"Or": [TRUE, BOOM]}, {"a": 1}) is True
    with pytest.raises(EvaluationError):
        holds({"And": [TRUE, BOOM]}, {"a": 1})


# ---------------------------------------------------------------------------------------------
# JSONata


@pytest.mark.parametrize("value", [True, False])
def test_jsonata_literal_condition(value: bool):
    predicate = compile_condition({"Condition": value, "Next": "X"}, "JSONata", PTR)
    assert predicate.evaluate({}, CTX) is value


def test_jsonata_expression_condition_is_compiled_once_and_evaluated():
    predicate = compile_condition({"Condition": "{% $states.input.x %}"}, "JSONata", PTR)
    assert predicate.value.field == "Choices[0]/Condition"  # type: ignore[attr-defined]
    assert predicate.value.expressions == (("Choices[0]/Condition", "$states.input.x"),)  # type: ignore[attr-defined]
    assert predicate.evaluate({"x": True}, CTX) is True
    assert predicate.evaluate({"x": False}, CTX) is False


# ---------------------------------------------------------------------------------------------
# Compile-time errors


@pytest.mark.parametrize(
    ("rule", "location"),
    [
        ({"Variable": "$.a"}, PTR),
        ({"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1}, PTR),
        ({"Variable": "$.a", "NumericEquals": "1"}, PTR + "/NumericEquals"),
        ({"Variable": "$.a", "NumericEquals": True}, PTR + "/NumericEquals"),
        ({"Variable": "$.a", "TimestampEquals": "yesterday"}, PTR + "/TimestampEquals"),
        ({"Variable": "$.a", "IsNull": "yes"}, PTR + "/IsNull"),
        ({"Variable": "$.a[*]", "IsNull": True}, PTR + "/Variable"),
        ({"Variable": 5, "IsNull": True}, PTR + "/Variable"),
        ({"Variable": "$.a", "StringEqualsPath": "nope"}, PTR + "/StringEqualsPath"),
        ({"And": []}, PTR + "/And"),
        ({"Or": [TRUE, {"Variable": "$.a"}]}, PTR + "/Or/1"),
        ({"Condition": "text"}, PTR + "/Condition"),
    ],
)
def test_uncompilable_rules_raise_invalid_definition(rule: dict[str, Any], location: str):
    language = "JSONata" if "Condition" in rule else "JSONPath"
    with pytest.raises(InvalidDefinition) as info:
        compile_condition(rule, language, PTR)
    assert info.value.diagnostics[0].location == location


# ---------------------------------------------------------------------------------------------
# Timestamps


@pytest.mark.parametrize(
    "text",
    [
        "2020-01-01T00:00:00",  # no zone
        "2020-01-01 00:00:00Z",
        "2020-01-01t00:00:00Z",
        "2020-01-01T00:00:00z",
        "2020-02-30T00:00:00Z",
        "2020-01-01T24:00:00Z",
        "2020-01-01T00:00:00+24:00",
        "2020-01-01T00:00Z",
        "01-01-2020T00:00:00Z",
    ],
)
def test_parse_timestamp_rejects(text: str):
    assert parse_timestamp(text) is None


def test_parse_timestamp_keeps_every_fraction_digit():
    early = parse_timestamp("2020-01-01T00:00:00.1234567891Z")
    late = parse_timestamp("2020-01-01T00:00:00.1234567892Z")
    assert early is not None and late is not None and early < late


# ---------------------------------------------------------------------------------------------
# Text


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ({"Variable": "$.x", "NumericLessThan": 3, "Next": "A"}, "$.x NumericLessThan 3"),
        ({"Variable": "$.x", "StringEquals": "é"}, '$.x StringEquals "é"'),
        ({"Variable": "$.x", "StringEqualsPath": "$.y"}, "$.x StringEqualsPath $.y"),
        ({"And": [TRUE, FALSE]}, "($.a NumericEquals 1) and ($.a NumericEquals 2)"),
        ({"Or": [TRUE, {"Not": FALSE}]}, "($.a NumericEquals 1) or (not ($.a NumericEquals 2))"),
        ({"Condition": "{% $x > 1 %}"}, "{% $x > 1 %}"),
        ({"Condition": True}, "true"),
        ({"Next": "A"}, "?"),
        (None, "?"),
    ],
)
def test_condition_text(rule: Any, text: str):
    assert condition_text(rule) == text


# ---------------------------------------------------------------------------------------------
# AWS-recorded conformance cases: which branch AWS took for a Choice state over a given input

CASES_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance" / "cases"


def _choice_cases() -> list[Any]:
    """Cases about Choice whose first state is a Choice state over the execution input."""
    if not CASES_DIR.is_dir():
        return []
    found = []
    for file in sorted(CASES_DIR.glob("*.json")):
        case = json.loads(file.read_text(encoding="utf-8"))
        if "choice_operator" not in case["id"] and "choice" not in case.get("features", []):
            continue
        definition = case["state_machine"]["definition"]
        first = definition.get("States", {}).get(definition.get("StartAt"), {})
        if first.get("Type") == "Choice" and "InputPath" not in first:
            found.append(pytest.param(case, id=file.stem))
    return found


def _taken_branch(case: dict[str, Any]) -> str | None:
    """The state AWS entered after the first Choice state, from the history or the output."""
    events = case["expected"].get("history") or []
    types = [e["type"] for e in events]
    if "ChoiceStateExited" in types:
        after = events[types.index("ChoiceStateExited") + 1]
        return (after.get("stateEnteredEventDetails") or {}).get("name")
    output = case["expected"].get("output_json")
    if isinstance(output, dict) and "TestResult.$" in output:
        return str(output["TestResult.$"])
    return None


def _choose(state: dict[str, Any], language: str, data: Any, ctx: EvalContext) -> str | None:
    for i, rule in enumerate(state["Choices"]):
        if compile_condition(rule, language, f"/States/C/Choices/{i}").evaluate(data, ctx):
            return str(rule["Next"])
    return state.get("Default")


@pytest.mark.parametrize("case", _choice_cases())
def test_conformance_choice_branch(case: dict[str, Any]):
    definition = case["state_machine"]["definition"]
    state = definition["States"][definition["StartAt"]]
    expected = _taken_branch(case)
    if expected is None:
        pytest.skip("the recording does not show which branch was taken")
    language = state.get("QueryLanguage", definition.get("QueryLanguage", "JSONPath"))
    data = case["execution"]["input"]
    ctx = EvalContext(context={"Execution": {"Input": data}})
    try:
        chosen = _choose(state, language, data, ctx)
    except NotImplementedError:
        pytest.skip("JSONata conditions are evaluated by the JSONata engine (not yet)")
    assert chosen == expected
