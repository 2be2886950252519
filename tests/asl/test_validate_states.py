"""Per-state rules: Type, allow-lists per query language, Next/End, and the rules of each type."""

import pytest

from sfnlocal.asl.diagnostics import SCHEMA_VALIDATION_FAILED
from sfnlocal.asl.validate import validate

SVF = SCHEMA_VALIDATION_FAILED
LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:f"


def one(state, kind="STANDARD", **top):
    definition = {"StartAt": "S", "States": {"S": state}, **top}
    return [(d.code, d.message, d.location) for d in validate(definition, kind)]


def svf(message, location="/States/S"):
    return [(SVF, message, location)]


def must_be(field, text):
    return svf(f"The value for the field '{field}' must be {text}", f"/States/S/{field}")


# --- Type ---------------------------------------------------------------------------------

def test_type_is_required():
    assert one({"End": True}) == svf("These fields are required: [Type]")


def test_type_must_be_a_state_type():
    assert one({"Type": "Sleep", "End": True}) == must_be(
        "Type", "one of [Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map]"
    )


def test_state_must_be_an_object():
    assert one(["Pass"]) == svf("The state must be an object")


# --- allow-lists ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "state",
    [
        {"Type": "Pass", "Comment": "c", "InputPath": "$.a", "Parameters": {"x.$": "$.b"},
         "Result": {"k.$": "not evaluated"}, "ResultPath": "$.r", "OutputPath": "$", "End": True,
         "Assign": {"v": 1}},
        {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 10, "HeartbeatSeconds": 5,
         "ResultSelector": {"a.$": "$.b"}, "Retry": [], "Catch": [], "End": True},
        {"Type": "Succeed", "InputPath": None, "OutputPath": None},
        {"Type": "Fail", "Error": "E", "Cause": "C"},
        {"Type": "Wait", "Seconds": 0, "End": True},
    ],
)
def test_jsonpath_fields_are_accepted(state):
    assert one(state) == []


@pytest.mark.parametrize(
    "state",
    [
        {"Type": "Pass", "Output": {"a": "{% $states.input %}"}, "Assign": {"v": "{% 1 %}"},
         "End": True},
        {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": "{% $x %}",
         "TimeoutSeconds": "{% 3 %}", "HeartbeatSeconds": "{% 1 %}", "Output": 1, "End": True},
        {"Type": "Wait", "Seconds": "{% 1 %}", "End": True},
        {"Type": "Wait", "Timestamp": "{% $t %}", "End": True},
        {"Type": "Fail", "Error": "{% 'E' %}", "Cause": "{% 'C' %}"},
    ],
)
def test_jsonata_fields_are_accepted(state):
    assert one(state, QueryLanguage="JSONata") == []


def test_unknown_field_is_not_supported():
    assert one({"Type": "Pass", "End": True, "Foo": 1}) == svf("Field 'Foo' is not supported")


def test_field_of_another_state_type_is_not_supported():
    assert one({"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {
        "B": {"Type": "Succeed"}}}], "TimeoutSeconds": 5, "End": True}) == svf(
        "Field 'TimeoutSeconds' is not supported")


def test_jsonata_field_in_jsonpath_state():
    assert one({"Type": "Pass", "Output": {}, "End": True}) == svf(
        "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the "
        "'JSONata' QueryLanguage"
    )


@pytest.mark.parametrize("field", ["InputPath", "OutputPath", "ResultPath", "Parameters",
                                   "Result"])
def test_jsonpath_field_in_jsonata_state(field):
    assert one({"Type": "Pass", field: "$", "End": True}, QueryLanguage="JSONata") == svf(
        f"The QueryLanguage is set to 'JSONata', but field '{field}' is only supported for the "
        "'JSONPath' QueryLanguage"
    )


def test_state_level_query_language_overrides_jsonpath_machine():
    assert one({"Type": "Pass", "QueryLanguage": "JSONata", "Output": 1, "End": True}) == []


def test_state_may_not_downgrade_a_jsonata_machine():
    assert one({"Type": "Pass", "QueryLanguage": "JSONPath", "End": True},
               QueryLanguage="JSONata") == svf(
        "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")


# --- Next / End -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "state",
    [{"Type": "Pass"}, {"Type": "Pass", "End": False}],
)
def test_next_or_end_is_required(state):
    assert one(state) == svf("Exactly one of these fields is required: [Next, End]")


def test_next_and_end_together():
    definition = {"StartAt": "S", "States": {"S": {"Type": "Pass", "Next": "T", "End": True},
                                             "T": {"Type": "Succeed"}}}
    assert [(d.message, d.location) for d in validate(definition)] == [
        ("These fields cannot be used together: [Next, End]", "/States/S")]


