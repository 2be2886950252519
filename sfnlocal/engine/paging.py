"""Pages of GetExecutionHistory, with opaque ``nextToken`` values.

A token names the event id the next page starts from, the direction and the execution, and carries
a checksum: a token edited by hand, or used for another execution or the other direction, is
refused with AWS's ``InvalidToken``. Positions are event ids, not list offsets, so paging backwards
through a history that is still growing neither repeats nor skips events.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

from sfnlocal.engine.history import History
from sfnlocal.engine.validation import check_max_results
from sfnlocal.errors import ServiceError

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "history_page"]

DEFAULT_PAGE_SIZE = 100
"""AWS's page size when ``maxResults`` is absent or 0."""

MAX_PAGE_SIZE = 1000


def history_page(
    history: History, arn: str, *, reverse: bool = False, max_results: int | None = None,
    next_token: str | None = None, include_data: bool = True,
) -> dict[str, Any]:
    """The GetExecutionHistory response: ``{"events": [...], "nextToken"?: ...}``.

    Raises:
        ServiceError: ``ValidationException`` (maxResults out of range), ``InvalidToken``.
    """
    check_max_results(max_results or 0, MAX_PAGE_SIZE)
    size = max_results or DEFAULT_PAGE_SIZE
    events = history.events
    start = _decode(next_token, arn, reverse) if next_token is not None else None
    if reverse:
        high = len(events) if start is None else min(start, len(events))
        low = max(0, high - size)
        chosen, following = events[low:high][::-1], (low if low > 0 else None)
    else:
        low = 0 if start is None else start - 1
        high = min(len(events), low + size)
        chosen, following = events[low:high], (high + 1 if high < len(events) else None)
    response: dict[str, Any] = {"events": [event.to_aws(include_data) for event in chosen]}
    if following is not None:
        response["nextToken"] = _encode(following, arn, reverse)
    return response


def _checksum(event_id: int, arn: str, reverse: bool) -> int:
    return zlib.crc32(f"{arn}|{int(reverse)}|{event_id}".encode())


def _encode(event_id: int, arn: str, reverse: bool) -> str:
    raw = f"{event_id:x}.{int(reverse)}.{_checksum(event_id, arn, reverse):08x}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(token: str, arn: str, reverse: bool) -> int:
    try:
        raw = base64.urlsafe_b64decode(token.encode()).decode()
        event_id, direction, checksum = (int(raw_part, 16) for raw_part in raw.split("."))
        if direction != int(reverse) or checksum != _checksum(event_id, arn, reverse):
            raise ValueError(token)
        return event_id
    except (ValueError, binascii.Error, UnicodeError):
        raise ServiceError("InvalidToken", "Invalid Token: 'Invalid token'") from None
