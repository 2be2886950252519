"""Typed JSONata fields: evaluate, then check the result is what the field needs.

Each helper evaluates a compiled ``JsonataValue`` in a ``JsonataScope`` and returns the checked value,
or raises ``EvaluationError("States.QueryEvaluationError", ...)`` located at the field:

==========================  =========================================================  ==============
helper                      fields                                                     result
==========================  =========================================================  ==============
``evaluate_array``          Map ``Items``                                              list
``evaluate_condition``      Choice ``Condition``                                       bool
``evaluate_string``         Fail ``Error``, ``Cause``                                  str
``evaluate_positive_int``   Task ``TimeoutSeconds``, ``HeartbeatSeconds``; ``MaxItems`` int > 0
``evaluate_non_negative``   Wait ``Seconds``, Map ``MaxConcurrency``,                  int >= 0
                            ``ToleratedFailureCount``, ItemBatcher limits
``evaluate_percentage``     Map ``ToleratedFailurePercentage``                         number 0..100
==========================  =========================================================  ==============

A result of the wrong JSON type gives AWS's cause (observed for ``Items``)::

    The JSONata expression '<expr>' specified for the field '<field>' returned an unexpected result
    type. Expected '<array|boolean|string|integer|number>', but was '<type>' for value: <json>

A number of the right type but out of range gives ``... returned an unexpected result value.
Expected <a positive integer|...>, but was: <json>`` (wording not observed on AWS).
"""

from __future__ import annotations

from typing import Any

from sfnlocal.expressions.jsonata import (
    JsonataScope,
    JsonataValue,
    expression_text,
    is_jsonata_string,
    query_error,
)
from sfnlocal.expressions.jsontext import compact_json, json_type

__all__ = [
    "evaluate_array",
    "evaluate_condition",
    "evaluate_non_negative",
    "evaluate_percentage",
    "evaluate_positive_int",
    "evaluate_string",
    "json_type",
]


def _text(value: JsonataValue) -> str:
    """The expression as AWS quotes it (a whole-field expression, else the field's JSON)."""
    raw = value.raw
    return expression_text(raw) if is_jsonata_string(raw) else compact_json(raw)


def _wrong_type(value: JsonataValue, expected: str, result: Any) -> Exception:
    what = (f"returned an unexpected result type. Expected '{expected}', but was "
            f"'{json_type(result)}' for value: {compact_json(result)}")
    return query_error(_text(value), value.field, what)


def _wrong_value(value: JsonataValue, expected: str, result: Any) -> Exception:
    what = f"returned an unexpected result value. Expected {expected}, but was: {compact_json(result)}"
    return query_error(_text(value), value.field, what)


def _typed(value: JsonataValue, scope: JsonataScope, expected: str, kind: type | tuple[type, ...]) -> Any:
    result = value.evaluate_in(scope)
    if not isinstance(result, kind) or (isinstance(result, bool) and kind is not bool):
        raise _wrong_type(value, expected, result)
    return result


def evaluate_array(value: JsonataValue, scope: JsonataScope) -> list[Any]:
    """Map ``Items``: the result must be an array."""
    result: list[Any] = _typed(value, scope, "array", list)
    return result


def evaluate_condition(value: JsonataValue, scope: JsonataScope) -> bool:
    """Choice ``Condition``: the result must be a boolean."""
    result: bool = _typed(value, scope, "boolean", bool)
    return result


def evaluate_string(value: JsonataValue, scope: JsonataScope) -> str:
    """Fail ``Error`` / ``Cause``: the result must be a string."""
    result: str = _typed(value, scope, "string", str)
    return result


def _integer(value: JsonataValue, scope: JsonataScope) -> int:
    result = _typed(value, scope, "integer", (int, float))
    if isinstance(result, float):
        if not result.is_integer():
            raise _wrong_type(value, "integer", result)
        return int(result)
    return int(result)


def evaluate_positive_int(value: JsonataValue, scope: JsonataScope) -> int:
    """``TimeoutSeconds``, ``HeartbeatSeconds``, ``MaxItems``: an integer greater than zero."""
    result = _integer(value, scope)
    if result <= 0:
        raise _wrong_value(value, "a positive integer", result)
    return result


def evaluate_non_negative(value: JsonataValue, scope: JsonataScope) -> int:
    """``Seconds``, ``MaxConcurrency``, ``ToleratedFailureCount``: an integer, zero or more."""
    result = _integer(value, scope)
    if result < 0:
        raise _wrong_value(value, "a non-negative integer", result)
    return result


def evaluate_percentage(value: JsonataValue, scope: JsonataScope) -> float:
    """``ToleratedFailurePercentage``: a number from 0 to 100."""
    result = _typed(value, scope, "number", (int, float))
    if not 0 <= result <= 100:
        raise _wrong_value(value, "a number between 0 and 100", result)
    return float(result)
