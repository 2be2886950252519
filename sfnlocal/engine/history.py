"""Execution history: events recorded as Python values, turned into AWS's shape only when read.

Recording is the hot path (two events per state), so an ``Event`` keeps its details as a plain dict
of snake_case keys and Python values; JSON data fields (``input``, ``output``, ``parameters``) are
``Data`` objects that serialise once, lazily, and remember their text (the size check that runs at
each state boundary computes the same text, so it is never computed twice).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

__all__ = ["Data", "Event", "History", "HistoryLimitExceeded", "to_json_text"]

MAX_PAYLOAD_BYTES = 262_144


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_encode = _ENCODER.encode  # one encoder for all: json.dumps builds a new one per call with options


def to_json_text(value: Any) -> str:
    """Compact JSON text as AWS writes it (no spaces, non-ASCII kept)."""
    return _encode(value)


class Data:
    """A JSON value that AWS shows as a JSON string (``input``, ``output``, ``parameters``...)."""

    __slots__ = ("_size", "_text", "value")

    def __init__(self, value: Any, text: str | None = None) -> None:
        self.value = value
        self._text = text
        self._size: int | None = None

    @classmethod
    def array(cls, parts: list[Data]) -> Data:
        """The array of the parts' values, its text joined from theirs (AWS keeps their texts).

        Parallel and Map outputs are arrays of branch/iteration outputs; AWS writes each element
        as it was written in the child's last event (a raw execution input that went through a
        Pass unchanged keeps its spacing: ``[[[1, 2]]]``).
        """
        data = cls([part.value for part in parts])
        data._text = "[" + ",".join(part.text for part in parts) + "]"
        return data

    @property
    def text(self) -> str:
        """The compact JSON text (computed once)."""
        if self._text is None:
            self._text = to_json_text(self.value)
        return self._text

    @property
    def size(self) -> int:
        """UTF-8 byte length of the text (computed once)."""
        if self._size is None:
            text = self.text
            self._size = len(text) if text.isascii() else len(text.encode("utf-8"))
        return self._size


class Event:
    """One history event.

    Attributes:
        id: 1-based position in the history.
        previous_event_id: the causing event's id (0 for none).
        type: AWS's event type, e.g. ``PassStateEntered``.
        timestamp: epoch seconds from the engine's clock.
        details: snake_case keys → Python values (``Data`` for JSON-string fields), or None.
    """

    __slots__ = ("details", "id", "previous_event_id", "timestamp", "type")

    def __init__(
        self, id: int, previous_event_id: int, type: str, timestamp: float,
        details: dict[str, Any] | None,
    ) -> None:
        self.id = id
        self.previous_event_id = previous_event_id
        self.type = type
        self.timestamp = timestamp
        self.details = details

    def to_aws(self, include_data: bool = True) -> dict[str, Any]:
        """The GetExecutionHistory shape (boto3's: ``timestamp`` as an aware datetime)."""
        shape: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(self.timestamp, UTC),
            "type": self.type,
            "id": self.id,
            "previousEventId": self.previous_event_id,
        }
        if self.details is not None:
            shape[details_key(self.type)] = _export_details(self.details, include_data)
        return shape


def details_key(event_type: str) -> str:
    """The name of the details member for an event type (``stateEnteredEventDetails``...)."""
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


_DATA_DETAILS = {"input": "inputDetails", "output": "outputDetails", "parameters": None}


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _export_details(details: dict[str, Any], include_data: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in details.items():
        name = _camel(key)
        if isinstance(value, Data):
            if include_data:
                out[name] = value.text
            companion = _DATA_DETAILS.get(name)
            if companion:
                out[companion] = {"truncated": False}
        elif key == "assigned_variables":
            out["assignedVariables"] = {k: to_json_text(v) for k, v in value.items()}
            out["assignedVariablesDetails"] = {"truncated": False}
        else:
            out[name] = value
    return out


class HistoryLimitExceeded(Exception):
    """Raised when recording an event would pass the execution's event limit."""


class History:
    """The ordered events of one execution.

    Args:
        limit: the maximum number of events (AWS: 25,000 for Standard executions); None = unlimited.
    """

    __slots__ = ("events", "limit")

    def __init__(self, limit: int | None = 25_000) -> None:
        self.events: list[Event] = []
        self.limit = limit

    def add(
        self, type: str, previous_event_id: int, timestamp: float,
        details: dict[str, Any] | None = None,
    ) -> int:
        """Append an event and return its id."""
        events = self.events
        event_id = len(events) + 1
        if self.limit is not None and event_id > self.limit:
            raise HistoryLimitExceeded(self.limit)
        events.append(Event(event_id, previous_event_id, type, timestamp, details))
        return event_id

    @property
    def last_id(self) -> int:
        """The id of the newest event (0 when empty)."""
        return len(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def page(
        self, reverse: bool = False, start: int = 0, max_results: int | None = None,
        include_data: bool = True,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """AWS-shaped events from position ``start``; returns (events, next start or None)."""
        ordered = self.events[::-1] if reverse else self.events
        end = len(ordered) if not max_results else min(len(ordered), start + max_results)
        shaped = [event.to_aws(include_data) for event in ordered[start:end]]
        return shaped, (end if end < len(ordered) else None)
