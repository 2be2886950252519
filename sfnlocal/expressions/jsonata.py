"""JSONata values: JSON trees in which ``{% expr %}`` strings are expressions, compiled once.

- ``compile_jsonata_value(value, field) -> JsonataValue``: every ``{% %}`` string inside ``value``
  (an object, array, string or literal) is parsed once, here; literal sub-trees stay constants.
  Raises ``JsonataSyntaxError`` (a ``ValueError``) for an expression that does not parse
  (validation reports these first, with a location: ``sfnlocal.asl.validate_jsonata``).
- ``JsonataScope``: what the expressions of one state evaluation see: ``$states`` (``input``,
  ``result``, ``errorOutput``, ``context``: only the members the caller gives) and the workflow
  variables as ``$name``. Build it once per state evaluation, use it for every field.
- ``ClockedContext``: the engine's ``EvalContext``, carrying the engine clock's time, which every
  scope built from it gives ``$now()`` and ``$millis()`` (without one: the wall clock).
- ``JsonataValue.evaluate_in(scope)`` returns a new value (shortcuts: ``evaluate(data, ctx, result=...,
  error_output=...)``, shaped like ``Template.evaluate``, and ``evaluate_states(states, variables, rng)``),
  or raises ``EvaluationError("States.QueryEvaluationError", detail, location=<field path>)`` with
  AWS's causes (checklist §9): ``returned nothing (undefined)``, ``threw an error during evaluation.
  <CODE>: <message>``, ``returned an unsupported result type``.

Field paths name where an expression sits: ``Output``, ``Output/result``, ``Arguments/FunctionName``,
``Assign/x``, ``Choices[1]/Condition``, ``Items[2]`` (arrays use ``[i]``). They are AWS's
``location`` of the EvaluationFailed event and appear in the cause.

Sharing: objects and arrays that hold an expression are built anew at each evaluation; sub-trees
without expressions are the definition's own (frozen-by-convention) values, as are values selected
from ``$states.input``: the engine never modifies a JSON value once handed on.
"""

from __future__ import annotations

import random
import re
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from sfnlocal.errors import EvaluationError
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata_engine import (
    UNDEFINED,
    Expression,
    JsonataRuntimeError,
    JsonataSyntaxError,
    UnsupportedResult,
    compile_expression,
    random_bindings,
)

__all__ = [
    "ABSENT",
    "QUERY_EVALUATION_ERROR",
    "ClockedContext",
    "JsonataScope",
    "JsonataSyntaxError",
    "JsonataValue",
    "compile_jsonata_value",
    "expression_text",
    "is_jsonata_string",
    "query_error",
]

QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
ABSENT: Any = object()
"""Marks a ``$states`` member the state does not have (``result`` before the work, ...)."""

_CONTEXT_USE = re.compile(r"\$states\b(?!\s*\.\s*(?:input|result|errorOutput)\b)")


