"""JSONata states (checklist §3.2, §4, §5, §9): each field, each ``$states`` member, the errors.

Expected values come from the checklist: ``$states.input`` is the state's input, Assign and Output
both see entry-time variables, default outputs (the result for Task/Map/Parallel, the input
elsewhere, the error output for a catcher), rule-level Choice Assign/Output, and
``States.QueryEvaluationError`` preceded by ``EvaluationFailed {error, cause, location, state}``.
"""

from __future__ import annotations

import json
from typing import Any

from taskkit import fn_arn, machine, registry_with, run

PFX = "An error occurred while executing the state '{}' (entered at the event id #{}). "
QUERY = "States.QueryEvaluationError"


def jsonata(states: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", **machine(states, start)}


def echo(event: Any, context: Any) -> Any:
    return event


class Boom(Exception):
    pass


def boom(event: Any, context: Any) -> Any:
    raise Boom("it broke")


def exited(run_: Any, name: str) -> dict[str, Any]:
    return next(run_.details(e) for e in run_.events
                if e["type"].endswith("StateExited") and run_.details(e)["name"] == name)


async def test_assign_and_output_see_entry_time_values_and_swap() -> None:
    definition = jsonata({
        "Init": {"Type": "Pass", "Assign": {"x": 1, "y": 2}, "Next": "Swap"},
        "Swap": {"Type": "Pass", "Assign": {"x": "{% $y %}", "y": "{% $x %}"},
                 "Output": {"x": "{% $x %}", "y": "{% $y %}"}, "Next": "Show"},
        "Show": {"Type": "Pass", "Output": "{% [$x, $y] %}", "End": True},
    })
    run_ = await run(definition, "{}")
    assert run_.record.status == "SUCCEEDED"
    assert exited(run_, "Swap")["output"] == '{"x":1,"y":2}'  # old values
    assert exited(run_, "Swap")["assignedVariables"] == {"x": "2", "y": "1"}
    assert run_.output == [2, 1]


async def test_pass_default_output_is_the_input_and_states_input_is_unchanged() -> None:
    definition = jsonata({
        "P": {"Type": "Pass", "Next": "Q"},
        "Q": {"Type": "Pass", "Output": {"a": "{% $states.input.a + 1 %}", "lit": "{x}",
                                         "name": "{% $states.context.State.Name %}"},
              "End": True},
    })
    run_ = await run(definition, '{"a": 1}')
    assert json.loads(exited(run_, "P")["output"]) == {"a": 1}
    assert run_.output == {"a": 2, "lit": "{x}", "name": "Q"}


async def test_choice_rule_assign_and_output_only_for_the_matching_rule() -> None:
    definition = jsonata({
        "C": {"Type": "Choice", "Assign": {"via": "default"}, "Output": {"d": True},
              "Choices": [
                  {"Condition": "{% $states.input.n > 5 %}", "Next": "End",
                   "Assign": {"via": "rule"}, "Output": {"big": "{% $states.input.n %}"}},
              ], "Default": "End"},
        "End": {"Type": "Pass", "Output": {"via": "{% $via %}", "in": "{% $states.input %}"},
                "End": True},
    })
    assert (await run(definition, '{"n": 9}')).output == {"via": "rule", "in": {"big": 9}}
    assert (await run(definition, '{"n": 1}')).output == {"via": "default", "in": {"d": True}}


async def test_choice_condition_must_be_boolean() -> None:
    definition = jsonata({"C": {"Type": "Choice", "Choices": [
        {"Condition": "{% $states.input.n %}", "Next": "E"}], "Default": "E"},
        "E": {"Type": "Succeed"}})
    run_ = await run(definition, '{"n": 3}')
    assert run_.record.error == QUERY
    assert run_.record.cause == PFX.format("C", 2) + (
        "The JSONata expression '$states.input.n' specified for the field 'Choices[0]/Condition' "
        "returned an unexpected result type. Expected 'boolean', but was 'number' for value: 3")


async def test_undefined_reference_records_evaluation_failed_before_the_failure() -> None:
    run_ = await run(jsonata({"S": {"Type": "Pass", "Output": {"r": "{% $nope %}"}, "End": True}}))
    cause = PFX.format("S", 2) + (
        "The JSONata expression '$nope' specified for the field 'Output/r' returned nothing "
        "(undefined).")
    assert run_.types == ["ExecutionStarted", "PassStateEntered", "EvaluationFailed",
                          "ExecutionFailed"]
    assert run_.details(run_.events[2]) == {"error": QUERY, "cause": cause, "location": "Output/r",
                                            "state": "S"}
    assert run_.record.cause == cause


async def test_fail_error_and_cause_are_evaluated_strings() -> None:
    definition = jsonata({"F": {"Type": "Fail", "Error": "{% 'E.' & $states.input.k %}",
                                "Cause": "{% $string($states.input.n) %}"}})
    run_ = await run(definition, '{"k": "Bad", "n": 4}')
    assert (run_.record.error, run_.record.cause) == ("E.Bad", "4")
    bad = await run(jsonata({"F": {"Type": "Fail", "Error": "{% 1 %}"}}))
    assert bad.record.error == QUERY
    assert "Expected 'string', but was 'number'" in (bad.record.cause or "")


async def test_wait_seconds_expression_waits_that_long() -> None:
    definition = jsonata({"W": {"Type": "Wait", "Seconds": "{% $states.input.s %}", "End": True}})
    run_ = await run(definition, '{"s": 30}')
    assert run_.record.status == "SUCCEEDED"
    assert run_.seconds(run_.events[-1]) == 30


async def test_wait_invalid_timestamp_has_the_wait_specific_cause() -> None:
    definition = jsonata({"W": {"Type": "Wait", "Timestamp": "{% $states.input.t %}", "End": True}})
    run_ = await run(definition, '{"t": "2016-13-05T21:29:29Z"}')
    cause = PFX.format("W", 2) + (
        "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
        "string: 2016-13-05T21:29:29Z")
    assert run_.types[-2:] == ["EvaluationFailed", "ExecutionFailed"]
    assert run_.details(run_.events[-2])["location"] == "Timestamp"
    assert run_.record.cause == cause


async def test_task_arguments_result_and_default_output() -> None:
    definition = jsonata({
        "A": {"Type": "Task", "Resource": fn_arn("echo"), "Next": "B"},
        "B": {"Type": "Task", "Resource": fn_arn("echo"),
              "Arguments": {"v": "{% $states.input.v * 10 %}"},
              "Assign": {"got": "{% $states.result.v %}"},
              "Output": {"r": "{% $states.result %}", "in": "{% $states.input %}"}, "End": True},
    })
    run_ = await run(definition, '{"v": 2}', registry=registry_with(echo=echo))
    assert json.loads(exited(run_, "A")["output"]) == {"v": 2}  # default output = the result
    assert run_.output == {"r": {"v": 20}, "in": {"v": 2}}
    assert exited(run_, "B")["assignedVariables"] == {"got": "20"}


async def test_task_catcher_sees_error_output_and_defaults_to_it() -> None:
    definition = jsonata({
        "T": {"Type": "Task", "Resource": fn_arn("boom"), "Output": {"never": True}, "End": True,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done",
                         "Assign": {"err": "{% $states.errorOutput.Error %}"}}]},
        "Done": {"Type": "Pass", "Output": {"e": "{% $err %}", "in": "{% $states.input %}"},
                 "End": True},
    })
    run_ = await run(definition, "{}", registry=registry_with(boom=boom))
    assert run_.output["e"] == "Boom"
    assert run_.output["in"]["Error"] == "Boom"
    assert run_.output["in"]["Cause"]


