"""Value checks of the nested objects of states: Retry/Catch, Assign, Credentials and the Map parts.

Each public function here is a ``ValueCheck`` (``check(site, value, location)``) used by the
per-state field tables of ``validate_fields``.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sfnlocal.asl.validate_values import (
    ObjectSpec,
    Site,
    anything,
    array,
    check_object,
    child,
    enum,
    integer,
    number,
    path,
    string,
    template,
)

__all__ = [
    "CATCHER",
    "ITEM_BATCHER",
    "ITEM_READER",
    "READER_CONFIG",
    "RESULT_WRITER",
    "RETRIER",
    "WRITER_CONFIG",
    "assign",
    "assigned_names",
    "catch_list",
    "credentials",
    "error_equals",
    "exclusive",
    "item_batcher",
    "item_reader",
    "label",
    "processor_config",
    "reader_config",
    "result_writer",
    "retry_list",
    "valid_label",
    "valid_variable_name",
    "writer_config",
]

MAX_VARIABLE_NAME = 80
MAX_LABEL = 40
_STATES_ALL = "States.ALL"


def exclusive(site: Site, value: dict[str, Any], where: str, *names: str) -> None:
    """Report when more than one of ``names`` is present in ``value``."""
    present = [name for name in names if name in value]
    if len(present) > 1:
        site.error(f"These fields cannot be used together: [{', '.join(present)}]", where)


def valid_variable_name(name: str) -> bool:
    """A Unicode identifier of at most 80 characters, not ``states`` (no sub-paths)."""
    return name.isidentifier() and len(name) <= MAX_VARIABLE_NAME and name != "states"


def assigned_names(value: Any) -> list[str]:
    """The variable names an ``Assign`` object assigns (``.$`` suffixes removed)."""
    if not isinstance(value, dict):
        return []
    return [key[:-2] if key.endswith(".$") else key for key in value]


def assign(site: Site, value: Any, where: str) -> None:
    """``Assign``: an object of valid variable names; in JSONPath a payload template."""
    if not isinstance(value, dict):
        site.must_be(where, "an object")
        return
    for key in value:
        name = key[:-2] if key.endswith(".$") and not site.jsonata else key
        if not valid_variable_name(name):
            site.error(f"Invalid variable name: '{name}'", where)
    template(site, value, where)


def error_equals(site: Site, value: Any, where: str) -> None:
    """``ErrorEquals``: a non-empty array of error names."""
    if not isinstance(value, list):
        site.must_be(where, "an array")
    elif not value:
        site.error("Value cannot be empty", where)
    elif not all(isinstance(item, str) for item in value):
        site.must_be(where, "an array of strings")


_COMMON_ENTRY = {"ErrorEquals": error_equals, "Comment": string()}

RETRIER = ObjectSpec(
    shared={
        **_COMMON_ENTRY,
        "IntervalSeconds": integer(1, 99999999, dynamic=False),
        "MaxAttempts": integer(0, 99999999, dynamic=False),
        "BackoffRate": number(1.0, dynamic=False),
        "MaxDelaySeconds": integer(1, 31622401, dynamic=False),
        "JitterStrategy": enum("FULL", "NONE"),
    },
    required=("ErrorEquals",),
)

CATCHER = ObjectSpec(
    shared={**_COMMON_ENTRY, "Next": string(), "Assign": assign},
    jsonpath={"ResultPath": path("result", nullable=True)},
    jsonata={"Output": anything},
    required=("ErrorEquals", "Next"),
)


def _states_all_misplaced(entries: list[Any]) -> list[int]:
    """Indexes of entries where ``States.ALL`` is not alone or not in the last entry."""
    last = len(entries) - 1
    bad = []
    for index, entry in enumerate(entries):
        errors = entry.get("ErrorEquals") if isinstance(entry, dict) else None
        if not isinstance(errors, list) or _STATES_ALL not in errors:
            continue
        if len(errors) != 1 or index != last:
            bad.append(index)
    return bad


def _entries(site: Site, value: Any, where: str, spec: ObjectSpec, kind: str) -> None:
    if not isinstance(value, list):
        site.must_be(where, "an array")
        return
    for index, entry in enumerate(value):
        check_object(site, entry, child(where, index), spec)
    for index in _states_all_misplaced(value):
        site.error(
            f"'{_STATES_ALL}' must appear alone in 'ErrorEquals' and only in the last {kind}",
            child(where, index),
        )


def retry_list(site: Site, value: Any, where: str) -> None:
    """``Retry``: an array of retriers."""
    _entries(site, value, where, RETRIER, "retrier")


def catch_list(site: Site, value: Any, where: str) -> None:
    """``Catch``: an array of catchers."""
    _entries(site, value, where, CATCHER, "catcher")


def credentials(site: Site, value: Any, where: str) -> None:
    """Task ``Credentials``: ``{"RoleArn": ...}`` (JSONPath also ``RoleArn.$``)."""
    if not isinstance(value, dict):
        site.must_be(where, "an object")
        return
    allowed = ("RoleArn",) if site.jsonata else ("RoleArn", "RoleArn.$")
    if not any(name in value for name in allowed):
        site.error("The field 'RoleArn' is required but was missing", where)
        return
    for name in value:
        if name not in allowed:
            site.error(f"Field '{name}' is not supported", where)
    exclusive(site, value, where, *allowed)
    if isinstance(value.get("RoleArn", ""), str):
        template(site, value, where)
    else:
        site.must_be(child(where, "RoleArn"), "a string")


def processor_config(site: Site, value: Any, where: str) -> None:
    """Map ``ProcessorConfig``: ``Mode`` and (required for DISTRIBUTED) ``ExecutionType``."""
    spec = ObjectSpec(
        shared={"Mode": enum("INLINE", "DISTRIBUTED"), "ExecutionType": enum("STANDARD", "EXPRESS")}
    )
    if not check_object(site, value, where, spec):
        return
    if value.get("Mode") == "DISTRIBUTED" and "ExecutionType" not in value:
        site.error("These fields are required: [ExecutionType]", where)


READER_CONFIG = ObjectSpec(
    shared={
        "InputType": enum("CSV", "JSON", "JSONL", "MANIFEST", "PARQUET"),
        "CSVHeaderLocation": enum("FIRST_ROW", "GIVEN"),
        "CSVHeaders": array(dynamic=True),
        "CSVDelimiter": string(),
        "MaxItems": integer(0),
        "ManifestType": string(),
        "Transformation": string(),
    },
    jsonpath={"MaxItemsPath": path("reference")},
)


def reader_config(site: Site, value: Any, where: str) -> None:
    """ItemReader ``ReaderConfig``."""
    if check_object(site, value, where, READER_CONFIG):
        exclusive(site, value, where, "MaxItems", "MaxItemsPath")


_PARAMETERS = {"Parameters": template}
_ARGUMENTS = {"Arguments": anything}

ITEM_READER = ObjectSpec(
    shared={"Resource": string(), "ReaderConfig": reader_config},
    jsonpath=_PARAMETERS,
    jsonata=_ARGUMENTS,
    required=("Resource",),
)


def item_reader(site: Site, value: Any, where: str) -> None:
    """Map ``ItemReader``."""
    check_object(site, value, where, ITEM_READER)


ITEM_BATCHER = ObjectSpec(
    shared={
        "MaxItemsPerBatch": integer(1),
        "MaxInputBytesPerBatch": integer(1, 262144),
        "BatchInput": template,
    },
    jsonpath={
        "MaxItemsPerBatchPath": path("reference"),
        "MaxInputBytesPerBatchPath": path("reference"),
    },
)
_BATCH_LIMITS = (
    "MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath"
)


def item_batcher(site: Site, value: Any, where: str) -> None:
    """Map ``ItemBatcher``: at least one batch limit."""
    if not check_object(site, value, where, ITEM_BATCHER):
        return
    exclusive(site, value, where, "MaxItemsPerBatch", "MaxItemsPerBatchPath")
    exclusive(site, value, where, "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath")
    if not any(name in value for name in _BATCH_LIMITS):
        names = _BATCH_LIMITS[::2] if site.jsonata else _BATCH_LIMITS
        site.error(f"One of these fields is required: [{', '.join(names)}]", where)


WRITER_CONFIG = ObjectSpec(shared={"OutputType": string(), "Transformation": string()})


def writer_config(site: Site, value: Any, where: str) -> None:
    """ResultWriter ``WriterConfig``."""
    check_object(site, value, where, WRITER_CONFIG)


RESULT_WRITER = ObjectSpec(
    shared={"Resource": string(), "WriterConfig": writer_config},
    jsonpath=_PARAMETERS,
    jsonata=_ARGUMENTS,
)


def result_writer(site: Site, value: Any, where: str) -> None:
    """Map ``ResultWriter``."""
    check_object(site, value, where, RESULT_WRITER)


_LABEL_SPECIALS = frozenset('<>{}[]?*"#%\\^|~`$&,;:/')


def _label_char_ok(char: str) -> bool:
    if char in _LABEL_SPECIALS or char.isspace():
        return False
    return unicodedata.category(char) != "Cc"


def valid_label(text: str) -> bool:
    """At most 40 characters; no whitespace, brackets, wildcards, special or control characters."""
    return len(text) <= MAX_LABEL and all(_label_char_ok(char) for char in text)


def label(site: Site, value: Any, where: str) -> None:
    """Map ``Label``."""
    if not isinstance(value, str) or not valid_label(value):
        site.must_be(
            where,
            "a string of at most 40 characters without whitespace, brackets, wildcards, "
            "special or control characters",
        )

