"""Nested objects: Retry/Catch, Choice rules, Assign, Credentials, Parallel and Map parts."""

import pytest

from sfnlocal.asl.diagnostics import SCHEMA_VALIDATION_FAILED
from sfnlocal.asl.validate import validate

SVF = SCHEMA_VALIDATION_FAILED
LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:f"
PROCESSOR = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def machine(state, kind="STANDARD", **top):
    definition = {"StartAt": "S", "States": {"S": state, "T": {"Type": "Succeed"}}, **top}
    return [(d.code, d.message, d.location) for d in validate(definition, kind)]


def task(**fields):
    return {"Type": "Task", "Resource": LAMBDA, "Next": "T", **fields}


def svf(message, location="/States/S"):
    return [(SVF, message, location)]


def must_be(where, text):
    field = where.rsplit("/", 1)[-1]
    return svf(f"The value for the field '{field}' must be {text}", f"/States/S/{where}")


# --- Retry ------------------------------------------------------------------------------------

def test_valid_retriers():
    retry = [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 0,
              "BackoffRate": 1, "MaxDelaySeconds": 31622401, "JitterStrategy": "FULL",
              "Comment": "c"},
             {"ErrorEquals": ["States.ALL"], "BackoffRate": 1.5}]
    assert machine(task(Retry=retry)) == []


def test_retrier_requires_error_equals():
    assert machine(task(Retry=[{"MaxAttempts": 1}])) == svf(
        "These fields are required: [ErrorEquals]", "/States/S/Retry/0")


def test_error_equals_cannot_be_empty():
    assert machine(task(Retry=[{"ErrorEquals": []}])) == svf(
        "Value cannot be empty", "/States/S/Retry/0/ErrorEquals")


@pytest.mark.parametrize(("field", "value", "text"), [
    ("IntervalSeconds", 0, "an integer between 1 and 99999999"),
    ("MaxAttempts", -1, "an integer between 0 and 99999999"),
    ("BackoffRate", 0.5, "a number greater than or equal to 1.0"),
    ("MaxDelaySeconds", 31622402, "an integer between 1 and 31622401"),
    ("JitterStrategy", "HALF", "one of [FULL, NONE]"),
])
def test_retrier_field_ranges(field, value, text):
    retry = [{"ErrorEquals": ["E"], field: value}]
    assert machine(task(Retry=retry)) == must_be(f"Retry/0/{field}", text)


def test_unknown_retrier_field():
    assert machine(task(Retry=[{"ErrorEquals": ["E"], "ResultPath": "$.x"}])) == svf(
        "Field 'ResultPath' is not supported", "/States/S/Retry/0")


@pytest.mark.parametrize(("entries", "bad"), [
    ([{"ErrorEquals": ["States.ALL", "E"]}], 0),
    ([{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}], 0),
])
def test_states_all_alone_and_last_in_retry(entries, bad):
    assert machine(task(Retry=entries)) == svf(
        "'States.ALL' must appear alone in 'ErrorEquals' and only in the last retrier",
        f"/States/S/Retry/{bad}")


# --- Catch ------------------------------------------------------------------------------------

def test_valid_catchers():
    catch = [{"ErrorEquals": ["E"], "Next": "T", "ResultPath": "$.err", "Assign": {"v": 1}},
             {"ErrorEquals": ["States.ALL"], "Next": "T", "ResultPath": None}]
    assert machine(task(Catch=catch)) == []


def test_catcher_requires_next():
    assert machine(task(Catch=[{"ErrorEquals": ["E"]}])) == svf(
        "These fields are required: [Next]", "/States/S/Catch/0")


def test_states_all_not_last_in_catch():
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "T"}, {"ErrorEquals": ["E"], "Next": "T"}]
    assert machine(task(Catch=catch)) == svf(
        "'States.ALL' must appear alone in 'ErrorEquals' and only in the last catcher",
        "/States/S/Catch/0")


def test_jsonata_catcher_takes_output_not_result_path():
    catch = [{"ErrorEquals": ["E"], "Next": "T", "ResultPath": "$.e"}]
    assert machine(task(Catch=catch), QueryLanguage="JSONata") == svf(
        "The QueryLanguage is set to 'JSONata', but field 'ResultPath' is only supported for the "
        "'JSONPath' QueryLanguage", "/States/S/Catch/0")
    catch = [{"ErrorEquals": ["E"], "Next": "T", "Output": "{% $states.errorOutput %}"}]
    assert machine(task(Catch=catch), QueryLanguage="JSONata") == []


# --- Credentials ------------------------------------------------------------------------------

