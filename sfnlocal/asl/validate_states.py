"""Per-state rules: the allow-list of the state's type, then the rules that join several fields.

``check_state`` returns the state's query language (``None`` when the state is unusable), so the
caller can go on into nested blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sfnlocal.asl.model import Pattern
from sfnlocal.asl.resources import is_known_integration, parse_resource
from sfnlocal.asl.validate_fields import STATE_SPECS, STATE_TYPES
from sfnlocal.asl.validate_nested import exclusive
from sfnlocal.asl.validate_values import (
    JSONATA,
    JSONPATH,
    Report,
    Site,
    check_object,
    child,
    is_int,
)

__all__ = ["check_state", "resource_problem"]

_NO_FLOW = frozenset({"Choice", "Succeed", "Fail"})
_WAIT_JSONPATH = ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")
_WAIT_JSONATA = ("Seconds", "Timestamp")
_QL_DOWNGRADE = "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"


def _language(site: Site, state: dict[str, Any], where: str) -> str:
    """The state's query language: its own, else the machine's (never the enclosing state's)."""
    top = site.report.top_language
    own = state.get("QueryLanguage")
    if own not in (JSONPATH, JSONATA):
        return top
    if top == JSONATA and own == JSONPATH:
        site.error(_QL_DOWNGRADE, where)
    return str(own)


def _flow(site: Site, kind: str, state: dict[str, Any], where: str) -> None:
    """Exactly one of ``Next`` / ``"End": true`` for states that transition."""
    if kind in _NO_FLOW:
        return
    has_next = "Next" in state
    if has_next and "End" in state:
        site.error("These fields cannot be used together: [Next, End]", where)
    elif not has_next and state.get("End") is not True:
        site.error("Exactly one of these fields is required: [Next, End]", where)


def resource_problem(arn: str, machine_type: str) -> str | None:
    """Why AWS rejects a Task ``Resource`` in a machine of ``machine_type``, or None."""
    resource = parse_resource(arn)
    if resource.kind == "unknown" or not is_known_integration(resource):
        return (
            f"The resource provided {arn} is not recognized. The value is not a valid resource "
            "ARN, or the resource is not available in this region."
        )
    if machine_type != "EXPRESS":
        return None
    if resource.kind == "activity":
        return "Express state machine does not support Activity ARN"
    if resource.pattern in (Pattern.SYNC, Pattern.SYNC2):
        return "Express state machine does not support '.sync' service integration"
    if resource.pattern is Pattern.WAIT_FOR_TASK_TOKEN:
        return "Express state machine does not support '.waitForTaskToken' service integration "
    return None


def _task(site: Site, state: dict[str, Any], where: str) -> None:
    exclusive(site, state, where, "TimeoutSeconds", "TimeoutSecondsPath")
    exclusive(site, state, where, "HeartbeatSeconds", "HeartbeatSecondsPath")
    timeout, heartbeat = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
    if is_int(timeout) and is_int(heartbeat) and heartbeat >= timeout:
        site.must_be(
            child(where, "HeartbeatSeconds"),
            "smaller than the value for the field 'TimeoutSeconds'",
        )
    resource = state.get("Resource")
    if isinstance(resource, str):
        problem = resource_problem(resource, site.report.machine_type)
        if problem is not None:
            site.error(problem, child(where, "Resource"))


def _wait(site: Site, state: dict[str, Any], where: str) -> None:
    names = _WAIT_JSONATA if site.jsonata else _WAIT_JSONPATH
    if sum(name in state for name in names) != 1:
        site.error(f"Exactly one of these fields is required: [{', '.join(names)}]", where)


def _fail(site: Site, state: dict[str, Any], where: str) -> None:
    exclusive(site, state, where, "Error", "ErrorPath")
    exclusive(site, state, where, "Cause", "CausePath")


def _map(site: Site, state: dict[str, Any], where: str) -> None:
    if "ItemProcessor" not in state and "Iterator" not in state:
        site.error("These fields are required: [ItemProcessor]", where)
    for pair in (
        ("ItemProcessor", "Iterator"),
        ("ItemSelector", "Parameters"),
        ("MaxConcurrency", "MaxConcurrencyPath"),
        ("ToleratedFailureCount", "ToleratedFailureCountPath"),
        ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
    ):
        exclusive(site, state, where, *pair)


def _nothing(site: Site, state: dict[str, Any], where: str) -> None:
    """No rule beyond the allow-list."""


_RULES: dict[str, Callable[[Site, dict[str, Any], str], None]] = {
    "Task": _task,
    "Wait": _wait,
    "Fail": _fail,
    "Map": _map,
}


def _state_type(site: Site, state: Any, where: str) -> str | None:
    """The state's ``Type`` when the state is an object with a known type, else None (reported)."""
    if not isinstance(state, dict):
        site.error("The state must be an object", where)
        return None
    kind = state.get("Type")
    if kind is None:
        site.error("These fields are required: [Type]", where)
    elif kind not in STATE_TYPES:
        site.must_be(child(where, "Type"), f"one of [{', '.join(STATE_TYPES)}]")
    else:
        return str(kind)
    return None


def check_state(report: Report, state: Any, where: str) -> str | None:
    """Check one state; return its query language, or None when it cannot be read further."""
    site = Site(report, report.top_language)
    kind = _state_type(site, state, where)
    if kind is None:
        return None
    site = Site(report, _language(site, state, where))
    if not check_object(site, state, where, STATE_SPECS[kind]):
        return site.lang
    _flow(site, kind, state, where)
    _RULES.get(kind, _nothing)(site, state, where)
    return site.lang
