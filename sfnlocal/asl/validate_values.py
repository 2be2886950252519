"""Building blocks of definition validation: the diagnostic collector and the value checks.

A *value check* is a function ``check(site, value, location)`` that reports what is wrong with one
field value. Locations are JSON pointers; the root is ``""`` here and becomes ``/`` when reported.
Key-level problems (unsupported or missing fields) are located at the object that holds the key,
value-level problems at the value itself, as AWS does (``... at /States/S/Parameters`` for a bad
``.$`` key, ``... at /States/S/Timestamp`` for a bad timestamp).

The messages AWS is known to use are the ones quoted in the checklist. For the other rules the
wording follows the same pattern: ``The value for the field 'X' must be ...``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeGuard

from sfnlocal.asl.diagnostics import SCHEMA_VALIDATION_FAILED, Diagnostic, pointer
from sfnlocal.expressions.jsonata import is_jsonata_string
from sfnlocal.expressions.jsonpath import compile_path, compile_reference_path
from sfnlocal.expressions.templates import compile_value_expression

__all__ = [
    "JSONATA",
    "JSONPATH",
    "ObjectSpec",
    "Report",
    "Site",
    "ValueCheck",
    "anything",
    "array",
    "boolean",
    "check_object",
    "check_template",
    "child",
    "enum",
    "field_name",
    "integer",
    "is_int",
    "is_number",
    "is_rfc3339",
    "number",
    "obj",
    "path",
    "path_problem",
    "string",
    "template",
    "timestamp",
    "unsupported",
]

JSONPATH = "JSONPath"
JSONATA = "JSONata"


class Report:
    """Collects the diagnostics of one validation run.

    Args:
        machine_type: ``STANDARD`` or ``EXPRESS``.
        top_language: the machine's ``QueryLanguage`` (``JSONPath`` when absent or invalid).
    """

    def __init__(self, machine_type: str = "STANDARD", top_language: str = JSONPATH) -> None:
        self.machine_type = machine_type
        self.top_language = top_language
        self.diagnostics: list[Diagnostic] = []

    def error(self, message: str, where: str, code: str = SCHEMA_VALIDATION_FAILED) -> None:
        """Record an ERROR at ``where`` (an internal pointer, ``""`` for the root)."""
        self.diagnostics.append(Diagnostic(code, message, where or "/"))

    def add(self, diagnostic: Diagnostic) -> None:
        """Record a ready-made diagnostic."""
        self.diagnostics.append(diagnostic)

    @property
    def failed(self) -> bool:
        """True when an ERROR has been recorded."""
        return any(d.severity == "ERROR" for d in self.diagnostics)


@dataclass(frozen=True, slots=True)
class Site:
    """Where a check runs: the report and the query language in force there."""

    report: Report
    lang: str = JSONPATH

    @property
    def jsonata(self) -> bool:
        """True in a JSONata state."""
        return self.lang == JSONATA

    def error(self, message: str, where: str) -> None:
        """Record a SCHEMA_VALIDATION_FAILED error."""
        self.report.error(message, where)

    def must_be(self, where: str, description: str) -> None:
        """Record ``The value for the field '<name>' must be <description>``."""
        self.error(f"The value for the field '{field_name(where)}' must be {description}", where)


ValueCheck = Callable[[Site, Any, str], None]
"""``check(site, value, location)``: report what is wrong with one value."""


def child(where: str, *parts: str | int) -> str:
    """The pointer of a descendant of ``where``."""
    for part in parts:
        text = str(part)
        if "~" in text or "/" in text:
            text = pointer(text)[1:]
        where = f"{where}/{text}"
    return where


def field_name(where: str) -> str:
    """The unescaped last segment of a pointer (the field's name)."""
    return where.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


def is_int(value: Any) -> TypeGuard[int | float]:
    """True for JSON integers (and integral floats such as ``5.0``), never for booleans."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def is_number(value: Any) -> TypeGuard[int | float]:
    """True for JSON numbers, never for booleans."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dynamic(site: Site, value: Any, allowed: bool) -> bool:
    """True when ``value`` is a JSONata expression that this JSONata field may hold."""
    return allowed and site.jsonata and is_jsonata_string(value)


def anything(site: Site, value: Any, where: str) -> None:
    """Accept any JSON value."""


def string() -> ValueCheck:
    """A string (in JSONata states a ``{% %}`` expression is a string too)."""

    def check(site: Site, value: Any, where: str) -> None:
        if not isinstance(value, str):
            site.must_be(where, "a string")

    return check


def boolean(dynamic: bool = False) -> ValueCheck:
    """A boolean (``dynamic``: or a JSONata expression in JSONata states)."""

    def check(site: Site, value: Any, where: str) -> None:
        if not isinstance(value, bool) and not _dynamic(site, value, dynamic):
            site.must_be(where, "a boolean")

    return check


def obj(dynamic: bool = False) -> ValueCheck:
    """A JSON object (``dynamic``: or a JSONata expression in JSONata states)."""

    def check(site: Site, value: Any, where: str) -> None:
        if not isinstance(value, dict) and not _dynamic(site, value, dynamic):
            site.must_be(where, "an object")

    return check


def array(dynamic: bool = False) -> ValueCheck:
    """A JSON array (``dynamic``: or a JSONata expression in JSONata states)."""

    def check(site: Site, value: Any, where: str) -> None:
        if not isinstance(value, list) and not _dynamic(site, value, dynamic):
            site.must_be(where, "an array")

    return check


def _range_text(kind: str, low: float, high: float | None) -> str:
    if high is None:
        return f"{kind} greater than or equal to {low}"
    return f"{kind} between {low} and {high}"


def integer(low: int, high: int | None = None, dynamic: bool = True) -> ValueCheck:
    """An integer in ``[low, high]`` (``dynamic``: or a JSONata expression in JSONata states)."""

    def check(site: Site, value: Any, where: str) -> None:
        if _dynamic(site, value, dynamic):
            return
        if not is_int(value) or value < low or (high is not None and value > high):
            site.must_be(where, _range_text("an integer", low, high))

    return check


def number(low: float, high: float | None = None, dynamic: bool = True) -> ValueCheck:
    """A number in ``[low, high]`` (``dynamic``: or a JSONata expression in JSONata states)."""

    def check(site: Site, value: Any, where: str) -> None:
        if _dynamic(site, value, dynamic):
            return
        if not is_number(value) or value < low or (high is not None and value > high):
            site.must_be(where, _range_text("a number", low, high))

    return check


def enum(*choices: str) -> ValueCheck:
    """One of the given strings."""

    def check(site: Site, value: Any, where: str) -> None:
        if value not in choices or not isinstance(value, str):
            site.must_be(where, f"one of [{', '.join(choices)}]")

    return check


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))"
)