async def test_query_evaluation_error_is_retried_and_caught() -> None:
    definition = jsonata({
        "T": {"Type": "Task", "Resource": fn_arn("echo"), "Arguments": "{% $nope %}", "End": True,
              "Retry": [{"ErrorEquals": [QUERY], "MaxAttempts": 1, "IntervalSeconds": 1}],
              "Catch": [{"ErrorEquals": [QUERY], "Next": "Done",
                         "Output": "{% $states.errorOutput %}"}]},
        "Done": {"Type": "Succeed"},
    })
    run_ = await run(definition, "{}", registry=registry_with(echo=echo))
    assert run_.record.status == "SUCCEEDED"
    assert run_.types.count("EvaluationFailed") == 2  # first attempt and its retry
    assert run_.output["Error"] == QUERY
    assert "specified for the field 'Arguments'" in run_.output["Cause"]


async def test_task_timeout_seconds_must_be_positive() -> None:
    definition = jsonata({"T": {"Type": "Task", "Resource": fn_arn("echo"),
                                "TimeoutSeconds": "{% 0 %}", "End": True}})
    run_ = await run(definition, "{}", registry=registry_with(echo=echo))
    assert run_.record.error == QUERY
    assert "TimeoutSeconds" in (run_.record.cause or "")


async def test_map_items_item_selector_context_and_result() -> None:
    definition = jsonata({"M": {
        "Type": "Map", "Items": "{% $states.input.xs %}", "MaxConcurrency": "{% 1 %}",
        "ItemSelector": {"i": "{% $states.context.Map.Item.Index %}",
                         "v": "{% $states.context.Map.Item.Value %}",
                         "k": "{% $states.input.k %}"},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        "Output": {"n": "{% $count($states.result) %}", "r": "{% $states.result %}"},
        "End": True}})
    run_ = await run(definition, '{"xs": ["a", "b"], "k": 7}')
    assert run_.output == {"n": 2, "r": [{"i": 0, "v": "a", "k": 7}, {"i": 1, "v": "b", "k": 7}]}


async def test_map_items_must_be_an_array() -> None:
    definition = jsonata({"M": {
        "Type": "Map", "Items": "{% true %}",
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        "End": True}})
    run_ = await run(definition, "{}")
    assert run_.types[-3:] == ["EvaluationFailed", "MapStateFailed", "ExecutionFailed"]
    assert run_.record.cause == PFX.format("M", 2) + (
        "The JSONata expression 'true' specified for the field 'Items' returned an unexpected "
        "result type. Expected 'array', but was 'boolean' for value: true")


async def test_parallel_arguments_and_branch_scopes() -> None:
    def branch(name: str) -> dict[str, Any]:
        return {"StartAt": name, "States": {name: {
            "Type": "Pass", "Assign": {"inner": "{% $outer + $states.input.a %}"},
            "Output": "{% $outer %}", "End": True}}}
    definition = jsonata({
        "Init": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "P"},
        "P": {"Type": "Parallel", "Arguments": {"a": "{% $states.input.a %}"},
              "Branches": [branch("B0"), branch("B1")], "Assign": {"sum": "{% $sum($states.result) %}"},
              "Next": "Show"},
        "Show": {"Type": "Pass", "Output": {"sum": "{% $sum %}", "in": "{% $states.input %}"},
                 "End": True},
    })
    run_ = await run(definition, '{"a": 5}')
    assert run_.output == {"sum": 2, "in": [1, 1]}


async def test_mixed_machine_per_state_query_language() -> None:
    definition = {"StartAt": "J", "States": {
        "J": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"b": "{% $states.input.a %}"},
              "Next": "P"},
        "P": {"Type": "Pass", "Parameters": {"c.$": "$.b"}, "End": True},
    }}
    run_ = await run(definition, '{"a": 3}')
    assert run_.output == {"c": 3}
