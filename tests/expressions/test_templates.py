"""Payload templates: ``.$`` keys, literals, fresh containers, AWS's errors (checklist §2.4, §6.4).

Single-state Pass machines recorded against AWS (``Parameters`` with paths and intrinsics) are
replayed from ../shared/conformance/cases: the template's value is the state's output.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from expression_cases import all_cases, case_id, context_object, find_case, matches, normalise

from sfnlocal.errors import EvaluationError
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.intrinsics import Call
from sfnlocal.expressions.jsonpath import Path
from sfnlocal.expressions.templates import (
    Template,
    TemplateError,
    compile_template,
    compile_value_expression,
)

DATA: dict[str, Any] = {
    "payload": {"a": 1, "b": [1, 2, 3]},
    "name": "Ada",
    "items": [{"x": 1}, {"x": 5}],
}
CTX = EvalContext(
    context={"Execution": {"Id": "arn:exec", "Input": {"k": "v"}}, "Map": {"Item": {"Index": 2}}},
    variables={"greeting": "hi", "limits": {"max": 3}},
    rng=random.Random(3),
)


def build(template: Any, data: Any = DATA, ctx: EvalContext = CTX) -> Any:
    return compile_template(template, "Parameters").evaluate(data, ctx)


def rejected(template: Any) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        compile_template(template, "Parameters")
    return info.value


def runtime_error(template: Any, data: Any = DATA, ctx: EvalContext = CTX) -> EvaluationError:
    with pytest.raises(EvaluationError) as info:
        build(template, data, ctx)
    return info.value


# -- AWS-recorded Pass states ---------------------------------------------------------------------


def replayable(case: dict[str, Any]) -> bool:
    states = case["state_machine"]["definition"].get("States", {})
    if case["expected"].get("status") != "SUCCEEDED" or len(states) != 1:
        return False
    state = next(iter(states.values()))
    if state["Type"] != "Pass" or not set(state) <= {"Type", "Parameters", "End", "Comment"}:
        return False
    # MathRandom recordings hide the number; they are checked in test_intrinsics.py.
    return "MathRandom" not in str(state.get("Parameters"))


RECORDED = [c for c in all_cases() if replayable(c)]


@pytest.mark.parametrize("case", RECORDED, ids=case_id)
def test_recorded_pass_parameters(case: dict[str, Any]) -> None:
    state = next(iter(case["state_machine"]["definition"]["States"].values()))
    ctx = EvalContext(context=context_object(case), rng=random.Random(1))
    actual = normalise(case, build(state["Parameters"], case["execution"]["input"], ctx))
    assert matches(case["expected"]["output_json"], actual)


def test_enough_recorded_cases_were_found() -> None:
    if not all_cases():
        pytest.skip("conformance cases not available")
    assert len(RECORDED) >= 80


@pytest.mark.parametrize("variant", ["INTRINSIC_FUNCTION]", "INTRINSIC_FUNCTION_2]"])
def test_recorded_illegal_escapes_are_rejected_with_aws_message(variant: str) -> None:
    case = find_case(f"test_illegal_escapes[ESCAPE_SEQUENCES_ILLEGAL_{variant}")
    state = case["state_machine"]["definition"]["States"]["IntrinsicEscape"]
    recorded = case["expected"]["recorded"]["exception"]["exception_value"]
    aws_message = re.search(r"SCHEMA_VALIDATION_FAILED: (.*) at /States/", recorded)
    assert aws_message is not None
    error = rejected(state["Parameters"])
    assert str(error) == aws_message.group(1)
    assert error.key == "parsed.$"


def test_recorded_context_paths_in_item_selector() -> None:
    case = find_case("test_reference_in_map_state[MAP_STATE_REFERENCE_IN_INTRINSIC_FUNCTION]")
    selector = case["state_machine"]["definition"]["States"]["MapIterateState"]["ItemSelector"]
    template = compile_template(selector, "ItemSelector")
    answers = []
    for index, value in enumerate(["Charizard", "Pikachu", "Squirtle"]):
        ctx = EvalContext(
            context={"Map": {"Item": {"Index": index, "Value": value}}},
            variables={"AnswerTemplate": "It's {}!", "Question": "Who's that Pokemon?"},
        )
        answers.append(template.evaluate(["Charizard", "Pikachu", "Squirtle"], ctx))
    expected = [{"Answer": item["Answer"]} for item in case["expected"]["output_json"]]
    assert [{"Answer": a["AnnouncePokemon"]} for a in answers] == expected


# -- shape ----------------------------------------------------------------------------------------


def test_dollar_keys_are_renamed_and_evaluated() -> None:
    assert build({"a.$": "$.payload.a", "all.$": "$"}) == {"a": 1, "all": DATA}


def test_plain_keys_are_copied_literally_even_when_they_look_like_paths() -> None:
    template = {"p": "$.payload", "q": "States.Format('x')", "n": None, "l": [1, "$"], "o": {}}
    assert build(template) == template


def test_nested_objects_and_arrays_are_templates_too() -> None:
    template = {"outer": {"inner.$": "$.name", "list": [{"x.$": "$.payload.b[1]"}, 3, ["$.no"]]}}
    assert build(template) == {"outer": {"inner": "Ada", "list": [{"x": 2}, 3, ["$.no"]]}}


def test_context_variable_and_intrinsic_values() -> None:
    template = {
        "id.$": "$$.Execution.Id",
        "index.$": "$$.Map.Item.Index",
        "hello.$": "$greeting",
        "max.$": "$limits.max",
        "text.$": "States.Format('{} {}', $greeting, $.name)",
    }
    assert build(template) == {
        "id": "arn:exec",
        "index": 2,
        "hello": "hi",
        "max": 3,
        "text": "hi Ada",
    }


def test_indefinite_paths_give_lists() -> None:
    assert build({"xs.$": "$.items[*].x", "none.$": "$.missing[*]"}) == {"xs": [1, 5], "none": []}


def test_key_order_follows_the_template() -> None:
    result = build({"z": 1, "y.$": "$.name", "x": 2, "w.$": "$.payload.a"})
    assert list(result) == ["z", "y", "x", "w"]


@pytest.mark.parametrize("template", [[1, {"a.$": "$.name"}], "text", 5, None, True, []])
def test_top_level_templates_of_any_json_type(template: Any) -> None:
    expected = [1, {"a": "Ada"}] if isinstance(template, list) and template else template
    assert build(template) == expected


def test_the_template_remembers_its_field() -> None:
    template = compile_template({"a": 1}, "ResultSelector")
    assert isinstance(template, Template)
    assert template.field == "ResultSelector"


# -- fresh values ---------------------------------------------------------------------------------


def test_literal_containers_are_fresh_at_each_evaluation() -> None:
    template = compile_template({"o": {"k": [1, 2]}, "l": [{"m": 1}]}, "Parameters")
    first = template.evaluate(DATA, CTX)
    first["o"]["k"].append(3)
    first["l"][0]["m"] = 99
    first["new"] = True
    assert template.evaluate(DATA, CTX) == {"o": {"k": [1, 2]}, "l": [{"m": 1}]}


def test_values_selected_by_paths_are_the_inputs_own() -> None:
    result = build({"p.$": "$.payload"})
    assert result["p"] is DATA["payload"]


def test_evaluation_does_not_change_the_input() -> None:
    before = repr(DATA)
    build({"a.$": "$.payload", "b.$": "States.ArrayUnique($.payload.b)", "c": {"d.$": "$"}})
    assert repr(DATA) == before


# -- definition-time errors -----------------------------------------------------------------------

INVALID = "The value for the field '{}' must be a valid JSONPath or a valid intrinsic function call"


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "",
        5,
        None,
        ["$.a"],
        {"b": 1},
        "$.",
        "$.a b",
        "States.Nope()",
        "States.Format('\\n')",
    ],
)
def test_invalid_dollar_values(value: Any) -> None:
    error = rejected({"field.$": value})
    assert str(error) == INVALID.format("field.$")
    assert error.key == "field.$"


def test_an_invalid_value_deep_inside_names_its_own_key() -> None:
    error = rejected({"a": [{"b": {"bad.$": "nope"}}]})
    assert str(error) == INVALID.format("bad.$")
    assert error.key == "bad.$"


def test_duplicate_keys_after_stripping_the_suffix() -> None:
    error = rejected({"a": 1, "a.$": "$.name"})
    assert error.key == "a.$"
    assert "'a'" in str(error)
    assert rejected({"a.$": "$.name", "a": 1}).key == "a"


def test_compile_value_expression() -> None:
    assert isinstance(compile_value_expression("$.a"), Path)
    assert isinstance(compile_value_expression("$$.Execution.Id"), Path)
    assert isinstance(compile_value_expression("$var"), Path)
    assert isinstance(compile_value_expression("States.UUID()"), Call)
    for bad in ("a", "States.", "$.a[", 3):
        with pytest.raises(TemplateError):
            compile_value_expression(bad)  # type: ignore[arg-type]


# -- runtime errors -------------------------------------------------------------------------------


def test_a_missing_path_names_the_field_and_shows_the_input() -> None:
    error = runtime_error({"x.$": "$.x"}, {"a": "é", "b": [1, 2.5], "c": None})
    assert error.error == "States.Runtime"
    assert error.detail == (
        "The JSONPath '$.x' specified for the field 'x.$' could not be found in the input "
        '\'{"a":"é","b":[1,2.5],"c":null}\''
    )


def test_a_missing_nested_path_in_a_nested_object() -> None:
    error = runtime_error({"outer": [{"value.$": "$.a.b"}]}, {"a": {}})
    expected = (
        "The JSONPath '$.a.b' specified for the field 'value.$' could not be found in the input"
    )
    assert error.detail == expected + " '{\"a\":{}}'"


def test_a_missing_context_path_shows_the_double_dollar_path() -> None:
    error = runtime_error({"x.$": "$$.Execution.Input.x"})
    assert error.error == "States.Runtime"
    assert error.detail.startswith(
        "The JSONPath '$$.Execution.Input.x' specified for the field 'x.$' could not be found "
        "in the input '"
    )


def test_an_undefined_variable_is_a_runtime_error() -> None:
    error = runtime_error({"x.$": "$nope.a"})
    assert error.error == "States.Runtime"
    assert "'$nope.a'" in error.detail


def test_an_intrinsic_failure_passes_through() -> None:
    error = runtime_error({"x.$": "States.ArrayLength($.name)"})
    assert error.error == "States.IntrinsicFailure"
    assert error.detail.startswith("Invalid arguments in States.ArrayLength: ")


def test_a_missing_path_inside_an_intrinsic_is_a_runtime_error() -> None:
    error = runtime_error({"x.$": "States.Array($.nope)"})
    assert error.error == "States.Runtime"
    assert error.detail == "Invalid path '$.nope' : No results for path: $['nope']"
