"""Compile a validated definition (plain data) into the frozen model of ``model.py``.

This is the only place that reads ASL's PascalCase field names for execution purposes. It assumes the
definition passed validation (``validate.check``); it still fails loudly (``KeyError``/``TypeError``)
rather than guess when handed an invalid one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from sfnlocal.asl import model as m
from sfnlocal.asl.choice_rules import compile_condition
from sfnlocal.asl.resources import parse_resource
from sfnlocal.expressions.intrinsics import Call, parse_intrinsic
from sfnlocal.expressions.jsonata import JsonataValue, compile_jsonata_value, is_jsonata_string
from sfnlocal.expressions.jsonpath import IDENTITY, Path, compile_path, compile_reference_path
from sfnlocal.expressions.templates import Template, compile_template

__all__ = ["compile_machine"]

QL = m.QueryLanguage


class _Scope:
    """What compiling one state needs to know about where it stands."""

    __slots__ = ("all_states", "language", "pointer", "top_language")

    def __init__(self, top_language: m.QueryLanguage, all_states: dict[str, m.State]) -> None:
        self.top_language = top_language
        self.all_states = all_states
        self.language = top_language
        self.pointer = ""


def compile_machine(definition: Mapping[str, Any]) -> m.StateMachine:
    """Compile a (validated) definition into a ``StateMachine``."""
    top = QL(definition.get("QueryLanguage", "JSONPath"))
    scope = _Scope(top, {})
    root = _block(definition, "", scope)
    return m.StateMachine(
        root=root,
        query_language=top,
        timeout_seconds=definition.get("TimeoutSeconds"),
        comment=definition.get("Comment"),
        version=definition.get("Version", "1.0"),
        definition=MappingProxyType(dict(definition)),
        all_states=MappingProxyType(scope.all_states),
    )


def _block(raw: Mapping[str, Any], pointer: str, scope: _Scope) -> m.Block:
    states: dict[str, m.State] = {}
    for name, body in raw["States"].items():
        state = _state(name, body, f"{pointer}/States/{_escape(name)}", scope)
        states[name] = state
        scope.all_states[name] = state
    return m.Block(
        start_at=raw["StartAt"],
        states=MappingProxyType(states),
        pointer=pointer,
        comment=raw.get("Comment"),
    )


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _state(name: str, body: Mapping[str, Any], pointer: str, scope: _Scope) -> m.State:
    language = QL(body.get("QueryLanguage", scope.top_language.value))
    common = _common(name, body, pointer, language)
    builder = _BUILDERS[body["Type"]]
    return builder(body, common, scope)


def _common(name: str, body: Mapping[str, Any], pointer: str, language: m.QueryLanguage) -> dict[str, Any]:
    jsonata = language is QL.JSONATA
    return {
        "name": name,
        "query_language": language,
        "comment": body.get("Comment"),
        "next": body.get("Next"),
        "end": bool(body.get("End", False)),
        "pointer": pointer,
        "input_path": None if jsonata else _opt_path(body, "InputPath"),
        "output_path": None if jsonata else _opt_path(body, "OutputPath"),
        "output": _jsonata(body, "Output") if jsonata else None,
        "assign": _assign(body.get("Assign"), language, "Assign"),
    }


# -- small field compilers ------------------------------------------------------------------------


def _opt_path(body: Mapping[str, Any], key: str) -> Path | None:
    """``InputPath``/``OutputPath``: absent → ``$``; ``null`` → None."""
    if key not in body:
        return IDENTITY
    value = body[key]
    return None if value is None else compile_path(value)


def _result_path(body: Mapping[str, Any]) -> Path | None:
    if "ResultPath" not in body:
        return IDENTITY
    value = body["ResultPath"]
    return None if value is None else compile_reference_path(value)


def _ref(body: Mapping[str, Any], key: str) -> Path | None:
    value = body.get(key)
    return None if value is None else compile_reference_path(value)


def _template(body: Mapping[str, Any], key: str) -> Template | None:
    return compile_template(body[key], key) if key in body else None


def _jsonata(body: Mapping[str, Any], key: str, field: str | None = None) -> JsonataValue | None:
    return compile_jsonata_value(body[key], field or key) if key in body else None


def _assign(raw: Any, language: m.QueryLanguage, field: str) -> Template | JsonataValue | None:
    if raw is None:
        return None
    if language is QL.JSONATA:
        return compile_jsonata_value(raw, field)
    return compile_template(raw, field)


def _payload(body: Mapping[str, Any], language: m.QueryLanguage) -> Template | JsonataValue | None:
    """``Parameters`` (JSONPath) or ``Arguments`` (JSONata)."""
    if language is QL.JSONATA:
        return _jsonata(body, "Arguments")
    return _template(body, "Parameters")


def _int_or_dynamic(
    body: Mapping[str, Any], key: str, language: m.QueryLanguage
) -> tuple[Any, Path | JsonataValue | None]:
    """A numeric field with a JSONPath ``<key>Path`` twin or a JSONata ``{% %}`` form."""
    value = body.get(key)
    if language is QL.JSONATA and is_jsonata_string(value):
        return None, compile_jsonata_value(value, key)
    path = body.get(key + "Path")
    return _integral(value), (compile_reference_path(path) if path is not None else None)


def _integral(value: Any) -> Any:
    """Validation accepts integral floats (``5.0``) in integer fields; the model holds ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _str_or_jsonata(
    body: Mapping[str, Any], key: str, language: m.QueryLanguage
) -> str | JsonataValue | None:
    """A string field that is a JSONata expression in JSONata states and a literal otherwise."""
    value = body.get(key)
    if language is QL.JSONATA and is_jsonata_string(value):
        return compile_jsonata_value(value, key)
    return value


