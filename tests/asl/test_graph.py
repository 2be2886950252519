from types import SimpleNamespace
from typing import Any

import networkx as nx
import pytest

from sfnlocal.asl.graph import build_graph, graph, unreachable_states

MACHINE: dict[str, Any] = {
    "Comment": "demo",
    "StartAt": "Route",
    "States": {
        "Route": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.n", "NumericLessThan": 3, "Next": "Work"},
                {"Variable": "$.n", "NumericEquals": 5, "Next": "Work"},
                {"Not": {"Variable": "$.s", "StringEquals": "x"}, "Next": "Fan"},
            ],
            "Default": "Done",
        },
        "Work": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f",
            "Catch": [
                {"ErrorEquals": ["States.Timeout", "Custom"], "Next": "Oops"},
                {"ErrorEquals": ["States.ALL"], "Next": "Oops"},
            ],
            "Next": "Fan",
        },
        "Fan": {
            "Type": "Parallel",
            "Comment": "two branches",
            "Branches": [
                {"StartAt": "B0", "States": {"B0": {"Type": "Pass", "End": True}}},
                {
                    "StartAt": "Loop",
                    "States": {
                        "Loop": {
                            "Type": "Map",
                            "ItemProcessor": {
                                "StartAt": "Item",
                                "States": {"Item": {"Type": "Succeed"}},
                            },
                            "End": True,
                        }
                    },
                },
            ],
            "Next": "Done",
        },
        "Oops": {"Type": "Fail", "Error": "E"},
        "Done": {"Type": "Succeed"},
    },
}


def edges(g: nx.MultiDiGraph) -> set[tuple[str, str, str]]:
    return {(u, v, d["kind"]) for u, v, d in g.edges(data=True)}


def test_one_node_per_state_including_nested():
    g = build_graph(MACHINE)
    assert set(g.nodes) == {"Route", "Work", "Fan", "B0", "Loop", "Item", "Oops", "Done"}
    assert isinstance(g, nx.DiGraph)


def test_node_attributes_of_top_level_and_nested_states():
    g = build_graph(MACHINE)
    assert g.nodes["Route"] == {
        "type": "Choice",
        "block": "",
        "parent": None,
        "branch": None,
        "pointer": "/States/Route",
        "start": True,
        "end": False,
        "comment": None,
    }
    loop = g.nodes["Loop"]
    assert (loop["block"], loop["parent"], loop["branch"]) == ("/States/Fan/Branches/1", "Fan", 1)
    assert loop["pointer"] == "/States/Fan/Branches/1/States/Loop"
    assert loop["start"] and loop["end"]
    item = g.nodes["Item"]
    assert item["block"] == "/States/Fan/Branches/1/States/Loop/ItemProcessor"
    assert (item["parent"], item["branch"]) == ("Loop", None)
    assert g.nodes["Fan"]["comment"] == "two branches"


@pytest.mark.parametrize(("name", "end"), [("Oops", True), ("Done", True), ("Work", False)])
def test_end_attribute(name: str, end: bool):
    assert build_graph(MACHINE).nodes[name]["end"] is end


def test_transition_edges_and_kinds():
    assert edges(build_graph(MACHINE)) == {
        ("Route", "Work", "choice"),
        ("Route", "Fan", "choice"),
        ("Route", "Done", "default"),
        ("Work", "Oops", "catch"),
        ("Work", "Fan", "next"),
        ("Fan", "Done", "next"),
        ("Fan", "B0", "branch"),
        ("Fan", "Loop", "branch"),
        ("Loop", "Item", "processor"),
    }


def test_parallel_edges_between_same_states_are_kept():
    g = build_graph(MACHINE)
    assert set(g["Route"]["Work"]) == {"choice:0", "choice:1"}
    assert set(g["Work"]["Oops"]) == {"catch:0", "catch:1"}


def test_choice_edge_carries_index_and_condition_text():
    g = build_graph(MACHINE)
    assert g.edges["Route", "Work", "choice:1"]["index"] == 1
    assert g.edges["Route", "Work", "choice:1"]["condition"] == "$.n NumericEquals 5"
    assert g.edges["Route", "Fan", "choice:2"]["condition"] == 'not ($.s StringEquals "x")'
    assert g.edges["Route", "Fan", "choice:2"]["field"] == "/States/Route/Choices/2/Next"


def test_catch_edge_carries_errors():
    data = build_graph(MACHINE).edges["Work", "Oops", "catch:0"]
    assert data["errors"] == ["States.Timeout", "Custom"]
    assert data["index"] == 0
    assert data["field"] == "/States/Work/Catch/0/Next"


def test_branch_edges_carry_index():
    g = build_graph(MACHINE)
    assert g.edges["Fan", "Loop", "branch:1"]["index"] == 1
    assert g.edges["Loop", "Item", "processor"]["field"].endswith("/ItemProcessor")


def test_graph_attributes_describe_blocks():
    g = build_graph(MACHINE)
    assert g.graph["start"] == "Route"
    assert g.graph["comment"] == "demo"
    assert list(g.graph["blocks"]) == [
        "",
        "/States/Fan/Branches/0",
        "/States/Fan/Branches/1",
        "/States/Fan/Branches/1/States/Loop/ItemProcessor",
    ]
    assert g.graph["blocks"]["/States/Fan/Branches/1"]["states"] == ["Loop"]
    assert (
        g.graph["blocks"]["/States/Fan/Branches/1/States/Loop/ItemProcessor"]["kind"] == "processor"
    )
    assert g.graph["dangling"] == []


def test_legacy_iterator_is_a_processor_block():
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    }
    g = build_graph(definition)
    assert g.nodes["I"]["block"] == "/States/M/Iterator"
    assert ("M", "I", "processor") in edges(g)


