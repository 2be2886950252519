"""Opaque ``nextToken`` values of the list actions (ListStateMachines, ListExecutions...).

A token names the last item of the previous page (a name or an ARN), the list it belongs to and a
checksum; an edited token, or one from another list, is AWS's ``InvalidToken``.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sfnlocal.api.shapes import Params
from sfnlocal.engine.validation import check_max_results, validation_error
from sfnlocal.errors import ServiceError

__all__ = ["DEFAULT_PAGE_SIZE", "list_response", "page"]

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100
"""The page size when ``maxResults`` is absent or 0."""

_INVALID_TOKEN = ServiceError("InvalidToken", "Invalid Token: 'Invalid token'")


def page(
    items: Sequence[T], key: Callable[[T], str], scope: str, *,
    max_results: int | None, next_token: str | None, token_limit: int = 1024,
    ordered: bool = False,
) -> tuple[list[T], str | None]:
    """One page of ``items`` and the token of the next one (None on the last page).

    Args:
        items: the whole list, in the order it is listed.
        key: each item's stable key (its name or ARN).
        scope: what the list is of (a token of another scope is refused).
        max_results: the page size (0 or None: 100; at most 1000).
        next_token: the token of the previous page, or None for the first page.
        token_limit: the longest token AWS accepts for this action.
        ordered: ``items`` are sorted by key, so a page may follow an item deleted since (the
            next page starts at the first key after it); otherwise that token is ``InvalidToken``.

    Raises:
        ServiceError: ``ValidationException`` (maxResults, token length), ``InvalidToken``.
    """
    check_max_results(max_results or 0, 1000)
    size = max_results or DEFAULT_PAGE_SIZE
    start = 0
    if next_token is not None:
        if len(next_token) > token_limit:
            raise validation_error(next_token, "nextToken",
                                   f"have length less than or equal to {token_limit}")
        start = _position(items, key, _decode(next_token, scope), ordered)
    chosen = list(items[start:start + size])
    more = start + size < len(items)
    return chosen, (_encode(key(chosen[-1]), scope) if more and chosen else None)


def list_response(
    p: Params, member: str, items: Sequence[T], key: Callable[[T], str], scope: str,
    to_item: Callable[[T], dict[str, Any]], **options: Any,
) -> dict[str, Any]:
    """A list action's response: the page chosen by the request's ``maxResults``/``nextToken``.

    Args:
        p: the request (its ``maxResults`` and ``nextToken`` members).
        member: the response member holding the items (``executions``...).
        items: the whole list, in listing order.
        key: each item's stable key (see ``page``).
        scope: what the list is of (see ``page``).
        to_item: an item's response shape.
        **options: ``page``'s keyword options (``token_limit``, ``ordered``).
    """
    chosen, token = page(items, key, scope, max_results=p.opt_int("maxResults"),
                         next_token=p.opt_string("nextToken"), **options)
    response: dict[str, Any] = {member: [to_item(item) for item in chosen]}
    if token is not None:
        response["nextToken"] = token
    return response


def _position(items: Sequence[Any], key: Callable[[Any], str], last: str, ordered: bool) -> int:
    for index, item in enumerate(items):
        current = key(item)
        if current == last:
            return index + 1
        if ordered and current > last:
            return index
    if ordered:
        return len(items)
    raise _INVALID_TOKEN


def _checksum(last: str, scope: str) -> int:
    return zlib.crc32(f"{scope}|{last}".encode())


def _encode(last: str, scope: str) -> str:
    raw = f"{_checksum(last, scope):08x}|{last}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(token: str, scope: str) -> str:
    try:
        checksum, last = base64.urlsafe_b64decode(token.encode()).decode().split("|", 1)
        if int(checksum, 16) != _checksum(last, scope):
            raise ValueError(token)
        return last
    except (ValueError, binascii.Error, UnicodeError):
        raise _INVALID_TOKEN from None