def _path_or_call(text: str | None) -> Path | Call | None:
    if text is None:
        return None
    return parse_intrinsic(text) if text.startswith("States.") else compile_path(text)


# -- retry / catch --------------------------------------------------------------------------------


def _retriers(body: Mapping[str, Any]) -> tuple[m.Retrier, ...]:
    return tuple(
        m.Retrier(
            error_equals=tuple(r["ErrorEquals"]),
            interval_seconds=_integral(r.get("IntervalSeconds", 1)),
            max_attempts=_integral(r.get("MaxAttempts", 3)),
            backoff_rate=float(r.get("BackoffRate", 2.0)),
            max_delay_seconds=_integral(r.get("MaxDelaySeconds")),
            jitter=r.get("JitterStrategy", "NONE"),
            comment=r.get("Comment"),
        )
        for r in body.get("Retry", ())
    )


def _catchers(body: Mapping[str, Any], language: m.QueryLanguage) -> tuple[m.Catcher, ...]:
    jsonata = language is QL.JSONATA
    return tuple(
        m.Catcher(
            error_equals=tuple(c["ErrorEquals"]),
            next=c["Next"],
            result_path=None if jsonata else _result_path(c),
            output=_jsonata(c, "Output", f"Catch[{i}]/Output") if jsonata else None,
            assign=_assign(c.get("Assign"), language, f"Catch[{i}]/Assign"),
            comment=c.get("Comment"),
        )
        for i, c in enumerate(body.get("Catch", ()))
    )


# -- per-type builders ----------------------------------------------------------------------------


def _pass(body: Mapping[str, Any], common: dict[str, Any], scope: _Scope) -> m.State:
    jsonata = common["query_language"] is QL.JSONATA
    return m.PassState(
        **common,
        parameters=None if jsonata else _template(body, "Parameters"),
        result=body.get("Result"),
        has_result="Result" in body,
        result_path=None if jsonata else _result_path(body),
    )


