"""Reading the AWS-recorded conformance cases (../shared/conformance/cases) for expression tests.

The cases are read in place, never copied into the repository. When the folder is absent, the
golden tests that depend on it are skipped.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest

CASES = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "cases"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@functools.cache
def all_cases() -> tuple[dict[str, Any], ...]:
    if not CASES.is_dir():
        return ()
    return tuple(json.loads(p.read_text(encoding="utf-8")) for p in sorted(CASES.glob("*.json")))


def find_case(fragment: str) -> dict[str, Any]:
    found = [c for c in all_cases() if fragment in c["id"]]
    if not found:
        pytest.skip(f"conformance case {fragment} not available")
    return found[0]


def case_id(case: dict[str, Any]) -> str:
    return str(case["id"]).split("::", 1)[-1]


def context_object(case: dict[str, Any]) -> dict[str, Any]:
    """The parts of the context object a recorded execution can be rebuilt with."""
    machine, execution = case["state_machine"], case["execution"]
    return {
        "Execution": {
            "Id": execution.get("arn"),
            "Input": execution.get("input"),
            "Name": execution.get("name"),
            "RoleArn": machine["role_arn"],
        },
        "StateMachine": {"Id": machine["arn"], "Name": machine["name"]},
    }


def normalise(case: dict[str, Any], value: Any) -> Any:
    """Apply the recording's replacements (e.g. machine name → ``<ArnPart_0idx>``)."""
    text = json.dumps(value)
    for rule in case["normalization"]["regex_replacements"]:
        if rule.get("regex"):
            text = re.sub(rule["regex"], rule["replacement"], text)
    return json.loads(text)


def matches(expected: Any, actual: Any) -> bool:
    """JSON equality (types included) where ``<uuid:N>`` stands for any v4 UUID."""
    if isinstance(expected, str) and re.fullmatch(r"<uuid:\d+>", expected):
        return isinstance(actual, str) and bool(UUID4.match(actual))
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(matches(v, actual[k]) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return type(expected) is type(actual) and expected == actual
