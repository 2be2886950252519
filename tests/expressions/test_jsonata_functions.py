"""Step Functions' JSONata functions, as AWS documents them and as the recorded cases show them."""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

import pytest
from expression_cases import find_case

from sfnlocal.errors import EvaluationError
from sfnlocal.expressions.jsonata import JsonataScope, compile_jsonata_value
from sfnlocal.expressions.jsonata_functions import java_random_double

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def run(text: str, data: Any = None, rng: random.Random | None = None) -> Any:
    return compile_jsonata_value("{% " + text + " %}", "Output").evaluate_states({"input": data}, {}, rng)


def fails(text: str) -> str:
    with pytest.raises(EvaluationError) as caught:
        run(text)
    assert caught.value.error == "States.QueryEvaluationError"
    return caught.value.detail


# Recorded: $partition($states.input.FunctionInput.fst, ...snd) over these inputs.
@pytest.mark.parametrize(("array", "size", "expected"), [
    ([0], 1, [[0]]), ([0], 3, [[0]]), ([0, 1], 2, [[0, 1]]), ([0, 1], 4, [[0, 1]]),
    ([0, 1, 2], 1, [[0], [1], [2]]), ([0, 1, 2], 3, [[0, 1, 2]]), ([0, 1, 2], 5, [[0, 1, 2]]),
    ([0, 1, 2, 3], 2, [[0, 1], [2, 3]]), ([0, 1, 2, 3], 3, [[0, 1, 2], [3]]),
    ([0, 1, 2, 3], 5, [[0, 1, 2, 3]]),
])
def test_partition(array: list[int], size: int, expected: list[list[int]]):
    assert run("$partition($states.input.a, $states.input.n)", {"a": array, "n": size}) == expected


def test_partition_of_a_recorded_case():
    case = find_case("TestArrayJSONata::test_array_partition#exec_hist_resp_17")
    text = case["state_machine"]["definition"]["States"]["State_0"]["Output"][2:-2]
    assert run(text, case["execution"]["input"]) == case["expected"]["output_json"]


@pytest.mark.parametrize("size", [-1, 0, "2"])
def test_partition_needs_a_positive_size(size: Any):
    detail = fails(f"$partition([1, 2], {size!r})".replace("'", '"'))
    assert "threw an error during evaluation. : " in detail


# Recorded: (0, 9, 3) -> [0,3,6,9]; (0, 10, 3) -> [0,3,6,9]; (1, 9, 9) -> 1 (not [1]); (1, 9, 2).
@pytest.mark.parametrize(("args", "expected"), [
    ((0, 9, 3), [0, 3, 6, 9]), ((0, 10, 3), [0, 3, 6, 9]), ((1, 9, 9), 1), ((1, 9, 2), [1, 3, 5, 7, 9]),
])
def test_range(args: tuple[int, int, int], expected: Any):
    data = dict(zip(("fst", "snd", "trd"), args, strict=True))
    assert run("$range($states.input.fst, $states.input.snd, $states.input.trd)", data) == expected


def test_range_truncates_its_arguments_toward_zero():
    assert run("$range(0.9, 4.7, 2.2)") == [0, 2, 4]


def test_range_has_no_1000_item_cap():
    assert len(run("$range(1, 5000, 1)")) == 5000


def test_range_step_cannot_be_zero():
    assert "threw an error during evaluation." in fails("$range(1, 5, 0)")


@pytest.mark.parametrize(("algorithm", "name"), [
    ("MD5", "md5"), ("SHA-1", "sha1"), ("SHA-256", "sha256"), ("SHA-384", "sha384"), ("SHA-512", "sha512"),
])
def test_hash_is_a_lowercase_hex_digest(algorithm: str, name: str):
    expected = hashlib.new(name, b"input data").hexdigest()
    assert run(f"$hash($states.input, '{algorithm}')", "input data") == expected


def test_hash_rejects_other_algorithms():
    assert "threw an error during evaluation." in fails("$hash('x', 'SHA-3')")


# Recorded: $parse over these strings.
@pytest.mark.parametrize(("text", "expected"), [
    ("-0", 0), ("1", 1), ("1.1", 1.1), ("true", True), ('"HelloWorld"', "HelloWorld"),
    ('[1, 2, "HelloWorld"]', [1, 2, "HelloWorld"]), ('{"Arg1": 1, "Arg2": []}', {"Arg1": 1, "Arg2": []}),
])
def test_parse(text: str, expected: Any):
    result = run("$parse($states.input.FunctionInput)", {"FunctionInput": text})
    assert result == expected and type(result) is type(expected)


def test_parse_of_invalid_json_fails():
    assert "threw an error during evaluation." in fails("$parse('{')")


def test_random_is_between_zero_and_one_and_follows_the_execution_random_source():
    values = [run("$random()", rng=random.Random(7)) for _ in range(2)]
    assert values[0] == values[1] and 0 <= values[0] < 1


def test_random_with_a_seed_is_deterministic():
    first, second, _ = run("[$random(42), $random(42), $random(43)]")
    assert first == second and 0 <= first < 1
    assert run("$random(42)", rng=random.Random(1)) == run("$random(42)", rng=random.Random(2))


def test_java_random_double_matches_java():
    # new java.util.Random(42).nextDouble() == 0.7275636800328681 (JDK documented LCG)
    assert java_random_double(42) == pytest.approx(0.7275636800328681, abs=1e-15)


def test_uuid_is_a_v4_uuid_from_the_random_source():
    first = run("$uuid()", rng=random.Random(3))
    assert UUID4.match(first)
    assert run("$uuid()", rng=random.Random(3)) == first
    assert run("$uuid() = $uuid()", rng=random.Random(3)) is False


def test_one_scope_draws_new_values_each_call():
    scope = JsonataScope({"input": None}, {}, random.Random(5))
    value = compile_jsonata_value("{% $uuid() %}", "Output")
    assert value.evaluate_in(scope) != value.evaluate_in(scope)


def test_eval_is_not_available():
    assert fails("$eval('1 + 1')").endswith("threw an error during evaluation. "
                                          "T1006: Attempted to invoke a non-function")


def test_a_variable_may_still_be_called_eval():
    value = compile_jsonata_value("{% $eval %}", "Output")
    assert value.evaluate_states({"input": None}, {"eval": 5}) == 5