def _task(body: Mapping[str, Any], common: dict[str, Any], scope: _Scope) -> m.State:
    language = common["query_language"]
    jsonata = language is QL.JSONATA
    timeout, timeout_dyn = _int_or_dynamic(body, "TimeoutSeconds", language)
    heartbeat, heartbeat_dyn = _int_or_dynamic(body, "HeartbeatSeconds", language)
    return m.TaskState(
        **common,
        resource=parse_resource(body["Resource"]),
        parameters=_payload(body, language),
        result_selector=None if jsonata else _template(body, "ResultSelector"),
        result_path=None if jsonata else _result_path(body),
        retry=_retriers(body),
        catch=_catchers(body, language),
        timeout_seconds=timeout,
        timeout_seconds_dynamic=timeout_dyn,
        heartbeat_seconds=heartbeat,
        heartbeat_seconds_dynamic=heartbeat_dyn,
        credentials=_assign(body.get("Credentials"), language, "Credentials"),
    )


def _choice(body: Mapping[str, Any], common: dict[str, Any], scope: _Scope) -> m.State:
    language = common["query_language"]
    rules = tuple(
        m.ChoiceRule(
            condition=compile_condition(rule, language.value, f"{common['pointer']}/Choices/{i}"),
            next=rule["Next"],
            assign=_assign(rule.get("Assign"), language, f"Choices[{i}]/Assign"),
            output=(
                _jsonata(rule, "Output", f"Choices[{i}]/Output") if language is QL.JSONATA else None
            ),
            comment=rule.get("Comment"),
        )
        for i, rule in enumerate(body["Choices"])
    )
    return m.ChoiceState(**common, choices=rules, default=body.get("Default"))


def _wait(body: Mapping[str, Any], common: dict[str, Any], scope: _Scope) -> m.State:
    seconds = body.get("Seconds")
    if common["query_language"] is QL.JSONATA and is_jsonata_string(seconds):
        seconds = compile_jsonata_value(seconds, "Seconds")
    return m.WaitState(
        **common,
        seconds=_integral(seconds),
        seconds_path=_ref(body, "SecondsPath"),
        timestamp=_str_or_jsonata(body, "Timestamp", common["query_language"]),
        timestamp_path=_ref(body, "TimestampPath"),
    )


def _succeed(body: Mapping[str, Any], common: dict[str, Any], scope: _Scope) -> m.State:
    common["end"] = True
    return m.SucceedState(**common)


def _fail(body: Mapping[str, Any], common: dict[str, Any], scope: _Scope) -> m.State:
    common["end"] = True
    return m.FailState(
        **common,
        error=_str_or_jsonata(body, "Error", common["query_language"]),
        cause=_str_or_jsonata(body, "Cause", common["query_language"]),
        error_path=_path_or_call(body.get("ErrorPath")),
        cause_path=_path_or_call(body.get("CausePath")),
    )


def _parallel(body: Mapping[str, Any], common: dict[str, Any], scope: _Scope) -> m.State:
    language = common["query_language"]
    jsonata = language is QL.JSONATA
    pointer = common["pointer"]
    branches = tuple(
        _block(branch, f"{pointer}/Branches/{i}", scope) for i, branch in enumerate(body["Branches"])
    )
    return m.ParallelState(
        **common,
        branches=branches,
        parameters=_payload(body, language),
        result_selector=None if jsonata else _template(body, "ResultSelector"),
        result_path=None if jsonata else _result_path(body),
        retry=_retriers(body),
        catch=_catchers(body, language),
    )


