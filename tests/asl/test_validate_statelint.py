"""The statelint bridge: which findings are kept, where they point, which false positives go."""

import pytest

from sfnlocal.asl.diagnostics import SCHEMA_VALIDATION_FAILED, Diagnostic
from sfnlocal.asl.statelint_bridge import statelint_diagnostics, translate

SVF = SCHEMA_VALIDATION_FAILED
LAMBDA = "arn:aws:states:::lambda:invoke"
PROCESSOR = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def one(state, **top):
    return {"StartAt": "S", "States": {"S": state}, **top}


def kept(definition, ours=()):
    return [(d.code, d.message, d.location) for d in statelint_diagnostics(definition, ours)]


def test_type_problem_becomes_a_diagnostic_at_the_field():
    definition = one({"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": "x", "End": True})
    assert kept(definition) == [
        (SVF, "The value for the field 'TimeoutSeconds' must be an integer",
         "/States/S/TimeoutSeconds")]


def test_state_names_with_dots_and_spaces_are_located():
    name = "My.State Name"
    definition = {"StartAt": name, "States": {name: {
        "Type": "Task", "Resource": LAMBDA, "End": True,
        "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": "x"}]}}}
    assert kept(definition) == [
        (SVF, "The value for the field 'MaxAttempts' must be an integer",
         "/States/My.State Name/Retry/0/MaxAttempts")]


def test_conflicting_fields_are_reported_at_the_state():
    definition = one({"Type": "Map", "ItemProcessor": PROCESSOR, "MaxConcurrency": 1,
                      "MaxConcurrencyPath": "$.m", "End": True})
    assert kept(definition) == [
        (SVF, "These fields cannot be used together: [MaxConcurrency, MaxConcurrencyPath]",
         "/States/S")]


def test_null_problem():
    assert kept(one({"Type": "Pass", "End": True, "Comment": None})) == [
        (SVF, "The value for the field 'Comment' must not be null", "/States/S/Comment")]


def test_findings_at_our_locations_are_dropped():
    definition = one({"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": "x", "End": True})
    ours = [Diagnostic(SVF, "ours", "/States/S/TimeoutSeconds")]
    assert kept(definition, ours) == []


def test_findings_below_our_locations_are_dropped():
    definition = one({"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": "x", "End": True})
    assert kept(definition, [Diagnostic(SVF, "ours", "/States/S")]) == []


def test_findings_elsewhere_are_kept():
    definition = one({"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": "x", "End": True})
    assert len(kept(definition, [Diagnostic(SVF, "ours", "/States/T")])) == 1


@pytest.mark.parametrize("definition", [
    one({"Type": "Task", "Resource": LAMBDA, "End": True,
         "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 2}]}),
    one({"Type": "Pass", "Assign": {"x": 1}, "End": True}),
    one({"Type": "Map", "End": True, "ItemProcessor": {
        **PROCESSOR, "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}},
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}},
        "Label": "L", "ToleratedFailurePercentage": 2.5}),
    one({"Type": "Map", "Iterator": {**PROCESSOR, "ProcessorConfig": {"Mode": "INLINE"}},
         "End": True}),
    one({"Type": "Choice", "Default": "S",
         "Choices": [{"Variable": "$v", "StringEqualsPath": "$answer", "Next": "S"}]}),
    one({"Type": "Fail", "CausePath": "$causeVar"}),
    one({"Type": "Map", "ItemProcessor": PROCESSOR, "ItemsPath": "$list", "End": True}),
    one({"Type": "Pass", "Parameters": {"r.$": "States.MathAdd($n, 1)"}, "End": True}),
    one({"Type": "Wait", "Timestamp": "{% $t %}", "End": True}, QueryLanguage="JSONata"),
    one({"Type": "Map", "ItemProcessor": PROCESSOR, "MaxConcurrency": "{% 1 %}",
         "ToleratedFailureCount": "{% 1 %}", "End": True}, QueryLanguage="JSONata"),
    one({"Type": "Choice", "Default": "S", "Choices": [{"Condition": True, "Next": "S"}]},
        QueryLanguage="JSONata"),
    one({"Type": "Map", "QueryLanguage": "JSONata", "End": True, "ItemProcessor": {
        "StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {}, "End": True}}}}),
])
def test_false_positives_are_dropped(definition):
    assert kept(definition) == []


@pytest.mark.parametrize("problem", [
    "No terminal state found in machine at State Machine.States",
    'Field "Foo" not allowed in State Machine.States.S',
    'State Machine.States.S.ResultPath is "$$.x" but should be a Reference Path',
    "State Machine.States.S.TimeoutSeconds is 0 but allowed floor is 0",
    "Problem reading/parsing JSON: oops",
])
def test_kinds_we_do_not_keep(problem):
    assert translate(one({"Type": "Pass", "End": True}), problem) is None


def test_statelint_failing_on_a_malformed_definition_adds_nothing():
    definition = {"StartAt": ["S"], "States": {"S": {"Type": "Pass", "End": True}}}
    assert kept(definition) == []
