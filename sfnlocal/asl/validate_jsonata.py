"""Definition-time checks of JSONata expressions (checklist §9), reported as SCHEMA_VALIDATION_FAILED.

For every ``{% %}`` string in a field that a JSONata state evaluates:

- the expression must parse (``... must be a valid JSONata expression (S0207: ...)``);
- ``$$`` is not allowed anywhere, nor ``$`` or a bare field name (``foo``, ``foo.bar``) where the
  expression reads the input at its top level: the input is ``$states.input``; inside predicates,
  path steps and function bodies ``$`` and names are relative, and allowed;
- ``$states.result`` only in the ``Output``/``Assign`` of Task, Parallel and Map states;
- ``$states.errorOutput`` only in a Catcher's ``Output``/``Assign``.

Each problem is located at the string itself (``/States/S/Output/result``). AWS rejects these at
CreateStateMachine; its exact wording is not recorded in the conformance cases, so the messages follow
the pattern of the other checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sfnlocal.asl.validate_values import JSONATA, Report, child
from sfnlocal.expressions.jsonata import expression_text, is_jsonata_string
from sfnlocal.expressions.jsonata_engine import JsonataSyntaxError, compile_expression

__all__ = ["check_jsonata"]

_RESULT_OWNERS = frozenset({"Task", "Parallel", "Map"})
_NESTED = ("stages", "predicate", "group", "terms", "pattern", "update", "delete")
_INHERITED = ("lhs", "rhs", "expression", "expressions", "arguments", "procedure", "condition", "then",
              "_else", "lhs_object", "rhs_object", "expr")
_TYPE_FIELDS = {
    "Task": ("Arguments", "TimeoutSeconds", "HeartbeatSeconds", "Credentials"),
    "Parallel": ("Arguments",),
    "Map": ("Items", "ItemSelector", "MaxConcurrency", "ToleratedFailureCount",
            "ToleratedFailurePercentage"),
    "Wait": ("Seconds", "Timestamp"),
    "Fail": ("Error", "Cause"),
}
_MAP_PARTS = (("ItemReader", "Arguments"), ("ItemReader", "ReaderConfig"), ("ResultWriter", "Arguments"),
              ("ItemBatcher", "MaxItemsPerBatch"), ("ItemBatcher", "MaxInputBytesPerBatch"),
              ("ItemBatcher", "BatchInput"))


# -- the expression tree ---------------------------------------------------------------------------


def _flat(value: Any) -> Iterator[Any]:
    if isinstance(value, list | tuple):
        for item in value:
            yield from _flat(item)
    elif value is not None and hasattr(value, "type"):
        yield value


def _children(node: Any, top: bool) -> Iterator[tuple[Any, bool]]:
    """The sub-expressions of ``node``, each with whether it still reads the top-level input."""
    if node.type == "path":
        steps = list(_flat(node.steps))
        for index, step in enumerate(steps):
            yield step, top and index == 0
    if node.type != "lambda":
        for name in _INHERITED:
            for item in _flat(getattr(node, name, None)):
                yield item, top
    else:
        yield from ((item, False) for item in _flat(getattr(node, "body", None)))
    for name in _NESTED:
        for item in _flat(getattr(node, name, None)):
            yield item, False


def _walk(node: Any, top: bool = True, depth: int = 0) -> Iterator[tuple[Any, bool]]:
    """Every node of the tree with its top-level flag (bounded depth: trees come from user text)."""
    yield node, top
    if depth < 200:
        for item, item_top in _children(node, top):
            yield from _walk(item, item_top, depth + 1)


def _states_member(node: Any) -> str | None:
    """``result`` for a ``$states.result...`` path (likewise other members), else None."""
    if node.type != "path":
        return None
    steps = list(_flat(node.steps))
    if len(steps) < 2 or steps[0].type != "variable" or steps[0].value != "states":
        return None
    return str(steps[1].value) if steps[1].type == "name" else None


def _tree_problems(tree: Any, allowed: frozenset[str]) -> Iterator[str]:
    """What is wrong with a parsed expression, as the end of a sentence about it."""
    seen: set[str] = set()
    for node, top in _walk(tree):
        problem = None
        if node.type == "variable" and node.value == "$":
            problem = "uses '$$', which is not supported in JSONata states"
        elif top and node.type == "variable" and node.value == "":
            problem = "uses '$' at the top level: the state input is $states.input"
        elif top and node.type == "name":
            problem = (f"refers to the field '{node.value}' at the top level: the state input is "
                       "$states.input")
        else:
            member = _states_member(node)
            if member in ("result", "errorOutput") and member not in allowed:
                problem = f"uses $states.{member}, which is not available in this field"
        if problem is not None and problem not in seen:
            seen.add(problem)
            yield problem


# -- the definition --------------------------------------------------------------------------------


def _check_string(report: Report, value: str, where: str, allowed: frozenset[str]) -> None:
    text = expression_text(value)
    try:
        expression = compile_expression(text)
    except JsonataSyntaxError as err:
        name = where.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        report.error(f"The value for the field '{name}' must be a valid JSONata expression ({err})", where)
        return
    for problem in _tree_problems(expression.tree, allowed):
        report.error(f"The JSONata expression '{text}' {problem}", where)


def _check_value(report: Report, value: Any, where: str, allowed: frozenset[str]) -> None:
    """Check every ``{% %}`` string inside a field value."""
    if is_jsonata_string(value):
        _check_string(report, value, where, allowed)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(report, item, child(where, key), allowed)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(report, item, child(where, index), allowed)


def _check_fields(report: Report, body: dict[str, Any], where: str, names: tuple[str, ...],
                  allowed: frozenset[str]) -> None:
    for name in names:
        if name in body:
            _check_value(report, body[name], child(where, name), allowed)


def _check_catchers(report: Report, state: dict[str, Any], where: str) -> None:
    catchers = state.get("Catch")
    for index, catcher in enumerate(catchers if isinstance(catchers, list) else []):
        if isinstance(catcher, dict):
            _check_fields(report, catcher, child(where, "Catch", index), ("Output", "Assign"),
                          frozenset({"errorOutput"}))


def _check_choices(report: Report, state: dict[str, Any], where: str) -> None:
    rules = state.get("Choices")
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict):
            _check_fields(report, rule, child(where, "Choices", index), ("Condition", "Output", "Assign"),
                          frozenset())


def _check_map_parts(report: Report, state: dict[str, Any], where: str) -> None:
    for part, name in _MAP_PARTS:
        body = state.get(part)
        if isinstance(body, dict) and name in body:
            value = body[name]
            if name == "ReaderConfig":
                value = value.get("MaxItems") if isinstance(value, dict) else None
                _check_value(report, value, child(where, part, name, "MaxItems"), frozenset())
            else:
                _check_value(report, value, child(where, part, name), frozenset())


def _check_state(report: Report, state: dict[str, Any], where: str) -> None:
    kind = state.get("Type")
    own = frozenset({"result"}) if kind in _RESULT_OWNERS else frozenset()
    _check_fields(report, state, where, ("Output", "Assign"), own)
    _check_fields(report, state, where, _TYPE_FIELDS.get(str(kind), ()), frozenset())
    if kind == "Choice":
        _check_choices(report, state, where)
    if kind in _RESULT_OWNERS:
        _check_catchers(report, state, where)
    if kind == "Map":
        _check_map_parts(report, state, where)


def _blocks(state: dict[str, Any], where: str) -> Iterator[tuple[Any, str]]:
    branches = state.get("Branches")
    for index, branch in enumerate(branches if isinstance(branches, list) else []):
        yield branch, child(where, "Branches", index)
    for key in ("ItemProcessor", "Iterator"):
        if key in state:
            yield state[key], child(where, key)


def _check_block(report: Report, block: Any, where: str, depth: int = 0) -> None:
    states = block.get("States") if isinstance(block, dict) else None
    if not isinstance(states, dict) or depth > 50:
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        state_where = child(where, "States", name)
        if state.get("QueryLanguage", report.top_language) == JSONATA:
            _check_state(report, state, state_where)
        for inner, inner_where in _blocks(state, state_where):
            _check_block(report, inner, inner_where, depth + 1)


def check_jsonata(report: Report, definition: Any) -> None:
    """Report the JSONata problems of ``definition`` (states inherit the machine's QueryLanguage)."""
    _check_block(report, definition, "")
