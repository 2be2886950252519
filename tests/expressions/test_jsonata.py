"""JsonataValue: compiled once, evaluated with $states and variables, failing in AWS's words.

Expected values follow AWS's documented behaviour (checklist §3.2, §5, §9) and the recorded causes.
"""

from __future__ import annotations

import random
from collections import ChainMap
from typing import Any

import pytest
from jsonata import parser as jsonata_parser

from sfnlocal.errors import EvaluationError
from sfnlocal.expressions import jsonata_engine
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata import (
    JsonataScope,
    JsonataSyntaxError,
    compile_jsonata_value,
    is_jsonata_string,
)

QUERY = "States.QueryEvaluationError"


def evaluate(raw: Any, data: Any = None, variables: dict[str, Any] | None = None, field: str = "Output",
             **states: Any) -> Any:
    return compile_jsonata_value(raw, field).evaluate_states({"input": data, **states}, variables or {})


def failure(raw: Any, field: str = "Output", data: Any = None, **states: Any) -> EvaluationError:
    with pytest.raises(EvaluationError) as caught:
        evaluate(raw, data, field=field, **states)
    assert caught.value.error == QUERY
    return caught.value


# -- what is an expression -------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("{% $x %}", True), ("{%$x%}", True), (" {% $x %}", False), ("{% $x %} ", False), ("$x", False),
    ("{%", False), (1, False), (None, False),
])
def test_only_exact_braces_make_an_expression(value: Any, expected: bool):
    assert is_jsonata_string(value) is expected


def test_literals_are_returned_as_written():
    raw = {"null": None, "n": 0.1, "s": " {% states.input %} ", "p": "$states.input", "l": [[], {}],
           "jp.$": "$"}
    value = compile_jsonata_value(raw, "Output")
    assert value.is_constant and value.expressions == ()
    assert value.evaluate_states({"input": {"a": 1}}) == raw


@pytest.mark.parametrize("raw", [True, 0, 0.1, None, "string literal", []])
def test_any_json_value_can_be_an_output(raw: Any):
    assert evaluate(raw, {"input_value": "x"}) == raw


def test_nested_expressions_are_evaluated_in_place():
    raw = {"const": 1, "expr": "{% $states.input.a + 1 %}", "list": [None, "{% $states.input %}",
           {"key": "{% true %}"}], "deep": {"x": {"y": "{% $v %}"}}}
    result = evaluate(raw, {"a": 1}, {"v": "var"})
    assert result == {"const": 1, "expr": 2, "list": [None, {"a": 1}, {"key": True}],
                      "deep": {"x": {"y": "var"}}}


def test_expressions_and_their_field_paths_are_listed():
    raw = {"a": "{% $x %}", "b": [1, "{%  $y  %}"], "c": {"d": "{% $z %}"}}
    value = compile_jsonata_value(raw, "Arguments")
    assert value.expressions == (("Arguments/a", "$x"), ("Arguments/b[1]", "$y"), ("Arguments/c/d", "$z"))