def _map(body: Mapping[str, Any], common: dict[str, Any], scope: _Scope) -> m.State:
    language = common["query_language"]
    jsonata = language is QL.JSONATA
    key = "ItemProcessor" if "ItemProcessor" in body else "Iterator"
    processor_raw = body[key]
    config = processor_raw.get("ProcessorConfig", {})
    selector_key = "ItemSelector" if "ItemSelector" in body else "Parameters"
    max_conc, max_conc_dyn = _int_or_dynamic(body, "MaxConcurrency", language)
    tol_count, tol_count_dyn = _int_or_dynamic(body, "ToleratedFailureCount", language)
    tol_pct, tol_pct_dyn = _int_or_dynamic(body, "ToleratedFailurePercentage", language)
    return m.MapState(
        **common,
        processor=_block(processor_raw, f"{common['pointer']}/{key}", scope),
        mode=config.get("Mode", "INLINE"),
        execution_type=config.get("ExecutionType"),
        items_path=None if jsonata else (_ref(body, "ItemsPath") or IDENTITY),
        items=_items(body) if jsonata else None,
        item_selector=_assign(body.get(selector_key), language, selector_key),
        result_selector=None if jsonata else _template(body, "ResultSelector"),
        result_path=None if jsonata else _result_path(body),
        retry=_retriers(body),
        catch=_catchers(body, language),
        max_concurrency=max_conc or 0,
        max_concurrency_dynamic=max_conc_dyn,
        tolerated_failure_count=tol_count,
        tolerated_failure_count_dynamic=tol_count_dyn,
        tolerated_failure_percentage=None if tol_pct is None else float(tol_pct),
        tolerated_failure_percentage_dynamic=tol_pct_dyn,
        label=body.get("Label"),
        item_reader=_item_reader(body.get("ItemReader"), language),
        item_batcher=_item_batcher(body.get("ItemBatcher"), language),
        result_writer=_result_writer(body.get("ResultWriter"), language),
    )


def _items(body: Mapping[str, Any]) -> Any:
    if "Items" not in body:
        return None
    return compile_jsonata_value(body["Items"], "Items")


def _item_reader(raw: Mapping[str, Any] | None, language: m.QueryLanguage) -> m.ItemReader | None:
    if raw is None:
        return None
    config = dict(raw.get("ReaderConfig", {}))
    max_items, max_items_dyn = _int_or_dynamic(config, "MaxItems", language)
    return m.ItemReader(
        resource=parse_resource(raw["Resource"]),
        parameters=_payload_named(raw, language, "ItemReader"),
        reader_config=MappingProxyType(config),
        max_items=max_items,
        max_items_dynamic=max_items_dyn,
    )


def _payload_named(
    raw: Mapping[str, Any], language: m.QueryLanguage, prefix: str
) -> Template | JsonataValue | None:
    if language is QL.JSONATA:
        return _jsonata(raw, "Arguments", f"{prefix}/Arguments")
    return _template(raw, "Parameters")


def _item_batcher(raw: Mapping[str, Any] | None, language: m.QueryLanguage) -> m.ItemBatcher | None:
    if raw is None:
        return None
    per_batch, per_batch_dyn = _int_or_dynamic(raw, "MaxItemsPerBatch", language)
    per_bytes, per_bytes_dyn = _int_or_dynamic(raw, "MaxInputBytesPerBatch", language)
    return m.ItemBatcher(
        max_items_per_batch=per_batch,
        max_items_per_batch_dynamic=per_batch_dyn,
        max_input_bytes_per_batch=per_bytes,
        max_input_bytes_per_batch_dynamic=per_bytes_dyn,
        batch_input=_assign(raw.get("BatchInput"), language, "ItemBatcher/BatchInput"),
    )


def _result_writer(raw: Mapping[str, Any] | None, language: m.QueryLanguage) -> m.ResultWriter | None:
    if raw is None:
        return None
    resource = raw.get("Resource")
    return m.ResultWriter(
        resource=parse_resource(resource) if resource else None,
        parameters=_payload_named(raw, language, "ResultWriter"),
        writer_config=MappingProxyType(dict(raw.get("WriterConfig", {}))),
    )


_Builder = Callable[[Mapping[str, Any], dict[str, Any], _Scope], m.State]

_BUILDERS: dict[str, _Builder] = {
    "Pass": _pass,
    "Task": _task,
    "Choice": _choice,
    "Wait": _wait,
    "Succeed": _succeed,
    "Fail": _fail,
    "Parallel": _parallel,
    "Map": _map,
}
