"""The transition graph of a state machine, built from the raw definition.

``build_graph`` reads the definition as plain parsed JSON, which may be invalid: fields of the
wrong type, missing fields and dangling targets are skipped (never raised), so validation can use
the graph before anything is compiled.

The graph is a ``networkx.MultiDiGraph`` (a subclass of ``DiGraph``) because several transitions
may join the same two states, e.g. two Choice rules leading to one state.

Nodes:
    One per state; the node id is the state name (names are unique across a valid machine).
    There is **no synthetic start node**: any string is a valid state name, so a synthetic id
    could collide. The entry is ``g.graph["start"]`` and the ``start`` node attribute; exporters
    draw the marker. Attributes: ``type`` (str or None), ``block`` (pointer of the enclosing
    block, ``""`` at the top level), ``parent`` (the enclosing Parallel/Map state's name or
    None), ``branch`` (the Parallel branch index or None), ``pointer``
    (``/States/P/Branches/0/States/B``), ``start``, ``end`` (``End`` is true or the type is
    Succeed/Fail) and ``comment``.

Edges:
    Each edge has a key, a ``kind`` and a ``field`` (the JSON pointer of the field).
    ``next`` (key ``"next"``); ``choice`` (key ``"choice:i"``, attributes ``index`` and
    ``condition`` text); ``default``; ``catch`` (key ``"catch:i"``, ``index``, ``errors``);
    ``branch`` (key ``"branch:i"``, ``index``) from a Parallel to each branch's StartAt;
    ``processor`` from a Map to its ``ItemProcessor``/``Iterator`` StartAt. Transitions
    (next/choice/default/catch) only join states of the same block.

Graph attributes:
    ``start``: the top-level StartAt (or None). ``comment``: the top-level Comment.
    ``blocks``: block pointer -> ``{"kind": "root"|"branch"|"processor", "start", "parent",
    "branch", "states": [names]}``, in definition order.
    ``dangling``: ``(field pointer, target)`` for every string target naming no state of its
    block (a ``StartAt`` included); no node or edge is made for them.
    ``duplicates``: ``(state pointer, name)`` for a state whose name was already used; it gets
    no node and no edges.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sfnlocal.asl.choice_rules import condition_text
from sfnlocal.asl.diagnostics import pointer as _ptr

if TYPE_CHECKING:
    import networkx as nx

    from sfnlocal.asl.model import StateMachine

__all__ = ["build_graph", "definition_of", "graph", "unreachable_states"]

BlockKind = Literal["root", "branch", "processor"]
_TERMINAL_TYPES = frozenset({"Succeed", "Fail"})
_PROCESSOR_FIELDS = ("ItemProcessor", "Iterator")


@dataclass(frozen=True, slots=True)
class _Block:
    """One ``StartAt`` + ``States`` pair found in the raw definition."""

    pointer: str
    kind: BlockKind
    start_at: Any
    states: Mapping[str, Any]
    parent: str | None = None
    branch: int | None = None


@dataclass(frozen=True, slots=True)
class _Transition:
    """One readable transition field of a state."""

    kind: str
    key: str
    target: str
    location: str
    attrs: dict[str, Any] = field(default_factory=dict)


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _make_block(
    raw: Any, ptr: str, kind: BlockKind, parent: str | None = None, branch: int | None = None
) -> _Block:
    body = _as_mapping(raw)
    states = _as_mapping(body.get("States"))
    return _Block(ptr, kind, body.get("StartAt"), states, parent, branch)


def _child_blocks(name: str, state: Any, state_ptr: str) -> Iterator[_Block]:
    """The blocks directly nested in one state (Parallel branches, Map processors)."""
    body = _as_mapping(state)
    if body.get("Type") == "Parallel":
        for i, raw in enumerate(_as_list(body.get("Branches"))):
            yield _make_block(raw, state_ptr + _ptr("Branches", i), "branch", name, i)
    elif body.get("Type") == "Map":
        for key in _PROCESSOR_FIELDS:
            if key in body:
                yield _make_block(body[key], state_ptr + _ptr(key), "processor", name)


def _walk(block: _Block) -> Iterator[tuple[_Block, str, Any]]:
    """Yield ``(block, name, state)`` for every state, nested ones included, in definition order."""
    for name, state in block.states.items():
        yield block, name, state
        for child in _child_blocks(name, state, _state_pointer(block, name)):
            yield from _walk(child)


def _blocks(root: _Block) -> Iterator[_Block]:
    """Every block in definition order, the root first."""
    yield root
    for name, state in root.states.items():
        for child in _child_blocks(name, state, _state_pointer(root, name)):
            yield from _blocks(child)


def _state_pointer(block: _Block, name: str) -> str:
    return block.pointer + _ptr("States", name)


def _choice_transitions(body: Mapping[str, Any], ptr: str) -> Iterator[_Transition]:
    for i, rule in enumerate(_as_list(body.get("Choices"))):
        target = _as_mapping(rule).get("Next")
        if isinstance(target, str):
            attrs = {"index": i, "condition": condition_text(_as_mapping(rule))}
            where = ptr + _ptr("Choices", i, "Next")
            yield _Transition("choice", f"choice:{i}", target, where, attrs)
    if isinstance(body.get("Default"), str):
        yield _Transition("default", "default", body["Default"], ptr + _ptr("Default"))


def _catch_transitions(body: Mapping[str, Any], ptr: str) -> Iterator[_Transition]:
    for i, catcher in enumerate(_as_list(body.get("Catch"))):
        catcher = _as_mapping(catcher)
        target = catcher.get("Next")
        if isinstance(target, str):
            errors = [e for e in _as_list(catcher.get("ErrorEquals")) if isinstance(e, str)]
            attrs = {"index": i, "errors": errors}
            yield _Transition("catch", f"catch:{i}", target, ptr + _ptr("Catch", i, "Next"), attrs)


def _transitions(state: Any, ptr: str) -> Iterator[_Transition]:
    """The readable ``Next``/``Choices[i].Next``/``Default``/``Catch[i].Next`` of a raw state."""
    body = _as_mapping(state)
    if isinstance(body.get("Next"), str):
        yield _Transition("next", "next", body["Next"], ptr + _ptr("Next"))
    yield from _choice_transitions(body, ptr)
    yield from _catch_transitions(body, ptr)


def _node_attrs(block: _Block, name: str, state: Any) -> dict[str, Any]:
    body = _as_mapping(state)
    kind = body.get("Type") if isinstance(body.get("Type"), str) else None
    comment = body.get("Comment") if isinstance(body.get("Comment"), str) else None
    return {
        "type": kind,
        "block": block.pointer,
        "parent": block.parent,
        "branch": block.branch,
        "pointer": _state_pointer(block, name),
        "start": name == block.start_at,
        "end": body.get("End") is True or kind in _TERMINAL_TYPES,
        "comment": comment,
    }


def _block_info(block: _Block) -> dict[str, Any]:
    start = block.start_at if isinstance(block.start_at, str) else None
    return {
        "kind": block.kind,
        "start": start,
        "parent": block.parent,
        "branch": block.branch,
        "states": list(block.states),
    }


def _add_nodes(g: nx.MultiDiGraph, root: _Block) -> set[tuple[str, str]]:
    """Add one node per state; return the (block pointer, name) pairs that got a node."""
    owners: set[tuple[str, str]] = set()
    for block, name, state in _walk(root):
        if name in g:
            g.graph["duplicates"].append((_state_pointer(block, name), name))
            continue
        g.add_node(name, **_node_attrs(block, name, state))
        owners.add((block.pointer, name))
    return owners


def _check_start(g: nx.MultiDiGraph, block: _Block) -> None:
    start = block.start_at
    if isinstance(start, str) and start not in block.states:
        g.graph["dangling"].append((block.pointer + _ptr("StartAt"), start))


def _add_block_edges(g: nx.MultiDiGraph, block: _Block, owners: set[tuple[str, str]]) -> None:
    _check_start(g, block)
    for name, state in block.states.items():
        if (block.pointer, name) not in owners:
            continue
        for t in _transitions(state, _state_pointer(block, name)):
            if (block.pointer, t.target) in owners:
                g.add_edge(name, t.target, key=t.key, kind=t.kind, field=t.location, **t.attrs)
            elif t.target not in block.states:
                g.graph["dangling"].append((t.location, t.target))


def _add_child_edges(g: nx.MultiDiGraph, block: _Block, owners: set[tuple[str, str]]) -> None:
    """Hang each nested block off its Parallel/Map state."""
    parent = block.parent
    start = block.start_at
    if parent is None or not isinstance(start, str) or (block.pointer, start) not in owners:
        return
    key = "processor" if block.branch is None else f"branch:{block.branch}"
    attrs: dict[str, Any] = {"kind": "processor" if block.branch is None else "branch"}
    if block.branch is not None:
        attrs["index"] = block.branch
    g.add_edge(parent, start, key=key, field=block.pointer, **attrs)


def build_graph(definition: Mapping[str, Any]) -> nx.MultiDiGraph:
    """Build the transition graph of a raw definition (see the module docstring for its shape).

    Args:
        definition: the parsed definition JSON; invalid parts are skipped, never raised.

    Returns:
        A ``networkx.MultiDiGraph`` with one node per state.
    """
    root = _make_block(definition, "", "root")
    import networkx as nx  # imported on use: it costs ~50 ms at start-up

    g = nx.MultiDiGraph()
    body = _as_mapping(definition)
    g.graph.update(
        start=root.start_at if isinstance(root.start_at, str) else None,
        comment=body.get("Comment") if isinstance(body.get("Comment"), str) else None,
        blocks={},
        dangling=[],
        duplicates=[],
    )
    owners = _add_nodes(g, root)
    for block in _blocks(root):
        g.graph["blocks"][block.pointer] = _block_info(block)
        _add_block_edges(g, block, owners)
        _add_child_edges(g, block, owners)
    return g


def graph(machine_or_definition: StateMachine | Mapping[str, Any]) -> nx.MultiDiGraph:
    """Build the graph of a compiled ``StateMachine`` (its ``definition``) or a raw definition."""
    return build_graph(definition_of(machine_or_definition))


def definition_of(source: StateMachine | Mapping[str, Any]) -> Mapping[str, Any]:
    """The raw definition of a compiled ``StateMachine``, or ``source`` itself."""
    if isinstance(source, Mapping):
        return source
    return source.definition


def _reachable(block: _Block) -> set[str]:
    """Names reachable from the block's StartAt through next/choice/default/catch transitions."""
    start = block.start_at
    if not isinstance(start, str) or start not in block.states:
        return set(block.states)  # no valid entry: the StartAt diagnostic says it all
    seen = {start}
    queue = deque([start])
    while queue:
        name = queue.popleft()
        for t in _transitions(block.states[name], _state_pointer(block, name)):
            if t.target in block.states and t.target not in seen:
                seen.add(t.target)
                queue.append(t.target)
    return seen


def unreachable_states(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    """States not reachable from their block's ``StartAt``, nested blocks included.

    Reachability is computed per block on the block's own names, so it does not depend on names
    being unique. A block whose ``StartAt`` is missing or names no state reports none of its
    states (the missing target is the error to show, not a cascade of unreachable states).

    Args:
        definition: the parsed definition JSON (possibly invalid).

    Returns:
        ``(state pointer, state name)`` pairs in definition order.
    """
    root = _make_block(definition, "", "root")
    reachable = {block.pointer: _reachable(block) for block in _blocks(root)}
    return [
        (_state_pointer(block, name), name)
        for block, name, _ in _walk(root)
        if name not in reachable[block.pointer]
    ]