def test_each_expression_is_parsed_once_at_compile_time(monkeypatch: pytest.MonkeyPatch):
    value = compile_jsonata_value({"a": "{% $states.input.a & 'x' %}", "b": "{% $count([1]) %}"}, "Output")
    def no_parsing(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("parsed at evaluation time")

    monkeypatch.setattr(jsonata_parser.Parser, "parse", no_parsing)
    monkeypatch.setattr(jsonata_engine, "compile_expression", no_parsing)
    for n in range(3):
        assert value.evaluate_states({"input": {"a": str(n)}}) == {"a": f"{n}x", "b": 1}


def test_a_syntax_error_is_raised_when_compiling():
    with pytest.raises(JsonataSyntaxError) as caught:
        compile_jsonata_value({"a": "{% 1 + %}"}, "Output")
    assert caught.value.code == "S0207"


# -- $states and variables -------------------------------------------------------------------------


def test_states_members_are_what_the_caller_gives():
    raw = {"i": "{% $states.input.n %}", "r": "{% $states.result.v %}",
           "e": "{% $states.errorOutput.Error %}"}
    states = {"input": {"n": 1}, "result": {"v": 2}, "errorOutput": {"Error": "E", "Cause": "c"}}
    assert compile_jsonata_value(raw, "Output").evaluate_states(states) == {"i": 1, "r": 2, "e": "E"}


def test_a_member_not_given_is_undefined():
    error = failure("{% $states.result %}")
    assert error.detail.endswith("returned nothing (undefined).")


def test_variables_are_dollar_names():
    # AWS example: Assign {"theAnswer": 18, "oldAnswer": "{% $theAnswer %}"} after theAnswer = 42
    assert evaluate({"theAnswer": 18, "oldAnswer": "{% $theAnswer %}"}, {}, {"theAnswer": 42}) == {
        "theAnswer": 18, "oldAnswer": 42}


def test_an_assignment_inside_an_expression_does_not_leak_into_the_scope():
    value = compile_jsonata_value({"a": "{% ($v := 5; $v) %}", "b": "{% $v %}"}, "Output")
    assert value.evaluate_states({"input": {}}, {"v": 1}) == {"a": 5, "b": 1}


def test_context_comes_from_the_eval_context_only_when_read():
    built: list[int] = []

    def context() -> dict[str, Any]:
        built.append(1)
        return {"State": {"Name": "S"}, "Map": {"Item": {"Index": 2, "Value": "v"}}}

    ctx = EvalContext(variables={"x": 1}, context_factory=context)
    plain = compile_jsonata_value({"x": "{% $x %}", "i": "{% $states.input %}"}, "ItemSelector")
    assert plain.evaluate({"a": 1}, ctx) == {"x": 1, "i": {"a": 1}}
    assert built == []
    reads = compile_jsonata_value({"v": "{% $states.context.Map.Item.Value %}"}, "ItemSelector")
    assert reads.evaluate({"a": 1}, ctx) == {"v": "v"}
    assert built == [1]


def test_evaluate_like_a_template_takes_result_and_error_output():
    ctx = EvalContext(variables={"v": 3})
    value = compile_jsonata_value("{% $states.result + $v %}", "Output")
    assert value.evaluate({"in": 1}, ctx, result=4) == 7
    catcher = compile_jsonata_value("{% $states.errorOutput.Cause %}", "Catch[0]/Output")
    assert catcher.evaluate({}, ctx, error_output={"Error": "E", "Cause": "why"}) == "why"


def test_a_scope_serves_every_field_of_a_state():
    scope = JsonataScope({"input": {"n": 2}}, {"k": 10}, random.Random(1))
    output = compile_jsonata_value({"sum": "{% $states.input.n + $k %}"}, "Output")
    assign = compile_jsonata_value({"x": "{% $k * 2 %}"}, "Assign")
    assert output.evaluate_in(scope) == {"sum": 12}
    assert assign.evaluate_in(scope) == {"x": 20}


def test_the_input_is_never_modified():
    data = {"items": [3, 1, 2], "obj": {"a": None}}
    raw = {"s": "{% $sort($states.input.items) %}", "r": "{% $reverse($states.input.items) %}",
           "m": "{% $merge([$states.input.obj, {'b': null}]) %}",
           "a": "{% $append($states.input.items, 4) %}"}
    result = evaluate(raw, data)
    assert data == {"items": [3, 1, 2], "obj": {"a": None}}
    assert result == {"s": [1, 2, 3], "r": [2, 1, 3], "m": {"a": None, "b": None}, "a": [3, 1, 2, 4]}


def test_null_results_are_json_null_inside_results():
    assert evaluate("{% {'a': null, 'b': [null, 1]} %}") == {"a": None, "b": [None, 1]}


# -- JSONata semantics AWS shows -------------------------------------------------------------------


@pytest.mark.parametrize(("text", "data", "expected"), [
    ("$states.input.a", {"a": [1]}, [1]),
    ("$states.input.a.b", {"a": [{"b": 1}]}, 1),  # singleton sequences collapse
    ("$states.input.a.b", {"a": [{"b": 1}, {"b": 2}]}, [1, 2]),
    ("$sum($states.input.input_values) + 1", {"input_values": [1, 2, 3]}, 7),
    ("$contains('hello$world', /^hello\\$/)", {}, True),
    ("$not($states.input.type = 'Private')", {"type": "Private"}, False),
    ("$states.input.value >= 20 and $states.input.value < 30", {"value": 22}, True),
    ("$number('2')", {}, 2),
    ("[1, 'two', 3]", {}, [1, "two", 3]),
    ("$variable := 1", {}, 1),
])
def test_jsonata_semantics(text: str, data: Any, expected: Any):
    assert evaluate("{% " + text + " %}", data) == expected


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "field", "location"), [
    ("{% $doesNotExist %}", "Arguments", "Arguments"),
    ({"FunctionName": "{% $doesNotExist %}"}, "Arguments", "Arguments/FunctionName"),
    ({"result": "{% $doesNotExist %}"}, "Assign", "Assign/result"),
    ({"result": "{% $doesNotExist %}"}, "Output", "Output/result"),
    ([1, {"a": ["{% $doesNotExist %}"]}], "Items", "Items[1]/a[0]"),
    ("{% $doesNotExist %}", "Choices[1]/Condition", "Choices[1]/Condition"),
])
def test_undefined_results_fail_with_the_field_path(raw: Any, field: str, location: str):
    error = failure(raw, field)
    assert error.location == location
    assert error.detail == (f"The JSONata expression '$doesNotExist' specified for the field '{location}' "
                            "returned nothing (undefined).")


