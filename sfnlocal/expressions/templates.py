"""Payload templates (Parameters, ResultSelector, ItemSelector, Assign in JSONPath), compiled once.

- ``compile_template(value, field) -> Template``: recurse through objects/arrays; keys ending in
  ``.$`` are renamed and their value compiled with ``compile_value_expression``; raises
  ``TemplateError`` naming the key (``The value for the field 'x.$' must be a valid JSONPath or a
  valid intrinsic function call``) or a duplicate key after stripping ``.$``.
- ``compile_value_expression(text) -> Path | Call``: a ``.$`` value: path (``$``, ``$$``, ``$var``)
  or intrinsic call; raises ``TemplateError``.
- ``Template.evaluate(data, ctx) -> Any``: a new value; a path miss raises ``EvaluationError``
  (``States.Runtime``, ``The JSONPath '$.x' specified for the field 'x.$' could not be found in the
  input '<compact json>'``).

Sharing: every object and array written in the template is rebuilt at each evaluation, so callers
get fresh containers they may modify. Values selected by paths are the input's own objects, not
copies: the engine never mutates a JSON value once handed on (design note 2), and deep copies happen
only where user code receives a value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sfnlocal.errors import EvaluationError
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.intrinsics import Call, IntrinsicSyntaxError, parse_intrinsic
from sfnlocal.expressions.jsonpath import Path, PathNotFound, PathSyntaxError, compile_path
from sfnlocal.expressions.jsontext import compact_json

__all__ = ["Template", "TemplateError", "compile_template", "compile_value_expression"]

_Getter = Callable[[Any, EvalContext], Any]


class TemplateError(ValueError):
    """An invalid template; ``key`` is the offending key (with its ``.$``) when there is one."""

    def __init__(self, message: str, key: str | None = None) -> None:
        self.key = key
        super().__init__(message)


class Template:
    """A compiled payload template.

    Attributes:
        field: the definition field it came from (``Parameters``, ``ResultSelector``...).
    """

    __slots__ = ("field",)

    def __init__(self, field: str) -> None:
        self.field = field

    def evaluate(self, data: Any, ctx: EvalContext) -> Any:
        """Build the payload from ``data`` and ``ctx``.

        Raises:
            EvaluationError: a path matched nothing (``States.Runtime``) or an intrinsic failed.
        """
        raise NotImplementedError


class _Constant(Template):
    """A scalar written in the template."""

    __slots__ = ("_value",)

    def __init__(self, field: str, value: Any) -> None:
        super().__init__(field)
        self._value = value

    def evaluate(self, data: Any, ctx: EvalContext) -> Any:
        return self._value


class _Array(Template):
    """An array: each element rebuilt."""

    __slots__ = ("_items",)

    def __init__(self, field: str, items: list[Template]) -> None:
        super().__init__(field)
        self._items: tuple[_Getter, ...] = tuple(item.evaluate for item in items)

    def evaluate(self, data: Any, ctx: EvalContext) -> Any:
        return [get(data, ctx) for get in self._items]


class _Object(Template):
    """An object: constant scalars copied from a prepared dict, other entries evaluated in place.

    ``_base`` holds every output key in template order (dynamic ones with a placeholder), so that
    ``dict.copy`` plus assignment keeps the order of the template.
    """

    __slots__ = ("_base", "_dynamic", "_paths")

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self._base: dict[str, Any] = {}
        self._dynamic: tuple[tuple[str, _Getter], ...] = ()
        self._paths: dict[str, tuple[str, Path]] = {}

    def evaluate(self, data: Any, ctx: EvalContext) -> Any:
        out = self._base.copy()
        key = ""
        try:
            for key, get in self._dynamic:
                out[key] = get(data, ctx)
        except PathNotFound:
            raise self._miss(key, data, ctx) from None
        return out

    def _miss(self, key: str, data: Any, ctx: EvalContext) -> EvaluationError:
        source, path = self._paths[key]
        searched = ctx.context if path.root == "context" else data
        return EvaluationError(
            "States.Runtime",
            f"The JSONPath '{path.text}' specified for the field '{source}' could not be found "
            f"in the input '{compact_json(searched)}'",
        )


def compile_template(value: Any, field: str = "Parameters") -> Template:
    """Compile a payload template (any JSON value; ``.$`` keys are evaluated inside objects).

    Raises:
        TemplateError: a ``.$`` value is not a path or intrinsic call, or two keys collide.
    """
    if isinstance(value, Mapping):
        return _compile_object(value, field)
    if isinstance(value, list):
        return _Array(field, [compile_template(item, field) for item in value])
    return _Constant(field, value)


def compile_value_expression(text: str) -> Path | Call:
    """Compile the value of a ``.$`` key: a path (``$...``, ``$$...``, ``$var...``) or an intrinsic.

    Raises:
        TemplateError: ``text`` is neither.
    """
    if isinstance(text, str):
        try:
            if text.startswith("$"):
                return compile_path(text)
            if text.startswith("States."):
                return parse_intrinsic(text)
        except (PathSyntaxError, IntrinsicSyntaxError) as exc:
            raise TemplateError(f"{_invalid(text)} ({exc})") from None
    raise TemplateError(_invalid(text))


def _invalid(text: Any) -> str:
    return f"The value {text!r} must be a valid JSONPath or a valid intrinsic function call"


def _compile_object(value: Mapping[str, Any], field: str) -> _Object:
    node = _Object(field)
    dynamic: list[tuple[str, _Getter]] = []
    for key, item in value.items():
        name = key[:-2] if key.endswith(".$") else key
        if name in node._base:
            raise TemplateError(f"The field '{name}' is defined more than once in {field}", key)
        node._base[name] = None
        entry = _entry(key, item, field)
        if isinstance(entry, _Constant):
            node._base[name] = entry._value
            continue
        if isinstance(entry, Path):
            node._paths[name] = (key, entry)
        dynamic.append((name, entry.evaluate))
    node._dynamic = tuple(dynamic)
    return node


def _entry(key: str, item: Any, field: str) -> Template | Path | Call:
    if not key.endswith(".$"):
        return compile_template(item, field)
    try:
        return compile_value_expression(item)
    except TemplateError:
        raise TemplateError(invalid_field_message(key), key) from None


def invalid_field_message(key: str) -> str:
    """AWS's message for a ``.$`` key whose value is neither a path nor an intrinsic call."""
    return (
        f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic "
        "function call"
    )
