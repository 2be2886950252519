r"""Intrinsic function calls (``States.Format('{}', $.x)``), parsed into call trees once.

- ``parse_intrinsic(text) -> Call``: ``States.Name(arg, ...)``; raises ``IntrinsicSyntaxError``
  (unknown function, bad escapes, wrong number of arguments, nesting deeper than 10, trailing text).
- ``Call.evaluate(data, ctx) -> Any``: raises ``EvaluationError``: ``States.IntrinsicFailure``
  when a function rejects its arguments, ``States.Runtime`` when a path argument matches nothing
  (causes without the state prefix, which the state runner adds).

Grammar (checklist §8.1)::

    call     := 'States.' Name '(' [arg (',' arg)*] ')'
    arg      := string | number | 'true' | 'false' | 'null' | path | call
    string   := "'" (char | '\\' | "\'" | '\{' | '\}')* "'"    (no other backslash sequence)
    number   := '-'? digits ('.' digits)? (('e'|'E') ('+'|'-')? digits)?
    path     := '$' ...   (any ASL path: $, $$, $var; ends at a top-level ',' ')' or blank)

Whitespace is allowed between arguments. Calls cannot be indexed (``States.Array(1)[0]`` is
invalid).
"""

from __future__ import annotations

import functools
import re
from typing import Any, NoReturn

from sfnlocal.errors import EvaluationError
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.intrinsic_functions import FUNCTIONS, ArgumentError, Impl, fill_format
from sfnlocal.expressions.jsonpath import Path, PathNotFound, PathSyntaxError, compile_path

__all__ = ["MAX_NESTING", "Call", "IntrinsicSyntaxError", "parse_intrinsic"]

MAX_NESTING = 10
"""The deepest chain of nested calls AWS accepts (the outermost call counts as 1)."""

INTRINSIC_FAILURE = "States.IntrinsicFailure"

_NAME = re.compile(r"States\.([A-Za-z0-9]+)\(")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_KEYWORD = re.compile(r"(true|false|null)")
_KEYWORDS = {"true": True, "false": False, "null": None}
_ESCAPABLE = "'{}\\"
_DELIMITERS = ",) \t\r\n"


class IntrinsicSyntaxError(ValueError):
    """Text that is not a valid intrinsic function call."""


class Call:
    """A parsed intrinsic call.

    Attributes:
        name: the full function name (``States.Format``).
        args: the arguments as written: literal values, ``Path`` objects or nested ``Call`` objects.
        text: the call's source text.
    """

    __slots__ = ("_getters", "_impl", "_values", "args", "name", "text")

    def __init__(
        self, name: str, args: tuple[Any, ...], text: str, impl: Impl, dynamic: tuple[Any, ...]
    ):
        self.name = name
        self.args = args
        self.text = text
        self._impl = impl
        # Literal arguments are laid out once; only paths and nested calls are evaluated.
        self._values = [None if isinstance(a, Path | Call) else a for a in dynamic]
        self._getters = tuple(
            (i, a.evaluate) for i, a in enumerate(dynamic) if isinstance(a, Path | Call)
        )

    def __repr__(self) -> str:
        return f"Call({self.text!r})"

    def evaluate(self, data: Any, ctx: EvalContext) -> Any:
        """Evaluate the call with its path arguments read from ``data``/``ctx``.

        Raises:
            EvaluationError: ``States.IntrinsicFailure`` (bad arguments) or ``States.Runtime``
                (a path argument matched nothing).
        """
        values = self._values.copy()
        try:
            for index, get in self._getters:
                values[index] = get(data, ctx)
        except PathNotFound as exc:
            raise EvaluationError("States.Runtime", exc.message) from None
        try:
            return self._impl(values, ctx)
        except ArgumentError as exc:
            raise EvaluationError(
                INTRINSIC_FAILURE, f"Invalid arguments in {self.name}: {exc}"
            ) from None


class _StringLiteral:
    """A string argument: its value and, for format strings, the pieces around unescaped ``{}``."""

    __slots__ = ("pieces", "value")

    def __init__(self, value: str, pieces: tuple[str, ...]) -> None:
        self.value = value
        self.pieces = pieces


def parse_intrinsic(text: str) -> Call:
    """Parse an intrinsic function call.

    Raises:
        IntrinsicSyntaxError: ``text`` is not one well-formed call of a known function.
    """
    if not isinstance(text, str):
        raise IntrinsicSyntaxError(f"Not an intrinsic function call: {text!r}")
    return _parse(text)


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> Call:
    parser = _Parser(text)
    call = parser.call(1)
    parser.skip_blanks()
    if parser.pos != len(text):
        parser.fail("unexpected text after the call")
    return call


