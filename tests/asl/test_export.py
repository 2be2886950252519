import json
import re
from types import SimpleNamespace
from typing import Any

import pytest

from sfnlocal.asl.export import to_dot, to_json, to_mermaid
from sfnlocal.asl.graph import build_graph

WEIRD = 'Say "hi" <b>#1</b> & `x` | end'

MACHINE: dict[str, Any] = {
    "StartAt": "Route",
    "States": {
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.s", "StringEquals": 'a"b', "Next": WEIRD}],
            "Default": "Fan",
        },
        WEIRD: {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Catch": [{"ErrorEquals": ["States.Timeout", "Custom"], "Next": "Oops"}],
            "Next": "Fan",
        },
        "Fan": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "B0", "States": {"B0": {"Type": "Wait", "Seconds": 1, "End": True}}},
                {
                    "StartAt": "Loop",
                    "States": {
                        "Loop": {
                            "Type": "Map",
                            "ItemProcessor": {
                                "StartAt": "Item",
                                "States": {"Item": {"Type": "Pass", "End": True}},
                            },
                            "End": True,
                        }
                    },
                },
            ],
            "Next": "Done",
        },
        "Oops": {"Type": "Fail"},
        "Done": {"Type": "Succeed"},
    },
}
STATES = ["Route", WEIRD, "Fan", "B0", "Loop", "Item", "Oops", "Done"]


# ---------------------------------------------------------------------------------------------
# DOT, parsed back structurally

DOT_STRING = r'"(?:[^"\\]|\\.)*"'
DOT_NODE = re.compile(rf"^\s*(n\d+) \[label=({DOT_STRING}), shape=(\w+)")
DOT_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?;$")
DOT_LABEL = re.compile(rf"label=({DOT_STRING})")


def dot_unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def parse_dot(dot: str) -> dict[str, Any]:
    nodes: dict[str, tuple[str, str]] = {}
    edges: list[tuple[str, str, str]] = []
    cluster_of: dict[str, str] = {}
    stack: list[str] = []
    for line in dot.splitlines():
        if m := re.match(r"^\s*subgraph (cluster_\w+) \{$", line):
            stack.append(m.group(1))
        elif line.strip() == "}" and stack:
            stack.pop()
        elif m := DOT_NODE.match(line):
            nodes[m.group(1)] = (dot_unquote(m.group(2)), m.group(3))
            if stack:
                cluster_of[m.group(1)] = stack[-1]
        elif m := DOT_EDGE.match(line):
            label = DOT_LABEL.search(m.group(3) or "")
            edges.append((m.group(1), m.group(2), dot_unquote(label.group(1)) if label else ""))
    return {"nodes": nodes, "edges": edges, "clusters": cluster_of, "open": stack}


def test_dot_is_a_balanced_digraph():
    dot = to_dot(MACHINE)
    assert dot.startswith('digraph "StateMachine" {\n')
    assert dot.endswith("}\n")
    assert dot.count("{") == dot.count("}")
    assert parse_dot(dot)["open"] == []


def test_dot_has_one_node_per_state_with_the_name_as_label():
    nodes = parse_dot(to_dot(MACHINE))["nodes"]
    assert sorted(label for label, _ in nodes.values()) == sorted(STATES)


def test_dot_shapes_follow_types():
    shapes = {label: shape for label, shape in parse_dot(to_dot(MACHINE))["nodes"].values()}
    assert shapes["Route"] == "diamond"
    assert shapes["Oops"] == "octagon"
    assert shapes["B0"] == "hexagon"
    assert shapes[WEIRD] == "box"


def test_dot_clusters_for_branches_and_processors():
    parsed = parse_dot(to_dot(MACHINE))
    by_label = {label: node for node, (label, _) in parsed["nodes"].items()}
    clusters = parsed["clusters"]
    assert len(set(clusters.values())) == 3
    assert clusters[by_label["B0"]] != clusters[by_label["Loop"]]
    assert "Route" not in {parsed["nodes"][n][0] for n in clusters}
    assert len(re.findall(r"subgraph cluster_\w+ \{", to_dot(MACHINE))) == 3


def test_dot_edges_with_labels_and_markers():
    parsed = parse_dot(to_dot(MACHINE))
    label = {node: name for node, (name, _) in parsed["nodes"].items()}
    label.update(sfnstart="<start>", sfnstop="<end>")
    named = {(label[u], label[v], text) for u, v, text in parsed["edges"]}
    assert (("Route", WEIRD, '$.s StringEquals "a\\"b"')) in named
    assert ("Route", "Fan", "Default") in named
    assert (WEIRD, "Oops", "States.Timeout, Custom") in named
    assert ("Fan", "Loop", "branch 1") in named
    assert ("<start>", "Route", "") in named
    assert {u for u, v, _ in named if v == "<end>"} == {"Oops", "Done"}
    assert len(parsed["edges"]) == build_graph(MACHINE).number_of_edges() + 3


def test_dot_catch_edges_are_dashed():
    line = next(x for x in to_dot(MACHINE).splitlines() if "States.Timeout" in x)
    assert "style=dashed" in line


def test_dot_escapes_backslashes_in_labels():
    definition = {"StartAt": "a\\b", "States": {"a\\b": {"Type": "Succeed"}}}
    assert '[label="a\\\\b"' in to_dot(definition)


# ---------------------------------------------------------------------------------------------
# Mermaid

