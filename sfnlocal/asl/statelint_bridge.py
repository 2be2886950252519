"""Findings of the PyPI ``statelint`` package, turned into Diagnostics.

statelint reports problems as text such as
``State Machine.States.A.Retry[0].MaxAttempts is "x" but should be an Integer``. We keep the kinds
it is reliable for (value types, missing/forbidden/conflicting fields, enumerations, empty arrays)
and drop the rest, because they are our own rules or statelint gets them wrong against AWS:

* field allow-lists (statelint rejects ``Assign`` in JSONPath states, ``ProcessorConfig`` in an
  ``Iterator``, ``ReaderConfig.InputType``...), paths and ``.$`` templates (it rejects variables
  such as ``$answer``), JSONata strings in JSONata fields, timestamps (it accepts a missing zone),
  numeric ranges (it rejects integer ``BackoffRate`` and ``TimeoutSeconds: 99999999``), the
  types of ``ToleratedFailurePercentage`` (a number) and JSONata ``Condition`` (a boolean), and
  every graph rule (transitions, reachability, duplicate names, ``States.ALL``).

statelint decides a nested state's query language from the enclosing state, where AWS uses the
machine's; the definition is handed to it with each state's effective ``QueryLanguage`` spelled out.
A finding is also dropped when one of our diagnostics sits at the same location or above it.
statelint raises on some malformed definitions (e.g. a list as ``StartAt``); it then adds nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from sfnlocal.asl.diagnostics import SCHEMA_VALIDATION_FAILED, Diagnostic, pointer
from sfnlocal.asl.validate_values import JSONATA, JSONPATH, is_int, is_number
from sfnlocal.expressions.jsonata import is_jsonata_string

__all__ = ["statelint_diagnostics", "translate"]

_ROOT = "State Machine"
_TYPES = {
    "a String": "a string",
    "a Boolean": "a boolean",
    "an Object": "an object",
    "an Array": "an array",
    "an Integer": "an integer",
    "numeric": "a number",
}
_TYPE = re.compile(r" is (?P<value>.*) but should be (?P<type>" + "|".join(_TYPES) + r")")
_RULES = (
    (re.compile(r" should be non-null"), "The value for the field '{field}' must not be null"),
    (re.compile(r' does not have required field "(?P<names>[^"]*)"'),
     "These fields are required: [{names}]"),
    (re.compile(r" does not have required field from \[(?P<names>.*)\]"),
     "One of these fields is required: [{names}]"),
    (re.compile(r' has forbidden field "(?P<names>[^"]*)"'), "Field '{names}' is not supported"),
    (re.compile(r" may have only one of \[(?P<names>.*)\]"),
     "These fields cannot be used together: [{names}]"),
    (re.compile(r' is ".*", not one of the allowed values \[(?P<names>.*)\]'),
     "The value for the field '{field}' must be one of [{names}]"),
    (re.compile(r" is empty, non-empty required"), "Value cannot be empty"),
)
_LOOSE_TYPES = frozenset({"ToleratedFailurePercentage", "Condition"})
"""Fields whose type statelint gets wrong: a percentage may be fractional; a JSONata ``Condition``
may be a boolean literal."""
_INDEX = re.compile(r"\[(\d+)\]")
_BOUNDARY = frozenset(".[ ")


def _key_at(value: dict[str, Any], text: str) -> str | None:
    """The longest key of ``value`` that ``text`` (after its dot) starts with, at a boundary."""
    best = None
    for key in value:
        end = len(key) + 1
        if text.startswith(key, 1) and (len(text) == end or text[end] in _BOUNDARY):
            best = key if best is None or len(key) > len(best) else best
    return best


def _split_path(definition: Any, text: str) -> tuple[list[str | int], str]:
    """Parse statelint's ``.a.b[0]`` path against the definition; return (parts, the rest)."""
    parts: list[str | int] = []
    node = definition
    while text:
        index = _INDEX.match(text)
        key = _key_at(node, text) if isinstance(node, dict) and text[0] == "." else None
        if index is not None and isinstance(node, list):
            parts.append(int(index.group(1)))
            node = node[int(index.group(1))] if int(index.group(1)) < len(node) else None
            text = text[index.end():]
        elif key is not None:
            parts.append(key)
            node = node[key]
            text = text[len(key) + 1:]
        else:
            break
    return parts, text


