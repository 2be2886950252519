"""Choice rules compiled into predicates.

- ``compile_condition(rule, query_language, pointer) -> Predicate``: a JSONPath data-test rule
  (``Variable`` + one operator), a Boolean rule (``And``/``Or``/``Not``) or a JSONata ``Condition``.
- ``Predicate.evaluate(data, ctx) -> bool``: type mismatch → False; ``Variable`` missing →
  ``EvaluationError('States.Runtime', "Invalid path '<p>': The choice state's condition path
  references an invalid value.")`` except for ``IsPresent``.
- ``condition_text(rule) -> str``: a short human-readable text of a rule for graphs
  (``$.x NumericLessThan 3``, ``(A) and (B)``, ``{% ... %}``).

Everything is resolved when the rule is compiled: each operator becomes a small comparison function
and literal operands are converted once (timestamps to instants, ``StringMatches`` patterns to
regular expressions), so evaluation does no string dispatch.

Choices made where AWS's behaviour is not documented (checklist ``(?)``):
    - a ``*Path`` operand that resolves to nothing raises the same ``States.Runtime`` error as a
      missing ``Variable``, naming the operand path;
    - in ``StringMatches`` a backslash escapes whichever character follows it; a pattern ending in
      a lone backslash compiles, and raises ``States.Runtime`` when it is applied to a string.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeAlias

from sfnlocal.asl.diagnostics import SCHEMA_VALIDATION_FAILED, Diagnostic
from sfnlocal.errors import EvaluationError, InvalidDefinition
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata import (
    JsonataScope,
    JsonataValue,
    compile_jsonata_value,
    is_jsonata_string,
)
from sfnlocal.expressions.jsonata_fields import evaluate_condition
from sfnlocal.expressions.jsonpath import (
    Path,
    PathNotFound,
    PathSyntaxError,
    compile_reference_path,
)

__all__ = ["OPERATORS", "Predicate", "compile_condition", "condition_text", "parse_timestamp"]

Check: TypeAlias = Callable[[Any], bool]
Compare: TypeAlias = Callable[[Any, Any], bool]
Instant: TypeAlias = tuple[datetime, Decimal]

_INVALID_PATH = "Invalid path '{}': The choice state's condition path references an invalid value."


# ---------------------------------------------------------------------------------------------
# Predicates


class Predicate:
    """A compiled Choice condition."""

    __slots__ = ()

    def evaluate(self, data: Any, ctx: EvalContext) -> bool:
        """True when the rule matches ``data`` (the state's effective input)."""
        raise NotImplementedError

    def evaluate_in(self, scope: JsonataScope) -> bool:
        """True when a JSONata ``Condition`` holds in ``scope`` (JSONPath rules: see ``evaluate``)."""
        raise EvaluationError("States.Runtime", "A JSONPath choice rule cannot run in a JSONata scope.")


def _resolve(path: Path, data: Any, ctx: EvalContext) -> Any:
    try:
        return path.evaluate(data, ctx)
    except PathNotFound:
        raise EvaluationError("States.Runtime", _INVALID_PATH.format(path.text)) from None


@dataclass(frozen=True, slots=True)
class _Literal(Predicate):
    """A JSONata ``Condition`` written as a boolean literal."""

    value: bool

    def evaluate(self, data: Any, ctx: EvalContext) -> bool:
        return self.value

    def evaluate_in(self, scope: JsonataScope) -> bool:
        return self.value


@dataclass(frozen=True, slots=True)
class _Jsonata(Predicate):
    """A JSONata ``Condition`` expression (``value.raw`` is the ``{% %}`` text)."""

    value: JsonataValue

    def evaluate(self, data: Any, ctx: EvalContext) -> bool:
        return evaluate_condition(self.value, JsonataScope.of(ctx, data))

    def evaluate_in(self, scope: JsonataScope) -> bool:
        return evaluate_condition(self.value, scope)


@dataclass(frozen=True, slots=True)
class _Test(Predicate):
    """``Variable`` + an operator with a literal operand (folded into ``check``)."""

    variable: Path
    check: Check

    def evaluate(self, data: Any, ctx: EvalContext) -> bool:
        return self.check(_resolve(self.variable, data, ctx))


@dataclass(frozen=True, slots=True)
class _PathTest(Predicate):
    """``Variable`` + a ``...Path`` operator: both sides are resolved, then compared."""

    variable: Path
    operand: Path
    compare: Compare

    def evaluate(self, data: Any, ctx: EvalContext) -> bool:
        left = _resolve(self.variable, data, ctx)
        return self.compare(left, _resolve(self.operand, data, ctx))


@dataclass(frozen=True, slots=True)
class _Present(Predicate):
    """``IsPresent``: the only operator for which a missing ``Variable`` is not an error."""

    variable: Path
    expected: bool

    def evaluate(self, data: Any, ctx: EvalContext) -> bool:
        try:
            self.variable.evaluate(data, ctx)
        except PathNotFound:
            return not self.expected
        return self.expected


@dataclass(frozen=True, slots=True)
class _And(Predicate):
    rules: tuple[Predicate, ...]

    def evaluate(self, data: Any, ctx: EvalContext) -> bool:
        return all(rule.evaluate(data, ctx) for rule in self.rules)


@dataclass(frozen=True, slots=True)
class _Or(Predicate):
    rules: tuple[Predicate, ...]

    def evaluate(self, data: Any, ctx: EvalContext) -> bool:
        return any(rule.evaluate(data, ctx) for rule in self.rules)


@dataclass(frozen=True, slots=True)
class _Not(Predicate):
    rule: Predicate

    def evaluate(self, data: Any, ctx: EvalContext) -> bool:
        return not self.rule.evaluate(data, ctx)


# ---------------------------------------------------------------------------------------------
# Values: type guards and timestamps

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))"
)


