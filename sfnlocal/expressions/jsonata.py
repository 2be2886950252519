"""JSONata values: JSON trees in which ``{% expr %}`` strings are expressions.

The evaluator arrives with the JSONata issue; until then a compiled tree keeps the expression texts so
the model is complete and validation can locate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["JsonataValue", "compile_jsonata_value", "is_jsonata_string"]


def is_jsonata_string(value: Any) -> bool:
    """True when ``value`` is exactly a ``{% ... %}`` string (no surrounding whitespace)."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


@dataclass(frozen=True, slots=True)
class JsonataValue:
    """A JSON value with embedded JSONata expressions.

    Attributes:
        raw: the value as written in the definition.
        field: the field path used in error messages (``Output``, ``Arguments/FunctionName``...).
        expressions: (field path, expression text) for every ``{% %}`` string inside ``raw``.
    """

    raw: Any
    field: str
    expressions: tuple[tuple[str, str], ...]


def _collect(value: Any, path: str, out: list[tuple[str, str]]) -> None:
    if is_jsonata_string(value):
        out.append((path, value[2:-2].strip()))
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(item, f"{path}/{key}", out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _collect(item, f"{path}[{index}]", out)


def compile_jsonata_value(value: Any, field: str) -> JsonataValue:
    """Compile a JSONata-mode field value (literal JSON with nested ``{% %}`` strings)."""
    found: list[tuple[str, str]] = []
    _collect(value, field, found)
    return JsonataValue(raw=value, field=field, expressions=tuple(found))