class _Parser:
    """A recursive-descent parser over one intrinsic text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, reason: str) -> NoReturn:
        raise IntrinsicSyntaxError(
            f"Invalid intrinsic function call {self.text!r}: {reason} at {self.pos}"
        )

    def skip_blanks(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def call(self, depth: int) -> Call:
        start = self.pos
        match = _NAME.match(self.text, self.pos)
        if match is None:
            self.fail("expected 'States.<Function>('")
        name = f"States.{match.group(1)}"
        if name not in FUNCTIONS:
            self.fail(f"unknown function {name}")
        if depth > MAX_NESTING:
            self.fail(f"intrinsic functions nested deeper than {MAX_NESTING}")
        self.pos = match.end()
        args = self.arguments(depth)
        return _build(name, args, self.text[start : self.pos])

    def arguments(self, depth: int) -> list[Any]:
        args: list[Any] = []
        self.skip_blanks()
        if self.text.startswith(")", self.pos):
            self.pos += 1
            return args
        while True:
            self.skip_blanks()
            args.append(self.argument(depth))
            self.skip_blanks()
            if self.text.startswith(")", self.pos):
                self.pos += 1
                return args
            if not self.text.startswith(",", self.pos):
                self.fail("expected ',' or ')'")
            self.pos += 1

    def argument(self, depth: int) -> Any:
        char = self.text[self.pos : self.pos + 1]
        if char == "'":
            return self.string()
        if char == "$":
            return self.path()
        if self.text.startswith("States.", self.pos):
            return self.call(depth + 1)
        return self.scalar()

    def string(self) -> _StringLiteral:
        self.pos += 1
        value: list[str] = []
        pieces = [""]
        while True:
            char = self.next_char("unterminated string literal")
            if char == "'":
                return _StringLiteral("".join(value), tuple(pieces))
            if char == "\\":
                char = self.next_char("lone backslash")
                if char not in _ESCAPABLE:
                    self.fail(f"invalid escape sequence '\\{char}'")
            elif char == "{" and self.text.startswith("}", self.pos):
                self.pos += 1
                value.append("{}")
                pieces.append("")
                continue
            value.append(char)
            pieces[-1] += char

    def next_char(self, reason: str) -> str:
        if self.pos >= len(self.text):
            self.fail(reason)
        self.pos += 1
        return self.text[self.pos - 1]

    def path(self) -> Path:
        start = self.pos
        self.pos = _path_end(self.text, start)
        try:
            return compile_path(self.text[start : self.pos])
        except PathSyntaxError as exc:
            self.fail(str(exc))

    def scalar(self) -> Any:
        match = _NUMBER.match(self.text, self.pos) or _KEYWORD.match(self.text, self.pos)
        if match is None or not self.delimited(match.end()):
            self.fail("expected an argument")
        self.pos = match.end()
        word = match.group()
        if word in _KEYWORDS:
            return _KEYWORDS[word]
        return float(word) if match.group(1) or match.group(2) else int(word)

    def delimited(self, end: int) -> bool:
        return end == len(self.text) or self.text[end] in _DELIMITERS


def _path_end(text: str, pos: int) -> int:
    """Where a path argument ends: at a ``,``, ``)`` or blank outside brackets and quotes."""
    depth, quote = 0, ""
    while pos < len(text):
        char = text[pos]
        if quote:
            if char == "\\":
                pos += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])" and depth:
            depth -= 1
        elif depth == 0 and char in _DELIMITERS:
            break
        pos += 1
    return pos


def _build(name: str, raw_args: list[Any], text: str) -> Call:
    spec = FUNCTIONS[name]
    count = len(raw_args)
    if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
        raise IntrinsicSyntaxError(
            f"Invalid intrinsic function call {text!r}: {_arity(spec.min_args, spec.max_args)}"
        )
    args = tuple(a.value if isinstance(a, _StringLiteral) else a for a in raw_args)
    if name == "States.Format" and isinstance(raw_args[0], _StringLiteral):
        # A literal format string is split once; its escaped braces stay literal.
        impl = functools.partial(_format_pieces, raw_args[0].pieces)
        return Call(name, args, text, impl, args[1:])
    return Call(name, args, text, spec.impl, args)


def _format_pieces(pieces: tuple[str, ...], values: list[Any], ctx: EvalContext) -> str:
    return fill_format(pieces, values)


def _arity(low: int, high: int | None) -> str:
    if high is None:
        return f"expected at least {low} argument(s)"
    if low == high:
        return f"expected {low} argument(s)"
    return f"expected {low} to {high} arguments"