def is_rfc3339(text: Any) -> bool:
    """True for an RFC 3339 timestamp with uppercase ``T`` and a zone (``Z`` or ``±hh:mm``)."""
    match = _RFC3339.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return False
    year, month, day, hour, minute, second, off_h, off_m = match.groups()
    if off_h is not None and (int(off_h) > 23 or int(off_m) > 59):
        return False
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return False
    return True


def timestamp(dynamic: bool = True) -> ValueCheck:
    """A literal RFC 3339 timestamp (``dynamic``: or a JSONata expression in JSONata states)."""

    def check(site: Site, value: Any, where: str) -> None:
        if not _dynamic(site, value, dynamic) and not is_rfc3339(value):
            site.error("String does not match RFC3339 timestamp", where)

    return check


@lru_cache(maxsize=8192)
def path_problem(text: str, kind: str) -> str | None:
    """What is wrong with a path text of ``kind``, as a ``must be`` description, or None.

    Kinds: ``path`` (any ASL path), ``reference`` (a Reference Path), ``result`` (a Reference Path
    into the state input: no ``$$``, no variable), ``value`` (a path or an intrinsic call).
    """
    try:
        if kind == "path":
            compile_path(text)
        elif kind == "value":
            compile_value_expression(text)
        else:
            compiled = compile_reference_path(text)
            if kind == "result" and (text.startswith("$$") or compiled.root != "input"):
                return "a valid Reference Path to the state input"
    except ValueError:
        return _PATH_TEXT[kind]
    return None