@pytest.mark.parametrize("kind", ["Succeed", "Fail"])
def test_terminal_states_take_no_next_or_end(kind):
    assert one({"Type": kind, "End": True}) == svf("Field 'End' is not supported")


def test_choice_takes_no_end():
    state = {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "S"}],
             "Default": "S", "End": True}
    assert one(state) == svf("Field 'End' is not supported")


def test_end_must_be_boolean():
    assert one({"Type": "Pass", "End": "true"}) == must_be("End", "a boolean") + svf(
        "Exactly one of these fields is required: [Next, End]")


# --- paths and templates --------------------------------------------------------------------

def test_invalid_parameters_path():
    assert one({"Type": "Pass", "Parameters": {"a.$": "nope"}, "End": True}) == svf(
        "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call",
        "/States/S/Parameters")


def test_nested_template_key_is_located_at_its_object():
    state = {"Type": "Pass", "Parameters": {"o": {"b.$": "States.Nope("}}, "End": True}
    assert one(state) == svf(
        "The value for the field 'b.$' must be a valid JSONPath or a valid intrinsic function call",
        "/States/S/Parameters/o")


def test_valid_template_paths_and_intrinsics():
    state = {"Type": "Pass", "End": True, "Parameters": {
        "a.$": "$.x", "c.$": "$$.Execution.Id", "v.$": "$var.y",
        "i.$": "States.Format('{}', $.x)", "l": [{"n.$": "$.n"}], "plain": "$.not.a.path"}}
    assert one(state) == []


def test_duplicate_key_after_stripping_suffix():
    state = {"Type": "Pass", "Parameters": {"a": 1, "a.$": "$.a"}, "End": True}
    assert one(state) == svf("The field 'a' is defined twice (also as 'a.$')",
                             "/States/S/Parameters")


def test_pass_result_is_literal():
    assert one({"Type": "Pass", "Result": {"a.$": "not a path"}, "End": True}) == []


@pytest.mark.parametrize("field", ["InputPath", "OutputPath"])
def test_input_output_path_must_be_a_path(field):
    assert one({"Type": "Pass", field: "a.b", "End": True}) == must_be(field, "a valid JSONPath")


@pytest.mark.parametrize("value", ["$.a.b", "$['a b']", "$.a[0]", None])
def test_valid_result_paths(value):
    assert one({"Type": "Pass", "ResultPath": value, "End": True}) == []


@pytest.mark.parametrize("value", ["$$.Execution", "$var.a"])
def test_result_path_may_not_target_context_or_variable(value):
    assert one({"Type": "Pass", "ResultPath": value, "End": True}) == must_be(
        "ResultPath", "a valid Reference Path to the state input")


def test_result_path_must_be_a_reference_path():
    assert one({"Type": "Pass", "ResultPath": "$.a[*]", "End": True}) == must_be(
        "ResultPath", "a valid Reference Path")


# --- Task -------------------------------------------------------------------------------------

def test_task_requires_resource():
    assert one({"Type": "Task", "End": True}) == svf("These fields are required: [Resource]")


@pytest.mark.parametrize("resource", [
    LAMBDA, "arn:aws:states:::lambda:invoke", "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "arn:aws:states:::aws-sdk:dynamodb:query", "arn:aws:states:::dynamodb:getItem",
    "arn:aws:states:us-east-1:111111111111:activity:worker",
])
def test_known_resources(resource):
    assert one({"Type": "Task", "Resource": resource, "End": True}) == []


@pytest.mark.parametrize("resource", ["arn:aws:states:::dynamodb:query", "not-an-arn",
                                      "arn:aws:states:::http:invoke.sync"])
def test_unknown_resources(resource):
    assert one({"Type": "Task", "Resource": resource, "End": True}) == svf(
        f"The resource provided {resource} is not recognized. The value is not a valid resource "
        "ARN, or the resource is not available in this region.", "/States/S/Resource")


@pytest.mark.parametrize(("resource", "message"), [
    ("arn:aws:states:::states:startExecution.sync",
     "Express state machine does not support '.sync' service integration"),
    ("arn:aws:states:::states:startExecution.sync:2",
     "Express state machine does not support '.sync' service integration"),
    ("arn:aws:states:::sqs:sendMessage.waitForTaskToken",
     "Express state machine does not support '.waitForTaskToken' service integration "),
    ("arn:aws:states:us-east-1:111111111111:activity:worker",
     "Express state machine does not support Activity ARN"),
])
def test_express_restrictions(resource, message):
    state = {"Type": "Task", "Resource": resource, "End": True}
    assert one(state, "STANDARD") == []
    assert one(state, "EXPRESS") == svf(message, "/States/S/Resource")


