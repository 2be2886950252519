"""Value checks of a Choice state's ``Choices``: JSONPath data-test or Boolean rules, JSONata rules.

A top-level rule needs ``Next``; a nested rule (inside ``And``/``Or``/``Not``) must not have one.
A JSONPath data-test rule is ``Variable`` plus exactly one comparison operator; a Boolean rule is
exactly one of ``And``/``Or`` (non-empty arrays of rules) and ``Not`` (one rule). A JSONata rule is
a ``Condition`` (a boolean or a ``{% %}`` expression).
"""

from __future__ import annotations

from typing import Any

from sfnlocal.asl.validate_nested import assign
from sfnlocal.asl.validate_values import (
    ObjectSpec,
    Site,
    ValueCheck,
    anything,
    boolean,
    check_object,
    child,
    is_number,
    path,
    string,
    timestamp,
)

__all__ = ["COMPARISON_OPERATORS", "choices"]

_KINDS = ("String", "Numeric", "Timestamp")
_SUFFIXES = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
_COMBINATORS = ("And", "Or", "Not")


def _numeric(site: Site, value: Any, where: str) -> None:
    if not is_number(value):
        site.must_be(where, "a number")


def _operand_check(kind: str) -> ValueCheck:
    if kind == "String":
        return string()
    if kind == "Numeric":
        return _numeric
    return timestamp(dynamic=False)


def _operators() -> dict[str, ValueCheck]:
    table: dict[str, ValueCheck] = {}
    for kind in _KINDS:
        for suffix in _SUFFIXES:
            table[kind + suffix] = _operand_check(kind)
            table[kind + suffix + "Path"] = path("reference")
    table["StringMatches"] = string()
    table["BooleanEquals"] = boolean()
    table["BooleanEqualsPath"] = path("reference")
    for test in ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"):
        table[test] = boolean()
    return table


COMPARISON_OPERATORS: dict[str, ValueCheck] = _operators()
"""Every JSONPath comparison operator with the check of its operand."""


def _rule_list(site: Site, value: Any, where: str) -> None:
    if not isinstance(value, list):
        site.must_be(where, "an array")
    elif not value:
        site.error("Value cannot be empty", where)
    else:
        for index, rule in enumerate(value):
            _nested_rule(site, rule, child(where, index))


def _nested_rule(site: Site, value: Any, where: str) -> None:
    if check_object(site, value, where, _NESTED):
        _check_structure(site, value, where)


_CONDITIONS: dict[str, ValueCheck] = {
    "Variable": path("reference"),
    **COMPARISON_OPERATORS,
    "And": _rule_list,
    "Or": _rule_list,
    "Not": _nested_rule,
}
_JSONATA_RULE = {"Condition": boolean(dynamic=True), "Output": anything}

_NESTED = ObjectSpec(shared={"Comment": string()}, jsonpath=_CONDITIONS)
_TOP = ObjectSpec(
    shared={"Comment": string(), "Next": string(), "Assign": assign},
    jsonpath=_CONDITIONS,
    jsonata=_JSONATA_RULE,
    required=("Next",),
)


def _check_structure(site: Site, rule: dict[str, Any], where: str) -> None:
    """A data-test rule (Variable + one operator) or a Boolean rule (one of And/Or/Not)."""
    operators = [name for name in rule if name in COMPARISON_OPERATORS]
    combinators = [name for name in rule if name in _COMBINATORS]
    if "Variable" in rule:
        if len(operators) != 1 or combinators:
            site.error("A rule with 'Variable' must have exactly one comparison operator", where)
    elif operators:
        site.error("These fields are required: [Variable]", where)
    elif len(combinators) != 1:
        site.error(
            "A rule must have either 'Variable' and a comparison operator or exactly one of "
            "[And, Or, Not]",
            where,
        )


def _top_rule(site: Site, value: Any, where: str) -> None:
    if site.jsonata and isinstance(value, dict) and "Condition" not in value:
        site.error("These fields are required: [Condition]", where)
        return
    if check_object(site, value, where, _TOP) and not site.jsonata:
        _check_structure(site, value, where)


def choices(site: Site, value: Any, where: str) -> None:
    """Choice ``Choices``: a non-empty array of rules."""
    if not isinstance(value, list):
        site.must_be(where, "an array")
    elif not value:
        site.error("Value cannot be empty", where)
    else:
        for index, rule in enumerate(value):
            _top_rule(site, rule, child(where, index))
