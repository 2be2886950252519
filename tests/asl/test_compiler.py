import dataclasses

import pytest

from sfnlocal.asl import compile_definition
from sfnlocal.asl.compiler import compile_machine
from sfnlocal.asl.model import (
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    Pattern,
    QueryLanguage,
    TaskState,
    WaitState,
)
from sfnlocal.errors import InvalidDefinition
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata import JsonataValue
from sfnlocal.expressions.jsonpath import IDENTITY

CTX = EvalContext()


def machine(states, start="A", **top):
    return compile_machine({"StartAt": start, "States": states, **top})


def test_pass_fields_and_defaults():
    m = machine({"A": {"Type": "Pass", "Result": None, "ResultPath": "$.r", "End": True}})
    a = m.root.states["A"]
    assert isinstance(a, PassState)
    assert a.has_result and a.result is None
    assert a.input_path is IDENTITY and a.output_path is IDENTITY
    assert a.result_path.assign({"x": 1}, 2) == {"x": 1, "r": 2}
    assert a.end and a.next is None
    assert a.pointer == "/States/A"


def test_null_paths_compile_to_none():
    m = machine({"A": {"Type": "Pass", "InputPath": None, "OutputPath": None, "ResultPath": None,
                       "End": True}})
    a = m.root.states["A"]
    assert a.input_path is None and a.output_path is None and a.result_path is None


def test_model_is_frozen():
    m = machine({"A": {"Type": "Pass", "End": True}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.root.states["A"].next = "B"  # type: ignore[misc]
    with pytest.raises(TypeError):
        m.root.states["B"] = m.root.states["A"]  # type: ignore[index]


def test_task_retry_catch_defaults_and_values():
    m = machine({
        "A": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "f", "Payload.$": "$"},
            "TimeoutSecondsPath": "$.t", "HeartbeatSeconds": 5,
            "Retry": [{"ErrorEquals": ["X"]},
                      {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 0,
                       "BackoffRate": 1, "MaxDelaySeconds": 10, "JitterStrategy": "FULL"}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B", "ResultPath": "$.err"}],
            "End": True,
        },
        "B": {"Type": "Succeed"},
    })
    a = m.root.states["A"]
    assert isinstance(a, TaskState)
    assert a.resource.kind == "service" and a.resource.service == "lambda"
    assert a.resource.pattern is Pattern.WAIT_FOR_TASK_TOKEN
    assert a.resource.history_resource == "invoke.waitForTaskToken"
    first, second = a.retry
    assert (first.interval_seconds, first.max_attempts) == (1, 3)
    assert (first.backoff_rate, first.jitter) == (2.0, "NONE")
    assert first.max_delay_seconds is None
    assert (second.interval_seconds, second.max_attempts, second.backoff_rate) == (3, 0, 1.0)
    assert (second.max_delay_seconds, second.jitter) == (10, "FULL")
    (catcher,) = a.catch
    assert catcher.next == "B" and catcher.error_equals == ("States.ALL",)
    assert catcher.result_path.assign({}, {"Error": "e"}) == {"err": {"Error": "e"}}
    assert a.timeout_seconds is None and a.timeout_seconds_dynamic.evaluate({"t": 7}, CTX) == 7
    assert a.heartbeat_seconds == 5 and a.heartbeat_seconds_dynamic is None
    assert a.parameters.evaluate({"k": 1}, CTX) == {"FunctionName": "f", "Payload": {"k": 1}}


def test_direct_lambda_and_activity_resources():
    m = machine({
        "A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:fn:prod",
              "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:111111111111:activity:act", "End": True},
    })
    a, b = m.root.states["A"], m.root.states["B"]
    assert (a.resource.kind, a.resource.name, a.resource.region) == ("lambda", "fn:prod", "us-east-1")
    assert (b.resource.kind, b.resource.name, b.resource.account) == ("activity", "act", "111111111111")


