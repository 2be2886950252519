"""The 18 intrinsic functions of ASL (``States.Format`` ... ``States.UUID``) over argument values.

Each implementation takes the list of argument values and the evaluation context, and returns the
result or raises ``ArgumentError`` with the reason; ``Call.evaluate`` turns that into AWS's
``States.IntrinsicFailure``. Arity is checked once, when the call is parsed (``FUNCTIONS``).

Behaviour follows AWS (checklist §8.2): numbers that must be integers are rounded with Java's
``Math.round`` (``floor(x + 0.5)``), ``States.Format`` shows values with Java's ``toString``
(``{k=v}``, ``[a, b]``), ``States.JsonToString`` writes compact JSON.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsontext import compact_json, java_text, json_key, json_type

__all__ = [
    "FUNCTIONS",
    "ArgumentError",
    "FunctionSpec",
    "fill_format",
    "java_round",
    "json_type",
    "split_format",
]

Impl = Callable[[list[Any], EvalContext], Any]

_MAX_TEXT = 10_000
_MAX_RANGE = 1000
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_HASHES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


class ArgumentError(ValueError):
    """An intrinsic function was given arguments it cannot work with; the message says why."""


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One intrinsic function: its arity (``max_args`` None = unbounded) and implementation."""

    name: str
    min_args: int
    max_args: int | None
    impl: Impl


# -- argument checks ----------------------------------------------------------------------------


_CLASSES = {
    "string": (str,),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
    "boolean": (bool,),
}


def _expect(value: Any, kind: str, what: str) -> Any:
    if value.__class__ not in _CLASSES[kind] and json_type(value) != kind:
        raise ArgumentError(f"the {what} must be of type {kind}, but was {json_type(value)}")
    return value


def _text(value: Any, what: str) -> str:
    text: str = _expect(value, "string", what)
    if len(text) > _MAX_TEXT:
        raise ArgumentError(f"the {what} is longer than {_MAX_TEXT} characters")
    return text


def java_round(value: Any, what: str) -> int:
    """An integer argument, rounded like Java's ``Math.round`` (``2.5 → 3``, ``-2.5 → -2``)."""
    if value.__class__ is int:
        exact: int = value
        return exact
    number = _expect(value, "number", what)
    if isinstance(number, int):
        return number
    if not math.isfinite(number):
        raise ArgumentError(f"the {what} must be a finite number")
    rounded: int = math.floor(number + 0.5)
    return rounded


# -- States.Format ------------------------------------------------------------------------------


def split_format(template: str) -> tuple[str, ...]:
    """The literal pieces around each ``{}`` of a runtime format string."""
    return tuple(template.split("{}"))


def fill_format(pieces: Sequence[str], values: Sequence[Any]) -> str:
    """Join ``pieces`` with the Java rendering of each value in place of the ``{}`` between them."""
    if len(values) != len(pieces) - 1:
        raise ArgumentError(
            f"the format string has {len(pieces) - 1} placeholder(s) but {len(values)} "
            "argument(s) were given"
        )
    parts = [pieces[0]]
    for index, value in enumerate(values, 1):
        parts.append(value if value.__class__ is str else java_text(value))
        parts.append(pieces[index])
    return "".join(parts)


def _format(args: list[Any], ctx: EvalContext) -> str:
    template = _expect(args[0], "string", "format string")
    return fill_format(split_format(template), args[1:])


# -- JSON ---------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _string_to_json(args: list[Any], ctx: EvalContext) -> Any:
    text = _expect(args[0], "string", "argument")
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        raise ArgumentError("the argument is not a valid JSON text") from None


def _json_to_string(args: list[Any], ctx: EvalContext) -> str:
    return compact_json(args[0])


def _json_merge(args: list[Any], ctx: EvalContext) -> dict[str, Any]:
    first = _expect(args[0], "object", "first argument")
    second = _expect(args[1], "object", "second argument")
    if _expect(args[2], "boolean", "third argument"):
        raise ArgumentError("deep merging is not supported: the third argument must be false")
    return {**first, **second}


# -- arrays -------------------------------------------------------------------------------------


def _array(args: list[Any], ctx: EvalContext) -> list[Any]:
    return list(args)


def _array_partition(args: list[Any], ctx: EvalContext) -> list[list[Any]]:
    items = _expect(args[0], "array", "first argument")
    size = java_round(args[1], "chunk size")
    if size <= 0:
        raise ArgumentError(f"the chunk size must be greater than 0, but was {size}")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _array_contains(args: list[Any], ctx: EvalContext) -> bool:
    items = _expect(args[0], "array", "first argument")
    wanted = json_key(args[1])
    return any(json_key(item) == wanted for item in items)