def test_the_state_prefix_is_added_by_the_state():
    error = failure({"result": "{% $doesNotExist %}"})
    assert error.at("State2", 6).cause == (
        "An error occurred while executing the state 'State2' (entered at the event id #6). The JSONata "
        "expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined).")


@pytest.mark.parametrize(("text", "code_and_message"), [
    ("$eval('1')", "T1006: Attempted to invoke a non-function"),
    ("'a' + 1", "T2001: The left side of the + operator must evaluate to a number"),
    ("$number('abc')", 'D3030: Unable to cast value to a number: "abc"'),
    ("1 / 0", "D1001: Number out of range: Infinity"),
])
def test_engine_errors_are_quoted_with_their_code(text: str, code_and_message: str):
    error = failure("{% " + text + " %}", "Output")
    assert error.detail == (f"The JSONata expression '{text}' specified for the field 'Output' threw an "
                            f"error during evaluation. {code_and_message}")


def test_a_function_result_is_an_unsupported_result_type():
    # recorded: Items "{% $fn := function($x){$x} %}"
    error = failure("{% $fn := function($x){$x} %}", "Items")
    assert error.detail == ("The JSONata expression '$fn := function($x){$x}' specified for the field "
                            "'Items' returned an unsupported result type.")


def test_a_function_inside_a_result_is_unsupported_too():
    error = failure({"a": "{% {'f': function($x){$x}} %}"})
    assert error.detail.endswith("returned an unsupported result type.")


def test_scope_variables_from_a_chain_of_scopes_inner_first() -> None:
    # A Map iteration's view: its own scope first, then the enclosing one (checklist §5, Scopes).
    variables = ChainMap({"x": 1}, {"x": 2, "y": 3})
    value = compile_jsonata_value("{% [$x, $y, $states.input] %}", "Output")
    assert value.evaluate_in(JsonataScope({"input": 4}, variables)) == [1, 3, 4]
    assert variables.maps == [{"x": 1}, {"x": 2, "y": 3}]  # not modified
