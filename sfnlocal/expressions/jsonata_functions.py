"""Step Functions' own JSONata functions, added to the JSONata library.

``$partition``, ``$range``, ``$hash``, ``$random``, ``$uuid`` and ``$parse``: AWS adds these to the
JSONata library (checklist §9) and removes ``$eval``. They are plain Python functions of JSON values;
``jsonata_engine`` binds them. Failures raise ``SfnFunctionError`` and become
``States.QueryEvaluationError`` ("threw an error during evaluation").

``$random`` and ``$uuid`` draw from the execution's seedable ``random.Random`` (see
``random_functions``); ``$random(seed)`` is deterministic: the same seed gives the same number, the
first ``java.util.Random(seed).nextDouble()`` (AWS runs JSONata on the JVM; exact values unverified).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["STATIC_FUNCTIONS", "SfnFunctionError", "java_random_double", "random_functions"]

HASH_ALGORITHMS = {
    "MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512",
}
_MASK48 = (1 << 48) - 1


class SfnFunctionError(Exception):
    """A Step Functions JSONata function was called with arguments it cannot use."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any, function: str, what: str) -> float:
    if not _is_number(value) or not math.isfinite(value):
        raise SfnFunctionError(f"The {what} argument of ${function} must be a number")
    return float(value)


def _as_list(value: Any) -> list[Any]:
    """JSONata's array coercion: a single value is a one-element array."""
    return list(value) if isinstance(value, list) else [value]


def partition(array: Any, size: Any = None) -> list[Any]:
    """``$partition(array, size)``: chunks of ``size`` items, the last one shorter.

    Raises:
        SfnFunctionError: ``size`` is not a positive number (``$partition(a, -1)`` fails on AWS).
    """
    if array is None:
        raise SfnFunctionError("The first argument of $partition must be an array")
    chunk = int(_number(size, "partition", "second"))
    if chunk <= 0:
        raise SfnFunctionError("The second argument of $partition must be a positive number")
    items = _as_list(array)
    return [items[i : i + chunk] for i in range(0, len(items), chunk)]


def range_(start: Any = None, end: Any = None, step: Any = None) -> Any:
    """``$range(start, end, step)``: ``start``, ``start + step``... up to ``end`` included.

    The arguments are truncated toward zero. Like a JSONata sequence, a one-item result is the item
    itself (``$range(1, 9, 9)`` is ``1``, observed on AWS).
    """
    first = int(_number(start, "range", "first"))
    last = int(_number(end, "range", "second"))
    stride = int(_number(step, "range", "third"))
    if stride == 0:
        raise SfnFunctionError("The third argument of $range must not be zero")
    values = list(range(first, last + (1 if stride > 0 else -1), stride))
    return values[0] if len(values) == 1 else values


def hash_(value: Any = None, algorithm: Any = None) -> str:
    """``$hash(value, algorithm)``: the lowercase hex digest of the value's text (UTF-8).

    Strings are hashed as they are; other values as their compact JSON text.
    """
    name = HASH_ALGORITHMS.get(algorithm) if isinstance(algorithm, str) else None
    if name is None:
        allowed = ", ".join(HASH_ALGORITHMS)
        raise SfnFunctionError(f"The hash algorithm must be one of [{allowed}], but was {algorithm!r}")
    if value is None:
        raise SfnFunctionError("The first argument of $hash must not be undefined")
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return hashlib.new(name, text.encode("utf-8")).hexdigest()


def parse(text: Any = None) -> Any:
    """``$parse(jsonString)``: the JSON value the string holds."""
    if not isinstance(text, str):
        raise SfnFunctionError("The argument of $parse must be a string")
    try:
        return json.loads(text)
    except ValueError as err:
        raise SfnFunctionError(f"The argument of $parse is not valid JSON: {err}") from None


def java_random_double(seed: int) -> float:
    """``new java.util.Random(seed).nextDouble()``: the first double of Java's LCG for ``seed``."""
    state = (seed ^ 0x5DEECE66D) & _MASK48

    def bits(count: int) -> int:
        nonlocal state
        state = (state * 0x5DEECE66D + 0xB) & _MASK48
        return state >> (48 - count)

    return ((bits(26) << 27) + bits(27)) * (1.0 / (1 << 53))


def random_functions(rng: random.Random) -> dict[str, Callable[..., Any]]:
    """``$random([seed])`` and ``$uuid()`` drawing from ``rng`` (the execution's random source)."""

    def random_(seed: Any = None) -> float:
        if seed is None:
            return rng.random()
        return java_random_double(int(_number(seed, "random", "seed")))

    def uuid_() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    return {"random": random_, "uuid": uuid_}


STATIC_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "partition": partition,
    "range": range_,
    "hash": hash_,
    "parse": parse,
}
"""The functions that need nothing but their arguments."""
