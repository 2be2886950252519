"""The fast form of simple JSONata expressions must agree with the JSONata engine, always.

Generated expressions (paths, arithmetic, comparisons, constructors...) over generated variables are
evaluated both ways; whenever the fast form gives a value rather than deferring, the engine must give
the same value (same JSON text), and the engine's errors must make the fast form defer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfnlocal.expressions.jsonata_engine import UNDEFINED, JsonataRuntimeError, compile_expression
from sfnlocal.expressions.jsonata_fast import Fallback

KEYS = ("x", "y", "k")
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from([0.5, -1.5, 2.0, 1e3])
    | st.sampled_from(["", "a", "b", "ab"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    max_leaves=8,
)
LEAVES = st.sampled_from([
    "1", "2.5", "0", "-3", "'a'", "'b'", "''", "true", "false", "null",
    "$a", "$b", "$a.x", "$a.x.y", "$b.k", "$states.input", "$states.input.x", "$states.input.x.k",
    "$missing", "$a.nothing",
])


def _combine(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "<", "<=", ">", ">=", "=", "!=",
                                               "and", "or", "&", "%"]), inner)
    return (
        binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        | inner.map(lambda e: f"-{e}")
        | st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})")
        | st.tuples(inner, inner).map(lambda t: f"{{'p': {t[0]}, 'q': {t[1]}}}")
        | st.tuples(inner, inner).map(lambda t: f"[{t[0]}, {t[1]}]")
        | inner.map(lambda e: f"[[{e}]]")
    )


EXPRESSIONS = st.recursive(LEAVES, _combine, max_leaves=6)


def _engine(expression: Any, bindings: dict[str, Any]) -> tuple[str, Any]:
    try:
        value = expression._evaluate_with_engine(bindings, None)
    except JsonataRuntimeError as err:
        return ("error", err.code)
    return ("undefined", None) if value is UNDEFINED else ("value", json.dumps(value))


def _fast(expression: Any, bindings: dict[str, Any]) -> tuple[str, Any] | None:
    try:
        value = expression.fast(bindings)
    except Fallback:
        return None
    return ("undefined", None) if value is UNDEFINED else ("value", json.dumps(value))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=EXPRESSIONS, a=JSON, b=JSON, data=JSON)
def test_fast_form_agrees_with_the_engine(text: str, a: Any, b: Any, data: Any):
    expression = compile_expression(text)
    if expression.fast is None:
        return
    bindings = {"a": a, "b": b, "states": {"input": data}}
    fast = _fast(expression, bindings)
    if fast is not None:
        assert fast == _engine(expression, bindings), text


@pytest.mark.parametrize("text", [
    "$states.input", "$states.input.a.b", "$x", "$states.input.n + 1", "$states.input.n < 3",
    "$states.input.kind = 'gold' and $x", "{'id': $states.input.id, 'tags': ['a', $x]}",
    "$states.input.n > 2 ? 'big' : 'small'", "-$states.input.n", "($states.input.n * 2)",
    "'id-' & $states.input.id",
])
def test_common_shapes_have_a_fast_form(text: str):
    assert compile_expression(text).fast is not None


@pytest.mark.parametrize("text", [
    "$sum($states.input.v)", "$states.input.items[0]", "$states.input.items[x > 1]", "$", "foo",
    "$x := 1", "$states.input.n % 2", "$states.input.**", "{'a': 1, 'a': 2}",
])
def test_other_shapes_are_left_to_the_engine(text: str):
    assert compile_expression(text).fast is None


@pytest.mark.parametrize(("text", "bindings", "expected"), [
    ("$states.input.a", {"states": {"input": {"a": [1]}}}, [1]),  # an input array of one stays an array
    ("$states.input.a", {"states": {"input": {"a": None}}}, None),  # null is a value
    ("$states.input.a.b", {"states": {"input": {"a": "text"}}}, UNDEFINED),
    ("6 / $x", {"x": 2}, 3),  # whole results are integers, as in JSON
    ("$x = 1", {"x": 1.0}, True),
    ("$x = 1", {"x": True}, False),
    ("{'a': $missing.b, 'c': 1}", {"missing": {}}, {"c": 1}),  # undefined members are left out
])
def test_fast_form_values(text: str, bindings: dict[str, Any], expected: Any):
    fast = compile_expression(text).fast
    assert fast is not None
    assert fast(bindings) == expected


@pytest.mark.parametrize(("text", "bindings"), [
    ("$states.input.a.b", {"states": {"input": {"a": [{"b": 1}]}}}),  # paths map over arrays
    ("$x + 1", {"x": "1"}),  # T2001 is the engine's to raise
    ("$x", {}),  # unbound: a function name or undefined, the engine decides
    ("[$x, 1]", {"x": [1, 2]}),  # array constructors flatten arrays
    ("$x = $y", {"x": {"a": 1}, "y": {"a": 1}}),  # deep equality
    ("1 / 0", {}),
])
def test_fast_form_defers_to_the_engine(text: str, bindings: dict[str, Any]):
    fast = compile_expression(text).fast
    assert fast is not None
    with pytest.raises(Fallback):
        fast(bindings)
