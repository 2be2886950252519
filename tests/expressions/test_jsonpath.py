"""JSONPath paths: roots, Jayway syntax, AWS's miss messages, ResultPath placement.

Expected values come from the checklist (§2.3, §3.1 step 7, §6.4) and Jayway JsonPath semantics,
which AWS runs.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonpath_ng.jsonpath import Child

from sfnlocal.expressions import jsonpath
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonpath import (
    IDENTITY,
    PathNotFound,
    PathSyntaxError,
    PathTypeError,
    compile_path,
    compile_reference_path,
)

DATA: dict[str, Any] = {
    "a": {"b": [10, 20, {"c": "deep"}], "n": None},
    "a b": {"c": 1},
    "it's": 2,
    "s": "text",
    "items": [{"x": 1, "tag": "odd"}, {"x": 2, "tag": "even"}, {"x": 3, "tag": "odd"}],
}
CTX = EvalContext(
    context={
        "Execution": {"Id": "arn:aws:states:x", "Input": {"k": 1}},
        "Map": {"Item": {"Value": 7}},
    },
    variables={"x": {"y": [1, 2, 3]}, "flag": False, "nothing": None},
)


def evaluate(text: str, data: Any = DATA, ctx: EvalContext = CTX) -> Any:
    return compile_path(text).evaluate(data, ctx)


def miss(text: str, data: Any = DATA) -> str:
    with pytest.raises(PathNotFound) as info:
        evaluate(text, data)
    assert info.value.path == text
    return info.value.message


# -- roots ----------------------------------------------------------------------------------------


def test_dollar_is_the_input_itself() -> None:
    assert evaluate("$") is DATA
    assert IDENTITY.evaluate(DATA, CTX) is DATA
    assert compile_path("$") is IDENTITY


@pytest.mark.parametrize("value", ["text", 3, None, [1, 2], True])
def test_dollar_accepts_any_json_input(value: Any) -> None:
    assert evaluate("$", value) == value


def test_double_dollar_reads_the_context_object() -> None:
    assert evaluate("$$.Execution.Id") == "arn:aws:states:x"
    assert evaluate("$$.Map.Item.Value") == 7
    assert evaluate("$$") == CTX.context
    assert compile_path("$$.Execution.Id").root == "context"


def test_dollar_name_reads_a_variable() -> None:
    assert evaluate("$x") == {"y": [1, 2, 3]}
    assert evaluate("$x.y") == [1, 2, 3]
    assert evaluate("$x.y[0]") == 1
    assert evaluate("$x['y'][-1]") == 3
    assert evaluate("$flag") is False
    assert evaluate("$nothing") is None
    path = compile_path("$x.y")
    assert (path.root, path.variable) == ("variable", "x")


def test_root_attributes() -> None:
    path = compile_path("$.a.b[0]")
    assert (path.text, path.root, path.variable, path.is_reference) == (
        "$.a.b[0]",
        "input",
        None,
        True,
    )
    assert path.segments == ("a", "b", 0)


def test_undefined_variable_is_a_miss() -> None:
    message = miss("$undefined.a")
    assert message.startswith("Invalid path '$undefined.a' : ")
    assert "undefined" in message


# -- definite paths (the accessor) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$.a.b[0]", 10),
        ("$.a.b[2].c", "deep"),
        ("$.a.b[-1].c", "deep"),
        ("$.a.b[-3]", 10),
        ("$['a b'].c", 1),
        ('$["a b"]["c"]', 1),
        ("$['a']['b'][1]", 20),
        ("$[ 'a' ].n", None),
        ("$['it\\'s']", 2),
        ("$.s", "text"),
    ],
)
def test_definite_paths(text: str, expected: Any) -> None:
    assert evaluate(text) == expected
    assert compile_path(text).is_reference


def test_a_null_value_is_found_not_missing() -> None:
    assert evaluate("$.a.n") is None


def test_definite_paths_never_call_jsonpath_ng(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any) -> Any:
        raise AssertionError("jsonpath-ng used on the hot path")

    monkeypatch.setattr(Child, "find", boom)
    for text in ("$.a.b[0]", "$['a b'].c", "$$.Map.Item.Value", "$x.y", "$.a.b[-1].c"):
        compile_path(text).evaluate(DATA, CTX)


def test_identical_texts_compile_to_one_path() -> None:
    assert compile_path("$.a.b") is compile_path("$.a.b")


# -- misses in AWS's (Jayway's) words -------------------------------------------------------------


def test_single_missing_segment() -> None:
    assert miss("$.x") == "Invalid path '$.x' : No results for path: $['x']"


def test_missing_leaf_under_an_existing_object() -> None:
    assert miss("$.a.x") == "Invalid path '$.a.x' : No results for path: $['a']['x']"


def test_missing_intermediate_property() -> None:
    assert miss("$.q.b") == "Invalid path '$.q.b' : Missing property in path $['q']"
    assert miss("$.a.q.r") == "Invalid path '$.a.q.r' : Missing property in path $['a']['q']"


def test_index_out_of_range() -> None:
    assert miss("$.a.b[3]") == "Invalid path '$.a.b[3]' : No results for path: $['a']['b'][3]"
    assert miss("$.a.b[-4]") == "Invalid path '$.a.b[-4]' : No results for path: $['a']['b'][-4]"
    expected = "Invalid path '$.a.b[7].c' : No results for path: $['a']['b'][7]['c']"
    assert miss("$.a.b[7].c") == expected


def test_context_path_miss_shows_the_double_dollar_text() -> None:
    expected = "Invalid path '$$.Execution.Nope' : No results for path: $['Execution']['Nope']"
    assert miss("$$.Execution.Nope") == expected


def test_property_of_a_non_object() -> None:
    message = miss("$.s.x")
    assert message.startswith(
        "Invalid path '$.s.x' : Expected to find an object with property ['x'] in path $['s'] "
        "but found 'java.lang.String'."
    )
    assert "found 'null'" in miss("$.a.n.x")


def test_index_into_a_string_is_a_miss_not_a_character() -> None:
    message = miss("$.s[0]")
    assert message == (
        "Invalid path '$.s[0]' : Filter: [0] can only be applied to arrays. "
        "Current context is: text"
    )


def test_an_indexed_path_may_end_on_a_string() -> None:
    assert evaluate("$.l[0]", {"l": ["ab", "cd"]}) == "ab"
    assert evaluate("$.l[-1]", {"l": ["ab", "cd"]}) == "cd"


@pytest.mark.parametrize(
    ("text", "ctx"),
    [
        ("$$.Execution.Name[0]", EvalContext(context={"Execution": {"Name": "run"}})),
        ("$v[0]", EvalContext(variables={"v": "text"})),
        ("$v.s[1]", EvalContext(variables={"v": {"s": "text"}})),
    ],
)
def test_no_root_lets_an_index_pick_a_character(text: str, ctx: EvalContext) -> None:
    with pytest.raises(PathNotFound) as info:
        compile_path(text).evaluate({}, ctx)
    assert "can only be applied to arrays" in info.value.message


def test_index_into_null_and_objects() -> None:
    assert miss("$.a.n[0]") == "Invalid path '$.a.n[0]' : The path $['a']['n'] is null"
    assert 'Current context is: {"c":1}' in miss("$['a b'][0]")


def test_property_of_a_scalar_input() -> None:
    assert "in path $ but found 'java.lang.Integer'" in miss("$.x", 5)


def test_path_not_found_is_a_states_runtime_error() -> None:
    assert PathNotFound.error == "States.Runtime"
    assert isinstance(PathNotFound("$.x", "m"), LookupError)


# -- indefinite paths (jsonpath-ng) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$.items[*].x", [1, 2, 3]),
        ("$.items[?(@.x > 1)].x", [2, 3]),
        ("$.items[?(@.tag == 'odd')].x", [1, 3]),
        ("$.items[0:2].x", [1, 2]),
        ("$.items[-1:].x", [3]),
        ("$.items[0,2].x", [1, 3]),
        ("$['s','it\\'s']", ["text", 2]),
        ("$.a.b[*]", [10, 20, {"c": "deep"}]),
        ("$..c", ["deep", 1]),
        ("$x.y[*]", [1, 2, 3]),
        ("$$.Execution.*", ["arn:aws:states:x", {"k": 1}]),
    ],
)
def test_indefinite_paths_return_all_matches(text: str, expected: Any) -> None:
    path = compile_path(text)
    assert not path.is_reference
    assert path.segments is None
    result = path.evaluate(DATA, CTX)
    assert sorted(map(repr, result)) == sorted(map(repr, expected))


def test_indefinite_path_with_no_match_is_an_empty_list() -> None:
    assert evaluate("$.nothing[*]") == []
    assert evaluate("$.items[?(@.x > 10)]") == []


def test_a_match_that_is_a_list_is_wrapped() -> None:
    assert evaluate("$..b") == [[10, 20, {"c": "deep"}]]


def test_indefinite_paths_are_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = jsonpath._jsonpath_ng_parse

    def counting(text: str) -> Any:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(jsonpath, "_jsonpath_ng_parse", counting)
    path = jsonpath._compile.__wrapped__("$.items[?(@.x >= 2)].tag")
    for _ in range(3):
        assert path.evaluate(DATA, CTX) == ["even", "odd"]
    assert calls == ["$.items[?(@.x >= 2)].tag"]


# -- syntax ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "x.$",
        "$.",
        "$.a b",
        "$a b",
        "$[abc]",
        "$['x'",
        "$..",
        "$.a.length()",
        "$.a(",
        "$$$",
    ],
)
def test_invalid_paths(text: str) -> None:
    with pytest.raises(PathSyntaxError):
        compile_path(text)


@pytest.mark.parametrize("value", [None, 3, ["$"], {"$": 1}])
def test_non_string_paths(value: Any) -> None:
    with pytest.raises(PathSyntaxError):
        compile_path(value)


@pytest.mark.parametrize(
    "text", ["$.a[*]", "$..a", "$.a[?(@.b)]", "$.a[0:1]", "$.a[0,1]", "$['a','b']", "$.*"]
)
def test_reference_paths_reject_indefinite_syntax(text: str) -> None:
    compile_path(text)
    with pytest.raises(PathSyntaxError):
        compile_reference_path(text)


@pytest.mark.parametrize("text", ["$", "$.a", "$.a[0].b", "$['a b']", "$$.Execution.Id", "$v.a"])
def test_reference_paths_accept_singular_paths(text: str) -> None:
    assert compile_reference_path(text).is_reference


# -- ResultPath placement -------------------------------------------------------------------------


def test_assign_at_dollar_returns_the_value() -> None:
    assert IDENTITY.assign(DATA, 42) == 42
    assert compile_reference_path("$").assign("anything", {"r": 1}) == {"r": 1}


def test_assign_adds_a_field() -> None:
    assert compile_reference_path("$.r").assign({"a": 1}, 2) == {"a": 1, "r": 2}


def test_assign_overwrites_an_existing_field() -> None:
    assert compile_reference_path("$.a").assign({"a": {"old": 1}}, "new") == {"a": "new"}


def test_assign_creates_intermediate_objects() -> None:
    out = compile_reference_path("$.x.y.z").assign({"a": 1}, [1])
    assert out == {"a": 1, "x": {"y": {"z": [1]}}}


def test_assign_into_an_existing_nested_object() -> None:
    out = compile_reference_path("$.a.r").assign(DATA, True)
    assert out["a"] == {"b": [10, 20, {"c": "deep"}], "n": None, "r": True}


def test_assign_replaces_an_array_element() -> None:
    out = compile_reference_path("$.a.b[-1].c").assign(DATA, 0)
    assert out["a"]["b"] == [10, 20, {"c": 0}]


def test_assign_with_bracket_keys() -> None:
    out = compile_reference_path("$['a b']['new key']").assign(DATA, 5)
    assert out["a b"] == {"c": 1, "new key": 5}


def test_assign_never_mutates_its_input() -> None:
    before = copy.deepcopy(DATA)
    for text in ("$.a.r", "$.a.b[0]", "$.a.b[2].c", "$.new.x", "$.s"):
        compile_reference_path(text).assign(DATA, "v")
    assert before == DATA


def test_assign_copies_only_the_containers_on_the_path() -> None:
    out = compile_reference_path("$.a.r").assign(DATA, 1)
    assert out is not DATA
    assert out["a"] is not DATA["a"]
    assert out["a"]["b"] is DATA["a"]["b"]
    assert out["items"] is DATA["items"]


@pytest.mark.parametrize(
    ("data", "shown"),
    [("hello", '"hello"'), ([1, 2], "[1,2]"), (3, "3"), (None, "null"), (True, "true")],
)
def test_assign_into_a_non_object_input_fails(data: Any, shown: str) -> None:
    with pytest.raises(PathTypeError) as info:
        compile_reference_path("$.x").assign(data, 1)
    assert info.value.message == f"Unable to apply ReferencePath $.x to input {shown}"
    assert info.value.error == "States.ResultPathMatchFailure"


def test_assign_through_a_scalar_field_fails() -> None:
    with pytest.raises(PathTypeError) as info:
        compile_reference_path("$.s.x").assign({"s": "text"}, 1)
    assert info.value.message == 'Unable to apply ReferencePath $.s.x to input {"s":"text"}'


def test_assign_to_a_missing_array_element_fails() -> None:
    with pytest.raises(PathTypeError):
        compile_reference_path("$.a.b[5]").assign(DATA, 1)
    with pytest.raises(PathTypeError):
        compile_reference_path("$.x[0]").assign({}, 1)


@pytest.mark.parametrize("text", ["$$.Execution.Id", "$var.a", "$.a[*]"])
def test_assign_needs_an_input_reference_path(text: str) -> None:
    with pytest.raises(PathSyntaxError):
        compile_path(text).assign({}, 1)
