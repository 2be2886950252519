"""JSON (de)serialisation of the AWS JSON 1.0 protocol.

Responses: datetimes become epoch seconds (floats), as AWS sends them. Requests: ``Params`` reads
members with AWS's ``ValidationException`` for absent required members and wrong JSON types.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sfnlocal.api.errors import ApiError, missing_member, wrong_type

__all__ = ["Params", "dumps", "parse_body"]


def _default(value: object) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(document: Any) -> str:
    """A response body: compact JSON, datetimes as epoch seconds."""
    return json.dumps(document, default=_default, separators=(",", ":"), ensure_ascii=False)


def parse_body(raw: bytes) -> dict[str, Any]:
    """The request's members (an empty body is ``{}``).

    Raises:
        ApiError: ``SerializationException`` for a body that is not a JSON object.
    """
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError("SerializationException", f"Malformed JSON request body: {err}") from None
    except RecursionError:  # nesting deeper than the parser's stack
        raise ApiError("SerializationException",
                       "Malformed JSON request body: nested too deeply") from None
    if not isinstance(document, dict):
        kind = "list" if isinstance(document, list) else "value"
        raise ApiError("SerializationException", f"Start of {kind} found where not expected")
    return document


class Params:
    """Typed access to the members of one request.

    Args:
        members: the request body's object.
    """

    def __init__(self, members: dict[str, Any]) -> None:
        self.members = members

    def require(self, *names: str) -> None:
        """Raise one ``ValidationException`` naming every absent member, as AWS does."""
        absent = [name for name in names if self.members.get(name) is None]
        if len(absent) == 1:
            raise missing_member(absent[0])
        if absent:
            details = "; ".join(
                f"Value null at '{name}' failed to satisfy constraint: Member must not be null"
                for name in absent
            )
            raise ApiError("ValidationException",
                           f"{len(absent)} validation errors detected: {details}")

    def _get(self, name: str, required: bool) -> Any:
        value = self.members.get(name)
        if value is None and required:
            raise missing_member(name)
        return value

    def string(self, name: str) -> str:
        """A required string member."""
        value = self._get(name, True)
        if not isinstance(value, str):
            raise wrong_type(name, value, "string")
        return value

    def opt_string(self, name: str) -> str | None:
        """An optional string member (None when absent)."""
        value = self._get(name, False)
        if value is not None and not isinstance(value, str):
            raise wrong_type(name, value, "string")
        return value

    def opt_int(self, name: str) -> int | None:
        """An optional integer member (None when absent)."""
        value = self._get(name, False)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise wrong_type(name, value, "integer")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        """An optional boolean member."""
        value = self._get(name, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise wrong_type(name, value, "boolean")
        return value

    def opt_list(self, name: str) -> list[Any] | None:
        """An optional list member (None when absent)."""
        value = self._get(name, False)
        if value is not None and not isinstance(value, list):
            raise wrong_type(name, value, "list")
        return value

    def strings(self, name: str) -> list[str]:
        """A required list of strings."""
        value = self._get(name, True)
        if not isinstance(value, list):
            raise wrong_type(name, value, "list")
        for index, item in enumerate(value, start=1):
            if not isinstance(item, str):
                raise wrong_type(f"{name}.{index}.member", item, "string")
        return value

    def tags(self, name: str = "tags", required: bool = False) -> dict[str, str] | None:
        """A list of ``{"key", "value"}`` objects as a dict (None when optional and absent)."""
        items = self.opt_list(name)
        if items is None:
            if required:
                raise missing_member(name)
            return None
        return dict(_tag(f"{name}.{index}.member", item) for index, item in enumerate(items, 1))


def _tag(member: str, item: Any) -> tuple[str, str]:
    """One ``{"key", "value"}`` tag (the value defaults to "")."""
    if not isinstance(item, dict):
        raise wrong_type(member, item, "structure")
    key, value = item.get("key"), item.get("value", "")
    if key is None:
        raise missing_member(f"{member}.key")
    if not isinstance(key, str):
        raise wrong_type(f"{member}.key", key, "string")
    if not isinstance(value, str):
        raise wrong_type(f"{member}.value", value, "string")
    return key, value