def test_dangling_targets_are_recorded_not_added():
    definition = {
        "StartAt": "Nowhere",
        "States": {
            "A": {"Type": "Pass", "Next": "Ghost"},
            "C": {"Type": "Choice", "Choices": [{"Next": "Ghost2"}], "Default": "Ghost3"},
            "T": {"Type": "Task", "Catch": [{"ErrorEquals": [], "Next": "Ghost4"}], "End": True},
        },
    }
    g = build_graph(definition)
    assert set(g.nodes) == {"A", "C", "T"}
    assert g.number_of_edges() == 0
    assert g.graph["dangling"] == [
        ("/StartAt", "Nowhere"),
        ("/States/A/Next", "Ghost"),
        ("/States/C/Choices/0/Next", "Ghost2"),
        ("/States/C/Default", "Ghost3"),
        ("/States/T/Catch/0/Next", "Ghost4"),
    ]


def test_transition_across_blocks_is_dangling():
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "Out"}}}],
                "Next": "Out",
            },
            "Out": {"Type": "Succeed"},
        },
    }
    g = build_graph(definition)
    assert ("B", "Out", "next") not in edges(g)
    assert g.graph["dangling"] == [("/States/P/Branches/0/States/B/Next", "Out")]


def test_duplicate_names_keep_first_and_are_recorded():
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}}],
                "Next": "X",
            },
            "X": {"Type": "Succeed"},
        },
    }
    g = build_graph(definition)
    assert g.nodes["X"]["block"] == "/States/P/Branches/0"
    assert g.graph["duplicates"] == [("/States/X", "X")]


@pytest.mark.parametrize(
    "definition",
    [
        {},
        [],
        "text",
        {"States": 3},
        {"StartAt": 5, "States": {"A": 7, "B": None}},
        {"StartAt": "A", "States": {"A": {"Type": "Parallel", "Branches": "no"}}},
        {"StartAt": "A", "States": {"A": {"Type": "Parallel", "Branches": [1, {"States": []}]}}},
        {"StartAt": "A", "States": {"A": {"Type": "Map", "ItemProcessor": None}}},
        {"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [None, {"Next": 3}]}}},
        {"StartAt": "A", "States": {"A": {"Type": 9, "Next": ["x"], "Catch": {"Next": "A"}}}},
        {"StartAt": "A", "States": {"A": {"Catch": [None, {"ErrorEquals": "x", "Next": "A"}]}}},
    ],
)
def test_invalid_definitions_do_not_crash(definition: Any):
    g = build_graph(definition)
    assert isinstance(g, nx.MultiDiGraph)
    assert isinstance(unreachable_states(definition), list)


def test_unreadable_state_body_is_still_a_node():
    g = build_graph({"StartAt": 5, "States": {"A": 7}})
    assert g.nodes["A"]["type"] is None
    assert g.graph["start"] is None


def test_graph_accepts_a_machine_object_with_definition():
    machine = SimpleNamespace(definition=MACHINE)
    assert set(graph(machine).nodes) == set(build_graph(MACHINE).nodes)  # type: ignore[arg-type]


def test_graph_accepts_a_definition_dict():
    assert edges(graph(MACHINE)) == edges(build_graph(MACHINE))


def test_all_reachable_machine_has_no_unreachable_states():
    assert unreachable_states(MACHINE) == []


def test_unreachable_states_in_definition_order_with_nested_blocks():
    definition = {
        "StartAt": "A",
        "States": {
            "Lost1": {"Type": "Pass", "Next": "A"},
            "A": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "B",
                        "States": {
                            "B": {"Type": "Pass", "End": True},
                            "Lost2": {"Type": "Pass", "End": True},
                        },
                    }
                ],
                "Next": "C",
            },
            "C": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "D",
                    "States": {
                        "D": {"Type": "Succeed"},
                        "Lost3": {"Type": "Pass", "Next": "D"},
                    },
                },
                "End": True,
            },
            "Lost4": {"Type": "Succeed"},
        },
    }
    assert unreachable_states(definition) == [
        ("/States/Lost1", "Lost1"),
        ("/States/A/Branches/0/States/Lost2", "Lost2"),
        ("/States/C/ItemProcessor/States/Lost3", "Lost3"),
        ("/States/Lost4", "Lost4"),
    ]


def test_reachability_follows_choice_default_and_catch():
    definition = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Next": "T"}], "Default": "D"},
            "T": {"Type": "Task", "Catch": [{"ErrorEquals": ["X"], "Next": "H"}], "End": True},
            "D": {"Type": "Succeed"},
            "H": {"Type": "Fail"},
        },
    }
    assert unreachable_states(definition) == []


def test_states_reachable_only_from_unreachable_states_are_unreachable():
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Succeed"},
            "X": {"Type": "Pass", "Next": "Y"},
            "Y": {"Type": "Pass", "Next": "X"},
        },
    }
    assert unreachable_states(definition) == [("/States/X", "X"), ("/States/Y", "Y")]


def test_block_with_dangling_start_reports_no_unreachable_states():
    definition = {"StartAt": "Ghost", "States": {"A": {"Type": "Succeed"}}}
    assert unreachable_states(definition) == []


def test_pointer_escapes_slash_and_tilde_in_names():
    definition = {
        "StartAt": "a/b",
        "States": {"a/b": {"Type": "Succeed"}, "c~d": {"Type": "Succeed"}},
    }
    assert build_graph(definition).nodes["a/b"]["pointer"] == "/States/a~1b"
    assert unreachable_states(definition) == [("/States/c~0d", "c~d")]
