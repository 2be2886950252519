"""Action tables: each API module registers its handlers by action name with ``@table.action``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sfnlocal.api.shapes import Params

__all__ = ["ActionTable", "Handler"]

Handler = Callable[[Any, Params], Awaitable[dict[str, Any]]]
"""``handler(engine, params)`` → the response members."""


class ActionTable(dict[str, Handler]):
    """Handlers by action name (``DescribeExecution``...)."""

    def action(self, name: str) -> Callable[[Handler], Handler]:
        """A decorator registering ``handler`` as the action ``name``."""

        def register(handler: Handler) -> Handler:
            self[name] = handler
            return handler

        return register