def is_jsonata_string(value: Any) -> bool:
    """True when ``value`` is exactly a ``{% ... %}`` string (no surrounding whitespace)."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


def expression_text(value: str) -> str:
    """The expression inside a ``{% ... %}`` string, as AWS quotes it in causes."""
    return value[2:-2].strip()


def query_error(text: str, field_path: str, what: str) -> EvaluationError:
    """``States.QueryEvaluationError`` for the expression ``text`` in ``field_path``.

    Args:
        text: the expression text (without ``{% %}``).
        field_path: the field path (``Output/result``), also the event's ``location``.
        what: the end of the cause, e.g. ``returned nothing (undefined).``
    """
    detail = f"The JSONata expression '{text}' specified for the field '{field_path}' {what}"
    return EvaluationError(QUERY_EVALUATION_ERROR, detail, location=field_path)


_NO_VARIABLES: Mapping[str, Any] = {}


class ClockedContext(EvalContext):
    """An ``EvalContext`` that also knows the engine clock's time at the state's evaluation.

    ``JsonataScope.of`` gives it to ``$now()`` and ``$millis()``, so every JSONata field (Map
    ``Items``, Choice ``Condition``...) reads the engine clock, never the wall clock.

    Attributes:
        now: the engine clock's time, in epoch seconds.
    """

    __slots__ = ("now",)

    def __init__(
        self,
        now: float,
        variables: Mapping[str, Any] | None = None,
        rng: random.Random | None = None,
        context_factory: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        # EvalContext.__init__'s work, inlined: one of these is built per state (hot path).
        self._context = None
        self._context_factory = context_factory
        self.variables = variables if variables is not None else _NO_VARIABLES
        self.rng = rng if rng is not None else random.Random()
        self.now = now


class JsonataScope:
    """The variables one state evaluation gives its JSONata expressions.

    Args:
        states: the ``$states`` members available here: ``input``, and ``result``, ``errorOutput``,
            ``context`` where they apply.
        variables: the workflow variables visible to the state, at their state-entry values.
        rng: the execution's random source, for ``$random()`` and ``$uuid()``.
        now_ms: the time ``$now()`` and ``$millis()`` report (epoch ms; None: the wall clock).
        context: a factory for ``$states.context``, called only when an expression reads it.
    """

    __slots__ = ("_context", "_full", "_plain", "_random", "_rng", "_states", "_variables", "now_ms")

    def __init__(
        self,
        states: Mapping[str, Any],
        variables: Mapping[str, Any] | None = None,
        rng: random.Random | None = None,
        now_ms: int | None = None,
        context: Callable[[], Any] | None = None,
    ) -> None:
        self._states = states
        self._variables = variables or {}
        self._rng = rng
        self._context = context
        self.now_ms = now_ms
        self._plain: dict[str, Any] | None = None
        self._full: dict[str, Any] | None = None
        self._random: dict[str, Any] | None = None

    @classmethod
    def of(
        cls,
        ctx: EvalContext,
        state_input: Any,
        *,
        result: Any = ABSENT,
        error_output: Any = ABSENT,
        now_ms: int | None = None,
    ) -> JsonataScope:
        """The scope of a state evaluation from the engine's ``EvalContext``.

        ``$states.context`` is ``ctx.context``, built only if an expression reads it. ``now_ms``
        defaults to the time of a ``ClockedContext`` (else the wall clock, at evaluation).
        """
        if now_ms is None and isinstance(ctx, ClockedContext):
            now_ms = int(ctx.now * 1000)
        states: dict[str, Any] = {"input": state_input}
        if result is not ABSENT:
            states["result"] = result
        if error_output is not ABSENT:
            states["errorOutput"] = error_output
        return cls(states, ctx.variables, ctx.rng, now_ms, context=lambda: ctx.context)

    def bindings(self, expression: Expression, reads_context: bool) -> Mapping[str, Any]:
        """The ``$name`` bindings for ``expression`` (built once per scope and kind)."""
        if reads_context:
            if self._full is None:
                states = dict(self._states)
                if self._context is not None and "context" not in states:
                    states["context"] = self._context()
                self._full = _merged(self._variables, states)
            base = self._full
        else:
            if self._plain is None:
                self._plain = _merged(self._variables, self._states)
            base = self._plain
        if expression.uses_random:
            if self._random is None:
                self._random = random_bindings(self._rng or random.Random())
            return {**base, **self._random}
        return base


def _merged(variables: Mapping[str, Any], states: Mapping[str, Any]) -> dict[str, Any]:
    """The variables as one dict (inner scopes win over outer ones) plus ``states``.

    A ``ChainMap`` (the frames' variable view) is merged map by map, which is several times faster
    than iterating it.
    """
    if isinstance(variables, ChainMap):
        merged: dict[str, Any] = {}
        for scope in reversed(variables.maps):
            merged.update(scope)
    else:
        merged = dict(variables)
    merged["states"] = states
    return merged


_Node = Callable[[JsonataScope], Any]


@dataclass(frozen=True, slots=True, eq=False)
class _Leaf:
    """One ``{% %}`` expression and the field path it sits at."""

    expression: Expression
    field_path: str
    reads_context: bool

    def __call__(self, scope: JsonataScope) -> Any:
        expression = self.expression
        try:
            value = expression.evaluate(scope.bindings(expression, self.reads_context), scope.now_ms)
        except JsonataRuntimeError as err:
            raise query_error(expression.text, self.field_path,
                              f"threw an error during evaluation. {err.text}") from None
        except UnsupportedResult:
            raise query_error(expression.text, self.field_path,
                              "returned an unsupported result type.") from None
        if value is UNDEFINED:
            raise query_error(expression.text, self.field_path, "returned nothing (undefined).")
        return value


def _constant(value: Any) -> _Node:
    return lambda scope: value


def _object(members: list[tuple[str, _Node]]) -> _Node:
    return lambda scope: {key: node(scope) for key, node in members}


def _array(items: list[_Node]) -> _Node:
    return lambda scope: [node(scope) for node in items]


def _compile(value: Any, path: str, found: list[tuple[str, str]]) -> _Node | None:
    """The node computing ``value``, or None when ``value`` holds no expression (a constant)."""
    if is_jsonata_string(value):
        text = expression_text(value)
        found.append((path, text))
        return _Leaf(compile_expression(text), path, _CONTEXT_USE.search(text) is not None)
    if isinstance(value, dict):
        members = [(key, _compile(item, f"{path}/{key}", found)) for key, item in value.items()]
        if all(node is None for _, node in members):
            return None
        return _object([(key, node or _constant(value[key])) for key, node in members])
    if isinstance(value, list):
        items = [_compile(item, f"{path}[{index}]", found) for index, item in enumerate(value)]
        if all(node is None for node in items):
            return None
        return _array([node or _constant(value[index]) for index, node in enumerate(items)])
    return None


@dataclass(frozen=True, slots=True)
class JsonataValue:
    """A JSON value with embedded JSONata expressions, compiled.

    Attributes:
        raw: the value as written in the definition.
        field: the field path used in error messages (``Output``, ``Arguments/FunctionName``...).
        expressions: (field path, expression text) for every ``{% %}`` string inside ``raw``.
    """

    raw: Any
    field: str
    expressions: tuple[tuple[str, str], ...]
    _root: _Node | None = dataclass_field(default=None, compare=False, repr=False)

    @property
    def is_constant(self) -> bool:
        """True when the value holds no expression (evaluation returns ``raw``)."""
        return self._root is None

    def evaluate_in(self, scope: JsonataScope) -> Any:
        """The value in ``scope``: expressions evaluated in place, constants as written.

        Raises:
            EvaluationError: ``States.QueryEvaluationError`` naming the expression and its field path.
        """
        root = self._root
        return self.raw if root is None else root(scope)

    def evaluate(
        self,
        data: Any,
        ctx: EvalContext,
        *,
        result: Any = ABSENT,
        error_output: Any = ABSENT,
    ) -> Any:
        """Evaluate like a ``Template``: ``$states.input`` = ``data``, variables and context from ``ctx``.

        Args:
            data: the state input (``$states.input``).
            ctx: the evaluation context (variables, ``$states.context``, random source).
            result: ``$states.result`` where the field may read it.
            error_output: ``$states.errorOutput`` in a Catcher.
        """
        return self.evaluate_in(JsonataScope.of(ctx, data, result=result, error_output=error_output))

    def evaluate_states(
        self,
        states: Mapping[str, Any],
        variables: Mapping[str, Any] | None = None,
        rng: random.Random | None = None,
    ) -> Any:
        """Evaluate with ``$states`` = ``states`` and the workflow ``variables`` (see ``evaluate_in``)."""
        return self.evaluate_in(JsonataScope(states, variables, rng))


def compile_jsonata_value(value: Any, field: str) -> JsonataValue:
    """Compile a JSONata-mode field value (literal JSON with nested ``{% %}`` strings).

    Raises:
        JsonataSyntaxError: an expression does not parse.
    """
    found: list[tuple[str, str]] = []
    root = _compile(value, field, found)
    return JsonataValue(raw=value, field=field, expressions=tuple(found), _root=root)
