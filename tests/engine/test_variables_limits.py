"""Variable size limits (checklist §5): one value ≤ 256 KiB, one Assign ≤ 256 KiB, the execution's
variables ≤ 10 MiB, each exceeded → ``States.DataLimitExceeded`` (JSONPath and JSONata Assign, state
and catcher Assign). Sizes are UTF-8 bytes of the value's compact JSON text (the limits are AWS's
documented quotas; the wording of the cause is ours, AWS's is unverified).
"""

from __future__ import annotations

import json
from typing import Any

from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.engine.records import ExecutionRecord

KIB = 1024
LIMIT = 256 * KIB
LIMIT_ERROR = "States.DataLimitExceeded"
SETTINGS = EngineSettings(history_limit=None)


async def run(definition: dict[str, Any], input_: Any) -> ExecutionRecord:
    async with Engine(clock=VirtualClock(), settings=SETTINGS) as engine:
        sm = await engine.create_state_machine("limits", json.dumps(definition))
        started = await engine.start_execution(sm.arn, json.dumps(input_))
        return await engine.wait(started.arn)


def chain(*states: dict[str, Any], language: str = "JSONPath") -> dict[str, Any]:
    """Pass/other states P0, P1, ... in order (the last one ends)."""
    named: dict[str, Any] = {}
    for index, state in enumerate(states):
        if state["Type"] not in ("Fail", "Succeed"):
            state = {**state, **({"End": True} if index == len(states) - 1 else {"Next": f"P{index + 1}"})}
        named[f"P{index}"] = state
    return {"QueryLanguage": language, "StartAt": "P0", "States": named}


def text(size: int) -> str:
    """A string whose JSON text is exactly ``size`` bytes (quotes included)."""
    return "a" * (size - 2)


def assert_limit(record: ExecutionRecord, state: str, *words: str) -> None:
    assert record.status == "FAILED"
    assert record.error == LIMIT_ERROR
    assert record.cause is not None
    assert f"'{state}'" in record.cause
    for word in words:
        assert word in record.cause


# -- one value -------------------------------------------------------------------------------------


async def test_a_value_of_exactly_256_kib_is_assigned() -> None:
    record = await run(chain({"Type": "Pass", "Assign": {"v": text(LIMIT)}}), {})
    assert record.status == "SUCCEEDED", record.cause


async def test_a_value_one_byte_over_256_kib_fails_the_jsonpath_assign() -> None:
    record = await run(chain({"Type": "Pass", "Assign": {"v": text(LIMIT + 1)}}), {})
    assert_limit(record, "P0", "'v'", str(LIMIT + 1), str(LIMIT))


async def test_a_value_from_a_path_is_measured_too() -> None:
    definition = chain({"Type": "Pass", "Assign": {"v.$": "States.Format('{}{}', $.big, $.big)"}})
    record = await run(definition, {"big": text(140_002)})
    assert_limit(record, "P0", "'v'", "280002")


async def test_size_counts_utf8_bytes_not_characters() -> None:
    # 100,000 characters of two bytes each: 200,002 bytes, under the limit; 140,000: over it.
    ok = await run(chain({"Type": "Pass", "Assign": {"v": "é" * 100_000}}), {})
    assert ok.status == "SUCCEEDED", ok.cause
    over = await run(chain({"Type": "Pass", "Assign": {"v": "é" * 140_000}}), {})
    assert_limit(over, "P0", "'v'", "280002")


async def test_a_jsonata_value_over_256_kib_fails_the_assign() -> None:
    definition = chain({"Type": "Pass", "Assign": {"v": "{% $pad('', 270000, 'x') %}"}},
                       language="JSONata")
    assert_limit(await run(definition, {}), "P0", "'v'", "270002")


# -- one Assign ------------------------------------------------------------------------------------


