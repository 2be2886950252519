"""Render a state machine graph as Mermaid, Graphviz DOT or JSON.

Every function accepts the graph from ``sfnlocal.asl.graph``, a compiled ``StateMachine`` or a raw
definition dict. State names may hold any character, so nodes get generated ids (``n0``, ``n1``...
in graph order) and the names only appear, escaped, in labels. Parallel branches and Map
processors become Mermaid ``subgraph`` blocks and DOT ``cluster_*`` subgraphs, nested as in the
definition. A ``Start`` marker points at the top-level StartAt and top-level terminal states point
at an ``End`` marker, as in the AWS console.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from sfnlocal.asl.graph import graph as _build

if TYPE_CHECKING:
    import networkx as nx

    from sfnlocal.asl.model import StateMachine

__all__ = ["to_dot", "to_json", "to_mermaid"]

Source: TypeAlias = "nx.MultiDiGraph | StateMachine | Mapping[str, Any]"

_START = "sfnstart"
_END = "sfnstop"
_MAX_LABEL = 80

_MERMAID_SHAPES = {
    "Task": ('["', '"]'),
    "Pass": ('("', '")'),
    "Choice": ('{"', '"}'),
    "Wait": ('{{"', '"}}'),
    "Succeed": ('(["', '"])'),
    "Fail": ('[["', '"]]'),
    "Parallel": ('[/"', '"/]'),
    "Map": ('[\\"', '"\\]'),
}
_MERMAID_ARROWS = {"catch": "-.->", "branch": "==>", "processor": "==>"}
_MERMAID_CLASSES = {
    "Choice": "fill:#fff4d6,stroke:#b58900",
    "Succeed": "fill:#dcf5dc,stroke:#2e7d32",
    "Fail": "fill:#fbdcdc,stroke:#c62828",
    "Parallel": "fill:#e3ecfa,stroke:#1f4e99",
    "Map": "fill:#e3ecfa,stroke:#1f4e99",
}
# Characters that could end a quoted Mermaid label or be read as markup; written as #code; entities.
_MERMAID_UNSAFE = frozenset('"#<>&`|')

_DOT_SHAPES = {
    "Task": 'shape=box, style="rounded"',
    "Pass": "shape=box",
    "Choice": "shape=diamond",
    "Wait": "shape=hexagon",
    "Succeed": 'shape=oval, style=filled, fillcolor="#dcf5dc"',
    "Fail": 'shape=octagon, style=filled, fillcolor="#fbdcdc"',
    "Parallel": "shape=box3d",
    "Map": "shape=component",
}
_DOT_EDGE_STYLES = {"catch": "style=dashed", "branch": "style=bold", "processor": "style=bold"}


def _graph(source: Source) -> nx.MultiDiGraph:
    import networkx as nx  # imported on use: it costs ~50 ms at start-up

    if isinstance(source, nx.Graph):
        return source
    return _build(source)


def _node_ids(g: nx.MultiDiGraph) -> dict[str, str]:
    return {name: f"n{i}" for i, name in enumerate(g.nodes)}


def _truncate(text: str) -> str:
    text = " ".join(text.split())  # one line: newlines and tabs would break both formats
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 3] + "..."


def _edge_label(data: Mapping[str, Any]) -> str:
    """The text shown on an edge: the condition, the caught errors, Default or the branch."""
    kind = data.get("kind")
    if kind == "choice":
        return _truncate(str(data.get("condition", "")))
    if kind == "catch":
        return _truncate(", ".join(data.get("errors", [])))
    if kind == "default":
        return "Default"
    if kind == "branch":
        return f"branch {data.get('index')}"
    return ""


def _block_title(info: Mapping[str, Any]) -> str:
    parent = info.get("parent") or ""
    if info.get("kind") == "branch":
        return f"{parent}: branch {info.get('branch')}"
    return f"{parent}: item processor"


def _child_blocks(g: nx.MultiDiGraph) -> dict[str, list[str]]:
    """Block pointer -> pointers of the blocks nested directly in it (through a Parallel/Map)."""
    children: dict[str, list[str]] = {}
    for ptr, info in g.graph.get("blocks", {}).items():
        parent = info.get("parent")
        if parent is not None and parent in g:
            children.setdefault(g.nodes[parent]["block"], []).append(ptr)
    return children


def _block_members(g: nx.MultiDiGraph) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {}
    for name, data in g.nodes(data=True):
        members.setdefault(data.get("block", ""), []).append(name)
    return members


def _terminal_roots(g: nx.MultiDiGraph) -> list[str]:
    """Top-level states that end the execution (they point at the End marker)."""
    return [n for n, d in g.nodes(data=True) if d.get("block", "") == "" and d.get("end")]


class _Layout:
    """Ids and block structure shared by the Mermaid and DOT writers."""

    def __init__(self, g: nx.MultiDiGraph) -> None:
        self.ids = _node_ids(g)
        self.members = _block_members(g)
        self.children = _child_blocks(g)
        self.block_ids = {ptr: f"b{i}" for i, ptr in enumerate(g.graph.get("blocks", {}))}


# ---------------------------------------------------------------------------------------------
# Mermaid


def _mermaid_escape(text: str) -> str:
    return "".join(f"#{ord(c)};" if c in _MERMAID_UNSAFE else c for c in _truncate(text))


def _mermaid_node(node_id: str, name: str, data: Mapping[str, Any]) -> str:
    opening, closing = _MERMAID_SHAPES.get(data.get("type") or "", ('["', '"]'))
    kind = data.get("type")
    css = f":::{kind}" if kind in _MERMAID_CLASSES else ""
    return f"{node_id}{opening}{_mermaid_escape(name)}{closing}{css}"


def _mermaid_block(g: nx.MultiDiGraph, ptr: str, ctx: _Layout, depth: int) -> Iterator[str]:
    """The node lines of one block and, nested, the subgraphs of its child blocks."""
    pad = "    " * depth
    for name in ctx.members.get(ptr, []):
        yield pad + _mermaid_node(ctx.ids[name], name, g.nodes[name])
    for child in ctx.children.get(ptr, []):
        sub_id = ctx.block_ids[child]
        title = _mermaid_escape(_block_title(g.graph["blocks"][child]))
        yield f'{pad}subgraph {sub_id} ["{title}"]'
        yield from _mermaid_block(g, child, ctx, depth + 1)
        yield f"{pad}end"


def _mermaid_edge(ids: Mapping[str, str], u: str, v: str, data: Mapping[str, Any]) -> str:
    arrow = _MERMAID_ARROWS.get(data.get("kind", ""), "-->")
    label = _edge_label(data)
    text = f'|"{_mermaid_escape(label)}"|' if label else ""
    return f"    {ids[u]} {arrow}{text} {ids[v]}"


def _mermaid_markers(g: nx.MultiDiGraph, ids: Mapping[str, str]) -> Iterator[str]:
    start = g.graph.get("start")
    if start in ids:
        yield f'    {_START}(("Start")) --> {ids[start]}'
    ends = _terminal_roots(g)
    if ends:
        yield f'    {_END}(("End"))'
    for name in ends:
        yield f"    {ids[name]} --> {_END}"


def to_mermaid(source: Source) -> str:
    """Render a Mermaid ``flowchart TD`` (renders on GitHub inside a ```mermaid block).

    Args:
        source: a graph from ``sfnlocal.asl.graph``, a ``StateMachine`` or a definition dict.

    Returns:
        The Mermaid text, one statement per line, ending with a newline.
    """
    g = _graph(source)
    ctx = _Layout(g)
    lines = ["flowchart TD"]
    lines += ["    " + line for line in _mermaid_block(g, "", ctx, 0)]
    lines += [_mermaid_edge(ctx.ids, u, v, d) for u, v, d in g.edges(data=True)]
    lines += list(_mermaid_markers(g, ctx.ids))
    lines += [f"    classDef {kind} {css}" for kind, css in _MERMAID_CLASSES.items()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Graphviz DOT


def _dot_quote(text: str) -> str:
    """A DOT double-quoted string; backslashes are doubled so labels show them literally."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _dot_node(node_id: str, name: str, data: Mapping[str, Any]) -> str:
    shape = _DOT_SHAPES.get(data.get("type") or "", "shape=box")
    return f"{node_id} [label={_dot_quote(_truncate(name))}, {shape}];"


def _dot_block(g: nx.MultiDiGraph, ptr: str, ctx: _Layout, depth: int) -> Iterator[str]:
    pad = "    " * depth
    for name in ctx.members.get(ptr, []):
        yield pad + _dot_node(ctx.ids[name], name, g.nodes[name])
    for child in ctx.children.get(ptr, []):
        yield f"{pad}subgraph cluster_{ctx.block_ids[child]} {{"
        yield f"{pad}    label={_dot_quote(_block_title(g.graph['blocks'][child]))};"
        yield f"{pad}    style=dashed;"
        yield from _dot_block(g, child, ctx, depth + 1)
        yield f"{pad}}}"


def _dot_edge(ids: Mapping[str, str], u: str, v: str, data: Mapping[str, Any]) -> str:
    attrs = [_DOT_EDGE_STYLES[data["kind"]]] if data.get("kind") in _DOT_EDGE_STYLES else []
    label = _edge_label(data)
    if label:
        attrs.append(f"label={_dot_quote(label)}")
    suffix = f" [{', '.join(attrs)}]" if attrs else ""
    return f"    {ids[u]} -> {ids[v]}{suffix};"


def _dot_markers(g: nx.MultiDiGraph, ids: Mapping[str, str]) -> Iterator[str]:
    start = g.graph.get("start")
    if start in ids:
        yield f'    {_START} [label="Start", shape=circle];'
        yield f"    {_START} -> {ids[start]};"
    ends = _terminal_roots(g)
    if ends:
        yield f'    {_END} [label="End", shape=doublecircle];'
    for name in ends:
        yield f"    {ids[name]} -> {_END};"


def to_dot(source: Source, name: str = "StateMachine") -> str:
    """Render a Graphviz ``digraph`` with one ``cluster_*`` subgraph per branch/processor.

    Args:
        source: a graph from ``sfnlocal.asl.graph``, a ``StateMachine`` or a definition dict.
        name: the digraph's name.

    Returns:
        The DOT text, ending with a newline.
    """
    g = _graph(source)
    ctx = _Layout(g)
    lines = [f"digraph {_dot_quote(name)} {{", '    node [fontname="Helvetica"];']
    lines += ["    " + line for line in _dot_block(g, "", ctx, 0)]
    lines += [_dot_edge(ctx.ids, u, v, d) for u, v, d in g.edges(data=True)]
    lines += list(_dot_markers(g, ctx.ids))
    return "\n".join(lines) + "\n}\n"


# ---------------------------------------------------------------------------------------------
# JSON


def _json_edge(u: str, v: str, key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"source": u, "target": v, "key": key, **data}


def _json_block(ptr: str, info: Mapping[str, Any]) -> dict[str, Any]:
    return {"pointer": ptr, **info, "states": list(info.get("states", []))}


def to_json(source: Source) -> dict[str, Any]:
    """A JSON-serialisable description of the graph, for web pages.

    Args:
        source: a graph from ``sfnlocal.asl.graph``, a ``StateMachine`` or a definition dict.

    Returns:
        ``{"start", "nodes": [{"id", <node attributes>}], "edges": [{"source", "target", "key",
        "kind", "field", ...}], "blocks": [{"pointer", "kind", "start", "parent", "branch",
        "states"}], "dangling": [{"field", "target"}]}``.
    """
    g = _graph(source)
    return {
        "start": g.graph.get("start"),
        "nodes": [{"id": n, **d} for n, d in g.nodes(data=True)],
        "edges": [_json_edge(u, v, k, d) for u, v, k, d in g.edges(keys=True, data=True)],
        "blocks": [_json_block(p, i) for p, i in g.graph.get("blocks", {}).items()],
        "dangling": [{"field": f, "target": t} for f, t in g.graph.get("dangling", [])],
    }
