"""validate()/check()/validation_result(): entry points and the top level of a definition."""

import json
import random
from types import MappingProxyType

import pytest

from sfnlocal.asl.diagnostics import (
    INVALID_JSON_DESCRIPTION,
    MISSING_TRANSITION_TARGET,
    SCHEMA_VALIDATION_FAILED,
)
from sfnlocal.asl.validate import check, validate, validation_result
from sfnlocal.errors import InvalidDefinition

SVF = SCHEMA_VALIDATION_FAILED
PASS_END = {"Type": "Pass", "End": True}
VALID = {"StartAt": "A", "States": {"A": PASS_END}}


def found(definition, kind="STANDARD"):
    return [(d.code, d.message, d.location) for d in validate(definition, kind)]


def test_valid_definition_has_no_diagnostics():
    assert found(VALID) == []


def test_any_mapping_is_accepted():
    assert found(MappingProxyType(VALID)) == []


def test_json_text_is_parsed():
    assert found(json.dumps(VALID)) == []


def test_bad_json_text_gives_invalid_json_description():
    [diagnostic] = validate('{"StartAt": ')
    assert diagnostic.code == INVALID_JSON_DESCRIPTION
    assert diagnostic.location is None


def test_definition_must_be_an_object():
    assert found([VALID]) == [(SVF, "Definition must be a valid JSON object", "/")]


@pytest.mark.parametrize(
    ("definition", "missing"),
    [
        ({}, "[States, StartAt]"),
        ({"StartAt": "A"}, "[States]"),
        ({"States": {"A": PASS_END}}, "[StartAt]"),
    ],
)
def test_required_top_level_fields_lists_only_the_missing_ones(definition, missing):
    assert found(definition) == [(SVF, f"These fields are required: {missing}", "/")]


def test_optional_top_level_fields_are_accepted():
    definition = {**VALID, "Comment": "c", "Version": "1.0", "TimeoutSeconds": 60,
                  "QueryLanguage": "JSONata"}
    assert found(definition) == []


def test_unknown_top_level_field_is_not_supported():
    assert found({**VALID, "Foo": 1}) == [(SVF, "Field 'Foo' is not supported", "/")]


@pytest.mark.parametrize("timeout", [0, -5, "60", 1.5, True])
def test_top_level_timeout_must_be_a_positive_integer(timeout):
    assert found({**VALID, "TimeoutSeconds": timeout}) == [
        (SVF, "The value for the field 'TimeoutSeconds' must be an integer between 1 and 99999999",
         "/TimeoutSeconds")
    ]


def test_query_language_must_be_known():
    assert found({**VALID, "QueryLanguage": "XPath"}) == [
        (SVF, "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]",
         "/QueryLanguage")
    ]


def test_states_must_be_an_object():
    assert found({"StartAt": "A", "States": []}) == [
        (SVF, "The value for the field 'States' must be an object", "/States")
    ]


def test_check_accepts_a_valid_definition():
    check(VALID)


def test_check_raises_aws_message():
    with pytest.raises(InvalidDefinition) as raised:
        check({"StartAt": "A"})
    assert raised.value.message == (
        "Invalid State Machine Definition: "
        "'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'"
    )


def test_check_lists_every_error_in_the_message():
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}
    with pytest.raises(InvalidDefinition) as raised:
        check(definition)
    assert raised.value.message == (
        "Invalid State Machine Definition: "
        "'MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next, "
        "MISSING_END_STATE: Workflow has no terminal state'"
    )


def test_check_uses_the_machine_type():
    definition = {"StartAt": "A", "States": {"A": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync", "End": True}}}
    check(definition, "STANDARD")
    with pytest.raises(InvalidDefinition):
        check(definition, "EXPRESS")


def test_validation_result_ok():
    assert validation_result(VALID) == {"result": "OK", "diagnostics": [], "truncated": False}


def test_validation_result_fail_shape():
    result = validation_result({"States": {"A": PASS_END}})
    assert result == {
        "result": "FAIL",
        "diagnostics": [{"severity": "ERROR", "code": SVF, "location": "/",
                         "message": "These fields are required: [StartAt]"}],
        "truncated": False,
    }


def test_validation_result_truncates_to_max_results():
    states = {"A": PASS_END, "B": PASS_END, "C": PASS_END}
    result = validation_result({"StartAt": "A", "States": states}, max_results=1)
    assert result["result"] == "FAIL"
    assert result["truncated"] is True
    assert [d["code"] for d in result["diagnostics"]] == [MISSING_TRANSITION_TARGET]


ODD_VALUES = [None, True, 0, -1, 1.5, "", "x", "$", "{% x %}", [], [None], {}, {"a": 1}, ["S"]]
RICH = {
    "StartAt": "C", "QueryLanguage": "JSONPath", "TimeoutSeconds": 5,
    "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "P"},
                                            {"And": [{"Variable": "$.b", "StringEquals": "x"}],
                                             "Next": "M"}], "Default": "W"},
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
            "Retry": [{"ErrorEquals": ["States.ALL"]}],
            "Catch": [{"ErrorEquals": ["E"], "Next": "F"}]}, "F": {"Type": "Fail"}}}],
              "Next": "W"},
        "M": {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {"I": {
            "Type": "Pass", "Assign": {"v.$": "$.v"}, "End": True}}}, "Next": "W",
              "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                             "ReaderConfig": {"InputType": "CSV"}}},
        "W": {"Type": "Wait", "Seconds": 1, "Next": "D"},
        "D": {"Type": "Succeed"},
    },
}


def _nodes(value, path=()):
    yield path
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    else:
        children = ()
    for key, item in children:
        yield from _nodes(item, (*path, key))


def test_rich_definition_is_valid():
    assert found(RICH) == []


@pytest.mark.parametrize("seed", range(200))
def test_malformed_definitions_never_crash(seed):
    rng = random.Random(seed)
    definition = json.loads(json.dumps(RICH))
    for _ in range(3):
        path = rng.choice([p for p in _nodes(definition) if p] or [("StartAt",)])
        target = definition
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = rng.choice(ODD_VALUES)
    for kind in ("STANDARD", "EXPRESS"):
        assert all(d.code for d in validate(definition, kind))