async def test_the_values_of_one_assign_together_may_not_pass_256_kib() -> None:
    half = text(150 * KIB)
    one = await run(chain({"Type": "Pass", "Assign": {"a": half}},
                          {"Type": "Pass", "Assign": {"b": half}}), {})
    assert one.status == "SUCCEEDED", one.cause  # two Assigns of 150 KiB each: fine
    both = await run(chain({"Type": "Pass", "Assign": {"a": half, "b": half}}), {})
    assert_limit(both, "P0", "Assign", str(2 * 150 * KIB))


async def test_jsonata_assign_total_is_checked_too() -> None:
    definition = chain({"Type": "Pass", "Assign": {"a": "{% $pad('', 140000, 'x') %}",
                                                   "b": "{% $pad('', 140000, 'y') %}"}},
                       language="JSONata")
    assert_limit(await run(definition, {}), "P0", "Assign", "280004")


# -- the execution -----------------------------------------------------------------------------------


def _distinct_assigns(count: int) -> dict[str, Any]:
    return chain(*[{"Type": "Pass", "Assign": {f"v{i}.$": "$.big"}} for i in range(count)])


async def test_the_variables_of_an_execution_may_not_pass_10_mib() -> None:
    big = {"big": text(200_002)}  # 52 values: 10,400,104 bytes; the 53rd passes 10 MiB
    assert (await run(_distinct_assigns(52), big)).status == "SUCCEEDED"
    record = await run(_distinct_assigns(53), big)
    assert_limit(record, "P52", "execution", str(53 * 200_002), str(10 * KIB * KIB))


async def test_reassigning_a_variable_replaces_its_size() -> None:
    states = [{"Type": "Pass", "Assign": {"v.$": "$.big"}} for _ in range(60)]
    record = await run(chain(*states), {"big": text(200_002)})
    assert record.status == "SUCCEEDED", record.cause


async def test_map_iteration_scopes_are_uncounted_when_they_end() -> None:
    processor = {"StartAt": "A", "States": {"A": {
        "Type": "Pass", "Assign": {"x.$": "$$.Execution.Input.big"}, "End": True}}}
    definition = chain({"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
                        "ItemProcessor": processor, "ResultPath": None})
    record = await run(definition, {"big": text(200_002), "items": list(range(60))})
    assert record.status == "SUCCEEDED", record.cause


async def test_inner_scopes_count_towards_the_execution_total() -> None:
    outer = [{"Type": "Pass", "Assign": {f"v{i}.$": "$.big"}} for i in range(52)]
    branch = {"StartAt": "B", "States": {"B": {
        "Type": "Pass", "Assign": {"inner.$": "$.big"}, "End": True}}}
    record = await run(chain(*outer, {"Type": "Parallel", "Branches": [branch]}),
                       {"big": text(200_002)})
    assert_limit(record, "B", "execution")


# -- catcher Assign ----------------------------------------------------------------------------------


def _failing_parallel(catcher_assign: dict[str, Any], language: str) -> dict[str, Any]:
    branch = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops"}}}
    catch = [{"ErrorEquals": ["States.ALL"], "Assign": catcher_assign, "Next": "After"}]
    return {"QueryLanguage": language, "StartAt": "Par", "States": {
        "Par": {"Type": "Parallel", "Branches": [branch], "Catch": catch, "End": True},
        "After": {"Type": "Succeed"}}}


async def test_a_jsonpath_catcher_assign_is_checked() -> None:
    ok = await run(_failing_parallel({"e.$": "$.Error"}, "JSONPath"), {})
    assert ok.status == "SUCCEEDED", ok.cause
    record = await run(_failing_parallel({"v": text(LIMIT + 1)}, "JSONPath"), {})
    assert_limit(record, "Par", "'v'", str(LIMIT + 1))


async def test_a_jsonata_catcher_assign_is_checked() -> None:
    record = await run(_failing_parallel({"v": "{% $pad('', 300000, 'x') %}"}, "JSONata"), {})
    assert_limit(record, "Par", "'v'", "300002")