@pytest.mark.parametrize("credentials", [{"RoleArn": "arn:aws:iam::1:role/r"},
                                         {"RoleArn.$": "$.role"}])
def test_valid_credentials(credentials):
    assert machine(task(Credentials=credentials)) == []


@pytest.mark.parametrize("credentials", [{}, {"InvalidField": "invalid"}])
def test_credentials_need_role_arn(credentials):
    assert machine(task(Credentials=credentials)) == svf(
        "The field 'RoleArn' is required but was missing", "/States/S/Credentials")


def test_credentials_role_arn_path_must_be_valid():
    assert machine(task(Credentials={"RoleArn.$": "role"})) == svf(
        "The value for the field 'RoleArn.$' must be a valid JSONPath or a valid intrinsic "
        "function call", "/States/S/Credentials")


# --- Assign and variable names ----------------------------------------------------------------

def test_valid_variable_names():
    assign = {"x": 1, "_y": 2, "café": 3, "z.$": "$.z", "a" * 80: 4}
    assert machine({"Type": "Pass", "Assign": assign, "Next": "T"}) == []


@pytest.mark.parametrize("name", ["x.y", "x[2]", "states", "1abc", "a b", "a" * 81])
def test_invalid_variable_names(name):
    assert machine({"Type": "Pass", "Assign": {name: 1}, "Next": "T"}) == svf(
        f"Invalid variable name: '{name}'", "/States/S/Assign")


def test_jsonpath_assign_values_are_templates():
    assert machine({"Type": "Pass", "Assign": {"x.$": "bad"}, "Next": "T"}) == svf(
        "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function "
        "call", "/States/S/Assign")


def test_assign_not_allowed_in_succeed():
    definition = {"StartAt": "S", "States": {"S": {"Type": "Succeed", "Assign": {"x": 1}}}}
    assert [(d.message, d.location) for d in validate(definition)] == [
        ("Field 'Assign' is not supported", "/States/S")]


# --- Choice -----------------------------------------------------------------------------------

def choice(*rules, **fields):
    return {"Type": "Choice", "Choices": list(rules), **fields}


def test_valid_jsonpath_choice_rules():
    rules = [
        {"Variable": "$.n", "NumericLessThan": 3, "Next": "T"},
        {"Variable": "$var", "StringMatches": "a*", "Next": "T", "Assign": {"x": 1}},
        {"Variable": "$.t", "TimestampEquals": "2016-03-14T01:59:00Z", "Next": "T"},
        {"Variable": "$.a", "NumericEqualsPath": "$.b", "Next": "T"},
        {"And": [{"Variable": "$.a", "IsPresent": True}, {"Not": {"Variable": "$.b",
                                                                    "BooleanEquals": False}}],
         "Next": "T"},
    ]
    assert machine(choice(*rules, Default="T")) == []


def test_valid_jsonata_choice_rule():
    rule = {"Condition": "{% $states.input.a > 1 %}", "Next": "T", "Output": 1}
    assert machine(choice(rule, {"Condition": True, "Next": "T"}), QueryLanguage="JSONata") == []


def test_choices_cannot_be_empty():
    assert machine(choice(Default="T")) == svf("Value cannot be empty", "/States/S/Choices")


def test_choices_are_required():
    assert machine({"Type": "Choice", "Default": "T"}) == svf(
        "These fields are required: [Choices]")


def test_top_rule_needs_next():
    assert machine(choice({"Variable": "$.a", "IsNull": True})) == svf(
        "These fields are required: [Next]", "/States/S/Choices/0")


def test_nested_rule_may_not_have_next():
    rule = {"Not": {"Variable": "$.a", "IsNull": True, "Next": "T"}, "Next": "T"}
    assert machine(choice(rule)) == svf("Field 'Next' is not supported", "/States/S/Choices/0/Not")


def test_variable_needs_exactly_one_operator():
    message = "A rule with 'Variable' must have exactly one comparison operator"
    assert machine(choice({"Variable": "$.a", "Next": "T"})) == svf(
        message, "/States/S/Choices/0")
    assert machine(choice({"Variable": "$.a", "IsNull": True, "IsString": True, "Next": "T"})) == (
        svf(message, "/States/S/Choices/0"))


def test_operator_needs_variable():
    assert machine(choice({"IsNull": True, "Next": "T"})) == svf(
        "These fields are required: [Variable]", "/States/S/Choices/0")


def test_rule_needs_a_condition():
    assert machine(choice({"Next": "T"})) == svf(
        "A rule must have either 'Variable' and a comparison operator or exactly one of "
        "[And, Or, Not]", "/States/S/Choices/0")


