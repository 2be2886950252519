"""The JSONata engine: jsonata-python, parsed once, evaluated with Step Functions' functions.

``compile_expression(text)`` parses a JSONata expression (the text between ``{%`` and ``%}``) into an
``Expression``; ``Expression.evaluate(bindings)`` evaluates it with ``bindings`` as its ``$name``
variables (``states`` plus the workflow variables) and returns a JSON value or ``UNDEFINED``.
Why jsonata-python, and the measurements behind the choice: ``docs/design.md``, "JSONata engine".

This is the only module that knows jsonata-python. It uses three of its internals, to evaluate a
parsed tree without the per-call work of ``Jsonata.evaluate`` and with the caller's clock: the parsed
``ast``, ``eval(ast, input, frame)`` and the per-thread ``CURRENT`` instance that ``$now()`` reads.
``setup.py`` pins the minor version; ``tests/expressions/test_jsonata_engine.py`` covers each.

Errors::

    JsonataSyntaxError      the text does not parse (code S0xxx, position)
    JsonataRuntimeError     evaluation failed (code such as T1006 or D3030, or "" when uncoded)
    UnsupportedResult       the result is a function, which JSON cannot hold
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jsonata import functions as _functions
from jsonata import jexception as _jexception
from jsonata import jsonata as _jsonata
from jsonata import utils as _utils

from sfnlocal.expressions.jsonata_fast import UNDEFINED, Fallback, FastFn, compile_fast
from sfnlocal.expressions.jsonata_functions import STATIC_FUNCTIONS, SfnFunctionError, random_functions

__all__ = [
    "UNDEFINED",
    "Expression",
    "JsonataRuntimeError",
    "JsonataSyntaxError",
    "UnsupportedResult",
    "compile_expression",
    "random_bindings",
]

_Jsonata = _jsonata.Jsonata
_NULL = _utils.Utils.NULL_VALUE
_RANDOM_NAMES = re.compile(r"\$(random|uuid)\b")
_CLOCK_NAMES = re.compile(r"\$(now|millis)\b")


class JsonataSyntaxError(ValueError):
    """A JSONata expression that does not parse.

    Attributes:
        code: the JSONata error code (``S0201``...), or ``""``.
        message: the engine's message.
        position: the character offset of the problem (or -1).
    """

    def __init__(self, code: str, message: str, position: int = -1) -> None:
        self.code = code
        self.message = message
        self.position = position
        super().__init__(f"{code}: {message}" if code else message)


class JsonataRuntimeError(Exception):
    """A JSONata evaluation error: ``code`` (``T1006``, ``D3030``... or ``""``) and ``message``."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}" if code else message)

    @property
    def text(self) -> str:
        """AWS's rendering after "threw an error during evaluation. ": ``<CODE>: <message>``."""
        return f"{self.code}: {self.message}"


class UnsupportedResult(Exception):
    """The expression returned a function (or held one inside its result)."""


def _argument(value: Any) -> Any:
    return None if value is _NULL else value


def _lambda(function: Callable[..., Any]) -> Any:
    """Wrap a Python function for jsonata-python, turning its ``null`` marker into None."""
    return _Jsonata.JLambda(lambda *args: function(*[_argument(a) for a in args]))


def _to_json(value: Any) -> Any:
    """The engine's result as plain JSON data: its null marker becomes None, sequences become lists.

    Containers are copied only where something changes, so values taken from the input (which never
    hold engine markers) are returned as they are, never modified.
    """
    kind = type(value)
    if kind is dict:
        return _json_dict(value)
    if kind is list:
        return _json_list(value)
    if value is _NULL:
        return None
    if isinstance(value, list):  # the engine's sequences and ranges
        return [_to_json(item) for item in value]
    if _utils.Utils.is_function(value) or _functions.Functions.is_lambda(value):
        raise UnsupportedResult
    return value


def _json_dict(value: dict[str, Any]) -> dict[str, Any]:
    out = value
    for key, item in value.items():
        converted = _to_json(item)
        if converted is not item:
            if out is value:
                out = dict(value)
            out[key] = converted
    return out


def _json_list(value: list[Any]) -> list[Any]:
    out = value
    for index, item in enumerate(value):
        converted = _to_json(item)
        if converted is not item:
            if out is value:
                out = list(value)
            out[index] = converted
    return out


def _python_error(err: Exception) -> JsonataRuntimeError:
    """Errors that jsonata-python lets escape as Python exceptions, in JSONata's words."""
    if isinstance(err, ZeroDivisionError):
        return JsonataRuntimeError("D1001", "Number out of range: Infinity")
    text = str(err)
    if isinstance(err, ValueError) and text.startswith("could not convert string to float:"):
        value = text.split(":", 1)[1].strip().strip("'")
        return JsonataRuntimeError("D3030", f'Unable to cast value to a number: "{value}"')
    if isinstance(err, RecursionError):
        return JsonataRuntimeError("U1001", "Stack overflow error: Check for circular reference")
    return JsonataRuntimeError("", text or type(err).__name__)