def _array_range(args: list[Any], ctx: EvalContext) -> list[int]:
    start = java_round(args[0], "start")
    end = java_round(args[1], "end")
    step = java_round(args[2], "step")
    if step == 0:
        raise ArgumentError("the step must not be 0")
    values = range(start, end + (1 if step > 0 else -1), step)
    if len(values) > _MAX_RANGE:
        raise ArgumentError(f"the range has more than {_MAX_RANGE} elements")
    return list(values)


def _array_get_item(args: list[Any], ctx: EvalContext) -> Any:
    items = _expect(args[0], "array", "first argument")
    index = args[1]
    if json_type(index) != "number" or not isinstance(index, int):
        raise ArgumentError(f"the index must be an integer, but was {compact_json(index)}")
    if not 0 <= index < len(items):
        raise ArgumentError(
            f"the index {index} is out of bounds for an array of length {len(items)}"
        )
    return items[index]


def _array_length(args: list[Any], ctx: EvalContext) -> int:
    return len(_expect(args[0], "array", "argument"))


def _array_unique(args: list[Any], ctx: EvalContext) -> list[Any]:
    seen: set[Any] = set()
    unique = []
    for item in _expect(args[0], "array", "argument"):
        key = json_key(item)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


# -- encoding and hashing -----------------------------------------------------------------------


def _base64_encode(args: list[Any], ctx: EvalContext) -> str:
    return base64.b64encode(_text(args[0], "argument").encode()).decode("ascii")


def _base64_decode(args: list[Any], ctx: EvalContext) -> str:
    encoded = _text(args[0], "argument")
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ArgumentError("the argument is not a valid base64 encoding of UTF-8 text") from None


def _hash(args: list[Any], ctx: EvalContext) -> str:
    data = args[0] if isinstance(args[0], str) else compact_json(args[0])
    algorithm = _expect(args[1], "string", "algorithm")
    if algorithm not in _HASHES:
        raise ArgumentError(
            f"the algorithm must be one of {', '.join(_HASHES)}, but was {algorithm}"
        )
    return hashlib.new(_HASHES[algorithm], _text(data, "data").encode()).hexdigest()


# -- math ---------------------------------------------------------------------------------------


def _math_random(args: list[Any], ctx: EvalContext) -> int:
    start = java_round(args[0], "start")
    end = java_round(args[1], "end")
    if start >= end:
        raise ArgumentError(f"the start ({start}) must be less than the end ({end})")
    rng = random.Random(java_round(args[2], "seed")) if len(args) > 2 else ctx.rng
    return rng.randrange(start, end)


def _math_add(args: list[Any], ctx: EvalContext) -> int:
    return _int32(args[0], "first argument") + _int32(args[1], "second argument")


def _int32(value: Any, what: str) -> int:
    number = java_round(value, what)
    if not _INT32_MIN <= number <= _INT32_MAX:
        raise ArgumentError(f"the {what} is outside the 32-bit integer range")
    return number


# -- strings --------------------------------------------------------------------------------------


def _string_split(args: list[Any], ctx: EvalContext) -> list[str]:
    text = _expect(args[0], "string", "first argument")
    delimiters = _expect(args[1], "string", "delimiter")
    if not delimiters:
        return [text] if text else []
    parts = re.split("[" + re.escape(delimiters) + "]", text)
    return [part for part in parts if part]


def _uuid(args: list[Any], ctx: EvalContext) -> str:
    return str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))


def _spec(name: str, min_args: int, max_args: int | None, impl: Impl) -> tuple[str, FunctionSpec]:
    full = f"States.{name}"
    return full, FunctionSpec(full, min_args, max_args, impl)


FUNCTIONS: Mapping[str, FunctionSpec] = dict(
    [
        _spec("Format", 1, None, _format),
        _spec("StringToJson", 1, 1, _string_to_json),
        _spec("JsonToString", 1, 1, _json_to_string),
        _spec("Array", 0, None, _array),
        _spec("ArrayPartition", 2, 2, _array_partition),
        _spec("ArrayContains", 2, 2, _array_contains),
        _spec("ArrayRange", 3, 3, _array_range),
        _spec("ArrayGetItem", 2, 2, _array_get_item),
        _spec("ArrayLength", 1, 1, _array_length),
        _spec("ArrayUnique", 1, 1, _array_unique),
        _spec("Base64Encode", 1, 1, _base64_encode),
        _spec("Base64Decode", 1, 1, _base64_decode),
        _spec("Hash", 2, 2, _hash),
        _spec("JsonMerge", 3, 3, _json_merge),
        _spec("MathRandom", 2, 3, _math_random),
        _spec("MathAdd", 2, 2, _math_add),
        _spec("StringSplit", 2, 2, _string_split),
        _spec("UUID", 0, 0, _uuid),
    ]
)
"""The intrinsic functions by full name (``States.Format``)."""