@pytest.mark.parametrize(("operator", "value", "text"), [
    ("StringEquals", 1, "a string"),
    ("NumericEquals", "1", "a number"),
    ("NumericEquals", True, "a number"),
    ("BooleanEquals", "true", "a boolean"),
    ("IsPresent", 1, "a boolean"),
    ("StringEqualsPath", "$.a[*]", "a valid Reference Path"),
])
def test_operand_types(operator, value, text):
    rule = {"Variable": "$.a", operator: value, "Next": "T"}
    assert machine(choice(rule)) == must_be(f"Choices/0/{operator}", text)


def test_timestamp_operand_must_be_rfc3339():
    rule = {"Variable": "$.a", "TimestampLessThan": "yesterday", "Next": "T"}
    assert machine(choice(rule)) == svf(
        "String does not match RFC3339 timestamp", "/States/S/Choices/0/TimestampLessThan")


def test_and_cannot_be_empty():
    assert machine(choice({"And": [], "Next": "T"})) == svf(
        "Value cannot be empty", "/States/S/Choices/0/And")


def test_jsonata_rule_needs_condition():
    assert machine(choice({"Next": "T"}), QueryLanguage="JSONata") == svf(
        "These fields are required: [Condition]", "/States/S/Choices/0")


def test_jsonpath_operators_in_jsonata_rule():
    rule = {"Condition": True, "Variable": "$.a", "Next": "T"}
    assert machine(choice(rule), QueryLanguage="JSONata") == svf(
        "The QueryLanguage is set to 'JSONata', but field 'Variable' is only supported for the "
        "'JSONPath' QueryLanguage", "/States/S/Choices/0")


def test_condition_in_jsonpath_rule():
    rule = {"Condition": True, "Next": "T"}
    assert machine(choice(rule)) == svf(
        "The QueryLanguage is set to 'JSONPath', but field 'Condition' is only supported for the "
        "'JSONata' QueryLanguage", "/States/S/Choices/0") + svf(
        "A rule must have either 'Variable' and a comparison operator or exactly one of "
        "[And, Or, Not]", "/States/S/Choices/0")


# --- Parallel ---------------------------------------------------------------------------------

def test_parallel_branches_cannot_be_empty():
    assert machine({"Type": "Parallel", "Branches": [], "Next": "T"}) == svf(
        "Value cannot be empty", "/States/S/Branches")


def test_parallel_branch_requires_states_and_start_at():
    assert machine({"Type": "Parallel", "Branches": [{"Comment": "c"}], "Next": "T"}) == svf(
        "These fields are required: [States, StartAt]", "/States/S/Branches/0")


def test_parallel_branch_rejects_unknown_fields():
    branch = {**PROCESSOR, "ProcessorConfig": {}}
    assert machine({"Type": "Parallel", "Branches": [branch], "Next": "T"}) == svf(
        "Field 'ProcessorConfig' is not supported", "/States/S/Branches/0")


# --- Map --------------------------------------------------------------------------------------

def test_valid_inline_maps():
    assert machine({"Type": "Map", "ItemProcessor": PROCESSOR, "ItemsPath": "$.items",
                    "ItemSelector": {"v.$": "$$.Map.Item.Value"}, "MaxConcurrency": 0,
                    "Next": "T"}) == []
    assert machine({"Type": "Map", "Iterator": {**PROCESSOR, "ProcessorConfig": {}},
                    "Parameters": {"a": 1}, "Next": "T"}) == []


def test_valid_distributed_map():
    state = {
        "Type": "Map", "Label": "my-label_1", "Next": "T",
        "ItemProcessor": {**PROCESSOR, "ProcessorConfig": {"Mode": "DISTRIBUTED",
                                                           "ExecutionType": "EXPRESS"}},
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW",
                                        "MaxItems": 10},
                       "Parameters": {"Bucket.$": "$.bucket", "Key": "k"}},
        "ItemBatcher": {"MaxItemsPerBatch": 10, "BatchInput": {"a.$": "$.a"}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": "b", "Prefix": "p"}},
        "ToleratedFailurePercentage": 12.5, "ToleratedFailureCount": 3,
    }
    assert machine(state) == []


def test_map_needs_a_processor():
    assert machine({"Type": "Map", "Next": "T"}) == svf(
        "These fields are required: [ItemProcessor]")