def parse_timestamp(text: str) -> Instant | None:
    """Parse an RFC3339 timestamp as AWS accepts it (checklist §2.2) into a comparable instant.

    Uppercase ``T`` and ``Z`` are required, the zone is required and the fraction may have any
    number of digits (kept exactly).

    Args:
        text: the candidate string.

    Returns:
        ``(UTC datetime without fraction, fraction of a second)``, or None when ``text`` is not
        such a timestamp.
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    if int(off_h or 0) > 23 or int(off_m or 0) > 59:
        return None
    offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0))
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
        moment = moment - offset if sign != "-" else moment + offset
    except (ValueError, OverflowError):
        return None
    return moment.replace(tzinfo=UTC), Decimal(f"0.{fraction or 0}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _is_timestamp(value: Any) -> bool:
    return isinstance(value, str) and parse_timestamp(value) is not None


def _as_instant(value: Any) -> Instant | None:
    return parse_timestamp(value) if isinstance(value, str) else None


# ---------------------------------------------------------------------------------------------
# Operators


@dataclass(frozen=True, slots=True)
class _Family:
    """How one family of operators reads its operands: a type guard or a conversion."""

    guard: Check
    convert: Callable[[Any], Any] | None = None


_FAMILIES = {
    "String": _Family(_is_string),
    "Numeric": _Family(_is_number),
    "Boolean": _Family(_is_boolean),
    "Timestamp": _Family(_is_string, _as_instant),
}
_COMPARISONS: dict[str, Compare] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
_TYPE_TESTS: dict[str, Check] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _is_number,
    "IsString": _is_string,
    "IsBoolean": _is_boolean,
    "IsTimestamp": _is_timestamp,
}


def _comparison_names() -> dict[str, tuple[str, str]]:
    names = {"BooleanEquals": ("Boolean", "Equals")}
    for family in ("String", "Numeric", "Timestamp"):
        for comparison in _COMPARISONS:
            names[family + comparison] = (family, comparison)
    return names


_COMPARISON_OPERATORS = _comparison_names()
OPERATORS: frozenset[str] = frozenset(
    {*_COMPARISON_OPERATORS, *(name + "Path" for name in _COMPARISON_OPERATORS)}
    | {*_TYPE_TESTS, "IsPresent", "StringMatches"}
)
"""Every data-test operator name of JSONPath Choice rules."""


def _literal_check(family: _Family, compare: Compare, literal: Any) -> Check:
    """``value -> compare(value, literal)`` with the family's type rules; mismatch → False."""
    guard, convert = family.guard, family.convert
    if convert is None:
        return lambda value: guard(value) and compare(value, literal)
    right = convert(literal)

    def check(value: Any) -> bool:
        left = convert(value) if guard(value) else None
        return left is not None and compare(left, right)

    return check


