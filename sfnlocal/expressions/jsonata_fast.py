"""A fast form for the common JSONata expressions, compiled once from the parsed tree.

Most JSONata fields of real workflows are small: ``$states.input.a``, ``$x``, ``$states.input.n + 1``,
``$states.input.kind = 'gold'``, ``{'id': $states.input.id}``. The JSONata engine interprets each of
them through generic machinery (frames, sequences, ~20 µs a call); this module turns the trees it
recognises into plain Python closures (~1 µs).

The fast form must give exactly the engine's result. It therefore handles only the cases whose result
is plain: paths through objects, numbers, strings, booleans, null. Whenever a value is anything else
(an array in the middle of a path, a string added to a number...), the closure raises ``Fallback`` and
the caller evaluates the same expression with the engine, which produces the proper result or error.
``tests/expressions/test_jsonata_fast.py`` checks the two agree on generated expressions and inputs.

``compile_fast(tree)`` returns None for trees outside the supported subset.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["UNDEFINED", "Fallback", "FastFn", "compile_fast"]


class _Undefined:
    """JSONata's *undefined* (no value), distinct from JSON ``null`` (None)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Any = _Undefined()
_MISSING = object()


class Fallback(Exception):
    """The fast form cannot decide this evaluation; the engine must."""


FastFn = Callable[[Mapping[str, Any]], Any]
"""``fn(bindings) -> value``: a JSON value or ``UNDEFINED``; may raise ``Fallback``."""

_FLAGS = ("predicate", "stages", "group", "focus", "index", "tuple", "keep_array", "ancestor",
          "keep_singleton_array")


def _plain(node: Any) -> bool:
    """True when the node carries none of the path decorations (predicates, ``#``, ``@``, ``[]``...)."""
    return not any(getattr(node, name, None) for name in _FLAGS)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: float) -> Any:
    """The engine's number normalisation: integral results become ints; overflow is not ours."""
    if not math.isfinite(value):
        raise Fallback
    return int(value) if value == int(value) else value


# -- leaves ----------------------------------------------------------------------------------------


def _literal(value: Any) -> FastFn:
    return lambda bindings: value


def _variable(name: str, names: tuple[str, ...]) -> FastFn:
    """``$name`` or ``$name.a.b``: a lookup through objects; a miss is UNDEFINED."""

    def walk(bindings: Mapping[str, Any]) -> Any:
        value = bindings.get(name, _MISSING)
        if value is _MISSING:
            raise Fallback  # an unbound name may be a function ($string): the engine knows
        for key in names:
            if isinstance(value, dict):
                value = value.get(key, UNDEFINED)
                if value is UNDEFINED:
                    return UNDEFINED
            elif isinstance(value, list):
                raise Fallback  # paths map over arrays and flatten: the engine's job
            else:
                return UNDEFINED
        return value

    return walk


def _path(node: Any) -> FastFn | None:
    steps = node.steps or []
    if not steps or not all(_plain(step) for step in steps) or not _plain(node):
        return None
    head, rest = steps[0], steps[1:]
    if head.type != "variable" or head.value in ("", "$") or any(s.type != "name" for s in rest):
        return None
    return _variable(str(head.value), tuple(str(s.value) for s in rest))


# -- operators -------------------------------------------------------------------------------------

_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else math.inf,
}
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _arithmetic(op: str, lhs: FastFn, rhs: FastFn) -> FastFn:
    apply = _ARITHMETIC[op]

    def run(bindings: Mapping[str, Any]) -> Any:
        a, b = lhs(bindings), rhs(bindings)
        if _is_number(a) and _is_number(b):
            return _number(apply(float(a), float(b)))
        if (a is UNDEFINED or _is_number(a)) and (b is UNDEFINED or _is_number(b)):
            return UNDEFINED
        raise Fallback

    return run


def _comparable(value: Any) -> bool:
    return isinstance(value, str) or _is_number(value)


def _order(op: str, lhs: FastFn, rhs: FastFn) -> FastFn:
    apply = _ORDER[op]

    def run(bindings: Mapping[str, Any]) -> Any:
        a, b = lhs(bindings), rhs(bindings)
        if a is UNDEFINED or b is UNDEFINED:
            if (a is UNDEFINED or _comparable(a)) and (b is UNDEFINED or _comparable(b)):
                return UNDEFINED
            raise Fallback
        if _is_number(a) and _is_number(b):
            return apply(float(a), float(b)) if type(a) is not type(b) else apply(a, b)
        if isinstance(a, str) and isinstance(b, str):
            return apply(a, b)
        raise Fallback

    return run


def _kind(value: Any) -> type | None:
    """The JSON kind of a scalar (numbers are one kind), or None for containers and others."""
    if value is None or isinstance(value, bool | str):
        return type(value)
    return float if _is_number(value) else None


def _equal(a: Any, b: Any) -> bool:
    kind_a, kind_b = _kind(a), _kind(b)
    if kind_a is None or kind_b is None:
        raise Fallback  # deep equality of objects and arrays: the engine's job
    if kind_a is not kind_b:
        return False
    return float(a) == float(b) if kind_a is float else bool(a == b)