def _field(parts: list[str | int]) -> str:
    return next((p for p in reversed(parts) if isinstance(p, str)), "")


def _names(text: str) -> str:
    return ", ".join(name.strip().strip('"') for name in text.split(","))


def _type_message(match: re.Match[str], field: str) -> str | None:
    try:
        value = json.loads(match.group("value"))
    except ValueError:
        value = match.group("value")
    wanted = match.group("type")
    if is_jsonata_string(value) or field in _LOOSE_TYPES:
        return None
    if (wanted == "an Integer" and is_int(value)) or (wanted == "numeric" and is_number(value)):
        return None
    return f"The value for the field '{field}' must be {_TYPES[wanted]}"


def _message(rest: str, field: str) -> str | None:
    match = _TYPE.fullmatch(rest)
    if match is not None:
        return _type_message(match, field)
    for pattern, text in _RULES:
        match = pattern.fullmatch(rest)
        if match is not None:
            names = _names(match.group("names")) if "names" in match.groupdict() else ""
            return text.format(field=field, names=names)
    return None


def translate(definition: Any, problem: str) -> Diagnostic | None:
    """One statelint problem as a Diagnostic, or None when it is of a kind we do not keep."""
    if not problem.startswith(_ROOT):
        return None
    parts, rest = _split_path(definition, problem[len(_ROOT):])
    message = _message(rest, _field(parts))
    if message is None:
        return None
    return Diagnostic(SCHEMA_VALIDATION_FAILED, message, pointer(*parts))


def _with_languages(definition: dict[str, Any]) -> dict[str, Any]:
    """A copy in which every state names its effective query language (the machine's if none)."""
    top = JSONATA if definition.get("QueryLanguage") == JSONATA else JSONPATH
    return _block_copy(definition, top)


def _block_copy(block: dict[str, Any], top: str) -> dict[str, Any]:
    states = block.get("States")
    if not isinstance(states, dict):
        return block
    copied = {name: _state_copy(state, top) for name, state in states.items()}
    return {**block, "States": copied}


def _state_copy(state: Any, top: str) -> Any:
    if not isinstance(state, dict):
        return state
    own = state.get("QueryLanguage")
    copied = {**state, "QueryLanguage": own if own in (JSONPATH, JSONATA) else top}
    if isinstance(state.get("Branches"), list):
        copied["Branches"] = [
            _block_copy(b, top) if isinstance(b, dict) else b for b in state["Branches"]
        ]
    for key in ("ItemProcessor", "Iterator"):
        if isinstance(state.get(key), dict):
            copied[key] = _block_copy(state[key], top)
    return copied


def _covered(location: str | None, ours: Iterable[str | None]) -> bool:
    """True when one of our locations is the same as ``location`` or an ancestor of it."""
    for mine in ours:
        if mine == location:
            return True
        if mine not in (None, "/") and location is not None and location.startswith(mine + "/"):
            return True
    return False


def _lint(definition: dict[str, Any]) -> list[str]:
    """The problems statelint finds; none when it fails on a malformed definition."""
    try:
        from statelint.linter import Linter  # imported on first use: ~20 ms at start-up

        return list(Linter.validate(_with_languages(definition)))
    except Exception:  # a second opinion must never crash validation
        return []


def statelint_diagnostics(
    definition: dict[str, Any], ours: Iterable[Diagnostic] = ()
) -> list[Diagnostic]:
    """Statelint's findings that we keep and that ``ours`` does not already cover."""
    seen = [d.location for d in ours]
    found: list[Diagnostic] = []
    for problem in _lint(definition):
        diagnostic = translate(definition, problem)
        if diagnostic is not None and not _covered(diagnostic.location, seen):
            found.append(diagnostic)
            seen.append(diagnostic.location)
    return found