def test_choice_rules_and_default():
    m = machine({
        "A": {"Type": "Choice", "Default": "C",
              "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "B"}]},
        "B": {"Type": "Succeed"}, "C": {"Type": "Succeed"},
    })
    a = m.root.states["A"]
    assert isinstance(a, ChoiceState)
    assert a.default == "C" and a.choices[0].next == "B"
    assert a.choices[0].condition.evaluate({"n": 2}, CTX) is True
    assert a.choices[0].condition.evaluate({"n": 1}, CTX) is False


def test_wait_forms():
    m = machine({
        "A": {"Type": "Wait", "Seconds": 3, "Next": "B"},
        "B": {"Type": "Wait", "TimestampPath": "$.ts", "End": True},
    })
    a, b = m.root.states["A"], m.root.states["B"]
    assert isinstance(a, WaitState) and a.seconds == 3 and a.seconds_path is None
    assert b.timestamp_path.evaluate({"ts": "x"}, CTX) == "x"


def test_fail_with_paths_and_intrinsic():
    m = machine({"A": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('c{}', $.n)"}})
    a = m.root.states["A"]
    assert isinstance(a, FailState) and a.end
    assert a.error_path.evaluate({"e": "E"}, CTX) == "E"
    assert a.cause_path.evaluate({"n": 1}, CTX) == "c1"


def test_parallel_and_map_blocks_and_all_states():
    m = machine({
        "P": {"Type": "Parallel", "Next": "M", "Branches": [
            {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True}}},
            {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": True}}},
        ]},
        "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
              "Parameters": {"v.$": "$$.Map.Item.Value"},
              "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}, "End": True},
    }, start="P")
    p, mp = m.root.states["P"], m.root.states["M"]
    assert isinstance(p, ParallelState) and [b.start_at for b in p.branches] == ["B1", "B2"]
    assert p.branches[1].pointer == "/States/P/Branches/1"
    assert p.branches[1].states["B2"].pointer == "/States/P/Branches/1/States/B2"
    assert isinstance(mp, MapState) and mp.mode == "INLINE" and mp.max_concurrency == 2
    assert mp.processor.pointer == "/States/M/Iterator"
    assert mp.items_path.evaluate({"items": [1]}, CTX) == [1]
    assert mp.item_selector is not None
    assert set(m.all_states) == {"P", "B1", "B2", "M", "I"}


def test_distributed_map_fields():
    m = machine({"M": {
        "Type": "Map", "Label": "lbl", "ToleratedFailurePercentage": 5, "ToleratedFailureCountPath": "$.c",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 10},
                       "Parameters": {"Bucket": "b", "Key": "k"}},
        "ItemBatcher": {"MaxItemsPerBatch": 3},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                          "StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
        "End": True}}, start="M")
    mp = m.root.states["M"]
    assert (mp.mode, mp.execution_type, mp.label) == ("DISTRIBUTED", "EXPRESS", "lbl")
    assert mp.tolerated_failure_percentage == 5.0
    assert mp.tolerated_failure_count_dynamic.evaluate({"c": 2}, CTX) == 2
    assert mp.item_reader.resource.action == "getObject" and mp.item_reader.max_items == 10
    assert mp.item_reader.reader_config["InputType"] == "CSV"
    assert mp.item_batcher.max_items_per_batch == 3


def test_jsonata_fields_and_inheritance_from_top_level():
    m = machine({
        "A": {"Type": "Pass", "Output": {"x": "{% $states.input.a %}"}, "Assign": {"v": 1}, "Next": "M"},
        "M": {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% $states.input.xs %}",
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}, "End": True},
    }, QueryLanguage="JSONata")
    a, mp = m.root.states["A"], m.root.states["M"]
    assert a.query_language is QueryLanguage.JSONATA and a.input_path is None
    assert isinstance(a.output, JsonataValue)
    assert a.output.expressions == (("Output/x", "$states.input.a"),)
    assert isinstance(a.assign, JsonataValue)
    assert mp.items.expressions == (("Items", "$states.input.xs"),)
    assert m.all_states["I"].query_language is QueryLanguage.JSONATA


def test_inner_states_inherit_top_level_language_not_the_enclosing_map():
    m = machine({
        "M": {"Type": "Map", "QueryLanguage": "JSONata",
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}, "End": True},
    }, start="M")
    assert m.all_states["M"].query_language is QueryLanguage.JSONATA
    assert m.all_states["I"].query_language is QueryLanguage.JSONPATH


def test_compile_definition_rejects_invalid():
    with pytest.raises(InvalidDefinition) as info:
        compile_definition({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nope"}}})
    assert any(d.code == "MISSING_TRANSITION_TARGET" for d in info.value.diagnostics)


def test_compile_definition_from_json_text():
    m = compile_definition('{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}')
    assert m.start_at == "A" and m.definition["StartAt"] == "A"


def test_jsonata_looking_strings_are_literals_in_jsonpath_states():
    # AWS accepts "{% 1 + %}" as a plain cause in a JSONPath Fail: only JSONata states evaluate it.
    m = machine({"A": {"Type": "Fail", "Error": "{% $x %}", "Cause": "{% 1 + %}"}})
    a = m.root.states["A"]
    assert (a.error, a.cause) == ("{% $x %}", "{% 1 + %}")


def test_jsonata_strings_are_expressions_in_jsonata_states():
    m = machine({"A": {"Type": "Wait", "Seconds": "{% 3 %}", "Next": "B"},
                 "B": {"Type": "Fail", "Cause": "{% 'c' %}"}}, QueryLanguage="JSONata")
    assert isinstance(m.root.states["A"].seconds, JsonataValue)
    assert isinstance(m.root.states["B"].cause, JsonataValue)