MERMAID_NODE = re.compile(r'^\s*(n\d+)(\W+)"([^"]*)"(\W+?)(?::::(\w+))?$')


def mermaid_lines(source: Any) -> list[str]:
    return to_mermaid(source).splitlines()


def mermaid_nodes(source: Any) -> dict[str, tuple[str, str, str]]:
    found = {}
    for line in mermaid_lines(source):
        if m := MERMAID_NODE.match(line):
            label = re.sub(r"#(\d+);", lambda c: chr(int(c.group(1))), m.group(3))
            found[label] = (m.group(1), m.group(2), m.group(4))
    return found


def test_mermaid_header_and_one_node_per_state():
    lines = mermaid_lines(MACHINE)
    assert lines[0] == "flowchart TD"
    nodes = mermaid_nodes(MACHINE)
    assert len(nodes) == len(STATES)
    assert "Route" in nodes


def test_mermaid_shapes_follow_types():
    nodes = mermaid_nodes(MACHINE)
    assert nodes["Route"][1:] == ("{", "}")
    assert nodes["Done"][1:] == ("([", "])")
    assert nodes["B0"][1:] == ("{{", "}}")


def test_mermaid_escapes_special_characters_in_labels():
    text = to_mermaid(MACHINE)
    assert "Say #34;hi#34; #60;b#62;#35;1#60;/b#62; #38; #96;x#96; #124; end" in text
    for line in text.splitlines()[1:]:
        assert line.count('"') % 2 == 0, line


def test_mermaid_node_ids_are_sanitised():
    for node_id, _, _ in mermaid_nodes(MACHINE).values():
        assert re.fullmatch(r"n\d+", node_id)


def test_mermaid_subgraphs_for_branches_and_processor():
    lines = mermaid_lines(MACHINE)
    subgraphs = [x.strip() for x in lines if x.strip().startswith("subgraph ")]
    assert subgraphs == [
        'subgraph b1 ["Fan: branch 0"]',
        'subgraph b2 ["Fan: branch 1"]',
        'subgraph b3 ["Loop: item processor"]',
    ]
    assert sum(1 for x in lines if x.strip() == "end") == 3
    inner = lines.index('        subgraph b3 ["Loop: item processor"]')
    assert lines[inner + 1] == '            n5("Item")'
    assert lines[inner + 2] == "        end"


def test_mermaid_edges():
    ids = {name: v[0] for name, v in mermaid_nodes(MACHINE).items()}
    lines = set(mermaid_lines(MACHINE))
    assert f'    {ids["Route"]} -->|"$.s StringEquals #34;a\\#34;b#34;"| {ids[WEIRD]}' in lines
    assert f'    {ids["Route"]} -->|"Default"| {ids["Fan"]}' in lines
    assert f'    {ids[WEIRD]} -.->|"States.Timeout, Custom"| {ids["Oops"]}' in lines
    assert f"    {ids['Loop']} ==> {ids['Item']}" in lines
    assert f'    sfnstart(("Start")) --> {ids["Route"]}' in lines
    assert f"    {ids['Done']} --> sfnstop" in lines


def test_mermaid_truncates_long_conditions_to_one_line():
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "StringEquals": "y" * 200 + "\n", "Next": "D"}],
            },
            "D": {"Type": "Succeed"},
        },
    }
    edge = next(x for x in mermaid_lines(definition) if "StringEquals" in x)
    assert edge.endswith('..."| n1')
    assert len(edge) < 120


# ---------------------------------------------------------------------------------------------
# JSON


def test_json_is_serialisable_and_complete():
    data = json.loads(json.dumps(to_json(MACHINE)))
    assert data["start"] == "Route"
    assert [n["id"] for n in data["nodes"]] == STATES
    assert len(data["edges"]) == build_graph(MACHINE).number_of_edges()
    assert [b["pointer"] for b in data["blocks"]] == [
        "",
        "/States/Fan/Branches/0",
        "/States/Fan/Branches/1",
        "/States/Fan/Branches/1/States/Loop/ItemProcessor",
    ]


def test_json_edges_keep_kinds_and_attributes():
    edges = to_json(MACHINE)["edges"]
    catch = next(e for e in edges if e["kind"] == "catch")
    assert catch == {
        "source": WEIRD,
        "target": "Oops",
        "key": "catch:0",
        "kind": "catch",
        "field": f"/States/{WEIRD.replace('/', '~1')}/Catch/0/Next",
        "index": 0,
        "errors": ["States.Timeout", "Custom"],
    }


def test_json_lists_dangling_targets():
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nope"}}}
    assert to_json(definition)["dangling"] == [{"field": "/States/A/Next", "target": "Nope"}]


# ---------------------------------------------------------------------------------------------
# Sources


@pytest.mark.parametrize("render", [to_mermaid, to_dot, to_json])
def test_every_renderer_accepts_graph_machine_or_definition(render: Any):
    expected = render(MACHINE)
    assert render(build_graph(MACHINE)) == expected
    assert render(SimpleNamespace(definition=MACHINE)) == expected


@pytest.mark.parametrize("render", [to_mermaid, to_dot, to_json])
def test_renderers_survive_invalid_definitions(render: Any):
    definition = {"StartAt": 3, "States": {"A": 5, "B": {"Type": "Parallel", "Branches": [7]}}}
    assert render(definition)
