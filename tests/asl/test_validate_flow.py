"""Rules across states: targets, reachability, terminal states, names, scopes, nested languages."""

import pytest

from sfnlocal.asl.diagnostics import (
    MISSING_END_STATE,
    MISSING_TRANSITION_TARGET,
    SCHEMA_VALIDATION_FAILED,
)
from sfnlocal.asl.validate import validate

SVF = SCHEMA_VALIDATION_FAILED
MTT = MISSING_TRANSITION_TARGET
END = {"Type": "Pass", "End": True}


def found(definition, kind="STANDARD"):
    return [(d.code, d.message, d.location) for d in validate(definition, kind)]


def block(states, start=None):
    return {"StartAt": start or next(iter(states)), "States": states}


def parallel(*branches, **fields):
    return {"Type": "Parallel", "Branches": list(branches), "End": True, **fields}


def inline_map(processor, **fields):
    return {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}


# --- transition targets -----------------------------------------------------------------------

def test_dangling_next():
    assert found(block({"A": {"Type": "Pass", "Next": "Nowhere"}, "B": END})) == [
        (MTT, "Missing 'Next' target: Nowhere", "/States/A/Next"),
        (MTT, 'State "B" is not reachable.', "/States/B"),
    ]


@pytest.mark.parametrize(("state", "location"), [
    ({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "X"}],
      "Default": "B"}, "/States/A/Choices/0/Next"),
    ({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "B"}],
      "Default": "X"}, "/States/A/Default"),
    ({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "B",
      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "X"}]}, "/States/A/Catch/0/Next"),
])
def test_every_dangling_target_says_next(state, location):
    assert found(block({"A": state, "B": END})) == [(MTT, "Missing 'Next' target: X", location)]


def test_valid_targets():
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "B"}],
              "Default": "C"}
    assert found(block({"A": choice, "B": END, "C": {"Type": "Succeed"}})) == []


def test_dangling_start_at():
    assert found({"StartAt": "X", "States": {"A": END}}) == [
        (MTT, "Missing 'Next' target: X", "/StartAt")]


def test_transitions_do_not_cross_into_a_branch():
    branch = block({"Inner": END})
    definition = block({"A": {"Type": "Pass", "Next": "Inner"}, "P": parallel(branch)})
    assert (MTT, "Missing 'Next' target: Inner", "/States/A/Next") in found(definition)


def test_transitions_do_not_leave_a_processor():
    processor = block({"Inner": {"Type": "Pass", "Next": "Outer"}, "End2": END})
    state = {"Type": "Map", "ItemProcessor": processor, "Next": "Outer"}
    definition = block({"M": state, "Outer": END})
    assert found(definition) == [
        (MTT, "Missing 'Next' target: Outer", "/States/M/ItemProcessor/States/Inner/Next"),
        (MTT, 'State "End2" is not reachable.', "/States/M/ItemProcessor/States/End2"),
    ]


# --- reachability and terminal states -----------------------------------------------------------

def test_unreachable_state():
    assert found(block({"A": END, "B": END})) == [
        (MTT, 'State "B" is not reachable.', "/States/B")]


def test_unreachable_state_in_a_branch():
    branch = block({"X": END, "Y": END})
    assert found(block({"P": parallel(branch)})) == [
        (MTT, 'State "Y" is not reachable.', "/States/P/Branches/0/States/Y")]


def test_states_reached_through_catch_are_reachable():
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]}
    assert found(block({"T": task, "H": {"Type": "Fail"}})) == []


def test_no_terminal_state():
    loop = block({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}})
    assert found(loop) == [(MISSING_END_STATE, "Workflow has no terminal state", None)]


def test_no_terminal_state_in_a_branch():
    branch = block({"X": {"Type": "Pass", "Next": "X"}})
    assert found(block({"P": parallel(branch)})) == [
        (MISSING_END_STATE, "Workflow has no terminal state", "/States/P/Branches/0")]


def test_flow_rules_wait_for_a_valid_schema():
    definition = block({"A": {"Type": "Pass", "Next": "X", "Foo": 1}})
    assert found(definition) == [(SVF, "Field 'Foo' is not supported", "/States/A")]


# --- state names --------------------------------------------------------------------------------

