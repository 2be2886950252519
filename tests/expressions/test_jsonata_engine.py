"""The engine adapter over jsonata-python: parsing, results, errors and the internals it relies on."""

from __future__ import annotations

import random
from typing import Any

import pytest
from jsonata import jsonata as jsonata_module

from sfnlocal.expressions.jsonata_engine import (
    UNDEFINED,
    JsonataRuntimeError,
    JsonataSyntaxError,
    UnsupportedResult,
    compile_expression,
    random_bindings,
)


def engine(text: str, bindings: dict[str, Any] | None = None, now_ms: int | None = None) -> Any:
    """Evaluate through jsonata-python (never the fast form)."""
    return compile_expression(text)._evaluate_with_engine(bindings or {}, now_ms)


@pytest.mark.parametrize(("text", "code"), [("1 +", "S0207"), ("$x.", "S0207"), ("{'a' 1}", "S0202"),
                                            ("(", "S0203")])
def test_syntax_errors_carry_the_code(text: str, code: str):
    with pytest.raises(JsonataSyntaxError) as caught:
        compile_expression(text)
    assert caught.value.code == code and caught.value.message


def test_compiled_expressions_are_shared_by_text():
    assert compile_expression("$states.input") is compile_expression("$states.input")


def test_undefined_and_null_are_different():
    assert engine("$nothing") is UNDEFINED
    assert engine("null") is None
    assert engine("$x.a", {"x": {"a": None}}) is None


def test_engine_sequences_become_plain_lists():
    result = engine("$x.a", {"x": [{"a": 1}, {"a": [2, 3]}]})
    assert result == [1, 2, 3] and type(result) is list


def test_results_taken_from_the_input_are_not_copied():
    data = {"big": {"nested": [1, 2]}}
    assert engine("$x.big", {"x": data}) is data["big"]


def test_function_results_are_unsupported():
    with pytest.raises(UnsupportedResult):
        engine("function($v){$v}")
    with pytest.raises(UnsupportedResult):
        engine("[1, $string]")


def test_now_reads_the_given_clock():
    assert engine("$millis()", now_ms=1_700_000_000_123) == 1_700_000_000_123
    assert engine("$now()", now_ms=0) == "1970-01-01T00:00:00.000Z"
    compile_expression("1 + 2")  # compiling another expression must not change whose clock $now reads
    assert compile_expression("$millis()").evaluate({}, 42) == 42


def test_higher_order_functions_run_after_other_compilations():
    mapper = compile_expression("$map($x, function($v){$v * 2})")
    compile_expression("$filter([1], function($v){true})")
    assert mapper.evaluate({"x": [1, 2]}) == [2, 4]


def test_random_bindings_use_the_given_source():
    first = compile_expression("$random()").evaluate(random_bindings(random.Random(9)))
    assert first == random.Random(9).random()


def test_runtime_errors_keep_the_engine_code():
    with pytest.raises(JsonataRuntimeError) as caught:
        engine("$x + 1", {"x": "a"})
    assert caught.value.code == "T2001"
    assert caught.value.text == "T2001: The left side of the + operator must evaluate to a number"


def test_the_current_instance_is_the_evaluated_one():
    expression = compile_expression("$now()")
    compile_expression("'other'")
    expression.evaluate({}, 1000)
    assert jsonata_module.Jsonata.CURRENT.jsonata is expression.engine


def test_json_null_in_variables_and_input_is_null_not_undefined():
    # A variable or input field holding JSON null is null in JSONata ($type gives "null"),
    # not undefined; the engine must not read Python's None as "nothing".
    from sfnlocal.expressions.jsonata_engine import compile_expression

    expression = compile_expression("$type($states.input.a) & '/' & $type($v)")
    data = {"a": None}
    bindings = {"states": {"input": data}, "v": None}
    assert expression._evaluate_with_engine(bindings, None) == "null/null"
    assert data == {"a": None}  # the input is not changed in place
