"""What each benchmark workload must produce, derived from the workload file itself.

The generator (``../shared/bench/gen_workloads.py``) writes ``definition``, ``input`` and
``transitions`` (the states entered by one execution). The expected output of each workload follows
from its definition and input by the ASL rules, so it is computed here from them rather than copied
from any peer's output. When a workload file carries a ``check`` object, every key of it must also
appear with the same value in the output (a subset match).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Workload = dict[str, Any]


def _w0(w: Workload) -> Any:
    return w["definition"]["States"]["P"]["Result"]


def _chain_length(w: Workload) -> int:
    return len(w["definition"]["States"])


def _w1(w: Workload) -> Any:
    last = _chain_length(w) - 1
    payload = w["input"]["payload"]
    return {**w["input"], "last": {"step": last, "a": payload["a"], "tag": f"s{last}"}}


def _w2(w: Workload) -> Any:
    return {**w["input"], "results": [{"o": item} for item in w["input"]["items"]]}


def _w3(w: Workload) -> Any:
    branches = w["definition"]["States"]["Par"]["Branches"]
    last = len(branches[0]["States"]) - 1
    return [{"b": j, "i": last, "x": w["input"]["x"]} for j in range(len(branches))]


def _w4(w: Workload) -> Any:
    return {"i": _chain_length(w) - 1, "v": w["input"]["v"]}


def _w5(w: Workload) -> Any:
    limit = w["definition"]["States"]["Init"]["Parameters"]["limit"]
    return {"i": limit, "limit": limit}


EXPECTED: dict[str, Callable[[Workload], Any]] = {
    "W0": _w0, "W1": _w1, "W2": _w2, "W2s": _w2, "W3": _w3, "W4": _w4, "W5": _w5,
}

EXECUTIONS = {"W4": 1000}
"""Executions started at once per measurement (1 for the workloads not listed)."""


def executions(workload_id: str) -> int:
    """How many executions one measurement of the workload starts."""
    return EXECUTIONS.get(workload_id, 1)


def check_output(workload_id: str, workload: Workload, output: Any) -> str | None:
    """None when ``output`` is what the workload must produce, else what is wrong."""
    expected = EXPECTED[workload_id](workload)
    if output != expected:
        return f"output differs from the expected one: got {_short(output)}, want {_short(expected)}"
    return _check_subset(workload.get("check"), output)


def _check_subset(check: Any, output: Any) -> str | None:
    if not isinstance(check, dict):
        return None
    if not isinstance(output, dict):
        return f"output is not an object, the workload's check wants {_short(check)}"
    wrong = [key for key, value in check.items() if output.get(key) != value]
    return f"output breaks the workload's check on {wrong}" if wrong else None


def check_history(workload_id: str, workload: Workload, entered: int, events: int) -> str | None:
    """None when the recorded history matches the workload's transitions, else what is wrong."""
    want = workload["transitions"] * executions(workload_id)
    if entered != want:
        return f"history has {entered} StateEntered events, want {want}"
    if events < 2 * entered:
        return f"history has {events} events for {entered} states entered"
    return None


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