@pytest.mark.parametrize("pair", [
    ("ItemProcessor", "Iterator"), ("ItemSelector", "Parameters"),
    ("MaxConcurrency", "MaxConcurrencyPath"),
    ("ToleratedFailureCount", "ToleratedFailureCountPath"),
    ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
])
def test_map_exclusive_fields(pair):
    values = {"ItemProcessor": PROCESSOR, "Iterator": PROCESSOR, "ItemSelector": {},
              "Parameters": {}, "MaxConcurrency": 1, "ToleratedFailureCount": 1,
              "ToleratedFailurePercentage": 1}
    state = {"Type": "Map", "ItemProcessor": PROCESSOR, "Next": "T"}
    state.update({name: values.get(name, "$.p") for name in pair})
    found = machine(state)
    assert (SVF, f"These fields cannot be used together: [{pair[0]}, {pair[1]}]",
            "/States/S") in found


def test_map_timeout_is_not_supported():
    assert machine({"Type": "Map", "ItemProcessor": PROCESSOR, "TimeoutSeconds": 5,
                    "Next": "T"}) == svf("Field 'TimeoutSeconds' is not supported")


def test_distributed_map_needs_execution_type():
    processor = {**PROCESSOR, "ProcessorConfig": {"Mode": "DISTRIBUTED"}}
    assert machine({"Type": "Map", "ItemProcessor": processor, "Next": "T"}) == svf(
        "These fields are required: [ExecutionType]", "/States/S/ItemProcessor/ProcessorConfig")


def test_processor_mode_must_be_known():
    processor = {**PROCESSOR, "ProcessorConfig": {"Mode": "PARALLEL"}}
    assert machine({"Type": "Map", "ItemProcessor": processor, "Next": "T"}) == must_be(
        "ItemProcessor/ProcessorConfig/Mode", "one of [INLINE, DISTRIBUTED]")


def test_processor_may_not_set_query_language():
    processor = {**PROCESSOR, "QueryLanguage": "JSONata"}
    assert machine({"Type": "Map", "ItemProcessor": processor, "Next": "T"}) == svf(
        "Field 'QueryLanguage' is not supported", "/States/S/ItemProcessor")


def test_map_items_only_in_jsonata():
    state = {"Type": "Map", "ItemProcessor": PROCESSOR, "Items": [1, 2], "Next": "T"}
    assert machine(state) == svf(
        "The QueryLanguage is set to 'JSONPath', but field 'Items' is only supported for the "
        "'JSONata' QueryLanguage")
    assert machine(state, QueryLanguage="JSONata") == []


def test_tolerated_failure_percentage_range():
    state = {"Type": "Map", "ItemProcessor": PROCESSOR, "ToleratedFailurePercentage": 101,
             "Next": "T"}
    assert machine(state) == must_be("ToleratedFailurePercentage", "a number between 0 and 100")


def test_item_reader_requires_resource():
    state = {"Type": "Map", "ItemProcessor": PROCESSOR, "ItemReader": {}, "Next": "T"}
    assert machine(state) == svf("These fields are required: [Resource]", "/States/S/ItemReader")


def test_reader_config_input_type():
    reader = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "XML"}}
    state = {"Type": "Map", "ItemProcessor": PROCESSOR, "ItemReader": reader, "Next": "T"}
    assert machine(state) == must_be("ItemReader/ReaderConfig/InputType",
                                     "one of [CSV, JSON, JSONL, MANIFEST, PARQUET]")


def test_item_batcher_needs_a_limit():
    state = {"Type": "Map", "ItemProcessor": PROCESSOR, "ItemBatcher": {"BatchInput": {}},
             "Next": "T"}
    assert machine(state) == svf(
        "One of these fields is required: [MaxItemsPerBatch, MaxItemsPerBatchPath, "
        "MaxInputBytesPerBatch, MaxInputBytesPerBatchPath]", "/States/S/ItemBatcher")


def test_result_writer_rejects_unknown_fields():
    state = {"Type": "Map", "ItemProcessor": PROCESSOR, "ResultWriter": {"Bucket": "b"},
             "Next": "T"}
    assert machine(state) == svf("Field 'Bucket' is not supported", "/States/S/ResultWriter")


LABEL_TEXT = ("a string of at most 40 characters without whitespace, brackets, wildcards, "
              "special or control characters")


@pytest.mark.parametrize("label", ["x" * 41, "a b", "a:b", "a{", "a*", "a\x01", "a\x85", "a\t",
                                   "a/b", 5])
def test_invalid_labels(label):
    state = {"Type": "Map", "ItemProcessor": PROCESSOR, "Label": label, "Next": "T"}
    assert machine(state) == must_be("Label", LABEL_TEXT)


@pytest.mark.parametrize("label", ["x" * 40, "label-1_é", "MyLabel"])
def test_valid_labels(label):
    assert machine({"Type": "Map", "ItemProcessor": PROCESSOR, "Label": label, "Next": "T"}) == []
