"""Rules across states: names, variable scopes, transition targets, reachability, terminal states.

The definition is seen as *blocks* (the top level, each Parallel branch, each Map processor), each a
``StartAt`` + ``States`` pair. Transitions stay inside their block; names are unique across all
blocks; an inner block may not assign a variable that an enclosing block assigns (a Distributed
Map's processor has no enclosing scope: its children cannot see outer variables).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sfnlocal.asl.diagnostics import (
    MISSING_END_STATE,
    MISSING_TRANSITION_TARGET,
    Diagnostic,
)
from sfnlocal.asl.graph import unreachable_states
from sfnlocal.asl.validate_nested import assigned_names
from sfnlocal.asl.validate_values import Report, child

__all__ = ["Block", "check_names", "check_scopes", "check_transitions"]

MAX_STATE_NAME = 80
_TERMINAL_TYPES = ("Succeed", "Fail")


@dataclass(frozen=True, slots=True)
class Block:
    """A ``StartAt`` + ``States`` pair of the definition.

    Attributes:
        where: the pointer of the object holding ``StartAt``/``States`` (``""`` at the top level).
        start_at: the ``StartAt`` value (a string once the block passed its allow-list).
        states: the ``States`` object.
        parent: the enclosing block, or None at the top level.
        isolated: True for a Distributed Map's processor (no enclosing variable scope).
    """

    where: str
    start_at: Any
    states: Mapping[str, Any]
    parent: Block | None = None
    isolated: bool = False

    def state_pointer(self, name: str) -> str:
        """The pointer of the state ``name`` of this block."""
        return child(self.where, "States", name)


def _states(blocks: list[Block]) -> Iterator[tuple[Block, str, Any]]:
    for block in blocks:
        for name, state in block.states.items():
            yield block, name, state


def check_names(report: Report, blocks: list[Block]) -> None:
    """State names: at most 80 characters, unique across the whole machine."""
    first: dict[str, str] = {}
    for block, name, _ in _states(blocks):
        where = block.state_pointer(name)
        if len(name) > MAX_STATE_NAME:
            report.error(f"The state name '{name}' is longer than 80 characters", where)
        if name in first:
            report.error(f"The state name '{name}' is not unique: also at {first[name]}", where)
        else:
            first[name] = where


def _assignments(block: Block) -> Iterator[tuple[str, str]]:
    """``(variable name, Assign pointer)`` for every Assign of the block's own states."""
    for name, state in block.states.items():
        if not isinstance(state, dict):
            continue
        where = block.state_pointer(name)
        owners: list[tuple[str | int, ...]] = [("Assign",)]
        for field in ("Choices", "Catch"):
            entries = state.get(field)
            count = len(entries) if isinstance(entries, list) else 0
            owners += [(field, index, "Assign") for index in range(count)]
        for parts in owners:
            value = _dig(state, parts)
            for variable in assigned_names(value):
                yield variable, child(where, *parts)


def _dig(value: Any, parts: tuple[str | int, ...]) -> Any:
    for part in parts:
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


def _outer_names(block: Block, assigned: dict[str, set[str]]) -> set[str]:
    names: set[str] = set()
    while not block.isolated and block.parent is not None:
        block = block.parent
        names |= assigned[block.where]
    return names


def check_scopes(report: Report, blocks: list[Block]) -> None:
    """An inner block may not assign a variable that an enclosing block assigns."""
    found = {block.where: list(_assignments(block)) for block in blocks}
    assigned = {where: {name for name, _ in pairs} for where, pairs in found.items()}
    for block in blocks:
        outer = _outer_names(block, assigned)
        for name, where in found[block.where]:
            if name in outer:
                report.error(f"Variable '{name}' is already assigned in an outer scope", where)


def _targets(state: Any, where: str) -> Iterator[tuple[str, str]]:
    """``(target name, field pointer)`` of every transition field of a state."""
    if not isinstance(state, dict):
        return
    for field in ("Next", "Default"):
        if isinstance(state.get(field), str):
            yield state[field], child(where, field)
    for field in ("Choices", "Catch"):
        entries = state.get(field)
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            if isinstance(entry, dict) and isinstance(entry.get("Next"), str):
                yield entry["Next"], child(where, field, index, "Next")


def _missing(report: Report, target: str, where: str) -> None:
    report.error(f"Missing 'Next' target: {target}", where, MISSING_TRANSITION_TARGET)


def _is_terminal(state: Any) -> bool:
    return isinstance(state, dict) and (
        state.get("End") is True or state.get("Type") in _TERMINAL_TYPES
    )


def _check_block_targets(report: Report, block: Block) -> None:
    if block.start_at not in block.states:
        _missing(report, str(block.start_at), child(block.where, "StartAt"))
    for name, state in block.states.items():
        for target, where in _targets(state, block.state_pointer(name)):
            if target not in block.states:
                _missing(report, target, where)


def _check_terminal(report: Report, block: Block) -> None:
    if not any(_is_terminal(state) for state in block.states.values()):
        where = block.where or None
        report.add(Diagnostic(MISSING_END_STATE, "Workflow has no terminal state", where))


def check_transitions(report: Report, definition: Mapping[str, Any], blocks: list[Block]) -> None:
    """Dangling targets, unreachable states and blocks without a terminal state."""
    for block in blocks:
        _check_block_targets(report, block)
    for where, name in unreachable_states(definition):
        report.error(f'State "{name}" is not reachable.', where, MISSING_TRANSITION_TARGET)
    for block in blocks:
        _check_terminal(report, block)