def test_state_name_length():
    name = "n" * 80
    assert found(block({name: END})) == []
    long = "n" * 81
    assert found(block({long: END})) == [
        (SVF, f"The state name '{long}' is longer than 80 characters", f"/States/{long}")]


def test_state_names_are_unique_across_blocks():
    definition = block({"A": parallel(block({"A": END}))})
    assert found(definition) == [
        (SVF, "The state name 'A' is not unique: also at /States/A",
         "/States/A/Branches/0/States/A")]


def test_same_name_in_sibling_branches_is_a_duplicate_too():
    definition = block({"P": parallel(block({"X": END}), block({"X": END}))})
    assert found(definition) == [
        (SVF, "The state name 'X' is not unique: also at /States/P/Branches/0/States/X",
         "/States/P/Branches/1/States/X")]


def test_names_with_slashes_are_escaped_in_pointers():
    assert found(block({"a/b": {"Type": "Pass", "Next": "x~y"}})) == [
        (MTT, "Missing 'Next' target: x~y", "/States/a~1b/Next"),
        (MISSING_END_STATE, "Workflow has no terminal state", None),
    ]


# --- variable scopes ----------------------------------------------------------------------------

def test_inner_scope_may_not_assign_an_outer_variable():
    inner = block({"I": {"Type": "Pass", "Assign": {"x": 1}, "End": True}})
    definition = block({"O": {"Type": "Pass", "Assign": {"x": 0}, "Next": "M"},
                        "M": inline_map(inner)})
    assert found(definition) == [
        (SVF, "Variable 'x' is already assigned in an outer scope",
         "/States/M/ItemProcessor/States/I/Assign")]


def test_sibling_branches_may_use_the_same_variable():
    first = block({"X": {"Type": "Pass", "Assign": {"v": 1}, "End": True}})
    second = block({"Y": {"Type": "Pass", "Assign": {"v": 2}, "End": True}})
    assert found(block({"P": parallel(first, second)})) == []


def test_catcher_assign_belongs_to_the_enclosing_scope():
    inner = block({"I": {"Type": "Pass", "Assign": {"e": 1}, "End": True}})
    state = parallel(inner, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "F",
                                    "Assign": {"e.$": "$.Error"}}])
    assert found(block({"P": state, "F": {"Type": "Fail"}})) == [
        (SVF, "Variable 'e' is already assigned in an outer scope",
         "/States/P/Branches/0/States/I/Assign")]


def test_distributed_map_children_have_no_outer_scope():
    processor = {**block({"I": {"Type": "Pass", "Assign": {"x": 1}, "End": True}}),
                 "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}
    definition = block({"O": {"Type": "Pass", "Assign": {"x": 0}, "Next": "M"},
                        "M": inline_map(processor)})
    assert found(definition) == []


# --- query language of nested states ------------------------------------------------------------

def test_nested_states_inherit_the_machine_language_not_the_map():
    processor = block({"P": {"Type": "Pass", "Parameters": {"a.$": "$.a"}, "End": True}})
    definition = {**block({"M": inline_map(processor, QueryLanguage="JSONata")}),
                  "QueryLanguage": "JSONPath"}
    assert found(definition) == []


def test_jsonata_field_in_a_state_nested_in_a_jsonata_map_of_a_jsonpath_machine():
    processor = block({"P": {"Type": "Pass", "Output": 1, "End": True}})
    definition = block({"M": inline_map(processor, QueryLanguage="JSONata")})
    assert found(definition) == [
        (SVF, "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for "
              "the 'JSONata' QueryLanguage", "/States/M/ItemProcessor/States/P")]


def test_nested_state_may_not_downgrade_a_jsonata_machine():
    processor = block({"P": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}})
    definition = {**block({"M": inline_map(processor)}), "QueryLanguage": "JSONata"}
    assert found(definition) == [
        (SVF, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
         "/States/M/ItemProcessor/States/P")]


def test_express_rules_apply_to_nested_states():
    task = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "End": True}
    definition = block({"P": parallel(block({"T": task}))})
    assert found(definition, "EXPRESS") == [
        (SVF, "Express state machine does not support '.waitForTaskToken' service integration ",
         "/States/P/Branches/0/States/T/Resource")]