_PATH_TEXT = {
    "path": "a valid JSONPath",
    "reference": "a valid Reference Path",
    "result": "a valid Reference Path",
    "value": "a valid JSONPath or a valid intrinsic function call",
}


def path(kind: str = "path", nullable: bool = False) -> ValueCheck:
    """A JSONPath of ``kind`` (see ``path_problem``); ``nullable`` accepts ``null``."""

    def check(site: Site, value: Any, where: str) -> None:
        if value is None and nullable:
            return
        if not isinstance(value, str):
            site.must_be(where, _PATH_TEXT[kind])
            return
        problem = path_problem(value, kind)
        if problem is not None:
            site.must_be(where, problem)

    return check


def _check_dollar_value(site: Site, key: str, value: Any, where: str) -> None:
    if not isinstance(value, str) or path_problem(value, "value") is not None:
        site.error(
            f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic "
            "function call",
            where,
        )


def check_template(site: Site, value: Any, where: str) -> None:
    """Check a JSONPath payload template: every ``.$`` value, recursively; no duplicate keys."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_template(site, item, child(where, index))
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if not key.endswith(".$"):
            check_template(site, item, child(where, key))
            continue
        _check_dollar_value(site, key, item, where)
        if key[:-2] in value:
            site.error(f"The field '{key[:-2]}' is defined twice (also as '{key}')", where)


def template(site: Site, value: Any, where: str) -> None:
    """A payload template field (``Parameters``, ``ResultSelector``, ``ItemSelector``...)."""
    if site.jsonata:
        return
    check_template(site, value, where)


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """The fields an object may hold, by query language, and the ones it must hold.

    Attributes:
        shared: fields allowed in both query languages, with their value checks.
        jsonpath: fields allowed only in JSONPath.
        jsonata: fields allowed only in JSONata.
        required: fields that must be present (reported together, in this order).
    """

    shared: Mapping[str, ValueCheck]
    jsonpath: Mapping[str, ValueCheck] = field(default_factory=dict)
    jsonata: Mapping[str, ValueCheck] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    def lookup(self, name: str, lang: str) -> ValueCheck | None:
        """The value check of ``name`` in ``lang``, or None when the field is not allowed."""
        own = self.jsonata if lang == JSONATA else self.jsonpath
        return self.shared.get(name) or own.get(name)

    def other_language(self, name: str, lang: str) -> str | None:
        """The query language that does allow ``name``, when only the other one does."""
        if lang == JSONATA:
            return JSONPATH if name in self.jsonpath else None
        return JSONATA if name in self.jsonata else None


def unsupported(site: Site, name: str, spec: ObjectSpec, where: str) -> None:
    """Report a field the spec does not allow (naming the query language that would)."""
    other = spec.other_language(name, site.lang)
    if other is None:
        site.error(f"Field '{name}' is not supported", where)
    else:
        site.error(
            f"The QueryLanguage is set to '{site.lang}', but field '{name}' is only supported "
            f"for the '{other}' QueryLanguage",
            where,
        )


def check_object(site: Site, value: Any, where: str, spec: ObjectSpec) -> bool:
    """Check an object against ``spec``; False when it is unusable (not an object, fields missing).

    Missing required fields are reported alone: AWS reports nothing else about that object.
    """
    if not isinstance(value, dict):
        site.must_be(where, "an object")
        return False
    missing = [name for name in spec.required if name not in value]
    if missing:
        site.error(f"These fields are required: [{', '.join(missing)}]", where)
        return False
    for name, item in value.items():
        check = spec.lookup(name, site.lang)
        if check is None:
            unsupported(site, name, spec, where)
        else:
            check(site, item, child(where, name))
    return True
