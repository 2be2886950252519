"""Intrinsic functions: parsing (checklist §8.1), the 18 functions (§8.2) and AWS-recorded cases.

The golden tests read the conformance cases recorded against AWS from ../shared/conformance/cases
(never copied here): a Fail state with intrinsic ErrorPath/CausePath, and Assign blocks whose
recorded ``assignedVariables`` show the results. Single-state Pass machines whose Parameters call
intrinsics are replayed in test_templates.py.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from expression_cases import UUID4, find_case, matches

from sfnlocal.errors import EvaluationError
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.intrinsics import MAX_NESTING, Call, IntrinsicSyntaxError, parse_intrinsic
from sfnlocal.expressions.jsonpath import Path as JsonPath
from sfnlocal.expressions.templates import compile_template


def run(text: str, data: Any = None, ctx: EvalContext | None = None) -> Any:
    return parse_intrinsic(text).evaluate(data, ctx or EvalContext(rng=random.Random(7)))


def failure(text: str, data: Any = None) -> EvaluationError:
    with pytest.raises(EvaluationError) as info:
        run(text, data)
    return info.value


def intrinsic_failure(text: str, data: Any = None) -> str:
    error = failure(text, data)
    assert error.error == "States.IntrinsicFailure"
    name = text.split("(", 1)[0]
    assert error.detail.startswith(f"Invalid arguments in {name}: ")
    return error.detail


def invalid(text: str) -> str:
    with pytest.raises(IntrinsicSyntaxError) as info:
        parse_intrinsic(text)
    return str(info.value)


# -- AWS-recorded cases ---------------------------------------------------------------------------


def test_recorded_fail_state_error_and_cause_paths() -> None:
    case = find_case("test_state_fail_intrinsic")
    state = case["state_machine"]["definition"]["States"]["FailState"]
    data = case["execution"]["input"]
    assert run(state["ErrorPath"], data) == case["expected"]["error"]
    assert run(state["CausePath"], data) == case["expected"]["cause"]


def test_recorded_assign_from_intrinsics() -> None:
    case = find_case("test_assign_from_value[BASE_ASSIGN_FROM_INTRINSIC_FUNCTION]")
    state = case["state_machine"]["definition"]["States"]["State0"]
    exited = [e for e in case["expected"]["history"] if "stateExitedEventDetails" in e]
    expected = exited[0]["stateExitedEventDetails"]["assignedVariables"]
    actual = compile_template(state["Assign"], "Assign").evaluate(state["Result"], EvalContext())
    assert matches(expected, actual)


def test_recorded_intrinsics_over_variables() -> None:
    case = find_case("test_reference_assign[BASE_REFERENCE_IN_INTRINSIC_FUNCTION]")
    states = case["state_machine"]["definition"]["States"]
    variables = states["State0"]["Assign"]
    template = compile_template(states["State1"]["Parameters"], "Parameters")
    actual = template.evaluate({}, EvalContext(variables=variables))
    assert matches(case["expected"]["output_json"], actual)


@pytest.mark.parametrize(
    ("low", "high"), [(12.5, 44.51), (9999, 99999), (-99999, -9999)], ids=["round", "big", "neg"]
)
def test_recorded_math_random_ranges(low: float, high: float) -> None:
    # The recordings hide the number; the range is the documented one: [round(low), round(high)).
    start, end = int(low + 0.5), int(high + 0.5)
    for seed in range(50):
        value = run(f"States.MathRandom({low}, {high})", ctx=EvalContext(rng=random.Random(seed)))
        assert isinstance(value, int)
        assert start <= value < end


def test_recorded_nested_calls_on_a_dashed_name() -> None:
    ctx = EvalContext(context={"StateMachine": {"Name": "alpha-beta-gamma"}})
    first = "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)"
    last = (
        "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), "
        "States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))"
    )
    assert run(first, ctx=ctx) == "alpha"
    assert run(last, ctx=ctx) == "gamma"


# -- parsing --------------------------------------------------------------------------------------


def test_call_structure() -> None:
    call = parse_intrinsic("States.Format('a{}b', $.x, States.Array(1, 'two', null))")
    assert call.name == "States.Format"
    assert call.text == "States.Format('a{}b', $.x, States.Array(1, 'two', null))"
    assert call.args[0] == "a{}b"
    assert isinstance(call.args[1], JsonPath)
    assert isinstance(call.args[2], Call)
    assert call.args[2].args == (1, "two", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "States.Array(1, -2, 3.5, -0.5, 1e3, 2E-2, 1.5e+1)",
            [1, -2, 3.5, -0.5, 1000.0, 0.02, 15.0],
        ),
        ("States.Array(true, false, null)", [True, False, None]),
        ("States.Array('', 'a b', 'it\\'s')", ["", "a b", "it's"]),
        ("States.Array('\\{', '\\}', '\\\\')", ["{", "}", "\\"]),
        ("States.Array()", []),
        ("States.Array( 1 ,\t2\n, 3 )", [1, 2, 3]),
        ("States.Array('a,b', 'c)d', '$.x')", ["a,b", "c)d", "$.x"]),
    ],
)
def test_literals(text: str, expected: Any) -> None:
    result = run(text)
    assert result == expected
    assert [type(v) for v in result] == [type(v) for v in expected]


def test_a_literal_newline_inside_a_string_is_fine() -> None:
    assert run("States.StringSplit('Hello\nWorld', '\n')") == ["Hello", "World"]


@pytest.mark.parametrize(
    "text",
    [
        "States.Format('\\n')",
        "States.Format('a\\\"b')",
        "States.Format('\\')",
        "States.Format('unterminated)",
        'States.Format("double quotes")',
    ],
)
def test_bad_string_literals(text: str) -> None:
    invalid(text)


@pytest.mark.parametrize(
    "text",
    [
        "States.Nope()",
        "States.format('x')",
        "Format('x')",
        "States.Array(1)[0]",
        "States.Array(1) States.Array(2)",
        "States.Array(1,)",
        "States.Array(,1)",
        "States.Array(1 2)",
        "States.Array(tru)",
        "States.Array(nullx)",
        "States.Array(1",
        "States.Array(01x)",
        "States.Array($.a b)",
        "States.Array($.)",
        "States.Array",
    ],
)
def test_malformed_calls(text: str) -> None:
    invalid(text)


def test_unknown_function_is_named() -> None:
    assert "States.Nope" in invalid("States.Nope(1)")


@pytest.mark.parametrize(
    "text",
    [
        "States.UUID(1)",
        "States.ArrayLength()",
        "States.ArrayLength($.a, $.b)",
        "States.MathAdd(1)",
        "States.MathRandom(1)",
        "States.MathRandom(1, 2, 3, 4)",
        "States.JsonMerge($.a, $.b)",
        "States.ArrayRange(1, 2)",
        "States.Format()",
        "States.Hash('x')",
    ],
)
def test_wrong_number_of_arguments_is_rejected_when_parsed(text: str) -> None:
    invalid(text)


def nest(depth: int) -> str:
    return "States.Array(" * depth + ")" * depth


def test_nesting_limit() -> None:
    assert MAX_NESTING == 10
    assert run(nest(10)) == [[[[[[[[[[]]]]]]]]]]
    assert "nested" in invalid(nest(11))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Array($)", [{"a": [1, 2], "s": "x, y)"}]),
        ("States.Array($.a[0], $.a[-1])", [1, 2]),
        ("States.Array($['s'])", ["x, y)"]),
        ("States.Array($.a[?(@ > 1)])", [[2]]),
        ("States.Array($.a[*], $.s)", [[1, 2], "x, y)"]),
    ],
)
def test_path_arguments(text: str, expected: Any) -> None:
    assert run(text, {"a": [1, 2], "s": "x, y)"}) == expected


def test_path_arguments_with_quoted_keys() -> None:
    data = {"it's": 1, "a,b)": 2}
    assert run("States.Array($['it\\'s'], $['a,b)'])", data) == [1, 2]


def test_context_and_variable_arguments() -> None:
    ctx = EvalContext(context={"Execution": {"Name": "run-1"}}, variables={"who": "Ada"})
    assert run("States.Format('{} by {}', $$.Execution.Name, $who)", ctx=ctx) == "run-1 by Ada"


def test_a_missing_path_argument_is_a_runtime_error() -> None:
    error = failure("States.Array($.missing)", {"a": 1})
    assert error.error == "States.Runtime"
    assert error.detail == "Invalid path '$.missing' : No results for path: $['missing']"


def test_a_nested_failure_keeps_its_own_function_name() -> None:
    error = failure("States.Array(States.ArrayLength($.s))", {"s": "x"})
    assert error.detail.startswith("Invalid arguments in States.ArrayLength: ")


# -- States.Format --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("", ""),
        (" ", " "),
        ("HelloWorld", "HelloWorld"),
        (None, "null"),
        (1, "1"),
        (1.1, "1.1"),
        (1.0, "1.0"),
        (True, "true"),
        ('{"Arg1": 1, "Arg2": []}', '{"Arg1": 1, "Arg2": []}'),
        ({"Arg1": 1, "Arg2": []}, "{Arg1=1, Arg2=[]}"),
        ([1, "a", None, {"k": "v"}], "[1, a, null, {k=v}]"),
    ],
)
def test_format_renders_values_like_aws(value: Any, shown: str) -> None:
    assert run("States.Format('v={}.', $.v)", {"v": value}) == f"v={shown}."


def test_format_with_no_placeholders() -> None:
    assert run("States.Format('plain')") == "plain"


def test_format_escaped_braces_stay_literal() -> None:
    assert run("States.Format('\\{}={}', 1)") == "{}=1"
    assert run("States.Format('\\{\\}')") == "{}"
    assert run("States.Format('{}\\\\', 'x')") == "x\\"


def test_format_with_a_format_string_from_a_path() -> None:
    ctx = EvalContext(variables={"t": "It's {}!"})
    assert run("States.Format($t, 'Pikachu')", ctx=ctx) == "It's Pikachu!"


@pytest.mark.parametrize(
    "text", ["States.Format('{} {}', 1)", "States.Format('{}', 1, 2)", "States.Format('x', 1)"]
)
def test_format_needs_one_argument_per_placeholder(text: str) -> None:
    intrinsic_failure(text)


def test_format_string_must_be_a_string() -> None:
    assert "string" in intrinsic_failure("States.Format($.n)", {"n": 3})


# -- JSON -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (0, "0"),
        (1.1, "1.1"),
        (True, "true"),
        ("HelloWorld", '"HelloWorld"'),
        ([1, 2, "HelloWorld"], '[1,2,"HelloWorld"]'),
        ({"Arg1": 1, "Arg2": []}, '{"Arg1":1,"Arg2":[]}'),
        ({"é": "ü"}, '{"é":"ü"}'),
    ],
)
def test_json_to_string_is_compact(value: Any, text: str) -> None:
    assert run("States.JsonToString($.v)", {"v": value}) == text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"key":"value"}', {"key": "value"}),
        ("[1, 2.5, null]", [1, 2.5, None]),
        ('"s"', "s"),
        ("-0", 0),
        ("true", True),
        ("", None),
        ("   ", None),
    ],
)
def test_string_to_json(text: str, value: Any) -> None:
    assert run("States.StringToJson($.v)", {"v": text}) == value


@pytest.mark.parametrize("text", ["{", "{'a': 1}", "NaN", "[1,]", "hello"])
def test_string_to_json_rejects_invalid_json(text: str) -> None:
    intrinsic_failure("States.StringToJson($.v)", {"v": text})


def test_string_to_json_needs_a_string() -> None:
    intrinsic_failure("States.StringToJson($.v)", {"v": {"a": 1}})


def test_json_merge_is_shallow_and_the_second_wins() -> None:
    data = {
        "a": {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3},
        "b": {"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4},
    }
    result = run("States.JsonMerge($.a, $.b, false)", data)
    assert result == {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3, "d": 4}
    assert data["a"] == {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}


@pytest.mark.parametrize(
    "text",
    [
        "States.JsonMerge($.a, $.b, true)",
        "States.JsonMerge($.a, $.l, false)",
        "States.JsonMerge($.l, $.b, false)",
        "States.JsonMerge($.a, $.b, 'false')",
    ],
)
def test_json_merge_failures(text: str) -> None:
    intrinsic_failure(text, {"a": {"x": 1}, "b": {"y": 2}, "l": [1]})


# -- arrays ---------------------------------------------------------------------------------------


def test_array_keeps_values_as_they_are() -> None:
    data = {"o": {"Arg1": 1, "Arg2": []}, "s": '{"Arg1": 1}'}
    assert run("States.Array($.o, $.s, 1.1, null)", data) == [data["o"], data["s"], 1.1, None]


@pytest.mark.parametrize(
    ("items", "size", "chunks"),
    [
        ([], 1, []),
        ([], 5, []),
        ([0], 2, [[0]]),
        ([0, 1], 1, [[0], [1]]),
        ([0, 1, 2], 3, [[0, 1, 2]]),
        ([0, 1, 2, 3], 3, [[0, 1, 2], [3]]),
        ([0, 1, 2, 3], 5, [[0, 1, 2, 3]]),
        ([0, 1, 2, 3, 4], 1.5, [[0, 1], [2, 3], [4]]),
    ],
)
def test_array_partition(items: list[Any], size: float, chunks: list[Any]) -> None:
    assert run("States.ArrayPartition($.a, $.n)", {"a": items, "n": size}) == chunks


@pytest.mark.parametrize("size", [0, -1, 0.4, "2", None])
def test_array_partition_needs_a_positive_size(size: Any) -> None:
    intrinsic_failure("States.ArrayPartition($.a, $.n)", {"a": [1], "n": size})


@pytest.mark.parametrize(
    ("items", "value", "found"),
    [
        ([], None, False),
        ([], [], False),
        ([[1, 2, 3], 2], None, False),
        ([[1, 2, 3], 2], [1, 2, 3], True),
        ([{"1": 2, "2": []}], [], False),
        ([{"1": 2, "2": []}], {"2": [], "1": 2}, True),
        ([True, False], True, True),
        ([True, False], False, True),
        ([1], True, False),
        ([True], 1, False),
        ([1, "1"], "1", True),
        ([None], None, True),
    ],
)
def test_array_contains_uses_deep_json_equality(items: list[Any], value: Any, found: bool) -> None:
    assert run("States.ArrayContains($.a, $.v)", {"a": items, "v": value}) is found


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("0, 9, 3", [0, 3, 6, 9]),
        ("0, 10, 3", [0, 3, 6, 9]),
        ("1, 9, 9", [1]),
        ("1, 9, 2", [1, 3, 5, 7, 9]),
        ("1, 10, 2", [1, 3, 5, 7, 9]),
        ("0, 3, 1", [0, 1, 2, 3]),
        ("5, 1, 1", []),
        ("0.5, 2.4, 1", [1, 2]),
        ("0, 999, 1", list(range(1000))),
    ],
)
def test_array_range(args: str, expected: list[int]) -> None:
    assert run(f"States.ArrayRange({args})") == expected


@pytest.mark.parametrize("args", ["0, 1000, 1", "0, 10, 0", "'0', 10, 1", "0, 10, 0.4"])
def test_array_range_failures(args: str) -> None:
    intrinsic_failure(f"States.ArrayRange({args})")


@pytest.mark.parametrize(("index", "item"), [(0, "a"), (2, "c")])
def test_array_get_item(index: int, item: str) -> None:
    assert run("States.ArrayGetItem($.a, $.i)", {"a": ["a", "b", "c"], "i": index}) == item


@pytest.mark.parametrize("index", [3, -1, 1.5, "1", None, True])
def test_array_get_item_failures(index: Any) -> None:
    intrinsic_failure("States.ArrayGetItem($.a, $.i)", {"a": ["a", "b", "c"], "i": index})


def test_array_length() -> None:
    items = [None, None, True, 1, 1.1, "HelloWorld", [], [None], {"a": 1}, {"a": 1}]
    assert run("States.ArrayLength($)", items) == 10
    assert run("States.ArrayLength($)", []) == 0
    intrinsic_failure("States.ArrayLength($)", "abc")


def test_array_unique_keeps_first_occurrences_in_order() -> None:
    items = [1, 2, 2, 3, 3, 4]
    assert run("States.ArrayUnique($)", items) == [1, 2, 3, 4]
    mixed = [None, None, True, 1, 1, {"a": 1, "b": 2}, {"b": 2, "a": 1}, [None], [None], "1"]
    assert run("States.ArrayUnique($)", mixed) == [None, True, 1, {"a": 1, "b": 2}, [None], "1"]
    intrinsic_failure("States.ArrayUnique($)", {"a": 1})


# -- encoding and hashing -------------------------------------------------------------------------


def test_base64_round_trip() -> None:
    assert run("States.Base64Encode('Hello World')") == "SGVsbG8gV29ybGQ="
    assert run("States.Base64Decode('SGVsbG8gV29ybGQ=')") == "Hello World"
    assert run("States.Base64Decode(States.Base64Encode('héllo ✓'))") == "héllo ✓"
    assert run("States.Base64Encode('')") == ""


def test_base64_failures() -> None:
    intrinsic_failure("States.Base64Decode('not base64!')")
    intrinsic_failure("States.Base64Decode('/w==')")  # not UTF-8
    intrinsic_failure("States.Base64Encode($.n)", {"n": 1})
    intrinsic_failure("States.Base64Encode($.s)", {"s": "x" * 10_001})
    assert len(run("States.Base64Encode($.s)", {"s": "x" * 10_000})) == 13_336


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        ("MD5", "b10a8db164e0754105b7a99be72e3fe5"),
        ("SHA-1", "0a4d55a8d778e5022fab701977c5d840bbc486d0"),
        ("SHA-256", "a591a6d40bf420404a011733cfb7b190d62c65bf0bcda32b57b277d9ad9f146e"),
    ],
)
def test_hash(algorithm: str, digest: str) -> None:
    assert run(f"States.Hash('Hello World', '{algorithm}')") == digest


def test_hash_recorded_value_and_long_digests() -> None:
    expected = "1cac63f39fd68d8c531f27b807610fb3d50f0fc3f186995767fb6316e7200a3e"
    assert run("States.Hash('Hash this string', 'SHA-256')") == expected
    assert len(run("States.Hash('x', 'SHA-384')")) == 96
    assert len(run("States.Hash('x', 'SHA-512')")) == 128


@pytest.mark.parametrize("algorithm", ["sha-256", "SHA256", "SHA-224", "CRC32"])
def test_hash_accepts_only_the_listed_algorithms(algorithm: str) -> None:
    assert algorithm in intrinsic_failure(f"States.Hash('x', '{algorithm}')")


def test_hash_data_limit() -> None:
    intrinsic_failure("States.Hash($.s, 'MD5')", {"s": "x" * 10_001})


# -- math -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "total"),
    [
        (-9, 3, -6),
        (1.49, 1.5, 3),
        (1.5, 1.51, 4),
        (-1.5, -1.51, -3),
        (1.49, -1.49, 0),
        (1.5, 0, 2),
        (2.5, 0, 3),
        (-0.5, 0, 0),
        (-1.5, 0, -1),
        (-1.51, 0, -2),
        (2147483647, 0, 2147483647),
        (-2147483648, 0, -2147483648),
    ],
)
def test_math_add_rounds_like_java(a: float, b: float, total: int) -> None:
    result = run("States.MathAdd($.a, $.b)", {"a": a, "b": b})
    assert result == total
    assert isinstance(result, int)


@pytest.mark.parametrize(
    ("a", "b"), [(2147483648, 0), (0, -2147483649), ("1", 2), (True, 1), (None, 1)]
)
def test_math_add_failures(a: Any, b: Any) -> None:
    intrinsic_failure("States.MathAdd($.a, $.b)", {"a": a, "b": b})


def test_math_random_with_a_seed_is_deterministic() -> None:
    first = run("States.MathRandom(1, 1000, 42)", ctx=EvalContext(rng=random.Random(1)))
    second = run("States.MathRandom(1, 1000, 42)", ctx=EvalContext(rng=random.Random(2)))
    assert first == second
    assert 1 <= first < 1000


def test_math_random_uses_the_context_random_source() -> None:
    values = [
        run("States.MathRandom(0, 1000000)", ctx=EvalContext(rng=random.Random(s))) for s in (3, 3)
    ]
    assert values[0] == values[1]
    spread = {
        run("States.MathRandom(0, 1000000)", ctx=EvalContext(rng=random.Random(s)))
        for s in range(5)
    }
    assert len(spread) > 1


def test_math_random_end_is_exclusive() -> None:
    assert {
        run("States.MathRandom(5, 6)", ctx=EvalContext(rng=random.Random(s))) for s in range(20)
    } == {5}


@pytest.mark.parametrize("args", ["5, 5", "6, 5", "'1', 5", "1, 5, 'seed'"])
def test_math_random_failures(args: str) -> None:
    intrinsic_failure(f"States.MathRandom({args})")


# -- strings and UUID -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delimiters", "parts"),
    [
        (" ", ",", [" "]),
        (" , ", ",", [" ", " "]),
        (", , ,", ",", [" ", " "]),
        (",,,,", ",", []),
        ("1,2,3,4,5", ",", ["1", "2", "3", "4", "5"]),
        ("This.is+a,test=string", ".+,=", ["This", "is", "a", "test", "string"]),
        ("split on T and \nnew line", "T\n", ["split on ", " and ", "new line"]),
        ("a[b]c", "[]", ["a", "b", "c"]),
        ("abc", "", ["abc"]),
        ("", ",", []),
    ],
)
def test_string_split(text: str, delimiters: str, parts: list[str]) -> None:
    assert run("States.StringSplit($.t, $.d)", {"t": text, "d": delimiters}) == parts


def test_string_split_needs_strings() -> None:
    intrinsic_failure("States.StringSplit($.t, ',')", {"t": 1})
    intrinsic_failure("States.StringSplit('a', $.d)", {"d": None})


def test_uuid_is_a_v4_uuid_from_the_context_random_source() -> None:
    first = run("States.UUID()", ctx=EvalContext(rng=random.Random(9)))
    again = run("States.UUID()", ctx=EvalContext(rng=random.Random(9)))
    other = run("States.UUID()", ctx=EvalContext(rng=random.Random(10)))
    assert UUID4.match(first)
    assert uuid.UUID(first).version == 4
    assert first == again
    assert first != other


def test_parsed_calls_are_reusable() -> None:
    call = parse_intrinsic("States.MathAdd($.a, 1)")
    assert [call.evaluate({"a": n}, EvalContext()) for n in (1, 2, 3)] == [2, 3, 4]
