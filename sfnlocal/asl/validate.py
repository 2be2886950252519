"""Static validation of state machine definitions, as CreateStateMachine does it.

The same rules serve ValidateStateMachineDefinition (``validation_result``).

Typical use::

    from sfnlocal.asl.validate import check, validate

    problems = validate(definition)               # [] or Diagnostics, AWS's codes and messages
    check(definition, type="EXPRESS")             # raises InvalidDefinition on any ERROR

Validation runs in two phases, like AWS's: the *schema* phase (allow-lists per state type and query
language, value types and ranges, paths, templates, names, variables, resources) and, only when that
phase found no error, the *flow* phase (missing transition targets, unreachable states, blocks
without a terminal state). The PyPI ``statelint`` package adds the schema findings it is reliable
for (see ``statelint_bridge``); our own rules are authoritative.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sfnlocal.asl.diagnostics import Diagnostic
from sfnlocal.asl.loader import parse_definition
from sfnlocal.asl.statelint_bridge import statelint_diagnostics
from sfnlocal.asl.validate_fields import BRANCH, PROCESSOR, ROOT
from sfnlocal.asl.validate_flow import Block, check_names, check_scopes, check_transitions
from sfnlocal.asl.validate_jsonata import check_jsonata
from sfnlocal.asl.validate_states import check_state
from sfnlocal.asl.validate_values import (
    JSONATA,
    JSONPATH,
    ObjectSpec,
    Report,
    Site,
    check_object,
    child,
)
from sfnlocal.errors import InvalidDefinition

__all__ = ["check", "validate", "validation_result"]

DEFAULT_MAX_RESULTS = 100


def _top_language(definition: Any) -> str:
    language = definition.get("QueryLanguage") if isinstance(definition, dict) else None
    return JSONATA if language == JSONATA else JSONPATH


def _is_distributed(state: dict[str, Any]) -> bool:
    processor = state.get("ItemProcessor")
    config = processor.get("ProcessorConfig") if isinstance(processor, dict) else None
    return isinstance(config, dict) and config.get("Mode") == "DISTRIBUTED"


class _Walker:
    """Checks every block and state of a definition, collecting the blocks for the flow phase."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.blocks: list[Block] = []

    def block(self, raw: dict[str, Any], where: str, parent: Block | None, isolated: bool) -> None:
        states = raw.get("States")
        block = Block(where, raw.get("StartAt"), states if isinstance(states, dict) else {},
                      parent, isolated)
        self.blocks.append(block)
        for name, state in block.states.items():
            state_where = block.state_pointer(name)
            if check_state(self.report, state, state_where) is not None:
                self.children(state, state_where, block)

    def nested(self, raw: Any, where: str, spec: ObjectSpec, parent: Block, isolated: bool) -> None:
        site = Site(self.report, self.report.top_language)
        if check_object(site, raw, where, spec):
            self.block(raw, where, parent, isolated)

    def children(self, state: dict[str, Any], where: str, block: Block) -> None:
        kind = state.get("Type")
        branches = state.get("Branches")
        if kind == "Parallel" and isinstance(branches, list):
            for index, raw in enumerate(branches):
                self.nested(raw, child(where, "Branches", index), BRANCH, block, False)
        elif kind == "Map":
            for key in ("ItemProcessor", "Iterator"):
                if key in state:
                    self.nested(state[key], child(where, key), PROCESSOR, block,
                                _is_distributed(state))


def _schema_phase(report: Report, definition: Any) -> list[Block] | None:
    """Check everything but the flow; return the blocks, or None when the top level is unusable."""
    if not isinstance(definition, dict):
        report.error("Definition must be a valid JSON object", "")
        return None
    if not check_object(Site(report, report.top_language), definition, "", ROOT):
        return None
    walker = _Walker(report)
    walker.block(definition, "", None, False)
    check_names(report, walker.blocks)
    check_scopes(report, walker.blocks)
    check_jsonata(report, definition)
    return walker.blocks


def _as_data(definition: Mapping[str, Any] | str) -> Any:
    """The parsed definition (JSON text is parsed; other mappings become dicts)."""
    if isinstance(definition, str):
        return parse_definition(definition)
    if isinstance(definition, Mapping) and not isinstance(definition, dict):
        return dict(definition)
    return definition


def validate(
    definition: Mapping[str, Any] | str,
    type: str = "STANDARD",
    *,
    use_statelint: bool = True,
) -> list[Diagnostic]:
    """Validate a definition the way AWS does; return its diagnostics (``[]`` when valid).

    Args:
        definition: the parsed definition, or its JSON text.
        type: ``STANDARD`` or ``EXPRESS`` (Express machines reject ``.sync``,
            ``.waitForTaskToken`` and activities).
        use_statelint: also report the findings of the ``statelint`` package that our own rules
            do not already report.

    Returns:
        The diagnostics in definition order; JSON text that does not parse gives one
        ``INVALID_JSON_DESCRIPTION`` diagnostic.
    """
    try:
        data = _as_data(definition)
    except InvalidDefinition as err:
        return list(err.diagnostics)
    report = Report(type, _top_language(data))
    blocks = _schema_phase(report, data)
    if blocks is None or not isinstance(data, dict):
        return report.diagnostics
    if use_statelint:
        for diagnostic in statelint_diagnostics(data, report.diagnostics):
            report.add(diagnostic)
    if not report.failed:
        check_transitions(report, data, blocks)
    return report.diagnostics


def check(definition: Mapping[str, Any] | str, type: str = "STANDARD") -> None:
    """Raise ``InvalidDefinition`` (AWS's message) when the definition has any ERROR diagnostic.

    This is what CreateStateMachine and UpdateStateMachine use.
    """
    errors = [d for d in validate(definition, type) if d.severity == "ERROR"]
    if errors:
        raise InvalidDefinition(errors)


def validation_result(
    definition: Mapping[str, Any] | str,
    type: str = "STANDARD",
    severity: str = "ERROR",
    max_results: int = DEFAULT_MAX_RESULTS,
) -> dict[str, Any]:
    """The ValidateStateMachineDefinition response: ``{result, diagnostics, truncated}``.

    Args:
        definition: the parsed definition, or its JSON text.
        type: ``STANDARD`` or ``EXPRESS``.
        severity: ``ERROR`` lists errors only; ``WARNING`` lists warnings too.
        max_results: the most diagnostics to list (``truncated`` tells when some were left out).
    """
    found = validate(definition, type)
    listed = [d for d in found if severity == "WARNING" or d.severity == "ERROR"]
    failed = any(d.severity == "ERROR" for d in found)
    return {
        "result": "FAIL" if failed else "OK",
        "diagnostics": [d.to_aws() for d in listed[:max_results]],
        "truncated": len(listed) > max_results,
    }