def _equality(op: str, lhs: FastFn, rhs: FastFn) -> FastFn:
    negate = op == "!="

    def run(bindings: Mapping[str, Any]) -> Any:
        a, b = lhs(bindings), rhs(bindings)
        if a is UNDEFINED or b is UNDEFINED:
            return False
        return _equal(a, b) is not negate

    return run


def _truth(value: Any) -> bool:
    if value is UNDEFINED:
        return False
    if isinstance(value, bool):
        return value
    raise Fallback  # JSONata's truthiness of other values: the engine's job


def _boolean(op: str, lhs: FastFn, rhs: FastFn) -> FastFn:
    if op == "and":
        return lambda bindings: _truth(lhs(bindings)) and _truth(rhs(bindings))
    return lambda bindings: _truth(lhs(bindings)) or _truth(rhs(bindings))


def _text(value: Any) -> str:
    if value is UNDEFINED:
        return ""
    if isinstance(value, str):
        return value
    raise Fallback


def _concat(lhs: FastFn, rhs: FastFn) -> FastFn:
    return lambda bindings: _text(lhs(bindings)) + _text(rhs(bindings))


def _binary(node: Any) -> FastFn | None:
    op = str(node.value)
    lhs, rhs = _compile(node.lhs), _compile(node.rhs)
    if lhs is None or rhs is None:
        return None
    if op in _ARITHMETIC:
        return _arithmetic(op, lhs, rhs)
    if op in _ORDER:
        return _order(op, lhs, rhs)
    if op in ("=", "!="):
        return _equality(op, lhs, rhs)
    if op in ("and", "or"):
        return _boolean(op, lhs, rhs)
    return _concat(lhs, rhs) if op == "&" else None


# -- constructors and control ----------------------------------------------------------------------


def _negate(inner: FastFn) -> FastFn:
    def run(bindings: Mapping[str, Any]) -> Any:
        value = inner(bindings)
        if value is UNDEFINED:
            return UNDEFINED
        if _is_number(value):
            return _number(-float(value))
        raise Fallback

    return run


def _object(node: Any) -> FastFn | None:
    pairs = node.lhs_object or []
    if not all(key.type == "string" for key, _ in pairs):
        return None
    keys = [str(key.value) for key, _ in pairs]
    values = [_compile(value) for _, value in pairs]
    if len(set(keys)) != len(keys) or any(v is None for v in values):
        return None
    members = list(zip(keys, values, strict=True))

    def build(bindings: Mapping[str, Any]) -> Any:
        out = {}
        for key, value_fn in members:
            value = value_fn(bindings)  # type: ignore[misc]
            if value is not UNDEFINED:
                out[key] = value
        return out

    return build


def _array(node: Any) -> FastFn | None:
    items = [(_compile(item), item.type == "unary" and item.value == "[") for item in node.expressions or []]
    if any(fn is None for fn, _ in items):
        return None

    def build(bindings: Mapping[str, Any]) -> Any:
        out = []
        for fn, nested in items:
            value = fn(bindings)  # type: ignore[misc]
            if value is UNDEFINED:
                continue
            if isinstance(value, list) and not nested:
                raise Fallback  # arrays from expressions are flattened into the constructor
            out.append(value)
        return out

    return build


def _unary(node: Any) -> FastFn | None:
    if node.value == "{":
        return _object(node)
    if node.value == "[":
        return _array(node)
    if node.value == "-":
        inner = _compile(node.expression)
        return None if inner is None else _negate(inner)
    return None


def _condition(node: Any) -> FastFn | None:
    test, then = _compile(node.condition), _compile(node.then)
    other = _compile(node._else) if node._else is not None else _literal(UNDEFINED)
    if test is None or then is None or other is None:
        return None
    return lambda bindings: then(bindings) if _truth(test(bindings)) else other(bindings)


def _block(node: Any) -> FastFn | None:
    expressions = node.expressions or []
    return _compile(expressions[0]) if len(expressions) == 1 else None


def _compile(node: Any) -> FastFn | None:
    if node is None or not _plain(node):
        return None
    kind = node.type
    if kind in ("string", "number") or (kind == "value" and node.value in (True, False, None)):
        return _literal(node.value)
    if kind == "variable" and node.value not in ("", "$"):
        return _variable(str(node.value), ())
    compiler = _COMPILERS.get(kind)
    return compiler(node) if compiler is not None else None


_COMPILERS: dict[str, Callable[[Any], FastFn | None]] = {
    "path": _path,
    "binary": _binary,
    "unary": _unary,
    "condition": _condition,
    "block": _block,
}


def compile_fast(tree: Any) -> FastFn | None:
    """The fast form of a parsed JSONata tree (jsonata-python's AST), or None when unsupported."""
    try:
        return _compile(tree)
    except (AttributeError, TypeError, ValueError):
        return None  # a tree shape this module does not know