def test_express_accepts_request_response():
    assert one({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True},
               "EXPRESS") == []


@pytest.mark.parametrize("pair", [("TimeoutSeconds", "TimeoutSecondsPath"),
                                  ("HeartbeatSeconds", "HeartbeatSecondsPath")])
def test_task_timeout_and_its_path_are_exclusive(pair):
    state = {"Type": "Task", "Resource": LAMBDA, pair[0]: 5, pair[1]: "$.t", "End": True}
    assert one(state) == svf(f"These fields cannot be used together: [{pair[0]}, {pair[1]}]")


@pytest.mark.parametrize("value", [0, -1, 1.5, "5", 100000000])
def test_task_timeout_must_be_a_positive_integer(value):
    state = {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": value, "End": True}
    assert one(state) == must_be("TimeoutSeconds", "an integer between 1 and 99999999")


def test_task_timeout_in_jsonpath_is_not_an_expression():
    state = {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": "{% 5 %}", "End": True}
    assert one(state) == must_be("TimeoutSeconds", "an integer between 1 and 99999999")


def test_heartbeat_must_be_below_timeout():
    state = {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 5, "HeartbeatSeconds": 5,
             "End": True}
    assert one(state) == must_be(
        "HeartbeatSeconds", "smaller than the value for the field 'TimeoutSeconds'")
    state["HeartbeatSeconds"] = 4
    assert one(state) == []


def test_timeout_paths_must_be_reference_paths():
    state = {"Type": "Task", "Resource": LAMBDA, "TimeoutSecondsPath": "$.a[*]", "End": True}
    assert one(state) == must_be("TimeoutSecondsPath", "a valid Reference Path")


# --- Wait -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fields", [
    {"Seconds": 5}, {"SecondsPath": "$.s"}, {"Timestamp": "2016-03-14T01:59:00Z"},
    {"TimestampPath": "$.t"}, {"Timestamp": "2016-03-14T01:59:00.123456789+05:30"},
])
def test_wait_with_one_field(fields):
    assert one({"Type": "Wait", **fields, "End": True}) == []


@pytest.mark.parametrize("fields", [{}, {"Seconds": 5, "Timestamp": "2016-03-14T01:59:00Z"},
                                    {"Seconds": 1, "SecondsPath": "$.s"}])
def test_wait_needs_exactly_one_field(fields):
    assert one({"Type": "Wait", **fields, "End": True}) == svf(
        "Exactly one of these fields is required: "
        "[Seconds, SecondsPath, Timestamp, TimestampPath]")


def test_wait_jsonata_lists_its_own_fields():
    assert one({"Type": "Wait", "End": True}, QueryLanguage="JSONata") == svf(
        "Exactly one of these fields is required: [Seconds, Timestamp]")


@pytest.mark.parametrize("stamp", [
    "2016-13-05T21:29:29Z", "05-12-2016T21:29:29Z", "2016-12-05T25:29:29Z",
    "2016-12-05 21:29:29Z", "2016-12-05T21:29:29", "2016-12-05t21:29:29Z",
    "{% '2016-03-14T01:59:00Z' %}",
])
def test_wait_timestamp_must_be_rfc3339(stamp):
    assert one({"Type": "Wait", "Timestamp": stamp, "End": True}) == svf(
        "String does not match RFC3339 timestamp", "/States/S/Timestamp")


@pytest.mark.parametrize("seconds", [-1, 1.5, "5"])
def test_wait_seconds_must_be_a_non_negative_integer(seconds):
    assert one({"Type": "Wait", "Seconds": seconds, "End": True}) == must_be(
        "Seconds", "an integer between 0 and 99999999")


# --- Fail -------------------------------------------------------------------------------------

@pytest.mark.parametrize("pair", [("Error", "ErrorPath"), ("Cause", "CausePath")])
def test_fail_literal_and_path_are_exclusive(pair):
    assert one({"Type": "Fail", pair[0]: "x", pair[1]: "$.x"}) == svf(
        f"These fields cannot be used together: [{pair[0]}, {pair[1]}]")


def test_fail_paths_accept_paths_and_intrinsics():
    assert one({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('{}', $.c)"}) == []


def test_fail_path_must_be_a_path_or_intrinsic():
    assert one({"Type": "Fail", "ErrorPath": "oops"}) == must_be(
        "ErrorPath", "a valid JSONPath or a valid intrinsic function call")


def test_fail_error_must_be_a_string():
    assert one({"Type": "Fail", "Error": 5}) == must_be("Error", "a string")