@dataclass(frozen=True, slots=True, eq=False)
class Expression:
    """A parsed JSONata expression.

    Attributes:
        text: the expression text.
        tree: jsonata-python's parsed expression (also read by definition-time checks).
        fast: the fast form when the expression is simple enough (see ``jsonata_fast``), else None.
        engine: the jsonata-python object holding the parsed tree (evaluates what ``fast`` cannot).
        uses_random: the text calls ``$random`` or ``$uuid`` (they get the execution's random source).
        uses_clock: the text calls ``$now`` or ``$millis``.
    """

    text: str
    engine: Any = field(repr=False)
    tree: Any = field(repr=False)
    fast: FastFn | None = field(repr=False)
    uses_random: bool
    uses_clock: bool

    def evaluate(self, bindings: Mapping[str, Any], now_ms: int | None = None) -> Any:
        """Evaluate with ``bindings`` as the ``$name`` variables (not modified).

        Args:
            bindings: ``states`` and the workflow variables, plus ``random``/``uuid`` functions
                when ``uses_random``.
            now_ms: the time ``$now()``/``$millis()`` report, in epoch milliseconds (None: wall clock).

        Returns:
            A JSON value, or ``UNDEFINED`` when the expression returns nothing.

        Raises:
            JsonataRuntimeError: the evaluation failed.
            UnsupportedResult: the result is (or holds) a function.
        """
        if self.fast is not None:
            try:
                return self.fast(bindings)
            except Fallback:
                pass
        return self._evaluate_with_engine(bindings, now_ms)

    def _evaluate_with_engine(self, bindings: Mapping[str, Any], now_ms: int | None) -> Any:
        engine = self.engine
        frame = _Jsonata.Frame(engine.environment)
        # ``$x := ...`` binds into the frame: never into the caller's. JSON nulls become the engine's
        # null marker (jsonata-python reads a bare None as "undefined").
        frame.bindings = {name: _engine_value(value) for name, value in bindings.items()}
        _Jsonata.CURRENT.jsonata = engine  # the instance ``$now()`` and higher-order functions use
        if self.uses_clock:
            engine.timestamp = now_ms if now_ms is not None else _now_ms()
        try:
            result = engine.eval(self.tree, None, frame)
        except _jexception.JException as err:
            raise JsonataRuntimeError(err.error or "", str(err)) from None
        except SfnFunctionError as err:
            raise JsonataRuntimeError("", str(err)) from None
        except Exception as err:  # jsonata-python lets some Python errors through
            raise _python_error(err) from None
        return UNDEFINED if result is None else _to_json(result)


def _engine_value(value: Any) -> Any:
    """``value`` with every JSON ``null`` replaced by the engine's null marker.

    Containers without a null inside are returned as they are (no copy); the others are copied
    along the way, never changed in place (engine data is shared between states).
    """
    if value is None:
        return _NULL
    if isinstance(value, dict):
        converted = {key: _engine_value(item) for key, item in value.items()}
        same = all(converted[key] is item for key, item in value.items())
        return value if same else converted
    if isinstance(value, list):
        items = [_engine_value(item) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def random_bindings(rng: random.Random) -> dict[str, Any]:
    """``$random`` and ``$uuid`` drawing from ``rng``, ready to add to an ``Expression``'s bindings."""
    return {name: _lambda(function) for name, function in random_functions(rng).items()}


def _now_ms() -> int:
    from jsonata import timebox  # the engine's own wall clock, used only when no clock is given

    return int(timebox.Timebox.current_milli_time())


def _engine(text: str) -> Any:
    try:
        engine = _Jsonata(text)
    except _jexception.JException as err:
        raise JsonataSyntaxError(err.error or "", str(err), err.location) from None
    except Exception as err:  # the parser fails on some malformed input with Python errors
        raise JsonataSyntaxError("", str(err) or type(err).__name__) from None
    environment = engine.environment
    for name, function in STATIC_FUNCTIONS.items():
        environment.bind(name, _lambda(function))
    environment.bind("eval", None)  # unavailable, as on AWS: T1006 "Attempted to invoke a non-function"
    return engine


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> Expression:
    """Parse a JSONata expression once (cached by text: definitions repeat ``$states.input``).

    Raises:
        JsonataSyntaxError: the text is not a JSONata expression.
    """
    engine = _engine(text)
    return Expression(
        text=text,
        engine=engine,
        tree=engine.ast,
        fast=compile_fast(engine.ast),
        uses_random=_RANDOM_NAMES.search(text) is not None,
        uses_clock=_CLOCK_NAMES.search(text) is not None,
    )