def _path_compare(family: _Family, compare: Compare) -> Compare:
    """``(left, right) -> bool`` for ``...Path`` operators: both sides must fit the family."""
    guard, convert = family.guard, family.convert
    if convert is None:
        return lambda left, right: guard(left) and guard(right) and compare(left, right)

    def compare_converted(left: Any, right: Any) -> bool:
        a = convert(left) if guard(left) else None
        b = convert(right) if guard(right) else None
        return a is not None and b is not None and compare(a, b)

    return compare_converted


# ---------------------------------------------------------------------------------------------
# StringMatches


def _wildcard_regex(pattern: str) -> re.Pattern[str] | None:
    """The regex of a ``StringMatches`` pattern, or None when it ends in a lone backslash."""
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                return None
            parts.append(re.escape(escaped))
        else:
            parts.append(".*" if char == "*" else re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def _matches_check(pattern: str) -> Check:
    regex = _wildcard_regex(pattern)
    if regex is not None:
        fullmatch = regex.fullmatch
        return lambda value: isinstance(value, str) and fullmatch(value) is not None

    def dangling(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        detail = f"Invalid StringMatches pattern '{pattern}': dangling escape character '\\'."
        raise EvaluationError("States.Runtime", detail)

    return dangling


# ---------------------------------------------------------------------------------------------
# Compilation


def _invalid(message: str, where: str) -> InvalidDefinition:
    return InvalidDefinition([Diagnostic(SCHEMA_VALIDATION_FAILED, message, where)])


def _compile_path(text: Any, where: str) -> Path:
    if not isinstance(text, str):
        raise _invalid("The value must be a valid JSONPath", where)
    try:
        return compile_reference_path(text)
    except PathSyntaxError:
        raise _invalid(f"The value '{text}' is not a valid reference path", where) from None


def _literal(family: str, value: Any, where: str) -> Any:
    fits = _is_timestamp(value) if family == "Timestamp" else _FAMILIES[family].guard(value)
    if not fits:
        raise _invalid(f"The value of the field must be a valid {family.lower()} value", where)
    return value


def _data_test(name: str, operand: Any, variable: Path, where: str) -> Predicate:
    if name == "IsPresent" or name in _TYPE_TESTS:
        if not isinstance(operand, bool):
            raise _invalid("The value of the field must be a boolean", where)
        if name == "IsPresent":
            return _Present(variable, operand)
        test = _TYPE_TESTS[name]
        return _Test(variable, lambda value: test(value) is operand)
    if name == "StringMatches":
        return _Test(variable, _matches_check(_literal("String", operand, where)))
    if name.endswith("Path"):
        family, comparison = _COMPARISON_OPERATORS[name[:-4]]
        compare = _path_compare(_FAMILIES[family], _COMPARISONS[comparison])
        return _PathTest(variable, _compile_path(operand, where), compare)
    family, comparison = _COMPARISON_OPERATORS[name]
    literal = _literal(family, operand, where)
    return _Test(variable, _literal_check(_FAMILIES[family], _COMPARISONS[comparison], literal))


def _compile_data_test(rule: Mapping[str, Any], pointer: str) -> Predicate:
    names = [key for key in rule if key in OPERATORS]
    if len(names) != 1:
        raise _invalid("A choice rule must have exactly one comparison operator", pointer)
    variable = _compile_path(rule.get("Variable"), f"{pointer}/Variable")
    return _data_test(names[0], rule[names[0]], variable, f"{pointer}/{names[0]}")


def _compile_nested(rules: Any, language: str, where: str) -> tuple[Predicate, ...]:
    if not isinstance(rules, Sequence) or isinstance(rules, str) or not rules:
        raise _invalid("The value must be a non-empty array of choice rules", where)
    return tuple(compile_condition(r, language, f"{where}/{i}") for i, r in enumerate(rules))


def _compile_boolean(rule: Mapping[str, Any], language: str, pointer: str) -> Predicate | None:
    if "And" in rule:
        return _And(_compile_nested(rule["And"], language, f"{pointer}/And"))
    if "Or" in rule:
        return _Or(_compile_nested(rule["Or"], language, f"{pointer}/Or"))
    if "Not" in rule:
        return _Not(compile_condition(rule["Not"], language, f"{pointer}/Not"))
    return None


def _condition_field(pointer: str) -> str:
    """``Choices[i]/Condition`` for a top-level rule at ``.../Choices/i``, else ``Condition``."""
    parts = pointer.rsplit("/", 2)
    if len(parts) == 3 and parts[1] == "Choices" and parts[2].isdigit():
        return f"Choices[{parts[2]}]/Condition"
    return "Condition"


def _compile_jsonata(value: Any, pointer: str) -> Predicate:
    if isinstance(value, bool):
        return _Literal(value)
    if is_jsonata_string(value):
        return _Jsonata(compile_jsonata_value(value, _condition_field(pointer)))
    message = "The value of the field 'Condition' must be a boolean or a JSONata expression"
    raise _invalid(message, f"{pointer}/Condition")


def compile_condition(rule: Mapping[str, Any], query_language: str, pointer: str) -> Predicate:
    """Compile one Choice rule's condition (not its Next/Assign/Output).

    Args:
        rule: the rule as written in the definition.
        query_language: the state's effective language (``JSONPath`` or ``JSONata``).
        pointer: the rule's JSON pointer, e.g. ``/States/C/Choices/0`` (for error locations).

    Returns:
        The compiled predicate.

    Raises:
        InvalidDefinition: the rule cannot be compiled (no or several operators, an operand of
            the wrong type, an invalid path); validation normally reports these first.
    """
    if not isinstance(rule, Mapping):
        raise _invalid("A choice rule must be an object", pointer)
    if "Condition" in rule or query_language == "JSONata":
        return _compile_jsonata(rule.get("Condition"), pointer)
    boolean = _compile_boolean(rule, query_language, pointer)
    return boolean if boolean is not None else _compile_data_test(rule, pointer)


# ---------------------------------------------------------------------------------------------
# Text


def _nested_text(rules: Any, joiner: str) -> str:
    items = rules if isinstance(rules, list) else []
    return f" {joiner} ".join(f"({condition_text(rule)})" for rule in items)


def _data_test_text(rule: Mapping[str, Any]) -> str:
    variable = rule.get("Variable", "?")
    for key, value in rule.items():
        if key in OPERATORS:
            shown = value if key.endswith("Path") and isinstance(value, str) else _json(value)
            return f"{variable} {key} {shown}"
    return "?"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def condition_text(rule: Any) -> str:
    """A readable one-line text of a rule's condition (``?`` where it cannot be read).

    Args:
        rule: a Choice rule as written in the definition (possibly invalid).

    Returns:
        e.g. ``$.x NumericLessThan 3``, ``(A) and (B)``, ``not (A)`` or the JSONata text.
    """
    if not isinstance(rule, Mapping):
        return "?"
    if "Condition" in rule:
        condition = rule["Condition"]
        return condition if isinstance(condition, str) else _json(condition)
    if "And" in rule:
        return _nested_text(rule["And"], "and")
    if "Or" in rule:
        return _nested_text(rule["Or"], "or")
    if "Not" in rule:
        return f"not ({condition_text(rule['Not'])})"
    return _data_test_text(rule)
