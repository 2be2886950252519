"""Per-evaluation cost of JSONata fields, and the survey behind the choice of JSONata library.

``python benchmarks/bench_jsonata.py [--repeat N]``: median time per evaluation of compiled JSONata
values (parsed once), next to their JSONPath counterparts and to the same expressions forced through
the JSONata engine (no fast form), on a small input and on a 1,000-item input.

``python benchmarks/bench_jsonata.py --survey``: for each candidate library importable in the current
environment (jsonata-python, jsonata-rs, jsonatapy, jsonata2py; jsonata-python and jsonata-rs both
install a module named ``jsonata``, so run the survey once per virtualenv), counts the AWS features it
gets right, replays the JSONata Pass/Choice expressions of ``../shared/conformance/cases``, and times
it. The figures are in ``docs/design.md``, "JSONata engine".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import timeit
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CASES = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "cases"
SMALL = {"a": 1, "id": "abc", "name": "n", "payload": {"a": 1}, "items": [{"x": i} for i in range(10)]}
BIG = {**SMALL, "bulk": [{"x": i, "name": f"item{i}", "tags": ["a", "b"]} for i in range(1000)]}


def time_per_call(func: Callable[[], Any], repeat: int) -> float:
    """Median seconds per call over ``repeat`` runs."""
    timer = timeit.Timer(func)
    number, _ = timer.autorange()
    return statistics.median(timer.repeat(repeat=repeat, number=number)) / number


# -- sfnlocal's figures ----------------------------------------------------------------------------

FIELDS: list[tuple[str, Any, Any]] = [
    ("$states.input.a", "{% $states.input.a %}", "$.a"),
    ("$states.input.a + 1", "{% $states.input.a + 1 %}", None),
    ("$counter + 1 (variable)", "{% $counter + 1 %}", None),
    ("$states.input.a < 1000 (Condition)", "{% $states.input.a < 1000 %}", None),
    ("Output tree: 3 keys, 2 expressions", {"step": 1, "a": "{% $states.input.payload.a %}", "tag": "s1",
                                            "n": "{% $states.input.name %}"},
     {"step": 1, "a.$": "$.payload.a", "tag": "s1", "n.$": "$.name"}),
    ("object constructor in one expression", "{% {'id': $states.input.id, 'total': $states.input.a + 1} %}",
     None),
    ("$map over 10 items", "{% $map($states.input.items, function($v){$v.x * 2}) %}", None),
    ("$filter over 10 items", "{% $filter($states.input.items, function($v){$v.x > 5}) %}", None),
    ("$sum($states.input.items.x)", "{% $sum($states.input.items.x) %}", None),
]


def _jsonpath(spec: Any) -> Callable[[Any, Any], Any] | None:
    from sfnlocal.expressions.jsonpath import compile_path
    from sfnlocal.expressions.templates import compile_template

    if spec is None:
        return None
    if isinstance(spec, str):
        return compile_path(spec).evaluate
    return compile_template(spec, "Parameters").evaluate


def _engine_only(raw: Any) -> Callable[[dict[str, Any]], Any] | None:
    from sfnlocal.expressions.jsonata_engine import compile_expression

    if not isinstance(raw, str):
        return None
    expression = compile_expression(raw[2:-2].strip())
    return lambda bindings: expression._evaluate_with_engine(bindings, None)


def sfnlocal_rows(repeat: int) -> Iterator[tuple[str, str, float | None, float | None, float | None]]:
    """(label, input size, JSONata µs, JSONata engine-only µs, JSONPath µs) per field."""
    from sfnlocal.expressions.context import EvalContext  # imported here: --survey runs without sfnlocal
    from sfnlocal.expressions.jsonata import JsonataScope, compile_jsonata_value

    ctx = EvalContext(variables={"counter": 41}, rng=random.Random(0))
    for data_label, data in (("small", SMALL), ("1,000 items", BIG)):
        for label, raw, jsonpath in FIELDS:
            value = compile_jsonata_value(raw, "Output")

            def per_state(value: Any = value, data: Any = data, ctx: Any = ctx) -> Any:
                return value.evaluate_in(JsonataScope({"input": data}, ctx.variables, ctx.rng))

            engine = _engine_only(raw)
            bindings = {"counter": 41, "states": {"input": data}}
            path = _jsonpath(jsonpath)
            yield (
                label,
                data_label,
                time_per_call(per_state, repeat) * 1e6,
                time_per_call(lambda e=engine, b=bindings: e(b), repeat) * 1e6 if engine else None,
                time_per_call(lambda p=path, d=data, c=ctx: p(d, c), repeat) * 1e6 if path else None,
            )


# -- the library survey ----------------------------------------------------------------------------


def _partition(array: Any, size: Any) -> list[Any]:
    if not isinstance(size, int | float) or size <= 0:
        raise ValueError("size")
    return [array[i:i + int(size)] for i in range(0, len(array), int(size))]


def _range(start: Any, end: Any, step: Any) -> Any:
    values = list(range(int(start), int(end) + (1 if step > 0 else -1), int(step)))
    return values[0] if len(values) == 1 else values


SFN_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "partition": _partition,
    "range": _range,
    "hash": lambda value, name: hashlib.new(name.replace("-", "").lower(), str(value).encode()).hexdigest(),
    "random": lambda seed=None: random.Random(seed).random(),
    "uuid": lambda: str(uuid.UUID(int=random.getrandbits(128), version=4)),
    "parse": json.loads,
}


class Candidate:
    """One library behind a common face: ``run(text, bindings) -> ("ok", v) | ("undefined",) | ...``."""

    name = ""

    def compile(self, text: str) -> Any:
        raise NotImplementedError

    def run(self, compiled: Any, bindings: dict[str, Any]) -> tuple[Any, ...]:
        raise NotImplementedError


class JsonataPython(Candidate):
    name = "jsonata-python"

    def __init__(self) -> None:
        import jsonata
        from jsonata import functions, utils

        if not hasattr(jsonata.Jsonata, "register_lambda"):
            raise ImportError("the jsonata module is not jsonata-python")
        self.jsonata, self.functions, self.utils = jsonata, functions, utils

    def compile(self, text: str) -> Any:
        compiled = self.jsonata.Jsonata(text)
        compiled.set_output_convert_nulls(False)
        for name, function in SFN_FUNCTIONS.items():
            compiled.register_lambda(name, function)
        compiled.assign("eval", None)
        return compiled

    def run(self, compiled: Any, bindings: dict[str, Any]) -> tuple[Any, ...]:
        try:
            result = compiled.evaluate(None, bindings)
        except self.jsonata.JException as err:
            return ("error", err.error, str(err))
        except Exception as err:
            return ("error", None, f"{type(err).__name__}: {err}")
        if result is None:
            return ("undefined",)
        if self.utils.Utils.is_function(result) or self.functions.Functions.is_lambda(result):
            return ("function",)
        return ("ok", self.utils.Utils.convert_nulls(result))


class JsonataRs(Candidate):
    name = "jsonata-rs"

    def __init__(self) -> None:
        import jsonata

        if not hasattr(jsonata, "UNDEFINED"):
            raise ImportError("the jsonata module is not jsonata-rs")
        self.jsonata = jsonata

    def compile(self, text: str) -> Any:
        compiled = self.jsonata.Jsonata(text)
        compiled.set_output_convert_nulls(False)
        for name, function in SFN_FUNCTIONS.items():
            compiled.register_function(name, function)
        return compiled

    def run(self, compiled: Any, bindings: dict[str, Any]) -> tuple[Any, ...]:
        try:
            result = compiled.evaluate(None, {**bindings, "eval": None})
        except self.jsonata.JsonataError as err:
            return ("error", err.code, str(err))
        return ("undefined",) if result is self.jsonata.UNDEFINED else ("ok", result)


class JsonataPy(Candidate):
    name = "jsonatapy"

    def __init__(self) -> None:
        import jsonatapy

        self.jsonatapy = jsonatapy

    def compile(self, text: str) -> Any:
        compiled = self.jsonatapy.compile(text)
        for name, function in SFN_FUNCTIONS.items():
            try:
                compiled.register(name, function)
            except ValueError:
                compiled.register_override(name, function)
        return compiled

    def run(self, compiled: Any, bindings: dict[str, Any]) -> tuple[Any, ...]:
        try:
            text = compiled.evaluate_json_or_none("null", {**bindings, "eval": None})
        except ValueError as err:
            message = str(err)
            return ("error", message[:5] if message[1:5].isdigit() else None, message)
        return ("undefined",) if text is None else ("ok", json.loads(text))


class Jsonata2Py(Candidate):
    name = "jsonata2py"

    def __init__(self) -> None:
        import jsonata2py
        from jsonata2py.runtime.values import MISSING

        self.jsonata2py, self.missing = jsonata2py, MISSING

    def compile(self, text: str) -> Any:
        compiled = self.jsonata2py.compile(text)
        for name, function in SFN_FUNCTIONS.items():
            compiled.register_function(name, function)
        return compiled

    def run(self, compiled: Any, bindings: dict[str, Any]) -> tuple[Any, ...]:
        values = self.jsonata2py.JsonataBindings()
        for name, value in {**bindings, "eval": None}.items():
            values.bind_value(name, value)
        try:
            result = compiled.evaluate(None, values)
        except self.jsonata2py.JsonataError as err:
            return ("error", err.error_code, str(err))
        if result is self.missing:
            return ("undefined",)
        return ("function",) if callable(result) or type(result).__name__ == "JLambda" else ("ok", result)


FEATURES: list[tuple[str, str, dict[str, Any], tuple[Any, ...]]] = [
    ("singleton sequence collapse", "$range(1, 9, 9)", {}, ("ok", 1)),
    ("$states binding", "$states.input.a + 1", {"states": {"input": {"a": 1}}}, ("ok", 2)),
    ("variables as $name", "$x.y", {"x": {"y": 3}}, ("ok", 3)),
    ("undefined told from null", "$nothing", {}, ("undefined",)),
    ("null stays null", "$x.y", {"x": {"y": None}}, ("ok", None)),
    ("function result detected", "$fn := function($x){$x}", {}, ("function",)),
    ("$eval unavailable (T1006)", "$eval('1')", {}, ("error", "T1006")),
    ("$number('abc') is D3030", "$number('abc')", {}, ("error", "D3030")),
    ("1/0 is D1001", "1/0", {}, ("error", "D1001")),
    ("'a' + 1 is T2001", "'a' + 1", {}, ("error", "T2001")),
    ("input array of one stays an array", "$states.input.a", {"states": {"input": {"a": [1]}}}, ("ok", [1])),
    ("custom function ($partition)", "$partition([1, 2, 3], 2)", {}, ("ok", [[1, 2], [3]])),
    ("built-in overridable ($random(seed))", "$random(7) = $random(7)", {}, ("ok", True)),
    ("regular expressions", "$contains('hello$world', /^hello\\$/)", {}, ("ok", True)),
]


def _feature_ok(candidate: Candidate, text: str, bindings: dict[str, Any], expected: tuple[Any, ...]) -> bool:
    try:
        got = candidate.run(candidate.compile(text), bindings)
    except Exception:
        return False
    if expected[0] == "ok":
        return got[0] == "ok" and json.dumps(got[1]) == json.dumps(expected[1])
    return got[: len(expected)] == expected


def _conformance_pairs() -> Iterator[tuple[Any, dict[str, Any], Any]]:
    """(field value, bindings, expected value or None for 'returned nothing') from recorded Pass states."""
    for path in sorted(CASES.glob("*.json")) if CASES.is_dir() else []:
        case = json.loads(path.read_text(encoding="utf-8"))
        if case["kind"] != "execution" or "jsonata" not in case.get("features", []):
            continue
        states = case["state_machine"]["definition"].get("States", {})
        entered: Any = None
        variables: dict[str, Any] = {}
        for event in case["expected"].get("history") or []:
            if "stateEnteredEventDetails" in event:
                entered = event["stateEnteredEventDetails"]
            exited = event.get("stateExitedEventDetails") or {}
            state = states.get(exited.get("name"), {})
            output = state.get("Output")
            if state.get("Type") == "Pass" and output is not None and entered is not None \
                    and "$states.context" not in json.dumps(output):
                yield output, {**variables, "states": {"input": _decoded(entered.get("input"))}}, \
                    _decoded(exited.get("output"))
            for name, value in (exited.get("assignedVariables") or {}).items():
                variables[name] = _decoded(value)


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _evaluate_tree(candidate: Candidate, raw: Any, bindings: dict[str, Any]) -> Any:
    if isinstance(raw, str) and raw.startswith("{%") and raw.endswith("%}"):
        got = candidate.run(candidate.compile(raw[2:-2].strip()), bindings)
        if got[0] != "ok":
            raise LookupError(got)
        return got[1]
    if isinstance(raw, dict):
        return {key: _evaluate_tree(candidate, item, bindings) for key, item in raw.items()}
    if isinstance(raw, list):
        return [_evaluate_tree(candidate, item, bindings) for item in raw]
    return raw


def survey(repeat: int) -> None:
    """Print features, conformance and speed for every candidate importable here."""
    pairs = list(_conformance_pairs())
    for factory in (JsonataPython, JsonataRs, JsonataPy, Jsonata2Py):
        try:
            candidate = factory()
        except ImportError:
            continue
        features = [label for label, *check in FEATURES if _feature_ok(candidate, *check)]
        missed = [label for label, *_ in FEATURES if label not in features]
        passed = sum(_pair_ok(candidate, raw, bindings, expected) for raw, bindings, expected in pairs)
        print(f"## {candidate.name}: features {len(features)}/{len(FEATURES)}, recorded Pass outputs "
              f"{passed}/{len(pairs)}; missed: {', '.join(missed) or '-'}")
        for label, text, data in SURVEY_TIMINGS:
            run, compiled = candidate.run, candidate.compile(text)
            seconds = time_per_call(lambda r=run, c=compiled, d=data: r(c, {"states": {"input": d}}), repeat)
            print(f"   {label:44} {seconds * 1e6:9.1f} µs")


def _pair_ok(candidate: Candidate, raw: Any, bindings: dict[str, Any], expected: Any) -> bool:
    try:
        return json.dumps(_evaluate_tree(candidate, raw, bindings)) == json.dumps(expected)
    except Exception:
        return False


SURVEY_TIMINGS = [
    ("$states.input.a + 1 (small input)", "$states.input.a + 1", SMALL),
    ("$states.input.a + 1 (1,000-item input)", "$states.input.a + 1", BIG),
    ("object constructor", "{'id': $states.input.id, 'total': $states.input.a + 1}", SMALL),
    ("$map over 10 items", "$map($states.input.items, function($v){$v.x * 2})", SMALL),
    ("$filter over 10 items", "$filter($states.input.items, function($v){$v.x > 5})", SMALL),
]


def _cell(value: float | None) -> str:
    return f"{value:9.2f}" if value is not None else f"{'-':>9}"


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--survey", action="store_true", help="compare the candidate libraries instead")
    args = parser.parse_args()
    if args.survey:
        survey(args.repeat)
        return
    print(f"{'field (µs per evaluation)':40} {'input':>12} {'sfnlocal':>9} {'engine':>9} {'JSONPath':>9}")
    for label, size, fast, engine, jsonpath in sfnlocal_rows(args.repeat):
        print(f"{label:40} {size:>12} {_cell(fast)} {_cell(engine)} {_cell(jsonpath)}")


if __name__ == "__main__":
    main()
