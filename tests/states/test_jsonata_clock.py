"""``$now()`` and ``$millis()`` read the engine clock in every JSONata field (DEVELOPERS.md rule 3).

The execution runs on a ``VirtualClock`` that starts at ``START`` (2026-01-01T00:00:00Z), far from the
wall clock: any field still evaluated on the wall clock gives a different time and fails the run.
"""

from __future__ import annotations

from typing import Any

from composite_kit import START, machine, run

from sfnlocal.asl.choice_rules import compile_condition
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata import ClockedContext

START_MS = int(START * 1000)
START_ISO = "2026-01-01T00:00:00.000Z"
AT_START = f"$millis() = {START_MS} and $now() = '{START_ISO}'"


def on_clock(value: int) -> str:
    """An expression giving ``value`` on the virtual clock and ``-1`` (invalid) on any other time."""
    return f"{{% ({AT_START}) ? {value} : -1 %}}"


def jsonata_map(**fields: Any) -> dict[str, Any]:
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    return {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}


async def test_inline_map_fields_read_the_engine_clock() -> None:
    m = jsonata_map(Items="{% [$millis(), $now()] %}", MaxConcurrency=on_clock(2),
                    ToleratedFailureCount=on_clock(0), ToleratedFailurePercentage=on_clock(0))
    done = await run(machine({"M": m}, QueryLanguage="JSONata"), {})
    assert done.status == "SUCCEEDED", done.record.cause
    assert done.output == [START_MS, START_ISO]


async def test_distributed_batch_input_reads_the_engine_clock() -> None:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                 "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    m = {"Type": "Map", "ItemProcessor": processor, "End": True, "Items": [1],
         "ItemBatcher": {"MaxItemsPerBatch": on_clock(5), "BatchInput": {"t": "{% $millis() %}"}}}
    done = await run(machine({"M": m}, QueryLanguage="JSONata"), {})
    assert done.status == "SUCCEEDED", done.record.cause
    assert done.output == [{"BatchInput": {"t": START_MS}, "Items": [1]}]


async def test_choice_and_pass_read_the_engine_clock_after_a_wait() -> None:
    later = START_MS + 90_000
    definition = machine({
        "W": {"Type": "Wait", "Seconds": 90, "Next": "C"},
        "C": {"Type": "Choice", "Default": "Wrong",
              "Choices": [{"Condition": f"{{% $millis() = {later} %}}", "Next": "Now"}]},
        "Now": {"Type": "Pass", "Output": "{% $now() %}", "End": True},
        "Wrong": {"Type": "Fail", "Error": "WallClock"},
    }, QueryLanguage="JSONata")
    done = await run(definition, {})
    assert done.status == "SUCCEEDED", done.record.cause
    assert done.output == "2026-01-01T00:01:30.000Z"


def test_choice_rule_evaluate_entry_point_reads_the_context_clock() -> None:
    condition = compile_condition({"Condition": f"{{% {AT_START} %}}", "Next": "X"}, "JSONata",
                                  "/States/C/Choices/0")
    assert condition.evaluate({}, ClockedContext(START)) is True
    assert condition.evaluate({}, ClockedContext(START + 1)) is False
    assert condition.evaluate({}, EvalContext()) is False  # no clock given: the wall clock
