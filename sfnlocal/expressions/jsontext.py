"""JSON values rendered the way AWS's Java service renders them in messages and intrinsic results.

AWS Step Functions runs on the JVM: error causes show values as compact JSON (Jackson,
no spaces), ``States.Format`` shows them with Java's ``toString`` (``{k=v}``, ``[a, b]``,
``1.0E20``), and Jayway JsonPath names the Java class it found where it expected an object.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["compact_json", "java_class_name", "java_double_text", "java_text", "json_key", "json_type"]

_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_INT32 = range(-(2**31), 2**31)
_INT64 = range(-(2**63), 2**63)


def compact_json(value: Any) -> str:
    """``value`` as compact JSON text (``{"a":1,"b":[1,2]}``), non-ASCII kept as is."""
    return _COMPACT.encode(value)


def java_double_text(number: float) -> str:
    """Java's ``Double.toString``: ``1.0``, ``0.001``, ``1.0E7``, ``1.2345E-5``."""
    if not math.isfinite(number):
        return "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")
    if number == 0 or 1e-3 <= abs(number) < 1e7:
        return repr(float(number))
    _, digits, exponent = Decimal(repr(abs(number))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) + int(exponent) - 1
    sign = "-" if number < 0 else ""
    return f"{sign}{text[0]}.{text[1:] or '0'}E{power}"


def java_text(value: Any) -> str:
    """``value`` rendered by Java's ``toString`` on a parsed JSON tree (``States.Format``)."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, float):
        return java_double_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={java_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(java_text(v) for v in value) + "]"
    return str(value)


def java_class_name(value: Any) -> str:
    """The Java class Jayway's default JSON provider (json-smart) would hold ``value`` in."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        if value in _INT32:
            return "java.lang.Integer"
        return "java.lang.Long" if value in _INT64 else "java.math.BigInteger"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, list | tuple):
        return "net.minidev.json.JSONArray"
    return "net.minidev.json.JSONObject"


def json_key(value: Any) -> Any:
    """A hashable key with JSON equality: deep, ``1 == 1.0``, ``true != 1``, key order ignored."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if value is None:
        return ("z",)
    if isinstance(value, Mapping):
        return ("o", frozenset((k, json_key(v)) for k, v in value.items()))
    return ("a", tuple(json_key(v) for v in value))


def json_type(value: Any) -> str:
    """The JSON type name of ``value`` (``object``, ``array``, ``string``, ``number``...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, Mapping) else "array"
