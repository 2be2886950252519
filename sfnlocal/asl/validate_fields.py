"""The fields each object of a definition may hold, per state type and query language.

``STATE_SPECS[type]`` is the allow-list of a state (checklist §4) with one value check per field;
``ROOT``, ``BRANCH`` and ``PROCESSOR`` are those of the top level, a Parallel branch and a Map
``ItemProcessor``/``Iterator``. A field found only in the other query language's list is reported
as ``The QueryLanguage is set to 'X', but field 'F' is only supported for the 'Y' QueryLanguage``;
a field in neither as ``Field 'F' is not supported``.
"""

from __future__ import annotations

from typing import Any

from sfnlocal.asl.validate_choice import choices
from sfnlocal.asl.validate_nested import (
    assign,
    catch_list,
    credentials,
    item_batcher,
    item_reader,
    label,
    processor_config,
    result_writer,
    retry_list,
)
from sfnlocal.asl.validate_values import (
    JSONATA,
    JSONPATH,
    ObjectSpec,
    Site,
    ValueCheck,
    anything,
    array,
    boolean,
    enum,
    integer,
    number,
    obj,
    path,
    string,
    template,
    timestamp,
)

__all__ = ["BRANCH", "PROCESSOR", "ROOT", "STATE_SPECS", "STATE_TYPES", "branches"]

STATE_TYPES = ("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
MAX_SECONDS = 99999999


def branches(site: Site, value: Any, where: str) -> None:
    """Parallel ``Branches``: a non-empty array (each branch is checked as a block)."""
    if not isinstance(value, list):
        site.must_be(where, "an array")
    elif not value:
        site.error("Value cannot be empty", where)


_COMMON: dict[str, ValueCheck] = {
    "Type": enum(*STATE_TYPES),
    "Comment": string(),
    "QueryLanguage": enum(JSONPATH, JSONATA),
}
_FLOW: dict[str, ValueCheck] = {"Next": string(), "End": boolean()}
_ASSIGN: dict[str, ValueCheck] = {"Assign": assign}
_ERRORS: dict[str, ValueCheck] = {"Retry": retry_list, "Catch": catch_list}
_IO: dict[str, ValueCheck] = {
    "InputPath": path("path", nullable=True),
    "OutputPath": path("path", nullable=True),
}
_RESULT: dict[str, ValueCheck] = {
    "Parameters": template,
    "ResultPath": path("result", nullable=True),
}
_SELECTOR: dict[str, ValueCheck] = {"ResultSelector": template}
_OUTPUT: dict[str, ValueCheck] = {"Output": anything}
_ARGUMENTS: dict[str, ValueCheck] = {"Arguments": anything}
_REF = path("reference")


_PASS = ObjectSpec(
    shared={**_COMMON, **_FLOW, **_ASSIGN},
    jsonpath={**_IO, **_RESULT, "Result": anything},
    jsonata=_OUTPUT,
)

_TASK = ObjectSpec(
    shared={
        **_COMMON, **_FLOW, **_ASSIGN, **_ERRORS,
        "Resource": string(),
        "TimeoutSeconds": integer(1, MAX_SECONDS),
        "HeartbeatSeconds": integer(1, MAX_SECONDS),
        "Credentials": credentials,
    },
    jsonpath={
        **_IO, **_RESULT, **_SELECTOR,
        "TimeoutSecondsPath": _REF,
        "HeartbeatSecondsPath": _REF,
    },
    jsonata={**_OUTPUT, **_ARGUMENTS},
    required=("Resource",),
)

_CHOICE = ObjectSpec(
    shared={**_COMMON, **_ASSIGN, "Choices": choices, "Default": string()},
    jsonpath=_IO,
    jsonata=_OUTPUT,
    required=("Choices",),
)

_WAIT = ObjectSpec(
    shared={
        **_COMMON, **_FLOW, **_ASSIGN,
        "Seconds": integer(0, MAX_SECONDS),
        "Timestamp": timestamp(),
    },
    jsonpath={**_IO, "SecondsPath": _REF, "TimestampPath": _REF},
    jsonata=_OUTPUT,
)

_SUCCEED = ObjectSpec(shared=_COMMON, jsonpath=_IO, jsonata=_OUTPUT)

_FAIL = ObjectSpec(
    shared={**_COMMON, "Error": string(), "Cause": string()},
    jsonpath={"ErrorPath": path("value"), "CausePath": path("value")},
)

_PARALLEL = ObjectSpec(
    shared={**_COMMON, **_FLOW, **_ASSIGN, **_ERRORS, "Branches": branches},
    jsonpath={**_IO, **_RESULT, **_SELECTOR},
    jsonata={**_OUTPUT, **_ARGUMENTS},
    required=("Branches",),
)

_MAP = ObjectSpec(
    shared={
        **_COMMON, **_FLOW, **_ASSIGN, **_ERRORS,
        "ItemProcessor": obj(),
        "Iterator": obj(),
        "ItemReader": item_reader,
        "ItemBatcher": item_batcher,
        "ResultWriter": result_writer,
        "ItemSelector": template,
        "MaxConcurrency": integer(0),
        "ToleratedFailureCount": integer(0),
        "ToleratedFailurePercentage": number(0, 100),
        "Label": label,
    },
    jsonpath={
        **_IO, **_RESULT, **_SELECTOR,
        "ItemsPath": _REF,
        "MaxConcurrencyPath": _REF,
        "ToleratedFailureCountPath": _REF,
        "ToleratedFailurePercentagePath": _REF,
    },
    jsonata={**_OUTPUT, "Items": array(dynamic=True)},
)

STATE_SPECS: dict[str, ObjectSpec] = {
    "Pass": _PASS,
    "Task": _TASK,
    "Choice": _CHOICE,
    "Wait": _WAIT,
    "Succeed": _SUCCEED,
    "Fail": _FAIL,
    "Parallel": _PARALLEL,
    "Map": _MAP,
}
"""The allow-list of each state type."""

_BLOCK: dict[str, ValueCheck] = {"StartAt": string(), "States": obj(), "Comment": string()}

ROOT = ObjectSpec(
    shared={
        **_BLOCK,
        "Version": string(),
        "TimeoutSeconds": integer(1, MAX_SECONDS, dynamic=False),
        "QueryLanguage": enum(JSONPATH, JSONATA),
    },
    required=("States", "StartAt"),
)
"""The top level of a definition."""

BRANCH = ObjectSpec(shared=_BLOCK, required=("States", "StartAt"))
"""A Parallel branch."""

PROCESSOR = ObjectSpec(
    shared={**_BLOCK, "ProcessorConfig": processor_config}, required=("States", "StartAt")
)
"""A Map ``ItemProcessor`` (or legacy ``Iterator``)."""
